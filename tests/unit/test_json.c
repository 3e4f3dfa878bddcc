/* The JSON writer: escaping, UTF-8 validation, growth and ceilings, numbers,
 * timestamps; big random inputs are checked against Python's json module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "audit/json.h"

#define PYTHON "/usr/bin/python3"

/* The output of one jbuf_str_utf8 call, NUL-terminated, for comparisons. */
static char *
enc_utf8(const char *s, size_t n)
{
    char stack[16], *out;
    struct jbuf b;

    jbuf_init(&b, stack, sizeof(stack), 0);
    jbuf_str_utf8(&b, s, n);
    assert_false(b.failed);
    out = strndup(b.p, b.len);
    jbuf_free(&b);
    return out;
}

static void
check_utf8(const char *in, size_t n, const char *want)
{
    char *got = enc_utf8(in, n);

    assert_string_equal(got, want);
    free(got);
}

#define CHECK_UTF8(in, want) check_utf8(in, sizeof(in) - 1, want)

static void
test_control_chars(void **state)
{
    static const char *const want[0x20] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006",
        "\\u0007", "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016",
        "\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d",
        "\\u001e", "\\u001f",
    };
    char in, expect[16];
    int c;

    for (c = 0; c < 0x20; c++) {
        in = (char)c;
        snprintf(expect, sizeof(expect), "\"%s\"", want[c]);
        check_utf8(&in, 1, expect);
    }
    CHECK_UTF8("\x7f", "\"\\u007f\"");
    CHECK_UTF8("a\nb\tc", "\"a\\nb\\tc\"");
}

static void
test_quote_backslash(void **state)
{
    CHECK_UTF8("a\"b\\c/", "\"a\\\"b\\\\c/\"");
    CHECK_UTF8("", "\"\"");
}

static void
test_valid_utf8_kept(void **state)
{
    /* The edges of every length class, and a few ordinary characters. */
    static const char *const valid[] = {
        "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
        "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", "\xe2\x80\xaa",
    };
    char want[64];
    size_t i;

    for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        snprintf(want, sizeof(want), "\"%s\"", valid[i]);
        check_utf8(valid[i], strlen(valid[i]), want);
    }
}

