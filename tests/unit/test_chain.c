/* The hash chain (audit/chain.c) and the lines that carry it (audit/line.c):
 * what the writer seals, a verifier built from the same primitives must
 * accept, and any change must break. Lines are written by forked children:
 * a process starts its chain once. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "tests/unit/testutil.h"

#include "audit/chain.h"
#include "audit/line.h"
#include "audit/log.h"
#include "audit/sink.h"

static const uint8_t id_a[CHAIN_ID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t id_b[CHAIN_ID_LEN] = { 0xff, 0xee, 0xdd };
static const uint8_t root[32] = "0123456789abcdef0123456789abcde";

/* ---- primitives ---------------------------------------------------------- */

static void
test_hex(void **state)
{
    uint8_t in[4] = { 0x00, 0x9f, 0xa0, 0xff }, out[4];
    char hex[9];

    chain_hex(hex, in, 4);
    assert_string_equal(hex, "009fa0ff");
    assert_int_equal(chain_unhex(out, hex, 4), 0);
    assert_memory_equal(in, out, 4);
    /* The writer only writes lowercase: anything else is not its output. */
    assert_int_equal(chain_unhex(out, "009FA0FF", 4), -1);
    assert_int_equal(chain_unhex(out, "009fa0fg", 4), -1);
    assert_int_equal(chain_unhex(out, "0 9fa0ff", 4), -1);
}

static char *
with_tail(const char *body, const char *field, const char *hex)
{
    return strdup(tu_fmt("%s,\"%s\":\"%s\"}", body, field, hex));
}

static void
test_split(void **state)
{
    static const char *const h64 =
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    uint8_t hash[CHAIN_HASH_LEN];
    size_t body;
    int keyed;
    char *l;

    l = with_tail("{\"a\":1", "hash", h64);
    assert_int_equal(chain_split(l, strlen(l), &body, hash, &keyed), 1);
    assert_int_equal(body, 6);
    assert_int_equal(keyed, 0);
    assert_int_equal(hash[1], 0x11);
    free(l);
    l = with_tail("{\"a\":1", "hmac", h64);
    assert_int_equal(chain_split(l, strlen(l), &body, hash, &keyed), 1);
    assert_int_equal(keyed, 1);
    free(l);
    /* Other field, short or bad digest, missing "}", nothing before. */
    l = with_tail("{\"a\":1", "hasx", h64);
    assert_int_equal(chain_split(l, strlen(l), &body, hash, &keyed), 0);
    free(l);
    l = with_tail("{\"a\":1", "hash", "0011");
    assert_int_equal(chain_split(l, strlen(l), &body, hash, &keyed), 0);
    free(l);
    l = with_tail("{\"a\":1", "hash", h64);
    l[strlen(l) - 3] = 'X';
    assert_int_equal(chain_split(l, strlen(l), &body, hash, &keyed), 0);
    assert_int_equal(chain_split(l, strlen(l) - 1, &body, hash, &keyed), 0);
    free(l);
    l = with_tail("", "hash", h64);
    assert_int_equal(chain_split(l, strlen(l), &body, hash, &keyed), 0);
    free(l);
    assert_int_equal(chain_split("", 0, &body, hash, &keyed), 0);
}

static void
test_unkeyed_is_sha256(void **state)
{
    static const char body[] = "{\"event\":\"x\",\"seq\":1}";
    uint8_t want[32], got[32], again[32];
    unsigned int n;
    struct chain c;

    chain_init(&c, id_a, NULL, 0);
    assert_int_equal(c.seq, 0);
    assert_int_equal(c.keyed, 0);
    chain_hash(&c, body, strlen(body), got);
    assert_true(EVP_Digest(body, strlen(body), want, &n, EVP_sha256(), NULL));
    assert_memory_equal(got, want, 32);
    chain_advance(&c, got);
    assert_int_equal(c.seq, 1);
    assert_memory_equal(c.prev, got, 32);
    /* Unkeyed: the same bytes hash the same at any position. */
    chain_hash(&c, body, strlen(body), again);
    assert_memory_equal(again, got, 32);
}

