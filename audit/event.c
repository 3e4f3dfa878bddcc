/* Rendering of audit-event arguments. Only type checks and direct reads of
 * object internals: nothing here can call back into Python code. */
#include "audit/event.h"

#include "verify/sha256.h"

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

void
event_render_code_open(struct jbuf *b, PyCodeObject *co)
{
    jbuf_lit(b, "{\"code\":");
    event_render_str(b, co->co_name, EVENT_STR_CAP);
    jbuf_lit(b, ",\"file\":");
    event_render_str(b, co->co_filename, EVENT_STR_CAP);
    jbuf_lit(b, ",\"line\":");
    jbuf_i64(b, co->co_firstlineno);
}

static void
render_code(struct jbuf *b, PyCodeObject *co)
{
    event_render_code_open(b, co);
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

/* A JSON object when the keys shown are exact str objects that render
 * whole and distinct (a str subclass may compare unequal to its twin; two
 * keys capped alike would collide; "..." is the marker of more); otherwise
 * {"dict":[[key,value],...]}, keys rendered like values. JSON with duplicate
 * keys means different things to different readers. */
static int
keys_are_plain(PyObject *o)
{
    Py_ssize_t pos = 0, i = 0;
    PyObject *k, *v;

    while (i++ < EVENT_ITEMS_CAP && PyDict_Next(o, &pos, &k, &v))
        if (!PyUnicode_CheckExact(k) || PyUnicode_GET_LENGTH(k) > EVENT_STR_CAP ||
            PyUnicode_CompareWithASCIIString(k, "...") == 0)
            return 0;
    return 1;
}

static void
render_dict(struct jbuf *b, PyObject *o, int depth)
{
    Py_ssize_t pos = 0, i = 0;
    int plain = keys_are_plain(o);
    PyObject *k, *v;

    jbuf_lit(b, plain ? "{" : "{\"dict\":[");
    while (PyDict_Next(o, &pos, &k, &v)) {
        if (i == EVENT_ITEMS_CAP) {
            jbuf_lit(b, plain ? ",\"...\":{\"more\":" : ",{\"more\":");
            jbuf_i64(b, PyDict_GET_SIZE(o) - EVENT_ITEMS_CAP);
            jbuf_char(b, '}');
            break;
        }
        if (i++ > 0)
            jbuf_char(b, ',');
        if (plain) {
            event_render_str(b, k, 0);
            jbuf_char(b, ':');
        } else {
            jbuf_char(b, '[');
            render(b, k, depth + 1);
            jbuf_char(b, ',');
        }
        render(b, v, depth + 1);
        if (!plain)
            jbuf_char(b, ']');
    }
    jbuf_lit(b, plain ? "}" : "]}");
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

static int
is_utf8(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0, k;

    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        if ((k = utf8_valid_len(u + i, n - i)) == 0)
            return 0;
        i += k;
    }
    return 1;
}

static int
source_text(struct source *s, PyObject *text)
{
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(text, &n);

    if (p != NULL) {
        s->owner = Py_NewRef(text);
        s->utf8 = 1;
    } else {
        /* Lone surrogates: their surrogatepass bytes, logged byte by byte. */
        PyErr_Clear();
        s->owner = PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
        if (s->owner == NULL)
            return -1;
        p = PyBytes_AS_STRING(s->owner);
        n = PyBytes_GET_SIZE(s->owner);
        s->utf8 = 0;
    }
    s->p = p;
    s->len = (size_t)n;
    return 0;
}

int
source_get(struct source *s, PyObject *src)
{
    uint8_t md[SHA256_LEN];
    PyObject *text;

    memset(s, 0, sizeof(*s));
    if (PyUnicode_Check(src)) {
        s->type = "str";
        if (source_text(s, src) < 0)
            goto fail;
    } else if (PyBytes_Check(src)) {
        s->type = "bytes";
        s->owner = Py_NewRef(src);
        s->p = PyBytes_AS_STRING(src);
        s->len = (size_t)PyBytes_GET_SIZE(src);
        s->utf8 = is_utf8(s->p, s->len);
    } else if (PyByteArray_Check(src) || PyMemoryView_Check(src)) {
        s->type = "bytes";
        if ((s->owner = PyBytes_FromObject(src)) == NULL)
            goto fail;
        s->p = PyBytes_AS_STRING(s->owner);
        s->len = (size_t)PyBytes_GET_SIZE(s->owner);
        s->utf8 = is_utf8(s->p, s->len);
    } else {
        s->type = "ast";
        text = ast_to_source(src);
        if (text == NULL || !PyUnicode_Check(text) || source_text(s, text) < 0) {
            Py_XDECREF(text);
            s->type = Py_TYPE(src)->tp_name;
            goto fail;
        }
        Py_DECREF(text);
    }
    sha256(s->p, s->len, md);
    hex_lower(s->sha256, md, SHA256_LEN);
    s->sha256[2 * SHA256_LEN] = '\0';
    return 0;
fail:
    PyErr_Clear();
    Py_CLEAR(s->owner);
    s->p = NULL;
    s->len = 0;
    return -1;
}

void
source_release(struct source *s)
{
    Py_CLEAR(s->owner);
    s->p = NULL;
}

size_t
source_part_end(const struct source *s, size_t off)
{
    size_t end;

    if (s->len - off <= TRANSCRIPT_PART_BYTES)
        return s->len;
    end = off + TRANSCRIPT_PART_BYTES;
    /* Back off to the start of a UTF-8 sequence (at most 3 bytes). */
    if (s->utf8)
        while (end > off && ((unsigned char)s->p[end] & 0xc0) == 0x80)
            end--;
    return end;
}

size_t
source_nparts(const struct source *s)
{
    size_t n = 0, off = 0;

    do {
        off = source_part_end(s, off);
        n++;
    } while (off < s->len);
    return n;
}

void
source_render(struct jbuf *b, const struct source *s, size_t off, size_t end)
{
    if (!s->utf8)
        jbuf_lit(b, ",\"encoding\":\"latin-1\"");
    jbuf_lit(b, ",\"source\":");
    if (s->utf8)
        jbuf_str_utf8(b, s->p + off, end - off);
    else
        jbuf_str_bytes(b, (const uint8_t *)s->p + off, end - off);
}

void
event_render_verified(struct jbuf *b, PyObject *data,
                      const char *verified_path, const char *verified_digest)
{
    jbuf_lit(b, "[{\"verified\":");
    jbuf_str_utf8(b, verified_path, strlen(verified_path));
    jbuf_lit(b, ",\"digest\":");
    jbuf_str_utf8(b, verified_digest, strlen(verified_digest));
    jbuf_lit(b, ",\"len\":");
    jbuf_i64(b, PyBytes_GET_SIZE(data));
    jbuf_lit(b, "}]");
}

void
event_render_compile(struct jbuf *b, PyObject *args,
                     const char *verified_path, const char *verified_digest)
{
    jbuf_lit(b, "{\"filename\":");
    render(b, PyTuple_GET_ITEM(args, 1), 1);
    jbuf_lit(b, ",\"verified\":");
    jbuf_str_utf8(b, verified_path, strlen(verified_path));
    jbuf_lit(b, ",\"digest\":");
    jbuf_str_utf8(b, verified_digest, strlen(verified_digest));
    jbuf_char(b, '}');
}
