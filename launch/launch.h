/* The Python-facing side of spython: launch screening, the two hooks, the run. */
#ifndef SPY_LAUNCH_H
#define SPY_LAUNCH_H

#include <Python.h>

#include "audit/line.h"
#include "policy/policy.h"
#include "verify/verify.h"

/* Everything fixed at start-up, before the interpreter exists; read-only after. */
struct spy {
    const char *policy_path;
    struct policy pol;
    struct keyring *keyring;
    struct verify_cfg vcfg;
};
extern struct spy spy;

/* argv.c */
enum launch_action { LAUNCH_RUN, LAUNCH_VERSION, LAUNCH_HELP, LAUNCH_REFUSE };
enum launch_action launch_screen_argv(int argc, char *const argv[], const char **why);

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

/* decide.c: the decision for one event (deny carries *why). Verifications it
 * makes on the way are logged; *logged is 0 if one of those lines failed. */
enum decision spy_decide(const char *event, PyObject *args, const char **why, int *logged);

/* hooks.c */
int spy_audit_hook(const char *event, PyObject *args, void *userdata);

/* code.c: everything Python reads as code goes through here. */
PyObject *spy_open_code(PyObject *path, void *userdata);
/* Remember bytes that were verified so the compile event can name the file. */
void verified_remember(PyObject *bytes, const char *path, const char *digest);
/* The file a bytes object came from, or NULL (identity match only). */
const char *verified_lookup(PyObject *src, const char **digest);
/* Drop those references before the interpreter is finalized. */
void verified_forget(void);
/* Is path (/proc/self/fd/N) a sealed memfd the verifying loader is loading? */
int ext_is_loading(const char *path);
/* Route importlib's sourceless and extension loaders through verification. */
int spy_patch_loaders(void);

/* run.c */
/* Start the interpreter and run the verified script bytes (consumes cf).
 * digest labels them in the log; NULL when they did not verify (audit mode).
 * Returns the process exit status. */
int spy_run(int argc, char *argv[], const char *script, struct code_file *cf,
            const char *digest);

#endif