static void
test_keyed_evolves(void **state)
{
    static const char body[] = "{\"event\":\"x\"}";
    uint8_t h1[32], h2[32], sha[32], k[32];
    struct chain c, same, other_root, other_id;
    unsigned int n;

    chain_init(&c, id_a, root, sizeof(root));
    chain_init(&same, id_a, root, sizeof(root));
    chain_init(&other_root, id_a, (const uint8_t *)"another key, 32 bytes long.....", 32);
    chain_init(&other_id, id_b, root, sizeof(root));
    assert_true(c.keyed);
    assert_memory_equal(c.key, same.key, 32);
    assert_memory_not_equal(c.key, other_root.key, 32);
    assert_memory_not_equal(c.key, other_id.key, 32);
    memcpy(k, c.key, 32);

    chain_hash(&c, body, strlen(body), h1);
    assert_true(EVP_Digest(body, strlen(body), sha, &n, EVP_sha256(), NULL));
    assert_memory_not_equal(h1, sha, 32);
    chain_advance(&c, h1);
    /* The key moved on: the same bytes seal differently at line 2, and
     * line 1's key is gone from the chain. */
    assert_memory_not_equal(c.key, k, 32);
    chain_hash(&c, body, strlen(body), h2);
    assert_memory_not_equal(h1, h2, 32);
    /* A verifier holding line 1's key gets line n's by evolving it. */
    for (int i = 0; i < 5; i++)
        chain_advance(&c, h2);
    chain_key_after(k, 6);
    assert_memory_equal(k, c.key, 32);
}

static void
test_fork_key(void **state)
{
    uint8_t k1[32], h[32] = { 7 };
    struct chain parent, child, at = { .keyed = 1 }, again;

    chain_init(&parent, id_a, root, sizeof(root));
    memcpy(k1, parent.key, 32);
    for (int i = 0; i < 9; i++)
        chain_advance(&parent, h);
    chain_init_fork(&child, &parent, id_b);
    assert_true(child.keyed);
    assert_int_equal(child.seq, 0);
    assert_memory_equal(child.id, id_b, CHAIN_ID_LEN);
    assert_memory_not_equal(child.key, parent.key, 32);
    /* What verify does: parent's first key, 9 lines on, then the fork. */
    memcpy(at.key, k1, 32);
    chain_key_after(at.key, 9);
    chain_init_fork(&again, &at, id_b);
    assert_memory_equal(again.key, child.key, 32);
    /* An unkeyed parent has unkeyed children. */
    chain_init(&parent, id_a, NULL, 0);
    chain_init_fork(&child, &parent, id_b);
    assert_false(child.keyed);
}

/* ---- lines, written by children ----------------------------------------- */

struct tree {
    char root[64];
    char log[128];
    char sock[128];
};

static int
tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return -1;
    strcpy(t->root, "/tmp/spy-chain.XXXXXX");
    if (mkdtemp(t->root) == NULL)
        return -1;
    snprintf(t->log, sizeof(t->log), "%s/audit.log", t->root);
    snprintf(t->sock, sizeof(t->sock), "%s/syslog.sock", t->root);
    *state = t;
    return 0;
}

static int
tree_teardown(void **state)
{
    struct tree *t = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
    free(t);
    return system(cmd) == 0 ? 0 : -1;
}

