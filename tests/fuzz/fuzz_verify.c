/* verify_buffer with a fixed keyring (an EC certificate and an RSA public key,
 * tests/fuzz/keys/trusted) against a hostile xattr value and hostile bytes.
 *
 * Input: 2 bytes big-endian xattr length, the xattr value, then the data.
 * mkseeds.sh makes seeds signed by those keys, so mutations start from
 * signatures that verify.
 *
 * Beyond "does not crash": a verdict always matches what the parser says, the
 * digest handed back is the real digest of the data, and a signature that
 * verifies never verifies again once one bit of the data changes. */
#include <string.h>

#include <openssl/evp.h>

#include "tests/fuzz/fuzz.h"
#include "verify/sig.h"
#include "verify/verify.h"

#ifndef FUZZ_KEYDIR
#error "build with -DFUZZ_KEYDIR=\"/abs/path/tests/fuzz/keys\""
#endif

static struct keyring *kr;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[512];

    if ((kr = keyring_new()) == NULL ||
        keyring_add_path(kr, FUZZ_KEYDIR "/trusted", err, sizeof(err)) != 2) {
        fprintf(stderr, "fuzz_verify: keyring: %s\n", kr ? err : "out of memory");
        abort();
    }
    return 0;
}

/* Exact-size heap copies: ASan then catches a read one byte past either. */
static uint8_t *
copy(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);

    FUZZ_ASSERT(c != NULL);
    memcpy(c, p, n);
    return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    struct verify_info info, again;
    struct ima_sig s;
    uint8_t md[EVP_MAX_MD_SIZE], *xattr, *data;
    size_t xlen = 0, dlen;
    unsigned int mdlen;
    enum verdict v, pv;

    if (size >= 2) {
        xlen = (size_t)in[0] << 8 | in[1];
        if (xlen > size - 2)
            xlen = size - 2;
        in += 2;
        size -= 2;
    }
    dlen = size - xlen;
    xattr = copy(in, xlen);
    data = copy(in + xlen, dlen);

    v = verify_buffer(kr, data, dlen, xattr, xlen, &info);
    pv = sig_parse_ima_v2(xattr, xlen, &s);
    if (pv != V_OK) {
        /* Nothing past the parser runs on a value it refuses. */
        FUZZ_ASSERT(v == pv && !info.have_keyid && info.digest_len == 0);
        goto out;
    }
    FUZZ_ASSERT(v == V_OK || v == V_UNKNOWN_KEY || v == V_BAD_SIGNATURE);
    FUZZ_ASSERT(info.have_keyid && info.hash_algo == s.hash_algo &&
                memcmp(info.keyid, s.keyid, 4) == 0);
    FUZZ_ASSERT(EVP_Digest(data, dlen, md, &mdlen, verify_md(s.hash_algo), NULL) == 1);
    FUZZ_ASSERT(info.digest_len == mdlen && memcmp(info.digest, md, mdlen) == 0);
    if (v != V_OK)
        goto out;

    /* The same inputs give the same answer; other bytes never verify. */
    FUZZ_ASSERT(verify_buffer(kr, data, dlen, xattr, xlen, &again) == V_OK);
    if (dlen > 0) {
        data[dlen / 2] ^= 0x01;
        FUZZ_ASSERT(verify_buffer(kr, data, dlen, xattr, xlen, &again) == V_BAD_SIGNATURE);
    }
out:
    free(data);
    free(xattr);
    return 0;
}
