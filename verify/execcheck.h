/* Execution rules on top of signatures: what the kernel says about running a
 * code file (AT_EXECVE_CHECK), noexec mounts, and W^X. Pure C, no Python. */
#ifndef SPY_EXECCHECK_H
#define SPY_EXECCHECK_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "verdict.h"

/* Policy directive exec-check. */
enum exec_check_mode {
    EXEC_CHECK_AUTO = 0,    /* refuse noexec mounts; ask the kernel, heed it under SECBIT_EXEC_RESTRICT_FILE */
    EXEC_CHECK_REQUIRE,     /* as if SECBIT_EXEC_RESTRICT_FILE were always set */
    EXEC_CHECK_OFF,         /* no noexec refusal; the kernel only when the secure bit asks */
};

/* What this process was started with, probed once before any code is read. */
struct exec_env {
    int kernel_check;       /* the kernel knows AT_EXECVE_CHECK (Linux >= 6.14) */
    int restrict_file;      /* SECBIT_EXEC_RESTRICT_FILE is set */
    int deny_interactive;   /* SECBIT_EXEC_DENY_INTERACTIVE is set */
};

/* The rules applied to every code file; all zero applies none. */
struct exec_rules {
    int refuse_noexec;      /* code on a noexec mount is refused (fstatvfs) */
    int kernel_check;       /* ask the kernel with AT_EXECVE_CHECK */
    int kernel_enforce;     /* and refuse what it refuses */
    int refuse_writable;    /* W^X: refuse code the running user could write */
    int as_uid_set;         /* W^X for as_uid instead of the current euid */
    uid_t as_uid;
};

void exec_env_probe(struct exec_env *env);

/* Rules for a policy. The secure bit is the system's decision and binds
 * whatever the policy says. 0, or -1 with a one-line reason in err when the
 * policy asks for a check this kernel cannot make. */
int exec_rules_init(struct exec_rules *r, enum exec_check_mode mode, int require_unwritable,
                    const struct exec_env *env, char *err, size_t errlen);

/* Apply r to an open code file (st is its fstat). V_OK, V_WRITABLE,
 * V_NOEXEC_MOUNT or V_EXEC_DENIED; *err gets errno of a failed call. */
enum verdict exec_check_fd(const struct exec_rules *r, int fd, const struct stat *st, int *err);

/* W^X: could uid write this file? Its owner could (chmod), and so could
 * anyone when it is group or world writable (an ACL granting write shows as
 * group write). uid 0 can write anything, so for it the rule means nothing. */
int exec_writable_by(const struct stat *st, uid_t uid);

/* "auto", "require", "off"; and back (-1 if unknown). */
const char *exec_check_mode_name(enum exec_check_mode m);
int exec_check_mode_from_name(const char *s);

#endif
