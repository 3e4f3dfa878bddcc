/* What the audit hook decides for an event: the rules spython always applies,
 * then the policy's. The policy's rules (policy/rules.c) see plain C values,
 * read here out of the event's arguments by the layout the rules' event
 * table names, and only when a rule or an allow-list will look at them. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "launch/launch.h"
#include "launch/payload.h"

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

/* The rules no policy can change. */
static enum decision
fixed_decision(const char *event, PyObject *args, const char **why, int *logged)
{
    size_t i;

    for (i = 0; i < sizeof(never_allowed) / sizeof(never_allowed[0]); i++) {
        if (is_event(event, never_allowed[i])) {
            *why = "running code that is not a verified file is disabled";
            return DECIDE_DENY;
        }
    }
    if (!PyTuple_Check(args))
        return DECIDE_ALLOW;
    /* import with a file name is CPython about to dlopen() an extension. */
    if (is_event(event, "import") && PyTuple_GET_SIZE(args) >= 2 &&
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
    if (is_event(event, "ctypes.dlopen"))
        return check_dlopen(args, why, logged);
    return DECIDE_ALLOW;
}

/* ---- reading values out of event arguments ---- */

static PyObject *
arg_at(PyObject *args, int i)
{
    return i >= 0 && i < PyTuple_GET_SIZE(args) ? PyTuple_GET_ITEM(args, i) : NULL;
}

/* str or bytes as a C string without NUL inside; anything else (a path
 * object could answer __fspath__ differently when the call itself asks) is
 * unreadable. A str keeps its file-system encoding, as os functions use it. */
static const char *
c_string(struct spy_note *n, PyObject *o)
{
    PyObject *b = NULL;

    if (o != NULL && PyUnicode_Check(o)) {
        if (n->n_keep == (int)(sizeof(n->keep) / sizeof(n->keep[0])) ||
            !PyUnicode_FSConverter(o, &b)) {
            PyErr_Clear();
            return NULL;
        }
        n->keep[n->n_keep++] = b;
        o = b;
    }
    if (o == NULL || !PyBytes_Check(o) ||
        strlen(PyBytes_AS_STRING(o)) != (size_t)PyBytes_GET_SIZE(o))
        return NULL;
    return PyBytes_AS_STRING(o);
}

/* An int argument (a dir_fd or an fd); -1 for None or a missing one. */
static int
int_arg(PyObject *o, long *out)
{
    int overflow = 0;

    *out = -1;
    if (o == NULL || o == Py_None)
        return 0;
    if (!PyLong_Check(o))
        return -1;
    *out = PyLong_AsLongAndOverflow(o, &overflow);
    return overflow == 0 && !(*out == -1 && PyErr_Occurred()) ? 0 : -1;
}

static int
fd_path(long fd, char *out, size_t outlen)
{
    char link[32];
    ssize_t n;

    if (fd < 0 || fd > INT32_MAX)
        return -1;
    snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
    n = readlink(link, out, outlen - 1);
    if (n <= 0 || out[0] != '/')
        return -1;
    out[n] = '\0';
    return 0;
}

/* A path as the call will see it: absolute (relative to dir_fd or the
 * working directory), normalized, its directories resolved; with follow, a
 * final symlink resolved too. Residual: a directory swapped between this
 * check and the call itself goes unseen (as with any path check). */
static int
resolve(const char *p, long dirfd, int follow, char out[PATH_MAX])
{
    char base[PATH_MAX], abs[PATH_MAX], *slash;
    size_t n;

    if (p[0] != '/') {
        if (dirfd >= 0 ? fd_path(dirfd, base, sizeof(base)) < 0
                       : getcwd(base, sizeof(base)) == NULL)
            return -1;
    }
    if (rules_normalize_path(p[0] == '/' ? NULL : base, p, abs, sizeof(abs)) < 0)
        return -1;
    if (follow && realpath(abs, out) != NULL)
        return 0;
    slash = strrchr(abs, '/');
    if (slash == abs) {
        memcpy(out, abs, strlen(abs) + 1);
        return 0;
    }
    *slash = '\0';
    if (realpath(abs, out) == NULL) {
        *slash = '/';                   /* no such directory: the call will fail */
        memcpy(out, abs, strlen(abs) + 1);
        return 0;
    }
    n = strlen(out);
    if (n + 1 + strlen(slash + 1) + 1 > PATH_MAX)
        return -1;
    snprintf(out + n, PATH_MAX - n, "%s%s", n > 1 ? "/" : "", slash + 1);
    return 0;
}

/* One path argument into n->facts.path[i]; -1 if unreadable. */
static int
read_one_path(struct spy_note *n, PyObject *o, PyObject *dirfd_o, int follow, int i)
{
    const char *s;
    long fd, dirfd;

    if (o != NULL && PyLong_Check(o)) {
        if (int_arg(o, &fd) < 0 || fd_path(fd, n->buf[i], sizeof(n->buf[i])) < 0)
            goto bad;
    } else if ((s = c_string(n, o)) == NULL || int_arg(dirfd_o, &dirfd) < 0 ||
               resolve(s, dirfd, follow, n->buf[i]) < 0) {
        goto bad;
    }
    n->facts.path[n->facts.n_path++] = n->buf[i];
    return 0;
bad:
    PyErr_Clear();
    return -1;
}

/* Which reads are worth making for this event. */
struct wants {
    unsigned keys;          /* rules test these */
    unsigned char lists;    /* allow-lists of these classes apply */
    int all;                /* mode learn: everything */
};

static int
want(const struct wants *w, enum cond_key k)
{
    return w->all || (w->keys & (1u << k));
}

static void
read_open(struct spy_note *n, const struct event_spec *sp, PyObject *args,
          const struct wants *w)
{
    PyObject *path = arg_at(args, 0);
    const char *s;
    long flags;
    struct facts *f = &n->facts;

    if (path != NULL && PyLong_Check(path))
        return;                         /* open(fd): no file is opened */
    f->st[CK_ACCESS] = FACT_KNOWN;
    if (int_arg(arg_at(args, 2), &flags) < 0 || flags == -1) {
        PyErr_Clear();
        f->st[CK_ACCESS] = FACT_UNKNOWN;
    }
    f->write = f->st[CK_ACCESS] == FACT_UNKNOWN ||
               (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND));
    if (f->write)
        f->classes |= EC_BIT(EC_WRITE);
    if (!want(w, CK_PATH) && !(f->write && (w->lists & EC_BIT(EC_WRITE))))
        return;
    f->st[CK_PATH] = FACT_UNKNOWN;
    /* os.open (mode None) leaves its dir_fd out of the event: where a
     * relative path leads is not known. open() has no dir_fd. */
    if (arg_at(args, 1) == Py_None && (s = c_string(n, path)) != NULL && s[0] != '/')
        return;
    if (read_one_path(n, path, NULL, sp->follow & 1, 0) == 0)
        f->st[CK_PATH] = FACT_KNOWN;
}

