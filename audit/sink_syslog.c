/* RFC 5424 over a local datagram socket (default /dev/log, or the socket the
 * policy names):
 *   <PRI>1 TIMESTAMP HOSTNAME spython PROCID MSGID - LINE
 * PRI is authpriv with info (allow) or warning (deny, would-deny); MSGID is
 * the event name when RFC 5424 allows it (printable ASCII, 32 at most). A
 * line too long for a syslog message is replaced by a stub that names its
 * chain, seq and hash: the whole line is in the file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit/sink_impl.h"

#define FACILITY_AUTHPRIV 10
#define SEV_WARNING 4
#define SEV_INFO 6
/* rsyslog's maxMessageSize must be at least this (docs/LOGGING.md). */
#define SYSLOG_MSG_MAX (64 * 1024 - 512)
/* While the collector is up, a full socket may hold us this long. */
#define SEND_TIMEOUT_MS 1000

static char hostname[256];

static int
syslog_connect(struct sink *s)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { SEND_TIMEOUT_MS / 1000, SEND_TIMEOUT_MS % 1000 * 1000 };
    int fd, e;

    if (strlen(s->target) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, s->target, strlen(s->target) + 1);
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
        e = errno;
        close(fd);
        return -e;
    }
    if (hostname[0] == '\0' && (gethostname(hostname, sizeof(hostname) - 1) < 0 ||
                                hostname[0] == '\0'))
        strcpy(hostname, "-");
    return sink_keep_fd(s, fd);
}

static int
msgid_ok(const char *ev, size_t n)
{
    size_t i;

    if (n == 0 || n > 32)
        return 0;
    for (i = 0; i < n; i++)
        if (ev[i] < '!' || ev[i] > '~' || ev[i] == '\\')
            return 0;
    return 1;
}

static void
stub(struct jbuf *b, const struct sink_line *l)
{
    jbuf_lit(b, "{\"ts\":\"");
    jbuf_lit(b, l->ts);
    jbuf_lit(b, "\",\"event\":\"");
    jbuf_raw(b, l->event, l->event_len);
    jbuf_lit(b, "\",\"decision\":\"");
    jbuf_lit(b, decision_name(l->decision));
    jbuf_lit(b, "\",\"seq\":");
    jbuf_u64(b, l->seq);
    jbuf_lit(b, ",\"chain\":\"");
    jbuf_lit(b, l->chain);
    jbuf_lit(b, "\",\"hash\":\"");
    jbuf_lit(b, l->hash);
    jbuf_lit(b, "\",\"len\":");
    jbuf_u64(b, l->len);
    jbuf_lit(b, ",\"truncated\":\"too long for syslog; whole in the log file\"}");
}

int
sink_syslog_send(struct sink *s, const struct sink_line *l)
{
    char stackbuf[4096];
    struct jbuf b;
    int r = 0;

    if (!sink_fd_ok(s) && (r = syslog_connect(s)) < 0)
        return r;
    jbuf_init(&b, stackbuf, sizeof(stackbuf), 0);
    jbuf_char(&b, '<');
    jbuf_u64(&b, FACILITY_AUTHPRIV * 8 +
             (l->decision == DECIDE_ALLOW ? SEV_INFO : SEV_WARNING));
    jbuf_lit(&b, ">1 ");
    jbuf_lit(&b, l->ts[0] ? l->ts : "-");
    jbuf_char(&b, ' ');
    jbuf_lit(&b, hostname);
    jbuf_lit(&b, " spython ");
    jbuf_i64(&b, getpid());
    jbuf_char(&b, ' ');
    if (msgid_ok(l->event, l->event_len))
        jbuf_raw(&b, l->event, l->event_len);
    else
        jbuf_char(&b, '-');
    jbuf_lit(&b, " - ");
    if (l->len <= SYSLOG_MSG_MAX)
        jbuf_raw(&b, l->line, l->len);
    else
        stub(&b, l);
    if (b.failed) {
        r = -ENOMEM;
        goto done;
    }
    r = sink_send_dgram(s, b.p, b.len);
    sink_drop_after(s, r);
done:
    jbuf_free(&b);
    return r;
}
