/* sig.c: the IMA v2 xattr parser and writer, and the hash algorithm table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "verify/sig.h"
#include "verify/verify.h"

/* A well-formed v2 signature with n signature bytes, in an exact-size heap
 * buffer so that valgrind or ASan catches any read past its end. */
static uint8_t *
make_sig(uint8_t algo, size_t n, size_t *len)
{
    uint8_t *b;

    *len = IMA_SIG_V2_HDR_LEN + n;
    b = malloc(*len);
    assert_non_null(b);
    b[0] = IMA_XATTR_DIGSIG;
    b[1] = IMA_SIG_V2;
    b[2] = algo;
    b[3] = 0xde; b[4] = 0xad; b[5] = 0xbe; b[6] = 0xef;
    b[7] = (uint8_t)(n >> 8);
    b[8] = (uint8_t)n;
    for (size_t i = 0; i < n; i++)
        b[IMA_SIG_V2_HDR_LEN + i] = (uint8_t)(i * 7 + 1);
    return b;
}

static enum verdict
parse_copy(const uint8_t *src, size_t len)
{
    struct ima_sig s;
    uint8_t *b = malloc(len ? len : 1);
    enum verdict v;

    assert_non_null(b);
    memcpy(b, src, len);
    v = sig_parse_ima_v2(b, len, &s);
    free(b);
    return v;
}

static void
test_parse_valid(void **state)
{
    struct ima_sig s;
    size_t len;
    uint8_t *b = make_sig(IMA_HASH_SHA256, 256, &len);
    const uint8_t id[4] = { 0xde, 0xad, 0xbe, 0xef };

    assert_int_equal(sig_parse_ima_v2(b, len, &s), V_OK);
    assert_int_equal(s.hash_algo, IMA_HASH_SHA256);
    assert_memory_equal(s.keyid, id, 4);
    assert_int_equal(s.sig_len, 256);
    assert_ptr_equal(s.sig, b + IMA_SIG_V2_HDR_LEN);
    free(b);
}

static void
test_parse_truncated_everywhere(void **state)
{
    size_t len;
    uint8_t *b = make_sig(IMA_HASH_SHA512, 72, &len);

    assert_int_equal(parse_copy(b, 0), V_NO_SIGNATURE);
    for (size_t cut = 1; cut < len; cut++)
        assert_int_equal(parse_copy(b, cut), V_MALFORMED);
    assert_int_equal(parse_copy(b, len), V_OK);
    free(b);
}

static void
test_parse_size_limits(void **state)
{
    size_t len;
    uint8_t *b;

    b = make_sig(IMA_HASH_SHA256, IMA_SIG_MAX_LEN, &len);
    assert_int_equal(parse_copy(b, len), V_OK);
    free(b);
    b = make_sig(IMA_HASH_SHA256, IMA_SIG_MAX_LEN + 1, &len);
    assert_int_equal(parse_copy(b, len), V_MALFORMED);
    free(b);
    b = make_sig(IMA_HASH_SHA256, 0xffff, &len);
    assert_int_equal(parse_copy(b, len), V_MALFORMED);
    free(b);
    b = make_sig(IMA_HASH_SHA256, 0, &len);
    assert_int_equal(parse_copy(b, len), V_MALFORMED);
    free(b);
}

static void
test_parse_sig_size_mismatch(void **state)
{
    size_t len;
    uint8_t *b = make_sig(IMA_HASH_SHA256, 64, &len), *big;

    /* Header says 64; buffer one short (already covered) and one long. */
    big = malloc(len + 1);
    assert_non_null(big);
    memcpy(big, b, len);
    big[len] = 0;
    assert_int_equal(parse_copy(big, len + 1), V_MALFORMED);
    /* Header says 63 or 65 over the same 64 bytes. */
    b[8] = 63;
    assert_int_equal(parse_copy(b, len), V_MALFORMED);
    b[8] = 65;
    assert_int_equal(parse_copy(b, len), V_MALFORMED);
    b[8] = 64;
    b[7] = 1;                       /* 320 */
    assert_int_equal(parse_copy(b, len), V_MALFORMED);
    free(big);
    free(b);
}

