/* spython-audit summary LOG...: processes, events by type, denials, first
 * and last time, transcripts. */
#include <stdlib.h>
#include <string.h>

#include "audit/tool/tool.h"

#define PROCS_MAX 65536
#define NAMES_MAX 4096
#define SHOW_PROCS 100
#define SHOW_DENIALS 20

struct proc {
    json_int_t pid;
    char chain[33];
    char first[32], last[32];
    char argv[200];
    uint64_t lines, denials;
    int exited;
};

struct name {
    uint64_t n;
    const char *key;            /* points into the map entry */
    size_t klen;
};

struct denial {
    char ts[32], decision[12];
    json_int_t pid;
    char event[81], reason[201];
};

struct summary {
    struct map procs, names;
    uint64_t lines, other_names, untracked_procs, denials;
    char first[32], last[32];
    struct denial shown[SHOW_DENIALS];
};

static void
count(struct summary *s, const struct ev *e)
{
    struct proc *p;
    struct name *nm;
    int added;

    if (e->ts[0] && (s->first[0] == '\0' || strcmp(e->ts, s->first) < 0))
        snprintf(s->first, sizeof(s->first), "%s", e->ts);
    if (e->ts[0] && strcmp(e->ts, s->last) > 0)
        snprintf(s->last, sizeof(s->last), "%s", e->ts);
    /* Continuation parts of one transcript are one compile. */
    if (!(strcmp(e->event, "compile") == 0 && jint(e->args, "part") > 1)) {
        if ((nm = map_put(&s->names, e->event, e->event_len, sizeof(*nm), &added)) != NULL)
            nm->n++;
        else
            s->other_names++;
    }
    if (is_denial(e) && s->denials++ < SHOW_DENIALS) {
        struct denial *d = &s->shown[s->denials - 1];

        snprintf(d->ts, sizeof(d->ts), "%s", e->ts);
        snprintf(d->decision, sizeof(d->decision), "%s", e->decision);
        d->pid = e->pid;
        snprintf(d->event, sizeof(d->event), "%.*s", (int)e->event_len, e->event);
        snprintf(d->reason, sizeof(d->reason), "%s", jstr(e->root, "reason"));
    }
    /* A process is a chain; lines of older spythons, without one, by pid. */
    p = e->chain[0] ? map_put(&s->procs, e->chain, strlen(e->chain), sizeof(*p), &added)
                    : map_put(&s->procs, &e->pid, sizeof(e->pid), sizeof(*p), &added);
    if (p == NULL) {
        s->untracked_procs++;
        return;
    }
    if (added) {
        p->pid = e->pid;
        snprintf(p->chain, sizeof(p->chain), "%s", e->chain);
        snprintf(p->first, sizeof(p->first), "%s", e->ts);
    }
    snprintf(p->last, sizeof(p->last), "%s", e->ts);
    p->lines++;
    if (is_denial(e))
        p->denials++;
    if (strcmp(e->event, "spython.start") == 0)
        argv_label(json_object_get(e->args, "argv"), p->argv, sizeof(p->argv));
    if (strcmp(e->event, "spython.exit") == 0)
        p->exited = 1;
}

static void
gather(const void *key, size_t klen, void *v, void *ctx)
{
    void ***p = ctx;

    *(*p)++ = v;
}

static void
name_key(const void *key, size_t klen, void *v, void *ctx)
{
    struct name *nm = v;

    nm->key = key;
    nm->klen = klen;
}

static int
by_first(const void *a, const void *b)
{
    return strcmp((*(struct proc *const *)a)->first, (*(struct proc *const *)b)->first);
}

static int
by_count(const void *a, const void *b)
{
    const struct name *x = *(struct name *const *)a, *y = *(struct name *const *)b;

    return x->n == y->n ? 0 : (x->n > y->n ? -1 : 1);
}

static void **
sorted(struct map *m, int (*cmp)(const void *, const void *))
{
    void **v = calloc(m->n + 1, sizeof(*v)), **p = v;

    if (v == NULL)
        return NULL;
    map_each(m, gather, &p);
    qsort(v, m->n, sizeof(*v), cmp);
    return v;
}

