/* Transcripts of dynamic code, and which transcript each exec() runs. */
#ifndef SPY_TRANSCRIPT_H
#define SPY_TRANSCRIPT_H

#include <Python.h>

#include "audit/line.h"

/* Wrap builtins.compile, so the code object a compile() returns is linked to
 * the transcript its compile event logged; and os._exit, so the log's chain
 * is closed before it. After the interpreter starts. */
int transcript_install(void);

/* note: what the policy's rules add to each line (launch.h). */
struct spy_note;
/* Log a "compile" event: the verified file it came from, or the full source
 * (in parts when large) with its SHA-256, caller and benign generator.
 * 0, or the -errno of the line that could not be written. */
int transcript_compile(PyObject *args, enum decision d, const char *why,
                       const struct spy_note *note);

/* Log an "exec" event whose first argument is a code object, with the
 * transcript (or verified file) it came from and the caller. */
int transcript_exec(PyObject *args, enum decision d, const char *why,
                    const struct spy_note *note);

/* Every other event: code that did not come from compile() (marshal.loads,
 * code.__new__) is remembered for the exec that follows, and a link that the
 * next exec did not use is dropped. For marshal.loads, vpath and vdigest name
 * the verified .pyc whose bytes it reads (NULL: none), as the caller looked
 * them up once for the event's line. */
void transcript_note_event(const char *event, const char *vpath, const char *vdigest);

#endif
