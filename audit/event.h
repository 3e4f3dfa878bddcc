/* Python audit-event arguments rendered as JSON, without running Python code
 * (no repr(), no __str__): a hostile object cannot hide or forge what it is. */
#ifndef SPY_EVENT_H
#define SPY_EVENT_H

#include <Python.h>
#include "audit/json.h"

/* Limits for ordinary event arguments; the cap hit is recorded in the output. */
#define EVENT_STR_CAP    4096   /* code points of one string */
#define EVENT_BYTES_CAP  256    /* bytes of one bytes-like value */
#define EVENT_ITEMS_CAP  64     /* items of one tuple, list or dict */
#define EVENT_DEPTH_CAP  8      /* nesting */

/* Render any object (usually the args tuple) with the caps above. */
void event_render(struct jbuf *b, PyObject *o);

/* Render the args of a "compile" event whose source is a file that was just
 * verified: only its path and digest. */
void event_render_compile(struct jbuf *b, PyObject *args,
                          const char *verified_path, const char *verified_digest);

/* Render the args of a "marshal.loads" event whose bytes are cached bytecode
 * that was just verified: [{"verified": path, "digest": D, "len": N}]. */
void event_render_verified(struct jbuf *b, PyObject *data,
                           const char *verified_path, const char *verified_digest);

/* Transcripts: dynamic source logged whole, split into numbered parts of at
 * most this many bytes (never inside a UTF-8 sequence), so no line is huge
 * and a reader joins them. */
#define TRANSCRIPT_PART_BYTES (16 * 1024)
/* A larger source is refused rather than logged in part (the log records
 * its size and digest, and the refusal). */
#define TRANSCRIPT_MAX_BYTES (256u << 20)

/* The source of a compile event as the bytes that are hashed and logged:
 * str as UTF-8 (surrogatepass), bytes as they are, an AST rendered back to
 * source with ast.unparse (that is what will run). */
struct source {
    PyObject *owner;            /* holds p */
    const char *p;
    size_t len;
    const char *type;           /* "str", "bytes", "ast", or the type's name */
    int utf8;                   /* p is valid UTF-8; else logged byte by byte */
    char sha256[65];
};

/* 0, or -1 when the object cannot be rendered (s->type names its type). */
int source_get(struct source *s, PyObject *src);
void source_release(struct source *s);

/* End of the part that starts at off (the last part ends at s->len). */
size_t source_part_end(const struct source *s, size_t off);
size_t source_nparts(const struct source *s);

/* ,"source":"..." for bytes [off, end), with "encoding":"latin-1" when the
 * source is not UTF-8 (each code point of "source" is then one byte). */
void source_render(struct jbuf *b, const struct source *s, size_t off, size_t end);

/* A code object as {"code","file","line"}; the caller may add fields before
 * closing it with '}'. */
void event_render_code_open(struct jbuf *b, PyCodeObject *co);

/* A str as a JSON string, every code point, lone surrogates as \uDXXX. */
void event_render_str(struct jbuf *b, PyObject *s, Py_ssize_t cap);

#endif
