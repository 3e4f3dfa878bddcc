/* journald, in its native protocol (systemd's "Native Journal Protocol"), so
 * that spython links no libsystemd: one datagram per entry to the journal's
 * socket, each field FIELD=value\n, or FIELD\n + 64-bit little-endian length
 * + value + \n when the value holds a newline (nothing in it can then start
 * a field of its own). An entry too big for a datagram goes in a sealed
 * memfd passed with SCM_RIGHTS. The whole line is MESSAGE, with the fields a
 * journal query wants (SPYTHON_EVENT=os.system, SPYTHON_DECISION=deny, ...). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit/sink_impl.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define SEV_WARNING 4
#define SEV_INFO 6
/* While journald is up, a full socket may hold us this long (as syslog). */
#define SEND_TIMEOUT_MS 1000

void
journal_field(struct jbuf *b, const char *name, const char *v, size_t n)
{
    uint8_t le[8];
    uint64_t len = n;
    int i;

    jbuf_lit(b, name);
    if (memchr(v, '\n', n) == NULL) {
        jbuf_char(b, '=');
    } else {
        for (i = 0; i < 8; i++)
            le[i] = (uint8_t)(len >> (8 * i));
        jbuf_char(b, '\n');
        jbuf_raw(b, (const char *)le, sizeof(le));
    }
    jbuf_raw(b, v, n);
    jbuf_char(b, '\n');
}

void
journal_entry(struct jbuf *b, const struct sink_line *l)
{
    const char *d = decision_name(l->decision);
    char seq[24];

    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)l->seq);
    journal_field(b, "MESSAGE", l->line, l->len);
    journal_field(b, "PRIORITY", l->decision == DECIDE_ALLOW ? "6" : "4", 1);
    journal_field(b, "SYSLOG_FACILITY", "10", 2);
    journal_field(b, "SYSLOG_IDENTIFIER", "spython", 7);
    journal_field(b, "SPYTHON_EVENT", l->event, l->event_len);
    journal_field(b, "SPYTHON_DECISION", d, strlen(d));
    journal_field(b, "SPYTHON_CHAIN", l->chain, strlen(l->chain));
    journal_field(b, "SPYTHON_SEQ", seq, strlen(seq));
    journal_field(b, "SPYTHON_HASH", l->hash, strlen(l->hash));
}

static int
journal_connect(struct sink *s)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
    struct timeval tv = { SEND_TIMEOUT_MS / 1000, SEND_TIMEOUT_MS % 1000 * 1000 };
    int fd, e;

    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
        e = errno;
        close(fd);
        return -e;
    }
    return sink_keep_fd(s, fd);
}

/* Too big for one datagram: the entry in a memfd sealed against change, the
 * descriptor alone in an empty datagram, as journald expects it. */
static int
send_memfd(int sock, const char *p, size_t n, int flags)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } c;
    struct msghdr mh = { .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
    struct cmsghdr *cm;
    ssize_t w;
    size_t off = 0;
    int fd, r = 0;

    if ((fd = memfd_create("spython-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
        return -errno;
    while (off < n) {
        if ((w = write(fd, p + off, n - off)) < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            goto out;
        }
        off += (size_t)w;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        r = -errno;
        goto out;
    }
    memset(c.buf, 0, sizeof(c.buf));
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    do {
        w = sendmsg(sock, &mh, flags);
    } while (w < 0 && errno == EINTR);
    if (w < 0)
        r = -errno;
out:
    close(fd);
    return r;
}

int
sink_journald_send(struct sink *s, const struct sink_line *l)
{
    char stackbuf[4096];
    struct jbuf b;
    int r = 0;

    if (!sink_fd_ok(s) && (r = journal_connect(s)) < 0)
        return r;
    jbuf_init(&b, stackbuf, sizeof(stackbuf), 0);
    journal_entry(&b, l);
    if (b.failed) {
        r = -ENOMEM;
        goto done;
    }
    r = sink_send_dgram(s, b.p, b.len);
    if (r == -EMSGSIZE || r == -ENOBUFS)
        r = send_memfd(s->fd, b.p, b.len, sink_send_flags(s));
    sink_drop_after(s, r);
done:
    jbuf_free(&b);
    return r;
}
