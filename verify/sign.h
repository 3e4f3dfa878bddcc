/* spython-sign inside: the walk lists jobs, a pool of workers does them, the
 * main thread reports them in walk order. Shared by verify/sign_*.c only. */
#ifndef SPY_SIGN_H
#define SPY_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "verify/abi.h"
#include "verify/verify.h"

/* What became of one path. */
enum outcome {
    O_SIGNED,           /* signature written */
    O_UNCHANGED,        /* already signed by this key: left alone */
    O_OK,               /* --verify/--check: spython would run it */
    O_REFUSED,          /* --verify/--check: spython would refuse it (verdict) */
    O_SKIPPED,          /* met in a walk, not a file to act on (symlink, FIFO, ...) */
    O_LISTED,           /* --digest-list: its digest goes into the list */
    O_FAILED,           /* could not be done */
    O__COUNT
};

struct job {
    char *path;
    int top;                    /* named on the command line */
    int preset;                 /* the walk already decided: no worker runs */
    enum outcome out;
    enum verdict v;             /* O_REFUSED: why */
    int err;                    /* errno behind a failure, 0 if none */
    const char *why;            /* static reason for O_FAILED or O_SKIPPED */
    char *note;                 /* malloc'd detail (ABI audit), or NULL */
};

struct joblist {
    struct job *v;
    size_t n, cap;
};

/* sign_progress.c -------------------------------------------------------- */

struct progress {
    int on;                     /* stderr is a terminal and not --quiet */
    int shown;                  /* a bar is on screen */
    size_t total, done;
    const char *what;           /* "signing", "checking" */
    uint64_t last_ns;
};

void progress_init(struct progress *pr, int on, size_t total, const char *what);
void progress_tick(struct progress *pr, size_t done);
/* Before any other line goes to the terminal; the next tick redraws. */
void progress_hide(struct progress *pr);

/* sign_walk.c ------------------------------------------------------------ */

/* Add the jobs for one path named on the command line. Directories are
 * walked without following symlinks, in name order, taking only the files
 * spython opens as code. follow_top: a named symlink is followed (what spython
 * does with a script path) instead of refused (what the signer must do). */
void walk_collect(struct joblist *jl, const char *path, int follow_top);
void joblist_free(struct joblist *jl);

struct pool_ops {
    void *(*thread_init)(void *ctx);            /* per-worker state; may be NULL */
    void (*thread_fini)(void *tls);
    void (*work)(void *ctx, void *tls, struct job *j);
    void (*report)(void *ctx, struct job *j);   /* main thread, in job order */
};

/* Run every job on nthreads workers; report each in order, drawing progress
 * on the way. 0, or -1 if no worker could be started. */
int pool_run(struct joblist *jl, unsigned nthreads, const struct pool_ops *ops, void *ctx,
             struct progress *pr);

/* One worker per CPU this process may run on. */
unsigned default_jobs(void);

/* sign_key.c ------------------------------------------------------------- */

/* Load a PEM private key. An encrypted one takes its passphrase from
 * pass_file (trust-checked: only its owner, root or the caller, may read it),
 * else from the terminal when stdin is one; never from argv or the
 * environment. NULL with "path: reason" in err; nothing of the key or the
 * passphrase is ever in err, and every buffer that held them is wiped. */
EVP_PKEY *sign_load_key(const char *path, const char *pass_file, char *err, size_t errlen);

/* sign_file.c ------------------------------------------------------------ */

struct signer {
    /* read-only once the workers start */
    EVP_PKEY *key;
    const EVP_MD *md;
    uint8_t hash_algo;
    uint8_t keyid[4];
    const char *xattr;
    int force;                  /* re-sign files already signed by this key */
    int allow_abi;              /* sign ABI violations anyway, with a warning */
    const struct abi_rules *abi;
    /* the reporter's (main thread) */
    int quiet, verbose;
    struct progress *pr;
    size_t count[O__COUNT];
};

extern const struct pool_ops sign_ops;      /* ctx: struct signer */
/* Open and read one file to sign or list, audit an extension's ABI: 0 with
 * the fd (*fdp) and its bytes, or -1 with j failed. The caller closes *fdp
 * when it is not -1 and frees *data in either case. */
int sign_read(const struct signer *s, struct job *j, int *fdp, uint8_t **data, size_t *len);
/* The closing summary; 0 when nothing failed. */
int sign_finish(struct signer *s);

/* sign_abi.c: the rules of the interpreter spython embeds, fixed at build time. */
extern const struct abi_rules sign_abi_rules;

/* sign_digestlist.c ------------------------------------------------------ */

/* --digest-list LIST: the files of the walk go into one list of sha256
 * digests (verify/digestlist.h) instead of each getting a signature; then
 * the list is signed with the signer's key like any file. */
struct lister {
    struct signer *s;
    const EVP_MD *md;           /* sha256, whatever the list's own signature uses */
    const struct job *first;
    uint8_t *rows;              /* one per job, each written by its worker */
};

extern const struct pool_ops list_ops;      /* ctx: struct lister */
int list_init(struct lister *l, struct signer *s, const struct joblist *jl);
/* Write and sign the list; the closing summary. 0 when nothing failed. */
int list_finish(struct lister *l, const struct joblist *jl, const char *path);

/* sign_check.c ----------------------------------------------------------- */

struct checker {
    struct verify_cfg cfg;      /* read-only once the workers start */
    /* the reporter's (main thread) */
    int json;
    int quiet, verbose;
    int legacy;                 /* --verify: its historical output */
    struct progress *pr;
    size_t count[O__COUNT];
    size_t reasons[V__COUNT];
};

extern const struct pool_ops check_ops;     /* ctx: struct checker */
/* The closing summary (or the JSON document); 0 when every file passed. */
int check_finish(struct checker *c, const struct joblist *jl);

#endif
