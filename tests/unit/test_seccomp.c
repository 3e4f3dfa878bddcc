/* lock-signatures' BPF filter, installed in forked children: every xattr
 * write and io_uring gets EPERM, the rest runs, and calls through another
 * ABI (x32's numbers, i386's int 0x80) kill the process instead of slipping
 * past the x86_64 numbers. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "launch/seccomp.h"

#if defined(__x86_64__) || defined(__aarch64__)
#define SUPPORTED 1
#endif

/* Run body in a child behind the filter; its wait status. */
static int
locked_child(int (*body)(void))
{
    struct rlimit none = { 0, 0 };
    char err[256];
    pid_t pid;
    int st;

    if ((pid = fork()) == 0) {
        setrlimit(RLIMIT_CORE, &none);
        if (lock_filter_install(err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            _exit(99);
        }
        _exit(body());
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

#define CHILD_CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
                                        return 1; } } while (0)

static int
eperm(long rc)
{
    return rc == -1 && errno == EPERM;
}

static int
body_denied(void)
{
    char path[] = "/tmp/spy-seccomp.XXXXXX";
    int fd = mkstemp(path);
    pid_t pid;
    int st;

    CHILD_CHECK(fd >= 0);
    CHILD_CHECK(eperm(syscall(SYS_setxattr, path, "user.x", "v", 1, 0)));
    CHILD_CHECK(eperm(syscall(SYS_lsetxattr, path, "user.x", "v", 1, 0)));
    CHILD_CHECK(eperm(syscall(SYS_fsetxattr, fd, "user.x", "v", 1, 0)));
    CHILD_CHECK(eperm(syscall(SYS_fsetxattr, -1, "user.x", "v", 1, 0)));
    CHILD_CHECK(eperm(syscall(SYS_removexattr, path, "user.x")));
    CHILD_CHECK(eperm(syscall(SYS_lremovexattr, path, "user.x")));
    CHILD_CHECK(eperm(syscall(SYS_fremovexattr, fd, "user.x")));
    CHILD_CHECK(eperm(syscall(463, AT_FDCWD, path, 0, "user.x", NULL, 0)));  /* setxattrat */
    CHILD_CHECK(eperm(syscall(466, AT_FDCWD, path, 0, "user.x")));           /* removexattrat */
    CHILD_CHECK(eperm(syscall(SYS_io_uring_setup, 8, NULL)));
    CHILD_CHECK(eperm(syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0)));
    CHILD_CHECK(eperm(syscall(SYS_io_uring_register, -1, 0, NULL, 0)));
    /* The rest runs: reads included, and a child inherits the filter. */
    CHILD_CHECK(syscall(SYS_getpid) == getpid());
    CHILD_CHECK(syscall(SYS_fgetxattr, fd, "user.x", NULL, 0) == -1 && errno == ENODATA);
    if ((pid = fork()) == 0)
        _exit(eperm(syscall(SYS_fsetxattr, fd, "user.x", "v", 1, 0)) ? 0 : 1);
    CHILD_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    unlink(path);
    return 0;
}

static void
locked_calls_get_eperm(void **state)
{
    int st;

    (void)state;
#ifndef SUPPORTED
    skip();
#endif
    st = locked_child(body_denied);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* Without the filter the same calls reach the kernel (so the test can fail). */
static void
unlocked_calls_run(void **state)
{
    (void)state;
    assert_int_equal(syscall(SYS_fsetxattr, -1, "user.x", "v", 1, 0), -1);
    assert_int_equal(errno, EBADF);
}

#ifdef __x86_64__
static int
body_x32(void)
{
    /* x32's fsetxattr: the same number with __X32_SYSCALL_BIT. */
    syscall(0x40000000 | SYS_fsetxattr, 0, "user.x", "v", 1, 0);
    return 0;
}

static int
body_int80(void)
{
    long rc;

    /* i386's getpid (20) through the 32-bit entry. */
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
    return 0;
}

static int
body_huge_nr(void)
{
    syscall(-1L);
    return 0;
}
#endif

static void
foreign_abi_kills(void **state)
{
    (void)state;
#ifdef __x86_64__
    int (*const bodies[])(void) = { body_x32, body_int80, body_huge_nr };
    size_t i;
    int st;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        st = locked_child(bodies[i]);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), SIGSYS);
    }
#else
    skip();
#endif
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unlocked_calls_run),
        cmocka_unit_test(locked_calls_get_eperm),
        cmocka_unit_test(foreign_abi_kills),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
