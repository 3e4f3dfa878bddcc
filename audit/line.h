/* One log line per event: {"ts","pid","seq","event","args",...,"decision","reason"}. */
#ifndef SPY_LINE_H
#define SPY_LINE_H

#include "json.h"

enum decision { DECIDE_ALLOW = 0, DECIDE_DENY, DECIDE_WOULD_DENY };

/* Fixed ceiling for one line: a transcript larger than this is refused rather
 * than written partially (the line would not be valid JSON). */
#define LINE_MAX_BYTES (256u << 20)

/* Open the line; the caller appends the "args" value next. */
void line_begin(struct jbuf *b, const char *event);

/* Close the line and write it with one write(2). 0 when it is on disk (in the
 * kernel), -errno otherwise (the action must then be refused). */
int line_finish(struct jbuf *b, enum decision d, const char *reason);

const char *decision_name(enum decision d);

/* After fork(): the child must log with its own pid and its own sequence. */
void line_after_fork(void);

#endif
