/* Transcripts of dynamic code. Every compile of source that is not a verified
 * file is logged whole with its SHA-256 and the frame that asked for it; an
 * exec() is logged with the transcript its code object came from.
 *
 * Linking exec to compile: the compile event fires before the code object
 * exists, so the link is made where the code object first appears:
 *  - compile() returns it: builtins.compile is wrapped, and the result is
 *    tagged (in a dict keyed by weak references: no tag outlives its code)
 *    with the transcript its compile event logged;
 *  - exec(str), eval(str) never hand the code to Python: their compile event
 *    and the exec event follow each other in the same thread with nothing in
 *    between, so the exec takes the "pending" origin the compile left, if the
 *    code's file name is the one that was compiled;
 *  - marshal.loads (cached bytecode) and code.__new__ leave a pending origin
 *    the same way: verified bytecode, or "marshal" / "constructed" code that
 *    no transcript covers.
 *  - frozen modules are unmarshalled from libpython itself, with no event:
 *    "<frozen NAME>" code run by the frozen importer is "frozen".
 * Any other event in that thread drops a pending origin, so a stale one is
 * never attached to an unrelated exec. An exec of code with no known origin
 * says so ("untracked"): a reader treats it as an anomaly.
 *
 * Known-benign generators (collections.namedtuple, dataclasses, ...) are
 * recognised by the generating frame (module, function, and a file inside a
 * search-path directory: signed code) and by the shape of what they generate;
 * a generator frame that does not produce its usual shape is not benign. */
#include <errno.h>
#include <string.h>

#include "audit/event.h"
#include "launch/launch.h"
#include "launch/transcript.h"

#define REQUESTER_DEPTH 32

/* ---- shapes of generated code ---------------------------------------- */

/* Length of the identifier at p (non-ASCII bytes count as letters: Python
 * identifiers may be Unicode). */
static size_t
ident_len(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c >= 0x80 || (i > 0 && c >= '0' && c <= '9')))
            break;
    }
    return i;
}

static int
starts(const char **p, size_t *n, const char *lit)
{
    size_t k = strlen(lit);

    if (*n < k || memcmp(*p, lit, k) != 0)
        return 0;
    *p += k;
    *n -= k;
    return 1;
}

/* "a, b, c" or "a," or "": collections.namedtuple's arg_list. */
static size_t
arg_list_len(const char *p, size_t n)
{
    size_t i = 0, k;

    if ((k = ident_len(p, n)) == 0)
        return 0;
    i = k;
    while (i + 2 < n && p[i] == ',' && p[i + 1] == ' ' && (k = ident_len(p + i + 2, n - i - 2)) > 0)
        i += 2 + k;
    if (i < n && p[i] == ',' && (i + 1 == n || p[i + 1] != ' '))
        i++;
    return i;
}

/* lambda _cls, ARGS: _tuple_new(_cls, (ARGS)) */
static int
namedtuple_shape(const char *p, size_t n)
{
    const char *args;
    size_t k;

    if (!starts(&p, &n, "lambda _cls, "))
        return 0;
    args = p;
    k = arg_list_len(p, n);
    p += k;
    n -= k;
    if (!starts(&p, &n, ": _tuple_new(_cls, (") || n != k + 2 ||
        memcmp(p, args, k) != 0 || memcmp(p + k, "))", 2) != 0)
        return 0;
    return 1;
}

/* One line of p (without its '\n'); advances past it. */
static int
next_line(const char **p, size_t *n, const char **line, size_t *len)
{
    const char *nl;

    if (*n == 0)
        return 0;
    *line = *p;
    nl = memchr(*p, '\n', *n);
    *len = nl ? (size_t)(nl - *p) : *n;
    *p += *len + (nl != NULL);
    *n -= *len + (nl != NULL);
    return 1;
}

/* dataclasses._create_fn:
 *   def __create_fn__(LOCALS):
 *    def NAME(ARGS):
 *     BODY (indented two more)
 *    return NAME */
