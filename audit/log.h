/* The log file: append-only, one line per write(2), checked before every write. */
#ifndef SPY_LOG_H
#define SPY_LOG_H

#include <stddef.h>

/* Open (create 0640) for append, refusing symlinks and non-regular files. The fd
 * is moved out of the low range and marked close-on-exec. 0, or -1 with err. */
int log_open(const char *path, char *err, size_t errlen);

/* Before every line: check that the fd is still the file that was opened (a
 * script may os.close or os.dup2 over it) and that the path still names it
 * (logrotate renames it away); if not, reopen the log by path. 0 when nothing
 * changed; 1 when it was reopened, *why saying why ("fd closed", "fd
 * replaced", "rotated"), and the caller notes it in the log; -errno when it
 * cannot be reopened. */
int log_check(const char **why);

/* Write one complete line (caller includes the '\n') with a single write(2),
 * retrying on EINTR and continuing after a short write. 0 on success, -errno
 * on failure: the caller must then refuse the action whose event could not be
 * logged. */
int log_write(const char *line, size_t len);

/* For tests and fork handling: the current fd (-1 when closed). */
int log_fd(void);
void log_close(void);

#endif
