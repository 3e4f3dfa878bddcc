/* The log. The script being audited runs in this process and may close or
 * dup2 over any fd, so before every write the fd is checked to still be the
 * file we opened; if it is not, the log is opened again by name and the
 * tampering noted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/json.h"
#include "audit/log.h"

/* Above the fds scripts expect to get from open(). */
#define LOG_FD_MIN 100

static struct {
    int fd;
    char *path;
    dev_t dev;
    ino_t ino;
} lg = { .fd = -1 };

/* fd, or -errno with a message in err (which may be NULL). */
static int
log_open_checked(const char *path, struct stat *st, char *err, size_t errlen)
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
    if (fstat(fd, st) < 0 || fcntl(fd, F_SETFL, O_APPEND) < 0) {
        e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        goto fail;
    }
    /* Character devices are allowed so that /dev/null and /dev/full work. */
    if (!S_ISREG(st->st_mode) && !S_ISCHR(st->st_mode)) {
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

static int
write_all(int fd, const char *p, size_t len)
{
    ssize_t w;

    while (len > 0) {
        w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int
log_reopen(const char *reason)
{
    char note[256];
    struct jbuf b;
    struct stat st;
    int fd, r;

    if ((fd = log_open_checked(lg.path, &st, NULL, 0)) < 0)
        return fd;
    /* The old number is not closed: it is closed already, or it is the
     * script's now. A rotated log (another inode at the path) is fine. */
    lg.fd = fd;
    lg.dev = st.st_dev;
    lg.ino = st.st_ino;

    jbuf_init(&b, note, sizeof(note), 0);
    jbuf_lit(&b, "{\"ts\":");
    jbuf_timestamp(&b);
    jbuf_lit(&b, ",\"pid\":");
    jbuf_i64(&b, getpid());
    jbuf_lit(&b, ",\"event\":\"spython.log-reopened\",\"args\":{\"reason\":");
    jbuf_str_utf8(&b, reason, strlen(reason));
    jbuf_lit(&b, "},\"decision\":\"allow\"}\n");
    r = b.failed ? -ENOMEM : write_all(fd, b.p, b.len);
    jbuf_free(&b);
    return r;
}

int
log_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
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
    lg.dev = st.st_dev;
    lg.ino = st.st_ino;
    return 0;
}

int
log_write_line(const char *line, size_t len)
{
    struct stat st;
    int r;

    if (lg.path == NULL)
        return -EBADF;
    if (fstat(lg.fd, &st) < 0) {
        if ((r = log_reopen("fd closed")) < 0)
            return r;
    } else if (st.st_dev != lg.dev || st.st_ino != lg.ino) {
        if ((r = log_reopen("fd replaced")) < 0)
            return r;
    }
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
    struct stat st;

    /* Only our own file: the number may belong to the script by now. */
    if (lg.fd >= 0 && fstat(lg.fd, &st) == 0 && st.st_dev == lg.dev &&
        st.st_ino == lg.ino)
        close(lg.fd);
    free(lg.path);
    lg.path = NULL;
    lg.fd = -1;
}
