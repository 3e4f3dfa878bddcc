/* spython-audit report [-k KEYFILE] -o FILE.html LOG...
 *
 * One self-contained HTML file for offline review: no script, no fetch (a
 * Content-Security-Policy says so to the browser too). Sections: integrity
 * (the verify verb's findings), denials, transcripts (anomalies with their
 * source, benign collapsed, exec of code no transcript covers), processes,
 * and a timeline per process with denials highlighted.
 *
 * Bounded memory: pass 1 counts; pass 2 renders the rows of the processes
 * shown into a temporary file and remembers where each row is; the page is
 * then written section by section. Every list has a cap, stated on the page
 * where it cuts. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/json.h"
#include "audit/tool/tool.h"

#define PROCS_MAX 65536
#define TIMELINES_MAX 200       /* processes with a timeline */
#define ROWS_MAX 300            /* rows per timeline, denials besides */
#define DENIALS_MAX 1000
#define SOURCES_MAX 500         /* anomalies shown with their source */
#define SOURCE_BYTES_MAX (256 * 1024)
#define UNTRACKED_MAX 200
#define ARGS_SHOWN 300          /* characters of args in a row */

struct row {
    uint64_t off;
    uint32_t len;
};

struct rows {
    struct row *v;
    size_t n, cap;
};

struct rproc {
    json_int_t pid;
    char chain[33];
    char first[32], last[32];
    char argv[300];
    uint64_t lines, denials, rows_dropped;
    int exited;
    struct rows *rows;          /* NULL unless it has a timeline */
};

struct report {
    struct map procs;
    struct tscan t;
    struct rows denials, untracked;
    uint64_t lines, denial_count, untracked_count;
    char first[32], last[32];
    FILE *rowf;                 /* rendered rows */
};

/* Text into HTML. Controls and bytes that are not UTF-8 (a transcript of
 * latin-1 source, say) would show as nothing or as U+FFFD: they are shown
 * as \xNN, marked. */
void
html_escape(FILE *f, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i, k;

    for (i = 0; i < n; i += k) {
        k = u[i] < 0x80 ? 1 : utf8_valid_len(u + i, n - i);
        switch (k == 1 ? u[i] : 0x80) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        case '\n': case '\t': fputc(u[i], f); break;
        default:
            if (k == 0 || (k == 1 && (u[i] < 0x20 || u[i] == 0x7f)) ||
                (u[i] == 0xc2 && u[i + 1] < 0xa0)) {
                fprintf(f, "<span class=\"ctl\">\\x%02x</span>", u[i]);
                k = 1;
            } else {
                fwrite(u + i, 1, k, f);
            }
        }
    }
}

static void
html_str(FILE *f, const char *s)
{
    html_escape(f, s, strlen(s));
}

static int
rows_add(struct rows *r, uint64_t off, uint64_t len)
{
    struct row *v;

    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        if ((v = realloc(r->v, cap * sizeof(*v))) == NULL)
            return -1;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n].off = off;
    r->v[r->n].len = (uint32_t)len;
    r->n++;
    return 0;
}

static void
rows_copy(FILE *out, FILE *rowf, const struct rows *r)
{
    char buf[8192];
    size_t i, n, k;

    for (i = 0; i < r->n; i++) {
        if (fseeko(rowf, (off_t)r->v[i].off, SEEK_SET) < 0)
            return;
        for (n = r->v[i].len; n > 0; n -= k) {
            k = fread(buf, 1, n < sizeof(buf) ? n : sizeof(buf), rowf);
            if (k == 0)
                return;
            fwrite(buf, 1, k, out);
        }
    }
}

/* ---- pass 1 ------------------------------------------------------------------ */

static struct rproc *
proc_of(struct report *rp, const struct ev *e, int add)
{
    struct rproc *p;
    int added;

    if (!add)
        return e->chain[0] ? map_get(&rp->procs, e->chain, strlen(e->chain))
                           : map_get(&rp->procs, &e->pid, sizeof(e->pid));
    p = e->chain[0] ? map_put(&rp->procs, e->chain, strlen(e->chain), sizeof(*p), &added)
                    : map_put(&rp->procs, &e->pid, sizeof(e->pid), sizeof(*p), &added);
    if (p != NULL && added) {
        p->pid = e->pid;
        snprintf(p->chain, sizeof(p->chain), "%s", e->chain);
        snprintf(p->first, sizeof(p->first), "%s", e->ts);
    }
    return p;
}

