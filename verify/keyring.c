/* Trusted public keys: load certificates and public keys, index them by IMA key id. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "verify/keyfiles.h"
#include "verify/keyring.h"
#include "verify/sig.h"

#define RSA_MIN_BITS    2048

struct keyring_entry {
    uint8_t keyid[4];
    EVP_PKEY *pkey;                 /* one reference per entry */
};

struct keyring {
    struct keyring_entry *e;
    size_t n, cap;
    size_t nkeys;                   /* a certificate's key may have two entries */
};

/* One key found in a file; skid is set for a certificate that carries one. */
struct decoded {
    EVP_PKEY *pkey;
    uint8_t skid[4];
    int have_skid;
};

typedef int (*decode_fn)(const uint8_t *der, size_t len, struct decoded *out);
typedef int (*found_fn)(void *arg, const char *path, struct decoded *d,
                        char *err, size_t errlen);

static const char *const ec_curves[] = { "prime256v1", "secp384r1", "secp521r1" };

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

struct keyring *
keyring_new(void)
{
    return calloc(1, sizeof(struct keyring));
}

/* Drop entries back to a count taken earlier: a path that fails adds nothing. */
static void
keyring_truncate(struct keyring *kr, size_t n, size_t nkeys)
{
    while (kr->n > n)
        EVP_PKEY_free(kr->e[--kr->n].pkey);
    kr->nkeys = nkeys;
}

void
keyring_free(struct keyring *kr)
{
    if (kr == NULL)
        return;
    keyring_truncate(kr, 0, 0);
    free(kr->e);
    free(kr);
}

size_t
keyring_count(const struct keyring *kr)
{
    return kr->nkeys;
}

int
keyid_of_pkey(EVP_PKEY *pkey, uint8_t out[4])
{
    X509_PUBKEY *pk = NULL;
    const unsigned char *pub;
    unsigned char md[20];
    size_t mdlen;
    int len, rc = -1;

    /* Same route as evmctl's calc_keyid_v2: the BIT STRING of the SPKI, whatever the key type. */
    if (X509_PUBKEY_set(&pk, pkey) != 1 ||
        X509_PUBKEY_get0_param(NULL, &pub, &len, NULL, pk) != 1)
        goto out;
    if (EVP_Q_digest(NULL, "SHA1", NULL, pub, (size_t)len, md, &mdlen) != 1 ||
        mdlen != sizeof(md))
        goto out;
    memcpy(out, md + sizeof(md) - 4, 4);
    rc = 0;
out:
    X509_PUBKEY_free(pk);
    ERR_clear_error();
    return rc;
}

int
keyring_key_supported(EVP_PKEY *pkey, char *err, size_t errlen)
{
    char curve[64];
    int bits;

    if (EVP_PKEY_is_a(pkey, "RSA")) {
        bits = EVP_PKEY_get_bits(pkey);
        if (bits < RSA_MIN_BITS)
            return fail(err, errlen, "RSA key of %d bits (at least %d needed)",
                        bits, RSA_MIN_BITS);
        /* Its signatures would not fit the xattr format. */
        if (bits > IMA_SIG_MAX_LEN * 8)
            return fail(err, errlen, "RSA key of %d bits (at most %d)",
                        bits, IMA_SIG_MAX_LEN * 8);
        return 0;
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                           curve, sizeof(curve), NULL) != 1) {
            ERR_clear_error();
            return fail(err, errlen, "EC key on an unnamed curve");
        }
        for (size_t i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++)
            if (strcmp(curve, ec_curves[i]) == 0)
                return 0;
        return fail(err, errlen, "EC key on curve %s (P-256, P-384 or P-521 needed)", curve);
    }
    return fail(err, errlen, "%s key (RSA or EC needed)", EVP_PKEY_get0_type_name(pkey));
}

static int
keyring_push(struct keyring *kr, const uint8_t keyid[4], EVP_PKEY *pkey)
{
    if (EVP_PKEY_up_ref(pkey) != 1)
        return -1;
    memcpy(kr->e[kr->n].keyid, keyid, 4);
    kr->e[kr->n].pkey = pkey;
    kr->n++;
    return 0;
}

