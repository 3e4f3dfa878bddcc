/* What the journald and Linux audit sinks put on the wire, byte for byte,
 * and that an event name of the script's choosing cannot forge a field of
 * either: the journal's binary framing, audit's hex encoding. As root, the
 * journald sink also talks to a socket of this test's at journald's path
 * (a private mount namespace): the datagram, and the sealed memfd that
 * carries an entry too big for one. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "audit/line.h"
#include "audit/log.h"
#include "audit/sink_impl.h"

#define CHAIN "0123456789abcdef0123456789abcdef"
#define HASH "77d0aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55"

static struct sink_line
mkline(const char *line, const char *event, size_t event_len, enum decision d)
{
    return (struct sink_line){
        .line = line, .len = strlen(line), .ts = "", .event = event,
        .event_len = event_len, .decision = d, .chain = CHAIN, .seq = 17, .hash = HASH,
    };
}

static void
assert_bytes(const struct jbuf *b, const char *want, size_t n)
{
    assert_false(b->failed);
    assert_int_equal(b->len, n);
    assert_memory_equal(b->p, want, n);
}

/* --- journald -------------------------------------------------------------------- */

/* An independent reader of the native protocol: the fields of one entry,
 * in order, as name and value. -1 when the entry is malformed. */
struct jfield {
    char name[64];
    const char *v;
    size_t n;
};

static int
journal_parse(const char *p, size_t len, struct jfield *f, int max)
{
    const char *end = p + len, *nl, *eq;
    uint64_t n;
    int k = 0, i;

    while (p < end) {
        if (k == max || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
            return -1;
        eq = memchr(p, '=', (size_t)(nl - p));
        if (eq != NULL) {
            if ((size_t)(eq - p) >= sizeof(f[k].name))
                return -1;
            memcpy(f[k].name, p, (size_t)(eq - p));
            f[k].name[eq - p] = '\0';
            f[k].v = eq + 1;
            f[k].n = (size_t)(nl - eq - 1);
            p = nl + 1;
        } else {
            if ((size_t)(nl - p) >= sizeof(f[k].name) || end - nl - 1 < 8)
                return -1;
            memcpy(f[k].name, p, (size_t)(nl - p));
            f[k].name[nl - p] = '\0';
            for (n = 0, i = 7; i >= 0; i--)
                n = n << 8 | (uint8_t)nl[1 + i];
            if (n + 1 > (uint64_t)(end - nl - 9) || nl[9 + n] != '\n')
                return -1;
            f[k].v = nl + 9;
            f[k].n = (size_t)n;
            p = nl + 10 + n;
        }
        k++;
    }
    return k;
}

static void
journal_field_forms(void **state)
{
    static const struct {
        const char *name, *v;
        size_t vlen;
        const char *want;
        size_t wantlen;
    } cases[] = {
        { "A", "b c", 3, "A=b c\n", 6 },
        { "E", "x\ny", 3, "E\n\x03\0\0\0\0\0\0\0x\ny\n", 14 },
        /* A NUL needs no framing (journald reads to the newline), but stays. */
        { "E", "a\0b", 3, "E=a\0b\n", 6 },
        { "E", "", 0, "E=\n", 3 },
    };
    char sb[64];
    struct jbuf b;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        jbuf_init(&b, sb, sizeof(sb), 0);
        journal_field(&b, cases[i].name, cases[i].v, cases[i].vlen);
        assert_bytes(&b, cases[i].want, cases[i].wantlen);
        jbuf_free(&b);
    }
}

static const char plain_entry[] =
    "MESSAGE={\"event\":\"os.system\"}\n"
    "PRIORITY=4\n"
    "SYSLOG_FACILITY=10\n"
    "SYSLOG_IDENTIFIER=spython\n"
    "SPYTHON_EVENT=os.system\n"
    "SPYTHON_DECISION=deny\n"
    "SPYTHON_CHAIN=" CHAIN "\n"
    "SPYTHON_SEQ=17\n"
    "SPYTHON_HASH=" HASH "\n";

static void
journal_entry_exact(void **state)
{
    struct sink_line l = mkline("{\"event\":\"os.system\"}", "os.system", 9, DECIDE_DENY);
    char sb[1024];
    struct jbuf b;

    (void)state;
    jbuf_init(&b, sb, sizeof(sb), 0);
    journal_entry(&b, &l);
    assert_bytes(&b, plain_entry, sizeof(plain_entry) - 1);
    jbuf_free(&b);

    l.decision = DECIDE_ALLOW;
    jbuf_init(&b, sb, sizeof(sb), 0);
    journal_entry(&b, &l);
    assert_non_null(memmem(b.p, b.len, "\nPRIORITY=6\n", 12));
    assert_non_null(memmem(b.p, b.len, "\nSPYTHON_DECISION=allow\n", 24));
    jbuf_free(&b);
}

