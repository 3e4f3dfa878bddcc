/* Read an open file whole: the one reader behind code files, keyrings and keys. */
#ifndef SPY_READFD_H
#define SPY_READFD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "verdict.h"

/* Read fd (already fstat'ed into st, a regular file) to EOF into a malloc'd
 * buffer. One read when st_size is right, one more to see EOF; a file that grows
 * is followed up to max bytes, one that shrinks gives the bytes actually read.
 * *data is non-NULL on V_OK even for an empty file. V_OK, V_TOO_LARGE,
 * V_UNREADABLE (errno in *errno_out if not NULL) or V_NO_MEMORY. */
enum verdict read_fd_whole(int fd, const struct stat *st, uint64_t max,
                           uint8_t **data, size_t *len, int *errno_out);

#endif