static void
test_parse_wrong_type_version(void **state)
{
    static const uint8_t types[] = { 0x00, 0x01, 0x02, 0x05, 0x06, 0x7f, 0xff };
    static const uint8_t versions[] = { 0x00, 0x01, 0x03, 0xff };
    size_t len;
    uint8_t *b = make_sig(IMA_HASH_SHA256, 32, &len);

    for (size_t i = 0; i < sizeof(types); i++) {
        b[0] = types[i];
        assert_int_equal(parse_copy(b, len), V_MALFORMED);
        assert_int_equal(parse_copy(b, 1), V_MALFORMED);
    }
    b[0] = IMA_XATTR_DIGSIG;
    for (size_t i = 0; i < sizeof(versions); i++) {
        b[1] = versions[i];
        assert_int_equal(parse_copy(b, len), V_MALFORMED);
    }
    free(b);
}

static void
test_parse_hash_only(void **state)
{
    uint8_t b[1 + 1 + 32] = { IMA_XATTR_DIGEST_NG, IMA_HASH_SHA256 };

    assert_int_equal(parse_copy(b, sizeof(b)), V_NO_SIGNATURE);
    assert_int_equal(parse_copy(b, 1), V_NO_SIGNATURE);
}

static void
test_parse_hash_algos(void **state)
{
    static const struct { uint8_t id; enum verdict v; } cases[] = {
        { IMA_HASH_SHA256, V_OK },
        { IMA_HASH_SHA384, V_OK },
        { IMA_HASH_SHA512, V_OK },
        { IMA_HASH_SHA224, V_OK },
        { IMA_HASH_MD5, V_UNSUPPORTED_HASH },
        { IMA_HASH_SHA1, V_UNSUPPORTED_HASH },
        { 0, V_UNSUPPORTED_HASH },
        { 3, V_UNSUPPORTED_HASH },   /* rmd160 */
        { 8, V_UNSUPPORTED_HASH },
        { 17, V_UNSUPPORTED_HASH },  /* sm3 */
        { 255, V_UNSUPPORTED_HASH },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        uint8_t *b = make_sig(cases[i].id, 48, &len);

        assert_int_equal(parse_copy(b, len), cases[i].v);
        /* A malformed signature is malformed whatever algorithm it names. */
        assert_int_equal(parse_copy(b, len - 1), V_MALFORMED);
        free(b);
    }
}

/* Deterministic garbage: the parser must not crash or read out of bounds, and
 * anything it accepts must be self-consistent. */
static void
test_parse_garbage(void **state)
{
    uint32_t x = 2463534242u;
    struct ima_sig s;

    for (int round = 0; round < 20000; round++) {
        size_t len = (x = x * 1103515245u + 12345u) % 64;
        uint8_t *b = malloc(len ? len : 1);
        enum verdict v;

        assert_non_null(b);
        for (size_t i = 0; i < len; i++)
            b[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
        /* Make a good share of them plausible so deeper checks run. */
        if (len > 8 && round % 2 == 0) {
            b[0] = IMA_XATTR_DIGSIG;
            b[1] = IMA_SIG_V2;
            b[7] = 0;
            if (round % 4 == 0)
                b[8] = (uint8_t)(len - IMA_SIG_V2_HDR_LEN);
        }
        v = sig_parse_ima_v2(b, len, &s);
        assert_true(v == V_OK || v == V_NO_SIGNATURE || v == V_MALFORMED ||
                    v == V_UNSUPPORTED_HASH);
        if (v == V_OK) {
            assert_int_equal(IMA_SIG_V2_HDR_LEN + s.sig_len, len);
            assert_ptr_equal(s.sig, b + IMA_SIG_V2_HDR_LEN);
            assert_non_null(sig_hash_name(s.hash_algo));
        }
        free(b);
    }
}

static void
test_write_round_trip(void **state)
{
    static const uint8_t algos[] = { IMA_HASH_SHA256, IMA_HASH_SHA384,
                                     IMA_HASH_SHA512, IMA_HASH_SHA224 };
    static const size_t lens[] = { 1, 71, 256, 512, IMA_SIG_MAX_LEN };
    uint8_t sig[IMA_SIG_MAX_LEN], out[IMA_SIG_V2_HDR_LEN + IMA_SIG_MAX_LEN];
    struct ima_sig in = { .keyid = { 1, 2, 3, 4 }, .sig = sig }, back;

    for (size_t i = 0; i < sizeof(sig); i++)
        sig[i] = (uint8_t)(255 - i);
    for (size_t a = 0; a < sizeof(algos); a++) {
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            size_t n;

            in.hash_algo = algos[a];
            in.sig_len = lens[l];
            n = sig_write_ima_v2(&in, out, sizeof(out));
            assert_int_equal(n, IMA_SIG_V2_HDR_LEN + lens[l]);
            assert_int_equal(out[0], IMA_XATTR_DIGSIG);
            assert_int_equal(out[1], IMA_SIG_V2);
            assert_int_equal(out[7] << 8 | out[8], lens[l]);
            assert_int_equal(sig_parse_ima_v2(out, n, &back), V_OK);
            assert_int_equal(back.hash_algo, algos[a]);
            assert_memory_equal(back.keyid, in.keyid, 4);
            assert_int_equal(back.sig_len, lens[l]);
            assert_memory_equal(back.sig, sig, lens[l]);
        }
    }
}

