/* Everything Python reads as code passes through here: io.open_code (source,
 * cached bytecode, .pth, zip archives), the sourceless bytecode loader and the
 * extension module loader. Each reads the file once, verifies those bytes and
 * hands exactly those bytes on. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "launch/launch.h"
#include "launch/transcript.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* Recently verified files, so the compile event that follows can log "file
 * X, digest D" instead of the whole text. */
#define VERIFIED_RING 8
static struct {
    PyObject *bytes;
    char *path;
    char digest[DIGEST_LABEL_MAX];
} ring[VERIFIED_RING];
static unsigned ring_next;

void
verified_remember(PyObject *bytes, const char *path, const char *digest)
{
    unsigned i = ring_next++ % VERIFIED_RING;
    char *copy = strdup(path);

    if (copy == NULL)
        return;
    Py_XDECREF(ring[i].bytes);
    free(ring[i].path);
    ring[i].bytes = Py_NewRef(bytes);
    ring[i].path = copy;
    snprintf(ring[i].digest, sizeof(ring[i].digest), "%s", digest);
}

void
verified_forget(void)
{
    for (unsigned i = 0; i < VERIFIED_RING; i++) {
        Py_CLEAR(ring[i].bytes);
        free(ring[i].path);
        ring[i].path = NULL;
    }
}

/* The verified file whose bytes from skip on are src's. */
static const char *
ring_match(PyObject *src, Py_ssize_t skip, const char **digest)
{
    if (!PyBytes_Check(src))
        return NULL;
    for (unsigned i = 0; i < VERIFIED_RING; i++) {
        PyObject *v = ring[i].bytes;
        if (v != NULL && PyBytes_GET_SIZE(v) == PyBytes_GET_SIZE(src) + skip &&
            memcmp(PyBytes_AS_STRING(v) + skip, PyBytes_AS_STRING(src),
                   (size_t)PyBytes_GET_SIZE(src)) == 0) {
            *digest = ring[i].digest;
            return ring[i].path;
        }
    }
    return NULL;
}

/* The compile event carries a fresh copy of the source text, so the match is
 * by content: text byte-identical to a verified file is that file. */
const char *
verified_lookup(PyObject *src, const char **digest)
{
    return ring_match(src, 0, digest);
}

/* marshal.loads of cached bytecode gets a copy of what follows the 16-byte
 * .pyc header. */
const char *
verified_lookup_pyc(PyObject *src, const char **digest)
{
    return ring_match(src, 16, digest);
}

/* How a refusal surfaces. Imports must end in ImportError, except where
 * importlib and site rely on OSError to skip a file: a cached .pyc (fall back
 * to the signed source) and a .pth (ignored). */
enum refusal { AS_OSERROR, AS_IMPORTERROR };

static const struct kind {
    const char *suffix;
    const char *name;
    enum refusal as;
} kinds[] = {
    { ".py", "source", AS_IMPORTERROR },
    { ".pyc", "bytecode", AS_OSERROR },
    { ".pth", "pth", AS_OSERROR },
    { ".zip", "archive", AS_OSERROR },
    { ".so", "extension", AS_IMPORTERROR },
};
static const struct kind other_kind = { "", "code", AS_OSERROR };
static const struct kind sourceless_kind = { ".pyc", "bytecode", AS_IMPORTERROR };
static const struct kind extension_kind = { ".so", "extension", AS_IMPORTERROR };

static const struct kind *
kind_of(const char *path)
{
    size_t n = strlen(path);

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t m = strlen(kinds[i].suffix);
        if (n >= m && strcmp(path + n - m, kinds[i].suffix) == 0)
            return &kinds[i];
    }
    return &other_kind;
}