static int
create_fn_shape(const char *p, size_t n)
{
    const char *l, *name, *q;
    size_t len, k, m, nl;

    if (!next_line(&p, &n, &l, &len) || !starts(&l, &len, "def __create_fn__(") ||
        len < 2 || memcmp(l + len - 2, "):", 2) != 0)
        return 0;
    for (q = l; q < l + len - 2; q += k) {
        if ((k = ident_len(q, (size_t)(l + len - 2 - q))) == 0) {
            if (!(q[0] == ',' && q + 1 < l + len - 2 && q[1] == ' '))
                return 0;
            k = 2;
        }
    }
    if (!next_line(&p, &n, &l, &len) || !starts(&l, &len, " def ") ||
        (k = ident_len(l, len)) == 0 || len < k + 1 || l[k] != '(' ||
        l[len - 1] != ':')
        return 0;
    name = l;
    /* The body, then " return NAME" as the last line. */
    for (nl = 0; next_line(&p, &n, &l, &len); nl++) {
        if (n == 0)
            break;
        if (len < 2 || l[0] != ' ' || l[1] != ' ')
            return 0;
    }
    m = strlen(" return ");
    return nl > 0 && len == m + k && memcmp(l, " return ", m) == 0 &&
           memcmp(l + m, name, k) == 0;
}

/* typing.ForwardRef: a type expression. No parentheses outside strings
 * means no calls; no ':' or '=' means no lambda or assignment. 3.11 turns
 * "*Ts" into "(*Ts,)[0]", which is accepted as that exact form. */