static void
test_write_limits(void **state)
{
    uint8_t sig[IMA_SIG_MAX_LEN + 1] = { 0 }, out[IMA_SIG_V2_HDR_LEN + IMA_SIG_MAX_LEN + 1];
    struct ima_sig in = { .hash_algo = IMA_HASH_SHA256, .sig = sig, .sig_len = 100 };

    assert_int_equal(sig_write_ima_v2(&in, out, IMA_SIG_V2_HDR_LEN + 99), 0);
    assert_int_equal(sig_write_ima_v2(&in, out, IMA_SIG_V2_HDR_LEN + 100), IMA_SIG_V2_HDR_LEN + 100);
    assert_int_equal(sig_write_ima_v2(&in, out, 0), 0);
    in.sig_len = 0;
    assert_int_equal(sig_write_ima_v2(&in, out, sizeof(out)), 0);
    in.sig_len = IMA_SIG_MAX_LEN + 1;
    assert_int_equal(sig_write_ima_v2(&in, out, sizeof(out)), 0);
}

static void
test_hash_table(void **state)
{
    assert_string_equal(sig_hash_name(IMA_HASH_SHA256), "SHA256");
    assert_string_equal(sig_hash_name(IMA_HASH_SHA384), "SHA384");
    assert_string_equal(sig_hash_name(IMA_HASH_SHA512), "SHA512");
    assert_string_equal(sig_hash_name(IMA_HASH_SHA224), "SHA224");
    assert_null(sig_hash_name(IMA_HASH_MD5));
    assert_null(sig_hash_name(IMA_HASH_SHA1));
    assert_null(sig_hash_name(0));
    assert_null(sig_hash_name(200));

    assert_int_equal(sig_hash_from_name("sha256"), IMA_HASH_SHA256);
    assert_int_equal(sig_hash_from_name("sha384"), IMA_HASH_SHA384);
    assert_int_equal(sig_hash_from_name("SHA512"), IMA_HASH_SHA512);
    assert_int_equal(sig_hash_from_name("sha224"), IMA_HASH_SHA224);
    assert_int_equal(sig_hash_from_name("sha1"), -1);
    assert_int_equal(sig_hash_from_name("md5"), -1);
    assert_int_equal(sig_hash_from_name("sha3-256"), -1);
    assert_int_equal(sig_hash_from_name(""), -1);

    assert_string_equal(verify_hash_label(IMA_HASH_SHA256), "sha256");
    assert_string_equal(verify_hash_label(IMA_HASH_SHA1), "sha1");
    assert_string_equal(verify_hash_label(99), "unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_truncated_everywhere),
        cmocka_unit_test(test_parse_size_limits),
        cmocka_unit_test(test_parse_sig_size_mismatch),
        cmocka_unit_test(test_parse_wrong_type_version),
        cmocka_unit_test(test_parse_hash_only),
        cmocka_unit_test(test_parse_hash_algos),
        cmocka_unit_test(test_parse_garbage),
        cmocka_unit_test(test_write_round_trip),
        cmocka_unit_test(test_write_limits),
        cmocka_unit_test(test_hash_table),
    };

    return cmocka_run_group_tests_name("sig", tests, NULL, NULL);
}
