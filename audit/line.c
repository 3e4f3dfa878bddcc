/* Builds and writes event lines. The only place that knows the line layout. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "audit/line.h"
#include "audit/log.h"

static pid_t cached_pid;
static uint64_t seq;

static const char *const decision_names[] = {
    [DECIDE_ALLOW] = "allow",
    [DECIDE_DENY] = "deny",
    [DECIDE_WOULD_DENY] = "would-deny",
};

const char *
decision_name(enum decision d)
{
    return decision_names[d];
}

void
line_after_fork(void)
{
    cached_pid = getpid();
    seq = 0;
}

void
line_begin(struct jbuf *b, const char *event)
{
    if (cached_pid == 0) {
        /* First line, still single-threaded. getpid() would be a system call
         * per event; the fork handler keeps the cache right in children. */
        cached_pid = getpid();
        pthread_atfork(NULL, NULL, line_after_fork);
    }
    jbuf_lit(b, "{\"ts\":");
    jbuf_timestamp(b);
    jbuf_lit(b, ",\"pid\":");
    jbuf_i64(b, cached_pid);
    jbuf_lit(b, ",\"seq\":");
    jbuf_u64(b, __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    jbuf_lit(b, ",\"event\":");
    jbuf_str_utf8(b, event, strlen(event));
    jbuf_lit(b, ",\"args\":");
}

int
line_finish(struct jbuf *b, enum decision d, const char *reason)
{
    jbuf_lit(b, ",\"decision\":\"");
    jbuf_lit(b, decision_names[d]);
    jbuf_char(b, '"');
    if (reason != NULL) {
        jbuf_lit(b, ",\"reason\":");
        jbuf_str_utf8(b, reason, strlen(reason));
    }
    jbuf_lit(b, "}\n");
    if (b->failed)
        return -ENOMEM;
    return log_write_line(b->p, b->len);
}
