/* IMA v2 signature xattr: parse and serialize, with explicit length checks. */
#include <string.h>
#include <strings.h>

#include "verify/sig.h"
#include "verify/verify.h"

/* The on-disk header, exactly as the kernel lays it out (struct signature_v2_hdr). */
struct ima_sig_v2_hdr {
    uint8_t type;
    uint8_t version;
    uint8_t hash_algo;
    uint8_t keyid[4];
    uint8_t sig_size[2];            /* big endian */
} __attribute__((packed));

_Static_assert(sizeof(struct ima_sig_v2_hdr) == IMA_SIG_V2_HDR_LEN,
               "IMA v2 header must be 9 bytes");

/* Kernel ids we know by name. A NULL digest marks an algorithm we refuse:
 * collisions in md5 and sha1 are practical, so their signatures prove nothing. */
static const struct hash_algo {
    uint8_t id;
    const char *name;               /* as evmctl spells it */
    const char *digest;             /* OpenSSL name */
} hash_algos[] = {
    { IMA_HASH_MD5,    "md5",    NULL },
    { IMA_HASH_SHA1,   "sha1",   NULL },
    { IMA_HASH_SHA256, "sha256", "SHA256" },
    { IMA_HASH_SHA384, "sha384", "SHA384" },
    { IMA_HASH_SHA512, "sha512", "SHA512" },
    { IMA_HASH_SHA224, "sha224", "SHA224" },
};

#define N_HASH_ALGOS (sizeof(hash_algos) / sizeof(hash_algos[0]))

static const struct hash_algo *
hash_algo_by_id(uint8_t id)
{
    for (size_t i = 0; i < N_HASH_ALGOS; i++)
        if (hash_algos[i].id == id)
            return &hash_algos[i];
    return NULL;
}

const char *
sig_hash_name(uint8_t hash_algo)
{
    const struct hash_algo *h = hash_algo_by_id(hash_algo);

    return h != NULL ? h->digest : NULL;
}

/* Declared in verify.h for log lines; it lives here, next to the table. */
const char *
verify_hash_label(uint8_t hash_algo)
{
    const struct hash_algo *h = hash_algo_by_id(hash_algo);

    return h != NULL ? h->name : "unknown";
}

int
sig_hash_from_name(const char *name)
{
    for (size_t i = 0; i < N_HASH_ALGOS; i++)
        if (hash_algos[i].digest != NULL && strcasecmp(hash_algos[i].name, name) == 0)
            return hash_algos[i].id;
    return -1;
}

enum verdict
sig_parse_ima_v2(const uint8_t *buf, size_t len, struct ima_sig *out)
{
    struct ima_sig_v2_hdr hdr;
    size_t sig_size;

    if (len == 0 || buf[0] == IMA_XATTR_DIGEST_NG)
        return V_NO_SIGNATURE;
    if (buf[0] != IMA_XATTR_DIGSIG || len < sizeof(hdr))
        return V_MALFORMED;
    memcpy(&hdr, buf, sizeof(hdr));
    if (hdr.version != IMA_SIG_V2)
        return V_MALFORMED;
    sig_size = (size_t)hdr.sig_size[0] << 8 | hdr.sig_size[1];
    if (sig_size == 0 || sig_size > IMA_SIG_MAX_LEN || len - sizeof(hdr) != sig_size)
        return V_MALFORMED;
    /* Only a well-formed signature gets as far as naming its algorithm. */
    if (sig_hash_name(hdr.hash_algo) == NULL)
        return V_UNSUPPORTED_HASH;

    out->hash_algo = hdr.hash_algo;
    memcpy(out->keyid, hdr.keyid, sizeof(out->keyid));
    out->sig = buf + sizeof(hdr);
    out->sig_len = sig_size;
    return V_OK;
}

size_t
sig_write_ima_v2(const struct ima_sig *s, uint8_t *out, size_t outcap)
{
    struct ima_sig_v2_hdr hdr;

    if (s->sig_len == 0 || s->sig_len > IMA_SIG_MAX_LEN || outcap < sizeof(hdr) + s->sig_len)
        return 0;
    hdr.type = IMA_XATTR_DIGSIG;
    hdr.version = IMA_SIG_V2;
    hdr.hash_algo = s->hash_algo;
    memcpy(hdr.keyid, s->keyid, sizeof(hdr.keyid));
    hdr.sig_size[0] = (uint8_t)(s->sig_len >> 8);
    hdr.sig_size[1] = (uint8_t)s->sig_len;
    memcpy(out, &hdr, sizeof(hdr));
    memcpy(out + sizeof(hdr), s->sig, s->sig_len);
    return sizeof(hdr) + s->sig_len;
}
