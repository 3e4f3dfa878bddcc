/* spython-sign: write IMA v2 signatures on code files, or check them (--verify). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "policy/policy.h"
#include "verify/keyring.h"
#include "verify/readfd.h"
#include "verify/sig.h"
#include "verify/verify.h"

/* What a directory walk picks up: the files spython opens as code. */
static const char *const code_suffixes[] = { ".py", ".pyc", ".pth", ".so", ".zip" };

struct run {
    int verify;                     /* --verify: check instead of sign */
    int quiet, verbose;
    const char *xattr;
    /* signing */
    EVP_PKEY *key;
    const EVP_MD *md;
    uint8_t hash_algo;
    uint8_t keyid[4];
    /* verifying */
    struct keyring *keyring;
    struct verify_cfg cfg;
    unsigned long done, failed;
};

static void __attribute__((noreturn))
usage(int status)
{
    FILE *f = status == 0 ? stdout : stderr;

    fprintf(f,
        "usage: spython-sign -k key.pem [-qv] [-a algo] [--xattr name]\n"
        "                    [--keyid-from-cert cert] path ...\n"
        "       spython-sign --verify -K keyring [-K keyring ...] [-qv] [--xattr name] path ...\n"
        "\n"
        "Files are signed or checked as given; directories are walked, without\n"
        "following symlinks, for .py .pyc .pth .so .zip files.\n"
        "  -k, --key FILE             PEM private key (RSA or EC)\n"
        "  -a, --hash-algo ALGO       sha256 (default), sha384, sha512 or sha224\n"
        "      --xattr NAME           signature attribute (default %s)\n"
        "      --keyid-from-cert CERT key id from the certificate's Subject Key Identifier\n"
        "      --verify               check signatures as spython does; print PATH: verdict\n"
        "  -K, --keyring PATH         trusted certificate, public key or directory of them\n"
        "  -q, --quiet                print errors only\n"
        "  -v, --verbose              also report skipped files\n"
        "  -h, --help                 this text\n",
        POLICY_DEFAULT_XATTR);
    exit(status);
}

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;                      /* never prompt: encrypted keys are refused */
}

/* Read a PEM private key; the file image is wiped before it is freed. Messages
 * name the file and never quote its contents. */
static EVP_PKEY *
load_private_key(const char *path, char *err, size_t errlen)
{
    EVP_PKEY *pkey = NULL;
    struct stat st;
    uint8_t *buf = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    enum verdict v;
    int fd, saved = 0;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 ||
        fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    if ((v = read_fd_whole(fd, &st, KEYRING_FILE_MAX, &buf, &len, &saved)) != V_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 v == V_UNREADABLE ? strerror(saved) : verdict_reason(v));
        goto out;
    }
    if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase, NULL, NULL, NULL);
    if (pkey == NULL)
        snprintf(err, errlen, "%s: no unencrypted PEM private key found", path);
out:
    BIO_free(bio);
    OPENSSL_clear_free(buf, len);
    ERR_clear_error();
    if (fd >= 0)
        close(fd);
    return pkey;
}

static int
is_code_file(const char *name)
{
    size_t n = strlen(name), s;

    for (size_t i = 0; i < sizeof(code_suffixes) / sizeof(code_suffixes[0]); i++) {
        s = strlen(code_suffixes[i]);
        if (n > s && strcmp(name + n - s, code_suffixes[i]) == 0)
            return 1;
    }
    return 0;
}

static void
failed(struct run *r, const char *path, const char *why)
{
    fprintf(stderr, "spython-sign: %s: %s\n", path, why);
    r->failed++;
}

