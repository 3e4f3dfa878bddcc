/* spython-audit transcripts LOG...   dynamic code grouped by SHA-256
 * spython-audit show HASH LOG...     one source, whole
 *
 * A group is one source text: how often it was compiled and executed, by
 * which callers. Anomalies (not from a known generator) come first; benign
 * ones are collapsed per generator. Sources are not kept in memory: a group
 * remembers where its first part 1 is, and its parts are read from there. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit/chain.h"
#include "audit/tool/tool.h"

#define PREVIEW_BYTES 240
#define PREVIEW_GROUPS 200
/* Parts of one source follow each other in its chain; this far is too far. */
#define PART_SCAN_LINES 1000000

static void
caller_label(json_t *caller, char *out, size_t n)
{
    snprintf(out, n, "%s:%lld (%s)", jstr(caller, "file"),
             (long long)jint(caller, "line"), jstr(caller, "function"));
}

/* A dynamic-code line, with its digest as 64 lowercase hex digits (a
 * digest is shown and used as a name: anything else is not one). */
static int
is_transcript(const struct ev *e, const char **sha)
{
    uint8_t md[32];

    if (e->event_len != 7 || strcmp(e->event, "compile") != 0 || !json_is_object(e->args))
        return 0;
    *sha = jstr(e->args, "sha256");
    return strlen(*sha) == 64 && chain_unhex(md, *sha, 32) == 0;
}

int
exec_untracked(const struct ev *e, const char **origin)
{
    json_t *code;

    if (e->event_len != 4 || strcmp(e->event, "exec") != 0 || !json_is_array(e->args))
        return 0;
    code = json_array_get(e->args, 0);
    *origin = jstr(code, "origin");
    /* A transcript, a verified file, or code frozen into libpython. */
    return json_is_object(code) && strcmp(*origin, "transcript") != 0 &&
           strcmp(*origin, "verified") != 0 && strcmp(*origin, "frozen") != 0;
}

void
tscan_line(struct tscan *t, const struct ev *e)
{
    const char *sha, *origin, *benign;
    struct tgroup *g;
    json_int_t part;
    char label[160];
    int added, i;

    if (exec_untracked(e, &origin)) {
        t->untracked_execs++;
        return;
    }
    if (e->event_len == 4 && strcmp(e->event, "exec") == 0) {
        sha = jstr(json_array_get(e->args, 0), "transcript");
        if ((g = map_get(&t->groups, sha, strlen(sha))) != NULL)
            g->execs++;
        return;
    }
    if (!is_transcript(e, &sha) || (part = jint(e->args, "part")) > 1)
        return;
    if ((g = map_put(&t->groups, sha, 64, sizeof(*g), &added)) == NULL) {
        t->overflow++;
        return;
    }
    benign = jstr(e->args, "benign");
    if (added) {
        memcpy(g->sha, sha, 64);
        snprintf(g->type, sizeof(g->type), "%s", jstr(e->args, "source_type"));
        g->len = (uint64_t)jint(e->args, "len");
        g->parts = part == 1 ? (uint64_t)jint(e->args, "parts") : 1;
        snprintf(g->benign, sizeof(g->benign), "%s", benign);
        snprintf(g->first_ts, sizeof(g->first_ts), "%s", e->ts);
        snprintf(g->chain, sizeof(g->chain), "%s", e->chain);
        g->pid = e->pid;
        g->fileno = e->fileno;
        g->offset = e->offset;
        g->lineno = e->lineno;
    } else if (benign[0] == '\0') {
        /* Compiled once outside its generator: an anomaly after all. */
        g->benign[0] = '\0';
    }
    g->compiles++;
    caller_label(json_object_get(e->args, "caller"), label, sizeof(label));
    for (i = 0; i < 4; i++) {
        if (g->callers[i][0] == '\0')
            snprintf(g->callers[i], sizeof(g->callers[i]), "%s", label);
        if (strcmp(g->callers[i], label) == 0) {
            g->caller_n[i]++;
            return;
        }
    }
    g->other_callers++;
}

static void
collect(const void *key, size_t klen, void *v, void *ctx)
{
    struct tgroup ***p = ctx;

    *(*p)++ = v;
}

static int
by_interest(const void *a, const void *b)
{
    const struct tgroup *x = *(struct tgroup *const *)a, *y = *(struct tgroup *const *)b;
    int c = (x->benign[0] != '\0') - (y->benign[0] != '\0');

    if (c != 0)
        return c;
    if (x->compiles != y->compiles)
        return x->compiles > y->compiles ? -1 : 1;
    return strcmp(x->first_ts, y->first_ts);
}