static PyObject *
refuse(PyObject *path, const char *reason, enum refusal as)
{
    PyObject *msg, *exc;

    if (as == AS_IMPORTERROR) {
        msg = PyUnicode_FromFormat("%s: %R", reason, path);
        if (msg != NULL) {
            PyErr_SetImportError(msg, NULL, path);
            Py_DECREF(msg);
        }
        return NULL;
    }
    exc = PyObject_CallFunction(PyExc_PermissionError, "isO", EACCES, reason, path);
    if (exc != NULL) {
        PyErr_SetObject(PyExc_PermissionError, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* Read, verify and log one file: the verified bytes, or NULL with the
 * exception kind->as names. A file that does not exist is not a refusal
 * (importlib probes for __pycache__ entries): it raises FileNotFoundError
 * and logs nothing. */
static PyObject *
read_verified(PyObject *path, const struct kind *kind)
{
    PyObject *fspath = NULL, *fsbytes = NULL, *result = NULL;
    struct code_file cf = { 0 };
    struct verify_info info = { 0 };
    enum verdict v;
    enum decision d;
    int err = 0, logged;
    char reason[128], label[DIGEST_LABEL_MAX];

    fspath = PyOS_FSPath(path);
    if (fspath == NULL || !PyUnicode_FSConverter(fspath, &fsbytes))
        goto done;
    const char *p = PyBytes_AS_STRING(fsbytes);
    if (kind == NULL)
        kind = kind_of(p);

    Py_BEGIN_ALLOW_THREADS
    v = code_file_read(&spy.vcfg, p, &cf, &info, &err);
    Py_END_ALLOW_THREADS

    if (v == V_UNREADABLE && (err == ENOENT || err == ENOTDIR)) {
        errno = err;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, fspath);
        goto done;
    }
    d = log_verdict(kind->name, p, v, &info, err, &logged);
    if (!logged) {
        refuse(fspath, "refused by spython: the audit log cannot be written", kind->as);
        goto done;
    }
    if (cf.data == NULL) {
        /* Nothing was read: report it as the OSError an open would raise. */
        if (v == V_UNREADABLE && err != 0) {
            errno = err;
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, fspath);
        } else {
            snprintf(reason, sizeof(reason), "refused by spython: %s", verdict_reason(v));
            refuse(fspath, reason, kind->as);
        }
        goto done;
    }
    if (d == DECIDE_DENY) {
        snprintf(reason, sizeof(reason), "refused by spython: %s", verdict_reason(v));
        refuse(fspath, reason, kind->as);
        goto done;
    }
    result = PyBytes_FromStringAndSize((const char *)cf.data, (Py_ssize_t)cf.len);
    if (result != NULL && v == V_OK) {
        digest_label(&info, label);
        verified_remember(result, p, label);
        spy_payload_note(cf.data, cf.len, label);
    }
done:
    code_file_free(&cf);
    Py_XDECREF(fsbytes);
    Py_XDECREF(fspath);
    return result;
}

PyObject *
spy_open_code(PyObject *path, void *userdata)
{
    static PyObject *bytesio;
    PyObject *data, *stream;

    if (bytesio == NULL) {
        PyObject *io = PyImport_ImportModule("_io");
        if (io == NULL)
            return NULL;
        bytesio = PyObject_GetAttrString(io, "BytesIO");
        Py_DECREF(io);
        if (bytesio == NULL)
            return NULL;
    }
    data = read_verified(path, NULL);
    if (data == NULL)
        return NULL;
    stream = PyObject_CallOneArg(bytesio, data);
    Py_DECREF(data);
    return stream;
}

/* SourcelessFileLoader.get_data reads .pyc files with FileIO, bypassing
 * io.open_code; this replacement verifies them like everything else. */
static PyObject *
sourceless_get_data(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "get_data(self, path)");
        return NULL;
    }
    return read_verified(args[1], &sourceless_kind);
}

/* Extension modules: dlopen() takes a path, and a path can be swapped after it
 * was checked. So the verified bytes go into a sealed memfd and dlopen() gets
 * that, never the file on disk. The fd number grows with every load because
 * the dynamic loader matches libraries by name: a reused /proc/self/fd/N would
 * hand back the previous library. */
static int ext_next_fd = 512;

/* The memfds being loaded right now. Threads may load extensions at the same
 * time (dlopen runs without the GIL), so this is a set, and only fds spython
 * itself sealed count: a script's own memfd is never on it. */
#define EXT_LOADING_MAX 32
static int ext_loading[EXT_LOADING_MAX];
static int ext_loading_n;

static int
ext_loading_add(int fd)
{
    if (ext_loading_n == EXT_LOADING_MAX)
        return -1;
    ext_loading[ext_loading_n++] = fd;
    return 0;
}

static void
ext_loading_remove(int fd)
{
    for (int i = 0; i < ext_loading_n; i++) {
        if (ext_loading[i] == fd) {
            ext_loading[i] = ext_loading[--ext_loading_n];
            return;
        }
    }
}

int
ext_is_loading(const char *path)
{
    char want[32];

    for (int i = 0; i < ext_loading_n; i++) {
        snprintf(want, sizeof(want), "/proc/self/fd/%d", ext_loading[i]);
        if (strcmp(path, want) == 0)
            return 1;
    }
    return 0;
}

