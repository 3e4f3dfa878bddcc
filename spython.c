/* spython: run a signed Python script, and nothing else.
 *
 * The story of a launch: screen argv -> read the policy fixed at build time ->
 * open the log -> load the keyring -> read and verify the script -> install
 * the hooks, start the interpreter -> run exactly the verified bytes.
 * Every refusal: one "spython: " line on stderr, a deny line in the log when
 * the log is open, exit status 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/log.h"
#include "audit/sink.h"
#include "launch/launch.h"
#include "verify/digestlist.h"
#include "verify/lazy.h"

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
            "unchanged as sys.argv[1:]. Interpreter options are not accepted, but for\n"
            "the policy's accept-flags (any of -I -E -s -S -B -P -u).\n"
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

/* libcrypto reads its configuration when it first starts, and the caller's
 * OPENSSL_CONF (or the directories these name) can make it load engines
 * and provider modules: native code no signature covers. spython itself
 * loads libcrypto only for signatures, without any configuration
 * (verify/backend.c), but Python's hashlib and ssl may start it first, so
 * the variables leave the environment before Python sees it (os.environ,
 * and every child, run without them). */
static void
drop_openssl_env(void)
{
    static const char *const vars[] = {
        "OPENSSL_CONF", "OPENSSL_CONF_INCLUDE", "OPENSSL_MODULES", "OPENSSL_ENGINES",
    };

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

/* A refusal's reason: the verdict's, with the errno or the keyring's
 * failure where they say more. */
static const char *
verdict_detail(enum verdict v, int e, char *buf, size_t len)
{
    if (v == V_UNREADABLE && e != 0)
        return strerror(e);
    if (v == V_NO_KEYRING) {
        snprintf(buf, len, "%s: %s", verdict_reason(v), keyring_failure(spy.keyring));
        return buf;
    }
    return verdict_reason(v);
}

static int
load_trust(char *err, size_t errlen)
{
    if (policy_load(spy.policy_path, &spy.pol, err, errlen) < 0)
        return -1;
    if (log_open(spy.pol.log_path, err, errlen) < 0 ||
        line_start(spy.pol.seal_key, spy.pol.seal_key_len, err, errlen) < 0 ||
        sinks_open(spy.pol.sinks, spy.pol.n_sinks, err, errlen) < 0)
        return -1;
    /* The chain keeps only the key it derived; the script's process need
     * not hold the sealing key itself. */
    if (spy.pol.seal_key != NULL)
        explicit_bzero(spy.pol.seal_key, spy.pol.seal_key_len);
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
    exec_env_probe(&spy.exec_env);
    return exec_rules_init(&spy.vcfg.exec, spy.pol.exec_check, spy.pol.require_unwritable,
                           &spy.exec_env, err, errlen);
}

/* Digest lists are checked with the keyring alone, or by the policy's pin
 * (a list never vouches for another; a pinned one needs no public-key
 * operation), and without the kernel's exec check (a list is never run);
 * each is logged like any file. In audit mode one that fails is logged and
 * ignored. */
static int
load_digest_lists(char *err, size_t errlen)
{
    static struct digest_set *lists;
    struct verify_cfg cfg = spy.vcfg;
    struct code_file cf;
    struct verify_info info;
    const char *path, *why;
    char err2[512];
    enum verdict v;
    enum decision d;
    int e, logged;

    if (spy.pol.n_digest_lists == 0)
        return 0;
    cfg.exec = (struct exec_rules){ .refuse_writable = spy.vcfg.exec.refuse_writable };
    if ((lists = digest_set_new()) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < spy.pol.n_digest_lists; i++) {
        path = spy.pol.digest_lists[i];
        e = 0;
        v = digest_list_read(&cfg, path, spy.pol.digest_pins[i].set ? spy.pol.digest_pins[i].sha256 : NULL,
                             &cf, &info, &e);
        d = log_verdict("digest-list", path, v, &info, e, &logged);
        if (!logged)
            why = "the audit log cannot be written";
        else if (d == DECIDE_DENY)
            why = verdict_detail(v, e, err2, sizeof(err2));
        else if (v == V_OK && digest_set_add(lists, cf.data, cf.len, &why) == 0)
            continue;               /* the set owns cf.data now */
        else if (v != V_OK)
            why = NULL;             /* audit mode: logged, not trusted */
        code_file_free(&cf);
        if (why != NULL) {
            snprintf(err, errlen, "digest list %s: %s", path, why);
            return -1;
        }
    }
    spy.vcfg.digests = lists;
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
    jbuf_lit(&b, ",\"mode\":\"");
    jbuf_lit(&b, policy_mode_names[spy.pol.mode]);
    jbuf_char(&b, '"');
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
    int e = 0, logged, at;

    drop_openssl_env();
    action = launch_info_request(argc, argv);
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
    if (log_start(argc, argv) != 0 || log_exec_check() != 0)
        return refuse(spy.pol.log_path, "the audit log cannot be written");
    if (load_digest_lists(err, sizeof(err)) < 0)
        return refuse(NULL, err);
    /* Options are screened only now: the policy's accept-flags decides, and
     * a refusal is logged. */
    action = launch_screen_argv(argc, argv, spy.pol.accept_flags, &at, &spy.flags, &why);
    if (action == LAUNCH_REFUSE) {
        /* The refusal stands either way; the log says the kernel asked for it too. */
        if (spy.exec_env.deny_interactive) {
            snprintf(err, sizeof(err), "%s (SECBIT_EXEC_DENY_INTERACTIVE is set)", why);
            why = err;
        }
        return refuse(at < argc ? argv[at] : NULL, why);
    }
    /* The accepted flags are spent (spy.flags): from here on the launch is
     * spython SCRIPT [ARGS...], and sys.argv starts at the script as in python3. */
    if (at > 1) {
        memmove(argv + 1, argv + at, (size_t)(argc - at + 1) * sizeof(*argv));
        argc -= at - 1;
    }

    script = argv[1];
    v = code_file_read(&spy.vcfg, script, &cf, &info, &e);
    d = log_verdict("script", script, v, &info, e, &logged);
    if (!logged) {
        code_file_free(&cf);
        return refuse(script, "the audit log cannot be written");
    }
    if (d == DECIDE_DENY || cf.data == NULL) {
        code_file_free(&cf);
        return refuse(script, verdict_detail(v, e, err, sizeof(err)));
    }
    /* After the last C-side read, before any Python code: nothing a script
     * runs can write a signature. */
    if (spy.pol.lock_signatures && lock_signatures(err, sizeof(err)) < 0) {
        code_file_free(&cf);
        return refuse(NULL, err);
    }
    digest_label(&info, label);
    return spy_run(argc, argv, script, &cf, v == V_OK ? label : NULL);
}