struct tgroup **
tscan_sorted(struct tscan *t, size_t *n)
{
    struct tgroup **v = calloc(t->groups.n + 1, sizeof(*v)), **p = v;

    if (v == NULL)
        return NULL;
    map_each(&t->groups, collect, &p);
    *n = t->groups.n;
    qsort(v, *n, sizeof(*v), by_interest);
    return v;
}

/* The bytes of a "source" value: UTF-8 as it is; with "encoding":"latin-1"
 * each code point is one byte. */
static size_t
source_bytes(json_t *args, const char **p, char *scratch, size_t cap)
{
    json_t *src = json_object_get(args, "source");
    const unsigned char *u = (const unsigned char *)json_string_value(src);
    size_t n = json_string_length(src), i, o = 0;

    *p = (const char *)u;
    if (u == NULL)
        return 0;
    if (strcmp(jstr(args, "encoding"), "latin-1") != 0)
        return n;
    for (i = 0; i < n && o < cap; i++) {
        if (u[i] >= 0xc2 && u[i] <= 0xc3 && i + 1 < n) {
            scratch[o++] = (char)((u[i] & 0x03) << 6 | (u[i + 1] & 0x3f));
            i++;
        } else {
            scratch[o++] = (char)u[i];
        }
    }
    *p = scratch;
    return o;
}

int
tsource_write(struct reader *r, const struct tgroup *g, FILE *f, int html, uint64_t max_bytes)
{
    static char scratch[64 * 1024];
    unsigned char md[32];
    char hex[65];
    const char *sha, *p;
    uint64_t want = 1, written = 0, scanned = 0;
    unsigned int mdlen;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    struct ev e;
    size_t n, k;
    int rc = -1;

    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
        reader_seek(r, g->fileno, g->offset, g->lineno) < 0)
        goto done;
    while (want <= g->parts && scanned++ < PART_SCAN_LINES && reader_next(r, &e) > 0) {
        if (e.root == NULL || !is_transcript(&e, &sha) || memcmp(sha, g->sha, 64) != 0 ||
            strcmp(e.chain, g->chain) != 0 ||
            (g->parts > 1 && (uint64_t)jint(e.args, "part") != want))
            continue;
        n = source_bytes(e.args, &p, scratch, sizeof(scratch));
        EVP_DigestUpdate(ctx, p, n);
        if (written < max_bytes) {
            k = n < max_bytes - written ? n : (size_t)(max_bytes - written);
            if (html)
                html_escape(f, p, k);
            else
                fwrite(p, 1, k, f);
            written += k;
        }
        want++;
    }
    if (want <= g->parts) {
        fprintf(stderr, "spython-audit: %s: part %llu of %llu not found\n", g->sha,
                (unsigned long long)want, (unsigned long long)g->parts);
        goto done;
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    for (k = 0; k < 32; k++)
        snprintf(hex + 2 * k, 3, "%02x", md[k]);
    if (strcmp(hex, g->sha) != 0) {
        fprintf(stderr, "spython-audit: %s: the joined parts hash to %s: altered or "
                "incomplete\n", g->sha, hex);
        goto done;
    }
    rc = 0;
done:
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int
scan(char *const *files, int n, struct tscan *t, struct reader **rp)
{
    struct ev e;
    int rc;

    if ((*rp = reader_open(files, n)) == NULL)
        return -1;
    if (!reader_rewindable(*rp)) {
        fprintf(stderr, "spython-audit: transcripts are read back from the files: "
                "standard input will not do\n");
        return -1;
    }
    t->groups.cap = TGROUPS_MAX;
    while ((rc = reader_next(*rp, &e)) > 0)
        if (e.root != NULL)
            tscan_line(t, &e);
    return rc;
}

struct benign_sum {
    char name[48];
    uint64_t compiles, sources;
};

static void
preview(struct reader *r, const struct tgroup *g)
{
    char *buf = NULL;
    size_t len = 0, i, start;
    FILE *mem = open_memstream(&buf, &len);

    if (mem == NULL)
        return;
    (void)tsource_write(r, g, mem, 0, PREVIEW_BYTES);
    fclose(mem);
    for (start = i = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            if (i > start || i < len) {
                fputs("    | ", stdout);
                put_safe(stdout, buf + start, i - start);
                putchar('\n');
            }
            start = i + 1;
        }
    }
    if (g->len > PREVIEW_BYTES)
        printf("    | ... (%llu bytes: spython-audit show %.16s)\n",
               (unsigned long long)g->len, g->sha);
    free(buf);
}

