/* spython-audit verify [-k KEYFILE] LOG...
 *
 * Follows every chain through the interleaved lines (files in the order
 * given: the oldest rotated file first) and reports, per chain, the first
 * line that was altered, is missing, is out of order, or the chain's end
 * when it has no "spython.exit" line. The checks are audit/chain.c's, the
 * same code that sealed the lines.
 *
 * Exit status: 0 every chain intact and closed; 1 evidence of tampering or
 * damage; 3 nothing altered found, but not everything could be verified
 * (open chains, a torn last line, chains that continue from a file not
 * given, sealed chains without the key); 2 usage or read error. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "audit/chain.h"
#include "audit/tool/tool.h"

#define CHAINS_MAX 131072
#define SHOW_MAX 50             /* problems listed one by one */

enum vstate { V_OK = 0, V_BROKEN, V_CLOSED };

struct vchain {
    uint8_t id[CHAIN_ID_LEN];
    struct chain c;             /* seq, prev, key of the next line */
    uint8_t k1[CHAIN_HASH_LEN]; /* keyed: the key of line 1, for forks */
    int have_key;               /* keyed and its key is known */
    int keyed;
    int unverifiable;           /* e.g. sealed, no key given */
    enum vstate state;
    json_int_t pid;
    unsigned fileno;
    uint64_t lineno;
    char last_event[40];
    /* A gap, reported once it is known whether the missing lines come
     * later (reordered) or never (deleted). */
    uint64_t gap_seq, gap_after, gap_lineno;
    unsigned gap_fileno;
};

struct verify {
    struct reader *r;
    struct map chains;
    const uint8_t *root;
    size_t rootlen;
    uint64_t lines, broken, open, incomplete, unchained, untracked;
    unsigned shown;
    char *const *files;
    FILE *out;
};

static void
say(struct verify *v, const struct ev *e, const char *chain, json_int_t pid, const char *msg)
{
    if (v->shown++ >= SHOW_MAX) {
        if (v->shown == SHOW_MAX + 1)
            fprintf(v->out, "... further problems not listed\n");
        return;
    }
    if (chain != NULL) {
        fputs("chain ", v->out);
        put_safe_max(v->out, chain, strlen(chain), 2 * CHAIN_ID_LEN);
        fprintf(v->out, " pid %lld: ", (long long)pid);
    }
    put_safe(v->out, e->file, strlen(e->file));
    fprintf(v->out, ":%llu: ", (unsigned long long)e->lineno);
    fputs(msg, v->out);
    fputc('\n', v->out);
}

/* The gap in c: e is its first missing line, found later (reordered), or
 * NULL at the end (deleted). */
static void
gap_report(struct verify *v, struct vchain *c, const struct ev *e)
{
    struct ev at = { .file = v->files[c->gap_fileno], .lineno = c->gap_lineno };
    char id[2 * CHAIN_ID_LEN + 1], msg[256];

    if (e != NULL)
        snprintf(msg, sizeof(msg), "seq %llu comes before seq %llu, which is at line %llu "
                 "of %s: reordered", (unsigned long long)c->gap_after,
                 (unsigned long long)c->gap_seq, (unsigned long long)e->lineno, e->file);
    else
        snprintf(msg, sizeof(msg), "seq %llu follows seq %llu: the lines between are missing",
                 (unsigned long long)c->gap_after, (unsigned long long)c->gap_seq - 1);
    chain_hex(id, c->id, CHAIN_ID_LEN);
    say(v, &at, id, c->pid, msg);
    c->gap_seq = 0;
}

static void
broken(struct verify *v, struct vchain *c, const struct ev *e, const char *what)
{
    char buf[64];

    chain_hex(buf, c->id, CHAIN_ID_LEN);
    say(v, e, buf, c->pid, what);
    c->state = V_BROKEN;
    v->broken++;
}

/* Key of line 1 of a chain: from the root key, or from the parent's key at
 * the fork. 0, or -1 when it cannot be known. */
static int
first_key(struct verify *v, struct vchain *c, json_t *fork)
{
    uint8_t pid[CHAIN_ID_LEN];
    struct vchain *parent;
    struct chain at = { .keyed = 1 }, child;
    json_int_t seq;

    if (v->root == NULL)
        return -1;
    if (!json_is_object(fork)) {
        chain_init(&child, c->id, v->root, v->rootlen);
    } else {
        seq = jint(fork, "seq");
        if (strlen(jstr(fork, "chain")) != 2 * CHAIN_ID_LEN ||
            chain_unhex(pid, jstr(fork, "chain"), CHAIN_ID_LEN) < 0 || seq < 0 ||
            (parent = map_get(&v->chains, pid, CHAIN_ID_LEN)) == NULL || !parent->have_key)
            return -1;
        memcpy(at.key, parent->k1, CHAIN_HASH_LEN);
        chain_key_after(at.key, (uint64_t)seq);
        chain_init_fork(&child, &at, c->id);
        chain_wipe(&at, sizeof(at));
    }
    memcpy(c->k1, child.key, CHAIN_HASH_LEN);
    memcpy(c->c.key, child.key, CHAIN_HASH_LEN);
    chain_wipe(&child, sizeof(child));
    return 0;
}

