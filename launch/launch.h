/* The Python-facing side of spython: launch screening, the two hooks, the run. */
#ifndef SPY_LAUNCH_H
#define SPY_LAUNCH_H

#include <Python.h>

#include "audit/line.h"
#include "policy/policy.h"
#include "policy/rules.h"
#include "verify/verify.h"

/* Everything fixed at start-up, before the interpreter exists; read-only after. */
struct spy {
    const char *policy_path;
    struct policy pol;
    struct keyring *keyring;
    struct verify_cfg vcfg;
    unsigned int flags;                 /* accept-flags given before the script (ACCEPT_*) */
    struct exec_env exec_env;           /* secure bits and kernel exec check, probed at start */
};
extern struct spy spy;

/* Whether event is name. The hook compares every event with the few names
 * it treats specially; one byte tells most apart, where a strcmp() call per
 * name cost more than the rest of the decision. */
static inline int
is_event(const char *event, const char *name)
{
    return event[0] == name[0] && strcmp(event, name) == 0;
}

/* argv.c */
enum launch_action { LAUNCH_RUN, LAUNCH_VERSION, LAUNCH_HELP, LAUNCH_REFUSE };
/* --version or --help, answered before the policy is read; else LAUNCH_RUN. */
enum launch_action launch_info_request(int argc, char *const argv[]);
/* What precedes the script, screened against the policy's accept-flags:
 * LAUNCH_RUN with the script at argv[*at] and the flags given in *given
 * (ACCEPT_* bits), or LAUNCH_REFUSE with *why and the offending argument at
 * argv[*at] (*at == argc when the script is missing). */
enum launch_action launch_screen_argv(int argc, char *const argv[], unsigned int accepted,
                                      int *at, unsigned int *given, const char **why);

/* verdicts.c: turn a verification result into a logged decision. */
#define DIGEST_LABEL_MAX (8 + 2 * VERIFY_MAX_DIGEST + 1)
void digest_label(const struct verify_info *info, char out[DIGEST_LABEL_MAX]);
/* Log "spython.verify" for path (what: "script", "module", "extension", ...).
 * Returns the decision; *logged is 0 when the line could not be written, in
 * which case the caller must refuse whatever the decision. */
enum decision log_verdict(const char *what, const char *path, enum verdict v,
                          const struct verify_info *info, int err, int *logged);
/* Log a refusal that has no file behind it (launch rules). */
void log_refusal(const char *event, const char *subject, const char *reason);
/* Log "spython.exec-check": what the kernel offers and what this run enforces.
 * 0, or -errno when the line could not be written. */
int log_exec_check(void);

/* decide.c: the decision for one event (deny carries *why). Verifications it
 * makes on the way are logged; *logged is 0 if one of those lines failed.
 * *note carries what the policy's rules add to the event's line: write it
 * with spy_note_render() before line_finish(), then call spy_note_done()
 * (which ends the process at once when a kill rule decided). */
struct spy_note {
    const char *rule;               /* "file:line" of the deciding policy line */
    PyObject *exc;                  /* what a denial raises */
    int kill;
    int learn;                      /* mode learn: log what the event did */
    struct facts facts;             /* the values the rules saw */
    PyObject *keep[4];              /* what the facts point into */
    int n_keep;
    char buf[2][PATH_MAX];          /* resolved paths */
    char host[256];
};
enum decision spy_decide(const char *event, PyObject *args, const char **why, int *logged,
                         struct spy_note *note);
void spy_note_render(struct jbuf *b, const struct spy_note *note);
void spy_note_done(struct spy_note *note);
/* code.c hands over every verified file: .pyc payloads (and those inside zip
 * archives) may then be unmarshalled under origin=verified. */
void spy_payload_note(const void *data, size_t len, const char *digest_label);

/* scope.c: the policy's packages with code on the current Python stack
 * (present[scope] = 1), and for mode learn the top-level packages outside
 * the standard library as a JSON array. */
void scope_mark(unsigned char *present);
void scope_render(struct jbuf *b);

/* hooks.c */
int spy_audit_hook(const char *event, PyObject *args, void *userdata);

/* code.c: everything Python reads as code goes through here. */
PyObject *spy_open_code(PyObject *path, void *userdata);
/* Remember bytes that were verified so the compile event can name the file. */
void verified_remember(PyObject *bytes, const char *path, const char *digest);
/* The file a bytes object came from, or NULL (identity match only). */
const char *verified_lookup(PyObject *src, const char **digest);
/* The .pyc whose code (after its header) marshal.loads is given, or NULL. */
const char *verified_lookup_pyc(PyObject *src, const char **digest);
/* Drop those references before the interpreter is finalized. */
void verified_forget(void);
/* Is path (/proc/self/fd/N) a sealed memfd the verifying loader is loading? */
int ext_is_loading(const char *path);
/* Route importlib's sourceless and extension loaders through verification. */
int spy_patch_loaders(void);

/* seccomp.c: lock-signatures. Logs, then installs a filter denying every
 * xattr write (EPERM) for this process and its children. 0, or -1 with err. */
int lock_signatures(char *err, size_t errlen);

/* run.c */
/* Start the interpreter and run the verified script bytes (consumes cf).
 * digest labels them in the log; NULL when they did not verify (audit mode).
 * Returns the process exit status. */
int spy_run(int argc, char *argv[], const char *script, struct code_file *cf,
            const char *digest);

#endif