int
cmd_transcripts(int argc, char **argv)
{
    struct tscan t = { 0 };
    struct tgroup **v = NULL;
    struct benign_sum sums[16] = { 0 };
    struct reader *r = NULL;
    size_t n = 0, i, j, na = 0, nsums = 0;
    uint64_t anomalies = 0;
    int k, rc = 2;

    if (argc < 2) {
        fprintf(stderr, "usage: spython-audit transcripts LOG...\n");
        return 2;
    }
    if (scan(argv + 1, argc - 1, &t, &r) < 0 || (v = tscan_sorted(&t, &n)) == NULL)
        goto done;
    /* The previews read parts of the files again. */
    reader_summary(r);
    reader_quiet(r);
    for (i = 0; i < n && v[i]->benign[0] == '\0'; i++)
        anomalies += v[i]->compiles;
    na = i;
    printf("ANOMALIES: %zu distinct sources, %llu compiles, not from a known generator\n",
           na, (unsigned long long)anomalies);
    for (i = 0; i < na; i++) {
        struct tgroup *g = v[i];

        printf("[%zu] sha256 %s  compiled %llu, executed %llu  ", i + 1, g->sha,
               (unsigned long long)g->compiles, (unsigned long long)g->execs);
        put_safe(stdout, g->type, strlen(g->type));
        printf(", %llu bytes", (unsigned long long)g->len);
        if (g->parts > 1)
            printf(" in %llu parts", (unsigned long long)g->parts);
        fputs("\n    first ", stdout);
        put_safe(stdout, g->first_ts, strlen(g->first_ts));
        printf(" pid %lld\n", (long long)g->pid);
        for (k = 0; k < 4 && g->callers[k][0]; k++) {
            fputs("    caller ", stdout);
            put_safe(stdout, g->callers[k], strlen(g->callers[k]));
            printf(" x%llu\n", (unsigned long long)g->caller_n[k]);
        }
        if (g->other_callers)
            printf("    and %llu calls from other callers\n",
                   (unsigned long long)g->other_callers);
        if (i < PREVIEW_GROUPS)
            preview(r, g);
    }
    for (; i < n; i++) {
        for (j = 0; j < nsums && strcmp(sums[j].name, v[i]->benign) != 0; j++)
            ;
        if (j == nsums && nsums < sizeof(sums) / sizeof(sums[0]))
            snprintf(sums[nsums++].name, sizeof(sums[0].name), "%s", v[i]->benign);
        if (j < nsums) {
            sums[j].compiles += v[i]->compiles;
            sums[j].sources++;
        }
    }
    printf("BENIGN: %zu distinct sources from known generators (collapsed)\n", n - na);
    for (j = 0; j < nsums; j++) {
        fputs("    ", stdout);
        put_safe(stdout, sums[j].name, strlen(sums[j].name));
        printf("  %llu compiles, %llu distinct sources\n",
               (unsigned long long)sums[j].compiles, (unsigned long long)sums[j].sources);
    }
    printf("EXEC OF CODE NO TRANSCRIPT COVERS: %llu (spython-audit filter --event exec)\n",
           (unsigned long long)t.untracked_execs);
    if (t.overflow)
        printf("NOT GROUPED: %llu compiles beyond %d distinct sources "
               "(spython-audit filter --event compile)\n",
               (unsigned long long)t.overflow, TGROUPS_MAX);
    rc = 0;
done:
    free(v);
    map_free(&t.groups);
    reader_close(r);
    return rc;
}

int
cmd_show(int argc, char **argv)
{
    struct reader *r = NULL;
    struct tgroup g = { 0 };
    const char *sha, *want;
    size_t wl;
    struct ev e;
    int rc = 2, found = 0;

    if (argc < 3 || (wl = strlen(argv[1])) < 8 || wl > 64) {
        fprintf(stderr, "usage: spython-audit show HASH LOG...  "
                "(HASH: the sha256, or 8 or more of its first digits)\n");
        return 2;
    }
    want = argv[1];
    if ((r = reader_open(argv + 2, argc - 2)) == NULL)
        return 2;
    if (!reader_rewindable(r)) {
        fprintf(stderr, "spython-audit: show reads the files twice: standard input will not do\n");
        goto done;
    }
    while (!found && reader_next(r, &e) > 0) {
        if (e.root == NULL || !is_transcript(&e, &sha) || strncmp(sha, want, wl) != 0 ||
            jint(e.args, "part") > 1)
            continue;
        memcpy(g.sha, sha, 64);
        snprintf(g.chain, sizeof(g.chain), "%s", e.chain);
        g.parts = jint(e.args, "part") == 1 ? (uint64_t)jint(e.args, "parts") : 1;
        g.fileno = e.fileno;
        g.offset = e.offset;
        g.lineno = e.lineno;
        found = 1;
    }
    reader_quiet(r);
    if (!found) {
        fprintf(stderr, "spython-audit: no transcript ");
        put_safe(stderr, want, wl);
        fprintf(stderr, " in these files\n");
        rc = 1;
        goto done;
    }
    rc = tsource_write(r, &g, stdout, 0, UINT64_MAX) < 0 ? 1 : 0;
done:
    reader_close(r);
    return rc;
}