/* The attack: an event name that tries to end its field and start others. */
static void
journal_entry_no_forgery(void **state)
{
    static const char ev[] = "x\nSPYTHON_DECISION=allow\nPRIORITY=6\nMESSAGE=forged";
    static const char msg[] = "{\"event\":\"x\nSPYTHON_DECISION=allow\"}";
    struct sink_line l = mkline(msg, ev, sizeof(ev) - 1, DECIDE_DENY);
    static const char *const names[] = {
        "MESSAGE", "PRIORITY", "SYSLOG_FACILITY", "SYSLOG_IDENTIFIER", "SPYTHON_EVENT",
        "SPYTHON_DECISION", "SPYTHON_CHAIN", "SPYTHON_SEQ", "SPYTHON_HASH",
    };
    struct jfield f[16];
    char sb[1024];
    struct jbuf b;
    int n, i;

    (void)state;
    jbuf_init(&b, sb, sizeof(sb), 0);
    journal_entry(&b, &l);
    assert_false(b.failed);
    n = journal_parse(b.p, b.len, f, 16);
    assert_int_equal(n, 9);
    for (i = 0; i < n; i++)
        assert_string_equal(f[i].name, names[i]);
    assert_int_equal(f[0].n, sizeof(msg) - 1);
    assert_memory_equal(f[0].v, msg, sizeof(msg) - 1);
    assert_int_equal(f[1].n, 1);
    assert_memory_equal(f[1].v, "4", 1);
    assert_int_equal(f[4].n, sizeof(ev) - 1);
    assert_memory_equal(f[4].v, ev, sizeof(ev) - 1);
    assert_int_equal(f[5].n, 4);
    assert_memory_equal(f[5].v, "deny", 4);
    jbuf_free(&b);
}

/* --- Linux audit ------------------------------------------------------------------ */

static void
check_nv(const char *v, size_t n, const char *want)
{
    char sb[256];
    struct jbuf b;

    jbuf_init(&b, sb, sizeof(sb), 0);
    audit_nv(&b, "event", v, n);
    assert_false(b.failed);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.p, want, b.len);
    jbuf_free(&b);
}

static void
audit_nv_encoding(void **state)
{
    (void)state;
    check_nv("os.system", 9, "event=\"os.system\"");
    check_nv("", 0, "event=\"\"");
    check_nv("~!#$%&()*+,-./:;<=>?@[\\]^_`{|}", 30, "event=\"~!#$%&()*+,-./:;<=>?@[\\]^_`{|}\"");
    check_nv("a b", 3, "event=612062");
    check_nv("a\"b", 3, "event=612262");
    check_nv("a'b", 3, "event=612762");
    check_nv("a\tb", 3, "event=610962");
    check_nv("a\nb", 3, "event=610A62");
    check_nv("a\0b", 3, "event=610062");
    check_nv("a\x7f", 2, "event=617F");
    check_nv("\xc3\xa9", 2, "event=C3A9");
    check_nv("\xff", 1, "event=FF");
}

static void
audit_record_exact(void **state)
{
    static const char want[] =
        "op=spython event=\"os.system\" decision=would-deny chain=" CHAIN " seq=17 hash=" HASH
        " exe=\"/usr/bin/spython\" hostname=? addr=? terminal=? res=failed";
    struct sink_line l = mkline("{}", "os.system", 9, DECIDE_WOULD_DENY);
    char sb[1024];
    struct jbuf b;

    (void)state;
    jbuf_init(&b, sb, sizeof(sb), 0);
    audit_record(&b, &l, "/usr/bin/spython");
    assert_bytes(&b, want, sizeof(want) - 1);
    jbuf_free(&b);

    l.decision = DECIDE_ALLOW;
    jbuf_init(&b, sb, sizeof(sb), 0);
    audit_record(&b, &l, "/opt/my tools/spython");
    assert_false(b.failed);
    assert_non_null(strstr(b.p, " exe=2F6F70742F6D7920746F6F6C732F73707974686F6E hostname="));
    assert_int_equal(memcmp(b.p + b.len - 12, " res=success", 12), 0);
    jbuf_free(&b);
}

