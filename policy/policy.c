/* The policy file, after OpenSSH's servconf.c: one table row per directive,
 * one loop that splits a line and looks its keyword up, one case per
 * directive. Anything not understood is an error naming file and line: a
 * policy that is half read must not be half enforced. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/json.h"                /* utf8_valid_len */
#include "policy/policy.h"
#include "policy/rules.h"

#define POLICY_MAX_LINE 4096
#define POLICY_MAX_FILE (1 << 20)
#define POLICY_MAX_ARGS 8           /* no row of the table may take more, */
#define RULE_MAX_ARGS 64            /* but a rule or allow-list line */
#define POLICY_MAX_INCLUDE 8        /* include depth: a loop ends here */
#define MAX_FILE_SIZE_LIMIT (4ull << 30)

enum opcode {
    P_KEYRING, P_XATTR, P_LOG, P_SEARCH_PATH, P_RULE, P_MODE, P_MAX_FILE_SIZE,
    P_INCLUDE,
    P_LOG_SINK, P_LOG_SEAL_KEY,
    P_REQUIRE_UNWRITABLE, P_LOCK_SIGNATURES, P_EXEC_CHECK,
    P_ACCEPT_FLAGS,
    P_DIGEST_LIST,
};

static const struct directive {
    const char *name;
    enum opcode op;
    int min_args, max_args;
    int repeatable;
} directives[] = {
    { "keyring",        P_KEYRING,          1, 1, 1 },
    { "xattr",          P_XATTR,            1, 1, 0 },
    { "log",            P_LOG,              1, 1, 0 },
    { "search-path",    P_SEARCH_PATH,      1, 1, 1 },
    { "deny",           P_RULE,             1, RULE_MAX_ARGS, 1 },
    { "allow",          P_RULE,             1, RULE_MAX_ARGS, 1 },
    { "kill",           P_RULE,             1, RULE_MAX_ARGS, 1 },
    { "module",         P_RULE,             2, RULE_MAX_ARGS, 1 },
    { "allow-write",    P_RULE,             0, RULE_MAX_ARGS, 1 },
    { "allow-connect",  P_RULE,             0, RULE_MAX_ARGS, 1 },
    { "allow-bind",     P_RULE,             0, RULE_MAX_ARGS, 1 },
    { "allow-lookup",   P_RULE,             0, RULE_MAX_ARGS, 1 },
    { "allow-exec",     P_RULE,             0, RULE_MAX_ARGS, 1 },
    { "allow-event",    P_RULE,             0, RULE_MAX_ARGS, 1 },
    { "include",        P_INCLUDE,          1, 1, 1 },
    { "mode",           P_MODE,             1, 1, 0 },
    { "max-file-size",  P_MAX_FILE_SIZE,    1, 1, 0 },
    { "log-sink",       P_LOG_SINK,         1, 2, 1 },
    { "log-seal-key",   P_LOG_SEAL_KEY,     1, 1, 0 },
    { "require-unwritable", P_REQUIRE_UNWRITABLE, 1, 1, 0 },
    { "lock-signatures", P_LOCK_SIGNATURES, 1, 1, 0 },
    { "exec-check",     P_EXEC_CHECK,       1, 1, 0 },
    { "accept-flags",   P_ACCEPT_FLAGS,     1, POLICY_MAX_ARGS, 1 },
    { "digest-list",    P_DIGEST_LIST,      1, 2, 1 },
};
#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

struct parse_state {
    const char *name;
    size_t line;
    int depth;                      /* 0 for the policy file, 1.. for includes */
    size_t first_seen[NDIRECTIVES]; /* line a singular one was given on */
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int
parse_error(struct parse_state *ps, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errlen, "%s:%zu: %s", ps->name, ps->line, msg);
    return -1;
}

static int
strv_push(char ***v, size_t *n, const char *s)
{
    char **nv, *copy;

    if ((copy = strdup(s)) == NULL)
        return -1;
    if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL) {
        free(copy);
        return -1;
    }
    nv[(*n)++] = copy;
    *v = nv;
    return 0;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* digest-list PATH [sha256:HEX]: grow the pins with the list names (the
 * name itself is pushed after), set when given. */
