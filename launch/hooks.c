/* The audit hook: every PEP 578 event is decided, written, and only then
 * allowed to proceed. A line that cannot be written refuses the action. */
#include <errno.h>
#include <string.h>

#include "audit/event.h"
#include "launch/launch.h"

int
spy_audit_hook(const char *event, PyObject *args, void *userdata)
{
    char stackbuf[4096];
    struct jbuf b;
    const char *why = NULL, *vpath, *vdigest = NULL;
    int logged = 1, rc;
    enum decision d = spy_decide(event, args, &why, &logged);

    if (d == DECIDE_DENY && spy.pol.mode == MODE_AUDIT)
        d = DECIDE_WOULD_DENY;
    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, event);
    if (strcmp(event, "compile") == 0 && PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 2) {
        vpath = verified_lookup(PyTuple_GET_ITEM(args, 0), &vdigest);
        event_render_compile(&b, args, vpath, vdigest);
    } else {
        event_render(&b, args);
    }
    rc = line_finish(&b, d, why);
    jbuf_free(&b);
    if (rc != 0 || !logged) {
        PyErr_Format(PyExc_PermissionError,
                     "spython: %s refused: the audit log cannot be written (%s)",
                     event, strerror(rc != 0 ? -rc : EIO));
        return -1;
    }
    if (d == DECIDE_DENY) {
        PyErr_Format(PyExc_PermissionError, "spython: %s denied: %s", event, why);
        return -1;
    }
    return 0;
}
