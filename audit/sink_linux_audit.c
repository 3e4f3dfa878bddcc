/* Linux audit: a short AUDIT_TRUSTED_APP record per line with its event,
 * decision, chain, seq and hash, sent on a NETLINK_AUDIT socket worded as
 * libaudit's audit_log_user_message() words it (spython links no libaudit).
 * The kernel caps records near 8 KiB, so the line itself stays in the file
 * and the record anchors it. Needs CAP_AUDIT_WRITE (root); otherwise the
 * kernel's answer notes the sink as failing. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "audit/sink_impl.h"

#define AUDIT_TRUSTED_APP 1121      /* libaudit.h: a user message of free text */
#define EVENT_MAX 255               /* bytes of the event name a record carries */
/* The kernel answers within sendto(); this bounds a kernel that does not. */
#define ACK_TIMEOUT_MS 1000

/* audit_value_needs_encoding(), and ': the kernel wraps the text in msg='...'. */
static int
needs_hex(const char *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];

        if (c < 0x21 || c >= 0x7f || c == '"' || c == '\'')
            return 1;
    }
    return 0;
}

void
audit_nv(struct jbuf *b, const char *name, const char *v, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    jbuf_lit(b, name);
    jbuf_char(b, '=');
    if (!needs_hex(v, n)) {
        jbuf_char(b, '"');
        jbuf_raw(b, v, n);
        jbuf_char(b, '"');
        return;
    }
    for (i = 0; i < n; i++) {
        jbuf_char(b, hex[(unsigned char)v[i] >> 4]);
        jbuf_char(b, hex[(unsigned char)v[i] & 15]);
    }
}

void
audit_record(struct jbuf *b, const struct sink_line *l, const char *exe)
{
    jbuf_lit(b, "op=spython ");
    /* Event names are the script's to choose: hex-encoded when they hold
     * anything a record parser would trip on. */
    audit_nv(b, "event", l->event, l->event_len < EVENT_MAX ? l->event_len : EVENT_MAX);
    jbuf_lit(b, " decision=");
    jbuf_lit(b, decision_name(l->decision));
    jbuf_lit(b, " chain=");
    jbuf_lit(b, l->chain);
    jbuf_lit(b, " seq=");
    jbuf_u64(b, l->seq);
    jbuf_lit(b, " hash=");
    jbuf_lit(b, l->hash);
    jbuf_char(b, ' ');
    audit_nv(b, "exe", exe, strlen(exe));
    /* libaudit fills these from the caller's terminal; nothing of the
     * caller's belongs in the record (the kernel adds pid, auid, ses). */
    jbuf_lit(b, " hostname=? addr=? terminal=? res=");
    jbuf_lit(b, l->decision == DECIDE_ALLOW ? "success" : "failed");
}

static const char *
exe_path(void)
{
    static char exe[4096];
    ssize_t n;

    if (exe[0] == '\0') {
        if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0)
            exe[n] = '\0';
        else
            strcpy(exe, "?");
    }
    return exe;
}

static int
audit_connect(struct sink *s)
{
    int fd;

    if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT)) < 0)
        return -errno;
    return sink_keep_fd(s, fd);
}

static int
ms_left(const struct timespec *deadline)
{
    struct timespec now;
    long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
    return ms > 0 ? (int)ms : 0;
}

/* The kernel's NLMSG_ERROR for request seq (NLM_F_ACK): 0, or -errno. Anything
 * else on the socket, or from anyone but the kernel, is skipped. */
static int
await_ack(int fd, uint32_t seq, int timeout_ms)
{
    union {
        struct nlmsghdr h;
        char buf[1024];             /* a refusal echoes the request: its head is enough */
    } a;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    struct sockaddr_nl from;
    struct timespec deadline;
    socklen_t fl;
    ssize_t n;
    int left;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += timeout_ms % 1000 * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    for (;;) {
        fl = sizeof(from);
        n = recvfrom(fd, a.buf, sizeof(a.buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            return -errno;
        if (n < 0) {
            if ((left = ms_left(&deadline)) == 0)
                return -ETIMEDOUT;
            if (poll(&p, 1, left) < 0 && errno != EINTR)
                return -errno;
            continue;
        }
        if (fl < sizeof(from) || from.nl_pid != 0 ||
            (size_t)n < NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
            a.h.nlmsg_type != NLMSG_ERROR || a.h.nlmsg_seq != seq)
            continue;
        return ((const struct nlmsgerr *)NLMSG_DATA(&a.h))->error;
    }
}

int
sink_linux_audit_send(struct sink *s, const struct sink_line *l)
{
    static uint32_t seq;
    struct {
        struct nlmsghdr h;
        char text[AUDIT_MESSAGE_TEXT_MAX];
    } m;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    struct jbuf b;
    ssize_t w;
    int r;

    if (!sink_fd_ok(s) && (r = audit_connect(s)) < 0)
        return r;
    /* Written in place; the kernel's limit leaves room for the NUL it wants. */
    jbuf_init(&b, m.text, sizeof(m.text), sizeof(m.text) - 1);
    audit_record(&b, l, exe_path());
    if (b.failed) {
        jbuf_free(&b);
        r = -EMSGSIZE;
        goto fail;
    }
    m.text[b.len] = '\0';
    m.h = (struct nlmsghdr){
        .nlmsg_len = NLMSG_LENGTH(b.len + 1),
        .nlmsg_type = AUDIT_TRUSTED_APP,
        .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
        .nlmsg_seq = ++seq,
    };
    do {
        w = sendto(s->fd, &m, m.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        r = -errno;
        goto fail;
    }
    if ((r = await_ack(s->fd, seq, s->up ? ACK_TIMEOUT_MS : 0)) == 0)
        return 0;
fail:
    close(s->fd);
    s->fd = -1;
    return r;
}