static int
type_expr_shape(const char *p, size_t n)
{
    size_t i;
    char quote;

    if (n > 5 && memcmp(p, "(*", 2) == 0 && memcmp(p + n - 5, ",)[0]", 5) == 0) {
        p += 2;
        n -= 7;
    }
    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\'' || c == '"') {
            for (quote = (char)c, i++; i < n && p[i] != quote; i++)
                if (p[i] == '\\' || p[i] == '\n')
                    return 0;
            if (i == n)
                return 0;
            continue;
        }
        if (!(c >= 0x80 || c == '_' || c == ' ' || c == '.' || c == ',' ||
              c == '[' || c == ']' || c == '|' || c == '-' ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* multiprocessing.managers.MakeProxyType, per exposed method:
 *   def NAME(self, /, *args, **kwds):
 *           return self._callmethod('NAME', args, kwds) */
static int
proxy_method_shape(const char *p, size_t n)
{
    const char *name;
    size_t k;

    if (!starts(&p, &n, "def ") || (k = ident_len(p, n)) == 0)
        return 0;
    name = p;
    p += k;
    n -= k;
    if (!starts(&p, &n, "(self, /, *args, **kwds):\n        return self._callmethod('") ||
        n != k + strlen("', args, kwds)") || memcmp(p, name, k) != 0)
        return 0;
    p += k;
    n -= k;
    return starts(&p, &n, "', args, kwds)");
}

/* A generator whose shape check is loose (a body of any statements) must
 * also be private: called from its own module only, as dataclasses calls
 * _create_fn, never by a script handing it a body. */
static const struct generator {
    const char *name;           /* logged as "benign":NAME */
    const char *module;         /* __name__ in the generating frame's globals */
    const char *function;       /* the generating code's co_qualname */
    const char *file;           /* its co_filename, below a search-path directory */
    int (*shape)(const char *p, size_t n);
    int private;                /* its caller must be in module too */
} generators[] = {
    { "collections.namedtuple", "collections", "namedtuple", "collections/__init__.py",
      namedtuple_shape, 0 },
    { "dataclasses", "dataclasses", "_create_fn", "dataclasses.py", create_fn_shape, 1 },
    { "typing.ForwardRef", "typing", "ForwardRef.__init__", "typing.py", type_expr_shape, 0 },
    { "multiprocessing.managers", "multiprocessing.managers", "MakeProxyType",
      "multiprocessing/managers.py", proxy_method_shape, 0 },
};

/* ---- frames ------------------------------------------------------------ */

static int
str_is(PyObject *o, const char *s)
{
    return o != NULL && PyUnicode_Check(o) && PyUnicode_CompareWithASCIIString(o, s) == 0;
}

/* The module name a frame runs in (borrowed from its globals, or NULL). */
static PyObject *
frame_module(PyFrameObject *f)
{
    PyObject *g = PyFrame_GetGlobals(f), *name = NULL;

    if (g != NULL && PyDict_Check(g))
        name = PyDict_GetItemString(g, "__name__");
    Py_XDECREF(g);      /* the frame keeps its globals alive */
    return name;
}

/* co_filename is SEARCHDIR/rel for one of the policy's search-path dirs. */
static int
in_search_path(PyObject *filename, const char *rel)
{
    const char *f;
    size_t i, n;

    if (!PyUnicode_Check(filename) || (f = PyUnicode_AsUTF8(filename)) == NULL) {
        PyErr_Clear();
        return 0;
    }
    for (i = 0; i < spy.pol.n_search_path; i++) {
        n = strlen(spy.pol.search_path[i]);
        if (strncmp(f, spy.pol.search_path[i], n) == 0 && f[n] == '/' &&
            strcmp(f + n + 1, rel) == 0)
            return 1;
    }
    return 0;
}

static const struct generator *
generator_of(PyFrameObject *f, const struct source *s)
{
    PyCodeObject *co = PyFrame_GetCode(f);
    PyFrameObject *back = PyFrame_GetBack(f);
    PyObject *module = frame_module(f);
    const struct generator *g, *found = NULL;

    for (g = generators; g < generators + sizeof(generators) / sizeof(generators[0]); g++) {
        if (str_is(module, g->module) && str_is(co->co_qualname, g->function) &&
            in_search_path(co->co_filename, g->file) && s->utf8 &&
            (!g->private || (back != NULL && str_is(frame_module(back), g->module))) &&
            g->shape(s->p, s->len)) {
            found = g;
            break;
        }
    }
    Py_XDECREF(back);
    Py_DECREF(co);
    return found;
}

/* {"file","line","function"} of a frame, or null. */
static void
render_frame(struct jbuf *b, PyFrameObject *f)
{
    PyCodeObject *co;

    if (f == NULL) {
        jbuf_lit(b, "null");
        return;
    }
    co = PyFrame_GetCode(f);
    jbuf_lit(b, "{\"file\":");
    event_render_str(b, co->co_filename, EVENT_STR_CAP);
    jbuf_lit(b, ",\"line\":");
    jbuf_i64(b, PyFrame_GetLineNumber(f));
    jbuf_lit(b, ",\"function\":");
    event_render_str(b, co->co_qualname, EVENT_STR_CAP);
    jbuf_char(b, '}');
    Py_DECREF(co);
}

/* The first frame below the generator's module: who asked for the class. */
static void
render_requester(struct jbuf *b, PyFrameObject *f, const struct generator *g)
{
    PyFrameObject *back;
    int i;

    Py_INCREF(f);
    for (i = 0; i < REQUESTER_DEPTH && f != NULL && str_is(frame_module(f), g->module); i++) {
        back = PyFrame_GetBack(f);
        Py_DECREF(f);
        f = back;
    }
    render_frame(b, i < REQUESTER_DEPTH ? f : NULL);
    Py_XDECREF(f);
}

/* ---- origins of code objects ---------------------------------------------- */

/* ("transcript", sha256) | ("verified", path, digest) | ("marshal",) | ("constructed",)
 * {id(code): (weakref(code), origin)}: keyed by identity. A weakref key
 * would hash and compare code by value, walking every constant of a module's
 * code on each exec, and would hand a tag to any equal code object. The
 * weakref's callback drops the entry while the code is being freed, before
 * its address can be reused. */
static PyObject *origins;

static struct {
    PyThreadState *ts;
    PyObject *origin;
    PyObject *filename;             /* the exec'd code's co_filename must equal it */
    unsigned long gen;
} pending;

static void
pending_clear(void)
{
    Py_CLEAR(pending.origin);
    Py_CLEAR(pending.filename);
    pending.ts = NULL;
}

/* Steals origin. */
static void
pending_set(PyObject *origin, PyObject *filename)
{
    pending_clear();
    if (origin == NULL) {
        PyErr_Clear();
        return;
    }
    pending.origin = origin;
    pending.filename = filename != NULL && PyUnicode_Check(filename) ? Py_NewRef(filename) : NULL;
    pending.ts = PyThreadState_Get();
    pending.gen++;
}

/* The callback of the weakref in origins[key]: key is bound as self. */
static PyObject *
forget(PyObject *key, PyObject *ref)
{
    PyObject *entry;

    /* Only our own entry: the address may already carry a newer one. */
    if (origins != NULL && (entry = PyDict_GetItemWithError(origins, key)) != NULL &&
        PyTuple_GET_ITEM(entry, 0) == ref)
        (void)PyDict_DelItem(origins, key);
    PyErr_Clear();
    Py_RETURN_NONE;
}

static PyMethodDef forget_def = { "forget", forget, METH_O, NULL };

static void
tag(PyObject *code, PyObject *origin)
{
    PyObject *key = PyLong_FromVoidPtr(code), *cb = NULL, *ref = NULL, *entry = NULL;

    if (key == NULL || (cb = PyCFunction_New(&forget_def, key)) == NULL ||
        (ref = PyWeakref_NewRef(code, cb)) == NULL ||
        (entry = PyTuple_Pack(2, ref, origin)) == NULL ||
        PyDict_SetItem(origins, key, entry) < 0)
        PyErr_Clear();
    Py_XDECREF(entry);
    Py_XDECREF(ref);
    Py_XDECREF(cb);
    Py_XDECREF(key);
}

/* Borrowed, or NULL. */
static PyObject *
origin_of(PyObject *code)
{
    PyObject *key, *entry;

    if (origins == NULL || PyDict_GET_SIZE(origins) == 0)
        return NULL;
    if ((key = PyLong_FromVoidPtr(code)) == NULL) {
        PyErr_Clear();
        return NULL;
    }
    entry = PyDict_GetItemWithError(origins, key);
    Py_DECREF(key);
    if (entry == NULL) {
        PyErr_Clear();
        return NULL;
    }
    return PyWeakref_GetObject(PyTuple_GET_ITEM(entry, 0)) == code ? PyTuple_GET_ITEM(entry, 1)
                                                                     : NULL;
}

static PyObject *real_compile;

static PyObject *
spy_compile(PyObject *self, PyObject *args, PyObject *kw)
{
    unsigned long gen = pending.gen;
    PyObject *code = PyObject_Call(real_compile, args, kw);

    /* The compile event this call raised left its origin pending. */
    if (pending.gen != gen && pending.origin != NULL &&
        pending.ts == PyThreadState_Get()) {
        if (code != NULL && PyCode_Check(code))
            tag(code, pending.origin);
        pending_clear();
    }
    return code;
}

/* os._exit() runs no atexit handler: its wrapper closes the log's chain
 * first, so that a chain without spython.exit really was cut short. */
static PyObject *real_exit;

static PyObject *
spy_exit(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "status", NULL };
    int status;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "i:_exit", kwlist, &status))
        return NULL;
    line_end(status & 0xff);
    return PyObject_Call(real_exit, args, kw);
}

