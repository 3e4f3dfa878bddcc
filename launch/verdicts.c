/* Verification results become log lines and decisions, the same way for every
 * kind of code: main script, module, .pth, zip archive, extension, library. */
#include <string.h>

#include "launch/launch.h"

void
digest_label(const struct verify_info *info, char out[DIGEST_LABEL_MAX])
{
    const char *name = verify_hash_label(info->hash_algo);
    size_t n = strlen(name);

    if (info->digest_len == 0 || n > 7) {
        strcpy(out, "");
        return;
    }
    memcpy(out, name, n);
    out[n++] = ':';
    hex_lower(out + n, info->digest, info->digest_len);
    out[n + 2 * info->digest_len] = '\0';
}

enum decision
log_verdict(const char *what, const char *path, enum verdict v,
            const struct verify_info *info, int err, int *logged)
{
    char stackbuf[1024], label[DIGEST_LABEL_MAX];
    struct jbuf b;
    enum decision d = DECIDE_ALLOW;

    if (v != V_OK)
        d = spy.pol.mode == MODE_AUDIT ? DECIDE_WOULD_DENY : DECIDE_DENY;
    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, "spython.verify");
    jbuf_lit(&b, "{\"kind\":");
    jbuf_str_utf8(&b, what, strlen(what));
    jbuf_lit(&b, ",\"path\":");
    jbuf_str_utf8(&b, path, strlen(path));
    if (info != NULL && info->digest_len > 0) {
        digest_label(info, label);
        jbuf_lit(&b, ",\"digest\":");
        jbuf_str_utf8(&b, label, strlen(label));
    }
    if (info != NULL && info->have_keyid) {
        jbuf_lit(&b, ",\"keyid\":");
        jbuf_hex(&b, info->keyid, sizeof(info->keyid));
    }
    /* errno explains an open or read failure, and which of the kernel's rules
     * an exec check broke (EACCES, or EPERM from an LSM); for a missing xattr
     * it is noise. */
    if (err != 0 && (v == V_UNREADABLE || v == V_NOT_REGULAR || v == V_EXEC_DENIED)) {
        jbuf_lit(&b, ",\"errno\":");
        jbuf_str_utf8(&b, strerror(err), strlen(strerror(err)));
    }
    jbuf_char(&b, '}');
    *logged = line_finish(&b, d, v == V_OK ? NULL : verdict_reason(v)) == 0;
    jbuf_free(&b);
    return d;
}

void
log_refusal(const char *event, const char *subject, const char *reason)
{
    char stackbuf[1024];
    struct jbuf b;

    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, event);
    jbuf_lit(&b, "{\"subject\":");
    jbuf_str_utf8(&b, subject, strlen(subject));
    jbuf_char(&b, '}');
    /* Launch refusals are refusals in audit mode too: there is nothing to run. */
    (void)line_finish(&b, DECIDE_DENY, reason);
    jbuf_free(&b);
}

int
log_exec_check(void)
{
    const struct exec_rules *r = &spy.vcfg.exec;
    const struct exec_env *env = &spy.exec_env;
    const char *mode = exec_check_mode_name(spy.pol.exec_check);
    const struct { const char *key; int on; const char *yes, *no; } facts[] = {
        { "kernel",           env->kernel_check,     "\"supported\"", "\"unsupported\"" },
        { "restrict_file",    env->restrict_file,    "true", "false" },
        { "deny_interactive", env->deny_interactive, "true", "false" },
        { "enforced",         r->kernel_enforce,     "true", "false" },
        { "noexec",           r->refuse_noexec,      "\"refused\"", "\"allowed\"" },
        { "writable",         r->refuse_writable,    "\"refused\"", "\"allowed\"" },
    };
    char stackbuf[512];
    struct jbuf b;
    int rc;

    jbuf_init(&b, stackbuf, sizeof(stackbuf), LINE_MAX_BYTES);
    line_begin(&b, "spython.exec-check");
    jbuf_lit(&b, "{\"policy\":");
    jbuf_str_utf8(&b, mode, strlen(mode));
    for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
        jbuf_lit(&b, ",\"");
        jbuf_lit(&b, facts[i].key);
        jbuf_lit(&b, "\":");
        jbuf_lit(&b, facts[i].on ? facts[i].yes : facts[i].no);
    }
    jbuf_char(&b, '}');
    rc = line_finish(&b, DECIDE_ALLOW, NULL);
    jbuf_free(&b);
    return rc;
}
