/* Signing one file, on a worker thread: read it once, audit an extension
 * module's ABI, leave it alone if this key already signed these bytes, else
 * sign the digest and label the same fd. Content, mode and mtime never
 * change; setting an xattr does update ctime, which nothing can avoid. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "verify/readfd.h"
#include "verify/sig.h"
#include "verify/sign.h"

/* Per worker: contexts set up once, then reused for every file. */
struct sign_tls {
    EVP_PKEY_CTX *sign;
    EVP_PKEY_CTX *verify;
};

/* RSA PKCS#1 v1.5 or ECDSA over the digest: what the kernel and verify_buffer check. */
static EVP_PKEY_CTX *
pkey_ctx(const struct signer *s, int for_sign)
{
    EVP_PKEY_CTX *ctx;

    if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->key, NULL)) == NULL)
        return NULL;
    if ((for_sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1 ||
        (EVP_PKEY_is_a(s->key, "RSA") && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
        EVP_PKEY_CTX_set_signature_md(ctx, s->md) != 1) {
        EVP_PKEY_CTX_free(ctx);
        ctx = NULL;
    }
    ERR_clear_error();
    return ctx;
}

static void *
sign_thread_init(void *ctx)
{
    struct sign_tls *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->sign = pkey_ctx(ctx, 1);
    t->verify = pkey_ctx(ctx, 0);
    return t;
}

static void
sign_thread_fini(void *tls)
{
    struct sign_tls *t = tls;

    if (t == NULL)
        return;
    EVP_PKEY_CTX_free(t->sign);
    EVP_PKEY_CTX_free(t->verify);
    free(t);
}

/* Is the xattr already a signature this key would write over this digest? */
static int
already_signed(const struct signer *s, struct sign_tls *t, int fd,
               const uint8_t *digest, size_t dlen)
{
    uint8_t xattr[IMA_SIG_V2_HDR_LEN + IMA_SIG_MAX_LEN + 1];
    struct ima_sig old;
    ssize_t n;
    int ok;

    if ((n = fgetxattr(fd, s->xattr, xattr, sizeof(xattr))) <= 0 ||
        sig_parse_ima_v2(xattr, (size_t)n, &old) != V_OK ||
        old.hash_algo != s->hash_algo || memcmp(old.keyid, s->keyid, sizeof(old.keyid)) != 0)
        return 0;
    ok = EVP_PKEY_verify(t->verify, old.sig, old.sig_len, digest, dlen) == 1;
    ERR_clear_error();
    return ok;
}

/* The ABI audit of a .so: 0 to go on (perhaps with a warning in j->note),
 * -1 when the module is refused. */
static int
audit_abi(const struct signer *s, struct job *j, const uint8_t *data, size_t len)
{
    const char *base = strrchr(j->path, '/');
    char detail[512];
    enum abi_result res;

    base = base != NULL ? base + 1 : j->path;
    res = abi_check(s->abi, base, data, len, detail, sizeof(detail));
    if (res == ABI_OK || res == ABI_UNTAGGED)
        return 0;
    if ((j->note = strdup(detail)) == NULL)
        j->why = "out of memory";
    return s->allow_abi ? 0 : -1;
}

static void
failed(struct job *j, const char *why, int errnum)
{
    j->out = O_FAILED;
    j->why = why;
    j->err = errnum;
}

int
sign_read(const struct signer *s, struct job *j, int *fdp, uint8_t **data, size_t *len)
{
    struct stat st;
    enum verdict v;
    int fd, saved = 0;

    /* O_NOATIME where we may (our own files, or root): reading a tree to sign
     * it should not look like using it. O_NOFOLLOW and fstat on the fd: the
     * file hashed is the file labelled. */
    fd = open(j->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = open(j->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    *fdp = fd;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (errno == ELOOP)
            failed(j, "is a symbolic link", 0);
        else
            failed(j, NULL, errno);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        failed(j, "not a regular file", 0);
        return -1;
    }
    if ((v = read_fd_whole(fd, &st, UINT64_MAX, data, len, &saved)) != V_OK) {
        failed(j, v == V_UNREADABLE ? NULL : verdict_reason(v), saved);
        return -1;
    }
    if (audit_abi(s, j, *data, *len) != 0) {
        failed(j, "refused by the ABI audit", 0);
        return -1;
    }
    return 0;
}

static void
sign_work(void *ctx, void *tls, struct job *j)
{
    const struct signer *s = ctx;
    struct sign_tls *t = tls;
    uint8_t digest[EVP_MAX_MD_SIZE], sig[IMA_SIG_MAX_LEN];
    uint8_t xattr[IMA_SIG_V2_HDR_LEN + IMA_SIG_MAX_LEN];
    struct ima_sig is;
    uint8_t *data = NULL;
    size_t len = 0, siglen = sizeof(sig), xlen;
    unsigned int dlen;
    int fd = -1;

    if (t == NULL || t->sign == NULL || t->verify == NULL) {
        failed(j, "out of memory", 0);
        return;
    }
    if (sign_read(s, j, &fd, &data, &len) != 0)
        goto out;
    if (EVP_Digest(data, len, digest, &dlen, s->md, NULL) != 1) {
        ERR_clear_error();
        failed(j, "cannot compute the digest", 0);
        goto out;
    }
    if (!s->force && already_signed(s, t, fd, digest, dlen)) {
        j->out = O_UNCHANGED;
        goto out;
    }
    if (EVP_PKEY_sign(t->sign, sig, &siglen, digest, dlen) != 1) {
        ERR_clear_error();
        failed(j, "signing failed", 0);
        goto out;
    }
    is.hash_algo = s->hash_algo;
    memcpy(is.keyid, s->keyid, sizeof(is.keyid));
    is.sig = sig;
    is.sig_len = siglen;
    if ((xlen = sig_write_ima_v2(&is, xattr, sizeof(xattr))) == 0) {
        failed(j, "signature too long", 0);
        goto out;
    }
    if (fsetxattr(fd, s->xattr, xattr, xlen, 0) != 0) {
        failed(j, NULL, errno);
        goto out;
    }
    j->out = O_SIGNED;
out:
    free(data);
    if (fd >= 0)
        close(fd);
}

static void
sign_report(void *ctx, struct job *j)
{
    struct signer *s = ctx;
    int line = j->out == O_FAILED || j->note != NULL ||
               (j->out == O_SIGNED && !s->quiet) ||
               (j->out == O_UNCHANGED && s->verbose && !s->quiet) ||
               (j->out == O_SKIPPED && s->verbose);

    s->count[j->out]++;
    if (!line)
        return;
    progress_hide(s->pr);
    switch (j->out) {
    case O_SIGNED:
    case O_UNCHANGED:
        if (j->note != NULL)
            fprintf(stderr, "spython-sign: %s: warning: %s (signed: --allow-abi-violations)\n",
                    j->path, j->note);
        if (!s->quiet && (j->out == O_SIGNED || s->verbose))
            printf("%s %s\n", j->out == O_SIGNED ? "signed" : "unchanged", j->path);
        break;
    case O_SKIPPED:
        fprintf(stderr, "spython-sign: %s: skipped (%s)\n", j->path, j->why);
        break;
    default:
        if (j->note != NULL)
            fprintf(stderr, "spython-sign: %s: %s: %s\n", j->path, j->why, j->note);
        else
            fprintf(stderr, "spython-sign: %s: %s\n", j->path,
                    j->why != NULL ? j->why : strerror(j->err));
        break;
    }
}

const struct pool_ops sign_ops = {
    .thread_init = sign_thread_init,
    .thread_fini = sign_thread_fini,
    .work = sign_work,
    .report = sign_report,
};

int
sign_finish(struct signer *s)
{
    if (!s->quiet)
        printf("%zu signed, %zu unchanged, %zu skipped, %zu failed\n", s->count[O_SIGNED],
               s->count[O_UNCHANGED], s->count[O_SKIPPED], s->count[O_FAILED]);
    return s->count[O_FAILED] == 0 ? 0 : 1;
}
