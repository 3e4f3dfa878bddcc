/* Rendering of audit-event arguments. Only type checks and direct reads of
 * object internals: nothing here can call back into Python code. */
#include "audit/event.h"

#include <openssl/evp.h>

static void render(struct jbuf *b, PyObject *o, int depth);

void
event_render_str(struct jbuf *b, PyObject *s, Py_ssize_t cap)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    Py_ssize_t lim = (cap > 0 && n > cap) ? cap : n;

    if (PyUnicode_IS_ASCII(s)) {
        jbuf_str_utf8(b, (const char *)PyUnicode_DATA(s), (size_t)lim);
        return;
    }
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    jbuf_quote(b);
    for (Py_ssize_t i = 0; i < lim && !b->failed; i++)
        jbuf_codepoint(b, PyUnicode_READ(kind, data, i));
    jbuf_quote(b);
}

/* Capped values become {"str"|"bytes": prefix, "len": N, "capped": CAP}. */
static void
render_capped_str(struct jbuf *b, PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);

    if (n <= EVENT_STR_CAP) {
        event_render_str(b, s, 0);
        return;
    }
    jbuf_lit(b, "{\"str\":");
    event_render_str(b, s, EVENT_STR_CAP);
    jbuf_lit(b, ",\"len\":");
    jbuf_i64(b, n);
    jbuf_lit(b, ",\"capped\":" Py_STRINGIFY(EVENT_STR_CAP) "}");
}

static void
render_bytes(struct jbuf *b, const uint8_t *p, Py_ssize_t n)
{
    jbuf_lit(b, "{\"bytes\":");
    jbuf_str_bytes(b, p, (size_t)(n > EVENT_BYTES_CAP ? EVENT_BYTES_CAP : n));
    jbuf_lit(b, ",\"len\":");
    jbuf_i64(b, n);
    if (n > EVENT_BYTES_CAP)
        jbuf_lit(b, ",\"capped\":" Py_STRINGIFY(EVENT_BYTES_CAP));
    jbuf_char(b, '}');
}

static void
render_int(struct jbuf *b, PyObject *o)
{
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);

    /* Only exact or subclassed ints reach here: no __index__ call, no error. */
    if (overflow != 0) {
        /* Decimal conversion of a huge int is quadratic; its size is enough. */
        jbuf_lit(b, "{\"int\":\"");
        jbuf_lit(b, overflow < 0 ? "negative" : "positive");
        jbuf_lit(b, " beyond 64 bits\"}");
        return;
    }
    jbuf_i64(b, v);
}

static void
render_float(struct jbuf *b, double d)
{
    if (!isfinite(d)) {
        jbuf_lit(b, isnan(d) ? "\"nan\"" : (d > 0 ? "\"inf\"" : "\"-inf\""));
        return;
    }
    char *s = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (s == NULL) {
        PyErr_Clear();
        b->failed = 1;
        return;
    }
    jbuf_lit(b, s);
    PyMem_Free(s);
}

static void
render_code(struct jbuf *b, PyCodeObject *co)
{
    jbuf_lit(b, "{\"code\":");
    event_render_str(b, co->co_name, EVENT_STR_CAP);
    jbuf_lit(b, ",\"file\":");
    event_render_str(b, co->co_filename, EVENT_STR_CAP);
    jbuf_lit(b, ",\"line\":");
    jbuf_i64(b, co->co_firstlineno);
    jbuf_char(b, '}');
}

static void
render_seq(struct jbuf *b, PyObject *o, int depth)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    PyObject **items = PySequence_Fast_ITEMS(o);

    jbuf_char(b, '[');
    for (Py_ssize_t i = 0; i < n && i < EVENT_ITEMS_CAP; i++) {
        if (i > 0)
            jbuf_char(b, ',');
        render(b, items[i], depth + 1);
    }
    if (n > EVENT_ITEMS_CAP) {
        jbuf_lit(b, ",{\"more\":");
        jbuf_i64(b, n - EVENT_ITEMS_CAP);
        jbuf_char(b, '}');
    }
    jbuf_char(b, ']');
}

static void
render_dict(struct jbuf *b, PyObject *o, int depth)
{
    Py_ssize_t pos = 0, i = 0;
    PyObject *k, *v;

    jbuf_char(b, '{');
    while (PyDict_Next(o, &pos, &k, &v)) {
        if (i == EVENT_ITEMS_CAP) {
            jbuf_lit(b, ",\"...\":{\"more\":");
            jbuf_i64(b, PyDict_GET_SIZE(o) - EVENT_ITEMS_CAP);
            jbuf_char(b, '}');
            break;
        }
        if (i++ > 0)
            jbuf_char(b, ',');
        if (PyUnicode_Check(k))
            event_render_str(b, k, EVENT_STR_CAP);
        else
            jbuf_str_utf8(b, Py_TYPE(k)->tp_name, strlen(Py_TYPE(k)->tp_name));
        jbuf_char(b, ':');
        render(b, v, depth + 1);
    }
    jbuf_char(b, '}');
}