static void
test_invalid_utf8_escaped(void **state)
{
    CHECK_UTF8("\xc0\x80", "\"\\u00c0\\u0080\"");                    /* overlong NUL */
    CHECK_UTF8("\xc1\xbf", "\"\\u00c1\\u00bf\"");
    CHECK_UTF8("\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"");          /* overlong '/' */
    CHECK_UTF8("\xf0\x8f\xbf\xbf", "\"\\u00f0\\u008f\\u00bf\\u00bf\"");
    CHECK_UTF8("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");          /* U+D800 */
    CHECK_UTF8("\xed\xbf\xbf", "\"\\u00ed\\u00bf\\u00bf\"");          /* U+DFFF */
    CHECK_UTF8("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"");  /* U+110000 */
    CHECK_UTF8("\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\"");
    CHECK_UTF8("\xff\xfe", "\"\\u00ff\\u00fe\"");
    CHECK_UTF8("\x80x", "\"\\u0080x\"");                              /* stray continuation */
    CHECK_UTF8("\xe2\x82", "\"\\u00e2\\u0082\"");                     /* truncated at end */
    CHECK_UTF8("\xe2\x82" "A\xc3\xa9", "\"\\u00e2\\u0082A\xc3\xa9\"");
    CHECK_UTF8("\xf0\x9d\x84", "\"\\u00f0\\u009d\\u0084\"");
    CHECK_UTF8("\xc3", "\"\\u00c3\"");
}

/* Every byte value at every offset of a string long enough for the
 * word-at-a-time scan: the result is the byte's own escape among plain text. */
static void
test_special_byte_anywhere(void **state)
{
    char in[19], want[64], *one, *got;
    size_t pos;
    int c;

    for (c = 0; c < 256; c++) {
        in[0] = (char)c;
        one = enc_utf8(in, 1);
        one[strlen(one) - 1] = '\0';       /* drop the closing quote */
        for (pos = 0; pos < sizeof(in); pos++) {
            memset(in, 'a', sizeof(in));
            in[pos] = (char)c;
            snprintf(want, sizeof(want), "\"%.*s%s%.*s\"", (int)pos,
                     "aaaaaaaaaaaaaaaaaaa", one + 1,
                     (int)(sizeof(in) - pos - 1), "aaaaaaaaaaaaaaaaaaa");
            got = enc_utf8(in, sizeof(in));
            assert_string_equal(got, want);
            free(got);
        }
        free(one);
    }
}

static void
test_line_separators(void **state)
{
    CHECK_UTF8("a\xe2\x80\xa8" "b\xe2\x80\xa9", "\"a\\u2028b\\u2029\"");
}

static void
test_utf8_valid_len(void **state)
{
    assert_int_equal(utf8_valid_len((const unsigned char *)"A", 1), 1);
    assert_int_equal(utf8_valid_len((const unsigned char *)"\xc3\xa9", 2), 2);
    assert_int_equal(utf8_valid_len((const unsigned char *)"\xc3\xa9", 1), 0);
    assert_int_equal(utf8_valid_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
    assert_int_equal(utf8_valid_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);
    assert_int_equal(utf8_valid_len((const unsigned char *)"\xf4\x8f\xbf", 3), 0);
}

static char *
enc_codepoints(const uint32_t *cp, size_t n)
{
    char stack[8], *out;
    struct jbuf b;
    size_t i;

    jbuf_init(&b, stack, sizeof(stack), 0);
    jbuf_quote(&b);
    for (i = 0; i < n; i++)
        jbuf_codepoint(&b, cp[i]);
    jbuf_quote(&b);
    assert_false(b.failed);
    out = strndup(b.p, b.len);
    jbuf_free(&b);
    return out;
}

static void
test_codepoints(void **state)
{
    static const uint32_t cps[] = {
        'A', '"', '\\', '\n', 0x01, 0x1f, 0x7f, 0xe9, 0x7ff, 0x800, 0x20ac, 0xffff,
        0x1d11e, 0x10ffff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0x2028, 0x2029, 0x110000,
    };
    const char *want = "\"A\\\"\\\\\\n\\u0001\\u001f\\u007f\xc3\xa9\xdf\xbf\xe0\xa0\x80"
                       "\xe2\x82\xac\xef\xbf\xbf\xf0\x9d\x84\x9e\xf4\x8f\xbf\xbf"
                       "\\ud800\\udbff\\udc00\\udfff\\u2028\\u2029\\ufffd\"";
    char *got = enc_codepoints(cps, sizeof(cps) / sizeof(cps[0]));

    assert_string_equal(got, want);
    free(got);
}

static void
test_bytes(void **state)
{
    static const uint8_t in[] = { 'a', '"', '\\', 0x00, '\n', 0x7f, 0x80, 0xc3, 0xa9, 0xff };
    char stack[4];
    struct jbuf b;

    jbuf_init(&b, stack, sizeof(stack), 0);
    jbuf_str_bytes(&b, in, sizeof(in));
    assert_false(b.failed);
    assert_int_equal(b.len, strlen("\"a\\\"\\\\\\u0000\\u000a\\u007f\\u0080\\u00c3\\u00a9\\u00ff\""));
    assert_memory_equal(b.p, "\"a\\\"\\\\\\u0000\\u000a\\u007f\\u0080\\u00c3\\u00a9\\u00ff\"", b.len);
    jbuf_free(&b);
}

static void
test_growth(void **state)
{
    const size_t big = 3u << 20;
    char tiny[3], *in;
    struct jbuf b;

    in = malloc(big);
    assert_non_null(in);
    memset(in, 'x', big);
    in[big / 2] = '\n';

    jbuf_init(&b, tiny, sizeof(tiny), 0);
    jbuf_lit(&b, "ab");
    assert_false(b.on_heap);
    assert_ptr_equal(b.p, tiny);
    jbuf_str_utf8(&b, in, big);
    assert_false(b.failed);
    assert_true(b.on_heap);
    assert_int_equal(b.len, 2 + big + 1 + 2);       /* quotes, and \n became two */
    assert_true(b.cap >= b.len);
    assert_memory_equal(b.p, "ab\"xx", 5);
    assert_memory_equal(b.p + 3 + big / 2, "\\n", 2);
    assert_memory_equal(b.p + b.len - 2, "x\"", 2);
    jbuf_free(&b);

    /* No initial buffer at all. */
    jbuf_init(&b, NULL, 0, 0);
    jbuf_raw(&b, in, big);
    assert_false(b.failed);
    assert_int_equal(b.len, big);
    jbuf_free(&b);
    free(in);
}

static void
test_max_len(void **state)
{
    char stack[64];
    struct jbuf b;

    /* A ceiling below the stack buffer's size wins. */
    jbuf_init(&b, stack, sizeof(stack), 10);
    jbuf_lit(&b, "12345");
    jbuf_lit(&b, "67890");
    assert_false(b.failed);
    assert_int_equal(b.len, 10);
    jbuf_char(&b, 'x');
    assert_true(b.failed);
    jbuf_free(&b);

    /* A ceiling hit while on the heap; nothing is appended afterwards. */
    jbuf_init(&b, stack, 4, 1000);
    jbuf_lit(&b, "[");
    while (!b.failed)
        jbuf_i64(&b, 123456789);
    assert_true(b.len <= 1000);
    assert_true(b.on_heap);
    jbuf_char(&b, ']');
    jbuf_hex(&b, (const uint8_t *)"\x01", 1);
    jbuf_str_utf8(&b, "a", 1);
    assert_true(b.len <= 1000);
    assert_true(b.failed);
    jbuf_free(&b);
}

static char *
enc_number(int is_signed, int64_t i, uint64_t u)
{
    char stack[32];
    struct jbuf b;

    jbuf_init(&b, stack, sizeof(stack), 0);
    if (is_signed)
        jbuf_i64(&b, i);
    else
        jbuf_u64(&b, u);
    return strndup(b.p, b.len);
}

static void
check_number(int is_signed, int64_t i, uint64_t u, const char *want)
{
    char *got = enc_number(is_signed, i, u);

    assert_string_equal(got, want);
    free(got);
}

static void
test_integers(void **state)
{
    check_number(1, 0, 0, "0");
    check_number(1, -1, 0, "-1");
    check_number(1, 42, 0, "42");
    check_number(1, INT64_MIN, 0, "-9223372036854775808");
    check_number(1, INT64_MAX, 0, "9223372036854775807");
    check_number(0, 0, 0, "0");
    check_number(0, 0, UINT64_MAX, "18446744073709551615");
}

static void
test_hex(void **state)
{
    char stack[2];
    struct jbuf b;

    jbuf_init(&b, stack, sizeof(stack), 0);
    jbuf_hex(&b, (const uint8_t *)"\x00\xab\xff\x10", 4);
    jbuf_hex(&b, NULL, 0);
    assert_int_equal(b.len, 12);
    assert_memory_equal(b.p, "\"00abff10\"\"\"", 12);
    jbuf_free(&b);
}

/* The digit-pair table, for every byte value, against snprintf. */
static void
test_hex_every_byte(void **state)
{
    uint8_t all[256];
    char out[512], want[3];

    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    hex_lower(out, all, sizeof(all));
    for (int i = 0; i < 256; i++) {
        snprintf(want, sizeof(want), "%02x", i);
        assert_memory_equal(out + 2 * i, want, 2);
    }
}

static void
test_timestamp(void **state)
{
    const char *shape = "\"dddd-dd-ddTdd:dd:dd.ddddddZ\"";
    char stack[8], *s;
    struct jbuf b;
    struct tm tm;
    time_t before, after, t;
    size_t i;

    before = time(NULL);
    jbuf_init(&b, stack, sizeof(stack), 0);
    jbuf_timestamp(&b);
    after = time(NULL);
    assert_false(b.failed);
    assert_int_equal(b.len, strlen(shape));
    s = strndup(b.p, b.len);
    for (i = 0; shape[i]; i++) {
        if (shape[i] == 'd')
            assert_true(s[i] >= '0' && s[i] <= '9');
        else
            assert_int_equal(s[i], shape[i]);
    }
    memset(&tm, 0, sizeof(tm));
    assert_non_null(strptime(s + 1, "%Y-%m-%dT%H:%M:%S", &tm));
    t = timegm(&tm);
    assert_true(t >= before && t <= after);
    free(s);
    jbuf_free(&b);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random bytes that hit the interesting cases often: ASCII, controls, valid
 * sequences of every length, the edges of invalid ones, and pure noise. */
static void
fill_random(unsigned char *p, size_t n)
{
    static const char *const pieces[] = {
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
        "\xe2\x80\xa8", "\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
        "\"", "\\", "\x7f", "\n",
    };
    size_t i = 0, k;
    const char *piece;
    uint64_t r;

    while (i < n) {
        r = rng();
        switch (r % 4) {
        case 0:
            p[i++] = (unsigned char)(0x20 + (r >> 8) % 0x5f);
            break;
        case 1:
            p[i++] = (unsigned char)(r >> 8);
            break;
        default:
            piece = pieces[(r >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
            for (k = 0; piece[k] && i < n; k++)
                p[i++] = (unsigned char)piece[k];
        }
    }
}

/* Python decodes the output strictly as UTF-8 and as JSON, and checks it holds
 * the input: valid sequences as they were, each byte of an invalid one as the
 * code point of the same value (and every byte so for jbuf_str_bytes). */
static const char checker[] =
    "import codecs, json, sys\n"
    "codecs.register_error('bytes', lambda e: ("
    "''.join(map(chr, e.object[e.start:e.end])), e.end))\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "s = json.loads(open(sys.argv[2], 'rb').read().decode('utf-8'))\n"
    "assert s == data.decode('utf-8', 'bytes'), 'str_utf8 round trip'\n"
    "b = json.loads(open(sys.argv[3], 'rb').read().decode('utf-8'))\n"
    "assert b.encode('latin-1') == data, 'str_bytes round trip'\n";

static void
test_python_round_trip(void **state)
{
    static const size_t sizes[] = { 1, 17, 4096, 1u << 20 };
    char dir[] = "/tmp/spy-json.XXXXXX", in[64], out[64], outb[64], py[64], cmd[512];
    unsigned char *data;
    char stack[32];
    struct jbuf b;
    size_t i;

    if (access(PYTHON, X_OK) != 0)
        skip();
    assert_non_null(mkdtemp(dir));
    snprintf(in, sizeof(in), "%s/in", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(outb, sizeof(outb), "%s/outb", dir);
    snprintf(py, sizeof(py), "%s/check.py", dir);
    tu_write_file(py, checker, sizeof(checker) - 1);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        data = malloc(sizes[i]);
        assert_non_null(data);
        fill_random(data, sizes[i]);
        tu_write_file(in, (char *)data, sizes[i]);

        jbuf_init(&b, stack, sizeof(stack), 0);
        jbuf_str_utf8(&b, (char *)data, sizes[i]);
        assert_false(b.failed);
        tu_write_file(out, b.p, b.len);
        jbuf_free(&b);

        jbuf_init(&b, stack, sizeof(stack), 0);
        jbuf_str_bytes(&b, data, sizes[i]);
        assert_false(b.failed);
        tu_write_file(outb, b.p, b.len);
        jbuf_free(&b);
        free(data);

        snprintf(cmd, sizeof(cmd), PYTHON " -I %s %s %s %s", py, in, out, outb);
        assert_int_equal(system(cmd), 0);
    }
    unlink(in);
    unlink(out);
    unlink(outb);
    unlink(py);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_chars),
        cmocka_unit_test(test_quote_backslash),
        cmocka_unit_test(test_valid_utf8_kept),
        cmocka_unit_test(test_invalid_utf8_escaped),
        cmocka_unit_test(test_special_byte_anywhere),
        cmocka_unit_test(test_line_separators),
        cmocka_unit_test(test_utf8_valid_len),
        cmocka_unit_test(test_codepoints),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_max_len),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_hex_every_byte),
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_python_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
