/* The hash chain (see chain.h). Domain-separation labels keep the three uses
 * of the keys apart: a key derived for one purpose never serves another. */
#include <string.h>

#include "audit/chain.h"
#include "audit/json.h"
#include "verify/sha256.h"

static const char label_root[] = "spython chain v1";
static const char label_fork[] = "spython chain fork v1";
static const char label_evolve[] = "spython chain evolve v1";

void
chain_wipe(void *p, size_t n)
{
    explicit_bzero(p, n);
}

/* HMAC-SHA-256(key, label || data) */
static void
labelled_mac(uint8_t out[CHAIN_HASH_LEN], const uint8_t *key, size_t keylen,
             const char *label, const uint8_t *data, size_t n)
{
    struct hmac_sha256_ctx m;

    hmac_sha256_init(&m, key, keylen);
    hmac_sha256_update(&m, label, strlen(label));
    hmac_sha256_update(&m, data, n);
    hmac_sha256_final(&m, out);
}

void
chain_init(struct chain *c, const uint8_t id[CHAIN_ID_LEN],
           const uint8_t *root, size_t rootlen)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->id, id, CHAIN_ID_LEN);
    if (root != NULL) {
        c->keyed = 1;
        labelled_mac(c->key, root, rootlen, label_root, id, CHAIN_ID_LEN);
    }
}

void
chain_init_fork(struct chain *child, const struct chain *parent,
                const uint8_t id[CHAIN_ID_LEN])
{
    uint8_t key[CHAIN_HASH_LEN];

    if (parent->keyed)
        labelled_mac(key, parent->key, CHAIN_HASH_LEN, label_fork, id, CHAIN_ID_LEN);
    chain_init(child, id, NULL, 0);
    if (parent->keyed) {
        child->keyed = 1;
        memcpy(child->key, key, sizeof(key));
        chain_wipe(key, sizeof(key));
    }
}

/* Contexts live on the stack and are wiped by final: nothing shared, so
 * callers need no lock, and no state that could seal with an old key
 * outlives the call. */
void
chain_hash(const struct chain *c, const void *body, size_t len,
           uint8_t out[CHAIN_HASH_LEN])
{
    if (c->keyed)
        hmac_sha256(c->key, CHAIN_HASH_LEN, body, len, out);
    else
        sha256(body, len, out);
}

void
chain_key_after(uint8_t key[CHAIN_HASH_LEN], uint64_t n)
{
    struct sha256_ctx h;

    for (; n > 0; n--) {
        sha256_init(&h);
        sha256_update(&h, label_evolve, sizeof(label_evolve) - 1);
        sha256_update(&h, key, CHAIN_HASH_LEN);
        sha256_final(&h, key);
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
    hex_lower(out, p, n);
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