static PyMethodDef exit_def = {
    "_exit", (PyCFunction)(void (*)(void))spy_exit, METH_VARARGS | METH_KEYWORDS, NULL,
};

static PyMethodDef compile_def = {
    "compile", (PyCFunction)(void (*)(void))spy_compile, METH_VARARGS | METH_KEYWORDS, NULL,
};

/* Replace NAME in module with fn, where it is still real. */
static int
wrap(const char *module, const char *name, PyObject *real, PyObject *fn)
{
    PyObject *m = PyImport_ImportModule(module), *cur;
    int rc = -1;

    if (m == NULL)
        return -1;
    if ((cur = PyObject_GetAttrString(m, name)) != NULL) {
        rc = cur == real ? PyObject_SetAttrString(m, name, fn) : 0;
        Py_DECREF(cur);
    }
    Py_DECREF(m);
    return rc;
}

static int
install_exit(void)
{
    PyObject *posix = PyImport_ImportModule("posix"), *fn = NULL, *modname = NULL;
    int rc = -1;

    if (posix == NULL)
        return -1;
    if ((real_exit = PyObject_GetAttrString(posix, "_exit")) == NULL ||
        (modname = PyUnicode_FromString("posix")) == NULL ||
        (fn = PyCFunction_NewEx(&exit_def, NULL, modname)) == NULL)
        goto done;
    rc = wrap("posix", "_exit", real_exit, fn) == 0 && wrap("os", "_exit", real_exit, fn) == 0
         ? 0 : -1;
done:
    Py_XDECREF(fn);
    Py_XDECREF(modname);
    Py_DECREF(posix);
    return rc;
}

int
transcript_install(void)
{
    static PyObject *doc;
    PyObject *builtins = PyEval_GetBuiltins(), *modname = NULL, *fn = NULL;
    int rc = -1;

    if (origins != NULL)
        return 0;
    real_compile = PyDict_GetItemString(builtins, "compile");
    if (real_compile == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "builtins.compile is missing");
        return -1;
    }
    Py_INCREF(real_compile);
    /* help(compile) stays what it was. */
    if ((doc = PyObject_GetAttrString(real_compile, "__doc__")) != NULL && PyUnicode_Check(doc))
        compile_def.ml_doc = PyUnicode_AsUTF8(doc);
    PyErr_Clear();
    if ((origins = PyDict_New()) == NULL ||
        (modname = PyUnicode_FromString("builtins")) == NULL ||
        (fn = PyCFunction_NewEx(&compile_def, NULL, modname)) == NULL)
        goto done;
    rc = PyDict_SetItemString(builtins, "compile", fn) == 0 ? install_exit() : -1;