static void
read_paths(struct spy_note *n, const struct event_spec *sp, PyObject *args,
           const struct wants *w)
{
    struct facts *f = &n->facts;
    int i, bad = 0;

    f->classes |= sp->classes;
    if (!want(w, CK_PATH) && !(w->lists & EC_BIT(EC_WRITE)))
        return;
    for (i = 0; i < 2 && sp->path[i] >= 0; i++)
        bad |= read_one_path(n, arg_at(args, sp->path[i]), arg_at(args, sp->dirfd[i]),
                             (sp->follow >> i) & 1, i) < 0;
    f->st[CK_PATH] = bad ? FACT_UNKNOWN : FACT_KNOWN;
}

/* A host name or address given as str or bytes into a sock_fact. */
static int
sock_host(struct spy_note *n, PyObject *host, unsigned port)
{
    const char *h;
    Py_ssize_t len;

    if (host != NULL && PyUnicode_Check(host)) {
        if ((h = PyUnicode_AsUTF8AndSize(host, &len)) == NULL) {
            PyErr_Clear();
            return -1;
        }
        if (strlen(h) != (size_t)len)
            return -1;
    } else if ((h = c_string(n, host)) == NULL) {
        return -1;
    }
    return rules_sock_from_host(h, port, &n->facts.addr, n->host, sizeof(n->host));
}