/* A chain seen for the first time at line e. */
static struct vchain *
start(struct verify *v, const struct ev *e, const uint8_t id[CHAIN_ID_LEN], int keyed,
      const uint8_t prev[CHAIN_HASH_LEN])
{
    static const uint8_t zero[CHAIN_HASH_LEN];
    json_t *fork = json_object_get(e->root, "fork");
    struct vchain *c;
    int added;

    if ((c = map_put(&v->chains, id, CHAIN_ID_LEN, sizeof(*c), &added)) == NULL) {
        if (v->untracked++ == 0)
            say(v, e, NULL, 0, "too many chains: the ones after this are not checked");
        return NULL;
    }
    memcpy(c->id, id, CHAIN_ID_LEN);
    c->pid = e->pid;
    c->keyed = keyed;
    c->c.keyed = keyed;
    c->c.seq = e->seq - 1;
    memcpy(c->c.prev, prev, CHAIN_HASH_LEN);
    if (keyed) {
        c->have_key = first_key(v, c, fork) == 0;
        /* Continuing from an earlier file: the key of this line. */
        if (c->have_key && e->seq > 1)
            chain_key_after(c->c.key, e->seq - 1);
        if (!c->have_key) {
            c->unverifiable = 1;
            v->incomplete++;
            say(v, e, jstr(e->root, "chain"), e->pid, v->root == NULL
                ? "sealed chain: without the key (-k) only its order is checked"
                : "sealed chain forked from a chain not in these files: its key is unknown");
        }
    }
    if (e->seq == 1) {
        if (memcmp(prev, zero, CHAIN_HASH_LEN) != 0)
            broken(v, c, e, "seq 1 does not start a chain (prev is not zero): altered");
    } else if (strcmp(e->event, "spython.log-reopened") == 0 &&
               e->args != NULL && strcmp(jstr(e->args, "reason"), "rotated") == 0) {
        c->unverifiable = 1;
        v->incomplete++;
        say(v, e, jstr(e->root, "chain"), e->pid,
            "continues from a rotated file not given here: checked from this line on");
    } else {
        broken(v, c, e, "the chain's first lines are missing (it starts past seq 1)");
    }
    return c;
}

static void
check_line(struct verify *v, const struct ev *e)
{
    uint8_t id[CHAIN_ID_LEN], prev[CHAIN_HASH_LEN], hash[CHAIN_HASH_LEN], want[CHAIN_HASH_LEN];
    const char *prevhex = jstr(e->root, "prev");
    struct vchain *c;
    size_t body;
    int keyed;
    char msg[160];

    if (!chain_split(e->raw, e->rawlen, &body, hash, &keyed) ||
        strlen(e->chain) != 2 * CHAIN_ID_LEN || chain_unhex(id, e->chain, CHAIN_ID_LEN) < 0 ||
        strlen(prevhex) != 2 * CHAIN_HASH_LEN ||
        chain_unhex(prev, prevhex, CHAIN_HASH_LEN) < 0 || e->seq == 0) {
        v->unchained++;
        say(v, e, NULL, 0, "a line outside every chain (no seq, chain, prev and hash): "
            "inserted, or written by something else");
        return;
    }
    if ((c = map_get(&v->chains, id, CHAIN_ID_LEN)) == NULL &&
        (c = start(v, e, id, keyed, prev)) == NULL)
        return;
    if (c->state == V_BROKEN) {
        if (c->gap_seq != 0 && e->seq == c->gap_seq)
            gap_report(v, c, e);
        return;
    }
    if (c->state == V_CLOSED) {
        broken(v, c, e, "a line after the chain's spython.exit: appended or replayed");
        return;
    }
    if (keyed != c->keyed) {
        broken(v, c, e, "the chain switches between sealed and unsealed lines: altered");
        return;
    }
    if (e->seq > c->c.seq + 1) {
        c->state = V_BROKEN;
        v->broken++;
        c->gap_seq = c->c.seq + 1;
        c->gap_after = e->seq;
        c->gap_fileno = e->fileno;
        c->gap_lineno = e->lineno;
        return;
    }
    if (e->seq != c->c.seq + 1) {
        snprintf(msg, sizeof(msg), "seq %llu follows seq %llu: reordered or duplicated",
                 (unsigned long long)e->seq, (unsigned long long)c->c.seq);
        broken(v, c, e, msg);
        return;
    }
    if (memcmp(prev, c->c.prev, CHAIN_HASH_LEN) != 0) {
        snprintf(msg, sizeof(msg), "does not follow seq %llu (its prev is another hash): "
                 "that line or this one was altered or replaced",
                 (unsigned long long)c->c.seq);
        broken(v, c, e, msg);
        return;
    }
    if (!keyed || c->have_key) {
        chain_hash(&c->c, e->raw, body, want);
        if (memcmp(want, hash, CHAIN_HASH_LEN) != 0) {
            broken(v, c, e, keyed ? "altered, or not sealed with this key: its HMAC does not match its content"
                                  : "altered: its hash does not match its content");
            return;
        }
    }
    if (v->root != NULL && !keyed) {
        broken(v, c, e, "not sealed, but a key was given: rewritten without the key?");
        return;
    }
    chain_advance(&c->c, hash);
    c->fileno = e->fileno;
    c->lineno = e->lineno;
    snprintf(c->last_event, sizeof(c->last_event), "%.*s",
             (int)(e->event_len < sizeof(c->last_event) - 1 ? e->event_len
                                                             : sizeof(c->last_event) - 1),
             e->event);
    if (strcmp(e->event, "spython.exit") == 0)
        c->state = V_CLOSED;
}

