/* The sinks: state, retries, and what the log is told about them. A sink
 * that fails is retried at most once a second, so a dead collector costs the
 * audited program one failed attempt a second, not one per event. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/sink_impl.h"

#define SINK_FD_MIN 100
#define RETRY_SECONDS 1

static int (*const senders[SINK_KINDS])(struct sink *, const struct sink_line *) = {
    [SINK_SYSLOG] = sink_syslog_send,
    [SINK_JOURNALD] = sink_journald_send,
    [SINK_LINUX_AUDIT] = sink_linux_audit_send,
};

static struct sink *sinks;
static size_t n_sinks;

int
sinks_open(const struct log_sink *s, size_t n, char *err, size_t errlen)
{
    size_t i;

    if (n == 0)
        return 0;
    if ((sinks = calloc(n, sizeof(*sinks))) == NULL) {
        snprintf(err, errlen, "log-sink: out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        sinks[i].kind = s[i].kind;
        sinks[i].fd = -1;
        sinks[i].up = sinks[i].reported = 1;
        if (s[i].target != NULL && (sinks[i].target = strdup(s[i].target)) == NULL) {
            snprintf(err, errlen, "log-sink: out of memory");
            return -1;
        }
    }
    n_sinks = n;
    return 0;
}

int
sink_keep_fd(struct sink *s, int fd)
{
    struct stat st;
    int high;

    if ((high = fcntl(fd, F_DUPFD_CLOEXEC, SINK_FD_MIN)) >= 0) {
        close(fd);
        fd = high;
    }
    if (fstat(fd, &st) < 0) {
        close(fd);
        return -errno;
    }
    s->fd = fd;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    return 0;
}

int
sink_send_flags(const struct sink *s)
{
    return MSG_NOSIGNAL | (s->up ? 0 : MSG_DONTWAIT);
}

int
sink_send_dgram(const struct sink *s, const void *p, size_t n)
{
    ssize_t w;

    do {
        w = send(s->fd, p, n, sink_send_flags(s));
    } while (w < 0 && errno == EINTR);
    return w < 0 ? -errno : 0;
}

void
sink_drop_after(struct sink *s, int r)
{
    if (r < 0 && r != -EAGAIN && r != -ENOBUFS) {
        close(s->fd);
        s->fd = -1;
    }
}

int
sink_fd_ok(struct sink *s)
{
    struct stat st;

    if (s->fd < 0)
        return 0;
    if (fstat(s->fd, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
        return 1;
    /* Closed, or the script's now: not ours to close. */
    s->fd = -1;
    return 0;
}

static int
due(const struct sink *s, const struct timespec *now)
{
    return now->tv_sec > s->retry.tv_sec ||
           (now->tv_sec == s->retry.tv_sec && now->tv_nsec >= s->retry.tv_nsec);
}

void
sinks_send(const struct sink_line *l)
{
    struct timespec now;
    struct sink *s;
    size_t i;
    int r;

    for (i = 0; i < n_sinks; i++) {
        s = &sinks[i];
        if (!s->up) {
            clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
            if (!due(s, &now)) {
                s->missed++;
                continue;
            }
        }
        if ((r = senders[s->kind](s, l)) == 0) {
            s->up = 1;
            continue;
        }
        s->missed++;
        s->error = strerror(-r);
        s->up = 0;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &s->retry);
        s->retry.tv_sec += RETRY_SECONDS;
    }
}

int
sinks_changed(const char **name, int *up, const char **error, uint64_t *missed)
{
    size_t i;

    for (i = 0; i < n_sinks; i++) {
        struct sink *s = &sinks[i];

        if (s->up == s->reported)
            continue;
        s->reported = s->up;
        *name = log_sink_names[s->kind];
        *up = s->up;
        *error = s->error ? s->error : "";
        *missed = s->missed;
        if (s->up)
            s->missed = 0;
        return 1;
    }
    return 0;
}