static void
read_sockaddr(struct spy_note *n, const struct event_spec *sp, PyObject *args,
              const struct wants *w)
{
    PyObject *a = arg_at(args, 1);
    struct facts *f = &n->facts;
    long port;
    const char *s;

    if (a == NULL || a == Py_None)
        return;                         /* sendmsg on a connected socket */
    f->classes |= sp->classes & (EC_BIT(EC_CONNECT) | EC_BIT(EC_BIND));
    f->st[CK_ADDR] = FACT_UNKNOWN;
    if (PyTuple_Check(a) && PyTuple_GET_SIZE(a) >= 2) {
        if (int_arg(PyTuple_GET_ITEM(a, 1), &port) < 0 || port < 0 || port > 65535 ||
            sock_host(n, PyTuple_GET_ITEM(a, 0), (unsigned)port) < 0) {
            PyErr_Clear();
            return;
        }
        f->st[CK_ADDR] = FACT_KNOWN;
        if (f->addr.kind == SK_NAME) {
            /* The socket module resolves it without a getaddrinfo event. */
            f->classes |= EC_BIT(EC_LOOKUP);
            f->st[CK_HOST] = FACT_KNOWN;
            f->host = f->addr.name;
        }
        return;
    }
    if ((PyBytes_Check(a) || PyUnicode_Check(a)) && PyObject_Length(a) > 0) {
        if (PyBytes_Check(a) && PyBytes_AS_STRING(a)[0] == '\0') {
            /* Linux abstract name: printable ones only can be named in a policy. */
            if (PyBytes_GET_SIZE(a) >= (Py_ssize_t)sizeof(n->host))
                return;
            memcpy(n->host, PyBytes_AS_STRING(a) + 1, (size_t)PyBytes_GET_SIZE(a) - 1);
            n->host[PyBytes_GET_SIZE(a) - 1] = '\0';
            if (strlen(n->host) + 1 != (size_t)PyBytes_GET_SIZE(a) || !rules_word_ok(n->host))
                return;
            f->addr.kind = SK_ABSTRACT;
            f->addr.name = n->host;
        } else if ((s = c_string(n, a)) != NULL && resolve(s, -1, 0, n->buf[0]) == 0) {
            f->addr.kind = SK_UNIX;
            f->addr.name = n->buf[0];
        } else {
            PyErr_Clear();
            return;
        }
        f->st[CK_ADDR] = FACT_KNOWN;
    }
}

/* getaddrinfo, gethostbyname: a numeric host is no lookup. */
static void
read_host(struct spy_note *n, const struct event_spec *sp, PyObject *args,
          const struct wants *w)
{
    PyObject *h = arg_at(args, 0);
    struct facts *f = &n->facts;

    if (h == NULL || h == Py_None)
        return;
    if (sock_host(n, h, 0) == 0 && f->addr.kind != SK_NAME)
        return;
    f->classes |= EC_BIT(EC_LOOKUP);
    f->st[CK_HOST] = f->addr.kind == SK_NAME && f->addr.name != NULL ? FACT_KNOWN
                                                                      : FACT_UNKNOWN;
    f->host = f->addr.name;
    memset(&f->addr, 0, sizeof(f->addr));
}

