/* lock-signatures' filter, without the log line: no Python here, so the unit
 * test installs the very program spython does (launch.h has the entry point). */
#ifndef SPY_SECCOMP_H
#define SPY_SECCOMP_H

#include <stddef.h>

/* Install the filter for this thread and all it starts (no_new_privs first,
 * as unprivileged filters need). 0, or -1 with err; on an architecture whose
 * numbers this file does not carry, always -1. */
int lock_filter_install(char *err, size_t errlen);

#endif
