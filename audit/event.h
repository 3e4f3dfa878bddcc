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

/* Render the args of a "compile" event: the whole source, never capped, with
 * its SHA-256; or, when verified_path is given, only that path and its digest
 * (the bytes are a file that was just verified). */
void event_render_compile(struct jbuf *b, PyObject *args,
                          const char *verified_path, const char *verified_digest);

/* A str as a JSON string, every code point, lone surrogates as \uDXXX. */
void event_render_str(struct jbuf *b, PyObject *s, Py_ssize_t cap);

#endif