/* The attack: every separator a record parser knows, in the event name. */
static void
audit_record_no_forgery(void **state)
{
    static const char *const evil[] = {
        "x res=success", "x\nres=success", "x\"res=success", "x'res=success",
        "x\tres=success", "x\0 res=success",
    };
    static const size_t len[] = { 13, 13, 13, 13, 13, 15 };
    static const char hex[] = "0123456789ABCDEF";
    char sb[1024], want[64], *p, *res;
    struct jbuf b;
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        struct sink_line l = mkline("{}", evil[i], len[i], DECIDE_DENY);

        jbuf_init(&b, sb, sizeof(sb) - 1, 0);
        audit_record(&b, &l, "/usr/bin/spython");
        assert_false(b.failed);
        b.p[b.len] = '\0';
        /* One NUL-free line, one res= and it is the last field: failed. */
        assert_int_equal(strlen(b.p), b.len);
        assert_null(strpbrk(b.p, "\n\t'"));
        res = strstr(b.p, "res=");
        assert_non_null(res);
        assert_string_equal(res, "res=failed");
        /* The event went as hex, whole. */
        for (k = 0; k < len[i]; k++) {
            want[2 * k] = hex[(unsigned char)evil[i][k] >> 4];
            want[2 * k + 1] = hex[(unsigned char)evil[i][k] & 15];
        }
        want[2 * k] = '\0';
        p = strstr(b.p, "event=");
        assert_non_null(p);
        assert_memory_equal(p + 6, want, 2 * len[i]);
        assert_int_equal(p[6 + 2 * len[i]], ' ');
        jbuf_free(&b);
    }
}

static void
audit_record_long_event(void **state)
{
    char ev[400], sb[2048], *p;
    struct sink_line l;
    struct jbuf b;

    (void)state;
    memset(ev, 'a', sizeof(ev));
    l = mkline("{}", ev, sizeof(ev), DECIDE_ALLOW);
    jbuf_init(&b, sb, sizeof(sb) - 1, 0);
    audit_record(&b, &l, "/usr/bin/spython");
    assert_false(b.failed);
    b.p[b.len] = '\0';
    p = strstr(b.p, "event=\"");
    assert_non_null(p);
    assert_int_equal(strspn(p + 7, "a"), 255);
    assert_int_equal(p[7 + 255], '"');
    jbuf_free(&b);
}

/* --- the journald sink on a socket of ours ---------------------------------------- */

#define JSOCK "/run/systemd/journal/socket"

/* In a child: a private /run with our own socket at journald's path. */
static int
fake_journald(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JSOCK };
    int fd, big = 8 << 20;

    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
        mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/journal", 0755) < 0)
        return -1;
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    return fd;
}

/* One datagram: its bytes, or (n == 0) the descriptor that came with it. */
static ssize_t
receive(int fd, char *buf, size_t cap, int *passed)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } c;
    struct iovec iov = { buf, cap };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
                         .msg_controllen = sizeof(c.buf) };
    struct cmsghdr *cm;
    ssize_t n;

    *passed = -1;
    if ((n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) < 0)
        return -1;
    for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(passed, CMSG_DATA(cm), sizeof(int));
    return n;
}

/* Runs body in a child that has the fake journald; skips unless root. */
static void
in_namespace(int (*body)(int jfd))
{
    pid_t pid;
    int st, jfd;

    if (geteuid() != 0) {
        skip();
        return;
    }
    if ((pid = fork()) == 0) {
        if ((jfd = fake_journald()) < 0)
            _exit(77);
        _exit(body(jfd));
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77) {
        skip();
        return;
    }
    assert_int_equal(WEXITSTATUS(st), 0);
}

#define CHILD_CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
                                        return 1; } } while (0)

static int
body_datagram(int jfd)
{
    static const struct log_sink js = { .kind = SINK_JOURNALD };
    struct sink_line l = mkline("{\"event\":\"os.system\"}", "os.system", 9, DECIDE_DENY);
    const char *name, *error;
    char buf[4096], err[128];
    uint64_t missed;
    int fd, up;
    ssize_t n;

    CHILD_CHECK(sinks_open(&js, 1, err, sizeof(err)) == 0);
    sinks_send(&l);
    CHILD_CHECK(sinks_changed(&name, &up, &error, &missed) == 0);
    n = receive(jfd, buf, sizeof(buf), &fd);
    CHILD_CHECK(n == (ssize_t)sizeof(plain_entry) - 1 && fd < 0);
    CHILD_CHECK(memcmp(buf, plain_entry, (size_t)n) == 0);
    /* journald goes away: the failure is noted, with its reason. */
    close(jfd);
    sinks_send(&l);
    CHILD_CHECK(sinks_changed(&name, &up, &error, &missed) == 1);
    CHILD_CHECK(strcmp(name, "journald") == 0 && up == 0 && error[0] != '\0');
    return 0;
}

