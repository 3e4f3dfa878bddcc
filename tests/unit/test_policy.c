/* The policy parser, trust_check_path and policy_load. The trust tests build
 * small trees under /tmp, which is root-owned and sticky, so trusted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "policy/policy.h"
#include "policy/rules.h"

#define OTHER_UID 12345

/* ---- parser ---- */

static int
parse_len(const char *text, size_t len, struct policy *p, char *err, size_t errlen)
{
    return policy_parse_buffer("t.conf", text, len, p, err, errlen);
}

static void
expect_error(const char *text, size_t len, const char *want)
{
    struct policy p;
    char err[512] = "";

    assert_int_equal(parse_len(text, len, &p, err, sizeof(err)), -1);
    assert_string_equal(err, want);
    /* On failure everything is freed and the struct is left empty. */
    assert_null(p.keyrings);
    assert_null(p.log_path);
    assert_null(p.xattr);
}

#define EXPECT_ERROR(text, want) expect_error(text, sizeof(text) - 1, want)

static void
test_parse_full(void **state)
{
    static const char text[] =
        "# spython policy\n"
        "\n"
        "keyring /etc/spython/keys\n"
        "  keyring\t/etc/spython/extra.pem   # trailing comment\n"
        "xattr user.ima\n"
        "log /var/log/spython.log\r\n"
        "search-path /usr/lib/python3.11\n"
        "search-path /opt/app#1\n"
        "deny os.system\n"
        "deny ctypes.dlopen\n"
        "mode audit\n"
        "max-file-size 16M\n"
        "# no newline at the end\n"
        "deny subprocess.Popen";
    struct policy p;
    char err[256] = "";

    assert_int_equal(parse_len(text, sizeof(text) - 1, &p, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(p.n_keyrings, 2);
    assert_string_equal(p.keyrings[0], "/etc/spython/keys");
    assert_string_equal(p.keyrings[1], "/etc/spython/extra.pem");
    assert_string_equal(p.xattr, "user.ima");
    assert_string_equal(p.log_path, "/var/log/spython.log");
    assert_int_equal(p.n_search_path, 2);
    assert_string_equal(p.search_path[0], "/usr/lib/python3.11");
    assert_string_equal(p.search_path[1], "/opt/app#1");
    assert_int_equal(rules_count(p.rules), 3);     /* the deny lines: test_rules.c */
    assert_int_equal(p.mode, MODE_AUDIT);
    assert_int_equal(p.max_file_size, 16u << 20);
    policy_free(&p);
    assert_null(p.keyrings);
    policy_free(&p);                /* freeing twice is harmless */
}

static void
test_parse_defaults(void **state)
{
    struct policy p;
    char err[256];

    assert_int_equal(parse_len("", 0, &p, err, sizeof(err)), 0);
    assert_string_equal(p.xattr, POLICY_DEFAULT_XATTR);
    assert_int_equal(p.mode, MODE_ENFORCE);
    assert_int_equal(p.max_file_size, POLICY_DEFAULT_MAX_FILE_SIZE);
    assert_int_equal(p.n_keyrings, 0);
    assert_int_equal(p.n_search_path, 0);
    assert_int_equal(rules_count(p.rules), 0);
    assert_null(p.log_path);
    policy_free(&p);

    assert_int_equal(parse_len("# only a comment\n\n \t\n", 21, &p, err, sizeof(err)), 0);
    assert_int_equal(p.mode, MODE_ENFORCE);
    policy_free(&p);
}

static void
test_parse_errors(void **state)
{
    /* Lines 1 and 2 are a comment and a blank line, so line numbers count them. */
#define L3(s) "# policy\n\nkeyring /k\n" s
    EXPECT_ERROR(L3("frobnicate yes\n"), "t.conf:4: unknown directive 'frobnicate'");
    EXPECT_ERROR(L3("Keyring /k\n"), "t.conf:4: unknown directive 'Keyring'");
    EXPECT_ERROR(L3("keyring\n"), "t.conf:4: keyring: missing argument");
    EXPECT_ERROR(L3("log   # comment\n"), "t.conf:4: log: missing argument");
    EXPECT_ERROR(L3("mode enforce audit\n"), "t.conf:4: mode: too many arguments");
    EXPECT_ERROR(L3("log /a /b c d e f g h i\n"), "t.conf:4: log: too many arguments");
    EXPECT_ERROR(L3("keyring etc/keys\n"),
                 "t.conf:4: keyring: not an absolute path: 'etc/keys'");
    EXPECT_ERROR(L3("log spython.log\n"),
                 "t.conf:4: log: not an absolute path: 'spython.log'");
    EXPECT_ERROR(L3("search-path ./lib\n"),
                 "t.conf:4: search-path: not an absolute path: './lib'");
    EXPECT_ERROR(L3("mode permissive\n"),
                 "t.conf:4: mode: 'permissive' is not enforce, audit or learn");
    EXPECT_ERROR(L3("mode enforce#x\n"),
                 "t.conf:4: mode: 'enforce#x' is not enforce, audit or learn");
    EXPECT_ERROR(L3("max-file-size 12X\n"),
                 "t.conf:4: max-file-size: bad size '12X' (bytes, optionally with K, M or G)");
    EXPECT_ERROR(L3("max-file-size M\n"),
                 "t.conf:4: max-file-size: bad size 'M' (bytes, optionally with K, M or G)");
    EXPECT_ERROR(L3("max-file-size -1\n"),
                 "t.conf:4: max-file-size: bad size '-1' (bytes, optionally with K, M or G)");
    EXPECT_ERROR(L3("max-file-size 1.5M\n"),
                 "t.conf:4: max-file-size: bad size '1.5M' (bytes, optionally with K, M or G)");
    EXPECT_ERROR(L3("max-file-size 10k\n"),
                 "t.conf:4: max-file-size: bad size '10k' (bytes, optionally with K, M or G)");
    EXPECT_ERROR(L3("max-file-size 0\n"),
                 "t.conf:4: max-file-size: '0' out of range (1 to 4G)");
    EXPECT_ERROR(L3("max-file-size 4294967297\n"),
                 "t.conf:4: max-file-size: '4294967297' out of range (1 to 4G)");
    EXPECT_ERROR(L3("max-file-size 5G\n"),
                 "t.conf:4: max-file-size: '5G' out of range (1 to 4G)");
    EXPECT_ERROR(L3("max-file-size 18446744073709551617\n"),
                 "t.conf:4: max-file-size: '18446744073709551617' out of range (1 to 4G)");
    EXPECT_ERROR(L3("max-file-size 99999999999999999999999999999999999999K\n"),
                 "t.conf:4: max-file-size: '99999999999999999999999999999999999999K' "
                 "out of range (1 to 4G)");
    EXPECT_ERROR(L3("xattr system.posix_acl_access\n"),
                 "t.conf:4: xattr: bad name 'system.posix_acl_access' "
                 "(security.*, user.* or trusted.*)");
    EXPECT_ERROR(L3("xattr user.\n"),
                 "t.conf:4: xattr: bad name 'user.' (security.*, user.* or trusted.*)");
    EXPECT_ERROR(L3("deny caf\xc3\xa9\n"), "t.conf:4: deny: bad event name 'caf\xc3\xa9'");
    EXPECT_ERROR(L3("log /a\nmode audit\nlog /b\n"),
                 "t.conf:6: log: given twice (first on line 4)");
    EXPECT_ERROR(L3("mode audit\nmode audit\n"),
                 "t.conf:5: mode: given twice (first on line 4)");
    EXPECT_ERROR(L3("xattr user.a\nxattr user.a\n"),
                 "t.conf:5: xattr: given twice (first on line 4)");
    EXPECT_ERROR(L3("max-file-size 1\nmax-file-size 1\n"),
                 "t.conf:5: max-file-size: given twice (first on line 4)");
    EXPECT_ERROR(L3("keyring /a\0b\n"), "t.conf:4: NUL byte");
    EXPECT_ERROR(L3("# a comment hides nothing\0\n"), "t.conf:4: NUL byte");
    EXPECT_ERROR(L3("keyring /a\x01\n"), "t.conf:4: control character 0x01");
    EXPECT_ERROR(L3("keyring /a\rb\n"), "t.conf:4: control character 0x0d");
    EXPECT_ERROR(L3("keyring /a\r\r\n"), "t.conf:4: control character 0x0d");
    EXPECT_ERROR(L3("keyring /a\x7f\n"), "t.conf:4: control character 0x7f");
    EXPECT_ERROR(L3("keyring /caf\xc3\n"), "t.conf:4: invalid UTF-8");
    EXPECT_ERROR(L3("# \xed\xa0\x80 surrogate\n"), "t.conf:4: invalid UTF-8");
    EXPECT_ERROR(L3("keyring /\xc0\xaf\n"), "t.conf:4: invalid UTF-8");
#undef L3
}

/* digest-list PATH [sha256:HEX]: the pin is kept per list, in order. */
static void
test_parse_digest_pins(void **state)
{
    static const char text[] =
        "keyring /k\nlog /l\nsearch-path /s\n"
        "digest-list /a.dl\n"
        "digest-list /b.dl sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
    struct policy p;
    char err[512] = "";

    assert_int_equal(parse_len(text, sizeof(text) - 1, &p, err, sizeof(err)), 0);
    assert_int_equal(p.n_digest_lists, 2);
    assert_string_equal(p.digest_lists[1], "/b.dl");
    assert_false(p.digest_pins[0].set);
    assert_true(p.digest_pins[1].set);
    assert_int_equal(p.digest_pins[1].sha256[0], 0x00);
    assert_int_equal(p.digest_pins[1].sha256[9], 0x99);
    assert_int_equal(p.digest_pins[1].sha256[31], 0xff);
    policy_free(&p);

#define L3(s) "# policy\n\nkeyring /k\n" s
#define PIN_ERR "t.conf:4: digest-list: pin must be sha256: and 64 lowercase hex digits"
    EXPECT_ERROR(L3("digest-list /a.dl sha256:0011\n"),
                 PIN_ERR ", not 'sha256:0011'");
    EXPECT_ERROR(L3("digest-list /a.dl sha512:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"),
                 PIN_ERR ", not 'sha512:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'");
    EXPECT_ERROR(L3("digest-list /a.dl sha256:00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\n"),
                 PIN_ERR);
    EXPECT_ERROR(L3("digest-list /a.dl sha256:0011223344556677889 aabbccddeeff00112233445566778899aabbccddeeff\n"),
                 "t.conf:4: digest-list: too many arguments");
    EXPECT_ERROR(L3("digest-list a.dl sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"),
                 "t.conf:4: digest-list: not an absolute path: 'a.dl'");
#undef PIN_ERR
#undef L3
}

static void
test_parse_long_line(void **state)
{
    char text[4096 + 64];
    struct policy p;
    char err[256];

    /* 4096 bytes is the limit, whatever the line ending. */
    memset(text, '#', 4096);
    memcpy(text + 4096, "\nmode audit\n", 12);
    assert_int_equal(parse_len(text, 4096 + 12, &p, err, sizeof(err)), 0);
    assert_int_equal(p.mode, MODE_AUDIT);
    policy_free(&p);

    memcpy(text + 4096, "\r\n", 2);
    assert_int_equal(parse_len(text, 4096 + 2, &p, err, sizeof(err)), 0);
    policy_free(&p);

    assert_int_equal(parse_len(text, 4096, &p, err, sizeof(err)), 0);
    policy_free(&p);

    memcpy(text, "mode audit\n", 11);
    memset(text + 11, '#', 4097);
    expect_error(text, 11 + 4097, "t.conf:2: line longer than 4096 bytes");
    text[11 + 4097] = '\n';
    expect_error(text, 11 + 4098, "t.conf:2: line longer than 4096 bytes");
}

static void
test_parse_sizes(void **state)
{
    static const struct {
        const char *arg;
        uint64_t want;
    } cases[] = {
        { "1", 1 }, { "4096", 4096 }, { "10K", 10240 }, { "64M", 64ull << 20 },
        { "4G", 4ull << 30 }, { "4194304K", 4ull << 30 }, { "4096M", 4ull << 30 },
        { "4294967296", 4ull << 30 }, { "007", 7 },
    };
    struct policy p;
    char text[64], err[256];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "max-file-size %s\n", cases[i].arg);
        assert_int_equal(parse_len(text, strlen(text), &p, err, sizeof(err)), 0);
        assert_int_equal(p.max_file_size, cases[i].want);
        policy_free(&p);
    }
}

