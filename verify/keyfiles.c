/* Keyring files into memory: the walk and the reads, no decoding. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verify/keyfiles.h"
#include "verify/keyring.h"
#include "verify/readfd.h"

#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

__attribute__((format(printf, 3, 4)))
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

static void
image_free(struct key_image *im)
{
    if (im->data != NULL)
        explicit_bzero(im->data, im->len);
    free(im->data);
    free(im->path);
}

static void
truncate_to(struct key_images *imgs, size_t n)
{
    while (imgs->n > n)
        image_free(&imgs->v[--imgs->n]);
}

void
key_images_clear(struct key_images *imgs)
{
    truncate_to(imgs, 0);
    free(imgs->v);
    imgs->v = NULL;
    imgs->cap = 0;
}

/* Read one key file (regular, small) from an open fd and append it. */
static int
add_file(struct key_images *imgs, int fd, const char *path, char *err, size_t errlen)
{
    struct key_image im = { NULL, NULL, 0 }, *nv;
    struct stat st;
    enum verdict v;
    int saved = 0;

    if (fstat(fd, &st) != 0)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(err, errlen, "%s: not a regular file", path);
    v = read_fd_whole(fd, &st, KEYRING_FILE_MAX, &im.data, &im.len, &saved);
    if (v == V_UNREADABLE)
        return fail(err, errlen, "%s: %s", path, strerror(saved));
    if (v != V_OK)
        return fail(err, errlen, "%s: %s", path, verdict_reason(v));
    if (imgs->n == imgs->cap) {
        size_t ncap = imgs->cap ? imgs->cap * 2 : 4;

        if ((nv = reallocarray(imgs->v, ncap, sizeof(*nv))) == NULL)
            goto nomem;
        imgs->v = nv;
        imgs->cap = ncap;
    }
    if ((im.path = strdup(path)) == NULL)
        goto nomem;
    imgs->v[imgs->n++] = im;
    return 0;
nomem:
    image_free(&im);
    return fail(err, errlen, "%s: out of memory", path);
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
add_dir(struct key_images *imgs, int dfd, const char *path, char *err, size_t errlen)
{
    DIR *dir;
    struct dirent *de;
    struct stat st;
    char **names = NULL, **nn, sub[PATH_MAX];
    size_t n = 0, cap = 0, n0 = imgs->n;
    int fd, rc = -1;

    if ((fd = dup(dfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fd = -1;
    errno = 0;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            if ((nn = reallocarray(names, cap, sizeof(*names))) == NULL)
                goto nomem;
            names = nn;
        }
        if ((names[n] = strdup(de->d_name)) == NULL)
            goto nomem;
        n++;
        errno = 0;
    }
    if (errno != 0) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        snprintf(sub, sizeof(sub), "%s/%s", path, names[i]);
        /* Regular files only: symlinks, sockets, FIFOs are not keys. The fd
         * is checked again in add_file, so a swap after this is caught. */
        if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
            fail(err, errlen, "%s: %s", sub, strerror(errno));
            goto out;
        }
        if (!S_ISREG(st.st_mode))
            continue;
        if ((fd = openat(dfd, names[i], OPEN_FLAGS | O_NOFOLLOW)) < 0) {
            fail(err, errlen, "%s: %s", sub, strerror(errno));
            goto out;
        }
        if (add_file(imgs, fd, sub, err, errlen) < 0)
            goto out;
        close(fd);
        fd = -1;
    }
    if (imgs->n == n0) {
        fail(err, errlen, "%s: no certificate or public key found", path);
        goto out;
    }
    rc = 0;
    goto out;
nomem:
    fail(err, errlen, "%s: out of memory", path);
out:
    if (fd >= 0)
        close(fd);
    closedir(dir);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int
read_path(struct key_images *imgs, const char *path, int dir_ok, char *err, size_t errlen)
{
    size_t n0 = imgs->n;
    struct stat st;
    int fd, rc = -1;

    if ((fd = open(path, OPEN_FLAGS)) < 0 || fstat(fd, &st) != 0) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    rc = dir_ok && S_ISDIR(st.st_mode) ? add_dir(imgs, fd, path, err, errlen)
                                       : add_file(imgs, fd, path, err, errlen);
out:
    if (rc < 0)
        truncate_to(imgs, n0);
    if (fd >= 0)
        close(fd);
    return rc;
}

int
key_images_read(struct key_images *imgs, const char *path, char *err, size_t errlen)
{
    return read_path(imgs, path, 1, err, errlen);
}

int
key_images_read_file(struct key_images *imgs, const char *path, char *err, size_t errlen)
{
    return read_path(imgs, path, 0, err, errlen);
}