static void
journald_datagram(void **state)
{
    (void)state;
    in_namespace(body_datagram);
}

/* Bigger than any datagram: the entry arrives whole in a sealed memfd. */
static int
body_memfd(int jfd)
{
    static const struct log_sink js = { .kind = SINK_JOURNALD };
    size_t big = 9 << 20;
    char *line = malloc(big + 1), *want, *got, err[128], buf[16];
    const char *name, *error;
    struct sink_line l;
    struct jbuf b;
    struct stat st;
    uint64_t missed;
    int fd, up, seals;

    CHILD_CHECK(line != NULL);
    memset(line, 'x', big);
    line[big] = '\0';
    l = mkline(line, "bulky", 5, DECIDE_ALLOW);
    jbuf_init(&b, NULL, 0, 0);
    journal_entry(&b, &l);
    CHILD_CHECK(!b.failed);
    want = b.p;
    CHILD_CHECK(sinks_open(&js, 1, err, sizeof(err)) == 0);
    sinks_send(&l);
    CHILD_CHECK(sinks_changed(&name, &up, &error, &missed) == 0);
    CHILD_CHECK(receive(jfd, buf, sizeof(buf), &fd) == 0 && fd >= 0);
    seals = fcntl(fd, F_GET_SEALS);
    CHILD_CHECK(seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)) ==
                (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW));
    CHILD_CHECK(fstat(fd, &st) == 0 && (size_t)st.st_size == b.len);
    CHILD_CHECK((got = malloc(b.len)) != NULL);
    CHILD_CHECK(pread(fd, got, b.len, 0) == (ssize_t)b.len);
    CHILD_CHECK(memcmp(got, want, b.len) == 0);
    return 0;
}

static void
journald_memfd(void **state)
{
    (void)state;
    in_namespace(body_memfd);
}

/* From the script's side: an event name made to forge fields, through the
 * line writer (escaped there) and the sink, read back as journald would. */
static int
body_line(int jfd)
{
    static const struct log_sink js = { .kind = SINK_JOURNALD };
    static const char escaped[] = "evil\\nSPYTHON_DECISION=allow\\nPRIORITY=6 res=success";
    char dir[] = "/tmp/spy-sinkproto.XXXXXX", path[64], err[256], buf[4096], sb[256];
    struct jfield f[16];
    struct jbuf b;
    int fd, n, i, decisions = 0;
    ssize_t len;

    CHILD_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/log", dir);
    CHILD_CHECK(log_open(path, err, sizeof(err)) == 0);
    CHILD_CHECK(line_start(NULL, 0, err, sizeof(err)) == 0);
    CHILD_CHECK(sinks_open(&js, 1, err, sizeof(err)) == 0);
    jbuf_init(&b, sb, sizeof(sb), 0);
    line_begin(&b, "evil\nSPYTHON_DECISION=allow\nPRIORITY=6 res=success");
    jbuf_lit(&b, "{}");
    CHILD_CHECK(line_finish(&b, DECIDE_DENY, NULL) == 0);
    jbuf_free(&b);
    len = receive(jfd, buf, sizeof(buf), &fd);
    CHILD_CHECK(len > 0);
    n = journal_parse(buf, (size_t)len, f, 16);
    CHILD_CHECK(n == 9);
    for (i = 0; i < n; i++) {
        if (strcmp(f[i].name, "SPYTHON_DECISION") == 0)
            CHILD_CHECK(decisions++ == 0 && f[i].n == 4 && memcmp(f[i].v, "deny", 4) == 0);
        if (strcmp(f[i].name, "PRIORITY") == 0)
            CHILD_CHECK(f[i].n == 1 && f[i].v[0] == '4');
        if (strcmp(f[i].name, "SPYTHON_EVENT") == 0)
            CHILD_CHECK(f[i].n == strlen(escaped) && memcmp(f[i].v, escaped, f[i].n) == 0);
    }
    CHILD_CHECK(decisions == 1);
    log_close();
    unlink(path);
    rmdir(dir);
    return 0;
}

static void
journald_line_no_forgery(void **state)
{
    (void)state;
    in_namespace(body_line);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(journal_field_forms),
        cmocka_unit_test(journal_entry_exact),
        cmocka_unit_test(journal_entry_no_forgery),
        cmocka_unit_test(audit_nv_encoding),
        cmocka_unit_test(audit_record_exact),
        cmocka_unit_test(audit_record_no_forgery),
        cmocka_unit_test(audit_record_long_event),
        cmocka_unit_test(journald_datagram),
        cmocka_unit_test(journald_memfd),
        cmocka_unit_test(journald_line_no_forgery),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
