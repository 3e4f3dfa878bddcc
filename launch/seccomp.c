/* lock-signatures: a seccomp filter that makes every way of writing or removing
 * an extended attribute fail with EPERM, in spython and in everything it
 * starts, so a script cannot sign (or unsign) files. Installed before the
 * interpreter exists; a filter cannot be removed once loaded. The BPF is
 * built here (spython links no libseccomp): system call numbers differ by
 * architecture, so only those whose numbers this file carries are served. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch/launch.h"
#include "launch/seccomp.h"

#if defined(__x86_64__)
#define LOCK_ARCH AUDIT_ARCH_X86_64
/* x32 calls carry x86_64's arch and this bit in their numbers: without a
 * check of their own they would slip past every number below. */
#define LOCK_NR_LIMIT 0x40000000u   /* __X32_SYSCALL_BIT */
#elif defined(__aarch64__)
#define LOCK_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef LOCK_ARCH
/* Linux 6.13's calls, newer than the build's headers perhaps: both
 * architectures above number new calls from the common table. */
#ifndef __NR_setxattrat
#define __NR_setxattrat 463
#endif
#ifndef __NR_removexattrat
#define __NR_removexattrat 466
#endif

static const struct locked_call {
    const char *name;
    int nr;
} locked[] = {
    { "setxattr",       __NR_setxattr },
    { "lsetxattr",      __NR_lsetxattr },
    { "fsetxattr",      __NR_fsetxattr },
    { "removexattr",    __NR_removexattr },
    { "lremovexattr",   __NR_lremovexattr },
    { "fremovexattr",   __NR_fremovexattr },
    { "setxattrat",     __NR_setxattrat },
    { "removexattrat",  __NR_removexattrat },
    /* io_uring has SETXATTR and FSETXATTR operations of its own. */
    { "io_uring_setup", __NR_io_uring_setup },
    { "io_uring_enter", __NR_io_uring_enter },
    { "io_uring_register", __NR_io_uring_register },
};
#define NLOCKED (sizeof(locked) / sizeof(locked[0]))
#define FILTER_MAX (NLOCKED + 8)

/* A foreign ABI kills the process (i386 calls from a 64-bit one, x32), as
 * libseccomp's filter did; each locked call gets EPERM; anything else runs. */
static size_t
build_filter(struct sock_filter *f)
{
    size_t n = 0, k, deny;

    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LOCK_ARCH, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, nr));
#ifdef LOCK_NR_LIMIT
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, LOCK_NR_LIMIT, 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
#endif
    /* Jumps count from the next instruction: ALLOW follows the last test,
     * EPERM follows ALLOW. */
    deny = n + NLOCKED + 1;
    for (k = 0; k < NLOCKED; k++, n++)
        f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)locked[k].nr,
                                            (__u8)(deny - n - 1), 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    return n;
}

int
lock_filter_install(char *err, size_t errlen)
{
    struct sock_filter f[FILTER_MAX];
    struct sock_fprog prog = { .filter = f };

    prog.len = (unsigned short)build_filter(f);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(err, errlen, "lock-signatures: cannot set no_new_privs: %s", strerror(errno));
        return -1;
    }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 &&
        (errno != ENOSYS || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)) {
        snprintf(err, errlen, "lock-signatures: cannot load the seccomp filter: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

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
    if (log_lock() != 0) {
        snprintf(err, errlen, "lock-signatures: the audit log cannot be written");
        return -1;
    }
    return lock_filter_install(err, errlen);
}

#else

int
lock_filter_install(char *err, size_t errlen)
{
    snprintf(err, errlen, "lock-signatures: not supported on this architecture "
             "(spython carries system call numbers for x86_64 and aarch64 only)");
    return -1;
}

int
lock_signatures(char *err, size_t errlen)
{
    return lock_filter_install(err, errlen);
}

#endif