static void
pass1_line(struct report *rp, const struct ev *e)
{
    struct rproc *p;

    if (e->ts[0] && (rp->first[0] == '\0' || strcmp(e->ts, rp->first) < 0))
        snprintf(rp->first, sizeof(rp->first), "%s", e->ts);
    if (strcmp(e->ts, rp->last) > 0)
        snprintf(rp->last, sizeof(rp->last), "%s", e->ts);
    tscan_line(&rp->t, e);
    if ((p = proc_of(rp, e, 1)) == NULL)
        return;
    snprintf(p->last, sizeof(p->last), "%s", e->ts);
    p->lines++;
    if (is_denial(e))
        p->denials++;
    if (strcmp(e->event, "spython.start") == 0)
        argv_label(json_object_get(e->args, "argv"), p->argv, sizeof(p->argv));
    if (strcmp(e->event, "spython.exit") == 0)
        p->exited = 1;
}

/* ---- pass 2: rows ----------------------------------------------------------- */

static void
render_row(struct report *rp, const struct ev *e, int with_pid, struct rows *into)
{
    char args[ARGS_SHOWN + 1];
    size_t n, k = 0;
    off_t start = ftello(rp->rowf);
    const char *reason = jstr(e->root, "reason");

    n = e->args ? json_dumpb(e->args, args, ARGS_SHOWN, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
    /* Cut before a character that did not fit whole. */
    if (n > ARGS_SHOWN) {
        for (k = ARGS_SHOWN; k > 0 && ((unsigned char)args[k - 1] & 0xc0) == 0x80; k--)
            ;
        if (k > 0 && (unsigned char)args[k - 1] >= 0xc0 &&
            utf8_valid_len((const unsigned char *)args + k - 1, ARGS_SHOWN - (k - 1)) == 0)
            k--;
        else
            k = ARGS_SHOWN;
    }
    fprintf(rp->rowf, "<tr class=\"%s\"><td>", is_denial(e) ? "deny" : "ok");
    html_str(rp->rowf, e->ts);
    if (with_pid) {
        fputs("</td><td><a href=\"#p", rp->rowf);
        html_str(rp->rowf, e->chain);
        fprintf(rp->rowf, "\">%lld</a>", (long long)e->pid);
    }
    fputs("</td><td>", rp->rowf);
    html_escape(rp->rowf, e->event, e->event_len);
    fputs("</td><td>", rp->rowf);
    html_str(rp->rowf, e->decision);
    if (reason[0]) {
        fputs(": ", rp->rowf);
        html_str(rp->rowf, reason);
    }
    fputs("</td><td><code>", rp->rowf);
    html_escape(rp->rowf, args, n < ARGS_SHOWN ? n : k);
    if (n > ARGS_SHOWN)
        fputs("&hellip;", rp->rowf);
    fputs("</code></td></tr>\n", rp->rowf);
    if (start >= 0)
        (void)rows_add(into, (uint64_t)start, (uint64_t)(ftello(rp->rowf) - start));
}

static void
pass2_line(struct report *rp, const struct ev *e)
{
    struct rproc *p = proc_of(rp, e, 0);
    const char *origin;

    if (is_denial(e) && rp->denial_count++ < DENIALS_MAX)
        render_row(rp, e, 1, &rp->denials);
    if (exec_untracked(e, &origin) && rp->untracked_count++ < UNTRACKED_MAX)
        render_row(rp, e, 1, &rp->untracked);
    if (p == NULL || p->rows == NULL)
        return;
    /* Continuation parts of a transcript are one event. */
    if (strcmp(e->event, "compile") == 0 && jint(e->args, "part") > 1)
        return;
    if (p->rows->n < ROWS_MAX || (is_denial(e) && p->rows->n < ROWS_MAX + DENIALS_MAX))
        render_row(rp, e, 0, p->rows);
    else
        p->rows_dropped++;
}

/* ---- the page ---------------------------------------------------------------- */

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;margin-top:2em}"
    "table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #eee;padding:2px 6px;vertical-align:top;text-align:left}"
    "tr.deny td{background:#fde2e2;font-weight:600}"
    "code,pre{font:12px/1.3 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}"
    "pre.src{background:#f6f6f6;padding:8px;border:1px solid #ddd;max-height:40em;overflow:auto}"
    ".ok-box{background:#e6f4ea;padding:6px}.bad-box{background:#fde2e2;padding:6px}"
    ".warn-box{background:#fff4d6;padding:6px}.ctl{color:#c00}.benign{color:#666}"
    "details{margin:.4em 0}summary{cursor:pointer}";

