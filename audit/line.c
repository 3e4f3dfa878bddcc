/* Builds, seals and writes event lines. The only place that knows the line
 * layout. Sealing and writing happen under one lock, so the order of a
 * chain in the file is the order of its seq. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "audit/chain.h"
#include "audit/line.h"
#include "audit/log.h"
#include "audit/sink.h"

#define ID_HEX (2 * CHAIN_ID_LEN + 1)
#define HASH_HEX (2 * CHAIN_HASH_LEN + 1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
    int started;
    pid_t pid;
    struct chain c;
    char id[ID_HEX];
    /* A forked child that has not written yet: its chain is made at its
     * first line (not in the fork handler, which must stay minimal) from
     * the parent's chain as it stood at the fork. */
    int forked;
    struct chain parent;
    /* Where a child's chain forked off: named in its first line, and in
     * every line that opens a file (a rotated log), so a verifier can derive
     * its key from either. */
    int have_fork;
    char fork_chain[ID_HEX];
    uint64_t fork_seq;
    int ended;                  /* spython.exit is written */
} st;

static const char *const decision_names[] = {
    [DECIDE_ALLOW] = "allow",
    [DECIDE_DENY] = "deny",
    [DECIDE_WOULD_DENY] = "would-deny",
};

const char *
decision_name(enum decision d)
{
    return decision_names[d];
}

static void
fork_prepare(void)
{
    pthread_mutex_lock(&lock);
}

static void
fork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

static void
fork_child(void)
{
    st.pid = getpid();
    if (!st.forked) {
        st.parent = st.c;
        st.forked = 1;
    }
    /* The parent's key stays only in st.parent, until the child's chain is
     * derived from it. */
    chain_wipe(&st.c, sizeof(st.c));
    pthread_mutex_unlock(&lock);
}

static int
new_id(uint8_t id[CHAIN_ID_LEN])
{
    ssize_t n;

    do {
        n = getrandom(id, CHAIN_ID_LEN, 0);
    } while (n < 0 && errno == EINTR);
    return n == CHAIN_ID_LEN ? 0 : (n < 0 ? -errno : -EIO);
}

static void
set_id_hex(void)
{
    chain_hex(st.id, st.c.id, CHAIN_ID_LEN);
}

static int
start_forked_chain(void)
{
    uint8_t id[CHAIN_ID_LEN];
    int r;

    if ((r = new_id(id)) < 0)
        return r;
    chain_init_fork(&st.c, &st.parent, id);
    chain_hex(st.fork_chain, st.parent.id, CHAIN_ID_LEN);
    st.fork_seq = st.parent.seq;
    st.have_fork = 1;
    chain_wipe(&st.parent, sizeof(st.parent));
    st.forked = 0;
    set_id_hex();
    return 0;
}

static void line_exit(void);

int
line_start(const uint8_t *seal_key, size_t seal_key_len, char *err, size_t errlen)
{
    uint8_t id[CHAIN_ID_LEN];
    int r;

    if (st.started) {
        snprintf(err, errlen, "the log chain is already started");
        return -1;
    }
    if ((r = new_id(id)) < 0) {
        snprintf(err, errlen, "no random chain id: %s", strerror(-r));
        return -1;
    }
    chain_init(&st.c, id, seal_key, seal_key_len);
    set_id_hex();
    st.pid = getpid();
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0 ||
        atexit(line_exit) != 0) {
        snprintf(err, errlen, "cannot register the log's fork and exit handlers");
        return -1;
    }
    st.started = 1;
    return 0;
}

void
line_begin(struct jbuf *b, const char *event)
{
    jbuf_lit(b, "{\"ts\":");
    jbuf_timestamp(b);
    jbuf_lit(b, ",\"pid\":");
    /* Cached: getpid() would be a system call per event; the fork handler
     * keeps it right in children. */
    jbuf_i64(b, st.started ? st.pid : getpid());
    jbuf_lit(b, ",\"event\":");
    jbuf_str_utf8(b, event, strlen(event));
    jbuf_lit(b, ",\"args\":");
}

/* The event name as escaped in a line this file built: the first ,"event":
 * (nothing before it can contain one), which follows the timestamp and the
 * pid's digits; looked for there first, as that is where line_begin put it. */
static void
find_event(const char *line, size_t len, const char **ev, size_t *n)
{
    static const char key[] = ",\"event\":\"";
    static const size_t head = sizeof("{\"ts\":\"YYYY-MM-DDTHH:MM:SS.uuuuuuZ\",\"pid\":") - 1;
    const char *end = line + len, *p = line + (len < head ? len : head), *e;

    while (p < end && *p >= '0' && *p <= '9')
        p++;
    if ((size_t)(end - p) < sizeof(key) - 1 || memcmp(p, key, sizeof(key) - 1) != 0)
        p = memmem(line, len, key, sizeof(key) - 1);
    *ev = "";
    *n = 0;
    if (p == NULL)
        return;
    p += sizeof(key) - 1;
    for (e = p; e < line + len && *e != '"'; e++)
        if (*e == '\\' && e + 1 < line + len)
            e++;
    *ev = p;
    *n = (size_t)(e - p);
}

static void
forward(const struct jbuf *b, enum decision d, const char *hash)
{
    struct sink_line sl = {
        .line = b->p, .len = b->len - 1, .decision = d, .chain = st.id,
        .seq = st.c.seq, .hash = hash,
    };
    char ts[32] = "";

    /* {"ts":"2026-11-29T00:42:46.123456Z" */
    if (b->len > 7 + 27 && memcmp(b->p, "{\"ts\":\"", 7) == 0) {
        memcpy(ts, b->p + 7, 27);
        ts[27] = '\0';
    }
    sl.ts = ts;
    find_event(b->p, b->len, &sl.event, &sl.event_len);
    sinks_send(&sl);
}

