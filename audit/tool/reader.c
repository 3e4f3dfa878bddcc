/* Lines of spython logs, streamed: one read buffer and one line buffer,
 * whatever the size of the log. The log may be hostile or damaged: a line
 * longer than READER_MAX_LINE is skipped, a torn last line or a line that
 * is not JSON is reported once and passed over. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit/json.h"
#include "audit/tool/tool.h"

#define CHUNK (1u << 20)
#define MAX_WARNINGS 20

struct rfile {
    const char *name;
    FILE *f;
};

struct reader {
    struct rfile *files;
    int nfiles, cur;
    char *chunk;
    size_t clen, cpos;          /* bytes in chunk, next unread */
    uint64_t coff;              /* file offset of chunk[0] */
    uint64_t lineno;
    int eof;
    char *line, *clean;
    size_t linecap, cleancap;
    json_t *root;
    uint64_t bad, torn;
    unsigned warned;
    int quiet;
};

void
reader_warn(struct reader *r, const struct ev *e, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (r->quiet)
        return;
    /* A torn last line (one per file at most) always tells. */
    if (!e->torn && r->warned++ >= MAX_WARNINGS) {
        if (r->warned == MAX_WARNINGS + 1)
            fprintf(stderr, "spython-audit: further warnings not shown\n");
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fputs("spython-audit: ", stderr);
    put_safe(stderr, e->file, strlen(e->file));
    fprintf(stderr, ":%llu: warning: %s\n", (unsigned long long)e->lineno, msg);
}

struct reader *
reader_open(char *const *files, int nfiles)
{
    struct reader *r = calloc(1, sizeof(*r));
    int i;

    if (r == NULL || (r->files = calloc((size_t)nfiles, sizeof(*r->files))) == NULL ||
        (r->chunk = malloc(CHUNK)) == NULL) {
        fprintf(stderr, "spython-audit: out of memory\n");
        goto fail;
    }
    r->nfiles = nfiles;
    for (i = 0; i < nfiles; i++) {
        r->files[i].name = files[i];
        if (strcmp(files[i], "-") == 0) {
            r->files[i].name = "(stdin)";
            r->files[i].f = stdin;
        } else if ((r->files[i].f = fopen(files[i], "re")) == NULL) {
            fprintf(stderr, "spython-audit: %s: %s\n", files[i], strerror(errno));
            goto fail;
        }
    }
    return r;
fail:
    reader_close(r);
    return NULL;
}

void
reader_close(struct reader *r)
{
    int i;

    if (r == NULL)
        return;
    for (i = 0; r->files != NULL && i < r->nfiles; i++)
        if (r->files[i].f != NULL && r->files[i].f != stdin)
            fclose(r->files[i].f);
    json_decref(r->root);
    free(r->files);
    free(r->chunk);
    free(r->line);
    free(r->clean);
    free(r);
}

int
reader_rewindable(const struct reader *r)
{
    int i;

    for (i = 0; i < r->nfiles; i++)
        if (r->files[i].f == stdin)
            return 0;
    return 1;
}

int
reader_seek(struct reader *r, unsigned fileno, uint64_t offset, uint64_t lineno)
{
    if (fileno >= (unsigned)r->nfiles || r->files[fileno].f == stdin ||
        fseeko(r->files[fileno].f, (off_t)offset, SEEK_SET) < 0)
        return -1;
    r->cur = (int)fileno;
    r->clen = r->cpos = 0;
    r->coff = offset;
    r->lineno = lineno - 1;
    r->eof = 0;
    return 0;
}

void
reader_quiet(struct reader *r)
{
    r->quiet = 1;
}

void
reader_summary(const struct reader *r)
{
    if (r != NULL && !r->quiet && r->bad > MAX_WARNINGS)
        fprintf(stderr, "spython-audit: %llu lines were not log lines; warnings for the "
                "first %d above\n", (unsigned long long)r->bad, MAX_WARNINGS);
}

uint64_t
reader_bad_lines(const struct reader *r)
{
    return r->bad;
}

uint64_t
reader_torn_lines(const struct reader *r)
{
    return r->torn;
}

static int
fill(struct reader *r)
{
    struct rfile *f = &r->files[r->cur];

    r->coff += r->clen;
    r->clen = fread(r->chunk, 1, CHUNK, f->f);
    r->cpos = 0;
    if (r->clen == 0) {
        if (ferror(f->f)) {
            fprintf(stderr, "spython-audit: %s: read error\n", f->name);
            return -1;
        }
        r->eof = 1;
    }
    return 0;
}

static int
hex4(const char *p)
{
    int v = 0, i, d;

    for (i = 0; i < 4; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* JSON can carry a lone surrogate (\udc80), which spython writes for Python
 * strings that hold one; no JSON library turns it into UTF-8. It becomes
 * U+FFFD, in place (same length), so the line still parses. */
static void
sanitize(char *p, size_t n)
{
    size_t i;
    int v, w;

    for (i = 0; i + 1 < n; i++) {
        if (p[i] != '\\')
            continue;
        if (p[i + 1] != 'u' || i + 6 > n || (v = hex4(p + i + 2)) < 0) {
            i++;                /* the escaped character */
            continue;
        }
        if (v >= 0xd800 && v <= 0xdbff && i + 12 <= n && p[i + 6] == '\\' &&
            p[i + 7] == 'u' && (w = hex4(p + i + 8)) >= 0xdc00 && w <= 0xdfff) {
            i += 11;            /* a pair: one code point */
            continue;
        }
        if (v >= 0xd800 && v <= 0xdfff)
            memcpy(p + i + 2, "fffd", 4);
        i += 5;
    }
}

static int
needs_sanitize(const char *p, size_t n)
{
    return memmem(p, n, "\\ud", 3) != NULL || memmem(p, n, "\\uD", 3) != NULL;
}

const char *
jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

json_int_t
jint(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

int
is_denial(const struct ev *e)
{
    return strcmp(e->decision, "deny") == 0 || strcmp(e->decision, "would-deny") == 0;
}

static void
parse(struct reader *r, struct ev *e)
{
    json_error_t err;
    json_t *ev, *seq;
    const char *p = e->raw;

    json_decref(r->root);
    r->root = NULL;
    e->root = NULL;
    if (needs_sanitize(p, e->rawlen)) {
        if (e->rawlen > r->cleancap) {
            free(r->clean);
            if ((r->clean = malloc(e->rawlen)) == NULL) {
                r->cleancap = 0;
                return;
            }
            r->cleancap = e->rawlen;
        }
        memcpy(r->clean, p, e->rawlen);
        sanitize(r->clean, e->rawlen);
        p = r->clean;
    }
    r->root = json_loadb(p, e->rawlen, JSON_ALLOW_NUL, &err);
    ev = json_object_get(r->root, "event");
    if (!json_is_object(r->root) || !json_is_string(ev)) {
        r->bad++;
        if (e->torn)
            reader_warn(r, e, "torn last line (%zu bytes), ignored", e->rawlen);
        else if (r->root == NULL)
            reader_warn(r, e, "not JSON (%s), ignored", err.text);
        else
            reader_warn(r, e, "not a spython log line, ignored");
        json_decref(r->root);
        r->root = NULL;
        return;
    }
    e->root = r->root;
    e->event = json_string_value(ev);
    e->event_len = json_string_length(ev);
    e->ts = jstr(r->root, "ts");
    e->decision = jstr(r->root, "decision");
    e->pid = jint(r->root, "pid");
    e->chain = jstr(r->root, "chain");
    seq = json_object_get(r->root, "seq");
    e->seq = json_is_integer(seq) && json_integer_value(seq) > 0
             ? (uint64_t)json_integer_value(seq) : 0;
    e->args = json_object_get(r->root, "args");
}

/* The next raw line into r->line; 1, 0 at the end, -1 on error. */
static int
next_raw(struct reader *r, struct ev *e)
{
    size_t len = 0, n;
    char *nl;
    int skipping = 0;

    for (;;) {
        if (r->cur >= r->nfiles)
            return 0;
        if (r->cpos == r->clen) {
            if (!r->eof && fill(r) < 0)
                return -1;
            if (r->eof) {
                if (len > 0 || skipping) {
                    e->torn = 1;
                    break;
                }
                /* The next file starts at its line 1. */
                r->cur++;
                r->clen = r->cpos = 0;
                r->coff = 0;
                r->lineno = 0;
                r->eof = 0;
                continue;
            }
        }
        if (len == 0 && !skipping)
            e->offset = r->coff + r->cpos;
        nl = memchr(r->chunk + r->cpos, '\n', r->clen - r->cpos);
        n = nl ? (size_t)(nl - (r->chunk + r->cpos)) : r->clen - r->cpos;
        if (!skipping && len + n > READER_MAX_LINE) {
            skipping = 1;
        } else if (!skipping) {
            if (len + n > r->linecap) {
                size_t cap = r->linecap ? r->linecap : 4096;
                char *p;

                while (cap < len + n)
                    cap *= 2;
                if ((p = realloc(r->line, cap)) == NULL) {
                    fprintf(stderr, "spython-audit: out of memory\n");
                    return -1;
                }
                r->line = p;
                r->linecap = cap;
            }
            memcpy(r->line + len, r->chunk + r->cpos, n);
            len += n;
        }
        r->cpos += n + (nl != NULL);
        if (nl != NULL)
            break;
    }
    e->file = r->files[r->cur].name;
    e->fileno = (unsigned)r->cur;
    e->lineno = ++r->lineno;
    e->raw = r->line ? r->line : "";
    e->rawlen = len;
    if (skipping) {
        r->bad++;
        reader_warn(r, e, "longer than %u MiB, skipped", READER_MAX_LINE >> 20);
        e->rawlen = 0;
        e->root = NULL;
        return 2;
    }
    return 1;
}

int
reader_next(struct reader *r, struct ev *e)
{
    int rc;

    memset(e, 0, sizeof(*e));
    rc = next_raw(r, e);
    if (rc <= 0)
        return rc;
    if (e->torn)
        r->torn++;
    if (rc == 1)
        parse(r, e);
    return 1;
}

void
put_safe_max(FILE *f, const char *s, size_t n, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i, k;

    /* Valid UTF-8 passes, except C1 controls (U+0080..U+009F): some
     * terminals act on those as they do on C0 and DEL. */
    for (i = 0; i < n && i < max; i += k) {
        k = u[i] < 0x80 ? 1 : utf8_valid_len(u + i, n - i);
        if (k == 0 || (u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f ||
            (u[i] == 0xc2 && u[i + 1] < 0xa0)) {
            fprintf(f, "\\x%02x", u[i]);
            k = 1;
        } else if (u[i] == '\\') {
            fputs("\\\\", f);
        } else {
            fwrite(s + i, 1, k, f);
        }
    }
    if (n > max)
        fputs("...", f);
}

void
put_safe(FILE *f, const char *s, size_t n)
{
    put_safe_max(f, s, n, (size_t)-1);
}

/* A process label for humans: its arguments after spython itself. */
void
argv_label(json_t *argv, char *out, size_t n)
{
    size_t i, o = 0;
    json_t *a;

    out[0] = '\0';
    json_array_foreach(argv, i, a) {
        if (i > 0 && o < n)
            o += (size_t)snprintf(out + o, n - o, "%s%s", o ? " " : "",
                                  json_string_value(a) ? json_string_value(a) : "?");
    }
}
