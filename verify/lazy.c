/* The interpreter's keyring and signature check (verify/keyring.h and
 * verify/verify.h, the same calls the tools link from keyring.c and
 * verify.c): key files are read at start-up, decoded and used only when the
 * first signature must be checked, by the crypto back end (verify/backend.h).
 *
 * The back end is a shared object linked into this binary as bytes
 * (spy_crypto_so, from the build); it is copied into a sealed memfd and
 * dlopen()ed from there, so what runs is what was built with us, whatever
 * the filesystem holds. Nothing here links libcrypto. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "verify/backend.h"
#include "verify/keyfiles.h"
#include "verify/keyring.h"
#include "verify/lazy.h"
#include "verify/sig.h"
#include "verify/verify.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern const uint8_t spy_crypto_so[], spy_crypto_so_end[];

struct keyring {
    struct key_images imgs;
    pthread_mutex_t lock;           /* imports verify without the GIL */
    int tried;
    void *decoded;                  /* the back end's keyring, or NULL */
    const struct spy_backend *be;
    char err[512];
};

struct keyring *
keyring_new(void)
{
    struct keyring *kr = calloc(1, sizeof(*kr));

    if (kr != NULL)
        pthread_mutex_init(&kr->lock, NULL);
    return kr;
}

/* The back end and its keyring stay loaded until exit: verification may run
 * in any thread up to the end. Only the undecoded images are dropped. */
void
keyring_free(struct keyring *kr)
{
    if (kr == NULL)
        return;
    key_images_clear(&kr->imgs);
    pthread_mutex_destroy(&kr->lock);
    free(kr);
}

int
keyring_add_path(struct keyring *kr, const char *path, char *err, size_t errlen)
{
    size_t n0 = kr->imgs.n;

    if (key_images_read(&kr->imgs, path, err, errlen) < 0)
        return -1;
    return (int)(kr->imgs.n - n0);
}

static int
sealed_copy(const uint8_t *p, size_t len)
{
    int fd = memfd_create("spython-crypto", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

    if (fd < 0 && errno == EINVAL)
        fd = memfd_create("spython-crypto", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, p + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        off += (size_t)w;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0)
        return fd;
fail:
    close(fd);
    return -1;
}

static const struct spy_backend *
backend_open(char *err, size_t errlen)
{
    const struct spy_backend *be;
    char path[64];
    void *h;
    int fd;

    if ((fd = sealed_copy(spy_crypto_so, (size_t)(spy_crypto_so_end - spy_crypto_so))) < 0) {
        snprintf(err, errlen, "crypto back end: memfd: %s", strerror(errno));
        return NULL;
    }
    /* "/proc/PID/fd/N", never "/proc/self/fd/N": glibc takes a library
     * whose name it has loaded before for that library, and extension
     * modules are loaded by the latter name (launch/code.c). */
    snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), fd);
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    close(fd);
    if (h == NULL) {
        snprintf(err, errlen, "crypto back end: %s", dlerror());
        return NULL;
    }
    be = dlsym(h, SPY_BACKEND_SYMBOL);
    if (be == NULL || be->abi != SPY_BACKEND_ABI) {
        snprintf(err, errlen, "crypto back end: not the one this spython was built with");
        return NULL;
    }
    return be;
}

/* Once per process: a keyring that cannot be decoded refuses every
 * signature; keyring_failure() says why. */
static void *
decoded(struct keyring *kr)
{
    void *d;

    pthread_mutex_lock(&kr->lock);
    if (!kr->tried) {
        kr->tried = 1;
        if ((kr->be = backend_open(kr->err, sizeof(kr->err))) != NULL)
            kr->decoded = kr->be->keyring_load(&kr->imgs, kr->err, sizeof(kr->err));
        key_images_clear(&kr->imgs);
    }
    d = kr->decoded;
    pthread_mutex_unlock(&kr->lock);
    return d;
}

const char *
keyring_failure(const struct keyring *kr)
{
    return kr->err;
}

enum verdict
verify_buffer(const struct keyring *ckr, const uint8_t *data, size_t len,
              const uint8_t *xattr, size_t xattr_len, struct verify_info *info)
{
    struct keyring *kr = (struct keyring *)ckr;
    struct verify_info local;
    struct ima_sig sig;
    enum verdict v;
    void *d;

    if (info == NULL)
        info = &local;
    memset(info, 0, sizeof(*info));
    /* What needs no key is answered without loading any. */
    if ((v = sig_parse_ima_v2(xattr, xattr_len, &sig)) != V_OK)
        return v;
    info->hash_algo = sig.hash_algo;
    memcpy(info->keyid, sig.keyid, sizeof(info->keyid));
    info->have_keyid = 1;
    if (kr == NULL)
        return V_UNKNOWN_KEY;
    if ((d = decoded(kr)) == NULL)
        return V_NO_KEYRING;
    return kr->be->verify(d, data, len, xattr, xattr_len, info);
}
