/* The audit hook: every PEP 578 event is decided, written, and only then
 * allowed to proceed. A line that cannot be written refuses the action.
 * compile and exec lines are transcripts (launch/transcript.c). */
#include <errno.h>
#include <string.h>

#include "audit/event.h"
#include "launch/launch.h"
#include "launch/transcript.h"


static int
log_event(const char *event, PyObject *args, enum decision d, const char *why,
          const struct spy_note *note)
{
    char stackbuf[4096];
    const char *vpath = NULL, *vdigest = NULL;
    struct jbuf b;
    int rc;

    if (PyTuple_Check(args)) {
        if (is_event(event, "compile") && PyTuple_GET_SIZE(args) == 2)
            return transcript_compile(args, d, why, note);
        if (is_event(event, "exec") && PyTuple_GET_SIZE(args) >= 1 &&
            PyCode_Check(PyTuple_GET_ITEM(args, 0)))
            return transcript_exec(args, d, why, note);
    }
    /* Cached bytecode that was just verified: its file and digest say what
     * it is; its first EVENT_BYTES_CAP bytes, escaped, would say less in
     * five times the room (one such line per imported module). Looked up
     * once: the lookup compares the whole buffer. */
    if (is_event(event, "marshal.loads") && PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 1)
        vpath = verified_lookup_pyc(PyTuple_GET_ITEM(args, 0), &vdigest);
    transcript_note_event(event, vpath, vdigest);
    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, event);
    if (vpath != NULL)
        event_render_verified(&b, PyTuple_GET_ITEM(args, 0), vpath, vdigest);
    else
        event_render(&b, args);
    spy_note_render(&b, note);
    rc = line_finish(&b, d, why);
    jbuf_free(&b);
    return rc;
}

int
spy_audit_hook(const char *event, PyObject *args, void *userdata)
{
    const char *why = NULL;
    struct spy_note note;
    int logged = 1, rc;
    enum decision d = spy_decide(event, args, &why, &logged, &note);

    if (d == DECIDE_DENY && spy.pol.mode == MODE_AUDIT)
        d = DECIDE_WOULD_DENY;
    rc = log_event(event, args, d, why, &note);
    spy_note_done(&note);           /* a kill rule ends the process here */
    if (rc != 0 || !logged) {
        PyErr_Format(PyExc_PermissionError,
                     "spython: %s refused: the audit log cannot be written (%s)",
                     event, strerror(rc != 0 ? -rc : EIO));
        return -1;
    }
    if (d == DECIDE_DENY) {
        PyErr_Format(note.exc, "spython: %s denied: %s", event, why);
        return -1;
    }
    return 0;
}
