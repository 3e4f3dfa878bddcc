/* The log: exact contents, append mode, write errors, and what happens when the
 * code under audit closes or dup2s over the log's fd. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "audit/log.h"

struct tree {
    char root[64];
    char log[128];
};

static int
tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return -1;
    strcpy(t->root, "/tmp/spy-log.XXXXXX");
    if (mkdtemp(t->root) == NULL)
        return -1;
    snprintf(t->log, sizeof(t->log), "%s/audit.log", t->root);
    umask(022);
    *state = t;
    return 0;
}

static int
tree_teardown(void **state)
{
    struct tree *t = *state;
    char cmd[128];

    log_close();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
    free(t);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *
logpath(void **state)
{
    return ((struct tree *)*state)->log;
}

static const char *
at(void **state, const char *rel)
{
    static char ring[4][192];
    static int next;
    char *p = ring[next++ % 4];

    snprintf(p, sizeof(ring[0]), "%s/%s", ((struct tree *)*state)->root, rel);
    return p;
}

static char *
slurp(const char *path)
{
    char *buf = calloc(1, 1 << 16);
    FILE *f = fopen(path, "r");

    assert_non_null(buf);
    assert_non_null(f);
    assert_true(fread(buf, 1, (1 << 16) - 1, f) < (1 << 16) - 1);
    fclose(f);
    return buf;
}

static void
expect_content(const char *path, const char *want)
{
    char *got = slurp(path);

    assert_string_equal(got, want);
    free(got);
}

static void
open_log(void **state)
{
    char err[256] = "";

    if (log_open(logpath(state), err, sizeof(err)) != 0)
        fail_msg("%s", err);
}

/* What audit/line.c does for every line: check (and reopen), then write. */
static const char *last_why;

static int
write_str(const char *s)
{
    int r = log_check(&last_why);

    return r < 0 ? r : log_write(s, strlen(s));
}

/* The check before the next line reopens the log, saying why. */
static void
expect_reopen(const char *why)
{
    const char *got;

    assert_int_equal(log_check(&got), 1);
    assert_string_equal(got, why);
    assert_int_equal(log_check(&got), 0);
    assert_null(got);
}

