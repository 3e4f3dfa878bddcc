/* The JSON writer on hostile bytes, checked by a real JSON parser (jansson)
 * and by a UTF-8 decoder written here independently of audit/json.c:
 *  - jbuf_str_utf8: the output is valid UTF-8 with no raw control character
 *    or line separator, parses as one JSON string, and decodes to the input
 *    with every byte of an invalid sequence as the code point U+00XX (so
 *    valid input comes back unchanged);
 *  - jbuf_str_bytes: decodes to the input bytes, one code point each;
 *  - jbuf_codepoint: 3-byte groups of the input as code points decode back
 *    to themselves (U+FFFD beyond U+10FFFF);
 *  - a capped buffer either holds exactly what the uncapped one holds or says
 *    it failed, and never grows past its cap;
 *  - jbuf_i64 and jbuf_hex of the first bytes parse back to the same value. */
#include <string.h>

#include <jansson.h>

#include "audit/json.h"
#include "tests/fuzz/fuzz.h"

/* Length of the well-formed UTF-8 sequence at s, 0 if none; *cp its value.
 * Decode first, judge the value after: a different method from json.c's. */
static size_t
ref_utf8(const uint8_t *s, size_t n, uint32_t *cp)
{
    static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t len, i;
    uint32_t c;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0)
        len = 2, c = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        len = 3, c = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        len = 4, c = s[0] & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min_cp[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static size_t
put_utf8(uint8_t *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (uint8_t)(0xc0 | c >> 6);
        o[1] = (uint8_t)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (uint8_t)(0xe0 | c >> 12);
        o[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
        o[2] = (uint8_t)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | c >> 18);
    o[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
    o[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
    o[3] = (uint8_t)(0x80 | (c & 0x3f));
    return 4;
}

/* Output every JSON consumer can take: valid UTF-8, no raw control
 * character, no raw U+2028/U+2029. */
static void
check_text(const struct jbuf *b)
{
    const uint8_t *u = (const uint8_t *)b->p;
    size_t i, k;
    uint32_t c;

    FUZZ_ASSERT(!b->failed && b->len >= 2 && u[0] == '"' && u[b->len - 1] == '"');
    for (i = 0; i < b->len; i += k) {
        FUZZ_ASSERT((k = ref_utf8(u + i, b->len - i, &c)) > 0);
        FUZZ_ASSERT(c >= 0x20 && c != 0x2028 && c != 0x2029);
    }
}

/* Parse b as one JSON string; compare its UTF-8 with want[0..wlen). */
static void
check_decodes_to(const struct jbuf *b, const uint8_t *want, size_t wlen)
{
    json_error_t jerr;
    json_t *j = json_loadb(b->p, b->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

    if (j == NULL) {
        fprintf(stderr, "jansson: %s at %d\n", jerr.text, jerr.position);
        abort();
    }
    FUZZ_ASSERT(json_is_string(j));
    FUZZ_ASSERT(json_string_length(j) == wlen &&
                memcmp(json_string_value(j), want, wlen) == 0);
    json_decref(j);
}

static void
fuzz_str_utf8(const uint8_t *in, size_t size, uint8_t *want)
{
    struct jbuf b, capped;
    char stack[16];
    size_t i = 0, k, w = 0, max_len;
    uint32_t c;

    while (i < size) {
        if ((k = ref_utf8(in + i, size - i, &c)) > 0) {
            memcpy(want + w, in + i, k);
            w += k;
            i += k;
        } else {
            w += put_utf8(want + w, in[i++]);
        }
    }
    jbuf_init(&b, NULL, 0, 0);
    jbuf_str_utf8(&b, (const char *)in, size);
    check_text(&b);
    check_decodes_to(&b, want, w);

    /* The cap comes from the input too, so every edge gets tried. */
    max_len = size > 0 ? (size_t)in[0] * 3 + 1 : 1;
    jbuf_init(&capped, stack, sizeof(stack), max_len);
    jbuf_str_utf8(&capped, (const char *)in, size);
    FUZZ_ASSERT(capped.len <= max_len && capped.cap <= max_len);
    if (!capped.failed)
        FUZZ_ASSERT(capped.len == b.len && memcmp(capped.p, b.p, b.len) == 0);
    else
        FUZZ_ASSERT(b.len > max_len);
    jbuf_free(&capped);
    jbuf_free(&b);
}

static void
fuzz_str_bytes(const uint8_t *in, size_t size, uint8_t *want)
{
    struct jbuf b;
    size_t i, w = 0;

    for (i = 0; i < size; i++)
        w += put_utf8(want + w, in[i]);
    jbuf_init(&b, NULL, 0, 0);
    jbuf_str_bytes(&b, in, size);
    check_text(&b);
    check_decodes_to(&b, want, w);
    jbuf_free(&b);
}

static void
fuzz_codepoints(const uint8_t *in, size_t size, uint8_t *want)
{
    struct jbuf b;
    size_t i, w = 0, surrogates = 0, escapes = 0;
    uint32_t c;

    jbuf_init(&b, NULL, 0, 0);
    jbuf_quote(&b);
    for (i = 0; i + 3 <= size; i += 3) {
        c = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8 | (uint32_t)in[i + 2] << 16;
        jbuf_codepoint(&b, c);
        if (c >= 0xd800 && c <= 0xdfff)
            surrogates++;
        w += put_utf8(want + w, c > 0x10ffff ? 0xfffd : c);
    }
    jbuf_quote(&b);
    check_text(&b);
    if (surrogates == 0) {
        check_decodes_to(&b, want, w);
    } else {
        /* Lone surrogates are not UTF-8; they must appear as \uDXXX escapes
         * (which a strict parser such as jansson rightly refuses). */
        for (i = 0; i < b.len; i++) {
            if (b.p[i] != '\\')
                continue;
            if (b.p[i + 1] == 'u' && b.p[i + 2] == 'd' && strchr("89abcdef", b.p[i + 3]))
                escapes++;
            i += b.p[i + 1] == 'u' ? 5 : 1;
        }
        FUZZ_ASSERT(escapes == surrogates);
    }
    jbuf_free(&b);
}

static void
fuzz_numbers(const uint8_t *in, size_t size)
{
    struct jbuf b;
    json_error_t jerr;
    json_t *j;
    int64_t v = 0;
    size_t n = size < sizeof(v) ? size : sizeof(v);
    char hex[2 * sizeof(v) + 1] = "";

    memcpy(&v, in, n);
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", in[i]);
    jbuf_init(&b, NULL, 0, 0);
    jbuf_char(&b, '[');
    jbuf_i64(&b, v);
    jbuf_char(&b, ',');
    jbuf_hex(&b, in, n);
    jbuf_char(&b, ']');
    FUZZ_ASSERT(!b.failed);
    j = json_loadb(b.p, b.len, 0, &jerr);
    FUZZ_ASSERT(j != NULL && json_array_size(j) == 2);
    FUZZ_ASSERT(json_integer_value(json_array_get(j, 0)) == v);
    FUZZ_ASSERT(strcmp(json_string_value(json_array_get(j, 1)), hex) == 0);
    json_decref(j);
    jbuf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    /* Every input byte becomes at most 4 output bytes. */
    uint8_t *want = malloc(4 * size + 1);

    FUZZ_ASSERT(want != NULL);
    fuzz_str_utf8(in, size, want);
    fuzz_str_bytes(in, size, want);
    fuzz_codepoints(in, size, want);
    fuzz_numbers(in, size);
    free(want);
    return 0;
}
