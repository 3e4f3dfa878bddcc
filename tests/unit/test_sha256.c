/* verify/sha256.c: the published vectors (FIPS 180-4 examples / NIST CAVS,
 * RFC 4231), then OpenSSL as the reference over every length around the
 * block boundaries and over large random messages cut into random updates.
 * Every check runs on each compression function this CPU can run, and on
 * the one sha256_init picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "verify/sha256.h"

struct impl {
    const char *name;
    sha256_blocks_fn *fn;
};

static struct impl impls[3];
static int nimpls;

static int
setup_impls(void **state)
{
    struct sha256_ctx c;

    impls[nimpls++] = (struct impl){ "portable", sha256_blocks_portable };
    if (sha256_blocks_shani() != NULL)
        impls[nimpls++] = (struct impl){ "SHA-NI", sha256_blocks_shani() };
    else
        fprintf(stderr, "test_sha256: this CPU has no SHA extensions; portable code only\n");
    sha256_init(&c);
    impls[nimpls++] = (struct impl){ "default", c.blocks };
    return 0;
}

/* xorshift64: the same "random" inputs on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void
fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(next_random() >> 32);
}

static void
hex_to(uint8_t *out, const char *hex)
{
    for (size_t i = 0; hex[2 * i] != '\0'; i++)
        assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

/* Hashes p[0..n) with impl, fed in pieces of at most step bytes. */
static void
hash_in_steps(const struct impl *im, const void *p, size_t n, size_t step,
              uint8_t out[SHA256_LEN])
{
    struct sha256_ctx c;
    size_t off = 0, k;

    sha256_init_with(&c, im->fn);
    do {
        k = n - off < step ? n - off : step;
        sha256_update(&c, (const uint8_t *)p + off, k);
        off += k;
    } while (off < n);
    sha256_final(&c, out);
}

/* ---- published vectors --------------------------------------------------- */

