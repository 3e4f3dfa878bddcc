/* launch/payload.c: verified .pyc payloads, zip archives read the way
 * zipimport reads them, and archives that are not what they claim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "launch/payload.h"

static const uint8_t magic[4] = { 0xa7, 0x0d, 0x0d, 0x0a };

/* A zip archive built in memory: local headers, data, central directory. */
struct zb {
    uint8_t buf[1 << 16];
    size_t n;
    struct {
        char name[32];
        size_t off;
        uint32_t crc, csize, usize;
        int method;
    } m[8];
    int nm;
};

static void
put16(struct zb *z, uint32_t v)
{
    z->buf[z->n++] = (uint8_t)v;
    z->buf[z->n++] = (uint8_t)(v >> 8);
}

static void
put32(struct zb *z, uint32_t v)
{
    put16(z, v & 0xffff);
    put16(z, v >> 16);
}

static void
put(struct zb *z, const void *p, size_t n)
{
    memcpy(z->buf + z->n, p, n);
    z->n += n;
}

static void
zb_add(struct zb *z, const char *name, const uint8_t *data, size_t len, int packs)
{
    uint8_t packed[8192];
    uLongf plen = sizeof(packed);
    z_stream s = { 0 };
    int i = z->nm++;

    snprintf(z->m[i].name, sizeof(z->m[i].name), "%s", name);
    z->m[i].off = z->n;
    z->m[i].crc = (uint32_t)crc32(0, data, (uInt)len);
    z->m[i].usize = (uint32_t)len;
    z->m[i].method = packs ? 8 : 0;
    if (packs) {
        assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        s.next_in = (Bytef *)data;
        s.avail_in = (uInt)len;
        s.next_out = packed;
        s.avail_out = (uInt)plen;
        assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
        plen = s.total_out;
        deflateEnd(&s);
    } else {
        memcpy(packed, data, len);
        plen = len;
    }
    z->m[i].csize = (uint32_t)plen;
    put32(z, 0x04034b50);
    put16(z, 20); put16(z, 0); put16(z, (uint32_t)z->m[i].method);
    put16(z, 0); put16(z, 0);
    put32(z, z->m[i].crc); put32(z, z->m[i].csize); put32(z, z->m[i].usize);
    put16(z, (uint32_t)strlen(name)); put16(z, 0);
    put(z, name, strlen(name));
    put(z, packed, plen);
}

static size_t
zb_finish(struct zb *z, size_t base)
{
    size_t cd = z->n, cd_end;

    for (int i = 0; i < z->nm; i++) {
        put32(z, 0x02014b50);
        put16(z, 20); put16(z, 20); put16(z, 0); put16(z, (uint32_t)z->m[i].method);
        put16(z, 0); put16(z, 0);
        put32(z, z->m[i].crc); put32(z, z->m[i].csize); put32(z, z->m[i].usize);
        put16(z, (uint32_t)strlen(z->m[i].name)); put16(z, 0); put16(z, 0);
        put16(z, 0); put16(z, 0); put32(z, 0);
        put32(z, (uint32_t)(z->m[i].off - base));
        put(z, z->m[i].name, strlen(z->m[i].name));
    }
    cd_end = z->n;
    put32(z, 0x06054b50);
    put16(z, 0); put16(z, 0);
    put16(z, (uint32_t)z->nm); put16(z, (uint32_t)z->nm);
    put32(z, (uint32_t)(cd_end - cd));
    put32(z, (uint32_t)(cd - base));
    put16(z, 0);
    return z->n;
}

/* A .pyc: magic, 12 header bytes, then the payload. */
static size_t
make_pyc(uint8_t *out, const char *payload)
{
    memcpy(out, magic, 4);
    memset(out + 4, 0, 12);
    memcpy(out + 16, payload, strlen(payload));
    return 16 + strlen(payload);
}

static int members;

static void
count_member(void *ctx, const uint8_t *data, size_t n)
{
    (void)ctx;
    (void)data;
    (void)n;
    members++;
}

