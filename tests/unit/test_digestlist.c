/* digestlist.c: the list layout, lookups, and code files accepted through a list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include <openssl/evp.h>

#include "verify/digestlist.h"
#include "verify/keyring.h"
#include "verify/sig.h"
#include "verify/verify.h"

#define ROW DIGESTLIST_DIGEST_LEN

static void
sha256(const void *p, size_t n, uint8_t out[ROW])
{
    unsigned int len;

    assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL), 1);
    assert_int_equal(len, ROW);
}

/* A well-formed list of the digests of "file 0" .. "file n-1", on the heap. */
static uint8_t *
make_list(size_t n, size_t *len)
{
    uint8_t *buf = malloc(DIGESTLIST_HDR_LEN + n * ROW + 1);
    char text[32];

    assert_non_null(buf);
    for (size_t i = 0; i < n; i++) {
        snprintf(text, sizeof(text), "file %zu", i);
        sha256(text, strlen(text), buf + DIGESTLIST_HDR_LEN + i * ROW);
    }
    n = digestlist_sort(buf + DIGESTLIST_HDR_LEN, n);
    digestlist_header(buf, n);
    *len = DIGESTLIST_HDR_LEN + n * ROW;
    return buf;
}

static int
listed(const struct digest_set *s, const char *text)
{
    uint8_t d[ROW];

    sha256(text, strlen(text), d);
    return digest_set_contains(s, d);
}

static void
test_header(void **state)
{
    uint8_t hdr[DIGESTLIST_HDR_LEN];

    digestlist_header(hdr, 0x0102);
    assert_memory_equal(hdr, "SPYDLST1", 8);
    assert_int_equal(hdr[8], IMA_HASH_SHA256);
    assert_int_equal(hdr[22], 0x01);
    assert_int_equal(hdr[23], 0x02);
    for (int i = 9; i < 16; i++)
        assert_int_equal(hdr[i], 0);
    for (int i = 24; i < 32; i++)
        assert_int_equal(hdr[i], 0);
}

static void
test_sort_drops_duplicates(void **state)
{
    uint8_t rows[4 * ROW];

    memset(rows, 0, sizeof(rows));
    rows[0 * ROW] = 3;
    rows[1 * ROW] = 1;
    rows[2 * ROW] = 3;
    rows[3 * ROW] = 2;
    assert_int_equal(digestlist_sort(rows, 4), 3);
    assert_int_equal(rows[0 * ROW], 1);
    assert_int_equal(rows[1 * ROW], 2);
    assert_int_equal(rows[2 * ROW], 3);
    assert_int_equal(digestlist_sort(rows, 0), 0);
}

static void
test_lookup(void **state)
{
    struct digest_set *s = digest_set_new();
    const char *why = NULL;
    size_t len;
    uint8_t *a = make_list(1000, &len), *b;

    assert_non_null(s);
    assert_false(listed(s, "file 0"));
    assert_int_equal(digest_set_add(s, a, len, &why), 0);
    assert_int_equal(digest_set_count(s), 1000);
    for (int i = 0; i < 1000; i++)
        assert_true(listed(s, tu_fmt("file %d", i)));
    assert_false(listed(s, "file 1000"));
    assert_false(listed(s, "file -1"));

    /* A second list adds to the first. */
    b = malloc(DIGESTLIST_HDR_LEN + ROW);
    assert_non_null(b);
    sha256("other", 5, b + DIGESTLIST_HDR_LEN);
    digestlist_header(b, 1);
    assert_int_equal(digest_set_add(s, b, DIGESTLIST_HDR_LEN + ROW, &why), 0);
    assert_int_equal(digest_set_count(s), 1001);
    assert_true(listed(s, "other"));
    assert_true(listed(s, "file 999"));
    digest_set_free(s);
}

static void
test_empty_list(void **state)
{
    struct digest_set *s = digest_set_new();
    const char *why = NULL;
    size_t len;
    uint8_t *a = make_list(0, &len);

    assert_int_equal(len, DIGESTLIST_HDR_LEN);
    assert_int_equal(digest_set_add(s, a, len, &why), 0);
    assert_int_equal(digest_set_count(s), 0);
    assert_false(listed(s, "file 0"));
    digest_set_free(s);
}

/* Each damage is refused with its reason and leaves buf to the caller. */
static void
expect_refused(uint8_t *buf, size_t len, const char *reason)
{
    struct digest_set *s = digest_set_new();
    const char *why = NULL;

    assert_int_equal(digest_set_add(s, buf, len, &why), -1);
    assert_string_equal(why, reason);
    assert_int_equal(digest_set_count(s), 0);
    digest_set_free(s);
}