#define CHILD_CHECK(c)                                                  \
    do {                                                                \
        if (!(c)) {                                                     \
            fprintf(stderr, "child: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            _exit(1);                                                   \
        }                                                               \
    } while (0)

static void
child_line(const char *event, const char *args)
{
    struct jbuf b;
    char buf[256];

    jbuf_init(&b, buf, sizeof(buf), 0);
    line_begin(&b, event);
    jbuf_lit(&b, args);
    CHILD_CHECK(line_finish(&b, DECIDE_ALLOW, NULL) == 0);
    jbuf_free(&b);
}

static void
child_start(const struct tree *t, const uint8_t *key, size_t keylen)
{
    char err[256];

    CHILD_CHECK(log_open(t->log, err, sizeof(err)) == 0);
    CHILD_CHECK(line_start(key, keylen, err, sizeof(err)) == 0);
    /* Once per process. */
    CHILD_CHECK(line_start(key, keylen, err, sizeof(err)) == -1);
}

/* Run fn in a child; it must exit 0. */
static void
in_child(const struct tree *t, void (*fn)(const struct tree *))
{
    int status;
    pid_t pid;

    fflush(NULL);               /* or the child's exit() writes it again */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fn(t);
        exit(0);            /* atexit: the chain's spython.exit */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 1 << 20);

    assert_non_null(f);
    assert_non_null(buf);
    assert_true(fread(buf, 1, (1 << 20) - 1, f) < (1 << 20) - 1);
    fclose(f);
    return buf;
}

/* A verifier, written from the layout and chain.c alone: every chain's
 * lines in order, linked, and each hash right. Returns the number of
 * chains, all of which must end with spython.exit. */
struct seen {
    uint8_t id[CHAIN_ID_LEN];
    struct chain c;
    uint8_t k1[32];
    int closed;
};

static const char *
field(const char *line, const char *key)
{
    const char *p = strstr(line, tu_fmt(",\"%s\":", key));

    return p ? p + strlen(key) + 4 : NULL;
}

static int
verify_lines(char *text, const uint8_t *key, size_t keylen)
{
    struct seen seen[8];
    int n = 0;
    char *line, *save = NULL;

    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        uint8_t id[CHAIN_ID_LEN], prev[32], hash[32], want[32];
        const char *chain = field(line, "chain"), *prevhex = field(line, "prev"), *fork;
        unsigned long long seq = strtoull(field(line, "seq"), NULL, 10);
        struct seen *s = NULL;
        size_t body;
        int keyed, i;

        assert_non_null(chain);
        assert_int_equal(chain_unhex(id, chain + 1, CHAIN_ID_LEN), 0);
        assert_int_equal(chain_unhex(prev, prevhex + 1, 32), 0);
        assert_int_equal(chain_split(line, strlen(line), &body, hash, &keyed), 1);
        assert_int_equal(keyed, key != NULL);
        for (i = 0; i < n; i++)
            if (memcmp(seen[i].id, id, CHAIN_ID_LEN) == 0)
                s = &seen[i];
        if (s == NULL) {
            assert_true(n < 8);
            s = &seen[n++];
            memset(s, 0, sizeof(*s));
            memcpy(s->id, id, CHAIN_ID_LEN);
            assert_int_equal(seq, 1);
            if ((fork = field(line, "fork")) != NULL && key != NULL) {
                uint8_t pid[CHAIN_ID_LEN];
                struct chain at = { .keyed = 1 };
                struct seen *p = NULL;

                assert_int_equal(chain_unhex(pid, strstr(fork, "\"chain\":\"") + 9,
                                             CHAIN_ID_LEN), 0);
                for (i = 0; i < n; i++)
                    if (memcmp(seen[i].id, pid, CHAIN_ID_LEN) == 0)
                        p = &seen[i];
                assert_non_null(p);
                memcpy(at.key, p->k1, 32);
                chain_key_after(at.key, strtoull(strstr(fork, "\"seq\":") + 6, NULL, 10));
                chain_init_fork(&s->c, &at, id);
            } else {
                chain_init(&s->c, id, key, keylen);
            }
            memcpy(s->k1, s->c.key, 32);
        }
        assert_false(s->closed);
        assert_int_equal(seq, s->c.seq + 1);
        assert_memory_equal(prev, s->c.prev, 32);
        chain_hash(&s->c, line, body, want);
        assert_memory_equal(want, hash, 32);
        chain_advance(&s->c, hash);
        if (strstr(line, "\"event\":\"spython.exit\"") != NULL) {
            assert_non_null(strstr(line, tu_fmt("\"lines\":%llu", seq)));
            s->closed = 1;
        }
    }
    for (int i = 0; i < n; i++)
        assert_true(seen[i].closed);
    return n;
}

static void
write_family(const struct tree *t)
{
    pid_t pid;
    int status;

    child_line("test.one", "[1]");
    child_line("test.two", "{\"k\":\"v\"}");
    /* The script closes the log's fd: reopened, and noted in the chain. */
    close(log_fd());
    child_line("test.three", "[]");
    fflush(NULL);
    pid = fork();
    CHILD_CHECK(pid >= 0);
    if (pid == 0) {
        child_line("test.grandchild", "[]");
        exit(0);
    }
    CHILD_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                WEXITSTATUS(status) == 0);
    child_line("test.four", "[]");
    line_end(3);
    line_end(4);                /* once only */
}

static void
unkeyed_family(const struct tree *t)
{
    child_start(t, NULL, 0);
    write_family(t);
}

static void
keyed_family(const struct tree *t)
{
    child_start(t, root, sizeof(root));
    write_family(t);
}

