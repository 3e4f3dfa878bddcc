/* Execution rules: W^X, noexec mounts and the kernel's own answer to "may this
 * file be executed?" (AT_EXECVE_CHECK, Documentation/userspace-api/check_exec.rst),
 * all asked of the fd the code is read from, never of a path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "verify/execcheck.h"

/* Linux 6.14 (include/uapi/linux/fcntl.h, securebits.h); Debian 12's headers
 * predate them. */
#ifndef AT_EXECVE_CHECK
#define AT_EXECVE_CHECK 0x10000
#endif
#ifndef SECBIT_EXEC_RESTRICT_FILE
#define SECBIT_EXEC_RESTRICT_FILE (1 << 8)
#endif
#ifndef SECBIT_EXEC_DENY_INTERACTIVE
#define SECBIT_EXEC_DENY_INTERACTIVE (1 << 10)
#endif

static const char *const mode_names[] = {
    [EXEC_CHECK_AUTO] = "auto",
    [EXEC_CHECK_REQUIRE] = "require",
    [EXEC_CHECK_OFF] = "off",
};

const char *
exec_check_mode_name(enum exec_check_mode m)
{
    return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "invalid";
}

int
exec_check_mode_from_name(const char *s)
{
    for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
        if (strcmp(s, mode_names[i]) == 0)
            return (int)i;
    return -1;
}

/* The syscall itself, not glibc's execveat, which may fall back to emulation.
 * A real (empty-string) argv: with NULL the kernel warns about a NULL argv
 * launch, and valgrind reports the call. */
static long
execve_check(int fd)
{
    static char *const argv[] = { "", NULL }, *const envp[] = { NULL };

    return syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH | AT_EXECVE_CHECK);
}

void
exec_env_probe(struct exec_env *env)
{
    int bits;

    memset(env, 0, sizeof(*env));
    /* With no fd the check cannot succeed: a kernel that knows the flag says
     * EBADF, one that does not rejects the flag with EINVAL (ENOSYS where a
     * sandbox hides execveat). Nothing can be executed either way. */
    errno = 0;
    if (execve_check(-1) < 0 && errno != EINVAL && errno != ENOSYS)
        env->kernel_check = 1;
    if ((bits = prctl(PR_GET_SECUREBITS)) > 0) {
        env->restrict_file = (bits & SECBIT_EXEC_RESTRICT_FILE) != 0;
        env->deny_interactive = (bits & SECBIT_EXEC_DENY_INTERACTIVE) != 0;
    }
}

int
exec_rules_init(struct exec_rules *r, enum exec_check_mode mode, int require_unwritable,
                const struct exec_env *env, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->refuse_writable = require_unwritable != 0;
    r->refuse_noexec = mode != EXEC_CHECK_OFF;
    r->kernel_enforce = mode == EXEC_CHECK_REQUIRE || env->restrict_file;
    /* check_exec.rst asks interpreters to make the check even when its answer
     * is not enforced: LSMs and IMA may log or appraise it. */
    r->kernel_check = env->kernel_check && (mode != EXEC_CHECK_OFF || r->kernel_enforce);
    if (r->kernel_enforce && !env->kernel_check) {
        snprintf(err, errlen, "exec-check require: this kernel has no AT_EXECVE_CHECK "
                 "(Linux 6.14 or later)");
        return -1;
    }
    return 0;
}

int
exec_writable_by(const struct stat *st, uid_t uid)
{
    if (uid == 0)
        return 0;
    return st->st_uid == uid || (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

enum verdict
exec_check_fd(const struct exec_rules *r, int fd, const struct stat *st, int *err)
{
    struct statvfs sv;

    if (r->refuse_writable &&
        exec_writable_by(st, r->as_uid_set ? r->as_uid : geteuid()))
        return V_WRITABLE;
    if (r->refuse_noexec) {
        if (fstatvfs(fd, &sv) != 0) {
            *err = errno;
            return V_UNREADABLE;
        }
        if (sv.f_flag & ST_NOEXEC)
            return V_NOEXEC_MOUNT;
    }
    if (r->kernel_check && execve_check(fd) != 0 && r->kernel_enforce) {
        *err = errno;
        return V_EXEC_DENIED;
    }
    return V_OK;
}