static int
parse_pin(struct parse_state *ps, struct policy *p, const char *pin)
{
    static const char prefix[] = "sha256:";
    struct digest_pin *np, *dp;

    if ((np = reallocarray(p->digest_pins, p->n_digest_lists + 1, sizeof(*np))) == NULL)
        return parse_error(ps, "out of memory");
    p->digest_pins = np;
    dp = &np[p->n_digest_lists];
    memset(dp, 0, sizeof(*dp));
    if (pin == NULL)
        return 0;
    if (strncmp(pin, prefix, sizeof(prefix) - 1) != 0 ||
        strlen(pin) != sizeof(prefix) - 1 + 2 * sizeof(dp->sha256))
        return parse_error(ps, "digest-list: pin must be sha256: and 64 lowercase hex digits, not '%s'", pin);
    pin += sizeof(prefix) - 1;
    for (size_t i = 0; i < sizeof(dp->sha256); i++) {
        int hi = hexval(pin[2 * i]), lo = hexval(pin[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return parse_error(ps, "digest-list: pin must be sha256: and 64 lowercase hex digits");
        dp->sha256[i] = (uint8_t)(hi << 4 | lo);
    }
    dp->set = 1;
    return 0;
}

/* Relative paths would depend on the directory spython is started from. */
static int
check_absolute(struct parse_state *ps, const char *directive, const char *arg)
{
    if (arg[0] != '/')
        return parse_error(ps, "%s: not an absolute path: '%s'",
                           directive, arg);
    return 0;
}

static int
is_xattr_name(const char *s)
{
    static const char *const prefixes[] = { "security.", "user.", "trusted." };
    size_t i, n;

    if (strlen(s) > XATTR_NAME_MAX || !rules_ascii_word(s))
        return 0;
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        n = strlen(prefixes[i]);
        if (strncmp(s, prefixes[i], n) == 0 && s[n] != '\0')
            return 1;
    }
    return 0;
}

/* Decimal bytes with an optional K, M or G suffix, 1 to 4G. 0, -1 if
 * malformed, -2 if out of range. */
static int
parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned int shift = 0;
    const char *p;

    /* Once past the limit the value only has to stay past it, so it stops
     * growing there and cannot overflow. */
    for (p = s; *p >= '0' && *p <= '9'; p++)
        if (v <= MAX_FILE_SIZE_LIMIT)
            v = v * 10 + (uint64_t)(*p - '0');
    if (p == s)
        return -1;
    switch (*p) {
    case 'K': shift = 10; p++; break;
    case 'M': shift = 20; p++; break;
    case 'G': shift = 30; p++; break;
    }
    if (*p != '\0')
        return -1;
    if (v == 0 || v > MAX_FILE_SIZE_LIMIT >> shift)
        return -2;
    *out = v << shift;
    return 0;
}

/* Text the parser can trust to print and to split: no NUL, no control
 * character but tab, valid UTF-8. */
static int
check_line_text(struct parse_state *ps, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i, k;

    for (i = 0; i < n; i += k) {
        if (u[i] == '\0')
            return parse_error(ps, "NUL byte");
        if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
            return parse_error(ps, "control character 0x%02x", u[i]);
        if ((k = utf8_valid_len(u + i, n - i)) == 0)
            return parse_error(ps, "invalid UTF-8");
    }
    return 0;
}

/* The next word of *s, split on blanks, or NULL at the end of the line. */
static char *
next_word(char **s)
{
    char *w = *s + strspn(*s, " \t");

    if (*w == '\0')
        return NULL;
    *s = w + strcspn(w, " \t");
    if (**s != '\0')
        *(*s)++ = '\0';
    return w;
}

const char *const log_sink_names[SINK_KINDS] = {
    [SINK_SYSLOG] = "syslog",
    [SINK_JOURNALD] = "journald",
    [SINK_LINUX_AUDIT] = "linux-audit",
};

