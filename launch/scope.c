/* Per-module scope: which packages have code on the Python stack when an
 * event fires. Every frame of the calling thread counts, innermost to
 * outermost, including frames waiting below a call into C (map(), a
 * callback, an exec() of a string). A frame belongs to the module its code
 * was read from: co_filename, which importlib sets to the file's path, under
 * the longest search-path directory it lies in ("dir/a/b.py" is a.b). A
 * module cannot rename its own code objects without code.__new__ (which the
 * default policy denies); compile() with a made-up file name only adds a
 * frame, the caller's stays. */
#include "launch/launch.h"

/* Calls fn with the module of each frame that lies under the search path. */
static void
walk_stack(void (*fn)(void *ctx, const char *module), void *ctx)
{
    PyFrameObject *f = PyThreadState_GetFrame(PyThreadState_Get()), *back;
    PyObject *enc;
    char module[1024];
    const char *file;

    while (f != NULL) {
        PyCodeObject *co = PyFrame_GetCode(f);

        enc = NULL;
        file = PyUnicode_AsUTF8(co->co_filename);
        if (file == NULL) {
            /* Undecodable bytes in a path: compare the bytes themselves. */
            PyErr_Clear();
            if ((enc = PyUnicode_EncodeFSDefault(co->co_filename)) != NULL)
                file = PyBytes_AS_STRING(enc);
            PyErr_Clear();
        }
        if (file != NULL && rules_module_of_file(spy.pol.rules, file, module, sizeof(module)) == 0)
            fn(ctx, module);
        Py_XDECREF(enc);
        Py_DECREF(co);
        back = PyFrame_GetBack(f);
        Py_DECREF(f);
        f = back;
    }
}

static void
mark(void *ctx, const char *module)
{
    rules_mark_module(spy.pol.rules, module, ctx);
}

void
scope_mark(unsigned char *present)
{
    walk_stack(mark, present);
}

/* mode learn: the top-level packages outside the standard library. */
#define LEARN_SCOPES 32

struct learn {
    struct jbuf *b;
    PyObject *stdlib;
    char seen[LEARN_SCOPES][128];
    int n;
};

static void
emit(void *ctx, const char *module)
{
    struct learn *l = ctx;
    size_t n = strcspn(module, ".");
    PyObject *top;
    int i, in_stdlib = 0;

    if (n >= sizeof(l->seen[0]))
        return;
    for (i = 0; i < l->n && i < LEARN_SCOPES; i++)
        if (strncmp(l->seen[i], module, n) == 0 && l->seen[i][n] == '\0')
            return;
    if (l->stdlib != NULL && (top = PyUnicode_DecodeFSDefaultAndSize(module, (Py_ssize_t)n))) {
        in_stdlib = PySet_Contains(l->stdlib, top) == 1;
        Py_DECREF(top);
    }
    PyErr_Clear();
    if (in_stdlib)
        return;
    if (l->n < LEARN_SCOPES) {
        memcpy(l->seen[l->n], module, n);
        l->seen[l->n][n] = '\0';
    }
    if (l->n++ > 0)
        jbuf_char(l->b, ',');
    jbuf_str_utf8(l->b, module, n);
}

void
scope_render(struct jbuf *b)
{
    /* Taken at the first event, before any script could replace it. */
    static PyObject *stdlib;
    struct learn l = { .b = b };

    if (stdlib == NULL && (stdlib = PySys_GetObject("stdlib_module_names")) != NULL)
        Py_INCREF(stdlib);
    l.stdlib = stdlib != NULL && PyAnySet_Check(stdlib) ? stdlib : NULL;
    jbuf_char(b, '[');
    walk_stack(emit, &l);
    jbuf_char(b, ']');
}
