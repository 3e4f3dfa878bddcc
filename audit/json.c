/* The one JSON writer. It runs for every audit event, so strings are scanned
 * for the few bytes that need attention and copied between them in runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/json.h"

static const char hexdigits[] = "0123456789abcdef";

/* Bytes that cannot be copied as they are: ASCII that JSON (or a careless
 * reader) needs escaped, and every non-ASCII byte, which must be validated. */
static const unsigned char special[256] = {
    [0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f ... 0xff] = 1,
};

static void
jbuf_fail(struct jbuf *b)
{
    b->failed = 1;
    /* With no room left, every later append takes the slow path and stops. */
    b->cap = b->len;
}

static int
jbuf_grow(struct jbuf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (b->failed || n > SIZE_MAX - b->len)
        goto fail;
    need = b->len + n;
    if (b->max_len && need > b->max_len)
        goto fail;
    for (cap = b->cap ? b->cap : 256; cap < need; )
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (b->max_len && cap > b->max_len)
        cap = b->max_len;
    if (b->on_heap)
        p = realloc(b->p, cap);
    else if ((p = malloc(cap)) != NULL && b->len)
        memcpy(p, b->p, b->len);
    if (p == NULL)
        goto fail;
    b->p = p;
    b->cap = cap;
    b->on_heap = 1;
    return 0;
fail:
    jbuf_fail(b);
    return -1;
}

static inline int
jbuf_reserve(struct jbuf *b, size_t n)
{
    return n <= b->cap - b->len ? 0 : jbuf_grow(b, n);
}

void
jbuf_init(struct jbuf *b, char *initial, size_t initial_cap, size_t max_len)
{
    b->p = initial;
    b->len = 0;
    b->cap = initial ? initial_cap : 0;
    /* The fast path only compares with cap, so cap must stay under the
     * ceiling. */
    if (max_len && b->cap > max_len)
        b->cap = max_len;
    b->on_heap = 0;
    b->failed = 0;
    b->max_len = max_len;
}

void
jbuf_free(struct jbuf *b)
{
    if (b->on_heap)
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->on_heap = 0;
}

void
jbuf_raw_slow(struct jbuf *b, const char *s, size_t n)
{
    if (n == 0 || jbuf_reserve(b, n) < 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void
jbuf_quote(struct jbuf *b)
{
    jbuf_char(b, '"');
}

/* \uXXXX for one UTF-16 code unit. */
static void
jbuf_uescape(struct jbuf *b, unsigned int u)
{
    char e[6] = {
        '\\', 'u', hexdigits[u >> 12 & 0xf], hexdigits[u >> 8 & 0xf],
        hexdigits[u >> 4 & 0xf], hexdigits[u & 0xf],
    };

    jbuf_raw(b, e, sizeof(e));
}

static void
jbuf_ascii(struct jbuf *b, unsigned char c)
{
    static const char short_form[0x60] = {
        ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
        ['"'] = '"', ['\\'] = '\\',
    };

    if (!special[c])
        jbuf_char(b, (char)c);
    else if (c < sizeof(short_form) && short_form[c])
        jbuf_raw(b, (char[2]){ '\\', short_form[c] }, 2);
    else
        jbuf_uescape(b, c);
}

size_t
utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf;     /* range of the second byte */
    size_t len, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] < 0xc2)                /* continuation byte, or overlong */
        return 0;
    if (s[0] < 0xe0) {
        len = 2;
    } else if (s[0] < 0xf0) {
        len = 3;
        if (s[0] == 0xe0)
            lo = 0xa0;                      /* overlong */
        else if (s[0] == 0xed)
            hi = 0x9f;                      /* surrogates */
    } else if (s[0] < 0xf5) {
        len = 4;
        if (s[0] == 0xf0)
            lo = 0x90;                      /* overlong */
        else if (s[0] == 0xf4)
            hi = 0x8f;                      /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* Whether any of eight bytes is special: a control character, '"', '\\',
 * 0x7f or non-ASCII. Exact as a yes/no, which is all the caller asks. */
static inline int
word_is_special(const unsigned char *s)
{
    const uint64_t ones = 0x0101010101010101ull, high = ones << 7;
    uint64_t v, q, bs, del;

    memcpy(&v, s, sizeof(v));
    q = v ^ (ones * '"');
    bs = v ^ (ones * '\\');
    del = v ^ (ones * 0x7f);
    return (((v - ones * 0x20) | (q - ones) | (bs - ones) | (del - ones)) &
            ~v & high) != 0 || (v & high) != 0;
}

/* U+2028 and U+2029 are valid JSON, but end lines in JavaScript and in some
 * log viewers. */
static int
is_line_separator(const unsigned char *s, size_t len)
{
    return len == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] & 0xfe) == 0xa8;
}

void
jbuf_str_utf8(struct jbuf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0, i = 0, k;

    jbuf_quote(b);
    while (i < n) {
        /* Most strings are mostly plain ASCII: pass over it a word at a time. */
        while (n - i >= 8 && !word_is_special(u + i))
            i += 8;
        if (i == n)
            break;
        if (!special[u[i]]) {
            i++;
            continue;
        }
        k = u[i] < 0x80 ? 0 : utf8_valid_len(u + i, n - i);
        if (k && !is_line_separator(u + i, k)) {
            i += k;
            continue;
        }
        jbuf_raw(b, s + run, i - run);
        if (u[i] < 0x80) {
            jbuf_ascii(b, u[i]);
            i++;
        } else if (k) {
            jbuf_uescape(b, 0x2000 | (u[i + 2] & 0x3f));
            i += k;
        } else {
            jbuf_uescape(b, u[i]);
            i++;
        }
        run = i;
    }
    jbuf_raw(b, s + run, n - run);
    jbuf_quote(b);
}

