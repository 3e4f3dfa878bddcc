/* The verified-payload set behind the origin= condition (launch/payload.h). */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "launch/payload.h"
#include "verify/sha256.h"

#define DIGEST SHA256_LEN
#define PYC_HEADER 16
#define ZIP_MEMBER_MAX (64u << 20)  /* zipimport would not get far with more */

/* Open addressing over SHA-256 values, which are already uniformly spread. */
struct dset {
    uint8_t (*key)[DIGEST];
    uint8_t *used;
    size_t cap, n;
};

static struct dset payloads, archives;

static size_t
slot_of(const struct dset *s, const uint8_t d[DIGEST])
{
    uint64_t h;
    size_t i;

    memcpy(&h, d, sizeof(h));
    for (i = h & (s->cap - 1); s->used[i] && memcmp(s->key[i], d, DIGEST) != 0;
         i = (i + 1) & (s->cap - 1))
        ;
    return i;
}

static int
dset_has(const struct dset *s, const uint8_t d[DIGEST])
{
    return s->cap > 0 && s->used[slot_of(s, d)];
}

/* Out of memory only loses a payload, and an unknown payload is refused. */
static void
dset_add(struct dset *s, const uint8_t d[DIGEST])
{
    struct dset g;
    size_t i;

    if (dset_has(s, d))
        return;
    if ((s->n + 1) * 2 > s->cap) {
        g.cap = s->cap ? s->cap * 2 : 256;
        g.n = s->n;
        g.key = malloc(g.cap * DIGEST);
        g.used = calloc(g.cap, 1);
        if (g.key == NULL || g.used == NULL) {
            free(g.key);
            free(g.used);
            return;
        }
        for (i = 0; i < s->cap; i++) {
            if (s->used[i]) {
                size_t j = slot_of(&g, s->key[i]);
                memcpy(g.key[j], s->key[i], DIGEST);
                g.used[j] = 1;
            }
        }
        free(s->key);
        free(s->used);
        *s = g;
    }
    i = slot_of(s, d);
    memcpy(s->key[i], d, DIGEST);
    s->used[i] = 1;
    s->n++;
}

int
payload_known(const uint8_t *data, size_t len)
{
    uint8_t d[DIGEST];

    sha256(data, len, d);
    return dset_has(&payloads, d);
}

struct pyc_ctx {
    const uint8_t *magic;
};

static void
remember_pyc(void *ctx, const uint8_t *data, size_t n)
{
    const struct pyc_ctx *c = ctx;
    uint8_t d[DIGEST];

    if (n >= PYC_HEADER && memcmp(data, c->magic, 4) == 0) {
        sha256(data + PYC_HEADER, n - PYC_HEADER, d);
        dset_add(&payloads, d);
    }
}

void
payload_remember(const uint8_t *data, size_t len, const uint8_t pyc_magic[4],
                 const char *digest_label)
{
    struct pyc_ctx c = { pyc_magic };
    uint8_t d[DIGEST];

    if (len >= PYC_HEADER && memcmp(data, pyc_magic, 4) == 0) {
        remember_pyc(&c, data, len);
        return;
    }
    sha256(digest_label, strlen(digest_label), d);
    if (dset_has(&archives, d))
        return;
    if (zip_each_pyc(data, len, ZIP_MEMBER_MAX, remember_pyc, &c) >= 0)
        dset_add(&archives, d);
}

/* ---- zip ---- */

static uint32_t
le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
le32(const uint8_t *p)
{
    return le16(p) | le16(p + 2) << 16;
}

/* Raw deflate of exactly n bytes into a fresh buffer, or NULL. */
static uint8_t *
inflate_raw(const uint8_t *src, size_t srclen, size_t n)
{
    z_stream z = { 0 };
    uint8_t *out = malloc(n ? n : 1);
    int r;

    if (out == NULL || inflateInit2(&z, -MAX_WBITS) != Z_OK) {
        free(out);
        return NULL;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)srclen;
    z.next_out = out;
    z.avail_out = (uInt)n;
    r = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    if (r != Z_STREAM_END || z.total_out != n) {
        free(out);
        return NULL;
    }
    return out;
}

/* Offsets are checked as zipimport checks them: the central directory sits
 * right before its end record, and data prepended to the archive (a
 * launcher, say) shifts every offset by the same amount. */
int
zip_each_pyc(const uint8_t *zip, size_t len, size_t max,
             void (*fn)(void *ctx, const uint8_t *data, size_t n), void *ctx)
{
    size_t eocd, lo, cd, cd_size, delta, p, entries, i, seen = 0;

    if (len < 22)
        return -1;
    lo = len - 22 > 0xffff ? len - 22 - 0xffff : 0;
    for (eocd = len - 22; eocd > lo && memcmp(zip + eocd, "PK\5\6", 4) != 0; eocd--)
        ;
    if (memcmp(zip + eocd, "PK\5\6", 4) != 0)
        return -1;
    entries = le16(zip + eocd + 10);
    cd_size = le32(zip + eocd + 12);
    if (cd_size > eocd || eocd - cd_size < le32(zip + eocd + 16))
        return 0;
    cd = eocd - cd_size;
    delta = cd - le32(zip + eocd + 16);
    for (i = 0, p = cd; i < entries && p + 46 <= eocd; i++) {
        const uint8_t *e = zip + p;
        size_t method, csize, usize, nlen, local, data;
        const uint8_t *payload;
        uint8_t *expanded = NULL;

        if (memcmp(e, "PK\1\2", 4) != 0)
            break;
        method = le16(e + 10);
        csize = le32(e + 20);
        usize = le32(e + 24);
        nlen = le16(e + 28);
        local = le32(e + 42) + delta;
        p += 46 + nlen + le16(e + 30) + le16(e + 32);
        if (p > eocd)
            break;
        if (nlen < 4 || memcmp(e + 46 + nlen - 4, ".pyc", 4) != 0 || usize > max ||
            local > cd || cd - local < 30 || memcmp(zip + local, "PK\3\4", 4) != 0)
            continue;
        data = local + 30 + le16(zip + local + 26) + le16(zip + local + 28);
        if (data > cd || cd - data < csize)
            continue;
        if (method == 0 && csize == usize) {
            payload = zip + data;
        } else if (method == 8 && (expanded = inflate_raw(zip + data, csize, usize)) != NULL) {
            payload = expanded;
        } else {
            continue;
        }
        fn(ctx, payload, usize);
        free(expanded);
        seen++;
    }
    return (int)(seen > 0x7fffffff ? 0x7fffffff : seen);
}