static int
sealed_memfd(const char *data, size_t len)
{
    int fd = memfd_create("spython-ext", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL)
        fd = memfd_create("spython-ext", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        off += (size_t)w;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        goto fail;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, ext_next_fd);
    if (high < 0)
        goto fail;
    close(fd);
    ext_next_fd = high + 1;
    return high;
fail:
    close(fd);
    return -1;
}

/* importlib._bootstrap.ModuleSpec(name, loader, origin=path) */
static PyObject *
spec_at(PyObject *bootstrap, PyObject *name, PyObject *loader, const char *path)
{
    PyObject *cls = PyObject_GetAttrString(bootstrap, "ModuleSpec");
    PyObject *args = NULL, *kw = NULL, *spec = NULL;

    if (cls == NULL)
        return NULL;
    args = PyTuple_Pack(2, name, loader);
    kw = Py_BuildValue("{s:s}", "origin", path);
    if (args != NULL && kw != NULL)
        spec = PyObject_Call(cls, args, kw);
    Py_XDECREF(kw);
    Py_XDECREF(args);
    Py_DECREF(cls);
    return spec;
}

static PyObject *
ext_create_module(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *self, *spec, *name = NULL, *origin = NULL, *data = NULL;
    PyObject *bootstrap = NULL, *imp = NULL, *memspec = NULL, *mod = NULL;
    char memfd_path[32];
    int fd = -1;

    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "create_module(self, spec)");
        return NULL;
    }
    self = args[0];
    spec = args[1];
    name = PyObject_GetAttrString(spec, "name");
    origin = PyObject_GetAttrString(spec, "origin");
    if (name == NULL || origin == NULL)
        goto done;
    data = read_verified(origin, &extension_kind);
    if (data == NULL)
        goto done;
    fd = sealed_memfd(PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
    if (fd < 0) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, origin);
        goto done;
    }
    snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", fd);
    /* The frozen modules importlib re-exports: already loaded, and importing
     * the importlib package would read and verify two files for nothing. */
    bootstrap = PyImport_ImportModule("_frozen_importlib");
    imp = PyImport_ImportModule("_imp");
    if (bootstrap == NULL || imp == NULL)
        goto done;
    memspec = spec_at(bootstrap, name, self, memfd_path);
    if (memspec == NULL)
        goto done;
    if (ext_loading_add(fd) < 0) {
        PyErr_SetString(PyExc_ImportError, "spython: too many extension modules loading at once");
        goto done;
    }
    mod = PyObject_CallMethod(imp, "create_dynamic", "O", memspec);
    ext_loading_remove(fd);
    if (mod != NULL && PyObject_SetAttrString(mod, "__file__", origin) < 0)
        Py_CLEAR(mod);
done:
    if (fd >= 0)
        close(fd);
    Py_XDECREF(memspec);
    Py_XDECREF(imp);
    Py_XDECREF(bootstrap);
    Py_XDECREF(data);
    Py_XDECREF(origin);
    Py_XDECREF(name);
    return mod;
}

static PyMethodDef loader_methods[] = {
    { "get_data", (PyCFunction)(void (*)(void))sourceless_get_data, METH_FASTCALL, NULL },
    { "create_module", (PyCFunction)(void (*)(void))ext_create_module, METH_FASTCALL, NULL },
    { NULL, NULL, 0, NULL },
};

static int
patch_method(PyObject *owner, const char *cls, PyMethodDef *def)
{
    PyObject *type = PyObject_GetAttrString(owner, cls);
    PyObject *fn = NULL, *meth = NULL;
    int rc = -1;

    if (type == NULL)
        goto done;
    fn = PyCFunction_New(def, NULL);
    if (fn == NULL)
        goto done;
    /* A builtin function does not bind self; instancemethod makes it a method. */
    meth = PyInstanceMethod_New(fn);
    if (meth == NULL)
        goto done;
    rc = PyObject_SetAttrString(type, def->ml_name, meth);
done:
    Py_XDECREF(meth);
    Py_XDECREF(fn);
    Py_XDECREF(type);
    return rc;
}

int
spy_patch_loaders(void)
{
    PyObject *ext = PyImport_ImportModule("_frozen_importlib_external");
    int rc = -1;

    if (ext == NULL)
        return -1;
    /* transcript_install: code objects from compile() get linked to the
     * transcript of their source (launch/transcript.c). */
    if (patch_method(ext, "SourcelessFileLoader", &loader_methods[0]) == 0 &&
        patch_method(ext, "ExtensionFileLoader", &loader_methods[1]) == 0 &&
        transcript_install() == 0)
        rc = 0;
    Py_DECREF(ext);
    return rc;
}
