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

/* What the senders put on the wire (pure, unit-tested): */
/* One journal field, in the binary form when the value holds a newline. */
void journal_field(struct jbuf *b, const char *name, const char *v, size_t n);
/* The journal entry for a line: every field, in datagram order. */
void journal_entry(struct jbuf *b, const struct sink_line *l);
/* name="value", or name=HEX when the value holds anything a record parser
 * would split on (audit_encode_nv_string's rule, plus '). */
void audit_nv(struct jbuf *b, const char *name, const char *v, size_t n);
/* The AUDIT_TRUSTED_APP text for a line, as libaudit's
 * audit_log_user_message() words it; exe is the executable's path. */
void audit_record(struct jbuf *b, const struct sink_line *l, const char *exe);

/* Flags for a send on s: up, it may wait a little for room (the socket's
 * SO_SNDTIMEO); down, a probe that does not wait. */
int sink_send_flags(const struct sink *s);
/* One datagram on s->fd: 0, or -errno (EINTR retried). */
int sink_send_dgram(const struct sink *s, const void *p, size_t n);
/* After a failed send: a peer that restarted or went away is connected
 * afresh next time; a full one (EAGAIN, ENOBUFS) keeps its socket. */
void sink_drop_after(struct sink *s, int r);

/* Keep a connected fd above the script's range; remember what it is. */
int sink_keep_fd(struct sink *s, int fd);
/* Whether s->fd is still the socket we connected (else it is dropped). */
int sink_fd_ok(struct sink *s);

#endif
