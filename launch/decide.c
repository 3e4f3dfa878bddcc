/* What the audit hook decides for an event: the rules spython always applies,
 * then the policy's. Returns the decision and, when not allow, a reason. */
#include <string.h>

#include "launch/launch.h"

/* Ways to run code that did not come from a verified file. spython never raises
 * these itself; anything that does is refused. */
static const char *const never_allowed[] = {
    "cpython.run_command",
    "cpython.run_module",
    "cpython.run_stdin",
    "cpython.run_interactivemode",
    "cpython.run_startup",
    "cpython.run_file",
    "setopencodehook",
};

static int
is_path_like(PyObject *o, const char **s, PyObject **keep)
{
    *keep = NULL;
    if (PyUnicode_Check(o)) {
        if (!PyUnicode_FSConverter(o, keep))
            return 0;
    } else if (PyBytes_Check(o)) {
        *keep = Py_NewRef(o);
    } else {
        return 0;
    }
    *s = PyBytes_AS_STRING(*keep);
    return 1;
}

/* ctypes.dlopen(name): only a path can be verified; None is the program itself. */
static enum decision
check_dlopen(PyObject *args, const char **why, int *logged)
{
    PyObject *name = PyTuple_GET_SIZE(args) > 0 ? PyTuple_GET_ITEM(args, 0) : Py_None;
    PyObject *keep = NULL;
    const char *path;
    struct code_file cf = { 0 };
    struct verify_info info = { 0 };
    enum verdict v;
    enum decision d;
    int err = 0;

    if (name == Py_None)
        return DECIDE_ALLOW;
    if (!is_path_like(name, &path, &keep)) {
        PyErr_Clear();
        *why = "library name is not a path";
        return DECIDE_DENY;
    }
    if (strchr(path, '/') == NULL) {
        Py_DECREF(keep);
        *why = "library given by name, not by path: it cannot be verified";
        return DECIDE_DENY;
    }
    v = code_file_read(&spy.vcfg, path, &cf, &info, &err);
    d = log_verdict("library", path, v, &info, err, logged);
    code_file_free(&cf);
    Py_DECREF(keep);
    if (d != DECIDE_ALLOW)
        *why = verdict_reason(v);
    return d;
}

enum decision
spy_decide(const char *event, PyObject *args, const char **why, int *logged)
{
    size_t i;

    for (i = 0; i < sizeof(never_allowed) / sizeof(never_allowed[0]); i++) {
        if (strcmp(event, never_allowed[i]) == 0) {
            *why = "running code that is not a verified file is disabled";
            return DECIDE_DENY;
        }
    }
    for (i = 0; i < spy.pol.n_deny_events; i++) {
        if (strcmp(event, spy.pol.deny_events[i]) == 0) {
            *why = "denied by policy";
            return DECIDE_DENY;
        }
    }
    if (!PyTuple_Check(args))
        return DECIDE_ALLOW;
    /* import with a file name is CPython about to dlopen() an extension. */
    if (strcmp(event, "import") == 0 && PyTuple_GET_SIZE(args) >= 2 &&
        PyTuple_GET_ITEM(args, 1) != Py_None) {
        PyObject *file = PyTuple_GET_ITEM(args, 1);
        const char *path = PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;
        if (path != NULL && ext_is_loading(path))
            return DECIDE_ALLOW;
        if (path == NULL && PyUnicode_Check(file))
            PyErr_Clear();          /* a lone surrogate: certainly not our memfd */
        *why = "extension module not loaded through the verifying loader";
        return DECIDE_DENY;
    }
    if (strcmp(event, "ctypes.dlopen") == 0)
        return check_dlopen(args, why, logged);
    return DECIDE_ALLOW;
}
