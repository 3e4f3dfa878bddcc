/* spython: run a signed Python script, and nothing else.
 *
 * The story of a launch: screen argv -> read the policy fixed at build time ->
 * open the log -> load the keyring -> read and verify the script -> install
 * the hooks, start the interpreter -> run exactly the verified bytes.
 * Every refusal: one "spython: " line on stderr, a deny line in the log when
 * the log is open, exit status 2. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit/log.h"
#include "launch/launch.h"

#ifndef SPYTHON_POLICY
#error "build with -DSPYTHON_POLICY=\"/abs/path\" (make POLICY=...)"
#endif

#define EXIT_REFUSED 2

struct spy spy = { .policy_path = SPYTHON_POLICY };

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: spython SCRIPT [ARGS...]\n"
            "       spython --version | --help\n"
            "Run SCRIPT, a signed Python file, in isolated mode. ARGS reach the script\n"
            "unchanged as sys.argv[1:]. Interpreter options are not accepted.\n"
            "Policy: %s\n", spy.policy_path);
}

static int
refuse(const char *subject, const char *reason)
{
    if (subject != NULL)
        fprintf(stderr, "spython: %s: %s\n", subject, reason);
    else
        fprintf(stderr, "spython: %s\n", reason);
    if (log_fd() >= 0)
        log_refusal("spython.launch", subject ? subject : "", reason);
    return EXIT_REFUSED;
}

static int
load_trust(char *err, size_t errlen)
{
    if (policy_load(spy.policy_path, &spy.pol, err, errlen) < 0)
        return -1;
    if (log_open(spy.pol.log_path, err, errlen) < 0)
        return -1;
    spy.keyring = keyring_new();
    if (spy.keyring == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < spy.pol.n_keyrings; i++) {
        if (keyring_add_path(spy.keyring, spy.pol.keyrings[i], err, errlen) < 0)
            return -1;
    }
    spy.vcfg.keyring = spy.keyring;
    spy.vcfg.xattr_name = spy.pol.xattr;
    spy.vcfg.max_file_size = spy.pol.max_file_size;
    return 0;
}

/* The first line of every run: who started what, under which policy. */
static int
log_start(int argc, char *argv[])
{
    char stackbuf[2048];
    struct jbuf b;
    int rc;

    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, "spython.start");
    jbuf_lit(&b, "{\"argv\":[");
    for (int i = 0; i < argc; i++) {
        if (i > 0)
            jbuf_char(&b, ',');
        jbuf_str_utf8(&b, argv[i], strlen(argv[i]));
    }
    jbuf_lit(&b, "],\"policy\":");
    jbuf_str_utf8(&b, spy.policy_path, strlen(spy.policy_path));
    jbuf_lit(&b, spy.pol.mode == MODE_AUDIT ? ",\"mode\":\"audit\"" : ",\"mode\":\"enforce\"");
    jbuf_lit(&b, ",\"uid\":");
    jbuf_i64(&b, getuid());
    jbuf_lit(&b, ",\"euid\":");
    jbuf_i64(&b, geteuid());
    jbuf_lit(&b, ",\"version\":\"" SPYTHON_VERSION "\"}");
    rc = line_finish(&b, DECIDE_ALLOW, NULL);
    jbuf_free(&b);
    return rc;
}

int
main(int argc, char *argv[])
{
    const char *why, *script;
    char err[512], label[DIGEST_LABEL_MAX];
    struct code_file cf = { 0 };
    struct verify_info info = { 0 };
    enum launch_action action;
    enum verdict v;
    enum decision d;
    int e = 0, logged;

    action = launch_screen_argv(argc, argv, &why);
    if (action == LAUNCH_VERSION) {
        printf("spython %s (Python %s)\n", SPYTHON_VERSION, PY_VERSION);
        return 0;
    }
    if (action == LAUNCH_HELP) {
        usage(stdout);
        return 0;
    }
    if (load_trust(err, sizeof(err)) < 0)
        return refuse(NULL, err);
    if (log_start(argc, argv) != 0)
        return refuse(spy.pol.log_path, "the audit log cannot be written");
    if (action == LAUNCH_REFUSE)
        return refuse(argc > 1 ? argv[1] : NULL, why);

    script = argv[1];
    v = code_file_read(&spy.vcfg, script, &cf, &info, &e);
    d = log_verdict("script", script, v, &info, e, &logged);
    if (!logged) {
        code_file_free(&cf);
        return refuse(script, "the audit log cannot be written");
    }
    if (d == DECIDE_DENY || cf.data == NULL) {
        code_file_free(&cf);
        if (v == V_UNREADABLE && e != 0)
            return refuse(script, strerror(e));
        return refuse(script, verdict_reason(v));
    }
    digest_label(&info, label);
    return spy_run(argc, argv, script, &cf, v == V_OK ? label : NULL);
}
