/* Inside the sinks: one struct per configured sink, one sender per kind. */
#ifndef SPY_SINK_IMPL_H
#define SPY_SINK_IMPL_H

#include <sys/types.h>
#include <time.h>

#include "audit/sink.h"

struct sink {
    enum log_sink_kind kind;
    char *target;
    int fd;                     /* syslog, linux-audit: -1 until connected */
    dev_t dev;                  /* what fd was when connected: a script may */
    ino_t ino;                  /* close or dup2 over it like over the log */
    int up;                     /* the last send worked */
    int reported;               /* up, as last noted in the log */
    const char *error;
    uint64_t missed;            /* lines not delivered since it went down */
    struct timespec retry;      /* while down, the next attempt */
};

/* Each sends one line: 0, or -errno. Called with the log's lock held. */
int sink_syslog_send(struct sink *s, const struct sink_line *l);
int sink_journald_send(struct sink *s, const struct sink_line *l);
int sink_linux_audit_send(struct sink *s, const struct sink_line *l);

/* Keep a connected fd above the script's range; remember what it is. */
int sink_keep_fd(struct sink *s, int fd);
/* Whether s->fd is still the socket we connected (else it is dropped). */
int sink_fd_ok(struct sink *s);

#endif