/* gethostbyaddr, getnameinfo: the address asked about, in its usual spelling. */
static void
read_reverse(struct spy_note *n, const struct event_spec *sp, PyObject *args,
             const struct wants *w)
{
    PyObject *h = arg_at(args, 0);
    struct facts *f = &n->facts;
    struct sock_fact s;
    char name[sizeof(n->host)];

    if (sp->layout == AL_NAMEINFO)
        h = h != NULL && PyTuple_Check(h) ? arg_at(h, 0) : NULL;
    f->classes |= EC_BIT(EC_LOOKUP);
    f->st[CK_HOST] = FACT_UNKNOWN;
    if (sock_host(n, h, 0) < 0) {
        PyErr_Clear();
        return;
    }
    s = f->addr;
    memset(&f->addr, 0, sizeof(f->addr));
    if (s.kind == SK_NAME) {
        f->host = s.name;
    } else if (inet_ntop(s.kind == SK_INET4 ? AF_INET : AF_INET6, s.ip, name, sizeof(name))) {
        memcpy(n->host, name, strlen(name) + 1);
        f->host = n->host;
    } else {
        return;
    }
    f->st[CK_HOST] = FACT_KNOWN;
}

/* Popen, exec, posix_spawn: the executable, made absolute when it names a
 * directory (relative to Popen's cwd); a bare name stays bare, since PATH,
 * which the caller controls, will pick the file. */
static void
read_exe(struct spy_note *n, const struct event_spec *sp, PyObject *args,
         const struct wants *w)
{
    PyObject *o = arg_at(args, sp->path[0]);
    struct facts *f = &n->facts;
    const char *s, *cwd = NULL;
    char base[PATH_MAX];
    long fd;

    f->classes |= EC_BIT(EC_EXEC);
    f->st[CK_EXE] = FACT_UNKNOWN;
    if (sp->layout == AL_SHELL) {
        f->exe = "/bin/sh";
    } else if (o != NULL && PyLong_Check(o)) {
        if (int_arg(o, &fd) < 0 || fd_path(fd, n->buf[0], sizeof(n->buf[0])) < 0)
            goto bad;
        f->exe = n->buf[0];
    } else if ((s = c_string(n, o)) == NULL) {
        goto bad;
    } else if (strchr(s, '/') == NULL) {
        f->exe = s;
    } else {
        if (s[0] != '/') {
            PyObject *c = arg_at(args, sp->path[1]);
            if (c != NULL && c != Py_None && (cwd = c_string(n, c)) == NULL)
                goto bad;
            if (getcwd(base, sizeof(base)) == NULL ||
                (cwd != NULL && rules_normalize_path(base, cwd, base, sizeof(base)) < 0))
                goto bad;
        }
        if (rules_normalize_path(s[0] == '/' ? NULL : base, s, n->buf[0],
                                 sizeof(n->buf[0])) < 0)
            goto bad;
        f->exe = n->buf[0];
    }
    f->st[CK_EXE] = FACT_KNOWN;
    return;
bad:
    PyErr_Clear();
}

static void
read_module(struct spy_note *n, const struct event_spec *sp, PyObject *args,
            const struct wants *w)
{
    PyObject *o = arg_at(args, 0);
    struct facts *f = &n->facts;

    f->st[CK_MODULE] = FACT_UNKNOWN;
    if (o != NULL && PyUnicode_Check(o) && (f->module = PyUnicode_AsUTF8(o)) != NULL)
        f->st[CK_MODULE] = FACT_KNOWN;
    PyErr_Clear();
}

static void
read_lib(struct spy_note *n, const struct event_spec *sp, PyObject *args,
         const struct wants *w)
{
    PyObject *o = arg_at(args, 0);
    struct facts *f = &n->facts;

    if (o == Py_None)
        return;
    f->st[CK_LIB] = FACT_UNKNOWN;
    if ((f->lib = c_string(n, o)) == NULL) {
        PyErr_Clear();
        return;
    }
    if (strchr(f->lib, '/') != NULL) {
        if (resolve(f->lib, -1, 1, n->buf[0]) < 0)
            return;
        f->lib = n->buf[0];
    }
    f->st[CK_LIB] = FACT_KNOWN;
}

