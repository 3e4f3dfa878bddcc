/* spython-policy: check a policy without running anything; write the
 * smallest policy that lets a workload recorded in mode learn run.
 *
 *   spython-policy check [-f] FILE
 *   spython-policy learn [-x] LOG...
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "policy/policy.h"
#include "policy/rules.h"

#define LINE_VALUES 48              /* per policy line, well under its limits */
#define LINE_BYTES 3072

static void
usage(void)
{
    fprintf(stderr,
            "usage: spython-policy check [-f] FILE\n"
            "       spython-policy learn [-x] LOG...\n"
            "check: read FILE as spython would (trust checks, includes, every rule);\n"
            "       -f: FILE is a fragment for include (no keyring, log, search-path).\n"
            "learn: print allow-lists that let the workload in LOG (run in mode learn)\n"
            "       run and deny anything else; -x: written files exactly, not their\n"
            "       directories.\n");
    exit(2);
}

__attribute__((format(printf, 1, 2), noreturn))
static void
die(const char *fmt, ...)
{
    va_list ap;

    fputs("spython-policy: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* ---- check ---- */

static int
cmd_check(int argc, char **argv)
{
    struct policy p;
    char err[1024], abs[PATH_MAX], *buf;
    int c, fragment = 0, r;

    while ((c = getopt(argc, argv, "f")) != -1) {
        if (c != 'f')
            usage();
        fragment = 1;
    }
    if (optind != argc - 1)
        usage();
    if (fragment) {
        /* Read it the way an include reads it: same trust check, same parser. */
        if (realpath(argv[optind], abs) == NULL)
            die("%s: %s", argv[optind], strerror(errno));
        if (asprintf(&buf, "include %s\n", abs) < 0)
            die("out of memory");
        r = policy_parse_buffer("spython-policy", buf, strlen(buf), &p, err, sizeof(err));
        free(buf);
    } else {
        r = policy_load(argv[optind], &p, err, sizeof(err));
    }
    if (r < 0)
        die("%s", err);
    printf("%s: ok: %zu rules, %zu allow-list lines, %zu packages, mode %s\n",
           argv[optind], rules_count(p.rules), rules_list_count(p.rules),
           rules_n_packages(p.rules), policy_mode_names[p.mode]);
    policy_free(&p);
    return 0;
}

/* ---- learn ---- */

struct strset {
    char **v;
    size_t n;
};

enum { S_EVENT, S_EXEC, S_WRITE, S_CONNECT, S_BIND, S_LOOKUP, S_MAX };

static const char *const set_directive[S_MAX] = {
    "allow-event", "allow-exec", "allow-write", "allow-connect", "allow-bind", "allow-lookup",
};
/* The key in a line's "learn" object for each allow-list (S_EVENT: none). */
static const char *const set_key[S_MAX] = {
    NULL, "exec", "write", "connect", "bind", "lookup",
};

struct scope {
    char *name;                     /* NULL: everywhere */
    struct strset set[S_MAX];
};

struct learner {
    struct scope *scope;
    size_t n_scope;
    struct strset runs;
    int exact;
    size_t lines, unknown, unwritable;
};

static char *
xstrdup(const char *s)
{
    char *c = strdup(s);

    if (c == NULL)
        die("out of memory");
    return c;
}

static void
set_add(struct strset *s, const char *v)
{
    char **nv = reallocarray(s->v, s->n + 1, sizeof(*s->v));

    if (nv == NULL)
        die("out of memory");
    s->v = nv;
    s->v[s->n++] = xstrdup(v);
}

static int
compare_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
set_sort_unique(struct strset *s)
{
    size_t i, o = 0;

    if (s->n == 0)
        return;                 /* qsort(NULL, 0, ...) is undefined behaviour */
    qsort(s->v, s->n, sizeof(*s->v), compare_str);
    for (i = 0; i < s->n; i++) {
        if (o > 0 && strcmp(s->v[o - 1], s->v[i]) == 0)
            free(s->v[i]);
        else
            s->v[o++] = s->v[i];
    }
    s->n = o;
}

/* The index of a scope (NULL: everywhere), added on first sight; an index
 * because adding one moves the array. */
static size_t
scope_get(struct learner *l, const char *name)
{
    struct scope *ns;

    for (size_t i = 0; i < l->n_scope; i++)
        if ((name == NULL) == (l->scope[i].name == NULL) &&
            (name == NULL || strcmp(name, l->scope[i].name) == 0))
            return i;
    if ((ns = reallocarray(l->scope, l->n_scope + 1, sizeof(*ns))) == NULL)
        die("out of memory");
    l->scope = ns;
    memset(&ns[l->n_scope], 0, sizeof(*ns));
    ns[l->n_scope].name = name ? xstrdup(name) : NULL;
    return l->n_scope++;
}

/* A value goes into the policy as one word that means exactly itself (no
 * blank, comment or glob) and that the policy parser takes: a log is only
 * text, and whoever could write to it could write anything. */
static int
exact_word(const char *directive, const char *s)
{
    char *av[] = { (char *)directive, (char *)s }, err[512];
    struct rules *r = NULL;
    int ok;

    if (!rules_word_ok(s) || rules_has_glob(s))
        return 0;
    ok = rules_parse_line(&r, "learn", av, 2, err, sizeof(err)) == 0;
    rules_free(r);
    return ok;
}

/* Where a written file leads: its directory (a workload that writes a new
 * name each run still runs), the file itself when that is / or with -x. */
static void
add_write(struct learner *l, struct strset *s, const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');

    if (l->exact || slash == NULL || slash == path || (size_t)(slash - path) >= sizeof(dir)) {
        set_add(s, path);
        return;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    set_add(s, dir);
}

static void
add_value(struct learner *l, const size_t *sc, size_t n_sc, int set, const char *v,
          const char *where)
{
    if (!exact_word(set_directive[set], v)) {
        fprintf(stderr, "spython-policy: %s: '%s' cannot be written in a policy; "
                "not allowed\n", where, v);
        l->unwritable++;
        return;
    }
    for (size_t i = 0; i < n_sc; i++) {
        if (set == S_WRITE)
            add_write(l, &l->scope[sc[i]].set[set], v);
        else
            set_add(&l->scope[sc[i]].set[set], v);
    }
}

static void
note_unknown(struct learner *l, const char *where, const char *event, const char *what)
{
    fprintf(stderr, "spython-policy: %s: %s: the %s could not be read; not allowed\n",
            where, event, what);
    l->unknown++;
}

/* A JSON string as a C string; NULL for anything else, or one with a NUL
 * inside (the log escapes NUL faithfully; a policy word cannot hold one). */
static const char *
jstr(json_t *v)
{
    const char *s = json_string_value(v);

    return s != NULL && strlen(s) == json_string_length(v) ? s : NULL;
}

/* A spython.start line of a learn run: its argv, for the header. */
static void
learn_start(struct learner *l, json_t *args)
{
    json_t *argv = json_object_get(args, "argv"), *mode = json_object_get(args, "mode"), *a;
    char line[512];
    size_t i, n = 0;

    if (!json_is_array(argv) || jstr(mode) == NULL || strcmp(jstr(mode), "learn") != 0)
        return;
    json_array_foreach(argv, i, a) {
        const char *s = jstr(a) ? jstr(a) : "?";
        for (; *s && n + 2 < sizeof(line); s++)
            line[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
        if (n + 2 < sizeof(line))
            line[n++] = ' ';
    }
    line[n > 0 ? n - 1 : 0] = '\0';
    set_add(&l->runs, line);
}

static void
learn_line(struct learner *l, json_t *o, const char *where)
{
    static const char *const what[S_MAX] = {
        NULL, "executable", "path written", "address", "address", "name",
    };
    json_t *ev = json_object_get(o, "event"), *learn = json_object_get(o, "learn");
    json_t *scopes, *v, *item;
    size_t sc[64], n_sc = 0, i;
    const char *event;
    int s;

    if ((event = jstr(ev)) == NULL)
        return;
    if (strcmp(event, "spython.start") == 0) {
        learn_start(l, json_object_get(o, "args"));
        return;
    }
    if (!json_is_object(learn) || !json_is_array(scopes = json_object_get(learn, "scope")))
        return;
    l->lines++;
    /* An event counts everywhere and in each package on the stack: every
     * list that applies when it fires again must allow it. */
    sc[n_sc++] = scope_get(l, NULL);
    json_array_foreach(scopes, i, item) {
        const char *pkg = jstr(item);
        char *av[] = { "module", (char *)pkg, "allow-exec" }, err[512];
        struct rules *r = NULL;
        int ok = pkg != NULL && n_sc < sizeof(sc) / sizeof(sc[0]) && strchr(pkg, '.') == NULL &&
                 rules_parse_line(&r, "learn", av, 3, err, sizeof(err)) == 0;

        rules_free(r);
        if (ok)
            sc[n_sc++] = scope_get(l, pkg);
    }
    add_value(l, sc, n_sc, S_EVENT, event, where);
    for (s = S_EXEC; s < S_MAX; s++) {
        if ((v = json_object_get(learn, set_key[s])) == NULL)
            continue;
        if (jstr(v) != NULL) {
            add_value(l, sc, n_sc, s, jstr(v), where);
        } else if (s == S_WRITE && json_is_array(v)) {
            json_array_foreach(v, i, item)
                if (jstr(item) != NULL)
                    add_value(l, sc, n_sc, s, jstr(item), where);
        } else {
            note_unknown(l, where, event, what[s]);
        }
    }
}

static void
learn_file(struct learner *l, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, where[PATH_MAX + 32];
    size_t cap = 0, lineno = 0;
    ssize_t n;
    json_error_t jerr;
    json_t *o;

    if (f == NULL)
        die("%s: %s", path, strerror(errno));
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        /* Most lines of a log are not for us; parse only the candidates. */
        if (strstr(line, "\"learn\":") == NULL && strstr(line, "\"spython.start\"") == NULL)
            continue;
        snprintf(where, sizeof(where), "%s:%zu", path, lineno);
        if ((o = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                            &jerr)) == NULL) {
            fprintf(stderr, "spython-policy: %s: not JSON (%s); skipped\n", where, jerr.text);
            continue;
        }
        if (json_is_object(o))
            learn_line(l, o, where);
        json_decref(o);
    }
    if (ferror(f))
        die("%s: %s", path, strerror(errno));
    free(line);
    fclose(f);
}

/* Drop written directories that another entry already covers. */
static void
write_collapse(struct strset *s)
{
    size_t i, o = 0, n;

    for (i = 0; i < s->n; i++) {
        /* Sorted: a covering entry comes right before what it covers. */
        n = o > 0 ? strlen(s->v[o - 1]) : 0;
        if (o > 0 && strncmp(s->v[o - 1], s->v[i], n) == 0 && s->v[i][n] == '/')
            free(s->v[i]);
        else
            s->v[o++] = s->v[i];
    }
    s->n = o;
}

static void
emit_list(FILE *out, const char *prefix, const char *directive, const struct strset *s)
{
    size_t i = 0, words, bytes;

    do {
        bytes = (size_t)fprintf(out, "%s%s", prefix, directive);
        for (words = 0; i < s->n && words < LINE_VALUES &&
             bytes + strlen(s->v[i]) + 1 < LINE_BYTES; words++, i++)
            bytes += (size_t)fprintf(out, " %s", s->v[i]);
        fputc('\n', out);
    } while (i < s->n);
}

static void
emit(struct learner *l, FILE *out, char **logs, int n_logs)
{
    char prefix[512];
    size_t i;
    int s;

    fprintf(out, "# Written by spython-policy learn from");
    for (int k = 0; k < n_logs; k++)
        fprintf(out, " %s", logs[k]);
    fprintf(out, "\n# %zu events of %zu run(s):\n", l->lines, l->runs.n);
    for (i = 0; i < l->runs.n; i++)
        fprintf(out, "#   %s\n", l->runs.v[i]);
    fprintf(out, "# Include it with the default rules. Whatever this workload did not do\n"
                 "# is denied: other events, executables, writes, addresses and names.\n");
    for (i = 0; i < l->n_scope; i++) {
        struct scope *sc = &l->scope[i];
        prefix[0] = '\0';
        if (sc->name != NULL) {
            snprintf(prefix, sizeof(prefix), "module %s ", sc->name);
            fprintf(out, "\n# code of %s on the stack\n", sc->name);
        } else {
            fprintf(out, "\n# everywhere\n");
        }
        for (s = 0; s < S_MAX; s++) {
            set_sort_unique(&sc->set[s]);
            if (s == S_WRITE)
                write_collapse(&sc->set[s]);
            emit_list(out, prefix, set_directive[s], &sc->set[s]);
        }
    }
}

static void
set_free(struct strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static void
learner_free(struct learner *l)
{
    for (size_t i = 0; i < l->n_scope; i++) {
        free(l->scope[i].name);
        for (int s = 0; s < S_MAX; s++)
            set_free(&l->scope[i].set[s]);
    }
    free(l->scope);
    set_free(&l->runs);
}

static int
scope_cmp(const void *a, const void *b)
{
    const struct scope *x = a, *y = b;

    if (x->name == NULL || y->name == NULL)
        return (x->name != NULL) - (y->name != NULL);
    return strcmp(x->name, y->name);
}

static int
cmd_learn(int argc, char **argv)
{
    struct learner l = { 0 };
    struct policy p;
    char *text = NULL, err[1024];
    size_t len = 0;
    FILE *mem;
    int c;

    while ((c = getopt(argc, argv, "x")) != -1) {
        if (c != 'x')
            usage();
        l.exact = 1;
    }
    if (optind >= argc)
        usage();
    for (c = optind; c < argc; c++)
        learn_file(&l, argv[c]);
    if (l.lines == 0)
        die("no line of a mode learn run in the log(s)");
    if (l.n_scope > 0)
        qsort(l.scope, l.n_scope, sizeof(*l.scope), scope_cmp);
    if ((mem = open_memstream(&text, &len)) == NULL)
        die("out of memory");
    emit(&l, mem, argv + optind, argc - optind);
    if (fclose(mem) != 0)
        die("out of memory");
    /* What we print must be a policy spython reads back. */
    if (policy_parse_buffer("(generated)", text, len, &p, err, sizeof(err)) < 0)
        die("internal error: the generated policy does not parse: %s", err);
    policy_free(&p);
    fwrite(text, 1, len, stdout);
    free(text);
    learner_free(&l);
    if (fflush(stdout) != 0)
        die("stdout: %s", strerror(errno));
    if (l.unknown + l.unwritable > 0)
        fprintf(stderr, "spython-policy: %zu value(s) could not be learned (above); the "
                "workload will be denied there\n", l.unknown + l.unwritable);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "learn") == 0)
        return cmd_learn(argc - 1, argv + 1);
    usage();
}
