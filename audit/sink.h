/* Copies of every log line for fleet pipelines: syslog (RFC 5424 over a unix
 * socket), journald (structured fields) and Linux audit. The file stays the
 * ground truth: a line that cannot be written to the file refuses its action,
 * a sink that fails does not, but its failure and its recovery, with the
 * number of lines it missed, are written to the file. Every copy carries the
 * line's chain, seq and hash, so the file can be checked against it. */
#ifndef SPY_SINK_H
#define SPY_SINK_H

#include <stdint.h>

#include "audit/line.h"
#include "policy/policy.h"

struct sink_line {
    const char *line;           /* as in the file, without the '\n' */
    size_t len;
    const char *ts;             /* RFC 3339, NUL-terminated */
    const char *event;          /* as escaped in the line */
    size_t event_len;
    enum decision decision;
    const char *chain;          /* hex */
    uint64_t seq;
    const char *hash;           /* hex */
};

/* Take the policy's sinks. Nothing is connected yet: a sink that is down is
 * noted in the log at the first line, never a reason to refuse the start. */
int sinks_open(const struct log_sink *s, size_t n, char *err, size_t errlen);

/* Send one line to every sink. */
void sinks_send(const struct sink_line *l);

/* A sink whose state changed since the last call: 1 with its name and, when
 * it failed, the error; when it recovered, the lines it missed. 0 if none. */
int sinks_changed(const char **name, int *up, const char **error, uint64_t *missed);

#endif