int
keyring_add_pkey(struct keyring *kr, EVP_PKEY *pkey, const uint8_t *cert_skid, size_t skid_len)
{
    struct keyring_entry *ne;
    size_t n0 = kr->n, ncap;
    uint8_t id[4];
    const uint8_t *skid_id;

    if (keyring_key_supported(pkey, NULL, 0) != 0 || keyid_of_pkey(pkey, id) != 0)
        return -1;
    /* Room for both entries first, so a failure leaves the keyring as it was. */
    if (kr->cap - kr->n < 2) {
        ncap = kr->cap ? kr->cap * 2 : 8;
        if ((ne = reallocarray(kr->e, ncap, sizeof(*ne))) == NULL)
            return -1;
        kr->e = ne;
        kr->cap = ncap;
    }
    if (keyring_push(kr, id, pkey) != 0)
        return -1;
    if (cert_skid != NULL && skid_len >= 4) {
        skid_id = cert_skid + skid_len - 4;
        if (memcmp(skid_id, id, 4) != 0 && keyring_push(kr, skid_id, pkey) != 0) {
            keyring_truncate(kr, n0, kr->nkeys);
            return -1;
        }
    }
    kr->nkeys++;
    return 0;
}

EVP_PKEY *
keyring_find(const struct keyring *kr, const uint8_t keyid[4], size_t *cursor)
{
    if (kr == NULL)                 /* no keyring (a pinned list): no key */
        return NULL;
    for (size_t i = *cursor; i < kr->n; i++) {
        if (memcmp(kr->e[i].keyid, keyid, 4) == 0) {
            *cursor = i + 1;
            return kr->e[i].pkey;
        }
    }
    *cursor = kr->n;
    return NULL;
}

/* Decoders: 0 and out->pkey set if der is exactly one object of that kind. */

static int
decode_cert(const uint8_t *der, size_t len, struct decoded *out)
{
    const unsigned char *p = der;
    const ASN1_OCTET_STRING *skid;
    X509 *x;

    if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len)
        goto fail;
    if ((out->pkey = X509_get_pubkey(x)) == NULL)
        goto fail;
    skid = X509_get0_subject_key_id(x);
    if (skid != NULL && ASN1_STRING_length(skid) >= 4) {
        memcpy(out->skid, ASN1_STRING_get0_data(skid) + ASN1_STRING_length(skid) - 4, 4);
        out->have_skid = 1;
    }
    X509_free(x);
    return 0;
fail:
    X509_free(x);
    return -1;
}

static int
decode_spki(const uint8_t *der, size_t len, struct decoded *out)
{
    const unsigned char *p = der;

    out->pkey = d2i_PUBKEY(NULL, &p, (long)len);
    if (out->pkey != NULL && p != der + len) {
        EVP_PKEY_free(out->pkey);
        out->pkey = NULL;
    }
    return out->pkey != NULL ? 0 : -1;
}

static int
decode_rsa_pkcs1(const uint8_t *der, size_t len, struct decoded *out)
{
    const unsigned char *p = der;

    out->pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
    if (out->pkey != NULL && p != der + len) {
        EVP_PKEY_free(out->pkey);
        out->pkey = NULL;
    }
    return out->pkey != NULL ? 0 : -1;
}

/* PEM blocks by label. A NULL decoder marks a private key: it has no business
 * in a keyring, and finding one means the wrong file was deployed. Other labels
 * (EC PARAMETERS, X509 CRL, ...) are skipped. */
static const struct pem_kind {
    const char *label;
    decode_fn decode;
} pem_kinds[] = {
    { "CERTIFICATE",            decode_cert },
    { "PUBLIC KEY",             decode_spki },
    { "RSA PUBLIC KEY",         decode_rsa_pkcs1 },
    { "PRIVATE KEY",            NULL },
    { "ENCRYPTED PRIVATE KEY",  NULL },
    { "RSA PRIVATE KEY",        NULL },
    { "EC PRIVATE KEY",         NULL },
};

/* What a DER file may be, tried in order. */
static const decode_fn der_kinds[] = { decode_cert, decode_spki };

static const struct pem_kind *
pem_kind_by_label(const char *label)
{
    for (size_t i = 0; i < sizeof(pem_kinds) / sizeof(pem_kinds[0]); i++)
        if (strcmp(pem_kinds[i].label, label) == 0)
            return &pem_kinds[i];
    return NULL;
}