/* log-sink KIND [SOCKET]: only syslog takes a socket; each kind once. */
static int
add_log_sink(struct parse_state *ps, struct policy *p, int nargs, char *const *av)
{
    struct log_sink *v;
    size_t i;
    int k;

    for (k = 0; k < SINK_KINDS; k++)
        if (strcmp(av[1], log_sink_names[k]) == 0)
            break;
    if (k == SINK_KINDS)
        return parse_error(ps, "log-sink: '%s' is not syslog, journald or "
                           "linux-audit", av[1]);
    if (nargs == 2 && k != SINK_SYSLOG)
        return parse_error(ps, "log-sink: %s takes no socket", av[1]);
    if (nargs == 2 && check_absolute(ps, "log-sink", av[2]) < 0)
        return -1;
    for (i = 0; i < p->n_sinks; i++)
        if (p->sinks[i].kind == (enum log_sink_kind)k)
            return parse_error(ps, "log-sink: %s given twice", av[1]);
    if ((v = reallocarray(p->sinks, p->n_sinks + 1, sizeof(*v))) == NULL)
        return parse_error(ps, "out of memory");
    p->sinks = v;
    v[p->n_sinks].kind = (enum log_sink_kind)k;
    v[p->n_sinks].target = NULL;
    if (k == SINK_SYSLOG &&
        (v[p->n_sinks].target = strdup(nargs == 2 ? av[2] : POLICY_DEFAULT_SYSLOG_SOCKET)) == NULL)
        return parse_error(ps, "out of memory");
    p->n_sinks++;
    return 0;
}

/* yes or no, nothing else: a typo must not silently mean either. */
static int
parse_yes_no(struct parse_state *ps, const char *directive, const char *arg, int *out)
{
    if (strcmp(arg, "yes") == 0)
        *out = 1;
    else if (strcmp(arg, "no") == 0)
        *out = 0;
    else
        return parse_error(ps, "%s: '%s' is not yes or no", directive, arg);
    return 0;
}

/* The interpreter flags accept-flags may name: each one is either already in
 * force in spython or only narrows what the script gets. Code (-c -m), REPL
 * (-i), stdin (-), -X, -W, -O and the rest can never be accepted. */
static const struct accept_flag {
    char letter;
    unsigned int bit;
} accept_flag_table[] = {
    { 'B', ACCEPT_B },      /* no bytecode writing: always so */
    { 'E', ACCEPT_E },      /* PYTHON* ignored: always so */
    { 'I', ACCEPT_I },      /* isolated: always so */
    { 'P', ACCEPT_P },      /* no unsafe sys.path entry: always so */
    { 'S', ACCEPT_S },      /* no site set-up: spython then skips its own */
    { 's', ACCEPT_s },      /* no user site: always so */
    { 'u', ACCEPT_u },      /* unbuffered stdio: applied */
};

unsigned int
policy_accept_flag_bit(int letter)
{
    size_t i;

    for (i = 0; i < sizeof(accept_flag_table) / sizeof(accept_flag_table[0]); i++)
        if (accept_flag_table[i].letter == letter)
            return accept_flag_table[i].bit;
    return 0;
}

/* accept-flags -X...: one flag per argument, as a reader expects to see them. */
static int
add_accept_flags(struct parse_state *ps, struct policy *p, int nargs, char *const *av)
{
    unsigned int bit;
    int i;

    for (i = 1; i <= nargs; i++) {
        if (av[i][0] != '-' || av[i][1] == '\0' || av[i][2] != '\0' ||
            (bit = policy_accept_flag_bit(av[i][1])) == 0)
            return parse_error(ps, "accept-flags: '%s' cannot be accepted "
                               "(only -B -E -I -P -S -s -u)", av[i]);
        p->accept_flags |= bit;
    }
    return 0;
}

const char *const policy_mode_names[MODE_COUNT] = {
    [MODE_ENFORCE] = "enforce",
    [MODE_AUDIT] = "audit",
    [MODE_LEARN] = "learn",
};

static int include_files(struct parse_state *ps, const char *pattern, struct policy *p);

