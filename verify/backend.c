/* The crypto back end's entry point (verify/backend.h): only this table is
 * exported from spython-crypto.so (verify/backend.map). */
#include <stdio.h>

#include <openssl/crypto.h>

#include "verify/backend.h"
#include "verify/keyring.h"
#include "verify/verify.h"

static void *
load(const struct key_images *imgs, char *err, size_t errlen)
{
    struct keyring *kr;

    /* First call into this libcrypto from us; if Python's hashlib or ssl got
     * there first, the interpreter had already removed OPENSSL_CONF and
     * friends from the environment (spython.c). */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
    if ((kr = keyring_new()) == NULL) {
        snprintf(err, errlen, "keyring: out of memory");
        return NULL;
    }
    if (keyring_add_images(kr, imgs, err, errlen) < 0) {
        keyring_free(kr);
        return NULL;
    }
    return kr;
}

static enum verdict
verify(const void *kr, const uint8_t *data, size_t len,
       const uint8_t *xattr, size_t xattr_len, struct verify_info *info)
{
    return verify_buffer(kr, data, len, xattr, xattr_len, info);
}

const struct spy_backend spy_crypto_backend = { SPY_BACKEND_ABI, load, verify };
