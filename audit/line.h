/* One log line per event:
 * {"ts","pid","event","args","decision","reason"?,"seq","chain","prev","fork"?,"hash"|"hmac"}
 * The last four belong to the hash chain (audit/chain.h). */
#ifndef SPY_LINE_H
#define SPY_LINE_H

#include <stdint.h>

#include "json.h"

enum decision { DECIDE_ALLOW = 0, DECIDE_DENY, DECIDE_WOULD_DENY };

/* Fixed ceiling for one line: a line larger than this is refused rather than
 * written partially (it would not be valid JSON). Transcripts are split into
 * parts long before (TRANSCRIPT_PART_BYTES in audit/event.h). */
#define LINE_MAX_BYTES (256u << 20)

/* Start this process's chain, before the first line; keyed (HMAC) when
 * seal_key is given. Also arranges that a forked child starts a chain of its
 * own and that "spython.exit" closes the chain at exit(). 0, or -1 with a
 * message in err. */
int line_start(const uint8_t *seal_key, size_t seal_key_len, char *err, size_t errlen);

/* Open the line; the caller appends the "args" value next. */
void line_begin(struct jbuf *b, const char *event);

/* Close the line, seal it into the chain and write it with one write(2), then
 * copy it to the policy's sinks. 0 when it is on disk (in the kernel),
 * -errno otherwise (the action must then be refused). */
int line_finish(struct jbuf *b, enum decision d, const char *reason);

const char *decision_name(enum decision d);

/* Close the chain with its "spython.exit" line now (os._exit() runs no
 * atexit handler), with the exit status when known (else < 0). Once. */
void line_end(int status);

#endif