static void
read_pickle(struct spy_note *n, const struct event_spec *sp, PyObject *args,
            const struct wants *w)
{
    PyObject *m = arg_at(args, 0), *q = arg_at(args, 1);
    struct facts *f = &n->facts;

    f->st[CK_GLOBAL] = FACT_UNKNOWN;
    if (m != NULL && q != NULL && PyUnicode_Check(m) && PyUnicode_Check(q) &&
        (f->global_module = PyUnicode_AsUTF8(m)) != NULL &&
        (f->global_name = PyUnicode_AsUTF8(q)) != NULL)
        f->st[CK_GLOBAL] = FACT_KNOWN;
    PyErr_Clear();
}

/* Hashing every unmarshalled buffer is paid only where a rule asks. Until
 * the interpreter is initialized the only code there is libpython's own
 * (its frozen getpath is unmarshalled then) and what was read through the
 * verifying open_code hook: no script has run yet. */
static void
read_marshal(struct spy_note *n, const struct event_spec *sp, PyObject *args,
             const struct wants *w)
{
    PyObject *o = arg_at(args, 0);
    struct facts *f = &n->facts;

    if (!want(w, CK_ORIGIN))
        return;
    f->st[CK_ORIGIN] = FACT_UNKNOWN;
    if (o == NULL || !PyBytes_Check(o))
        return;
    f->unverified = Py_IsInitialized() &&
                    !payload_known((const uint8_t *)PyBytes_AS_STRING(o),
                                   (size_t)PyBytes_GET_SIZE(o));
    f->st[CK_ORIGIN] = FACT_KNOWN;
}

typedef void (*reader_fn)(struct spy_note *, const struct event_spec *, PyObject *,
                          const struct wants *);

static const reader_fn readers[] = {
    [AL_NONE] = NULL,
    [AL_OPEN] = read_open,
    [AL_PATH] = read_paths,
    [AL_SOCKADDR] = read_sockaddr,
    [AL_HOST] = read_host,
    [AL_REVERSE] = read_reverse,
    [AL_NAMEINFO] = read_reverse,
    [AL_EXE] = read_exe,
    [AL_SHELL] = read_exe,
    [AL_MODULE] = read_module,
    [AL_LIB] = read_lib,
    [AL_PICKLE] = read_pickle,
    [AL_MARSHAL] = read_marshal,
};

/* ---- the decision ---- */

struct scope_ctx {
    int done;
    unsigned char present[RULES_MAX_PACKAGES + 1];
};

/* The stack is walked once per event, and only if a rule's scope matters. */
static int
in_scope(void *ctx, unsigned scope)
{
    struct scope_ctx *c = ctx;

    if (!c->done) {
        memset(c->present, 0, sizeof(c->present));
        scope_mark(c->present);
        c->done = 1;
    }
    return c->present[scope];
}

enum decision
spy_decide(const char *event, PyObject *args, const char **why, int *logged,
           struct spy_note *note)
{
    struct plan tmp;
    const struct plan *p;
    struct rule_verdict v;
    struct scope_ctx sc;            /* present[] is filled at first use */
    struct wants w;
    enum decision d;

    sc.done = 0;
    note->rule = NULL;
    note->exc = PyExc_PermissionError;
    note->kill = 0;
    note->n_keep = 0;
    note->learn = 0;
    d = fixed_decision(event, args, why, logged);
    if (d != DECIDE_ALLOW || spy.pol.rules == NULL)
        return d;
    p = rules_plan(spy.pol.rules, event, &tmp);
    note->learn = spy.pol.mode == MODE_LEARN;
    if (p->inert && !note->learn)
        return DECIDE_ALLOW;            /* nothing to release: inert plans own nothing */
    /* Only now: the facts are read by the rules and by mode learn's line,
     * and most events meet neither. */
    memset(&note->facts, 0, sizeof(note->facts));
    w = (struct wants){ p->needs, p->lists, note->learn };
    if (p->spec != NULL && readers[p->spec->layout] != NULL && PyTuple_Check(args))
        readers[p->spec->layout](note, p->spec, args, &w);
    rules_eval(spy.pol.rules, p, &note->facts, in_scope, &sc, &v);
    /* try: import x / except ImportError: is how code copes with a module
     * that is not there; a module the policy refuses is not there. */
    if (p->spec != NULL && p->spec->layout == AL_MODULE)
        note->exc = PyExc_ImportError;
    rules_plan_release(p, &tmp);
    if (v.action == ACT_ALLOW)
        return DECIDE_ALLOW;
    note->rule = v.where;
    *why = v.reason;
    if (spy.pol.mode != MODE_ENFORCE)
        return DECIDE_WOULD_DENY;
    note->kill = v.action == ACT_KILL;
    return DECIDE_DENY;
}

