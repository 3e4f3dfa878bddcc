/* Interpreter set-up and the run of the verified main script. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "launch/launch.h"

static int
set_search_path(PyConfig *c)
{
    c->module_search_paths_set = 1;
    for (size_t i = 0; i < spy.pol.n_search_path; i++) {
        wchar_t *w = Py_DecodeLocale(spy.pol.search_path[i], NULL);
        if (w == NULL)
            return -1;
        PyStatus st = PyWideStringList_Append(&c->module_search_paths, w);
        PyMem_RawFree(w);
        if (PyStatus_Exception(st))
            return -1;
    }
    return 0;
}

/* python3 -I, minus everything that could bring in code or settings from
 * outside the policy: no site-packages scan, no bytecode writing, argv as-is. */
static int
configure(PyConfig *c, int argc, char *argv[])
{
    PyStatus st;

    PyConfig_InitIsolatedConfig(c);
    c->install_signal_handlers = 1;     /* Ctrl-C raises KeyboardInterrupt */
    c->configure_c_stdio = 1;
    c->parse_argv = 0;                  /* script arguments pass through untouched */
    c->site_import = 0;                 /* site would add directories the policy did not name */
    c->write_bytecode = 0;
    c->buffered_stdio = (spy.flags & ACCEPT_u) == 0;   /* -u in accept-flags, as python3 -u */
    c->user_site_directory = 0;
    c->safe_path = 1;
    c->pathconfig_warnings = 0;
    st = PyConfig_SetBytesString(c, &c->program_name, argv[0]);
    if (!PyStatus_Exception(st))
        st = PyConfig_SetBytesArgv(c, argc - 1, argv + 1);
    if (PyStatus_Exception(st))
        return -1;
    return set_search_path(c);
}

static int
call_site(PyObject *site, const char *fn, const char *arg)
{
    PyObject *r = arg ? PyObject_CallMethod(site, fn, "s", arg)
                      : PyObject_CallMethod(site, fn, NULL);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* What site.main() gives python3 -I that scripts rely on (exit(), quit(),
 * help(), sitecustomize) and .pth files, but only in the policy's directories:
 * each .pth is read through io.open_code, so an unsigned one is refused. */
static int
setup_site(void)
{
    PyObject *site = PyImport_ImportModule("site");
    int rc = -1;

    if (site == NULL)
        return -1;
    if (call_site(site, "setquit", NULL) < 0 || call_site(site, "setcopyright", NULL) < 0 ||
        call_site(site, "sethelper", NULL) < 0)
        goto done;
    for (size_t i = 0; i < spy.pol.n_search_path; i++) {
        if (call_site(site, "addsitedir", spy.pol.search_path[i]) < 0)
            goto done;
    }
    rc = call_site(site, "execsitecustomize", NULL);
done:
    Py_DECREF(site);
    return rc;
}

static int
start_interpreter(int argc, char *argv[])
{
    PyPreConfig pre;
    PyConfig c;
    PyStatus st;

    PyPreConfig_InitPythonConfig(&pre);
    pre.isolated = 1;
    pre.use_environment = 0;
    pre.parse_argv = 0;
    st = Py_PreInitialize(&pre);
    if (PyStatus_Exception(st))
        return -1;
    /* Hooks first: every event and every code file from the first import on. */
    if (PySys_AddAuditHook(spy_audit_hook, NULL) < 0 ||
        PyFile_SetOpenCodeHook(spy_open_code, NULL) < 0)
        return -1;
    if (configure(&c, argc, argv) < 0) {
        PyConfig_Clear(&c);
        return -1;
    }
    st = Py_InitializeFromConfig(&c);
    PyConfig_Clear(&c);
    if (PyStatus_Exception(st)) {
        fprintf(stderr, "spython: interpreter start failed: %s\n",
                st.err_msg ? st.err_msg : "unknown error");
        return -1;
    }
    /* -S (accept-flags): python3 -S has none of setup_site() either. */
    if (spy_patch_loaders() < 0 || ((spy.flags & ACCEPT_S) == 0 && setup_site() < 0)) {
        PyErr_Print();
        return -1;
    }
    return 0;
}

static PyObject *
compile_and_run(const char *script, PyObject *src)
{
    PyObject *fname, *main, *globals, *code = NULL, *res = NULL;

    fname = PyUnicode_DecodeFSDefault(script);
    main = PyImport_AddModule("__main__");            /* borrowed */
    if (fname == NULL || main == NULL)
        goto done;
    globals = PyModule_GetDict(main);                 /* borrowed */
    if (PyDict_SetItemString(globals, "__file__", fname) < 0 ||
        PyDict_SetItemString(globals, "__cached__", Py_None) < 0)
        goto done;
    /* Py_CompileStringObject raises the "compile" event (logged as this
     * verified file) as compile() would, without what compile() costs on its
     * first call: its check for an AST argument creates every AST node type,
     * about 2 ms. It takes a C string, so NUL is refused as compile() does. */
    if (memchr(PyBytes_AS_STRING(src), '\0', (size_t)PyBytes_GET_SIZE(src)) != NULL) {
        PyErr_SetString(PyExc_ValueError, "source code string cannot contain null bytes");
        goto done;
    }
    code = Py_CompileStringObject(PyBytes_AS_STRING(src), fname, Py_file_input, NULL, -1);
    if (code != NULL)
        res = PyEval_EvalCode(code, globals, globals);
done:
    Py_XDECREF(code);
    Py_XDECREF(fname);
    return res;
}

int
spy_run(int argc, char *argv[], const char *script, struct code_file *cf,
        const char *digest)
{
    PyObject *src, *res;
    int status = 0, sigint = 0;

    if (start_interpreter(argc, argv) < 0) {
        code_file_free(cf);
        fprintf(stderr, "spython: %s: refused: the interpreter could not be set up\n", script);
        return 2;
    }
    src = PyBytes_FromStringAndSize((const char *)cf->data, (Py_ssize_t)cf->len);
    code_file_free(cf);
    if (src == NULL) {
        PyErr_Print();
        return 2;
    }
    if (digest != NULL)
        verified_remember(src, script, digest);
    res = compile_and_run(script, src);
    Py_DECREF(src);
    if (res == NULL) {
        /* SystemExit ends the process here with the script's status, as in python3. */
        sigint = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
        PyErr_Print();
        status = 1;
    }
    Py_XDECREF(res);
    verified_forget();
    if (Py_FinalizeEx() < 0 && status == 0)
        status = 120;
    if (sigint) {
        /* Like python3: die of SIGINT so the shell sees an interrupted child. */
        signal(SIGINT, SIG_DFL);
        kill(getpid(), SIGINT);
        status = 130;
    }
    return status;
}