/* A line of spython's own, allowed: args {"k":"v",...,"num_key":num,...}. */
struct note {
    const char *event;
    const char *str[2][2];
    const char *num_key[2];
    uint64_t num[2];
    int opens_file;             /* the first line in a (re)opened log */
};

static int note_locked(const struct note *n);

/* Seal the line in b (decision already in it) into the chain and write it.
 * Called with the lock held. */
static int
emit_locked(struct jbuf *b, enum decision d, int opens_file)
{
    uint8_t hash[CHAIN_HASH_LEN];
    char hex[HASH_HEX];
    const char *why;
    size_t body;
    int r;

    if (!st.started)
        return -EINVAL;
    if ((r = log_check(&why)) < 0)
        return r;
    if (r == 1 && (r = note_locked(&(struct note){ .event = "spython.log-reopened",
                                                   .str = { { "reason", why } },
                                                   .opens_file = 1 })) < 0)
        return r;
    if (st.forked && (r = start_forked_chain()) < 0)
        return r;
    jbuf_lit(b, ",\"seq\":");
    jbuf_u64(b, st.c.seq + 1);
    jbuf_lit(b, ",\"chain\":\"");
    jbuf_raw(b, st.id, ID_HEX - 1);
    jbuf_lit(b, "\",\"prev\":");
    jbuf_hex(b, st.c.prev, CHAIN_HASH_LEN);
    if (st.have_fork && (st.c.seq == 0 || opens_file)) {
        jbuf_lit(b, ",\"fork\":{\"chain\":\"");
        jbuf_lit(b, st.fork_chain);
        jbuf_lit(b, "\",\"seq\":");
        jbuf_u64(b, st.fork_seq);
        jbuf_char(b, '}');
    }
    if (b->failed)
        return -ENOMEM;
    body = b->len;
    chain_hash(&st.c, b->p, body, hash);
    chain_hex(hex, hash, CHAIN_HASH_LEN);
    jbuf_lit(b, st.c.keyed ? CHAIN_TAIL_HMAC : CHAIN_TAIL_HASH);
    jbuf_raw(b, hex, HASH_HEX - 1);
    jbuf_lit(b, "\"}\n");
    if (b->failed)
        return -ENOMEM;
    /* A line that did not reach the file does not advance the chain: the
     * next one takes its seq, and the chain has no gap. */
    if ((r = log_write(b->p, b->len)) < 0)
        return r;
    chain_advance(&st.c, hash);
    forward(b, d, hex);
    return 0;
}

static int
note_locked(const struct note *n)
{
    char stackbuf[512];
    const char *sep = "\"";
    struct jbuf b;
    size_t i;
    int r;

    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, n->event);
    jbuf_char(&b, '{');
    for (i = 0; i < 2 && n->str[i][0] != NULL; i++, sep = ",\"") {
        jbuf_lit(&b, sep);
        jbuf_lit(&b, n->str[i][0]);
        jbuf_lit(&b, "\":");
        jbuf_str_utf8(&b, n->str[i][1], strlen(n->str[i][1]));
    }
    for (i = 0; i < 2 && n->num_key[i] != NULL; i++, sep = ",\"") {
        jbuf_lit(&b, sep);
        jbuf_lit(&b, n->num_key[i]);
        jbuf_lit(&b, "\":");
        jbuf_u64(&b, n->num[i]);
    }
    jbuf_lit(&b, "},\"decision\":\"allow\"");
    r = emit_locked(&b, DECIDE_ALLOW, n->opens_file);
    jbuf_free(&b);
    return r;
}

/* Sinks that failed or came back since the last line: noted in the file. A
 * note that cannot be written changes nothing for the line already there. */
static void
note_sinks_locked(void)
{
    const char *name, *error;
    uint64_t missed;
    int up;

    while (sinks_changed(&name, &up, &error, &missed)) {
        if (up)
            (void)note_locked(&(struct note){ .event = "spython.sink-recovered",
                                              .str = { { "sink", name } },
                                              .num_key = { "missed" }, .num = { missed } });
        else
            (void)note_locked(&(struct note){ .event = "spython.sink-failed",
                                              .str = { { "sink", name }, { "error", error } } });
    }
}

int
line_finish(struct jbuf *b, enum decision d, const char *reason)
{
    int r;

    jbuf_lit(b, ",\"decision\":\"");
    jbuf_lit(b, decision_names[d]);
    jbuf_char(b, '"');
    if (reason != NULL) {
        jbuf_lit(b, ",\"reason\":");
        jbuf_str_utf8(b, reason, strlen(reason));
    }
    if (b->failed)
        return -ENOMEM;
    pthread_mutex_lock(&lock);
    r = emit_locked(b, d, 0);
    if (r == 0)
        note_sinks_locked();
    pthread_mutex_unlock(&lock);
    return r;
}

/* The last line of a chain: without it, a reader knows the chain was cut
 * short (killed, still running, or its tail removed). */
void
line_end(int status)
{
    uint64_t lines;

    pthread_mutex_lock(&lock);
    if (st.started && !st.ended) {
        lines = (st.forked ? 0 : st.c.seq) + 1;
        st.ended = note_locked(&(struct note){
            .event = "spython.exit", .num_key = { "lines", status >= 0 ? "status" : NULL },
            .num = { lines, (uint64_t)status } }) == 0;
    }
    pthread_mutex_unlock(&lock);
}

static void
line_exit(void)
{
    line_end(-1);
}