/* ---- what the decision adds to the line ---- */

static void
render_or_null(struct jbuf *b, const char *key, enum fact_state st, const char *s)
{
    jbuf_char(b, ',');
    jbuf_str_utf8(b, key, strlen(key));
    jbuf_char(b, ':');
    if (st == FACT_KNOWN && s != NULL)
        jbuf_str_utf8(b, s, strlen(s));
    else
        jbuf_lit(b, "null");
}

/* mode learn: what spython-policy learn needs, spelled as allow-list entries. */
static void
render_learn(struct jbuf *b, const struct facts *f)
{
    char addr[PATH_MAX + 2];
    const char *a;

    jbuf_lit(b, ",\"learn\":{\"scope\":");
    scope_render(b);
    if (f->classes & EC_BIT(EC_WRITE)) {
        jbuf_lit(b, ",\"write\":");
        if (f->st[CK_PATH] != FACT_KNOWN) {
            jbuf_lit(b, "null");
        } else {
            jbuf_char(b, '[');
            for (int i = 0; i < f->n_path; i++) {
                if (i > 0)
                    jbuf_char(b, ',');
                jbuf_str_utf8(b, f->path[i], strlen(f->path[i]));
            }
            jbuf_char(b, ']');
        }
    }
    a = f->st[CK_ADDR] == FACT_KNOWN && rules_format_sock(&f->addr, addr, sizeof(addr)) == 0
        ? addr : NULL;
    if (f->classes & EC_BIT(EC_CONNECT))
        render_or_null(b, "connect", a ? FACT_KNOWN : FACT_UNKNOWN, a);
    if (f->classes & EC_BIT(EC_BIND))
        render_or_null(b, "bind", a ? FACT_KNOWN : FACT_UNKNOWN, a);
    if (f->classes & EC_BIT(EC_LOOKUP))
        render_or_null(b, "lookup", f->st[CK_HOST], f->host);
    if (f->classes & EC_BIT(EC_EXEC))
        render_or_null(b, "exec", f->st[CK_EXE], f->exe);
    jbuf_char(b, '}');
}

void
spy_note_render(struct jbuf *b, const struct spy_note *note)
{
    if (note->rule != NULL) {
        jbuf_lit(b, ",\"rule\":");
        jbuf_str_utf8(b, note->rule, strlen(note->rule));
    }
    if (note->learn)
        render_learn(b, &note->facts);
}

void
spy_note_done(struct spy_note *note)
{
    for (int i = 0; i < note->n_keep; i++)
        Py_DECREF(note->keep[i]);
    note->n_keep = 0;
    if (note->kill) {
        /* secimport's kill: the line is written; no finalization, no handler. */
        kill(getpid(), SIGKILL);
        _exit(128 + SIGKILL);
    }
}

void
spy_payload_note(const void *data, size_t len, const char *digest_label)
{
    static uint8_t magic[4];
    static int have_magic;
    long m;

    if (!rules_want_origin(spy.pol.rules))
        return;
    if (!have_magic) {
        if ((m = PyImport_GetMagicNumber()) == -1) {
            PyErr_Clear();
            return;
        }
        for (int i = 0; i < 4; i++)
            magic[i] = (uint8_t)(m >> (8 * i));
        have_magic = 1;
    }
    payload_remember(data, len, magic, digest_label);
}
