/* The log file: append-only, one line per write(2), checked before every write. */
#ifndef SPY_LOG_H
#define SPY_LOG_H

#include <stddef.h>

/* Open (create 0640) for append, refusing symlinks and non-regular files. The fd
 * is moved out of the low range and marked close-on-exec. 0, or -1 with err. */
int log_open(const char *path, char *err, size_t errlen);

/* Write one complete line (caller includes the '\n') with a single write(2),
 * retrying on EINTR and continuing after a short write. Before writing, the fd is
 * checked to still be the file that was opened (a script may os.close or os.dup2
 * over it); if it is not, the log is reopened by path first and a note of the
 * tampering is written. 0 on success, -errno on failure: the caller must then
 * refuse the action whose event could not be logged. */
int log_write_line(const char *line, size_t len);

/* For tests and fork handling: the current fd (-1 when closed). */
int log_fd(void);
void log_close(void);

#endif
