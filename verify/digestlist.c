/* Digest lists: the verified buffer of each list is kept as it is and
 * searched in place (verify/digestlist.h has the layout). */
#include <stdlib.h>
#include <string.h>

#include "verify/digestlist.h"
#include "verify/sha256.h"
#include "verify/sig.h"
#include "verify/verify.h"

struct list {
    uint8_t *buf;
    const uint8_t *rows;
    size_t n;
};

struct digest_set {
    struct list *l;
    size_t nlists;
    size_t count;
};

struct digest_set *
digest_set_new(void)
{
    return calloc(1, sizeof(struct digest_set));
}

void
digest_set_free(struct digest_set *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nlists; i++)
        free(s->l[i].buf);
    free(s->l);
    free(s);
}

static uint64_t
be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static int
all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

int
digest_set_add(struct digest_set *s, uint8_t *buf, size_t len, const char **why)
{
    const uint8_t *rows = buf + DIGESTLIST_HDR_LEN;
    struct list *nl;
    uint64_t n;

    if (len < DIGESTLIST_HDR_LEN ||
        memcmp(buf, DIGESTLIST_MAGIC, strlen(DIGESTLIST_MAGIC)) != 0) {
        *why = "not a digest list";
        return -1;
    }
    if (buf[8] != IMA_HASH_SHA256) {
        *why = "digest list of another hash than sha256";
        return -1;
    }
    n = be64(buf + 16);
    if (!all_zero(buf + 9, 7) || !all_zero(buf + 24, 8) ||
        n != (len - DIGESTLIST_HDR_LEN) / DIGESTLIST_DIGEST_LEN ||
        (len - DIGESTLIST_HDR_LEN) % DIGESTLIST_DIGEST_LEN != 0) {
        *why = "digest list header does not match its length";
        return -1;
    }
    /* Binary search needs the order; strictness also rules out duplicates. */
    for (uint64_t i = 1; i < n; i++) {
        if (memcmp(rows + (i - 1) * DIGESTLIST_DIGEST_LEN,
                   rows + i * DIGESTLIST_DIGEST_LEN, DIGESTLIST_DIGEST_LEN) >= 0) {
            *why = "digest list not in ascending order";
            return -1;
        }
    }
    if ((nl = reallocarray(s->l, s->nlists + 1, sizeof(*nl))) == NULL) {
        *why = "out of memory";
        return -1;
    }
    s->l = nl;
    s->l[s->nlists++] = (struct list){ .buf = buf, .rows = rows, .n = (size_t)n };
    s->count += (size_t)n;
    return 0;
}

size_t
digest_set_count(const struct digest_set *s)
{
    return s != NULL ? s->count : 0;
}

int
digest_set_contains(const struct digest_set *s, const uint8_t digest[DIGESTLIST_DIGEST_LEN])
{
    for (size_t i = 0; s != NULL && i < s->nlists; i++) {
        size_t lo = 0, hi = s->l[i].n;

        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = memcmp(digest, s->l[i].rows + mid * DIGESTLIST_DIGEST_LEN,
                           DIGESTLIST_DIGEST_LEN);
            if (c == 0)
                return 1;
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
    }
    return 0;
}

int
digest_set_match(const struct digest_set *s, const uint8_t *data, size_t len,
                 struct verify_info *info)
{
    struct verify_info local;

    if (info == NULL)
        info = &local;
    if (digest_set_count(s) == 0)
        return 0;
    sha256(data, len, info->digest);
    info->hash_algo = IMA_HASH_SHA256;
    info->digest_len = SHA256_LEN;
    return digest_set_contains(s, info->digest);
}

static int
cmp_rows(const void *a, const void *b)
{
    return memcmp(a, b, DIGESTLIST_DIGEST_LEN);
}

size_t
digestlist_sort(uint8_t *rows, size_t n)
{
    size_t out = 0;

    if (n == 0)
        return 0;
    qsort(rows, n, DIGESTLIST_DIGEST_LEN, cmp_rows);
    for (size_t i = 1; i < n; i++) {
        const uint8_t *row = rows + i * DIGESTLIST_DIGEST_LEN;

        if (memcmp(rows + out * DIGESTLIST_DIGEST_LEN, row, DIGESTLIST_DIGEST_LEN) != 0) {
            out++;
            memmove(rows + out * DIGESTLIST_DIGEST_LEN, row, DIGESTLIST_DIGEST_LEN);
        }
    }
    return out + 1;
}

void
digestlist_header(uint8_t hdr[DIGESTLIST_HDR_LEN], uint64_t count)
{
    memset(hdr, 0, DIGESTLIST_HDR_LEN);
    memcpy(hdr, DIGESTLIST_MAGIC, strlen(DIGESTLIST_MAGIC));
    hdr[8] = IMA_HASH_SHA256;
    for (int i = 0; i < 8; i++)
        hdr[16 + i] = (uint8_t)(count >> (56 - 8 * i));
}

enum verdict
digest_list_read(const struct verify_cfg *cfg, const char *path, const uint8_t *pin,
                 struct code_file *cf, struct verify_info *info, int *err)
{
    struct verify_cfg pcfg = *cfg;
    struct digest_set *one;
    uint8_t *row;
    const char *why;
    enum verdict v;

    *cf = (struct code_file){ .data = NULL };    /* code_file_free()-able on any verdict */
    if (pin == NULL)
        return code_file_read(cfg, path, cf, info, err);
    /* The pin as a one-digest list: the list must be listed in it. */
    if ((one = digest_set_new()) == NULL ||
        (row = malloc(DIGESTLIST_HDR_LEN + DIGESTLIST_DIGEST_LEN)) == NULL) {
        digest_set_free(one);
        return V_NO_MEMORY;
    }
    digestlist_header(row, 1);
    memcpy(row + DIGESTLIST_HDR_LEN, pin, DIGESTLIST_DIGEST_LEN);
    if (digest_set_add(one, row, DIGESTLIST_HDR_LEN + DIGESTLIST_DIGEST_LEN, &why) != 0) {
        free(row);
        digest_set_free(one);
        return V_NO_MEMORY;
    }
    pcfg.keyring = NULL;
    pcfg.digests = one;
    v = code_file_read(&pcfg, path, cf, info, err);
    digest_set_free(one);
    switch (v) {
    case V_NO_SIGNATURE: case V_MALFORMED: case V_UNSUPPORTED_HASH:
    case V_UNKNOWN_KEY: case V_BAD_SIGNATURE:
        return V_PIN_MISMATCH;
    default:
        return v;
    }
}
