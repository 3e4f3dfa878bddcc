/* A hash map with a ceiling on its size: a hostile log can make many names
 * or chains, but never make the reader's memory grow without bound. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "audit/tool/tool.h"

struct mentry {
    struct mentry *next;
    uint64_t h;
    size_t klen;
    void *v;
    unsigned char key[];
};

/* SipHash-1-3 (as CPython's str hash) under a key drawn at start: names,
 * digests and chain ids come from the log, whose writer could otherwise
 * make them collide and the reader crawl. */
static uint64_t sipkey[2];

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                        \
    do {                                                                \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);       \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                          \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                          \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);       \
    } while (0)

static uint64_t
hash(const void *key, size_t n)
{
    const unsigned char *p = key;
    uint64_t v0 = sipkey[0] ^ 0x736f6d6570736575ull, v1 = sipkey[1] ^ 0x646f72616e646f6dull;
    uint64_t v2 = sipkey[0] ^ 0x6c7967656e657261ull, v3 = sipkey[1] ^ 0x7465646279746573ull;
    uint64_t m, b = (uint64_t)n << 56;
    size_t i;

    for (; n >= 8; n -= 8, p += 8) {
        memcpy(&m, p, 8);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    for (i = 0; i < n; i++)
        b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static struct mentry **
slot(const struct map *m, const void *key, size_t klen, uint64_t h)
{
    struct mentry **pp;

    for (pp = &m->b[h & (m->nb - 1)]; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->h == h && (*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0)
            break;
    return pp;
}

void *
map_get(const struct map *m, const void *key, size_t klen)
{
    struct mentry **pp;

    if (m->nb == 0)
        return NULL;
    pp = slot(m, key, klen, hash(key, klen));
    return *pp ? (*pp)->v : NULL;
}

static int
grow(struct map *m)
{
    /* A fixed key if there is no randomness: slower on a hostile log, still
     * correct. */
    if (sipkey[0] == 0 && sipkey[1] == 0 &&
        getrandom(sipkey, sizeof(sipkey), GRND_NONBLOCK) != sizeof(sipkey))
        sipkey[0] = 0x5350595448304e31ull;

    size_t nb = m->nb ? m->nb * 2 : 64, i;
    struct mentry **b = calloc(nb, sizeof(*b)), *e, *next;

    if (b == NULL)
        return -1;
    for (i = 0; i < m->nb; i++) {
        for (e = m->b[i]; e != NULL; e = next) {
            next = e->next;
            e->next = b[e->h & (nb - 1)];
            b[e->h & (nb - 1)] = e;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
    return 0;
}

void *
map_put(struct map *m, const void *key, size_t klen, size_t vsize, int *added)
{
    struct mentry **pp, *e;
    uint64_t h;

    /* The key is drawn before anything is hashed (nothing is looked up in
     * an empty map); a fixed one if there is no randomness: slower on a
     * hostile log, still correct. */
    if (sipkey[0] == 0 && sipkey[1] == 0 &&
        getrandom(sipkey, sizeof(sipkey), GRND_NONBLOCK) != sizeof(sipkey))
        sipkey[0] = 0x5350595448304e31ull;
    h = hash(key, klen);
    *added = 0;
    if (m->nb != 0 && *(pp = slot(m, key, klen, h)) != NULL)
        return (*pp)->v;
    if (m->n >= m->cap)
        return NULL;
    if (m->n >= m->nb && grow(m) < 0)
        return NULL;
    if ((e = calloc(1, sizeof(*e) + klen + vsize + 16)) == NULL)
        return NULL;
    e->h = h;
    e->klen = klen;
    memcpy(e->key, key, klen);
    /* The value after the key, aligned for any type. */
    e->v = (void *)(((uintptr_t)(e->key + klen) + 15) & ~(uintptr_t)15);
    pp = slot(m, key, klen, h);
    *pp = e;
    m->n++;
    *added = 1;
    return e->v;
}

void
map_del(struct map *m, const void *key, size_t klen)
{
    struct mentry **pp, *e;

    if (m->nb == 0 || (e = *(pp = slot(m, key, klen, hash(key, klen)))) == NULL)
        return;
    *pp = e->next;
    free(e);
    m->n--;
}

void
map_each(const struct map *m, void (*fn)(const void *key, size_t klen, void *v, void *ctx),
         void *ctx)
{
    struct mentry *e;
    size_t i;

    for (i = 0; i < m->nb; i++)
        for (e = m->b[i]; e != NULL; e = e->next)
            fn(e->key, e->klen, e->v, ctx);
}

void
map_drop_if(struct map *m, int (*fn)(void *v, void *ctx), void *ctx)
{
    struct mentry **pp, *e;
    size_t i;

    for (i = 0; i < m->nb; i++) {
        for (pp = &m->b[i]; (e = *pp) != NULL;) {
            if (fn(e->v, ctx)) {
                *pp = e->next;
                free(e);
                m->n--;
            } else {
                pp = &e->next;
            }
        }
    }
}

void
map_free(struct map *m)
{
    struct mentry *e, *next;
    size_t i;

    for (i = 0; i < m->nb; i++)
        for (e = m->b[i]; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
    free(m->b);
    m->b = NULL;
    m->nb = m->n = 0;
}