static int
parse_line(struct parse_state *ps, char *line, struct policy *p)
{
    const struct directive *d = NULL;
    char *av[RULE_MAX_ARGS + 2], *w, *arg;
    int ac, nargs, r = 0;
    size_t i, di;

    /* A comment starts with a word that starts with '#'; a '#' inside a word
     * is part of it, as in a path. */
    for (ac = 0; (w = next_word(&line)) != NULL && w[0] != '#'; ac++)
        if (ac < (int)(sizeof(av) / sizeof(av[0])))
            av[ac] = w;
    if (ac == 0)
        return 0;
    for (i = 0; i < NDIRECTIVES; i++)
        if (strcmp(av[0], directives[i].name) == 0)
            d = &directives[i];
    if (d == NULL)
        return parse_error(ps, "unknown directive '%s'", av[0]);
    nargs = ac - 1;
    if (nargs < d->min_args)
        return parse_error(ps, "%s: missing argument", d->name);
    if (nargs > d->max_args)
        return parse_error(ps, "%s: too many arguments", d->name);
    di = (size_t)(d - directives);
    if (!d->repeatable) {
        /* One file shows every setting; drop-ins only add to lists. */
        if (ps->depth > 0)
            return parse_error(ps, "%s: only in the main policy file", d->name);
        if (ps->first_seen[di])
            return parse_error(ps, "%s: given twice (first on line %zu)",
                               d->name, ps->first_seen[di]);
        ps->first_seen[di] = ps->line;
    }
    arg = av[1];

    switch (d->op) {
    case P_KEYRING:
        if (check_absolute(ps, d->name, arg) < 0)
            return -1;
        r = strv_push(&p->keyrings, &p->n_keyrings, arg);
        break;
    case P_DIGEST_LIST:
        if (check_absolute(ps, d->name, arg) < 0 || parse_pin(ps, p, ac > 2 ? av[2] : NULL) < 0)
            return -1;
        r = strv_push(&p->digest_lists, &p->n_digest_lists, arg);
        break;
    case P_LOG:
        if (check_absolute(ps, d->name, arg) < 0)
            return -1;
        r = (p->log_path = strdup(arg)) == NULL ? -1 : 0;
        break;
    case P_SEARCH_PATH:
        if (check_absolute(ps, d->name, arg) < 0)
            return -1;
        r = strv_push(&p->search_path, &p->n_search_path, arg);
        break;
    case P_XATTR:
        if (!is_xattr_name(arg))
            return parse_error(ps, "xattr: bad name '%s' "
                               "(security.*, user.* or trusted.*)", arg);
        r = (p->xattr = strdup(arg)) == NULL ? -1 : 0;
        break;
    case P_RULE: {
        char where[PATH_MAX + 24], msg[512];

        snprintf(where, sizeof(where), "%s:%zu", ps->name, ps->line);
        if (rules_parse_line(&p->rules, where, av, ac, msg, sizeof(msg)) < 0)
            return parse_error(ps, "%s", msg);
        break;
    }
    case P_INCLUDE:
        return include_files(ps, arg, p);
    case P_MODE:
        for (i = 0; i < MODE_COUNT && strcmp(arg, policy_mode_names[i]) != 0; i++)
            ;
        if (i == MODE_COUNT)
            return parse_error(ps, "mode: '%s' is not enforce, audit or learn", arg);
        p->mode = (enum policy_mode)i;
        break;
    case P_MAX_FILE_SIZE:
        r = parse_size(arg, &p->max_file_size);
        if (r == -1)
            return parse_error(ps, "max-file-size: bad size '%s' (bytes, "
                               "optionally with K, M or G)", arg);
        if (r == -2)
            return parse_error(ps, "max-file-size: '%s' out of range "
                               "(1 to 4G)", arg);
        break;
    case P_LOG_SINK:
        return add_log_sink(ps, p, nargs, av);
    case P_LOG_SEAL_KEY:
        if (check_absolute(ps, d->name, arg) < 0)
            return -1;
        r = (p->seal_key_path = strdup(arg)) == NULL ? -1 : 0;
        break;
    case P_REQUIRE_UNWRITABLE:
        return parse_yes_no(ps, d->name, arg, &p->require_unwritable);
    case P_LOCK_SIGNATURES:
        return parse_yes_no(ps, d->name, arg, &p->lock_signatures);
    case P_ACCEPT_FLAGS:
        return add_accept_flags(ps, p, nargs, av);
    case P_EXEC_CHECK:
        if ((r = exec_check_mode_from_name(arg)) < 0)
            return parse_error(ps, "exec-check: '%s' is not auto, require or off", arg);
        p->exec_check = (enum exec_check_mode)r;
        r = 0;
        break;
    }
    if (r < 0)
        return parse_error(ps, "out of memory");
    return 0;
}

