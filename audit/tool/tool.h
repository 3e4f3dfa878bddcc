/* spython-audit: the reader of spython's logs. Every verb streams: memory
 * depends on the number of processes and distinct transcripts (each capped),
 * never on the number of lines. */
#ifndef SPY_AUDIT_TOOL_H
#define SPY_AUDIT_TOOL_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* ---- map.c: a capped hash map (chains, transcripts, names) ---------------- */

struct map {
    struct mentry **b;
    size_t nb, n, cap;
};

/* Value of key, or NULL. */
void *map_get(const struct map *m, const void *key, size_t klen);
/* Value of key, added zeroed (vsize bytes) if new; NULL when the map holds
 * cap entries already, or out of memory. *added says which. */
void *map_put(struct map *m, const void *key, size_t klen, size_t vsize, int *added);
void map_del(struct map *m, const void *key, size_t klen);
/* Visit every entry (fn may not change the map); and drop those fn says. */
void map_each(const struct map *m, void (*fn)(const void *key, size_t klen, void *v, void *ctx),
              void *ctx);
void map_drop_if(struct map *m, int (*fn)(void *v, void *ctx), void *ctx);
void map_free(struct map *m);

/* ---- reader.c: lines of one or more log files, in order -------------------- */

#define READER_MAX_LINE (64u << 20)

struct reader;

/* One line. raw/rawlen: as in the file, without '\n'. When it parses as a
 * spython log line (a JSON object with "event"), root holds it and the
 * fields below point into it; else root is NULL. */
struct ev {
    const char *raw;
    size_t rawlen;
    const char *file;
    unsigned fileno;            /* index in the file list */
    uint64_t lineno;            /* 1-based, in its file */
    uint64_t offset;            /* of the line in its file */
    int torn;                   /* the last line of a file, without '\n' */
    json_t *root;
    const char *ts;             /* "" when missing */
    const char *event;
    size_t event_len;
    const char *decision;
    json_int_t pid;
    uint64_t seq;               /* 0 when missing */
    const char *chain;          /* "" when missing */
    json_t *args;
};

struct reader *reader_open(char *const *files, int nfiles);
/* The next line: 1; 0 at the end; -1 on a read error (reported). The
 * warnings for lines that are not log lines are the reader's to print. */
int reader_next(struct reader *r, struct ev *e);
/* Continue from a position reader_next reported (not for stdin). */
int reader_seek(struct reader *r, unsigned fileno, uint64_t offset, uint64_t lineno);
/* Whether every file can be read again (none is stdin). */
int reader_rewindable(const struct reader *r);
void reader_warn(struct reader *r, const struct ev *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* No warnings: the lines are read a second time. */
void reader_quiet(struct reader *r);
/* The closing line on stderr when warnings were cut short. */
void reader_summary(const struct reader *r);
/* Counts for the closing summary line on stderr. */
uint64_t reader_bad_lines(const struct reader *r);
uint64_t reader_torn_lines(const struct reader *r);
void reader_close(struct reader *r);

/* ---- fields ---------------------------------------------------------------------- */

const char *jstr(json_t *o, const char *key);          /* "" when missing */
json_int_t jint(json_t *o, const char *key);           /* 0 when missing */
int is_denial(const struct ev *e);                     /* deny or would-deny */
void argv_label(json_t *argv, char *out, size_t n);   /* argv[1:] joined by spaces */

/* Write s (n bytes) with anything unprintable as \xNN: log content never
 * reaches a terminal as control sequences. */
void put_safe(FILE *f, const char *s, size_t n);
void put_safe_max(FILE *f, const char *s, size_t n, size_t max);

/* ---- verbs ----------------------------------------------------------------------- */

int cmd_summary(int argc, char **argv);
int cmd_transcripts(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* transcripts.c, shared with report.c */
struct tgroup {
    char sha[65];
    char type[16];
    uint64_t len, parts;
    uint64_t compiles, execs;
    char benign[48];            /* "" for anomalies */
    char first_ts[32];
    unsigned fileno;            /* where its first part 1 is */
    uint64_t offset, lineno;
    char chain[33];
    json_int_t pid;
    char callers[4][160];       /* file:line (function) */
    uint64_t caller_n[4];
    uint64_t other_callers;
};

struct tscan {
    struct map groups;          /* sha256 -> struct tgroup */
    uint64_t overflow;          /* compiles whose group did not fit */
    uint64_t untracked_execs;
};

#define TGROUPS_MAX 65536

void tscan_line(struct tscan *t, const struct ev *e);
/* Groups, anomalies first (then by count); caller frees the array. */
struct tgroup **tscan_sorted(struct tscan *t, size_t *n);
/* Print the source of one group (its parts joined) to f; html escapes it.
 * 0; -1 when parts are missing or the digest does not match (reported). */
int tsource_write(struct reader *r, const struct tgroup *g, FILE *f, int html,
                  uint64_t max_bytes);

/* verify.c, shared with report.c: the verify verb's work, its findings to
 * out; returns its exit status. */
int verify_run(char *const *files, int nfiles, const uint8_t *key, size_t keylen, FILE *out,
               int quiet);
int read_seal_key(const char *path, uint8_t key[1025], size_t *len);

/* One occasion to run code that no transcript covers: exec origin. */
int exec_untracked(const struct ev *e, const char **origin);

void html_escape(FILE *f, const char *s, size_t n);

#endif
