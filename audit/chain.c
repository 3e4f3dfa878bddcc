/* The hash chain (see chain.h). Domain-separation labels keep the three uses
 * of the keys apart: a key derived for one purpose never serves another. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "audit/chain.h"

static const char label_root[] = "spython chain v1";
static const char label_fork[] = "spython chain fork v1";
static const char label_evolve[] = "spython chain evolve v1";

void
chain_wipe(void *p, size_t n)
{
    explicit_bzero(p, n);
}

/* HMAC-SHA-256(key, label || data) */
static int
labelled_mac(uint8_t out[CHAIN_HASH_LEN], const uint8_t *key, size_t keylen,
             const char *label, const uint8_t *data, size_t n)
{
    uint8_t msg[64];
    size_t ln = strlen(label);
    unsigned int outlen = 0;
    int ok;

    if (ln + n > sizeof(msg))
        return -1;
    memcpy(msg, label, ln);
    memcpy(msg + ln, data, n);
    ok = HMAC(EVP_sha256(), key, (int)keylen, msg, ln + n, out, &outlen) != NULL;
    return ok && outlen == CHAIN_HASH_LEN ? 0 : -1;
}

void
chain_init(struct chain *c, const uint8_t id[CHAIN_ID_LEN],
           const uint8_t *root, size_t rootlen)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->id, id, CHAIN_ID_LEN);
    if (root != NULL) {
        c->keyed = 1;
        /* A failure leaves a zero key: every hash then fails to verify,
         * which is loud, not silent. */
        (void)labelled_mac(c->key, root, rootlen, label_root, id, CHAIN_ID_LEN);
    }
}

void
chain_init_fork(struct chain *child, const struct chain *parent,
                const uint8_t id[CHAIN_ID_LEN])
{
    uint8_t key[CHAIN_HASH_LEN];

    if (parent->keyed)
        (void)labelled_mac(key, parent->key, CHAIN_HASH_LEN, label_fork, id,
                           CHAIN_ID_LEN);
    chain_init(child, id, NULL, 0);
    if (parent->keyed) {
        child->keyed = 1;
        memcpy(child->key, key, sizeof(key));
        chain_wipe(key, sizeof(key));
    }
}

/* Every line is hashed: the algorithms are fetched once and the contexts
 * reused (a one-shot call fetches each time, which costs more than the
 * hash). Callers serialise: line.c holds its lock, the reader is one thread. */
static struct {
    EVP_MD *md;
    EVP_MD_CTX *mdctx;
    EVP_MAC_CTX *macctx;
} hc;

static int
hash_ready(void)
{
    EVP_MAC *mac;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };

    if (hc.macctx != NULL)
        return 0;
    if ((hc.md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
        (hc.mdctx = EVP_MD_CTX_new()) == NULL ||
        (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
        return -1;
    hc.macctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);          /* the context keeps its own reference */
    if (hc.macctx == NULL || !EVP_MAC_CTX_set_params(hc.macctx, params)) {
        EVP_MAC_CTX_free(hc.macctx);
        hc.macctx = NULL;
        return -1;
    }
    return 0;
}

int
chain_hash(const struct chain *c, const void *body, size_t len,
           uint8_t out[CHAIN_HASH_LEN])
{
    unsigned int mdlen = 0;
    size_t outlen = 0;

    if (hash_ready() < 0)
        return -1;
    if (c->keyed) {
        static const uint8_t nokey[CHAIN_HASH_LEN];
        int ok = EVP_MAC_init(hc.macctx, c->key, CHAIN_HASH_LEN, NULL) &&
                 EVP_MAC_update(hc.macctx, body, len) &&
                 EVP_MAC_final(hc.macctx, out, &outlen, CHAIN_HASH_LEN);

        /* The context would keep this key's HMAC state, with which the
         * line could be sealed again after the key itself is wiped. */
        (void)EVP_MAC_init(hc.macctx, nokey, CHAIN_HASH_LEN, NULL);
        return ok && outlen == CHAIN_HASH_LEN ? 0 : -1;
    }
    if (!EVP_DigestInit_ex(hc.mdctx, hc.md, NULL) || !EVP_DigestUpdate(hc.mdctx, body, len) ||
        !EVP_DigestFinal_ex(hc.mdctx, out, &mdlen))
        return -1;
    return mdlen == CHAIN_HASH_LEN ? 0 : -1;
}

void
chain_key_after(uint8_t key[CHAIN_HASH_LEN], uint64_t n)
{
    unsigned int outlen;

    /* A failure leaves a key that verifies nothing: loud, not silent. */
    if (hash_ready() < 0) {
        memset(key, 0, CHAIN_HASH_LEN);
        return;
    }
    for (; n > 0; n--) {
        (void)(EVP_DigestInit_ex(hc.mdctx, hc.md, NULL) &&
               EVP_DigestUpdate(hc.mdctx, label_evolve, sizeof(label_evolve) - 1) &&
               EVP_DigestUpdate(hc.mdctx, key, CHAIN_HASH_LEN) &&
               EVP_DigestFinal_ex(hc.mdctx, key, &outlen));
    }
}

void
chain_advance(struct chain *c, const uint8_t hash[CHAIN_HASH_LEN])
{
    c->seq++;
    memcpy(c->prev, hash, CHAIN_HASH_LEN);
    if (c->keyed)
        chain_key_after(c->key, 1);
}

/* Digit value + 1; 0 for anything that is not a lowercase hex digit. */
static const unsigned char hexval[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
    ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

void
chain_hex(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Lowercase only: the writer never emits uppercase, so a line that has it
 * was not written by spython. */
int
chain_unhex(uint8_t *out, const char *hex, size_t n)
{
    size_t i;
    int hi, lo;

    for (i = 0; i < n; i++) {
        hi = hexval[(unsigned char)hex[2 * i]];
        lo = hi ? hexval[(unsigned char)hex[2 * i + 1]] : 0;
        if (lo == 0)
            return -1;
        out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    return 0;
}

int
chain_split(const char *line, size_t len, size_t *body_len,
            uint8_t hash[CHAIN_HASH_LEN], int *keyed)
{
    const char *tail;

    if (len < CHAIN_TAIL_LEN + 1)
        return 0;
    tail = line + len - CHAIN_TAIL_LEN;
    if (memcmp(tail, CHAIN_TAIL_HASH, 9) == 0)
        *keyed = 0;
    else if (memcmp(tail, CHAIN_TAIL_HMAC, 9) == 0)
        *keyed = 1;
    else
        return 0;
    if (memcmp(line + len - 2, "\"}", 2) != 0 ||
        chain_unhex(hash, tail + 9, CHAIN_HASH_LEN) < 0)
        return 0;
    *body_len = len - CHAIN_TAIL_LEN;
    return 1;
}
