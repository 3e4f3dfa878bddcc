/* The policy file, after OpenSSH's servconf.c: one table row per directive,
 * one loop that splits a line and looks its keyword up, one case per
 * directive. Anything not understood is an error naming file and line: a
 * policy that is half read must not be half enforced. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/json.h"                /* utf8_valid_len */
#include "policy/policy.h"

#define POLICY_MAX_LINE 4096
#define POLICY_MAX_FILE (1 << 20)
#define POLICY_MAX_ARGS 4           /* no row of the table may take more */
#define MAX_FILE_SIZE_LIMIT (4ull << 30)

enum opcode {
    P_KEYRING, P_XATTR, P_LOG, P_SEARCH_PATH, P_DENY, P_MODE, P_MAX_FILE_SIZE
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
    { "deny",           P_DENY,             1, 1, 1 },
    { "mode",           P_MODE,             1, 1, 0 },
    { "max-file-size",  P_MAX_FILE_SIZE,    1, 1, 0 },
};
#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

struct parse_state {
    const char *name;
    size_t line;
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
is_printable_ascii(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    for (; *u; u++)
        if (*u < 0x21 || *u > 0x7e)
            return 0;
    return 1;
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

    if (strlen(s) > XATTR_NAME_MAX || !is_printable_ascii(s))
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

static int
parse_line(struct parse_state *ps, char *line, struct policy *p)
{
    const struct directive *d = NULL;
    char *av[POLICY_MAX_ARGS + 2], *w, *arg;
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
    case P_DENY:
        if (!is_printable_ascii(arg))
            return parse_error(ps, "deny: bad event name '%s'", arg);
        r = strv_push(&p->deny_events, &p->n_deny_events, arg);
        break;
    case P_MODE:
        if (strcmp(arg, "enforce") == 0)
            p->mode = MODE_ENFORCE;
        else if (strcmp(arg, "audit") == 0)
            p->mode = MODE_AUDIT;
        else
            return parse_error(ps, "mode: '%s' is not enforce or audit", arg);
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
    }
    if (r < 0)
        return parse_error(ps, "out of memory");
    return 0;
}

int
policy_parse_buffer(const char *name, const char *buf, size_t len,
                    struct policy *out, char *err, size_t errlen)
{
    struct parse_state ps = { .name = name, .err = err, .errlen = errlen };
    char line[POLICY_MAX_LINE + 1];
    const char *nl;
    size_t off = 0, n, next;

    memset(out, 0, sizeof(*out));
    out->mode = MODE_ENFORCE;
    out->max_file_size = POLICY_DEFAULT_MAX_FILE_SIZE;
    while (off < len) {
        ps.line++;
        nl = memchr(buf + off, '\n', len - off);
        n = nl ? (size_t)(nl - (buf + off)) : len - off;
        next = off + n + 1;
        if (n > 0 && buf[off + n - 1] == '\r')
            n--;                    /* CRLF, from an editor elsewhere */
        if (n > POLICY_MAX_LINE) {
            parse_error(&ps, "line longer than %d bytes", POLICY_MAX_LINE);
            goto fail;
        }
        if (check_line_text(&ps, buf + off, n) < 0)
            goto fail;
        memcpy(line, buf + off, n);
        line[n] = '\0';
        if (parse_line(&ps, line, out) < 0)
            goto fail;
        off = next;
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
read_trusted_file(const char *path, char **buf, size_t *len,
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
out:
    if (fd >= 0)
        close(fd);
    if (ret < 0) {
        free(*buf);
        *buf = NULL;
    }
    return ret;
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
    if (read_trusted_file(path, &buf, &len, err, errlen) < 0 ||
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
    strv_free(p->search_path, p->n_search_path);
    strv_free(p->deny_events, p->n_deny_events);
    free(p->xattr);
    free(p->log_path);
    memset(p, 0, sizeof(*p));
}