static void
test_parse_xattr_names(void **state)
{
    static const char *const good[] = { "security.ima", "user.ima", "trusted.x" };
    struct policy p;
    char text[64], err[256];
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(text, sizeof(text), "xattr %s\n", good[i]);
        assert_int_equal(parse_len(text, strlen(text), &p, err, sizeof(err)), 0);
        assert_string_equal(p.xattr, good[i]);
        policy_free(&p);
    }
}

/* ---- files for trust_check_path and policy_load ---- */

struct tree {
    char root[64];
};

static int
tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return -1;
    strcpy(t->root, "/tmp/spy-policy.XXXXXX");
    if (mkdtemp(t->root) == NULL || chmod(t->root, 0755) < 0)
        return -1;
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

/* root/rel, as a static buffer: tests use a few at a time, so a small ring. */
static const char *
at(void **state, const char *rel)
{
    static char ring[8][256];
    static int next;
    struct tree *t = *state;
    char *p = ring[next++ % 8];

    snprintf(p, sizeof(ring[0]), "%s/%s", t->root, rel);
    return p;
}

static const char *
mkdir_mode(void **state, const char *rel, mode_t mode)
{
    const char *p = at(state, rel);

    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static const char *
file_mode(void **state, const char *rel, const char *text, mode_t mode)
{
    const char *p = at(state, rel);
    FILE *f = fopen(p, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static void
expect_trusted(const char *path)
{
    char err[512] = "";

    if (trust_check_path(path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
}

static void
expect_untrusted(const char *path, const char *want)
{
    char err[512] = "";

    assert_int_equal(trust_check_path(path, err, sizeof(err)), -1);
    assert_string_equal(err, want);
}

static void
test_trust_good(void **state)
{
    struct stat st, want;
    const char *f;
    char err[256];

    mkdir_mode(state, "etc", 0755);
    f = file_mode(state, "etc/policy.conf", "x", 0644);
    expect_trusted(f);
    expect_trusted(file_mode(state, "etc/ro", "x", 0400));
    expect_trusted(mkdir_mode(state, "etc/keys", 0755));
    expect_trusted("/");

    assert_int_equal(trust_check_path_stat(f, &st, err, sizeof(err)), 0);
    assert_int_equal(stat(f, &want), 0);
    assert_int_equal(st.st_dev, want.st_dev);
    assert_int_equal(st.st_ino, want.st_ino);
}

static void
test_trust_bad_file(void **state)
{
    const char *f;

    mkdir_mode(state, "etc", 0755);
    f = file_mode(state, "etc/gw", "x", 0664);
    expect_untrusted(f, tu_fmt("%s: bad ownership or modes", f));
    f = file_mode(state, "etc/ww", "x", 0646);
    expect_untrusted(f, tu_fmt("%s: bad ownership or modes", f));
    /* A keyring directory anyone may add to is no keyring. */
    f = mkdir_mode(state, "etc/sticky-keys", 01777);
    expect_untrusted(f, tu_fmt("%s: bad ownership or modes", f));
    f = at(state, "etc/fifo");
    assert_int_equal(mkfifo(f, 0644), 0);
    expect_untrusted(f, tu_fmt("%s: not a regular file or directory", f));
}

static void
test_trust_bad_dirs(void **state)
{
    const char *d, *f;

    d = mkdir_mode(state, "ww", 0777);
    f = file_mode(state, "ww/f", "x", 0644);
    expect_untrusted(f, tu_fmt("%s: bad ownership or modes for directory %s", f, d));

    d = mkdir_mode(state, "gw", 0775);
    mkdir_mode(state, "gw/sub", 0755);
    f = file_mode(state, "gw/sub/f", "x", 0644);
    expect_untrusted(f, tu_fmt("%s: bad ownership or modes for directory %s", f, d));

}

/* Giving files away needs root. */
static void
test_trust_other_owner(void **state)
{
    const char *d, *f;

    if (geteuid() != 0)
        skip();
    mkdir_mode(state, "etc", 0755);
    f = file_mode(state, "etc/other", "x", 0644);
    assert_int_equal(chown(f, OTHER_UID, 0), 0);
    expect_untrusted(f, tu_fmt("%s: bad ownership or modes", f));

    d = mkdir_mode(state, "other", 0755);
    assert_int_equal(chown(d, OTHER_UID, 0), 0);
    f = file_mode(state, "other/f", "x", 0644);
    expect_untrusted(f, tu_fmt("%s: bad ownership or modes for directory %s", f, d));

    /* Sticky, but not root's: its owner may replace anything in it. */
    d = mkdir_mode(state, "other-sticky", 01777);
    assert_int_equal(chown(d, OTHER_UID, 0), 0);
    f = file_mode(state, "other-sticky/f", "x", 0644);
    expect_untrusted(f, tu_fmt("%s: bad ownership or modes for directory %s", f, d));
}

static void
test_trust_sticky_root_dir(void **state)
{
    mkdir_mode(state, "tmp", 01777);
    expect_trusted(file_mode(state, "tmp/f", "x", 0644));
    mkdir_mode(state, "tmp2", 01775);
    expect_trusted(file_mode(state, "tmp2/f", "x", 0644));
}

static void
test_trust_symlinks(void **state)
{
    const char *f, *l, *d;

    mkdir_mode(state, "etc", 0755);
    f = file_mode(state, "etc/policy.conf", "x", 0644);
    l = at(state, "etc/link.conf");
    assert_int_equal(symlink(f, l), 0);
    expect_untrusted(l, tu_fmt("%s: is a symbolic link", l));

    /* A link above the file is followed, and the real directories are checked. */
    l = at(state, "etc-link");
    assert_int_equal(symlink(at(state, "etc"), l), 0);
    expect_trusted(at(state, "etc-link/policy.conf"));

    d = mkdir_mode(state, "ww", 0777);
    file_mode(state, "ww/policy.conf", "x", 0644);
    l = at(state, "ww-link");
    assert_int_equal(symlink("ww", l), 0);
    f = at(state, "ww-link/policy.conf");
    expect_untrusted(f, tu_fmt("%s: bad ownership or modes for directory %s", f, d));
}

static void
test_trust_not_absolute(void **state)
{
    expect_untrusted("etc/policy.conf", "etc/policy.conf: not an absolute path");
    expect_untrusted("", ": not an absolute path");
}

static void
test_trust_missing(void **state)
{
    const char *f = at(state, "nope");

    expect_untrusted(f, tu_fmt("%s: No such file or directory", f));
}

/* ---- policy_load ---- */

static const char *
write_policy(void **state, const char *extra, mode_t mode)
{
    char text[2048];

    snprintf(text, sizeof(text),
             "keyring %s\n"
             "keyring %s\n"
             "log /var/log/spython.log\n"
             "search-path /usr/lib/python3\n"
             "%s",
             at(state, "keys"), at(state, "key.pem"), extra);
    return file_mode(state, "etc/policy.conf", text, mode);
}

static void
make_keys(void **state, mode_t dirmode)
{
    mkdir_mode(state, "etc", 0755);
    mkdir_mode(state, "keys", dirmode);
    file_mode(state, "keys/a.pem", "key", 0644);
    file_mode(state, "key.pem", "key", 0644);
}

static void
expect_load_error(const char *path, const char *want)
{
    struct policy p;
    char err[512] = "";

    assert_int_equal(policy_load(path, &p, err, sizeof(err)), -1);
    assert_string_equal(err, want);
    assert_null(p.keyrings);
    assert_null(p.log_path);
}

static void
test_load_good(void **state)
{
    struct policy p;
    char err[512] = "";
    const char *f;

    make_keys(state, 0755);
    f = write_policy(state, "mode audit\ndeny os.system\n", 0644);
    if (policy_load(f, &p, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(p.n_keyrings, 2);
    assert_string_equal(p.keyrings[0], at(state, "keys"));
    assert_string_equal(p.log_path, "/var/log/spython.log");
    assert_int_equal(p.n_search_path, 1);
    assert_int_equal(p.mode, MODE_AUDIT);
    assert_string_equal(p.xattr, POLICY_DEFAULT_XATTR);
    policy_free(&p);
}

static void
test_load_untrusted_policy(void **state)
{
    const char *f;

    make_keys(state, 0755);
    f = write_policy(state, "", 0664);
    expect_load_error(f, tu_fmt("%s: bad ownership or modes", f));
}

static void
test_load_untrusted_keyring(void **state)
{
    const char *f;

    make_keys(state, 0775);
    f = write_policy(state, "", 0644);
    expect_load_error(f, tu_fmt("%s: bad ownership or modes", at(state, "keys")));
}

static void
test_load_untrusted_key_file(void **state)
{
    const char *f;

    make_keys(state, 0755);
    assert_int_equal(chmod(at(state, "key.pem"), 0666), 0);
    f = write_policy(state, "", 0644);
    expect_load_error(f, tu_fmt("%s: bad ownership or modes", at(state, "key.pem")));
}

static void
test_load_missing_keyring(void **state)
{
    const char *f;

    mkdir_mode(state, "etc", 0755);
    mkdir_mode(state, "keys", 0755);
    f = write_policy(state, "", 0644);
    expect_load_error(f, tu_fmt("%s: No such file or directory", at(state, "key.pem")));
}

static void
test_load_required(void **state)
{
    const char *f;

    mkdir_mode(state, "etc", 0755);
    f = file_mode(state, "etc/p1", "keyring /k\nsearch-path /s\n", 0644);
    expect_load_error(f, tu_fmt("%s: no log directive", f));
    f = file_mode(state, "etc/p2", "log /l\nsearch-path /s\n", 0644);
    expect_load_error(f, tu_fmt("%s: no keyring directive", f));
    f = file_mode(state, "etc/p3", "log /l\nkeyring /k\n", 0644);
    expect_load_error(f, tu_fmt("%s: no search-path directive", f));
    f = file_mode(state, "etc/p4", "", 0644);
    expect_load_error(f, tu_fmt("%s: no log directive", f));
}

static void
test_load_parse_error_names_file(void **state)
{
    const char *f;

    make_keys(state, 0755);
    f = write_policy(state, "mode strict\n", 0644);
    expect_load_error(f, tu_fmt("%s:5: mode: 'strict' is not enforce, audit or learn", f));
}

static void
test_load_not_a_policy_file(void **state)
{
    const char *f, *l;
    FILE *fp;
    int i;

    mkdir_mode(state, "etc", 0755);
    f = mkdir_mode(state, "etc/dir", 0755);
    expect_load_error(f, tu_fmt("%s: not a regular file", f));

    f = file_mode(state, "etc/real.conf", "", 0644);
    l = at(state, "etc/link.conf");
    assert_int_equal(symlink(f, l), 0);
    expect_load_error(l, tu_fmt("%s: is a symbolic link", l));

    f = file_mode(state, "etc/big.conf", "", 0644);
    fp = fopen(f, "w");
    assert_non_null(fp);
    for (i = 0; i < (1 << 20) / 16 + 1; i++)
        fputs("# padding line\n\n", fp);
    assert_int_equal(fclose(fp), 0);
    expect_load_error(f, tu_fmt("%s: larger than 1048576 bytes", f));

    expect_load_error("policy.conf", "policy.conf: not an absolute path");
}

#define TREE_TEST(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_parse_defaults),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_digest_pins),
        cmocka_unit_test(test_parse_long_line),
        cmocka_unit_test(test_parse_sizes),
        cmocka_unit_test(test_parse_xattr_names),
        TREE_TEST(test_trust_good),
        TREE_TEST(test_trust_bad_file),
        TREE_TEST(test_trust_bad_dirs),
        TREE_TEST(test_trust_other_owner),
        TREE_TEST(test_trust_sticky_root_dir),
        TREE_TEST(test_trust_symlinks),
        TREE_TEST(test_trust_not_absolute),
        TREE_TEST(test_trust_missing),
        TREE_TEST(test_load_good),
        TREE_TEST(test_load_untrusted_policy),
        TREE_TEST(test_load_untrusted_keyring),
        TREE_TEST(test_load_untrusted_key_file),
        TREE_TEST(test_load_missing_keyring),
        TREE_TEST(test_load_required),
        TREE_TEST(test_load_parse_error_names_file),
        TREE_TEST(test_load_not_a_policy_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