done:
    Py_XDECREF(fn);
    Py_XDECREF(modname);
    return rc;
}

/* ---- the lines -------------------------------------------------------------- */

static int
finish(struct jbuf *b, enum decision d, const char *why, const struct spy_note *note)
{
    int rc;

    spy_note_render(b, note);
    rc = line_finish(b, d, why);

    jbuf_free(b);
    return rc;
}

static int
compile_unrendered(PyObject *filename, const char *type, enum decision d, const char *why,
                   const struct spy_note *note)
{
    char stackbuf[1024];
    struct jbuf b;

    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, "compile");
    jbuf_lit(&b, "{\"filename\":");
    event_render(&b, filename);
    jbuf_lit(&b, ",\"source\":null,\"source_type\":");
    jbuf_str_utf8(&b, type, strlen(type));
    jbuf_lit(&b, ",\"unrendered\":true}");
    return finish(&b, d, why, note);
}

/* A source too large to log whole is refused, whatever the mode: what runs
 * must be in the log. The line says what was refused. */
static int
compile_too_large(PyObject *filename, const struct source *s, PyFrameObject *caller,
                  const struct spy_note *note)
{
    char stackbuf[1024];
    struct jbuf b;
    int rc;

    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, "compile");
    jbuf_lit(&b, "{\"filename\":");
    event_render(&b, filename);
    jbuf_lit(&b, ",\"source_type\":");
    jbuf_str_utf8(&b, s->type, strlen(s->type));
    jbuf_lit(&b, ",\"len\":");
    jbuf_u64(&b, s->len);
    jbuf_lit(&b, ",\"sha256\":\"");
    jbuf_lit(&b, s->sha256);
    jbuf_lit(&b, "\",\"caller\":");
    render_frame(&b, caller);
    jbuf_lit(&b, ",\"source\":null}");
    rc = finish(&b, DECIDE_DENY, "source too large to log (more than 256 MiB)", note);
    return rc < 0 ? rc : -EFBIG;
}

int
transcript_compile(PyObject *args, enum decision d, const char *why,
                   const struct spy_note *note)
{
    PyObject *src = PyTuple_GET_ITEM(args, 0), *filename = PyTuple_GET_ITEM(args, 1);
    PyFrameObject *caller = PyEval_GetFrame();      /* borrowed */
    const struct generator *g = NULL;
    const char *vpath, *vdigest = NULL;
    char stackbuf[4096];
    struct source s;
    struct jbuf b;
    size_t off = 0, end, n, i;
    int rc = 0;

    if ((vpath = verified_lookup(src, &vdigest)) != NULL) {
        jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
        line_begin(&b, "compile");
        event_render_compile(&b, args, vpath, vdigest);
        rc = finish(&b, d, why, note);
        pending_set(Py_BuildValue("(sss)", "verified", vpath, vdigest), filename);
        return rc;
    }
    if (source_get(&s, src) < 0)
        return compile_unrendered(filename, s.type, d, why, note);
    if (s.len > TRANSCRIPT_MAX_BYTES) {
        rc = compile_too_large(filename, &s, caller, note);
        source_release(&s);
        return rc;
    }
    if (caller != NULL)
        g = generator_of(caller, &s);
    n = source_nparts(&s);
    for (i = 1; i <= n && rc == 0; i++, off = end) {
        end = source_part_end(&s, off);
        jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
        line_begin(&b, "compile");
        jbuf_lit(&b, "{\"filename\":");
        event_render(&b, filename);
        jbuf_lit(&b, ",\"source_type\":");
        jbuf_str_utf8(&b, s.type, strlen(s.type));
        jbuf_lit(&b, ",\"len\":");
        jbuf_u64(&b, s.len);
        jbuf_lit(&b, ",\"sha256\":\"");
        jbuf_lit(&b, s.sha256);
        jbuf_lit(&b, "\",\"caller\":");
        render_frame(&b, caller);
        if (g != NULL) {
            jbuf_lit(&b, ",\"benign\":\"");
            jbuf_lit(&b, g->name);
            jbuf_lit(&b, "\",\"for\":");
            render_requester(&b, caller, g);
        }
        if (n > 1) {
            jbuf_lit(&b, ",\"part\":");
            jbuf_u64(&b, i);
            jbuf_lit(&b, ",\"parts\":");
            jbuf_u64(&b, n);
        }
        source_render(&b, &s, off, end);
        jbuf_char(&b, '}');
        rc = finish(&b, d, why, note);
    }
    pending_set(Py_BuildValue("(ss)", "transcript", s.sha256), filename);
    source_release(&s);
    return rc;
}

