/* The log. The script being audited runs in this process and may close or
 * dup2 over any fd, so before every write the fd is checked to still be the
 * file we opened; if it is not, the log is opened again by name (the caller
 * notes the tampering). The same happens when logrotate has renamed or
 * removed the file, so that no line goes to a file that is about to be
 * compressed.
 *
 * The check asks statx for the type, link count and inode only. fstat()
 * would ask for the times too, and on file systems with multigrain
 * timestamps (ext4, xfs, btrfs, tmpfs since Linux 6.13) a query of the
 * ctime makes the next write stamp a fine-grained time, that is, dirty the
 * inode and journal it: with a check per line, every write paid that, about
 * as much again as the write itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "audit/log.h"

/* Above the fds scripts expect to get from open(). */
#define LOG_FD_MIN 100

/* How often the path is looked up to notice a rotation. A lookup costs about
 * as much as the write itself; between lookups, lines still reach the
 * renamed file, which logrotate's delaycompress leaves alone until the next
 * rotation. A removed file is noticed at once (the link count, from the
 * check that runs anyway). */
#define LOG_ROTATE_CHECK_NS (100 * 1000000L)

static struct {
    int fd;
    char *path;
    dev_t dev;
    ino_t ino;
    struct timespec checked;        /* last lookup of the path */
} lg = { .fd = -1 };

/* What the checks need of an fd, without the times (see the top). */
struct ident {
    dev_t dev;
    ino_t ino;
    mode_t mode;
    unsigned nlink;
};

/* Of an fd (path ""), or of a path itself, not what a link names. (A NULL
 * path would spare Linux 6.11+ copying in "", a tenth of the call, but
 * valgrind reports it as a bad pointer.) */
static int
ident_at(int fd, const char *path, struct ident *id)
{
    struct statx sx;
    int r;

    r = statx(fd, path, path[0] ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH,
              STATX_TYPE | STATX_NLINK | STATX_INO, &sx);
    if (r < 0)
        return -1;
    id->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
    id->ino = sx.stx_ino;
    id->mode = sx.stx_mode;
    id->nlink = sx.stx_nlink;
    return 0;
}

static int
ident_of(int fd, struct ident *id)
{
    return ident_at(fd, "", id);
}

/* fd, or -errno with a message in err (which may be NULL). */
static int
log_open_checked(const char *path, struct ident *st, char *err, size_t errlen)
{
    int fd, moved, e;

    /* O_NONBLOCK: a FIFO (refused below) must not make open() wait for a
     * reader. */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
              O_NOCTTY | O_NONBLOCK, 0640);
    if (fd < 0) {
        e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    if (ident_of(fd, st) < 0 || fcntl(fd, F_SETFL, O_APPEND) < 0) {
        e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        goto fail;
    }
    /* Character devices are allowed so that /dev/null and /dev/full work. */
    if (!S_ISREG(st->mode) && !S_ISCHR(st->mode)) {
        e = EINVAL;
        snprintf(err, errlen, "%s: not a regular file", path);
        goto fail;
    }
    /* With an fd limit below LOG_FD_MIN the low fd is kept: tampering is still
     * caught before every write. */
    if ((moved = fcntl(fd, F_DUPFD_CLOEXEC, LOG_FD_MIN)) >= 0) {
        close(fd);
        fd = moved;
    }
    return fd;
fail:
    close(fd);
    return -e;
}

/* RWF_APPEND appends whatever the fd's flags say: a script that dup2()s the
 * log, opened again without O_APPEND, over our fd passes the dev/ino check,
 * and a plain write would then overwrite the oldest lines. Devices and old
 * kernels take a plain write. */
static ssize_t
append(int fd, const char *p, size_t len)
{
    struct iovec iov = { (void *)p, len };
    ssize_t w = pwritev2(fd, &iov, 1, -1, RWF_APPEND);

    if (w < 0 && (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL))
        w = write(fd, p, len);
    return w;
}

static int
write_all(int fd, const char *p, size_t len)
{
    ssize_t w;

    while (len > 0) {
        w = append(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* ours: the fd is still the file we opened (rotated away or not). */
static int
log_reopen(int ours)
{
    struct ident st;
    int fd;

    if ((fd = log_open_checked(lg.path, &st, NULL, 0)) < 0)
        return fd;
    /* Otherwise the old number is not closed: it is closed already, or it
     * is the script's now. */
    if (ours)
        close(lg.fd);
    lg.fd = fd;
    lg.dev = st.dev;
    lg.ino = st.ino;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &lg.checked);
    return 0;
}

/* Whether the path no longer names our file, looked up at most every
 * LOG_ROTATE_CHECK_NS. */
static int
rotated(const struct ident *st)
{
    struct timespec now;
    struct ident pst;
    long ns;

    if (!S_ISREG(st->mode))
        return 0;
    if (st->nlink == 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    ns = (now.tv_sec - lg.checked.tv_sec) * 1000000000L +
         (now.tv_nsec - lg.checked.tv_nsec);
    if (ns >= 0 && ns < LOG_ROTATE_CHECK_NS)
        return 0;
    lg.checked = now;
    /* Not following: a link put in its place is not our file, and
     * reopening then refuses it. */
    if (ident_at(AT_FDCWD, lg.path, &pst) < 0)
        return 1;
    return pst.dev != lg.dev || pst.ino != lg.ino;
}

int
log_open(const char *path, char *err, size_t errlen)
{
    struct ident st;
    char *copy;
    int fd;

    if ((copy = strdup(path)) == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if ((fd = log_open_checked(path, &st, err, errlen)) < 0) {
        free(copy);
        return -1;
    }
    log_close();
    lg.fd = fd;
    lg.path = copy;
    lg.dev = st.dev;
    lg.ino = st.ino;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &lg.checked);
    return 0;
}

int
log_check(const char **why)
{
    struct ident st;
    int r;

    *why = NULL;
    if (lg.path == NULL)
        return -EBADF;
    if (ident_of(lg.fd, &st) < 0) {
        *why = "fd closed";
        r = log_reopen(0);
    } else if (st.dev != lg.dev || st.ino != lg.ino) {
        *why = "fd replaced";
        r = log_reopen(0);
    } else if (rotated(&st)) {
        *why = "rotated";
        r = log_reopen(1);
    } else {
        return 0;
    }
    return r < 0 ? r : 1;
}

int
log_write(const char *line, size_t len)
{
    if (lg.path == NULL)
        return -EBADF;
    return write_all(lg.fd, line, len);
}

int
log_fd(void)
{
    return lg.fd;
}

void
log_close(void)
{
    struct ident st;

    /* Only our own file: the number may belong to the script by now. */
    if (lg.fd >= 0 && ident_of(lg.fd, &st) == 0 && st.dev == lg.dev &&
        st.ino == lg.ino)
        close(lg.fd);
    free(lg.path);
    lg.path = NULL;
    lg.fd = -1;
}