static void
report_open(const void *key, size_t klen, void *val, void *ctx)
{
    struct verify *v = ctx;
    struct vchain *c = val;
    char id[2 * CHAIN_ID_LEN + 1];

    if (c->gap_seq != 0)
        gap_report(v, c, NULL);
    if (c->state != V_OK)
        return;
    v->open++;
    if (v->shown++ >= SHOW_MAX)
        return;
    chain_hex(id, c->id, CHAIN_ID_LEN);
    fprintf(v->out, "chain %s pid %lld: ", id, (long long)c->pid);
    put_safe(v->out, v->files[c->fileno], strlen(v->files[c->fileno]));
    fprintf(v->out, ":%llu: open: ends at seq %llu (", (unsigned long long)c->lineno,
            (unsigned long long)c->c.seq);
    put_safe(v->out, c->last_event, strlen(c->last_event));
    fprintf(v->out, ") without spython.exit: killed, still running, or its tail removed\n");
}

static void
wipe_key(const void *key, size_t klen, void *val, void *ctx)
{
    struct vchain *c = val;

    chain_wipe(&c->c, sizeof(c->c));
    chain_wipe(c->k1, sizeof(c->k1));
}

int
verify_run(char *const *files, int nfiles, const uint8_t *key, size_t keylen, FILE *out,
           int quiet)
{
    struct verify v = {
        .chains = { .cap = CHAINS_MAX }, .root = key, .rootlen = keylen,
        .files = files, .out = out,
    };
    struct ev e;
    int rc;

    if ((v.r = reader_open(files, nfiles)) == NULL)
        return 2;
    if (quiet)
        reader_quiet(v.r);
    while ((rc = reader_next(v.r, &e)) > 0) {
        v.lines++;
        if (e.root != NULL) {
            check_line(&v, &e);
        } else if (e.torn) {
            v.incomplete++;
        } else {
            v.unchained++;
            say(&v, &e, NULL, 0, "not a log line: inserted or damaged");
        }
    }
    map_each(&v.chains, report_open, &v);
    fprintf(out, "%llu lines, %zu chains: %llu broken, %llu open, %llu not fully checked; "
            "%llu lines outside any chain, %llu torn\n",
            (unsigned long long)v.lines, v.chains.n, (unsigned long long)v.broken,
            (unsigned long long)v.open, (unsigned long long)v.incomplete,
            (unsigned long long)v.unchained, (unsigned long long)reader_torn_lines(v.r));
    map_each(&v.chains, wipe_key, NULL);
    map_free(&v.chains);
    reader_summary(v.r);
    reader_close(v.r);
    if (rc < 0)
        return 2;
    if (v.broken || v.unchained || v.untracked)
        return 1;
    return v.open || v.incomplete ? 3 : 0;
}

int
read_seal_key(const char *path, uint8_t key[1025], size_t *len)
{
    FILE *f = fopen(path, "re");
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "spython-audit: %s: %s\n", path, strerror(errno));
        return -1;
    }
    n = fread(key, 1, 1025, f);
    fclose(f);
    if (n < 16 || n > 1024) {
        fprintf(stderr, "spython-audit: %s: a sealing key has 16 to 1024 bytes\n", path);
        return -1;
    }
    *len = n;
    return 0;
}

int
cmd_verify(int argc, char **argv)
{
    uint8_t key[1025];
    size_t keylen = 0;
    int opt, rc;

    while ((opt = getopt(argc, argv, "k:")) != -1)
        if (opt != 'k' || read_seal_key(optarg, key, &keylen) < 0)
            return 2;
    if (optind >= argc) {
        fprintf(stderr, "usage: spython-audit verify [-k KEYFILE] LOG...\n");
        return 2;
    }
    rc = verify_run(argv + optind, argc - optind, keylen ? key : NULL, keylen, stdout, 0);
    chain_wipe(key, sizeof(key));
    return rc;
}
