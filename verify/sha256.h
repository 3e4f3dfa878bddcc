/* SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), without OpenSSL: the
 * interpreter hashes every log line and every payload, and libcrypto costs
 * more to load and initialise than all of that hashing.
 *
 * The compression function is picked once per process: the x86-64 SHA
 * extensions when the CPU has them, portable C otherwise. Both give the same
 * bytes; the CPU alone decides, never the environment. No Python here. */
#ifndef SPY_SHA256_H
#define SPY_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN   32
#define SHA256_BLOCK 64

/* Compresses n 64-byte blocks into the state h. */
typedef void sha256_blocks_fn(uint32_t h[8], const uint8_t *p, size_t n);

struct sha256_ctx {
    uint32_t h[8];
    uint64_t len;                   /* bytes absorbed so far */
    uint8_t buf[SHA256_BLOCK];      /* the last len % 64 of them */
    sha256_blocks_fn *blocks;
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *p, size_t n);
/* The digest; the context is wiped (it may have held key material). */
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN]);
void sha256(const void *p, size_t n, uint8_t out[SHA256_LEN]);

/* Keys of any length; longer than a block they are hashed first. */
struct hmac_sha256_ctx {
    struct sha256_ctx inner, outer;
};

void hmac_sha256_init(struct hmac_sha256_ctx *m, const void *key, size_t keylen);
void hmac_sha256_update(struct hmac_sha256_ctx *m, const void *p, size_t n);
/* The MAC; the context, which stands for the key, is wiped. */
void hmac_sha256_final(struct hmac_sha256_ctx *m, uint8_t out[SHA256_LEN]);
void hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
                 uint8_t out[SHA256_LEN]);

/* For the tests and the benchmark, which must exercise both compression
 * functions whatever the CPU: the portable one, the SHA-extension one (NULL
 * when this CPU lacks them or this is not x86-64), and the streaming API
 * over a chosen one. */
sha256_blocks_fn sha256_blocks_portable;
sha256_blocks_fn *sha256_blocks_shani(void);
void sha256_init_with(struct sha256_ctx *c, sha256_blocks_fn *blocks);
void hmac_sha256_init_with(struct hmac_sha256_ctx *m, const void *key, size_t keylen,
                           sha256_blocks_fn *blocks);

#endif