static void
render_origin(struct jbuf *b, PyObject *origin)
{
    const char *kind = "untracked";

    if (origin != NULL && PyTuple_Check(origin) && PyTuple_GET_SIZE(origin) >= 1)
        kind = PyUnicode_AsUTF8(PyTuple_GET_ITEM(origin, 0));
    if (kind == NULL) {
        PyErr_Clear();
        kind = "untracked";
    }
    jbuf_lit(b, ",\"origin\":");
    jbuf_str_utf8(b, kind, strlen(kind));
    if (strcmp(kind, "transcript") == 0) {
        jbuf_lit(b, ",\"transcript\":");
        event_render(b, PyTuple_GET_ITEM(origin, 1));
    } else if (strcmp(kind, "verified") == 0) {
        jbuf_lit(b, ",\"verified\":");
        event_render(b, PyTuple_GET_ITEM(origin, 1));
        jbuf_lit(b, ",\"digest\":");
        event_render(b, PyTuple_GET_ITEM(origin, 2));
    }
}

/* The frozen importer running a module frozen into libpython. */
static int
is_frozen_module(PyCodeObject *co, PyFrameObject *caller)
{
    static PyObject *frozen_prefix;
    PyCodeObject *cc;
    int yes;

    if (frozen_prefix == NULL && (frozen_prefix = PyUnicode_FromString("<frozen ")) == NULL)
        return 0;
    if (caller == NULL || !PyUnicode_Check(co->co_filename) ||
        PyUnicode_Tailmatch(co->co_filename, frozen_prefix, 0, PY_SSIZE_T_MAX, -1) != 1)
        return 0;
    cc = PyFrame_GetCode(caller);
    yes = str_is(cc->co_qualname, "FrozenImporter.exec_module") &&
          str_is(cc->co_filename, "<frozen importlib._bootstrap>");
    Py_DECREF(cc);
    return yes;
}

int
transcript_exec(PyObject *args, enum decision d, const char *why, const struct spy_note *note)
{
    PyCodeObject *co = (PyCodeObject *)PyTuple_GET_ITEM(args, 0);
    PyFrameObject *caller = PyEval_GetFrame();
    PyObject *origin = origin_of((PyObject *)co);
    char stackbuf[1024];
    struct jbuf b;

    if (origin == NULL && pending.origin != NULL && pending.ts == PyThreadState_Get() &&
        (pending.filename == NULL ||
         (PyUnicode_Check(co->co_filename) &&
          PyUnicode_Compare(co->co_filename, pending.filename) == 0)))
        origin = pending.origin;
    Py_XINCREF(origin);
    pending_clear();
    PyErr_Clear();
    if (origin == NULL && is_frozen_module(co, caller))
        origin = Py_BuildValue("(s)", "frozen");
    PyErr_Clear();

    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, "exec");
    jbuf_char(&b, '[');
    event_render_code_open(&b, co);
    render_origin(&b, origin);
    jbuf_lit(&b, ",\"caller\":");
    render_frame(&b, caller);
    jbuf_char(&b, '}');
    for (Py_ssize_t i = 1; i < PyTuple_GET_SIZE(args); i++) {
        jbuf_char(&b, ',');
        event_render(&b, PyTuple_GET_ITEM(args, i));
    }
    jbuf_char(&b, ']');
    Py_XDECREF(origin);
    return finish(&b, d, why, note);
}

void
transcript_note_event(const char *event, const char *vpath, const char *vdigest)
{
    if (is_event(event, "marshal.loads")) {
        pending_set(vpath != NULL ? Py_BuildValue("(sss)", "verified", vpath, vdigest)
                                  : Py_BuildValue("(s)", "marshal"), NULL);
    } else if (is_event(event, "code.__new__")) {
        pending_set(Py_BuildValue("(s)", "constructed"), NULL);
    } else if (pending.origin != NULL && pending.ts == PyThreadState_Get()) {
        pending_clear();
    }
}
