/* execcheck.c: W^X, the rules a policy and the secure bits make, and the
 * kernel's AT_EXECVE_CHECK on real files (noexec mounts need root and a
 * mount: tests/integration/25-exec-check.sh). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "verify/execcheck.h"

static void
test_writable_by(void **state)
{
    static const struct { uid_t owner; mode_t mode; uid_t uid; int want; } cases[] = {
        { 0,    0644, 1000, 0 },    /* root's file, read-only to us */
        { 0,    0755, 1000, 0 },
        { 1000, 0444, 1000, 1 },    /* ours: chmod makes it writable */
        { 1000, 0644, 1000, 1 },
        { 0,    0664, 1000, 1 },    /* group writable: whoever is in the group */
        { 0,    0646, 1000, 1 },    /* world writable */
        { 0,    0620, 1000, 1 },
        { 2000, 0644, 1000, 0 },    /* someone else's */
        { 1000, 0666, 0,    0 },    /* root can write anything: the rule means nothing */
        { 0,    0644, 0,    0 },
    };
    struct stat st;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&st, 0, sizeof(st));
        st.st_uid = cases[i].owner;
        st.st_mode = S_IFREG | cases[i].mode;
        assert_int_equal(exec_writable_by(&st, cases[i].uid), cases[i].want);
    }
}

static void
test_rules_init(void **state)
{
    static const struct {
        enum exec_check_mode mode;
        struct exec_env env;
        int rc, noexec, check, enforce;
    } cases[] = {
        /* mode               kernel restrict deny    rc  noexec check enforce */
        { EXEC_CHECK_AUTO,    { 1, 0, 0 },            0,  1, 1, 0 },
        { EXEC_CHECK_AUTO,    { 1, 1, 0 },            0,  1, 1, 1 },
        { EXEC_CHECK_AUTO,    { 0, 0, 0 },            0,  1, 0, 0 },
        { EXEC_CHECK_REQUIRE, { 1, 0, 0 },            0,  1, 1, 1 },
        { EXEC_CHECK_REQUIRE, { 0, 0, 0 },            -1, 0, 0, 0 },
        { EXEC_CHECK_OFF,     { 1, 0, 0 },            0,  0, 0, 0 },
        /* The secure bit binds whatever the policy says. */
        { EXEC_CHECK_OFF,     { 1, 1, 1 },            0,  0, 1, 1 },
    };
    struct exec_rules r;
    char err[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        assert_int_equal(exec_rules_init(&r, cases[i].mode, 0, &cases[i].env, err, sizeof(err)),
                         cases[i].rc);
        if (cases[i].rc != 0) {
            assert_non_null(strstr(err, "AT_EXECVE_CHECK"));
            continue;
        }
        assert_int_equal(r.refuse_noexec, cases[i].noexec);
        assert_int_equal(r.kernel_check, cases[i].check);
        assert_int_equal(r.kernel_enforce, cases[i].enforce);
        assert_int_equal(r.refuse_writable, 0);
    }
    assert_int_equal(exec_rules_init(&r, EXEC_CHECK_AUTO, 1, &cases[0].env, err, sizeof(err)), 0);
    assert_int_equal(r.refuse_writable, 1);
}

static void
test_mode_names(void **state)
{
    for (int m = EXEC_CHECK_AUTO; m <= EXEC_CHECK_OFF; m++)
        assert_int_equal(exec_check_mode_from_name(exec_check_mode_name(m)), m);
    assert_int_equal(exec_check_mode_from_name("yes"), -1);
    assert_int_equal(exec_check_mode_from_name(""), -1);
    assert_int_equal(exec_check_mode_from_name("Auto"), -1);
}

/* A temporary regular file with mode, open read-only, as codefile.c holds it. */
static int
temp_file(char *path, size_t n, mode_t mode, struct stat *st)
{
    int fd;

    snprintf(path, n, "%s/spy-execcheck.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_true((fd = mkstemp(path)) >= 0);
    assert_int_equal(write(fd, "pass\n", 5), 5);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
    assert_int_equal(fstat(fd, st), 0);
    return fd;
}

static void
test_check_writable(void **state)
{
    struct exec_rules r = { .refuse_writable = 1, .as_uid_set = 1 };
    struct stat st;
    char path[256];
    int fd = temp_file(path, sizeof(path), 0644, &st), err = 0;

    /* Ours (or root's, when the tests run as root): writable to its owner... */
    r.as_uid = st.st_uid == 0 ? 0 : st.st_uid;
    assert_int_equal(exec_check_fd(&r, fd, &st, &err),
                     st.st_uid == 0 ? V_OK : V_WRITABLE);
    /* ...not to a stranger, until the group may write it. */
    r.as_uid = st.st_uid + 4242;
    assert_int_equal(exec_check_fd(&r, fd, &st, &err), V_OK);
    st.st_mode |= S_IWGRP;
    assert_int_equal(exec_check_fd(&r, fd, &st, &err), V_WRITABLE);
    close(fd);
    unlink(path);
}

static void
test_kernel_check(void **state)
{
    struct exec_env env;
    struct exec_rules r = { 0 };
    struct stat st;
    char path[256];
    int fd, err = 0;

    exec_env_probe(&env);
    if (!env.kernel_check) {
        skip();
        return;
    }
    fd = temp_file(path, sizeof(path), 0644, &st);
    /* Asked but not enforced: the answer is the kernel's business only. */
    r.kernel_check = 1;
    assert_int_equal(exec_check_fd(&r, fd, &st, &err), V_OK);
    /* Enforced: no execute bit at all, so not even root may execute it. */
    r.kernel_enforce = 1;
    assert_int_equal(exec_check_fd(&r, fd, &st, &err), V_EXEC_DENIED);
    assert_int_equal(err, EACCES);
    close(fd);
    assert_int_equal(chmod(path, 0755), 0);
    assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
    err = 0;
    assert_int_equal(exec_check_fd(&r, fd, &st, &err), V_OK);
    assert_int_equal(err, 0);
    close(fd);
    unlink(path);
}

/* The rules apply to the fd, whatever name the file has by now. */
static void
test_kernel_check_follows_fd(void **state)
{
    struct exec_env env;
    struct exec_rules r = { .kernel_check = 1, .kernel_enforce = 1 };
    struct stat st;
    char path[256], moved[300];
    int fd, err = 0;

    exec_env_probe(&env);
    if (!env.kernel_check) {
        skip();
        return;
    }
    fd = temp_file(path, sizeof(path), 0644, &st);
    snprintf(moved, sizeof(moved), "%s.x", path);
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(symlink("/bin/true", path), 0);
    assert_int_equal(exec_check_fd(&r, fd, &st, &err), V_EXEC_DENIED);
    close(fd);
    unlink(path);
    unlink(moved);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writable_by),
        cmocka_unit_test(test_rules_init),
        cmocka_unit_test(test_mode_names),
        cmocka_unit_test(test_check_writable),
        cmocka_unit_test(test_kernel_check),
        cmocka_unit_test(test_kernel_check_follows_fd),
    };

    return cmocka_run_group_tests_name("execcheck", tests, NULL, NULL);
}
