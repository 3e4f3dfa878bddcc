/* Read an open regular file whole, never past a size cap. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "verify/readfd.h"

enum verdict
read_fd_whole(int fd, const struct stat *st, uint64_t max,
              uint8_t **data, size_t *len, int *errno_out)
{
    enum verdict v = V_OK;
    uint8_t *buf = NULL, *nbuf;
    size_t cap, got = 0;
    ssize_t n;

    *data = NULL;
    *len = 0;
    if (max >= SIZE_MAX)
        max = SIZE_MAX - 1;
    if (st->st_size < 0 || (uint64_t)st->st_size > max)
        return V_TOO_LARGE;
    /* One byte of slack: the read that sees EOF needs room to notice growth. */
    cap = (size_t)st->st_size + 1;
    if ((buf = malloc(cap)) == NULL)
        return V_NO_MEMORY;
    for (;;) {
        if (got == cap) {
            if (got > max) {
                v = V_TOO_LARGE;
                goto out;
            }
            cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
            if ((nbuf = realloc(buf, cap)) == NULL) {
                v = V_NO_MEMORY;
                goto out;
            }
            buf = nbuf;
        }
        n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno_out != NULL)
                *errno_out = errno;
            v = V_UNREADABLE;
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    *data = buf;
    *len = got;
    buf = NULL;
out:
    free(buf);
    return v;
}