/* The lines of one file, the policy or an included one. */
static int
parse_text(struct parse_state *ps, const char *buf, size_t len, struct policy *out)
{
    char line[POLICY_MAX_LINE + 1];
    const char *nl;
    size_t off = 0, n, next;

    while (off < len) {
        ps->line++;
        nl = memchr(buf + off, '\n', len - off);
        n = nl ? (size_t)(nl - (buf + off)) : len - off;
        next = off + n + 1;
        if (n > 0 && buf[off + n - 1] == '\r')
            n--;                    /* CRLF, from an editor elsewhere */
        if (n > POLICY_MAX_LINE)
            return parse_error(ps, "line longer than %d bytes", POLICY_MAX_LINE);
        if (check_line_text(ps, buf + off, n) < 0)
            return -1;
        memcpy(line, buf + off, n);
        line[n] = '\0';
        if (parse_line(ps, line, out) < 0)
            return -1;
        off = next;
    }
    return 0;
}

int
policy_parse_buffer(const char *name, const char *buf, size_t len,
                    struct policy *out, char *err, size_t errlen)
{
    struct parse_state ps = { .name = name, .err = err, .errlen = errlen };
    char msg[512];

    memset(out, 0, sizeof(*out));
    out->mode = MODE_ENFORCE;
    out->max_file_size = POLICY_DEFAULT_MAX_FILE_SIZE;
    if (parse_text(&ps, buf, len, out) < 0)
        goto fail;
    if (rules_finish(&out->rules, out->search_path, out->n_search_path,
                     msg, sizeof(msg)) < 0) {
        snprintf(err, errlen, "%s: %s", name, msg);
        goto fail;
    }
    if (out->xattr == NULL &&
        (out->xattr = strdup(POLICY_DEFAULT_XATTR)) == NULL) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto fail;
    }
    return 0;
fail:
    policy_free(out);
    return -1;
}

static int
read_trusted_file(const char *path, char **buf, size_t *len, struct stat *out_st,
                  char *err, size_t errlen)
{
    struct stat checked, st;
    ssize_t r;
    int fd, ret = -1;

    *buf = NULL;
    *len = 0;
    if (trust_check_path_stat(path, &checked, err, errlen) < 0)
        return -1;
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0 ||
        fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (st.st_dev != checked.st_dev || st.st_ino != checked.st_ino) {
        snprintf(err, errlen, "%s: replaced while it was being checked", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_size > POLICY_MAX_FILE) {
        snprintf(err, errlen, "%s: larger than %d bytes", path,
                 POLICY_MAX_FILE);
        goto out;
    }
    if ((*buf = malloc((size_t)st.st_size + 1)) == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    while (*len < (size_t)st.st_size) {
        r = read(fd, *buf + *len, (size_t)st.st_size - *len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        *len += (size_t)r;
    }
    ret = 0;
    if (out_st != NULL)
        *out_st = st;
out:
    if (fd >= 0)
        close(fd);
    if (ret < 0) {
        free(*buf);
        *buf = NULL;
    }
    return ret;
}

static int
compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* include PATH: one file, or a glob such as /etc/spython/policy.d/\*.conf
 * whose files are read in byte order (no locale decides it). Each passes the
 * trust check the policy itself passes; a glob may match nothing. */
static int
include_files(struct parse_state *ps, const char *pattern, struct policy *p)
{
    struct parse_state sub = { .depth = ps->depth + 1, .err = ps->err, .errlen = ps->errlen };
    glob_t g;
    char *buf = NULL, why[512];
    size_t len, i;
    int r, rc = -1;

    if (check_absolute(ps, "include", pattern) < 0)
        return -1;
    if (ps->depth + 1 >= POLICY_MAX_INCLUDE)
        return parse_error(ps, "include: nested deeper than %d files (a loop?)",
                           POLICY_MAX_INCLUDE);
    r = glob(pattern, GLOB_ERR, NULL, &g);
    if (r == GLOB_NOMATCH)
        return rules_has_glob(pattern) ? 0 :
               parse_error(ps, "include: %s: %s", pattern, strerror(ENOENT));
    if (r != 0)
        return parse_error(ps, "include: %s: cannot be read", pattern);
    qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), compare_paths);
    for (i = 0; i < g.gl_pathc; i++) {
        if (read_trusted_file(g.gl_pathv[i], &buf, &len, NULL, why, sizeof(why)) < 0) {
            parse_error(ps, "include: %s", why);
            goto out;
        }
        sub.name = g.gl_pathv[i];
        sub.line = 0;
        if (parse_text(&sub, buf, len, p) < 0)
            goto out;
        free(buf);
        buf = NULL;
    }
    rc = 0;
out:
    free(buf);
    globfree(&g);
    return rc;
}

/* The sealing key lets whoever holds it forge a sealed log: only root may
 * own or read it, like an ssh host key. */
static int
load_seal_key(struct policy *p, char *err, size_t errlen)
{
    struct stat st;
    char *buf;
    size_t len;

    if (read_trusted_file(p->seal_key_path, &buf, &len, &st, err, errlen) < 0)
        return -1;
    if (st.st_uid != 0 || (st.st_mode & 077) != 0 || len < POLICY_SEAL_KEY_MIN ||
        len > POLICY_SEAL_KEY_MAX) {
        snprintf(err, errlen, "%s: %s", p->seal_key_path,
                 len < POLICY_SEAL_KEY_MIN || len > POLICY_SEAL_KEY_MAX
                 ? "a sealing key has 16 to 1024 bytes"
                 : "a sealing key must be owned by root and readable by nobody else");
        explicit_bzero(buf, len);
        free(buf);
        return -1;
    }
    p->seal_key = (uint8_t *)buf;
    p->seal_key_len = len;
    return 0;
}

/* A keyring directory is only as safe as each key file in it. Dotfiles are
 * skipped by the keyring loader, so they are skipped here too. */
static int
trust_check_keyring(const char *path, char *err, size_t errlen)
{
    struct stat st;
    struct dirent *de;
    DIR *d;
    char sub[PATH_MAX];
    int r = 0;

    if (trust_check_path_stat(path, &st, err, errlen) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return 0;
    if ((d = opendir(path)) == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub)) {
            snprintf(err, errlen, "%s: name too long", path);
            r = -1;
        } else {
            r = trust_check_path(sub, err, errlen);
        }
    }
    closedir(d);
    return r;
}