/* Call found() for each key in a PEM or DER file image; returns how many, or -1. */
static int
for_each_key(const char *path, const uint8_t *buf, size_t len, found_fn found, void *arg,
             char *err, size_t errlen)
{
    const struct pem_kind *kind;
    struct decoded d;
    BIO *bio = NULL;
    char *label = NULL, *header = NULL;
    unsigned char *der = NULL;
    long derlen = 0;
    unsigned long e;
    int n = 0, rc = -1;

    ERR_clear_error();
    if (memmem(buf, len, "-----BEGIN ", 11) == NULL) {
        for (size_t i = 0; i < sizeof(der_kinds) / sizeof(der_kinds[0]); i++) {
            memset(&d, 0, sizeof(d));
            if (der_kinds[i](buf, len, &d) == 0) {
                rc = found(arg, path, &d, err, errlen) == 0 ? 1 : -1;
                EVP_PKEY_free(d.pkey);
                goto out;
            }
        }
        fail(err, errlen, "%s: not a certificate or public key (PEM or DER)", path);
        goto out;
    }
    if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
        fail(err, errlen, "%s: out of memory", path);
        goto out;
    }
    while (PEM_read_bio(bio, &label, &header, &der, &derlen) == 1) {
        if ((kind = pem_kind_by_label(label)) != NULL) {
            if (kind->decode == NULL) {
                fail(err, errlen, "%s: holds a private key, not a certificate or public key", path);
                goto out;
            }
            memset(&d, 0, sizeof(d));
            if (kind->decode(der, (size_t)derlen, &d) != 0) {
                fail(err, errlen, "%s: bad %s", path, label);
                goto out;
            }
            if (found(arg, path, &d, err, errlen) != 0) {
                EVP_PKEY_free(d.pkey);
                goto out;
            }
            EVP_PKEY_free(d.pkey);
            n++;
        }
        OPENSSL_free(label);
        OPENSSL_free(header);
        OPENSSL_clear_free(der, (size_t)derlen);
        label = header = NULL;
        der = NULL;
    }
    /* PEM_read_bio ends every file with "no start line"; anything else is damage. */
    e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
        fail(err, errlen, "%s: bad PEM data", path);
        goto out;
    }
    rc = n;
out:
    OPENSSL_free(label);
    OPENSSL_free(header);
    OPENSSL_clear_free(der, (size_t)derlen);
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

static int
found_add(void *arg, const char *path, struct decoded *d, char *err, size_t errlen)
{
    struct keyring *kr = arg;
    char why[128];

    if (keyring_key_supported(d->pkey, why, sizeof(why)) != 0)
        return fail(err, errlen, "%s: unsupported key: %s", path, why);
    if (keyring_add_pkey(kr, d->pkey, d->have_skid ? d->skid : NULL, sizeof(d->skid)) != 0)
        return fail(err, errlen, "%s: cannot add key", path);
    return 0;
}

int
keyring_add_images(struct keyring *kr, const struct key_images *imgs, char *err, size_t errlen)
{
    size_t n0 = kr->n, k0 = kr->nkeys;
    int n, total = 0;

    for (size_t i = 0; i < imgs->n; i++) {
        const struct key_image *im = &imgs->v[i];

        n = for_each_key(im->path, im->data, im->len, found_add, kr, err, errlen);
        if (n == 0)
            n = fail(err, errlen, "%s: no certificate or public key found", im->path);
        if (n < 0) {
            keyring_truncate(kr, n0, k0);
            return -1;
        }
        total += n;
    }
    return total;
}

int
keyring_add_path(struct keyring *kr, const char *path, char *err, size_t errlen)
{
    struct key_images imgs = { NULL, 0, 0 };
    int rc = -1;

    if (key_images_read(&imgs, path, err, errlen) == 0)
        rc = keyring_add_images(kr, &imgs, err, errlen);
    key_images_clear(&imgs);
    return rc;
}

struct first_cert {
    uint8_t keyid[4];
    EVP_PKEY *pkey;
    int done;
};

static int
found_cert(void *arg, const char *path, struct decoded *d, char *err, size_t errlen)
{
    struct first_cert *fc = arg;

    if (fc->done)
        return 0;
    if (!d->have_skid)
        return fail(err, errlen, "%s: no Subject Key Identifier", path);
    memcpy(fc->keyid, d->skid, 4);
    if (EVP_PKEY_up_ref(d->pkey) != 1)
        return fail(err, errlen, "%s: out of memory", path);
    fc->pkey = d->pkey;
    fc->done = 1;
    return 0;
}

int
cert_read_skid(const char *path, uint8_t keyid[4], EVP_PKEY **pkey, char *err, size_t errlen)
{
    struct first_cert fc = { .pkey = NULL, .done = 0 };
    struct key_images imgs = { NULL, 0, 0 };
    int rc = -1;

    if (key_images_read_file(&imgs, path, err, errlen) != 0)
        goto out;
    if (for_each_key(path, imgs.v[0].data, imgs.v[0].len, found_cert, &fc, err, errlen) < 0)
        goto out;
    if (!fc.done) {
        fail(err, errlen, "%s: no certificate found", path);
        goto out;
    }
    memcpy(keyid, fc.keyid, 4);
    if (pkey != NULL) {
        *pkey = fc.pkey;
        fc.pkey = NULL;
    }
    rc = 0;
out:
    EVP_PKEY_free(fc.pkey);
    key_images_clear(&imgs);
    return rc;
}