void
jbuf_codepoint(struct jbuf *b, uint32_t cp)
{
    char u[4];

    if (cp < 0x80) {
        jbuf_ascii(b, (unsigned char)cp);
    } else if ((cp >= 0xd800 && cp <= 0xdfff) ||
               cp == 0x2028 || cp == 0x2029) {
        jbuf_uescape(b, cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        jbuf_raw(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        jbuf_raw(b, u, 3);
    } else if (cp <= 0x10ffff) {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        jbuf_raw(b, u, 4);
    } else {
        jbuf_uescape(b, 0xfffd);            /* not a code point at all */
    }
}

void
jbuf_str_bytes(struct jbuf *b, const uint8_t *s, size_t n)
{
    size_t run = 0, i;

    jbuf_quote(b);
    for (i = 0; i < n; i++) {
        if (!special[s[i]])
            continue;
        jbuf_raw(b, (const char *)s + run, i - run);
        if (s[i] == '"' || s[i] == '\\')
            jbuf_ascii(b, s[i]);
        else
            jbuf_uescape(b, s[i]);
        run = i + 1;
    }
    jbuf_raw(b, (const char *)s + run, n - run);
    jbuf_quote(b);
}

void
jbuf_u64(struct jbuf *b, uint64_t v)
{
    char d[20];
    size_t i = sizeof(d);

    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    jbuf_raw(b, d + i, sizeof(d) - i);
}

void
jbuf_i64(struct jbuf *b, int64_t v)
{
    if (v < 0) {
        jbuf_char(b, '-');
        jbuf_u64(b, -(uint64_t)v);  /* well defined for INT64_MIN too */
    } else {
        jbuf_u64(b, (uint64_t)v);
    }
}

/* Two digits per byte from one table read: every line carries two 64-digit
 * hashes. */
#define HEX_DIGIT(d) (char)((d) < 10 ? '0' + (d) : 'a' + (d) - 10)
#define HEX_PAIR(x) HEX_DIGIT((x) >> 4), HEX_DIGIT((x) & 15)
#define HEX_ROW(r) HEX_PAIR(r + 0), HEX_PAIR(r + 1), HEX_PAIR(r + 2), HEX_PAIR(r + 3), \
                   HEX_PAIR(r + 4), HEX_PAIR(r + 5), HEX_PAIR(r + 6), HEX_PAIR(r + 7), \
                   HEX_PAIR(r + 8), HEX_PAIR(r + 9), HEX_PAIR(r + 10), HEX_PAIR(r + 11), \
                   HEX_PAIR(r + 12), HEX_PAIR(r + 13), HEX_PAIR(r + 14), HEX_PAIR(r + 15)
static const char hex_pairs[512] = {
    HEX_ROW(0x00), HEX_ROW(0x10), HEX_ROW(0x20), HEX_ROW(0x30),
    HEX_ROW(0x40), HEX_ROW(0x50), HEX_ROW(0x60), HEX_ROW(0x70),
    HEX_ROW(0x80), HEX_ROW(0x90), HEX_ROW(0xa0), HEX_ROW(0xb0),
    HEX_ROW(0xc0), HEX_ROW(0xd0), HEX_ROW(0xe0), HEX_ROW(0xf0),
};

void
hex_lower(char *out, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        memcpy(out + 2 * i, hex_pairs + 2 * s[i], 2);
}

void
jbuf_hex(struct jbuf *b, const uint8_t *s, size_t n)
{
    char *o;

    if (n > SIZE_MAX / 2 - 1) {
        jbuf_fail(b);
        return;
    }
    if (jbuf_reserve(b, 2 * n + 2) < 0)
        return;
    o = b->p + b->len;
    o[0] = '"';
    hex_lower(o + 1, s, n);
    o[2 * n + 1] = '"';
    b->len += 2 * n + 2;
}

void
jbuf_timestamp(struct jbuf *b)
{
    /* Every line starts with one: gmtime_r and snprintf cost more than the
     * rest of a small line, so the date and time are formatted once a second
     * (per thread) and only the microseconds for each line. */
    static __thread time_t head_sec = -1;
    static __thread char head[32];          /* "\"YYYY-MM-DDTHH:MM:SS." */
    static __thread size_t head_len;
    struct timespec ts;
    struct tm tm;
    char t[sizeof(head) + 8];
    long us;
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != head_sec) {
        if (gmtime_r(&ts.tv_sec, &tm) == NULL) {
            jbuf_fail(b);
            return;
        }
        n = snprintf(head, sizeof(head), "\"%04d-%02d-%02dT%02d:%02d:%02d.",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (n < 0 || (size_t)n >= sizeof(head)) {
            jbuf_fail(b);
            return;
        }
        head_len = (size_t)n;
        head_sec = ts.tv_sec;
    }
    memcpy(t, head, head_len);
    us = ts.tv_nsec / 1000;
    for (int i = 5; i >= 0; i--, us /= 10)
        t[head_len + (size_t)i] = (char)('0' + us % 10);
    t[head_len + 6] = 'Z';
    t[head_len + 7] = '"';
    jbuf_raw(b, t, head_len + 8);
}
