/* The walk and the worker pool. The walk runs first and lists every job, so
 * the progress bar knows its total; workers then take jobs in any order, and
 * the main thread reports them in walk order, so the output of a run is the
 * same whatever the number of threads. */
#include <err.h>
#include <errno.h>
#include <fts.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verify/sign.h"

#define JOBS_MAX 256                /* past this, threads only add contention */

/* What a directory walk picks up: the files spython opens as code. */
static const char *const code_suffixes[] = { ".py", ".pyc", ".pth", ".so", ".zip" };

static int
is_code_file(const char *name)
{
    size_t n = strlen(name), s;

    for (size_t i = 0; i < sizeof(code_suffixes) / sizeof(code_suffixes[0]); i++) {
        s = strlen(code_suffixes[i]);
        if (n > s && strcmp(name + n - s, code_suffixes[i]) == 0)
            return 1;
    }
    return 0;
}

static struct job *
job_add(struct joblist *jl, const char *path, int top)
{
    struct job *nv, *j;
    size_t ncap;

    if (jl->n == jl->cap) {
        ncap = jl->cap ? jl->cap * 2 : 1024;
        if ((nv = reallocarray(jl->v, ncap, sizeof(*nv))) == NULL)
            err(1, NULL);
        jl->v = nv;
        jl->cap = ncap;
    }
    j = &jl->v[jl->n++];
    memset(j, 0, sizeof(*j));
    if ((j->path = strdup(path)) == NULL)
        err(1, NULL);
    j->top = top;
    return j;
}

/* A job the walk has already settled. */
static void
job_preset(struct joblist *jl, const char *path, int top, enum outcome out,
           const char *why, int errnum)
{
    struct job *j = job_add(jl, path, top);

    j->preset = 1;
    j->out = out;
    j->why = why;
    j->err = errnum;
}

void
joblist_free(struct joblist *jl)
{
    for (size_t i = 0; i < jl->n; i++) {
        free(jl->v[i].path);
        free(jl->v[i].note);
    }
    free(jl->v);
    memset(jl, 0, sizeof(*jl));
}

static int
cmp_entries(const FTSENT **a, const FTSENT **b)
{
    return strcmp((*a)->fts_name, (*b)->fts_name);
}

void
walk_collect(struct joblist *jl, const char *path, int follow_top)
{
    char *paths[] = { (char *)path, NULL };
    int opts = FTS_PHYSICAL | FTS_NOCHDIR | (follow_top ? FTS_COMFOLLOW : 0);
    FTSENT *e;
    FTS *fts;
    int top;

    if ((fts = fts_open(paths, opts, cmp_entries)) == NULL)
        err(1, "fts_open");
    for (;;) {
        errno = 0;
        if ((e = fts_read(fts)) == NULL)
            break;
        top = e->fts_level == FTS_ROOTLEVEL;
        /* A checker answers for a named path exactly as spython would open it. */
        if (top && follow_top && e->fts_info != FTS_D && e->fts_info != FTS_DP) {
            job_add(jl, e->fts_path, top);
            continue;
        }
        switch (e->fts_info) {
        case FTS_D:
        case FTS_DP:
            break;
        case FTS_F:
            if (top || is_code_file(e->fts_name))
                job_add(jl, e->fts_path, top);
            break;
        case FTS_SL:
        case FTS_SLNONE:
            if (top)
                job_preset(jl, e->fts_path, top, O_FAILED, "is a symbolic link", 0);
            else
                job_preset(jl, e->fts_path, top, O_SKIPPED, "symbolic link", 0);
            break;
        case FTS_DNR:
        case FTS_ERR:
        case FTS_NS:
            job_preset(jl, e->fts_path, top, O_FAILED, NULL, e->fts_errno);
            break;
        case FTS_DC:
            job_preset(jl, e->fts_path, top, O_SKIPPED, "directory cycle", 0);
            break;
        default:
            job_preset(jl, e->fts_path, top, top ? O_FAILED : O_SKIPPED,
                       "not a regular file", 0);
            break;
        }
    }
    if (errno != 0)
        err(1, "fts_read");
    fts_close(fts);
}

unsigned
default_jobs(void)
{
    cpu_set_t set;
    long n;

    /* The CPUs we may run on (taskset, cgroups), not all the machine has. */
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

struct pool {
    struct joblist *jl;
    const struct pool_ops *ops;
    void *ctx;
    atomic_size_t next;             /* the next job nobody has taken */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *done;            /* per job, under mu */
    size_t awaited;                 /* the job the reporter sleeps on, under mu */
};

static void *
worker(void *arg)
{
    struct pool *p = arg;
    void *tls = p->ops->thread_init != NULL ? p->ops->thread_init(p->ctx) : NULL;
    struct job *j;
    size_t i;

    while ((i = atomic_fetch_add(&p->next, 1)) < p->jl->n) {
        j = &p->jl->v[i];
        if (!j->preset)
            p->ops->work(p->ctx, tls, j);
        pthread_mutex_lock(&p->mu);
        p->done[i] = 1;
        if (p->awaited == i)
            pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    if (p->ops->thread_fini != NULL)
        p->ops->thread_fini(tls);
    return NULL;
}

int
pool_run(struct joblist *jl, unsigned nthreads, const struct pool_ops *ops, void *ctx,
         struct progress *pr)
{
    struct pool p = { .jl = jl, .ops = ops, .ctx = ctx, .awaited = SIZE_MAX };
    pthread_t *tids = NULL;
    unsigned started = 0;
    int rc = -1;

    if (jl->n == 0)
        return 0;
    if (nthreads > JOBS_MAX)
        nthreads = JOBS_MAX;
    if (nthreads > jl->n)
        nthreads = (unsigned)jl->n;
    if (nthreads == 0)
        nthreads = 1;
    atomic_init(&p.next, 0);
    if ((p.done = calloc(jl->n, 1)) == NULL || (tids = calloc(nthreads, sizeof(*tids))) == NULL)
        goto out;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    while (started < nthreads && pthread_create(&tids[started], NULL, worker, &p) == 0)
        started++;
    /* Fewer workers only means slower; none means nothing would ever finish. */
    if (started > 0) {
        progress_tick(pr, 0);
        for (size_t i = 0; i < jl->n; i++) {
            pthread_mutex_lock(&p.mu);
            while (!p.done[i]) {
                p.awaited = i;
                pthread_cond_wait(&p.cv, &p.mu);
            }
            p.awaited = SIZE_MAX;
            pthread_mutex_unlock(&p.mu);
            ops->report(ctx, &jl->v[i]);
            progress_tick(pr, i + 1);
        }
        progress_hide(pr);
        rc = 0;
    }
    for (unsigned t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
out:
    free(tids);
    free(p.done);
    return rc;
}