static void
test_write_lines(void **state)
{
    struct stat st;
    int fd;

    open_log(state);
    fd = log_fd();
    assert_true(fd >= 100);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(fd, F_GETFL) & O_APPEND);
    assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_int_equal(write_str("{\"a\":1}\n"), 0);
    assert_int_equal(write_str("{\"b\":2}\n"), 0);
    assert_int_equal(log_write("", 0), 0);
    expect_content(logpath(state), "{\"a\":1}\n{\"b\":2}\n");
    assert_int_equal(stat(logpath(state), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    log_close();
    assert_int_equal(log_fd(), -1);
    assert_int_equal(fcntl(fd, F_GETFD), -1);   /* really closed */
}

static void
test_append(void **state)
{
    int other;

    other = open(logpath(state), O_WRONLY | O_CREAT | O_APPEND, 0600);
    assert_true(other >= 0);
    assert_int_equal(write(other, "old\n", 4), 4);
    open_log(state);
    assert_int_equal(write_str("one\n"), 0);
    /* Someone else appends, and the log's offset is moved: still appended. */
    assert_int_equal(write(other, "mid\n", 4), 4);
    assert_int_equal(lseek(log_fd(), 0, SEEK_SET), 0);
    assert_int_equal(write_str("two\n"), 0);
    expect_content(logpath(state), "old\none\nmid\ntwo\n");
    close(other);
}

static void
test_dev_full(void **state)
{
    char err[256] = "";

    assert_int_equal(log_open("/dev/full", err, sizeof(err)), 0);
    assert_int_equal(write_str("x\n"), -ENOSPC);
    assert_int_equal(write_str("x\n"), -ENOSPC);
    assert_int_equal(log_open("/dev/null", err, sizeof(err)), 0);
    assert_int_equal(write_str("x\n"), 0);
}

static void
test_reopen_after_close(void **state)
{
    open_log(state);
    assert_int_equal(write_str("1\n"), 0);
    close(log_fd());
    expect_reopen("fd closed");
    assert_true(log_fd() >= 100);
    assert_int_equal(write_str("2\n"), 0);
    assert_int_equal(write_str("3\n"), 0);
    assert_null(last_why);                      /* reopened once only */
    expect_content(logpath(state), "1\n2\n3\n");
}

static void
test_reopen_after_dup2(void **state)
{
    const char *other_path = at(state, "script-file");
    struct stat st, ost;
    int other, old;

    other = open(other_path, O_RDWR | O_CREAT, 0600);
    assert_true(other >= 0);
    assert_int_equal(write(other, "mine\n", 5), 5);
    open_log(state);
    assert_int_equal(write_str("1\n"), 0);
    old = log_fd();
    assert_int_equal(dup2(other, old), old);

    expect_reopen("fd replaced");
    assert_int_equal(write_str("2\n"), 0);
    assert_int_not_equal(log_fd(), old);
    expect_content(other_path, "mine\n");
    /* The script's fd was left alone: still open, still its file. */
    assert_int_equal(fstat(old, &st), 0);
    assert_int_equal(fstat(other, &ost), 0);
    assert_int_equal(st.st_ino, ost.st_ino);

    expect_content(logpath(state), "1\n2\n");

    /* Nor does closing the log close it. */
    log_close();
    assert_int_equal(fstat(old, &st), 0);
    close(old);
    close(other);
}

/* dup3(O_CLOEXEC) keeps the fd's FD_CLOEXEC and the replacement has the
 * log's own flags: only the file's identity tells it apart. */
static void
test_reopen_after_dup3_same_flags(void **state)
{
    const char *other_path = at(state, "script-file");
    int other, old;

    open_log(state);
    other = open(other_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    assert_true(other >= 0);
    old = log_fd();
    assert_int_equal(dup3(other, old, O_CLOEXEC), old);
    assert_int_equal(fcntl(old, F_GETFD), FD_CLOEXEC);
    assert_int_equal(fcntl(old, F_GETFL) & (O_ACCMODE | O_APPEND), O_WRONLY | O_APPEND);

    expect_reopen("fd replaced");
    assert_int_equal(write_str("1\n"), 0);
    expect_content(other_path, "");
    expect_content(logpath(state), "1\n");
    close(old);
    close(other);
}

static void
test_reopen_rotated_and_closed(void **state)
{
    const char *rotated = at(state, "audit.log.1");

    open_log(state);
    assert_int_equal(write_str("1\n"), 0);
    assert_int_equal(rename(logpath(state), rotated), 0);
    close(log_fd());
    assert_int_equal(write_str("2\n"), 0);
    assert_string_equal(last_why, "fd closed");
    expect_content(rotated, "1\n");
    expect_content(logpath(state), "2\n");
}

/* logrotate renames the file and creates a new one: lines go on reaching the
 * renamed file for at most LOG_ROTATE_CHECK_NS, then the new one. */
static void
test_reopen_renamed(void **state)
{
    const char *rotated = at(state, "audit.log.1");
    struct timespec wait = { 0, 150 * 1000000L };
    struct stat st;
    int old;

    open_log(state);
    old = log_fd();
    assert_int_equal(write_str("1\n"), 0);
    assert_int_equal(rename(logpath(state), rotated), 0);
    nanosleep(&wait, NULL);
    expect_reopen("rotated");
    assert_int_equal(write_str("2\n"), 0);
    expect_content(rotated, "1\n");
    expect_content(logpath(state), "2\n");
    /* The renamed file's fd was ours, so it is closed, not leaked. */
    assert_true(log_fd() == old || fstat(old, &st) < 0);
}

/* A removed file is noticed at the next line, without waiting. */
static void
test_reopen_removed(void **state)
{
    open_log(state);
    assert_int_equal(write_str("1\n"), 0);
    assert_int_equal(unlink(logpath(state)), 0);
    expect_reopen("rotated");
    assert_int_equal(write_str("2\n"), 0);
    expect_content(logpath(state), "2\n");
}

static void
test_reopen_fails_then_recovers(void **state)
{
    const char *elsewhere = at(state, "elsewhere");
    char *got;

    open_log(state);
    close(log_fd());
    assert_int_equal(unlink(logpath(state)), 0);
    assert_int_equal(symlink(elsewhere, logpath(state)), 0);
    assert_int_equal(write_str("lost\n"), -ELOOP);
    assert_int_equal(access(elsewhere, F_OK), -1);      /* nothing created there */
    assert_int_equal(write_str("lost\n"), -ELOOP);

    assert_int_equal(unlink(logpath(state)), 0);
    assert_int_equal(write_str("3\n"), 0);
    got = slurp(logpath(state));
    assert_string_equal(got, "3\n");
    free(got);
}

static void
expect_open_error(const char *path, const char *want)
{
    char err[256] = "";

    assert_int_equal(log_open(path, err, sizeof(err)), -1);
    assert_string_equal(err, want);
    assert_int_equal(log_fd(), -1);
}

static void
test_refuse_fifo(void **state)
{
    const char *fifo = at(state, "fifo");
    int reader;

    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* Without a reader: refused at once rather than waiting for one. */
    expect_open_error(fifo, tu_fmt("%s: No such device or address", fifo));
    reader = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(reader >= 0);
    expect_open_error(fifo, tu_fmt("%s: not a regular file", fifo));
    close(reader);
}

static void
test_refuse_symlink(void **state)
{
    const char *target = at(state, "target"), *link = at(state, "link");
    int fd;

    fd = open(target, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(symlink(target, link), 0);
    expect_open_error(link, tu_fmt("%s: Too many levels of symbolic links", link));
    expect_content(target, "");

    link = at(state, "dangling");
    assert_int_equal(symlink(at(state, "new"), link), 0);
    expect_open_error(link, tu_fmt("%s: Too many levels of symbolic links", link));
    assert_int_equal(access(at(state, "new"), F_OK), -1);
}

static void
test_refuse_directory(void **state)
{
    const char *d = at(state, "");

    expect_open_error(d, tu_fmt("%s: Is a directory", d));
}

static void
test_not_open(void **state)
{
    assert_int_equal(log_fd(), -1);
    assert_int_equal(write_str("x\n"), -EBADF);
    log_close();
}

static void
test_after_fork(void **state)
{
    pid_t pid;
    int status;

    open_log(state);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(write_str("child\n") == 0 ? 0 : 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(write_str("parent\n"), 0);
    expect_content(logpath(state), "child\nparent\n");
}

static void
test_low_fd_limit(void **state)
{
    struct rlimit saved, low;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = 50;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    open_log(state);
    assert_true(log_fd() >= 0 && log_fd() < 50);
    assert_int_equal(write_str("x\n"), 0);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    expect_content(logpath(state), "x\n");
}

#define TREE_TEST(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        TREE_TEST(test_write_lines),
        TREE_TEST(test_append),
        TREE_TEST(test_dev_full),
        TREE_TEST(test_reopen_after_close),
        TREE_TEST(test_reopen_after_dup2),
        TREE_TEST(test_reopen_after_dup3_same_flags),
        TREE_TEST(test_reopen_rotated_and_closed),
        TREE_TEST(test_reopen_renamed),
        TREE_TEST(test_reopen_removed),
        TREE_TEST(test_reopen_fails_then_recovers),
        TREE_TEST(test_refuse_fifo),
        TREE_TEST(test_refuse_symlink),
        TREE_TEST(test_refuse_directory),
        TREE_TEST(test_not_open),
        TREE_TEST(test_after_fork),
        TREE_TEST(test_low_fd_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