static void
test_lines_unkeyed(void **state)
{
    struct tree *t = *state;
    char *text;

    in_child(t, unkeyed_family);
    text = slurp(t->log);
    assert_non_null(strstr(text, "\"event\":\"spython.log-reopened\",\"args\":"
                                 "{\"reason\":\"fd closed\"}"));
    assert_non_null(strstr(text, "\"fork\":{\"chain\":\""));
    assert_non_null(strstr(text, "\"args\":{\"lines\":6,\"status\":3}"));
    assert_null(strstr(text, "\"status\":4"));
    assert_null(strstr(text, "\"hmac\""));
    assert_int_equal(verify_lines(text, NULL, 0), 2);
    free(text);
}

static void
test_lines_keyed(void **state)
{
    struct tree *t = *state;
    char *text;

    in_child(t, keyed_family);
    text = slurp(t->log);
    assert_null(strstr(text, "\"hash\""));
    assert_int_equal(verify_lines(text, root, sizeof(root)), 2);
    free(text);
}

/* Any one byte changed in a sealed line, and its hash no longer holds. */
static void
test_any_change_breaks(void **state)
{
    struct tree *t = *state;
    uint8_t id[CHAIN_ID_LEN], hash[32], want[32];
    char *text, *line;
    struct chain c;
    size_t body, i;
    int keyed;

    in_child(t, keyed_family);
    text = slurp(t->log);
    line = text;
    *strchr(line, '\n') = '\0';
    assert_int_equal(chain_split(line, strlen(line), &body, hash, &keyed), 1);
    assert_int_equal(chain_unhex(id, field(line, "chain") + 1, CHAIN_ID_LEN), 0);
    for (i = 0; i < body; i++) {
        chain_init(&c, id, root, sizeof(root));
        line[i] ^= 0x01;
        chain_hash(&c, line, body, want);
        assert_memory_not_equal(want, hash, 32);
        line[i] ^= 0x01;
    }
    chain_hash(&c, line, body, want);
    assert_memory_equal(want, hash, 32);
    free(text);
}

/* ---- the syslog sink ------------------------------------------------------------- */

static char sink_path[128];

static void
syslog_child(const struct tree *t)
{
    struct log_sink s = { SINK_SYSLOG, sink_path };
    char err[256];

    child_start(t, NULL, 0);
    CHILD_CHECK(sinks_open(&s, 1, err, sizeof(err)) == 0);
    child_line("test.sink", "[\"to syslog\"]");
}

static void
test_syslog_sink(void **state)
{
    struct tree *t = *state;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { 5, 0 };
    char msg[4096], *text, *nl;
    ssize_t n;
    int fd;

    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    strcpy(sa.sun_path, t->sock);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    strcpy(sink_path, t->sock);
    in_child(t, syslog_child);

    /* The first line is the sink's test.sink line, then spython.exit. */
    n = recv(fd, msg, sizeof(msg) - 1, 0);
    assert_true(n > 0);
    msg[n] = '\0';
    /* <authpriv.info>1 TIMESTAMP HOST spython PID MSGID - LINE */
    assert_memory_equal(msg, "<86>1 20", 8);
    assert_non_null(strstr(msg, " spython "));
    assert_non_null(strstr(msg, " test.sink - {\"ts\":"));
    text = slurp(t->log);
    nl = strchr(text, '\n');
    *nl = '\0';
    assert_string_equal(strstr(msg, " - {") + 3, text);
    n = recv(fd, msg, sizeof(msg) - 1, 0);
    assert_true(n > 0);
    msg[n] = '\0';
    assert_non_null(strstr(msg, " spython.exit - {"));
    free(text);
    close(fd);
}

/* No collector at the socket: the file has every line, and says so. */
static void
test_syslog_sink_down(void **state)
{
    struct tree *t = *state;
    char *text;

    strcpy(sink_path, t->sock);
    in_child(t, syslog_child);
    text = slurp(t->log);
    assert_non_null(strstr(text, "\"event\":\"test.sink\""));
    assert_non_null(strstr(text, "\"event\":\"spython.sink-failed\",\"args\":{\"sink\":\"syslog\","
                                 "\"error\":\"No such file or directory\"}"));
    assert_int_equal(verify_lines(text, NULL, 0), 1);
    free(text);
}

#define TREE_TEST(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_unkeyed_is_sha256),
        cmocka_unit_test(test_keyed_evolves),
        cmocka_unit_test(test_fork_key),
        TREE_TEST(test_lines_unkeyed),
        TREE_TEST(test_lines_keyed),
        TREE_TEST(test_any_change_breaks),
        TREE_TEST(test_syslog_sink),
        TREE_TEST(test_syslog_sink_down),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