int
cmd_summary(int argc, char **argv)
{
    struct summary s = { .procs = { .cap = PROCS_MAX }, .names = { .cap = NAMES_MAX } };
    struct tscan t = { .groups = { .cap = TGROUPS_MAX } };
    struct proc **pv = NULL;
    struct name **nv = NULL;
    struct reader *r;
    struct tgroup **tv = NULL;
    size_t i, nt = 0, anomalous = 0;
    struct ev e;
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: spython-audit summary LOG...\n");
        return 2;
    }
    if ((r = reader_open(argv + 1, argc - 1)) == NULL)
        return 2;
    while ((rc = reader_next(r, &e)) > 0) {
        s.lines++;
        if (e.root == NULL)
            continue;
        count(&s, &e);
        tscan_line(&t, &e);
    }
    printf("lines: %llu (%llu not log lines, %llu torn)\n", (unsigned long long)s.lines,
           (unsigned long long)reader_bad_lines(r), (unsigned long long)reader_torn_lines(r));
    printf("time: %s .. %s\n", s.first[0] ? s.first : "-", s.last[0] ? s.last : "-");
    printf("denials: %llu\n", (unsigned long long)s.denials);
    for (i = 0; i < s.denials && i < SHOW_DENIALS; i++) {
        printf("  %s pid %lld ", s.shown[i].ts, (long long)s.shown[i].pid);
        put_safe(stdout, s.shown[i].event, strlen(s.shown[i].event));
        printf(" %s: ", s.shown[i].decision);
        put_safe(stdout, s.shown[i].reason, strlen(s.shown[i].reason));
        putchar('\n');
    }
    if (s.denials > SHOW_DENIALS)
        printf("  ... %llu more (spython-audit filter --decision denied)\n",
               (unsigned long long)(s.denials - SHOW_DENIALS));
    printf("processes: %zu%s\n", s.procs.n, s.untracked_procs ? " (and more, not counted)" : "");
    if ((pv = (struct proc **)sorted(&s.procs, by_first)) != NULL) {
        for (i = 0; i < s.procs.n && i < SHOW_PROCS; i++) {
            printf("  %s pid %-7lld lines %-7llu denials %-4llu %-6s ", pv[i]->first,
                   (long long)pv[i]->pid, (unsigned long long)pv[i]->lines,
                   (unsigned long long)pv[i]->denials, pv[i]->exited ? "exited" : "open");
            put_safe(stdout, pv[i]->argv, strlen(pv[i]->argv));
            putchar('\n');
        }
        if (s.procs.n > SHOW_PROCS)
            printf("  ... %zu more\n", s.procs.n - SHOW_PROCS);
    }
    map_each(&s.names, name_key, NULL);
    printf("events: %zu types\n", s.names.n);
    if ((nv = (struct name **)sorted(&s.names, by_count)) != NULL) {
        for (i = 0; i < s.names.n; i++) {
            printf("  %10llu ", (unsigned long long)nv[i]->n);
            put_safe_max(stdout, nv[i]->key, nv[i]->klen, 80);
            putchar('\n');
        }
    }
    if (s.other_names)
        printf("  %10llu (events of further types)\n", (unsigned long long)s.other_names);
    if ((tv = tscan_sorted(&t, &nt)) != NULL)
        for (anomalous = 0; anomalous < nt && tv[anomalous]->benign[0] == '\0'; anomalous++)
            ;
    printf("transcripts: %zu distinct sources, %zu anomalous, %zu benign; "
           "%llu execs of code no transcript covers\n", nt, anomalous, nt - anomalous,
           (unsigned long long)t.untracked_execs);
    free(tv);
    free(nv);
    free(pv);
    map_free(&t.groups);
    map_free(&s.names);
    map_free(&s.procs);
    reader_summary(r);
    reader_close(r);
    return rc < 0 ? 2 : 0;
}
