/* The crypto back end: the part of verify/ that needs OpenSSL (decoding the
 * keyring, checking signatures), built as a shared object of its own
 * (spython-crypto.so) that the interpreter carries inside its binary and
 * loads only when a signature must be checked (verify/lazy.c). A run whose
 * code is all covered by pinned digest lists never loads libcrypto: ~3 ms of
 * start-up and ~4 MB of memory (issue 6). The tools link the same files
 * directly. */
#ifndef SPY_BACKEND_H
#define SPY_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "verify/verdict.h"

/* Bumped whenever this table or any structure it passes changes: the
 * interpreter and its embedded back end are built together, so a mismatch
 * means a broken build, and it is refused. */
#define SPY_BACKEND_ABI     1
#define SPY_BACKEND_SYMBOL  "spy_crypto_backend"

struct key_images;
struct verify_info;

struct spy_backend {
    unsigned abi;
    /* OpenSSL initialised without reading any configuration (OPENSSL_CONF
     * could load provider modules); the keyring decoded from the images.
     * NULL with "path: reason" in err. */
    void *(*keyring_load)(const struct key_images *imgs, char *err, size_t errlen);
    /* verify_buffer() of verify/verify.h over that keyring. */
    enum verdict (*verify)(const void *keyring, const uint8_t *data, size_t len,
                           const uint8_t *xattr, size_t xattr_len, struct verify_info *info);
};

#endif
