/* The policy rules against hostile event values. Rules come from the policy
 * (trusted); the values come from what a script passes to open(), connect(),
 * Popen(), import: hostile. Input: rule lines, a NUL, then NUL-separated
 * fields: event name, path, working directory, host, executable, module,
 * library, "module:name" global, and a byte of flags.
 *  - rules_normalize_path gives an absolute path with no empty, "." or ".."
 *    component, the same again when normalized again, and never more than
 *    the room it was given;
 *  - rules_sock_from_host of an address, spelled back by rules_format_sock,
 *    reads back as the same address;
 *  - rules_eval decides allow, deny or kill, and a refusal names its line. */
#include <string.h>
#include <linux/limits.h>

#include "policy/policy.h"
#include "policy/rules.h"
#include "tests/fuzz/fuzz.h"

enum { F_EVENT, F_PATH, F_CWD, F_HOST, F_EXE, F_MODULE, F_LIB, F_GLOBAL, F_FLAGS, F_MAX };

static void
check_normalized(const char *p)
{
    size_t n = strlen(p);

    FUZZ_ASSERT(p[0] == '/' && (n == 1 || p[n - 1] != '/'));
    FUZZ_ASSERT(strstr(p, "//") == NULL && strstr(p, "/./") == NULL &&
                strstr(p, "/../") == NULL);
    FUZZ_ASSERT(strcmp(p + (n >= 2 ? n - 2 : 0), "/.") != 0);
    FUZZ_ASSERT(n < 3 || strcmp(p + n - 3, "/..") != 0);
}

/* 0 with the normalized path in out, -1 if it does not fit. */
static int
normalize(const char *cwd, const char *path, char *out, size_t outlen)
{
    char again[PATH_MAX], *small;
    size_t cap = strlen(path) % 16 + 1;
    int r = rules_normalize_path(path[0] == '/' ? NULL : cwd, path, out, outlen);

    if (r == 0) {
        check_normalized(out);
        FUZZ_ASSERT(rules_normalize_path(NULL, out, again, sizeof(again)) == 0);
        FUZZ_ASSERT(strcmp(again, out) == 0);
    }
    /* A small exact-size heap buffer: any write past it is caught. */
    FUZZ_ASSERT((small = malloc(cap)) != NULL);
    if (rules_normalize_path(path[0] == '/' ? NULL : cwd, path, small, cap) == 0)
        FUZZ_ASSERT(r == 0 && strcmp(small, out) == 0);
    free(small);
    return r;
}

static void
check_sock(const char *host, unsigned port, struct sock_fact *s, char *name, size_t namelen)
{
    struct sock_fact back;
    char spelled[300], hostpart[300], backname[256], *colon;

    if (rules_sock_from_host(host, port, s, name, namelen) < 0) {
        s->kind = SK_NAME;
        s->name = NULL;
        return;
    }
    if (s->kind == SK_NAME)
        FUZZ_ASSERT(s->name == name && strlen(name) > 0);
    if ((s->kind != SK_INET4 && s->kind != SK_INET6) ||
        rules_format_sock(s, spelled, sizeof(spelled)) < 0)
        return;
    FUZZ_ASSERT(rules_word_ok(spelled));
    /* "1.2.3.4:80" or "[::1]:80": the address part reads back the same. */
    FUZZ_ASSERT((colon = strrchr(spelled, ':')) != NULL);
    *colon = '\0';
    snprintf(hostpart, sizeof(hostpart), "%.*s",
             (int)(s->kind == SK_INET6 ? strlen(spelled) - 2 : strlen(spelled)),
             spelled + (s->kind == SK_INET6));
    FUZZ_ASSERT(rules_sock_from_host(hostpart, port, &back, backname, sizeof(backname)) == 0);
    FUZZ_ASSERT(back.kind == s->kind && memcmp(back.ip, s->ip, 16) == 0 && back.port == port);
}