static void
page_head(FILE *o, struct report *rp, char *const *files, int n)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    int i;

    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">\n<title>spython audit report</title>\n"
            "<style>%s</style></head><body>\n<h1>spython audit report</h1>\n<p>Log:", style);
    for (i = 0; i < n; i++) {
        fputs(" <code>", o);
        html_str(o, files[i]);
        fputs("</code>", o);
    }
    fprintf(o, "<br>%llu lines, ", (unsigned long long)rp->lines);
    html_str(o, rp->first[0] ? rp->first : "-");
    fputs(" .. ", o);
    html_str(o, rp->last[0] ? rp->last : "-");
    fprintf(o, "<br>Made %s by spython-audit. "
            "<a href=\"#integrity\">Integrity</a> &middot; <a href=\"#denials\">Denials</a> "
            "&middot; <a href=\"#transcripts\">Transcripts</a> &middot; "
            "<a href=\"#processes\">Processes</a></p>\n", now);
}

static void
page_integrity(FILE *o, char *const *files, int n, const uint8_t *key, size_t keylen)
{
    static const char *const verdict[] = {
        "ok-box\">Every chain is intact and closed.",
        "bad-box\">Evidence of tampering or damage: see below.",
        "warn-box\">Nothing altered was found, but not everything could be verified.",
        "warn-box\">Not everything could be verified.",
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int rc;

    if (mem == NULL)
        return;
    rc = verify_run(files, n, key, keylen, mem, 1);
    fclose(mem);
    fprintf(o, "<h2 id=\"integrity\">Integrity</h2>\n<p class=\"%s</p>\n<pre>",
            verdict[rc >= 0 && rc <= 3 ? rc : 3]);
    html_escape(o, buf, len);
    fputs("</pre>\n", o);
    free(buf);
}

static void
table_head(FILE *o, int with_pid)
{
    fprintf(o, "<table><tr><th>time</th>%s<th>event</th><th>decision</th><th>args</th></tr>\n",
            with_pid ? "<th>pid</th>" : "");
}

static void
page_transcripts(FILE *o, struct report *rp, char *const *files, int n)
{
    struct reader *src = reader_open(files, n);
    struct tgroup **v;
    size_t ng = 0, i, shown = 0;
    int k;

    fputs("<h2 id=\"transcripts\">Transcripts</h2>\n", o);
    if ((v = tscan_sorted(&rp->t, &ng)) == NULL || src == NULL)
        goto done;
    reader_quiet(src);
    fputs("<h3>Anomalies: dynamic code not from a known generator</h3>\n", o);
    for (i = 0; i < ng && v[i]->benign[0] == '\0'; i++) {
        struct tgroup *g = v[i];

        fprintf(o, "<details class=\"anomaly\" open><summary><code>%s</code> compiled %llu, "
                "executed %llu &middot; ", g->sha, (unsigned long long)g->compiles,
                (unsigned long long)g->execs);
        html_str(o, g->type);
        fprintf(o, ", %llu bytes%s &middot; first ", (unsigned long long)g->len,
                g->parts > 1 ? " (joined parts)" : "");
        html_str(o, g->first_ts);
        fprintf(o, " pid %lld</summary>\n<p>", (long long)g->pid);
        for (k = 0; k < 4 && g->callers[k][0]; k++) {
            fputs("caller <code>", o);
            html_str(o, g->callers[k]);
            fprintf(o, "</code> &times;%llu<br>", (unsigned long long)g->caller_n[k]);
        }
        fputs("</p>\n", o);
        if (shown++ < SOURCES_MAX) {
            fputs("<pre class=\"src\">", o);
            (void)tsource_write(src, g, o, 1, SOURCE_BYTES_MAX);
            if (g->len > SOURCE_BYTES_MAX)
                fprintf(o, "\n&hellip; (%llu bytes: spython-audit show %s)",
                        (unsigned long long)g->len, g->sha);
            fputs("</pre>\n", o);
        }
        fputs("</details>\n", o);
    }
    if (i == 0)
        fputs("<p>None.</p>\n", o);
    if (shown > SOURCES_MAX)
        fprintf(o, "<p>Sources shown for the first %d; spython-audit show HASH prints any.</p>\n",
                SOURCES_MAX);
    fprintf(o, "<h3 class=\"benign\">Benign: from known generators (collapsed)</h3>\n"
            "<details class=\"benign\"><summary>%zu distinct sources</summary><table>"
            "<tr><th>generator</th><th>sha256</th><th>compiled</th><th>first caller</th></tr>\n",
            ng - i);
    for (; i < ng; i++) {
        fputs("<tr><td>", o);
        html_str(o, v[i]->benign);
        fprintf(o, "</td><td><code>%s</code></td><td>%llu</td><td><code>", v[i]->sha,
                (unsigned long long)v[i]->compiles);
        html_str(o, v[i]->callers[0]);
        fputs("</code></td></tr>\n", o);
    }
    fputs("</table></details>\n", o);
    fprintf(o, "<h3>Exec of code no transcript covers (%llu)</h3>\n",
            (unsigned long long)rp->untracked_count);
    table_head(o, 1);
    rows_copy(o, rp->rowf, &rp->untracked);
    fputs("</table>\n", o);
    if (rp->t.overflow)
        fprintf(o, "<p>%llu compiles beyond %d distinct sources are not grouped.</p>\n",
                (unsigned long long)rp->t.overflow, TGROUPS_MAX);
done:
    reader_close(src);
    free(v);
}

static void
gather(const void *key, size_t klen, void *v, void *ctx)
{
    struct rproc ***p = ctx;

    *(*p)++ = v;
}

static int
by_first(const void *a, const void *b)
{
    return strcmp((*(struct rproc *const *)a)->first, (*(struct rproc *const *)b)->first);
}

static void
page_processes(FILE *o, struct rproc **pv, size_t n)
{
    size_t i;

    fprintf(o, "<h2 id=\"processes\">Processes (%zu)</h2>\n<table><tr><th>started</th>"
            "<th>pid</th><th>chain</th><th>lines</th><th>denials</th><th>end</th>"
            "<th>command</th></tr>\n", n);
    for (i = 0; i < n; i++) {
        fprintf(o, "<tr class=\"%s\"><td>", pv[i]->denials ? "deny" : "ok");
        html_str(o, pv[i]->first);
        fprintf(o, "</td><td>%lld</td><td>", (long long)pv[i]->pid);
        if (pv[i]->rows != NULL) {
            fputs("<a href=\"#p", o);
            html_str(o, pv[i]->chain);
            fputs("\">", o);
        }
        html_str(o, pv[i]->chain);
        fprintf(o, "%s</td><td>%llu</td><td>%llu</td><td>%s</td><td><code>",
                pv[i]->rows != NULL ? "</a>" : "", (unsigned long long)pv[i]->lines,
                (unsigned long long)pv[i]->denials, pv[i]->exited ? "exited" : "open");
        html_str(o, pv[i]->argv);
        fputs("</code></td></tr>\n", o);
    }
    fputs("</table>\n", o);
}

static void
page_timelines(FILE *o, struct report *rp, struct rproc **pv, size_t n)
{
    size_t i;

    fputs("<h2 id=\"timelines\">Timelines</h2>\n", o);
    for (i = 0; i < n; i++) {
        if (pv[i]->rows == NULL)
            continue;
        fputs("<details id=\"p", o);
        html_str(o, pv[i]->chain);
        fprintf(o, "\"%s><summary>pid %lld &middot; ", pv[i]->denials ? " open" : "",
                (long long)pv[i]->pid);
        html_str(o, pv[i]->first);
        fputs(" &middot; <code>", o);
        html_str(o, pv[i]->argv);
        fprintf(o, "</code> &middot; %llu lines, %llu denials</summary>\n",
                (unsigned long long)pv[i]->lines, (unsigned long long)pv[i]->denials);
        table_head(o, 0);
        rows_copy(o, rp->rowf, pv[i]->rows);
        fputs("</table>\n", o);
        if (pv[i]->rows_dropped) {
            fprintf(o, "<p>%llu more lines: spython-audit filter --chain ",
                    (unsigned long long)pv[i]->rows_dropped);
            html_str(o, pv[i]->chain);
            fputs("</p>\n", o);
        }
        fputs("</details>\n", o);
    }
    if (n > TIMELINES_MAX)
        fprintf(o, "<p>Timelines for the first %d processes; spython-audit filter --pid N "
                "for the others.</p>\n", TIMELINES_MAX);
}

int
cmd_report(int argc, char **argv)
{
    struct report rp = { .procs = { .cap = PROCS_MAX }, .t = { .groups = { .cap = TGROUPS_MAX } } };
    struct rproc **pv = NULL, **pp;
    struct reader *r = NULL;
    const char *outpath = NULL;
    uint8_t key[1025];
    size_t keylen = 0, i;
    FILE *o = NULL;
    char *tmp = NULL;
    struct ev e;
    int opt, rc = 2, nfiles;
    char *const *files;

    while ((opt = getopt(argc, argv, "o:k:")) != -1) {
        if (opt == 'o')
            outpath = optarg;
        else if (opt != 'k' || read_seal_key(optarg, key, &keylen) < 0)
            goto usage;
    }
    if (outpath == NULL || optind >= argc)
        goto usage;
    files = argv + optind;
    nfiles = argc - optind;
    if ((r = reader_open(files, nfiles)) == NULL)
        goto done;
    if (!reader_rewindable(r)) {
        fprintf(stderr, "spython-audit: report reads the files more than once: "
                "standard input will not do\n");
        goto done;
    }
    while (reader_next(r, &e) > 0) {
        rp.lines++;
        if (e.root != NULL)
            pass1_line(&rp, &e);
    }
    if ((pv = calloc(rp.procs.n + 1, sizeof(*pv))) == NULL || (rp.rowf = tmpfile()) == NULL)
        goto done;
    pp = pv;
    map_each(&rp.procs, gather, &pp);
    qsort(pv, rp.procs.n, sizeof(*pv), by_first);
    for (i = 0; i < rp.procs.n && i < TIMELINES_MAX; i++)
        if ((pv[i]->rows = calloc(1, sizeof(*pv[i]->rows))) == NULL)
            goto done;
    reader_summary(r);
    reader_close(r);
    if ((r = reader_open(files, nfiles)) == NULL)
        goto done;
    reader_quiet(r);
    while (reader_next(r, &e) > 0)
        if (e.root != NULL)
            pass2_line(&rp, &e);
    /* Written beside its final name, renamed when whole. */
    if (asprintf(&tmp, "%s.tmp", outpath) < 0 || (o = fopen(tmp, "we")) == NULL) {
        perror(outpath);
        goto done;
    }
    page_head(o, &rp, files, nfiles);
    page_integrity(o, files, nfiles, keylen ? key : NULL, keylen);
    fprintf(o, "<h2 id=\"denials\">Denials (%llu)</h2>\n", (unsigned long long)rp.denial_count);
    table_head(o, 1);
    rows_copy(o, rp.rowf, &rp.denials);
    fputs("</table>\n", o);
    if (rp.denial_count > DENIALS_MAX)
        fprintf(o, "<p>The first %d; spython-audit filter --decision denied lists all.</p>\n",
                DENIALS_MAX);
    page_transcripts(o, &rp, files, nfiles);
    page_processes(o, pv, rp.procs.n);
    page_timelines(o, &rp, pv, rp.procs.n);
    fputs("</body></html>\n", o);
    if (ferror(o) | fclose(o)) {
        o = NULL;
        fprintf(stderr, "spython-audit: %s: write error\n", tmp);
        goto done;
    }
    o = NULL;
    if (rename(tmp, outpath) < 0) {
        perror(outpath);
        goto done;
    }
    rc = 0;
done:
    if (o != NULL)
        fclose(o);
    if (rc != 0 && tmp != NULL)
        unlink(tmp);
    free(tmp);
    for (i = 0; pv != NULL && i < rp.procs.n; i++) {
        if (pv[i]->rows != NULL)
            free(pv[i]->rows->v);
        free(pv[i]->rows);
    }
    free(pv);
    free(rp.denials.v);
    free(rp.untracked.v);
    if (rp.rowf != NULL)
        fclose(rp.rowf);
    map_free(&rp.t.groups);
    map_free(&rp.procs);
    reader_close(r);
    explicit_bzero(key, sizeof(key));
    return rc;
usage:
    fprintf(stderr, "usage: spython-audit report [-k KEYFILE] -o FILE.html LOG...\n");
    return 2;
}
