/* SHA-256 and HMAC-SHA-256 (verify/sha256.h), written from FIPS 180-4 and
 * RFC 2104. Section numbers below are FIPS 180-4's. */
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#else
#include <cpuid.h>
#endif
#endif

#include "verify/sha256.h"

/* 4.2.2; aligned for the 16-byte loads of the SHA-extension rounds. */
static _Alignas(16) const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* 5.3.3 */
static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t
rotr(uint32_t x, int n)
{
    return x >> n | x << (32 - n);
}

static inline uint32_t
load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Round r of 6.2.2 step 3, with the functions of 4.1.2 (Ch and Maj in
 * equivalent forms with fewer operations). Instead of shifting all eight
 * working variables each round, the caller renames them: after eight
 * rounds every one is back in its place. */
#define ROUND(a, b, c, d, e, f, g, h, r)                                            \
    do {                                                                           \
        uint32_t t1_ = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + (g ^ (e & (f ^ g))) + \
                       K[r] + w[r];                                                \
        d += t1_;                                                                  \
        h = t1_ + (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) | (c & (a | b))); \
    } while (0)

void
sha256_blocks_portable(uint32_t st[8], const uint8_t *p, size_t n)
{
    uint32_t w[64], a, b, c, d, e, f, g, h;
    int t;

    for (; n > 0; n--, p += SHA256_BLOCK) {
        for (t = 0; t < 16; t++)
            w[t] = load_be32(p + 4 * t);
        for (; t < 64; t++)
            w[t] = (rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ w[t - 2] >> 10) + w[t - 7] +
                   (rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ w[t - 15] >> 3) + w[t - 16];
        a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
        for (t = 0; t < 64; t += 8) {
            ROUND(a, b, c, d, e, f, g, h, t + 0);
            ROUND(h, a, b, c, d, e, f, g, t + 1);
            ROUND(g, h, a, b, c, d, e, f, t + 2);
            ROUND(f, g, h, a, b, c, d, e, t + 3);
            ROUND(e, f, g, h, a, b, c, d, t + 4);
            ROUND(d, e, f, g, h, a, b, c, t + 5);
            ROUND(c, d, e, f, g, h, a, b, t + 6);
            ROUND(b, c, d, e, f, g, h, a, t + 7);
        }
        st[0] += a, st[1] += b, st[2] += c, st[3] += d;
        st[4] += e, st[5] += f, st[6] += g, st[7] += h;
    }
    /* The schedule held the message, which may be a key. */
    explicit_bzero(w, sizeof(w));
}

#if defined(__x86_64__)
/* The same rounds on the SHA extensions. Their state is two registers,
 * {F,E,B,A} and {H,G,D,C} (lane 0 first); each sha256rnds2 does two rounds
 * and swaps the roles of the two, so four rounds bring them back. */
__attribute__((target("sha,sse4.1")))
static void
blocks_shani(uint32_t h[8], const uint8_t *p, size_t n)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i abef, cdgh, abef0, cdgh0, t, w[4], wk;

    t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xb1);     /* B A D C */
    cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1b);  /* H G F E */
    abef = _mm_alignr_epi8(t, cdgh, 8);                                        /* F E B A */
    cdgh = _mm_blend_epi16(cdgh, t, 0xf0);                                     /* H G D C */

    for (; n > 0; n--, p += SHA256_BLOCK) {
        abef0 = abef;
        cdgh0 = cdgh;
#pragma GCC unroll 16
        for (int g = 0; g < 16; g++) {
            /* w[g % 4] holds W[4g..4g+3]: loaded, then by 6.2.2 step 1
             * from W[t-16], W[t-15] (msg1), W[t-7] and W[t-2] (msg2). */
            if (g < 4)
                w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
            else
                w[g % 4] = _mm_sha256msg2_epu32(
                    _mm_add_epi32(_mm_sha256msg1_epu32(w[g % 4], w[(g + 1) % 4]),
                                  _mm_alignr_epi8(w[(g + 3) % 4], w[(g + 2) % 4], 4)),
                    w[(g + 3) % 4]);
            wk = _mm_add_epi32(w[g % 4], _mm_load_si128((const __m128i *)&K[4 * g]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }

    t = _mm_shuffle_epi32(abef, 0x1b);                                         /* A B E F */
    cdgh = _mm_shuffle_epi32(cdgh, 0xb1);                                      /* G H C D */
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, cdgh, 0xf0));        /* A B C D */
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(cdgh, t, 8));           /* E F G H */
}

/* SHA (cpuid leaf 7, EBX bit 29), and SSSE3 and SSE4.1, whose shuffles and
 * blends the rounds use. glibc ran cpuid when the process started: reading
 * its copy is free, where cpuid traps to the hypervisor in a VM (~1 us per
 * call here). PRESENT, not ACTIVE: GLIBC_TUNABLES can mask ACTIVE bits, and
 * the environment chooses no code. */
static int
cpu_has_shani(void)
{
#if __has_include(<sys/platform/x86.h>)
    return CPU_FEATURE_PRESENT(SHA) && CPU_FEATURE_PRESENT(SSSE3) &&
           CPU_FEATURE_PRESENT(SSE4_1);
#else
    unsigned int a, b, c, d;

    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1) &&
           __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
#endif
}