static int
scope_from_flags(void *ctx, unsigned scope)
{
    return (*(const unsigned char *)ctx >> (scope % 8)) & 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    const char *field[F_MAX];
    char *buf, err[512], path[PATH_MAX], exe[PATH_MAX], name[256], global[256], dotted[256];
    char *colon;
    const uint8_t *nul = memchr(in, '\0', size);
    struct policy pol;
    struct facts f;
    struct plan tmp;
    const struct plan *p;
    struct rule_verdict v;
    unsigned char flags;
    size_t off, rest, i;
    int parsed;

    if (nul == NULL)
        return 0;
    parsed = policy_parse_buffer("fuzz.conf", (const char *)in, (size_t)(nul - in),
                                 &pol, err, sizeof(err)) == 0;
    /* The fields, from a NUL-terminated copy; missing ones are empty. */
    rest = size - (size_t)(nul - in) - 1;
    FUZZ_ASSERT((buf = malloc(rest + 1)) != NULL);
    memcpy(buf, nul + 1, rest);
    buf[rest] = '\0';
    for (i = 0, off = 0; i < F_MAX; i++) {
        field[i] = off <= rest ? buf + off : "";
        off += strlen(field[i]) + 1;
    }
    flags = (unsigned char)field[F_FLAGS][0];

    memset(&f, 0, sizeof(f));
    f.classes = flags & ((1u << EC_MAX) - 1);
    if (normalize(field[F_CWD][0] == '/' ? field[F_CWD] : "/", field[F_PATH], path,
                  sizeof(path)) == 0) {
        f.path[0] = path;
        f.n_path = 1;
        f.st[CK_PATH] = FACT_KNOWN;
    }
    f.write = flags >> 5 & 1;
    f.st[CK_ACCESS] = FACT_KNOWN;
    check_sock(field[F_HOST], (unsigned)flags * 257, &f.addr, name, sizeof(name));
    if (f.addr.kind == SK_NAME && f.addr.name != NULL) {
        f.host = name;
        f.st[CK_HOST] = FACT_KNOWN;
    }
    f.st[CK_ADDR] = f.addr.kind != SK_NAME || f.addr.name != NULL ? FACT_KNOWN : FACT_UNKNOWN;
    if (strchr(field[F_EXE], '/') == NULL) {
        f.exe = field[F_EXE];
        f.st[CK_EXE] = FACT_KNOWN;
    } else if (normalize("/", field[F_EXE], exe, sizeof(exe)) == 0) {
        f.exe = exe;
        f.st[CK_EXE] = FACT_KNOWN;
    }
    f.module = field[F_MODULE];
    f.lib = field[F_LIB];
    f.st[CK_MODULE] = f.st[CK_LIB] = FACT_KNOWN;
    snprintf(global, sizeof(global), "%s", field[F_GLOBAL]);
    if ((colon = strchr(global, ':')) != NULL) {
        *colon = '\0';
        f.global_module = global;
        f.global_name = colon + 1;
        f.st[CK_GLOBAL] = FACT_KNOWN;
    }
    f.unverified = flags >> 6 & 1;
    f.st[CK_ORIGIN] = flags & 0x80 ? FACT_UNKNOWN : FACT_KNOWN;

    if (parsed) {
        p = rules_plan(pol.rules, field[F_EVENT], &tmp);
        rules_eval(pol.rules, p, &f, scope_from_flags, &flags, &v);
        FUZZ_ASSERT(v.action == ACT_ALLOW || v.action == ACT_DENY || v.action == ACT_KILL);
        if (v.action != ACT_ALLOW)
            FUZZ_ASSERT(v.reason != NULL && (v.where != NULL || p->failed));
        rules_plan_release(p, &tmp);
        if (f.n_path == 1 && rules_module_of_file(pol.rules, path, dotted, sizeof(dotted)) == 0)
            FUZZ_ASSERT(dotted[0] != '\0' && dotted[0] != '.' &&
                        dotted[strlen(dotted) - 1] != '.' && strstr(dotted, "..") == NULL);
        policy_free(&pol);
    }
    free(buf);
    return 0;
}