static void
render(struct jbuf *b, PyObject *o, int depth)
{
    if (b->failed)
        return;
    if (depth > EVENT_DEPTH_CAP) {
        jbuf_lit(b, "{\"depth\":" Py_STRINGIFY(EVENT_DEPTH_CAP) "}");
        return;
    }
    if (o == Py_None)
        jbuf_lit(b, "null");
    else if (o == Py_True)
        jbuf_lit(b, "true");
    else if (o == Py_False)
        jbuf_lit(b, "false");
    else if (PyUnicode_Check(o))
        render_capped_str(b, o);
    else if (PyLong_Check(o))
        render_int(b, o);
    else if (PyFloat_Check(o))
        render_float(b, PyFloat_AS_DOUBLE(o));
    else if (PyBytes_Check(o))
        render_bytes(b, (const uint8_t *)PyBytes_AS_STRING(o), PyBytes_GET_SIZE(o));
    else if (PyByteArray_Check(o))
        render_bytes(b, (const uint8_t *)PyByteArray_AS_STRING(o), PyByteArray_GET_SIZE(o));
    else if (PyTuple_Check(o) || PyList_Check(o))
        render_seq(b, o, depth);
    else if (PyDict_Check(o))
        render_dict(b, o, depth);
    else if (PyCode_Check(o))
        render_code(b, (PyCodeObject *)o);
    else {
        const char *tn = Py_TYPE(o)->tp_name;
        jbuf_lit(b, "{\"type\":");
        jbuf_str_utf8(b, tn, strlen(tn));
        jbuf_char(b, '}');
    }
}

void
event_render(struct jbuf *b, PyObject *o)
{
    render(b, o, 0);
}

static void
render_digest(struct jbuf *b, const void *p, size_t n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL)) {
        b->failed = 1;
        return;
    }
    jbuf_lit(b, ",\"sha256\":");
    jbuf_hex(b, md, mdlen);
}

/* An AST is rendered back to source with ast.unparse: that is what will run. */
static PyObject *
ast_to_source(PyObject *tree)
{
    PyObject *ast = PyImport_ImportModule("ast");
    PyObject *src = NULL;

    if (ast != NULL) {
        src = PyObject_CallMethod(ast, "unparse", "O", tree);
        Py_DECREF(ast);
    }
    return src;
}

static void
render_source(struct jbuf *b, PyObject *src)
{
    Py_buffer view;

    if (PyUnicode_Check(src)) {
        PyObject *u8 = PyUnicode_AsEncodedString(src, "utf-8", "surrogatepass");
        if (u8 == NULL) {
            PyErr_Clear();
            b->failed = 1;
            return;
        }
        jbuf_lit(b, "\"source\":");
        event_render_str(b, src, 0);
        jbuf_lit(b, ",\"len\":");
        jbuf_i64(b, PyBytes_GET_SIZE(u8));
        render_digest(b, PyBytes_AS_STRING(u8), (size_t)PyBytes_GET_SIZE(u8));
        Py_DECREF(u8);
        return;
    }
    if (PyObject_CheckBuffer(src) && PyObject_GetBuffer(src, &view, PyBUF_SIMPLE) == 0) {
        jbuf_lit(b, "\"source\":");
        jbuf_str_utf8(b, view.buf, (size_t)view.len);
        jbuf_lit(b, ",\"source_type\":\"bytes\",\"len\":");
        jbuf_i64(b, view.len);
        render_digest(b, view.buf, (size_t)view.len);
        PyBuffer_Release(&view);
        return;
    }
    PyErr_Clear();
    PyObject *text = ast_to_source(src);
    if (text == NULL || !PyUnicode_Check(text)) {
        PyErr_Clear();
        Py_XDECREF(text);
        jbuf_lit(b, "\"source\":null,\"source_type\":");
        jbuf_str_utf8(b, Py_TYPE(src)->tp_name, strlen(Py_TYPE(src)->tp_name));
        jbuf_lit(b, ",\"unrendered\":true");
        return;
    }
    render_source(b, text);
    jbuf_lit(b, ",\"source_type\":\"ast\"");
    Py_DECREF(text);
}

void
event_render_compile(struct jbuf *b, PyObject *args,
                     const char *verified_path, const char *verified_digest)
{
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) != 2) {
        event_render(b, args);
        return;
    }
    jbuf_lit(b, "{\"filename\":");
    render(b, PyTuple_GET_ITEM(args, 1), 1);
    jbuf_char(b, ',');
    if (verified_path != NULL) {
        jbuf_lit(b, "\"verified\":");
        jbuf_str_utf8(b, verified_path, strlen(verified_path));
        jbuf_lit(b, ",\"digest\":");
        jbuf_str_utf8(b, verified_digest, strlen(verified_digest));
    } else {
        render_source(b, PyTuple_GET_ITEM(args, 0));
    }
    jbuf_char(b, '}');
}
