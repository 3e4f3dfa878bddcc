/* IMA signature xattr: on-disk format shared with the kernel and evmctl.
 *
 * security.ima (or user.ima) holding a v2 digital signature:
 *   offset size  field
 *   0      1     type      0x03 (EVM_IMA_XATTR_DIGSIG)
 *   1      1     version   0x02
 *   2      1     hash_algo kernel enum hash_algo (4 = sha256, ...)
 *   3      4     keyid     last 4 bytes of the key's SHA-1 id, stored as bytes
 *   7      2     sig_size  big endian
 *   9      n     sig       PKCS#1 v1.5 (RSA) or DER ECDSA-Sig-Value, over the file digest
 * The xattr length must be exactly 9 + sig_size.
 */
#ifndef SPY_SIG_H
#define SPY_SIG_H

#include <stddef.h>
#include <stdint.h>
#include "verdict.h"

#define IMA_XATTR_DIGSIG      0x03
#define IMA_XATTR_DIGEST_NG   0x04
#define IMA_SIG_V2            0x02
#define IMA_SIG_V2_HDR_LEN    9
#define IMA_SIG_MAX_LEN       1024      /* RSA-8192 is 1024 bytes; nothing larger is valid */

/* Kernel hash_algo ids (include/uapi/linux/hash_info.h). */
enum ima_hash_algo {
    IMA_HASH_MD5 = 1,
    IMA_HASH_SHA1 = 2,
    IMA_HASH_SHA256 = 4,
    IMA_HASH_SHA384 = 5,
    IMA_HASH_SHA512 = 6,
    IMA_HASH_SHA224 = 7,
};

struct ima_sig {
    uint8_t hash_algo;
    uint8_t keyid[4];
    const uint8_t *sig;       /* points into the parsed buffer */
    size_t sig_len;
};

/* Parse an xattr value. V_OK, V_NO_SIGNATURE (empty or hash-only), V_MALFORMED,
 * or V_UNSUPPORTED_HASH. Never reads outside buf[0..len). */
enum verdict sig_parse_ima_v2(const uint8_t *buf, size_t len, struct ima_sig *out);

/* Serialize into out (capacity outcap); returns bytes written, 0 if it does not fit
 * or sig_len exceeds IMA_SIG_MAX_LEN. */
size_t sig_write_ima_v2(const struct ima_sig *s, uint8_t *out, size_t outcap);

/* OpenSSL digest name ("SHA256") for an accepted algorithm id, NULL otherwise.
 * md5 and sha1 are refused. */
const char *sig_hash_name(uint8_t hash_algo);
/* Algorithm id for a name as evmctl spells it ("sha256"), -1 if not accepted. */
int sig_hash_from_name(const char *name);

#endif
