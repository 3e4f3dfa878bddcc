/* The one JSON writer: an append-only buffer with correct escaping. */
#ifndef SPY_JSON_H
#define SPY_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jbuf {
    char *p;
    size_t len;
    size_t cap;
    int on_heap;        /* p was malloc'd (grown past the caller's stack buffer) */
    int failed;         /* an allocation failed or max_len was hit: do not use p */
    size_t max_len;     /* hard ceiling on len; 0 means no ceiling */
};

/* Start with a caller-owned buffer (often on the stack); grows onto the heap. */
void jbuf_init(struct jbuf *b, char *initial, size_t initial_cap, size_t max_len);
void jbuf_free(struct jbuf *b);

/* Appends that outgrow the buffer, or follow a failure. */
void jbuf_raw_slow(struct jbuf *b, const char *s, size_t n);

/* The appends every line makes a dozen times are inline: with a literal, the
 * length is a constant and the copy a few moves (a failed buffer has
 * cap == len, so it always takes the slow path, which stops there). */
static inline void
jbuf_raw(struct jbuf *b, const char *s, size_t n)                /* no escaping */
{
    if (n != 0 && n <= b->cap - b->len) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    } else {
        jbuf_raw_slow(b, s, n);
    }
}

static inline void
jbuf_lit(struct jbuf *b, const char *s)                          /* raw, NUL-terminated */
{
    jbuf_raw(b, s, strlen(s));
}

static inline void
jbuf_char(struct jbuf *b, char c)
{
    jbuf_raw(b, &c, 1);
}

/* Quoted JSON string from UTF-8 bytes. Valid UTF-8 is copied; control characters,
 * '"' and '\\' are escaped; each byte of an invalid sequence becomes \u00XX
 * preceded by nothing else, so the output is always valid UTF-8 JSON. */
void jbuf_str_utf8(struct jbuf *b, const char *s, size_t n);

/* Pieces for callers that walk code points themselves (Python str objects): */
void jbuf_quote(struct jbuf *b);                   /* '"' */
void jbuf_codepoint(struct jbuf *b, uint32_t cp);  /* escaped as needed; lone surrogates as \uDXXX */

/* Quoted string for arbitrary bytes: printable ASCII copied (escaped as needed),
 * every other byte as \u00XX, so a reader recovers the bytes exactly as latin-1. */
void jbuf_str_bytes(struct jbuf *b, const uint8_t *s, size_t n);

void jbuf_i64(struct jbuf *b, int64_t v);
void jbuf_u64(struct jbuf *b, uint64_t v);
void jbuf_hex(struct jbuf *b, const uint8_t *s, size_t n);    /* quoted lowercase hex */

/* Lowercase hex of n bytes into out (2n bytes, no NUL). */
void hex_lower(char *out, const uint8_t *s, size_t n);

/* "2026-11-29T00:42:46.123456Z" (quoted) from CLOCK_REALTIME. */
void jbuf_timestamp(struct jbuf *b);

/* Length (1-4) of the well-formed UTF-8 sequence at s[0..n), n >= 1, or 0 if
 * there is none (overlong form, surrogate, above U+10FFFF, truncated, stray
 * continuation byte). The one definition of valid UTF-8: policy/ uses it too. */
size_t utf8_valid_len(const unsigned char *s, size_t n);

#endif
