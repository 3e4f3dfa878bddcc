/* lock-signatures: a seccomp filter that makes every way of writing or removing
 * an extended attribute fail with EPERM, in spython and in everything it
 * starts, so a script cannot sign (or unsign) files. Installed before the
 * interpreter exists; a filter cannot be removed once loaded. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "launch/launch.h"

/* Syscalls libseccomp 2.5 does not know by name: Linux 6.13 numbers, the same
 * on every architecture that uses the common table for new calls. */
static const struct locked_call {
    const char *name;
    int fallback_nr;                /* -1: libseccomp must know it */
} locked[] = {
    { "setxattr",       -1 },
    { "lsetxattr",      -1 },
    { "fsetxattr",      -1 },
    { "removexattr",    -1 },
    { "lremovexattr",   -1 },
    { "fremovexattr",   -1 },
    { "setxattrat",     463 },
    { "removexattrat",  466 },
    /* io_uring has SETXATTR and FSETXATTR operations of its own. */
    { "io_uring_setup", -1 },
    { "io_uring_enter", -1 },
    { "io_uring_register", -1 },
};
#define NLOCKED (sizeof(locked) / sizeof(locked[0]))

static int
log_lock(void)
{
    char stackbuf[512];
    struct jbuf b;
    int rc;

    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, "spython.lock-signatures");
    jbuf_lit(&b, "{\"denied\":[");
    for (size_t i = 0; i < NLOCKED; i++) {
        if (i > 0)
            jbuf_char(&b, ',');
        jbuf_str_utf8(&b, locked[i].name, strlen(locked[i].name));
    }
    jbuf_lit(&b, "],\"errno\":\"EPERM\"}");
    rc = line_finish(&b, DECIDE_ALLOW, NULL);
    jbuf_free(&b);
    return rc;
}

int
lock_signatures(char *err, size_t errlen)
{
    scmp_filter_ctx ctx = NULL;
    int nr, rc = -1, e;

    if (log_lock() != 0) {
        snprintf(err, errlen, "lock-signatures: the audit log cannot be written");
        return -1;
    }
    if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
        snprintf(err, errlen, "lock-signatures: seccomp_init failed");
        goto out;
    }
    for (size_t i = 0; i < NLOCKED; i++) {
        nr = seccomp_syscall_resolve_name(locked[i].name);
        if (nr == __NR_SCMP_ERROR)
            nr = locked[i].fallback_nr;
        if (nr < 0) {
            snprintf(err, errlen, "lock-signatures: unknown system call %s", locked[i].name);
            goto out;
        }
        if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0) {
            snprintf(err, errlen, "lock-signatures: %s: %s", locked[i].name, strerror(-e));
            goto out;
        }
    }
    /* Sets no_new_privs too (libseccomp's default), as unprivileged filters need. */
    if ((e = seccomp_load(ctx)) < 0) {
        snprintf(err, errlen, "lock-signatures: cannot load the seccomp filter: %s",
                 strerror(-e));
        goto out;
    }
    rc = 0;
out:
    seccomp_release(ctx);
    return rc;
}
