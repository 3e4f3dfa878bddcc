/* Trust checks after OpenSSH's safe_path(): a file is only as safe as every
 * directory above it, since whoever can write a directory can replace its
 * entries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"

static int
dir_is_trusted(const struct stat *st, uid_t owner)
{
    if (st->st_uid != 0 && st->st_uid != owner)
        return 0;
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
        return 1;
    /* Like /tmp: others may add entries but cannot remove or rename ours. */
    return st->st_uid == 0 && (st->st_mode & S_ISVTX);
}

int
trust_check_path_stat(const char *path, struct stat *st,
                      char *err, size_t errlen)
{
    struct stat dst;
    char *real = NULL, *slash;
    int r = -1;

    if (path[0] != '/') {
        snprintf(err, errlen, "%s: not an absolute path", path);
        return -1;
    }
    if (lstat(path, st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* The object itself, not a link to it: callers open with O_NOFOLLOW. */
    if (S_ISLNK(st->st_mode)) {
        snprintf(err, errlen, "%s: is a symbolic link", path);
        return -1;
    }
    /* Check the directories the file really is in, not the ones the name
     * passes through: realpath() resolves links above it. */
    if ((real = realpath(path, NULL)) == NULL || lstat(real, st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
        snprintf(err, errlen, "%s: not a regular file or directory", path);
        goto out;
    }
    if ((st->st_uid != 0 && st->st_uid != geteuid()) ||
        (st->st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(err, errlen, "%s: bad ownership or modes", path);
        goto out;
    }
    while (strcmp(real, "/") != 0) {
        slash = strrchr(real, '/');
        slash[slash == real] = '\0';        /* keep the root's own slash */
        if (lstat(real, &dst) < 0 || !S_ISDIR(dst.st_mode) ||
            !dir_is_trusted(&dst, st->st_uid)) {
            snprintf(err, errlen,
                     "%s: bad ownership or modes for directory %s",
                     path, real);
            goto out;
        }
    }
    r = 0;
out:
    free(real);
    return r;
}

int
trust_check_path(const char *path, char *err, size_t errlen)
{
    struct stat st;

    return trust_check_path_stat(path, &st, err, errlen);
}
