/* Open a path without following magic links (/proc/self/fd/N, /dev/fd/N, /proc/PID/cwd). */
#ifndef SPY_NOMAGIC_H
#define SPY_NOMAGIC_H

/* openat2(AT_FDCWD, path, {flags, RESOLVE_NO_MAGICLINKS}). Where openat2 is
 * missing (Linux < 5.6, valgrind, container seccomp profiles that answer
 * ENOSYS) the same rule is applied in userspace. Returns an fd, or -1 with
 * errno; ELOOP means a magic link was refused (or too many symlinks). */
int open_no_magiclinks(const char *path, int flags);

#endif
