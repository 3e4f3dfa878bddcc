/* make bench-sha: verify/sha256.c against OpenSSL's EVP on the sizes the
 * interpreter hashes: a log line (300 bytes, plain and HMAC, as audit/chain.c
 * seals it) and a file (64 KiB). OpenSSL is used at its fastest: the
 * algorithm fetched once and the context reused. The contenders run in
 * interleaved rounds, so a busy machine slows all of them alike; the table
 * gives the median of the rounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "verify/sha256.h"

#define ROUNDS 21

static uint8_t msg[64 << 10];
static const uint8_t key[32] = "a 32-byte key for the benchmark";
static volatile uint8_t sink;

static EVP_MD *md;
static EVP_MD_CTX *mdctx;
static EVP_MAC_CTX *macctx;
static sha256_blocks_fn *impl;

static void
ours_hash(size_t n)
{
    struct sha256_ctx c;
    uint8_t out[SHA256_LEN];

    sha256_init_with(&c, impl);
    sha256_update(&c, msg, n);
    sha256_final(&c, out);
    sink ^= out[0];
}

static void
ours_hmac(size_t n)
{
    struct hmac_sha256_ctx m;
    uint8_t out[SHA256_LEN];

    hmac_sha256_init_with(&m, key, sizeof(key), impl);
    hmac_sha256_update(&m, msg, n);
    hmac_sha256_final(&m, out);
    sink ^= out[0];
}

static void
ossl_hash(size_t n)
{
    uint8_t out[EVP_MAX_MD_SIZE];
    unsigned int len;

    if (!EVP_DigestInit_ex(mdctx, md, NULL) || !EVP_DigestUpdate(mdctx, msg, n) ||
        !EVP_DigestFinal_ex(mdctx, out, &len))
        abort();
    sink ^= out[0];
}

static void
ossl_hmac(size_t n)
{
    uint8_t out[EVP_MAX_MD_SIZE];
    size_t len;

    if (!EVP_MAC_init(macctx, key, sizeof(key), NULL) || !EVP_MAC_update(macctx, msg, n) ||
        !EVP_MAC_final(macctx, out, &len, sizeof(out)))
        abort();
    sink ^= out[0];
}

struct contender {
    const char *name;
    void (*run)(size_t n);
    sha256_blocks_fn *impl;
};

static double
ns_per_call(const struct contender *c, size_t n, long iters)
{
    struct timespec a, b;

    impl = c->impl;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < iters; i++)
        c->run(n);
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)iters;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void
race(const char *what, size_t n, const struct contender *c, int nc)
{
    double t[3][ROUNDS], med[3];
    long iters = (long)(20e6 / (double)(n + 64));   /* ~10 ms a round with SHA-NI */

    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < nc; i++)
            t[i][r] = ns_per_call(&c[i], n, iters);
    for (int i = 0; i < nc; i++) {
        qsort(t[i], ROUNDS, sizeof(double), cmp_double);
        med[i] = t[i][ROUNDS / 2];
    }
    for (int i = 0; i < nc; i++)
        printf("| %-12s | %-16s | %10.1f | %10.1f | %9.0f | %6.2f |\n", what, c[i].name,
               med[i], t[i][0], (double)n / med[i] * 1e3, med[i] / med[nc - 1]);
}

int
main(void)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    sha256_blocks_fn *shani = sha256_blocks_shani();
    EVP_MAC *mac;

    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 131 + 7);
    if ((md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL || (mdctx = EVP_MD_CTX_new()) == NULL ||
        (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
        (macctx = EVP_MAC_CTX_new(mac)) == NULL || !EVP_MAC_CTX_set_params(macctx, params)) {
        fprintf(stderr, "sha256bench: OpenSSL set-up failed\n");
        return 1;
    }
    EVP_MAC_free(mac);

    struct contender hash[] = {
        { "ours portable", ours_hash, sha256_blocks_portable },
        { "ours SHA-NI", ours_hash, shani },
        { "OpenSSL EVP", ossl_hash, NULL },
    }, hmac[] = {
        { "ours portable", ours_hmac, sha256_blocks_portable },
        { "ours SHA-NI", ours_hmac, shani },
        { "OpenSSL EVP", ossl_hmac, NULL },
    };
    /* Without SHA-NI, its rows go: the portable code races OpenSSL alone. */
    int skip = shani == NULL;

    if (skip) {
        hash[1] = hash[2];
        hmac[1] = hmac[2];
    }
    printf("SHA-NI: %s; median and best of %d interleaved rounds; ratio of medians to"
           " OpenSSL's\n\n",
           shani ? "yes" : "no (this CPU lacks it)", ROUNDS);
    printf("| %-12s | %-16s | %10s | %10s | %9s | %6s |\n", "case", "implementation",
           "ns/call", "best", "MB/s", "ratio");
    printf("|--------------|------------------|------------|------------|-----------|--------|\n");
    race("SHA-256 300B", 300, hash, 3 - skip);
    race("HMAC 300B", 300, hmac, 3 - skip);
    race("SHA-256 64K", sizeof(msg), hash, 3 - skip);
    EVP_MAC_CTX_free(macctx);
    EVP_MD_CTX_free(mdctx);
    EVP_MD_free(md);
    return 0;
}
