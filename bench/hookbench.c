/* hookbench: the baselines for the event-loop benchmark (#3). It embeds the
 * same libpython as spython and runs a script under one of three audit hooks
 * written in C, so that the difference between runs is the cost of the hook:
 *   none   no hook at all (the cost of the loop itself)
 *   noop   a hook that returns at once (the cost of calling any hook)
 *   write  a hook that does one write(2) of a fixed LEN-byte line per event
 *          (the floor for any logger that writes before the action proceeds)
 * usage: hookbench none|noop|write LOG LEN SCRIPT [ARGS...] */
#include <Python.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_fd = -1;
static char *line;
static size_t line_len;

static int
noop_hook(const char *event, PyObject *args, void *userdata)
{
    return 0;
}

static int
write_hook(const char *event, PyObject *args, void *userdata)
{
    return write(log_fd, line, line_len) == (ssize_t)line_len ? 0 : -1;
}

int
main(int argc, char *argv[])
{
    Py_AuditHookFunction hook = NULL;
    PyConfig c;
    PyStatus st;

    if (argc < 5) {
        fprintf(stderr, "usage: hookbench none|noop|write LOG LEN SCRIPT [ARGS...]\n");
        return 2;
    }
    if (strcmp(argv[1], "noop") == 0) {
        hook = noop_hook;
    } else if (strcmp(argv[1], "write") == 0) {
        hook = write_hook;
        line_len = strtoul(argv[3], NULL, 10);
        if (line_len < 2 || (line = malloc(line_len)) == NULL)
            return 2;
        memset(line, 'x', line_len - 1);
        line[line_len - 1] = '\n';
        log_fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (log_fd < 0) {
            perror(argv[2]);
            return 2;
        }
    } else if (strcmp(argv[1], "none") != 0) {
        fprintf(stderr, "hookbench: unknown mode %s\n", argv[1]);
        return 2;
    }
    if (hook != NULL && PySys_AddAuditHook(hook, NULL) < 0)
        return 2;
    PyConfig_InitIsolatedConfig(&c);
    c.site_import = 0;
    c.write_bytecode = 0;
    st = PyConfig_SetBytesArgv(&c, argc - 4, argv + 4);
    if (!PyStatus_Exception(st))
        st = PyConfig_SetBytesString(&c, &c.run_filename, argv[4]);
    if (!PyStatus_Exception(st))
        st = Py_InitializeFromConfig(&c);
    PyConfig_Clear(&c);
    if (PyStatus_Exception(st))
        Py_ExitStatusException(st);
    return Py_RunMain();
}