/* RSA PKCS#1 v1.5 or ECDSA over the digest: what the kernel and verify_buffer check. */
static int
sign_digest(struct run *r, const uint8_t *digest, size_t dlen, uint8_t *sig, size_t *siglen)
{
    EVP_PKEY_CTX *ctx;
    int ok = 0;

    if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, r->key, NULL)) == NULL)
        goto out;
    if (EVP_PKEY_sign_init(ctx) != 1)
        goto out;
    if (EVP_PKEY_is_a(r->key, "RSA") && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
        goto out;
    if (EVP_PKEY_CTX_set_signature_md(ctx, r->md) != 1)
        goto out;
    ok = EVP_PKEY_sign(ctx, sig, siglen, digest, dlen) == 1;
out:
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

static void
sign_file(struct run *r, const char *path)
{
    uint8_t digest[EVP_MAX_MD_SIZE], sig[IMA_SIG_MAX_LEN];
    uint8_t xattr[IMA_SIG_V2_HDR_LEN + IMA_SIG_MAX_LEN];
    struct ima_sig is;
    struct stat st;
    uint8_t *data = NULL;
    size_t len = 0, siglen = sizeof(sig), xlen;
    unsigned int dlen;
    enum verdict v;
    int fd, saved = 0;

    /* O_NOFOLLOW and fstat on the fd: the file hashed is the file labelled. */
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 ||
        fstat(fd, &st) != 0) {
        failed(r, path, errno == ELOOP ? "is a symbolic link" : strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        failed(r, path, "not a regular file");
        goto out;
    }
    if ((v = read_fd_whole(fd, &st, UINT64_MAX, &data, &len, &saved)) != V_OK) {
        failed(r, path, v == V_UNREADABLE ? strerror(saved) : verdict_reason(v));
        goto out;
    }
    if (EVP_Digest(data, len, digest, &dlen, r->md, NULL) != 1 ||
        !sign_digest(r, digest, dlen, sig, &siglen)) {
        ERR_clear_error();
        failed(r, path, "signing failed");
        goto out;
    }
    is.hash_algo = r->hash_algo;
    memcpy(is.keyid, r->keyid, sizeof(is.keyid));
    is.sig = sig;
    is.sig_len = siglen;
    if ((xlen = sig_write_ima_v2(&is, xattr, sizeof(xattr))) == 0) {
        failed(r, path, "signature too long");
        goto out;
    }
    if (fsetxattr(fd, r->xattr, xattr, xlen, 0) != 0) {
        failed(r, path, strerror(errno));
        goto out;
    }
    r->done++;
    if (!r->quiet)
        printf("signed %s\n", path);
out:
    free(data);
    if (fd >= 0)
        close(fd);
}

static void
verify_file(struct run *r, const char *path)
{
    struct code_file cf;
    enum verdict v;
    int saved = 0;

    v = code_file_read(&r->cfg, path, &cf, NULL, &saved);
    code_file_free(&cf);
    if (v == V_OK) {
        r->done++;
        if (!r->quiet)
            printf("%s: ok\n", path);
        return;
    }
    r->failed++;
    if (v == V_UNREADABLE)
        printf("%s: %s (%s)\n", path, verdict_reason(v), strerror(saved));
    else
        printf("%s: %s\n", path, verdict_reason(v));
}

static void
skipped(const struct run *r, const char *path, const char *why)
{
    if (r->verbose)
        fprintf(stderr, "spython-sign: %s: skipped (%s)\n", path, why);
}

static int
cmp_entries(const FTSENT **a, const FTSENT **b)
{
    return strcmp((*a)->fts_name, (*b)->fts_name);
}

/* Paths named on the command line are taken whatever their name; inside
 * directories only code files are, and symlinks never. */
static void
walk(struct run *r, char *path)
{
    void (*act)(struct run *, const char *) = r->verify ? verify_file : sign_file;
    char *paths[] = { path, NULL };
    /* spython follows a symlink it is told to run, so --verify does too. */
    int opts = FTS_PHYSICAL | FTS_NOCHDIR | (r->verify ? FTS_COMFOLLOW : 0);
    FTSENT *e;
    FTS *fts;
    int top;

    if ((fts = fts_open(paths, opts, cmp_entries)) == NULL)
        err(1, "fts_open");
    for (;;) {
        errno = 0;
        if ((e = fts_read(fts)) == NULL)
            break;
        top = e->fts_level == FTS_ROOTLEVEL;
        /* --verify answers for a named path exactly as spython would open it. */
        if (top && r->verify && e->fts_info != FTS_D && e->fts_info != FTS_DP) {
            act(r, e->fts_path);
            continue;
        }
        switch (e->fts_info) {
        case FTS_D:
        case FTS_DP:
            break;
        case FTS_F:
            if (top || is_code_file(e->fts_name))
                act(r, e->fts_path);
            break;
        case FTS_SL:
        case FTS_SLNONE:
            if (top)
                failed(r, e->fts_path, "is a symbolic link");
            else
                skipped(r, e->fts_path, "symbolic link");
            break;
        case FTS_DNR:
        case FTS_ERR:
        case FTS_NS:
            failed(r, e->fts_path, strerror(e->fts_errno));
            break;
        case FTS_DC:
            skipped(r, e->fts_path, "directory cycle");
            break;
        default:
            if (top)
                failed(r, e->fts_path, "not a regular file");
            else
                skipped(r, e->fts_path, "not a regular file");
            break;
        }
    }
    if (errno != 0)
        err(1, "fts_read");
    fts_close(fts);
}

static int
setup_verifier(struct run *r, char **keyrings, size_t n, char *why, size_t whylen)
{
    if ((r->keyring = keyring_new()) == NULL) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (keyring_add_path(r->keyring, keyrings[i], why, whylen) < 0)
            return -1;
    r->cfg.keyring = r->keyring;
    r->cfg.xattr_name = r->xattr;
    r->cfg.max_file_size = POLICY_DEFAULT_MAX_FILE_SIZE;
    return 0;
}

static int
setup_signer(struct run *r, const char *keyfile, const char *certfile, char *why, size_t whylen)
{
    EVP_PKEY *certkey = NULL;
    char reason[256];
    int rc = -1;

    if ((r->md = verify_md(r->hash_algo)) == NULL) {
        snprintf(why, whylen, "%s: not available in this OpenSSL", verify_hash_label(r->hash_algo));
        goto out;
    }
    if ((r->key = load_private_key(keyfile, why, whylen)) == NULL)
        goto out;
    if (keyring_key_supported(r->key, reason, sizeof(reason)) != 0) {
        snprintf(why, whylen, "%s: unsupported key: %s", keyfile, reason);
        goto out;
    }
    if (certfile == NULL) {
        if (keyid_of_pkey(r->key, r->keyid) != 0) {
            snprintf(why, whylen, "%s: cannot compute key id", keyfile);
            goto out;
        }
    } else {
        if (cert_read_skid(certfile, r->keyid, &certkey, why, whylen) != 0)
            goto out;
        /* A key id that names another key makes signatures nobody can check. */
        if (EVP_PKEY_eq(certkey, r->key) != 1) {
            snprintf(why, whylen, "%s: certificate is not for key %s", certfile, keyfile);
            goto out;
        }
    }
    rc = 0;
out:
    EVP_PKEY_free(certkey);
    ERR_clear_error();
    return rc;
}

static const struct option longopts[] = {
    { "key",             required_argument, NULL, 'k' },
    { "hash-algo",       required_argument, NULL, 'a' },
    { "xattr",           required_argument, NULL, 'x' },
    { "keyid-from-cert", required_argument, NULL, 'c' },
    { "verify",          no_argument,       NULL, 'V' },
    { "keyring",         required_argument, NULL, 'K' },
    { "quiet",           no_argument,       NULL, 'q' },
    { "verbose",         no_argument,       NULL, 'v' },
    { "help",            no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int
main(int argc, char **argv)
{
    struct run r = { .xattr = POLICY_DEFAULT_XATTR, .hash_algo = IMA_HASH_SHA256 };
    const char *keyfile = NULL, *certfile = NULL;
    char **keyrings = NULL;
    char why[512];
    size_t nkeyrings = 0;
    int ch, algo, rc;

    signal(SIGPIPE, SIG_IGN);
    if ((keyrings = calloc((size_t)argc, sizeof(*keyrings))) == NULL)
        err(1, NULL);
    while ((ch = getopt_long(argc, argv, "a:hK:k:qv", longopts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            if ((algo = sig_hash_from_name(optarg)) < 0) {
                warnx("unsupported hash algorithm: %s (sha256, sha384, sha512 or sha224)",
                      optarg);
                usage(2);
            }
            r.hash_algo = (uint8_t)algo;
            break;
        case 'c':
            certfile = optarg;
            break;
        case 'h':
            usage(0);
        case 'K':
            keyrings[nkeyrings++] = optarg;
            break;
        case 'k':
            keyfile = optarg;
            break;
        case 'q':
            r.quiet = 1;
            break;
        case 'V':
            r.verify = 1;
            break;
        case 'v':
            r.verbose = 1;
            break;
        case 'x':
            r.xattr = optarg;
            break;
        default:
            usage(2);
        }
    }
    argc -= optind;
    argv += optind;
    if (argc == 0)
        usage(2);
    if (r.verify ? (nkeyrings == 0 || keyfile != NULL || certfile != NULL)
                 : (keyfile == NULL || nkeyrings > 0))
        usage(2);

    if (r.verify)
        rc = setup_verifier(&r, keyrings, nkeyrings, why, sizeof(why));
    else
        rc = setup_signer(&r, keyfile, certfile, why, sizeof(why));
    if (rc != 0) {
        EVP_PKEY_free(r.key);
        errx(1, "%s", why);
    }

    for (int i = 0; i < argc; i++)
        walk(&r, argv[i]);
    if (!r.quiet)
        printf("%lu %s, %lu failed\n", r.done, r.verify ? "verified" : "signed", r.failed);

    EVP_PKEY_free(r.key);          /* frees (and clears) the private key */
    keyring_free(r.keyring);
    free(keyrings);
    return r.failed == 0 ? 0 : 1;
}