static void
test_pyc(void **state)
{
    uint8_t pyc[256];
    size_t n = make_pyc(pyc, "code object from a verified file");

    (void)state;
    assert_false(payload_known(pyc + 16, n - 16));
    payload_remember(pyc, n, magic, "sha256:aa");
    assert_true(payload_known(pyc + 16, n - 16));
    /* The whole file, a prefix or a neighbour is not the payload. */
    assert_false(payload_known(pyc, n));
    assert_false(payload_known(pyc + 16, n - 17));
    pyc[20] ^= 1;
    assert_false(payload_known(pyc + 16, n - 16));
    /* Something other than a .pyc or a zip: nothing remembered, no harm. */
    payload_remember((const uint8_t *)"print('hello')\n", 15, magic, "sha256:bb");
    assert_false(payload_known((const uint8_t *)"", 0));
}

static void
test_zip_members(void **state)
{
    static struct zb z;
    uint8_t a[256], b[512], big[4096];
    size_t na = make_pyc(a, "stored member"), nb;
    char filler[400];

    (void)state;
    memset(filler, 'x', sizeof(filler) - 1);
    filler[sizeof(filler) - 1] = '\0';
    nb = make_pyc(b, filler);
    memset(&z, 0, sizeof(z));
    zb_add(&z, "pkg/a.pyc", a, na, 0);
    zb_add(&z, "pkg/b.pyc", b, nb, 1);
    zb_add(&z, "pkg/c.py", (const uint8_t *)"x = 1\n", 6, 0);
    memset(big, 0, sizeof(big));
    memcpy(big, magic, 4);
    zb_add(&z, "pkg/big.pyc", big, sizeof(big), 1);
    zb_finish(&z, 0);
    members = 0;
    assert_int_equal(zip_each_pyc(z.buf, z.n, 1 << 20, count_member, NULL), 3);
    /* A member larger than allowed is left out. */
    members = 0;
    assert_int_equal(zip_each_pyc(z.buf, z.n, 1024, count_member, NULL), 2);
    payload_remember(z.buf, z.n, magic, "sha256:zip1");
    assert_true(payload_known(a + 16, na - 16));
    assert_true(payload_known(b + 16, nb - 16));
    assert_false(payload_known((const uint8_t *)"x = 1\n", 6));
}

/* Data before the archive (a launcher) shifts every offset alike. */
static void
test_zip_prefixed(void **state)
{
    static struct zb z;
    uint8_t a[64];
    size_t na = make_pyc(a, "behind a launcher");

    (void)state;
    memset(&z, 0, sizeof(z));
    put(&z, "#!/usr/bin/spython\n", 19);
    zb_add(&z, "m.pyc", a, na, 1);
    zb_finish(&z, 19);
    members = 0;
    assert_int_equal(zip_each_pyc(z.buf, z.n, 1 << 20, count_member, NULL), 1);
    payload_remember(z.buf, z.n, magic, "sha256:zip2");
    assert_true(payload_known(a + 16, na - 16));
}

/* Every truncation and thousands of corruptions: read as far as they make
 * sense, never outside the buffer (the sanitizer build watches). */
static void
test_zip_hostile(void **state)
{
    static struct zb z;
    static uint8_t copy[sizeof(z.buf)];
    uint8_t a[128], b[128];
    size_t na = make_pyc(a, "one"), nb = make_pyc(b, "two, deflated");
    uint32_t rng = 7;
    int r;

    (void)state;
    memset(&z, 0, sizeof(z));
    zb_add(&z, "a.pyc", a, na, 0);
    zb_add(&z, "b.pyc", b, nb, 1);
    zb_finish(&z, 0);
    for (size_t len = 0; len < z.n; len++) {
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, z.buf, len);
        r = zip_each_pyc(cut, len, 1 << 20, count_member, NULL);
        assert_true(r >= -1 && r <= 2);
        free(cut);
    }
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(copy, z.buf, z.n);
        for (int k = 0; k < 1 + iter % 4; k++) {
            rng = rng * 1103515245 + 12345;
            copy[(rng >> 8) % z.n] = (uint8_t)(rng >> 24);
        }
        uint8_t *exact = malloc(z.n);
        memcpy(exact, copy, z.n);
        r = zip_each_pyc(exact, z.n, 1 << 20, count_member, NULL);
        assert_true(r >= -1 && r <= 2);
        free(exact);
    }
    assert_int_equal(zip_each_pyc((const uint8_t *)"PK\5\6", 4, 1, count_member, NULL), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pyc),
        cmocka_unit_test(test_zip_members),
        cmocka_unit_test(test_zip_prefixed),
        cmocka_unit_test(test_zip_hostile),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
