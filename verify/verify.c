/* Bytes in, verdict out: check an IMA v2 signature over a buffer against the keyring. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "verify/sig.h"
#include "verify/verify.h"

/* One candidate key: RSA PKCS#1 v1.5 or ECDSA over the digest, as the kernel checks. */
static int
signature_ok(EVP_PKEY *pkey, const EVP_MD *md, const struct ima_sig *s,
             const uint8_t *digest, size_t digest_len)
{
    EVP_PKEY_CTX *ctx;
    int ok = 0;

    if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
        goto out;
    if (EVP_PKEY_verify_init(ctx) != 1)
        goto out;
    if (EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
        goto out;
    if (EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
        goto out;
    ok = EVP_PKEY_verify(ctx, s->sig, s->sig_len, digest, digest_len) == 1;
out:
    EVP_PKEY_CTX_free(ctx);
    /* A bad signature leaves errors queued; they must not surface in unrelated code. */
    ERR_clear_error();
    return ok;
}

enum verdict
verify_buffer(const struct keyring *kr,
              const uint8_t *data, size_t len,
              const uint8_t *xattr, size_t xattr_len,
              struct verify_info *info)
{
    struct verify_info local;
    struct ima_sig sig;
    const EVP_MD *md;
    EVP_PKEY *pkey;
    enum verdict v;
    unsigned int dlen;
    size_t cursor = 0;
    int candidates = 0;

    if (info == NULL)
        info = &local;
    memset(info, 0, sizeof(*info));
    if ((v = sig_parse_ima_v2(xattr, xattr_len, &sig)) != V_OK)
        return v;
    info->hash_algo = sig.hash_algo;
    memcpy(info->keyid, sig.keyid, sizeof(info->keyid));
    info->have_keyid = 1;

    /* Known to sig.c but missing from this OpenSSL (a FIPS build, say). */
    if ((md = verify_md(sig.hash_algo)) == NULL)
        return V_UNSUPPORTED_HASH;
    /* The digest comes first: audit logs want it even when no key matches. */
    if (EVP_Digest(data, len, info->digest, &dlen, md, NULL) != 1) {
        ERR_clear_error();
        return V_NO_MEMORY;
    }
    info->digest_len = dlen;

    while ((pkey = keyring_find(kr, sig.keyid, &cursor)) != NULL) {
        candidates++;
        if (signature_ok(pkey, md, &sig, info->digest, info->digest_len))
            return V_OK;
    }
    return candidates > 0 ? V_BAD_SIGNATURE : V_UNKNOWN_KEY;
}
