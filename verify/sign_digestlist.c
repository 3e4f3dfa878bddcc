/* spython-sign --digest-list LIST: one signature for a whole tree. The
 * workers read each file as signing would (same checks, same ABI audit) and
 * keep its sha256; the list (verify/digestlist.h) is written sorted, next to
 * its final name and renamed into place, then signed like any file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "verify/digestlist.h"
#include "verify/sig.h"
#include "verify/sign.h"

#define ROW DIGESTLIST_DIGEST_LEN

int
list_init(struct lister *l, struct signer *s, const struct joblist *jl)
{
    l->s = s;
    l->first = jl->v;
    l->md = verify_md(IMA_HASH_SHA256);
    l->rows = calloc(jl->n ? jl->n : 1, ROW);
    return l->md != NULL && l->rows != NULL ? 0 : -1;
}

static void
list_work(void *ctx, void *tls, struct job *j)
{
    struct lister *l = ctx;
    uint8_t *data = NULL;
    size_t len = 0;
    unsigned int dlen;
    int fd = -1;

    if (sign_read(l->s, j, &fd, &data, &len) == 0) {
        if (EVP_Digest(data, len, l->rows + (size_t)(j - l->first) * ROW, &dlen, l->md,
                       NULL) == 1) {
            j->out = O_LISTED;
        } else {
            ERR_clear_error();
            j->out = O_FAILED;
            j->why = "cannot compute the digest";
        }
    }
    free(data);
    if (fd >= 0)
        close(fd);
}

/* Listed files as sha256sum prints them, which makes the binary list
 * readable: its digests are these, sorted. Everything else as signing reports it. */
static void
list_report(void *ctx, struct job *j)
{
    struct lister *l = ctx;
    const uint8_t *d = l->rows + (size_t)(j - l->first) * ROW;

    if (j->out != O_LISTED) {
        sign_ops.report(l->s, j);
        return;
    }
    l->s->count[O_LISTED]++;
    if (l->s->verbose && !l->s->quiet) {
        progress_hide(l->s->pr);
        for (size_t i = 0; i < ROW; i++)
            printf("%02x", d[i]);
        printf("  %s\n", j->path);
    }
}

const struct pool_ops list_ops = {
    .work = list_work,
    .report = list_report,
};

static int
write_all(int fd, const uint8_t *p, size_t n)
{
    ssize_t w;

    while (n > 0) {
        if ((w = write(fd, p, n)) < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The list as a file: a temporary next to path, complete and on disk before
 * it takes path's name, so a reader sees the old list or the new one. */
static int
write_list(const char *path, const uint8_t *rows, size_t n)
{
    uint8_t hdr[DIGESTLIST_HDR_LEN];
    char tmp[4096];
    int fd, e;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    digestlist_header(hdr, n);
    if (write_all(fd, hdr, sizeof(hdr)) == 0 && write_all(fd, rows, n * ROW) == 0 &&
        fsync(fd) == 0 && close(fd) == 0 && rename(tmp, path) == 0)
        return 0;
    e = errno;
    close(fd);
    unlink(tmp);
    errno = e;
    return -1;
}

/* The policy line that pins this list's content (spython-policy(5)): with
 * it, spython trusts the list without checking its signature at start-up. */
static void
print_pin(const char *path, const uint8_t *rows, size_t n)
{
    uint8_t hdr[DIGESTLIST_HDR_LEN], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *abs = realpath(path, NULL);
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    digestlist_header(hdr, n);
    if (abs != NULL && c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
        EVP_DigestUpdate(c, hdr, sizeof(hdr)) == 1 && EVP_DigestUpdate(c, rows, n * ROW) == 1 &&
        EVP_DigestFinal_ex(c, md, &mdlen) == 1) {
        printf("digest-list %s sha256:", abs);
        for (unsigned int i = 0; i < mdlen; i++)
            printf("%02x", md[i]);
        printf("\n");
    }
    ERR_clear_error();
    EVP_MD_CTX_free(c);
    free(abs);
}

int
list_finish(struct lister *l, const struct joblist *jl, const char *path)
{
    struct signer *s = l->s;
    struct job j = { .path = (char *)path, .top = 1 };
    size_t n = 0;
    void *tls;

    /* Only the rows of listed files: a failed file leaves its row empty. */
    for (size_t i = 0; i < jl->n; i++)
        if (jl->v[i].out == O_LISTED)
            memmove(l->rows + n++ * ROW, l->rows + i * ROW, ROW);
    n = digestlist_sort(l->rows, n);
    if (s->count[O_FAILED] > 0) {
        fprintf(stderr, "spython-sign: %s: not written: %zu files failed\n", path,
                s->count[O_FAILED]);
    } else if (write_list(path, l->rows, n) != 0) {
        fprintf(stderr, "spython-sign: %s: %s\n", path, strerror(errno));
        s->count[O_FAILED]++;
    } else {
        /* The list is signed like any file: same key, hash and xattr. */
        tls = sign_ops.thread_init(s);
        sign_ops.work(s, tls, &j);
        sign_ops.thread_fini(tls);
        sign_ops.report(s, &j);
        free(j.note);
        if (!s->quiet && (j.out == O_SIGNED || j.out == O_UNCHANGED))
            print_pin(path, l->rows, n);
    }
    free(l->rows);
    if (!s->quiet)
        printf("%zu listed (%zu distinct digests), %zu skipped, %zu failed\n",
               s->count[O_LISTED], n, s->count[O_SKIPPED], s->count[O_FAILED]);
    return s->count[O_FAILED] == 0 ? 0 : 1;
}