static void
test_fips_vectors(void **state)
{
    static const struct {
        const char *msg, *digest;
    } v[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        /* 448 bits: the padding no longer fits the block. */
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
          "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    };
    uint8_t want[SHA256_LEN], got[SHA256_LEN];
    char *million = malloc(1000000);

    assert_non_null(million);
    memset(million, 'a', 1000000);
    for (int i = 0; i < nimpls; i++) {
        for (size_t j = 0; j < sizeof(v) / sizeof(v[0]); j++) {
            hex_to(want, v[j].digest);
            for (size_t step = 1; step <= 65; step += 16) {
                hash_in_steps(&impls[i], v[j].msg, strlen(v[j].msg), step, got);
                assert_memory_equal(got, want, SHA256_LEN);
            }
        }
        hex_to(want, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        hash_in_steps(&impls[i], million, 1000000, 1000000, got);
        assert_memory_equal(got, want, SHA256_LEN);
        hash_in_steps(&impls[i], million, 1000000, 1000, got);
        assert_memory_equal(got, want, SHA256_LEN);
        hash_in_steps(&impls[i], million, 1000000, 67, got);
        assert_memory_equal(got, want, SHA256_LEN);
    }
    sha256(million, 1000000, got);
    assert_memory_equal(got, want, SHA256_LEN);
    free(million);
}

static void
test_rfc4231(void **state)
{
    static const char tc7[] = "This is a test using a larger than block-size key and a larger "
                              "than block-size data. The key needs to be hashed before being "
                              "used by the HMAC algorithm.";
    struct {
        uint8_t key[131];
        size_t keylen;
        uint8_t data[160];
        size_t datalen;
        const char *mac;            /* test case 5 compares 128 bits only */
    } v[7] = {
        { .keylen = 20, .datalen = 8,
          .mac = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
        { .keylen = 4, .datalen = 28,
          .mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
        { .keylen = 20, .datalen = 50,
          .mac = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
        { .keylen = 25, .datalen = 50,
          .mac = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
        { .keylen = 20, .datalen = 20, .mac = "a3b6167473100ee06e0c796c2955552b" },
        { .keylen = 131, .datalen = 54,
          .mac = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
        { .keylen = 131, .datalen = sizeof(tc7) - 1,
          .mac = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
    };
    uint8_t want[SHA256_LEN], got[SHA256_LEN];
    struct hmac_sha256_ctx m;

    memset(v[0].key, 0x0b, 20);
    memcpy(v[0].data, "Hi There", 8);
    memcpy(v[1].key, "Jefe", 4);
    memcpy(v[1].data, "what do ya want for nothing?", 28);
    memset(v[2].key, 0xaa, 20);
    memset(v[2].data, 0xdd, 50);
    for (int i = 0; i < 25; i++)
        v[3].key[i] = (uint8_t)(i + 1);
    memset(v[3].data, 0xcd, 50);
    memset(v[4].key, 0x0c, 20);
    memcpy(v[4].data, "Test With Truncation", 20);
    memset(v[5].key, 0xaa, 131);
    memcpy(v[5].data, "Test Using Larger Than Block-Size Key - Hash Key First", 54);
    memset(v[6].key, 0xaa, 131);
    memcpy(v[6].data, tc7, sizeof(tc7) - 1);

    for (int i = 0; i < nimpls; i++) {
        for (int j = 0; j < 7; j++) {
            size_t cmp = strlen(v[j].mac) / 2, cut = v[j].datalen / 3;

            hex_to(want, v[j].mac);
            hmac_sha256_init_with(&m, v[j].key, v[j].keylen, impls[i].fn);
            hmac_sha256_update(&m, v[j].data, cut);
            hmac_sha256_update(&m, v[j].data + cut, v[j].datalen - cut);
            hmac_sha256_final(&m, got);
            assert_memory_equal(got, want, cmp);
            hmac_sha256(v[j].key, v[j].keylen, v[j].data, v[j].datalen, got);
            assert_memory_equal(got, want, cmp);
        }
    }
}

/* ---- against OpenSSL ---------------------------------------------------- */

static void
openssl_sha256(const void *p, size_t n, uint8_t out[SHA256_LEN])
{
    unsigned int len = 0;

    assert_true(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL));
    assert_int_equal(len, SHA256_LEN);
}

static void
openssl_hmac(const void *key, size_t keylen, const void *p, size_t n, uint8_t out[SHA256_LEN])
{
    static const uint8_t none;
    unsigned int len = 0;

    /* OpenSSL wants a non-NULL key even when it is empty. */
    assert_non_null(HMAC(EVP_sha256(), keylen ? key : &none, (int)keylen, p, n, out, &len));
    assert_int_equal(len, SHA256_LEN);
}

/* Every length across the first seventeen block boundaries, whole and cut
 * at the start, the middle and one byte before the end; HMAC with keys of
 * every length up to two blocks. */
static void
test_all_short_lengths(void **state)
{
    enum { MAX = 1100 };
    uint8_t *msg = malloc(MAX), want[SHA256_LEN], got[SHA256_LEN];
    struct sha256_ctx c;
    struct hmac_sha256_ctx m;

    assert_non_null(msg);
    fill_random(msg, MAX);
    for (int i = 0; i < nimpls; i++) {
        for (size_t n = 0; n <= MAX; n++) {
            const size_t cuts[] = { 0, n / 2, n ? n - 1 : 0, n };
            const uint8_t *key = msg + MAX - 1 - n % 130;
            size_t keylen = n % 130;

            openssl_sha256(msg, n, want);
            for (size_t k = 0; k < 4; k++) {
                sha256_init_with(&c, impls[i].fn);
                sha256_update(&c, msg, cuts[k]);
                sha256_update(&c, msg + cuts[k], n - cuts[k]);
                sha256_final(&c, got);
                if (memcmp(got, want, SHA256_LEN) != 0)
                    fail_msg("%s: %zu bytes cut at %zu", impls[i].name, n, cuts[k]);
            }
            openssl_hmac(key, keylen, msg, n, want);
            hmac_sha256_init_with(&m, key, keylen, impls[i].fn);
            hmac_sha256_update(&m, msg, n / 3);
            hmac_sha256_update(&m, msg + n / 3, n - n / 3);
            hmac_sha256_final(&m, got);
            if (memcmp(got, want, SHA256_LEN) != 0)
                fail_msg("%s: HMAC of %zu bytes, %zu-byte key", impls[i].name, n, keylen);
        }
    }
    free(msg);
}

/* Up to 1 MiB, in updates of random sizes (often tiny, sometimes huge). */
static void
test_random_long(void **state)
{
    enum { MAX = 1 << 20 };
    uint8_t *msg = malloc(MAX), want[SHA256_LEN], got[SHA256_LEN];
    struct sha256_ctx c;
    struct hmac_sha256_ctx m;

    assert_non_null(msg);
    fill_random(msg, MAX);
    for (int round = 0; round < 12; round++) {
        size_t n = next_random() % (MAX + 1), keylen = next_random() % 300;

        if (round == 0)
            n = MAX;
        if (n < keylen)
            n = keylen;
        openssl_sha256(msg, n, want);
        for (int i = 0; i < nimpls; i++) {
            sha256_init_with(&c, impls[i].fn);
            for (size_t off = 0, k; off < n; off += k) {
                k = next_random() % (next_random() % 2 ? 200 : 200000);
                k = k < n - off ? k : n - off;
                sha256_update(&c, msg + off, k);
            }
            sha256_final(&c, got);
            if (memcmp(got, want, SHA256_LEN) != 0)
                fail_msg("%s: %zu random bytes", impls[i].name, n);
        }
        openssl_hmac(msg, keylen, msg + keylen, n - keylen, want);
        for (int i = 0; i < nimpls; i++) {
            hmac_sha256_init_with(&m, msg, keylen, impls[i].fn);
            for (size_t off = keylen, k; off < n; off += k) {
                k = next_random() % 5000;
                k = k < n - off ? k : n - off;
                hmac_sha256_update(&m, msg + off, k);
            }
            hmac_sha256_final(&m, got);
            if (memcmp(got, want, SHA256_LEN) != 0)
                fail_msg("%s: HMAC of %zu random bytes", impls[i].name, n - keylen);
        }
    }
    free(msg);
}

/* ---- what the callers rely on ------------------------------------------- */

static int
all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

/* A key of up to a block is never copied into the context, and final wipes
 * the context: a core dump after a MAC holds neither the key nor a state
 * that could seal more lines with it. */
static void
test_key_material_wiped(void **state)
{
    uint8_t key[32], out[SHA256_LEN];
    struct hmac_sha256_ctx m;
    struct sha256_ctx c;

    /* Zeroed first: what init leaves unwritten must not look like a leak. */
    memset(&m, 0, sizeof(m));
    memset(&c, 0, sizeof(c));
    memset(key, 0x5a, sizeof(key));
    hmac_sha256_init(&m, key, sizeof(key));
    assert_null(memmem(&m, sizeof(m), key, 8));
    hmac_sha256_update(&m, "line", 4);
    hmac_sha256_final(&m, out);
    assert_true(all_zero(&m, sizeof(m)));
    /* Key evolution hashes the key itself: its bytes sat in the buffer. */
    sha256_init(&c);
    sha256_update(&c, key, sizeof(key));
    assert_non_null(memmem(c.buf, sizeof(c.buf), key, 8));
    sha256_final(&c, out);
    assert_true(all_zero(&c, sizeof(c)));
}

/* The output may overwrite the input (audit/chain.c evolves keys in place),
 * and empty updates (a NULL pointer with them) change nothing. */
static void
test_in_place_and_empty(void **state)
{
    uint8_t buf[SHA256_LEN], want[SHA256_LEN];
    struct sha256_ctx c;

    memset(buf, 7, sizeof(buf));
    openssl_sha256(buf, sizeof(buf), want);
    sha256_init(&c);
    sha256_update(&c, NULL, 0);
    sha256_update(&c, buf, sizeof(buf));
    sha256_update(&c, NULL, 0);
    sha256_final(&c, buf);
    assert_memory_equal(buf, want, SHA256_LEN);
}

/* The CPU decides: SHA-NI wherever it exists. */
static void
test_selection(void **state)
{
    struct sha256_ctx c;
    struct hmac_sha256_ctx m;
    sha256_blocks_fn *want = sha256_blocks_shani();

    if (want == NULL)
        want = sha256_blocks_portable;
    sha256_init(&c);
    assert_ptr_equal(c.blocks, want);
    hmac_sha256_init(&m, "k", 1);
    assert_ptr_equal(m.inner.blocks, want);
    assert_ptr_equal(m.outer.blocks, want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_vectors),
        cmocka_unit_test(test_rfc4231),
        cmocka_unit_test(test_all_short_lengths),
        cmocka_unit_test(test_random_long),
        cmocka_unit_test(test_key_material_wiped),
        cmocka_unit_test(test_in_place_and_empty),
        cmocka_unit_test(test_selection),
    };

    return cmocka_run_group_tests(tests, setup_impls, NULL);
}