sha256_blocks_fn *
sha256_blocks_shani(void)
{
    return cpu_has_shani() ? blocks_shani : NULL;
}
#else
sha256_blocks_fn *
sha256_blocks_shani(void)
{
    return NULL;
}
#endif

/* Picked on first use and kept (without glibc's copy, it takes cpuid).
 * Threads that race here all store the same value. */
static sha256_blocks_fn *
blocks_for_this_cpu(void)
{
    static sha256_blocks_fn *chosen;
    sha256_blocks_fn *f = __atomic_load_n(&chosen, __ATOMIC_RELAXED);

    if (f == NULL) {
        f = sha256_blocks_shani();
        if (f == NULL)
            f = sha256_blocks_portable;
        __atomic_store_n(&chosen, f, __ATOMIC_RELAXED);
    }
    return f;
}

void
sha256_init_with(struct sha256_ctx *c, sha256_blocks_fn *blocks)
{
    memcpy(c->h, H0, sizeof(H0));
    c->len = 0;
    c->blocks = blocks;
}

void
sha256_init(struct sha256_ctx *c)
{
    sha256_init_with(c, blocks_for_this_cpu());
}

void
sha256_update(struct sha256_ctx *c, const void *data, size_t n)
{
    const uint8_t *p = data;
    size_t have = c->len % SHA256_BLOCK, take;

    if (n == 0)
        return;
    c->len += n;
    if (have > 0) {
        take = SHA256_BLOCK - have < n ? SHA256_BLOCK - have : n;
        memcpy(c->buf + have, p, take);
        if (have + take < SHA256_BLOCK)
            return;
        c->blocks(c->h, c->buf, 1);
        p += take;
        n -= take;
    }
    if (n >= SHA256_BLOCK) {
        c->blocks(c->h, p, n / SHA256_BLOCK);
        p += n - n % SHA256_BLOCK;
        n %= SHA256_BLOCK;
    }
    if (n > 0)
        memcpy(c->buf, p, n);
}

/* 5.1.1: 0x80, zeros, and the length in bits in the last 8 bytes. */
void
sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN])
{
    size_t have = c->len % SHA256_BLOCK;
    uint64_t bits = c->len * 8;
    int i;

    c->buf[have++] = 0x80;
    if (have > SHA256_BLOCK - 8) {
        memset(c->buf + have, 0, SHA256_BLOCK - have);
        c->blocks(c->h, c->buf, 1);
        have = 0;
    }
    memset(c->buf + have, 0, SHA256_BLOCK - 8 - have);
    store_be32(c->buf + 56, (uint32_t)(bits >> 32));
    store_be32(c->buf + 60, (uint32_t)bits);
    c->blocks(c->h, c->buf, 1);
    for (i = 0; i < 8; i++)
        store_be32(out + 4 * i, c->h[i]);
    explicit_bzero(c, sizeof(*c));
}

void
sha256(const void *p, size_t n, uint8_t out[SHA256_LEN])
{
    struct sha256_ctx c;

    sha256_init(&c);
    sha256_update(&c, p, n);
    sha256_final(&c, out);
}

/* RFC 2104: H(K0 ^ opad || H(K0 ^ ipad || text)). Both pads are absorbed
 * here, so the contexts hold no key bytes, only states derived from them. */
void
hmac_sha256_init_with(struct hmac_sha256_ctx *m, const void *key, size_t keylen,
                      sha256_blocks_fn *blocks)
{
    uint8_t k0[SHA256_BLOCK] = { 0 }, pad[SHA256_BLOCK];
    int i;

    if (keylen > SHA256_BLOCK) {
        sha256_init_with(&m->inner, blocks);
        sha256_update(&m->inner, key, keylen);
        sha256_final(&m->inner, k0);
    } else if (keylen > 0) {
        memcpy(k0, key, keylen);
    }
    for (i = 0; i < SHA256_BLOCK; i++)
        pad[i] = k0[i] ^ 0x36;
    sha256_init_with(&m->inner, blocks);
    sha256_update(&m->inner, pad, SHA256_BLOCK);
    for (i = 0; i < SHA256_BLOCK; i++)
        pad[i] = k0[i] ^ 0x5c;
    sha256_init_with(&m->outer, blocks);
    sha256_update(&m->outer, pad, SHA256_BLOCK);
    explicit_bzero(k0, sizeof(k0));
    explicit_bzero(pad, sizeof(pad));
}

void
hmac_sha256_init(struct hmac_sha256_ctx *m, const void *key, size_t keylen)
{
    hmac_sha256_init_with(m, key, keylen, blocks_for_this_cpu());
}

void
hmac_sha256_update(struct hmac_sha256_ctx *m, const void *p, size_t n)
{
    sha256_update(&m->inner, p, n);
}

void
hmac_sha256_final(struct hmac_sha256_ctx *m, uint8_t out[SHA256_LEN])
{
    uint8_t ih[SHA256_LEN];

    sha256_final(&m->inner, ih);
    sha256_update(&m->outer, ih, SHA256_LEN);
    sha256_final(&m->outer, out);
    explicit_bzero(ih, sizeof(ih));
}

void
hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
            uint8_t out[SHA256_LEN])
{
    struct hmac_sha256_ctx m;

    hmac_sha256_init(&m, key, keylen);
    hmac_sha256_update(&m, p, n);
    hmac_sha256_final(&m, out);
}
