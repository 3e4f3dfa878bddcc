/* Linux audit, through libaudit: a short AUDIT_TRUSTED_APP record per line
 * with its event, decision, chain, seq and hash; the kernel caps records
 * near 8 KiB, so the line itself stays in the file and the record anchors it.
 * Needs CAP_AUDIT_WRITE (root); otherwise the sink is noted as failing. */
#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/sink_impl.h"

int
sink_linux_audit_send(struct sink *s, const struct sink_line *l)
{
    char msg[512], ev[256];
    char *enc;
    int fd, r;
    size_t n = l->event_len < sizeof(ev) - 1 ? l->event_len : sizeof(ev) - 1;

    if (!sink_fd_ok(s)) {
        if ((fd = audit_open()) < 0)
            return errno ? -errno : -EPROTONOSUPPORT;
        if ((r = sink_keep_fd(s, fd)) < 0)
            return r;
    }
    /* Event names are the script's to choose: hex-encoded when they hold
     * anything a record parser would trip on. */
    memcpy(ev, l->event, n);
    ev[n] = '\0';
    if ((enc = audit_encode_nv_string("event", ev, 0)) == NULL)
        return -ENOMEM;
    snprintf(msg, sizeof(msg), "op=spython %s decision=%s chain=%s seq=%llu hash=%s",
             enc, decision_name(l->decision), l->chain, (unsigned long long)l->seq,
             l->hash);
    free(enc);
    errno = 0;
    r = audit_log_user_message(s->fd, AUDIT_TRUSTED_APP, msg, NULL, NULL, NULL,
                               l->decision == DECIDE_ALLOW);
    if (r <= 0) {
        r = errno ? -errno : -EIO;
        close(s->fd);
        s->fd = -1;
        return r;
    }
    return 0;
}
