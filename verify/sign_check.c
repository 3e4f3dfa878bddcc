/* --check and --verify: each file through the one file-check routine spython
 * itself uses, so the answer is spython's answer. --check lists only what
 * would be refused, counts the reasons, and can say it all as one JSON
 * document for tools that gate a host on it. */
#include <stdio.h>
#include <string.h>

#include "audit/json.h"
#include "verify/sign.h"

static void
check_work(void *ctx, void *tls, struct job *j)
{
    const struct checker *c = ctx;
    struct code_file cf;

    j->v = code_file_read(&c->cfg, j->path, &cf, NULL, &j->err);
    code_file_free(&cf);
    j->out = j->v == V_OK ? O_OK : O_REFUSED;
}

/* A walk error (a directory we cannot read) is, for a check, code nobody
 * could vouch for. */
static void
as_refusal(struct job *j)
{
    if (j->out == O_FAILED) {
        j->out = O_REFUSED;
        j->v = V_UNREADABLE;
    }
}

/* errno says why a file could not be read, or which rule of the kernel's
 * an exec check broke; after a missing xattr it is noise (as in the log). */
static int
errno_tells(const struct job *j)
{
    return j->err != 0 && (j->v == V_UNREADABLE || j->v == V_NOT_REGULAR || j->v == V_EXEC_DENIED);
}

static void
print_refusal(const struct job *j)
{
    if (errno_tells(j))
        printf("%s: %s (%s)\n", j->path, verdict_reason(j->v), strerror(j->err));
    else
        printf("%s: %s\n", j->path, verdict_reason(j->v));
}

static void
check_report(void *ctx, struct job *j)
{
    struct checker *c = ctx;

    if (!c->legacy)
        as_refusal(j);
    c->count[j->out]++;
    if (j->out == O_REFUSED)
        c->reasons[j->v]++;
    if (c->json ||
        (j->out == O_OK && !(c->legacy ? !c->quiet : c->verbose)) ||
        (j->out == O_SKIPPED && !c->verbose))
        return;
    progress_hide(c->pr);
    switch (j->out) {
    case O_OK:
        printf("%s: ok\n", j->path);
        break;
    case O_REFUSED:
        print_refusal(j);
        break;
    case O_SKIPPED:
        fprintf(stderr, "spython-sign: %s: skipped (%s)\n", j->path, j->why);
        break;
    default:
        fprintf(stderr, "spython-sign: %s: %s\n", j->path,
                j->why != NULL ? j->why : strerror(j->err));
        break;
    }
}

const struct pool_ops check_ops = {
    .work = check_work,
    .report = check_report,
};

static void
json_count(struct jbuf *b, const char *key, size_t n)
{
    jbuf_lit(b, key);
    jbuf_u64(b, n);
}

static void
print_json(const struct checker *c, const struct joblist *jl)
{
    const char *r;
    struct jbuf b;
    int first = 1;

    jbuf_init(&b, NULL, 0, 0);
    json_count(&b, "{\"checked\":", c->count[O_OK] + c->count[O_REFUSED]);
    json_count(&b, ",\"ok\":", c->count[O_OK]);
    json_count(&b, ",\"refused\":", c->count[O_REFUSED]);
    json_count(&b, ",\"skipped\":", c->count[O_SKIPPED]);
    jbuf_lit(&b, ",\"reasons\":{");
    for (int v = 0; v < V__COUNT; v++) {
        if (c->reasons[v] == 0)
            continue;
        if (!first)
            jbuf_char(&b, ',');
        first = 0;
        r = verdict_reason((enum verdict)v);
        jbuf_str_utf8(&b, r, strlen(r));
        jbuf_char(&b, ':');
        jbuf_u64(&b, c->reasons[v]);
    }
    jbuf_lit(&b, "},\"refusals\":[");
    first = 1;
    for (size_t i = 0; i < jl->n; i++) {
        const struct job *j = &jl->v[i];

        if (j->out != O_REFUSED)
            continue;
        jbuf_lit(&b, first ? "{\"path\":" : ",{\"path\":");
        first = 0;
        jbuf_str_utf8(&b, j->path, strlen(j->path));
        r = verdict_reason(j->v);
        jbuf_lit(&b, ",\"reason\":");
        jbuf_str_utf8(&b, r, strlen(r));
        if (errno_tells(j)) {
            r = strerror(j->err);
            jbuf_lit(&b, ",\"errno\":");
            jbuf_str_utf8(&b, r, strlen(r));
        }
        jbuf_char(&b, '}');
    }
    jbuf_lit(&b, "]}\n");
    if (b.failed)
        fputs("{\"error\":\"out of memory\"}\n", stdout);
    else
        fwrite(b.p, 1, b.len, stdout);
    jbuf_free(&b);
}

int
check_finish(struct checker *c, const struct joblist *jl)
{
    size_t refused = c->count[O_REFUSED] + c->count[O_FAILED];

    if (c->json) {
        print_json(c, jl);
    } else if (c->legacy) {
        if (!c->quiet)
            printf("%zu verified, %zu failed\n", c->count[O_OK], refused);
    } else if (!c->quiet) {
        printf("%zu checked: %zu ok, %zu refused, %zu skipped\n",
               c->count[O_OK] + c->count[O_REFUSED], c->count[O_OK], c->count[O_REFUSED],
               c->count[O_SKIPPED]);
        for (int v = 0; v < V__COUNT; v++)
            if (c->reasons[v] != 0)
                printf("%8zu %s\n", c->reasons[v], verdict_reason((enum verdict)v));
    }
    return refused == 0 ? 0 : 1;
}