static void
test_bad_layouts(void **state)
{
    size_t len;
    uint8_t *a = make_list(3, &len);
    uint8_t *c = malloc(len);
    uint8_t row[ROW];

    assert_non_null(c);
#define DAMAGED(what, reason) do { memcpy(c, a, len); what; expect_refused(c, len, reason); } while (0)
    DAMAGED(c[0] = 's', "not a digest list");
    DAMAGED(c[8] = IMA_HASH_SHA512, "digest list of another hash than sha256");
    DAMAGED(c[9] = 1, "digest list header does not match its length");
    DAMAGED(c[31] = 1, "digest list header does not match its length");
    DAMAGED(c[23] = 4, "digest list header does not match its length");
    DAMAGED(c[23] = 2, "digest list header does not match its length");
    DAMAGED(memcpy(row, c + 32, ROW); memcpy(c + 32, c + 64, ROW); memcpy(c + 64, row, ROW),
            "digest list not in ascending order");
    DAMAGED(memcpy(c + 64, c + 32, ROW), "digest list not in ascending order");
#undef DAMAGED
    expect_refused(a, len - 1, "digest list header does not match its length");
    expect_refused(a, len + 1, "digest list header does not match its length");
    expect_refused(a, DIGESTLIST_HDR_LEN - 1, "not a digest list");
    expect_refused(a, 0, "not a digest list");
    free(c);
    free(a);
}

static void
test_match_fills_info(void **state)
{
    struct digest_set *s = digest_set_new();
    struct verify_info info;
    const char *why = NULL;
    size_t len;
    uint8_t *a = make_list(10, &len), d[ROW];

    /* Nothing listed: nothing hashed, info untouched. */
    memset(&info, 0, sizeof(info));
    assert_int_equal(digest_set_match(NULL, (const uint8_t *)"file 1", 6, &info), 0);
    assert_int_equal(digest_set_match(s, (const uint8_t *)"file 1", 6, &info), 0);
    assert_int_equal(info.digest_len, 0);

    assert_int_equal(digest_set_add(s, a, len, &why), 0);
    assert_int_equal(digest_set_match(s, (const uint8_t *)"file 1", 6, &info), 1);
    sha256("file 1", 6, d);
    assert_int_equal(info.hash_algo, IMA_HASH_SHA256);
    assert_int_equal(info.digest_len, ROW);
    assert_memory_equal(info.digest, d, ROW);

    /* A miss still names the bytes. */
    memset(&info, 0, sizeof(info));
    assert_int_equal(digest_set_match(s, (const uint8_t *)"file 1\n", 7, &info), 0);
    sha256("file 1\n", 7, d);
    assert_int_equal(info.digest_len, ROW);
    assert_memory_equal(info.digest, d, ROW);
    assert_int_equal(digest_set_match(s, (const uint8_t *)"file 2", 6, NULL), 1);
    digest_set_free(s);
}

/* The one file-check routine takes a listed digest for a signature, and
 * nothing else: changed bytes or no list leave the file unsigned. */
static void
test_code_file_through_list(void **state)
{
    static const char text[] = "print('listed')\n";
    char dir[] = "/tmp/spy-dl.XXXXXX", path[64];
    struct keyring *kr = keyring_new();
    struct digest_set *s = digest_set_new();
    struct verify_cfg cfg = { .keyring = kr, .xattr_name = "user.ima", .max_file_size = 1 << 20 };
    struct verify_info info;
    struct code_file cf;
    const char *why = NULL;
    uint8_t *list = malloc(DIGESTLIST_HDR_LEN + ROW), d[ROW];
    int err = 0;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/listed.py", dir);
    tu_write_file(path, text, strlen(text));
    sha256(text, strlen(text), d);
    memcpy(list + DIGESTLIST_HDR_LEN, d, ROW);
    digestlist_header(list, 1);
    assert_int_equal(digest_set_add(s, list, DIGESTLIST_HDR_LEN + ROW, &why), 0);

    assert_int_equal(code_file_read(&cfg, path, &cf, &info, &err), V_NO_SIGNATURE);
    code_file_free(&cf);

    cfg.digests = s;
    assert_int_equal(code_file_read(&cfg, path, &cf, &info, &err), V_OK);
    assert_int_equal(cf.len, strlen(text));
    assert_memory_equal(cf.data, text, cf.len);
    assert_int_equal(info.hash_algo, IMA_HASH_SHA256);
    assert_memory_equal(info.digest, d, ROW);
    assert_false(info.have_keyid);
    code_file_free(&cf);

    tu_write_file(path, "print('changed')\n", 17);
    assert_int_equal(code_file_read(&cfg, path, &cf, &info, &err), V_NO_SIGNATURE);
    assert_int_equal(info.digest_len, ROW);     /* the log still names the bytes */
    code_file_free(&cf);

    unlink(path);
    rmdir(dir);
    digest_set_free(s);
    keyring_free(kr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_sort_drops_duplicates),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_empty_list),
        cmocka_unit_test(test_bad_layouts),
        cmocka_unit_test(test_match_fills_info),
        cmocka_unit_test(test_code_file_through_list),
    };

    return cmocka_run_group_tests_name("digestlist", tests, NULL, NULL);
}
