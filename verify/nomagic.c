/* Open a path refusing magic links: openat2 where it exists, a careful walk where not. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>

#include "verify/nomagic.h"

#define MAX_SYMLINKS 40             /* the kernel's limit */

/* Set once openat2 is known to be missing; a benign race. */
static int openat2_missing;

/* Resolve path one component at a time from O_PATH|O_NOFOLLOW fds, following
 * ordinary symlinks by hand. Magic links exist only on procfs, so any symlink
 * that lives there is refused: stricter than the kernel (/proc/self is refused
 * too), which costs nothing for code files. Only the last component is really
 * opened, relative to its already resolved directory and with O_NOFOLLOW, so a
 * swap during the walk can only fail the open, never redirect it. */
static int
open_walk(const char *path, int flags)
{
    char buf[2][PATH_MAX], target[PATH_MAX];
    char *rest, *comp, *slash;
    struct statfs sfs;
    struct stat st;
    int dfd = -1, nfd = -1, fd = -1, links = 0, cur = 0, saved;
    ssize_t n;

    if (*path == '\0') {
        errno = ENOENT;
        return -1;
    }
    if (strlen(path) >= sizeof(buf[0])) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(buf[cur], path);
    rest = buf[cur];
    if ((dfd = open(*rest == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        goto out;
    for (;;) {
        while (*rest == '/')
            rest++;
        comp = *rest != '\0' ? rest : ".";     /* "dir/" names dir itself */
        if ((slash = strchr(rest, '/')) != NULL) {
            *slash = '\0';
            rest = slash + 1;
        } else {
            rest += strlen(rest);
        }
        if (slash == NULL) {
            fd = openat(dfd, comp, flags | O_NOFOLLOW);
            if (fd >= 0 || errno != ELOOP)
                goto out;
        }
        if ((nfd = openat(dfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
            fstat(nfd, &st) != 0)
            goto out;
        if (!S_ISLNK(st.st_mode)) {
            close(dfd);
            dfd = nfd;
            nfd = -1;
            continue;
        }
        if (++links > MAX_SYMLINKS || fstatfs(nfd, &sfs) != 0 ||
            sfs.f_type == PROC_SUPER_MAGIC) {
            errno = ELOOP;
            goto out;
        }
        if ((n = readlinkat(nfd, "", target, sizeof(target))) < 0)
            goto out;
        if ((size_t)n == sizeof(target) ||
            snprintf(buf[!cur], sizeof(buf[0]), "%.*s%s%s", (int)n, target,
                     slash != NULL ? "/" : "", rest) >= (int)sizeof(buf[0])) {
            errno = ENAMETOOLONG;
            goto out;
        }
        close(nfd);
        nfd = -1;
        cur = !cur;
        rest = buf[cur];
        if (*rest == '/') {
            close(dfd);
            if ((dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                goto out;
        }
    }
out:
    saved = errno;
    if (nfd >= 0)
        close(nfd);
    if (dfd >= 0)
        close(dfd);
    errno = saved;
    return fd;
}

int
open_no_magiclinks(const char *path, int flags)
{
    struct open_how how = {
        .flags = (unsigned)flags,
        .resolve = RESOLVE_NO_MAGICLINKS,
    };
    long fd;

    if (!openat2_missing) {
        fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
        if (fd >= 0 || errno != ENOSYS)
            return (int)fd;
        openat2_missing = 1;
    }
    return open_walk(path, flags);
}
