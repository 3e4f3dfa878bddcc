/* journald, through libsystemd: the whole line as MESSAGE, and the fields a
 * journal query wants (SPYTHON_EVENT=os.system, SPYTHON_DECISION=deny, ...).
 * Values are binary-safe: sd_journal_sendv() serialises what needs it. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "audit/sink_impl.h"

#define SEV_WARNING 4
#define SEV_INFO 6
#define FIELDS 9

int
sink_journald_send(struct sink *s, const struct sink_line *l)
{
    char stackbuf[512], seq[32], prio[16];
    struct iovec iov[FIELDS];
    size_t off[FIELDS + 1], i = 0, k;
    struct jbuf b;
    int r;

    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)l->seq);
    snprintf(prio, sizeof(prio), "%d",
             l->decision == DECIDE_ALLOW ? SEV_INFO : SEV_WARNING);
    /* One buffer, then iovecs into it (it may move while it grows). */
    jbuf_init(&b, stackbuf, sizeof(stackbuf), 0);
#define FIELD(name, p, n) do { off[i++] = b.len; jbuf_lit(&b, name "="); \
                               jbuf_raw(&b, (p), (n)); } while (0)
    FIELD("MESSAGE", l->line, l->len);
    FIELD("PRIORITY", prio, strlen(prio));
    FIELD("SYSLOG_FACILITY", "10", 2);
    FIELD("SYSLOG_IDENTIFIER", "spython", 7);
    FIELD("SPYTHON_EVENT", l->event, l->event_len);
    FIELD("SPYTHON_DECISION", decision_name(l->decision), strlen(decision_name(l->decision)));
    FIELD("SPYTHON_CHAIN", l->chain, strlen(l->chain));
    FIELD("SPYTHON_SEQ", seq, strlen(seq));
    FIELD("SPYTHON_HASH", l->hash, strlen(l->hash));
#undef FIELD
    off[i] = b.len;
    if (b.failed) {
        jbuf_free(&b);
        return -ENOMEM;
    }
    for (k = 0; k < i; k++) {
        iov[k].iov_base = b.p + off[k];
        iov[k].iov_len = off[k + 1] - off[k];
    }
    r = sd_journal_sendv(iov, (int)i);
    jbuf_free(&b);
    (void)s;
    return r < 0 ? r : 0;
}
