/* verify/sha256.c against OpenSSL on arbitrary messages, keys and update
 * splits, through every compression function this CPU can run:
 *  - SHA-256 of the message, fed in pieces whose sizes come from the input;
 *  - HMAC-SHA-256 under a key taken from the input (any length, so keys
 *    longer than a block are hashed first), streamed and one-shot.
 * Input: key length (1 byte), split seed (1 byte), key, message. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tests/fuzz/fuzz.h"
#include "verify/sha256.h"

/* The next piece's size: small ones mostly, to cross block boundaries in
 * every way, and now and then the rest of the message. */
static size_t
next_piece(uint32_t *seed, size_t left)
{
    *seed = *seed * 1103515245u + 12345u;
    switch (*seed >> 29) {
    case 0:
        return left;
    case 1:
        return 0;
    default:
        return ((*seed >> 8) % 130) < left ? (*seed >> 8) % 130 : left;
    }
}

static void
check_with(sha256_blocks_fn *fn, const uint8_t *key, size_t keylen, const uint8_t *msg,
           size_t n, uint32_t seed, const uint8_t want[32], const uint8_t want_mac[32])
{
    struct sha256_ctx c;
    struct hmac_sha256_ctx m;
    uint8_t got[SHA256_LEN];
    size_t off, k;

    sha256_init_with(&c, fn);
    for (off = 0; off < n; off += k) {
        k = next_piece(&seed, n - off);
        sha256_update(&c, msg + off, k);
    }
    sha256_final(&c, got);
    FUZZ_ASSERT(memcmp(got, want, SHA256_LEN) == 0);

    hmac_sha256_init_with(&m, key, keylen, fn);
    for (off = 0; off < n; off += k) {
        k = next_piece(&seed, n - off);
        hmac_sha256_update(&m, msg + off, k);
    }
    hmac_sha256_final(&m, got);
    FUZZ_ASSERT(memcmp(got, want_mac, SHA256_LEN) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t none;
    uint8_t want[EVP_MAX_MD_SIZE], want_mac[EVP_MAX_MD_SIZE], got[SHA256_LEN];
    unsigned int len = 0;
    const uint8_t *key, *msg;
    size_t keylen, n;
    uint32_t seed;

    if (size < 2)
        return 0;
    keylen = data[0] < size - 2 ? data[0] : size - 2;
    seed = data[1];
    key = data + 2;
    msg = key + keylen;
    n = size - 2 - keylen;

    FUZZ_ASSERT(EVP_Digest(msg, n, want, &len, EVP_sha256(), NULL) && len == SHA256_LEN);
    FUZZ_ASSERT(HMAC(EVP_sha256(), keylen ? key : &none, (int)keylen, msg, n, want_mac,
                     &len) != NULL && len == SHA256_LEN);

    check_with(sha256_blocks_portable, key, keylen, msg, n, seed, want, want_mac);
    if (sha256_blocks_shani() != NULL)
        check_with(sha256_blocks_shani(), key, keylen, msg, n, seed, want, want_mac);

    sha256(msg, n, got);
    FUZZ_ASSERT(memcmp(got, want, SHA256_LEN) == 0);
    hmac_sha256(key, keylen, msg, n, got);
    FUZZ_ASSERT(memcmp(got, want_mac, SHA256_LEN) == 0);
    return 0;
}