int
policy_load(const char *path, struct policy *out, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len, i;
    int r = -1;

    memset(out, 0, sizeof(*out));
    if (read_trusted_file(path, &buf, &len, NULL, err, errlen) < 0 ||
        policy_parse_buffer(path, buf, len, out, err, errlen) < 0)
        goto out;
    if (out->log_path == NULL) {
        snprintf(err, errlen, "%s: no log directive", path);
        goto out;
    }
    if (out->n_keyrings == 0) {
        snprintf(err, errlen, "%s: no keyring directive", path);
        goto out;
    }
    if (out->n_search_path == 0) {
        snprintf(err, errlen, "%s: no search-path directive", path);
        goto out;
    }
    /* A key anyone could replace would let anyone sign. */
    for (i = 0; i < out->n_keyrings; i++)
        if (trust_check_keyring(out->keyrings[i], err, errlen) < 0)
            goto out;
    /* Signed, but an older signed list could be put in its place. */
    for (i = 0; i < out->n_digest_lists; i++)
        if (trust_check_path(out->digest_lists[i], err, errlen) < 0)
            goto out;
    if (out->seal_key_path != NULL && load_seal_key(out, err, errlen) < 0)
        goto out;
    r = 0;
out:
    if (r < 0)
        policy_free(out);
    free(buf);
    return r;
}

static void
strv_free(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void
policy_free(struct policy *p)
{
    strv_free(p->keyrings, p->n_keyrings);
    strv_free(p->digest_lists, p->n_digest_lists);
    free(p->digest_pins);
    strv_free(p->search_path, p->n_search_path);
    rules_free(p->rules);
    free(p->xattr);
    free(p->log_path);
    for (size_t i = 0; i < p->n_sinks; i++)
        free(p->sinks[i].target);
    free(p->sinks);
    free(p->seal_key_path);
    if (p->seal_key != NULL)
        explicit_bzero(p->seal_key, p->seal_key_len);
    free(p->seal_key);
    memset(p, 0, sizeof(*p));
}
