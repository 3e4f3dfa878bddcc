/* Rules over audit events. Parsing is one table row per directive and one
 * per condition key; evaluation works on a plan per event name, built the
 * first time the name is seen, so an event no rule names costs one hash
 * lookup. All of it runs with the GIL held (audit hooks do), which is what
 * serializes the plan cache. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rules.h"

#define KB(k) (1u << (k))
#define PLAN_NAME_MAX 128           /* longer names are planned, not cached */
#define PLAN_CACHE_MAX 4096         /* sys.audit() can make up names without end */

enum list_kind { LK_EVENT = EC_MAX, LK_MAX };

/* CK_ADDR pattern kinds */
enum { AP_ANY, AP_INET4, AP_INET6, AP_NAME, AP_UNIX, AP_ABSTRACT };

/* One parsed value of a condition or an allow-list. */
struct value {
    char *text;                 /* path, name, module or event pattern */
    char *qual;                 /* CK_GLOBAL: qualname pattern, NULL for any */
    unsigned char glob, qual_glob;
    unsigned char kind;         /* CK_ADDR: AP_*; CK_ACCESS, CK_ORIGIN: the flag */
    unsigned char prefix;       /* CK_ADDR: CIDR bits */
    uint8_t ip[16];
    uint16_t port_lo, port_hi;
};

struct cond {
    enum cond_key key;
    struct value *v;            /* any of them (OR); conditions AND */
    size_t n;
};

struct rule {
    char *where;
    enum rule_action action;
    unsigned scope;             /* 0: everywhere; else a package */
    char *event;
    int event_glob;
    int event_class;            /* EC_*, or -1 */
    struct cond *conds;
    size_t n_conds;
};

struct alist {
    char *where;                /* its first line names it */
    struct value *v;
    size_t n;
    int defined;
};

struct plan_slot {
    uint64_t hash;
    char *name;
    struct plan *plan;
};

struct rules {
    struct rule *rule;
    size_t n_rule;
    size_t n_list_lines;
    char **pkg;                 /* scope i + 1 */
    size_t n_pkg;
    struct alist *lists;        /* [(n_pkg + 1) * LK_MAX] */
    char **search;
    size_t n_search;
    int want_origin;
    struct plan_slot *slots;
    size_t n_slots, used_slots;
};

#define LIST(r, scope, kind) (&(r)->lists[(size_t)(scope) * LK_MAX + (kind)])

/* ---- events ---- */

#define W EC_BIT(EC_WRITE)
static const struct event_spec specs[] = {
    { "open",                   AL_OPEN,     W, { 0, -1 }, { -1, -1 }, 1 },
    { "os.remove",              AL_PATH,     W, { 0, -1 }, { 1, -1 }, 0 },
    { "os.rmdir",               AL_PATH,     W, { 0, -1 }, { 1, -1 }, 0 },
    { "os.mkdir",               AL_PATH,     W, { 0, -1 }, { 2, -1 }, 0 },
    { "os.rename",              AL_PATH,     W, { 0, 1 }, { 2, 3 }, 0 },
    /* A hard link makes the source writable through the new name. */
    { "os.link",                AL_PATH,     W, { 0, 1 }, { 2, 3 }, 1 },
    { "os.symlink",             AL_PATH,     W, { 1, -1 }, { 2, -1 }, 0 },
    { "os.truncate",            AL_PATH,     W, { 0, -1 }, { -1, -1 }, 1 },
    { "os.chmod",               AL_PATH,     W, { 0, -1 }, { 2, -1 }, 1 },
    { "os.chown",               AL_PATH,     W, { 0, -1 }, { 3, -1 }, 1 },
    { "os.utime",               AL_PATH,     W, { 0, -1 }, { 3, -1 }, 1 },
    { "os.setxattr",            AL_PATH,     W, { 0, -1 }, { -1, -1 }, 1 },
    { "os.removexattr",         AL_PATH,     W, { 0, -1 }, { -1, -1 }, 1 },
    { "socket.connect",         AL_SOCKADDR, EC_BIT(EC_CONNECT) | EC_BIT(EC_LOOKUP), { 0 }, { 0 }, 0 },
    { "socket.sendto",          AL_SOCKADDR, EC_BIT(EC_CONNECT) | EC_BIT(EC_LOOKUP), { 0 }, { 0 }, 0 },
    { "socket.sendmsg",         AL_SOCKADDR, EC_BIT(EC_CONNECT) | EC_BIT(EC_LOOKUP), { 0 }, { 0 }, 0 },
    { "socket.bind",            AL_SOCKADDR, EC_BIT(EC_BIND) | EC_BIT(EC_LOOKUP), { 0 }, { 0 }, 0 },
    { "socket.getaddrinfo",     AL_HOST,     EC_BIT(EC_LOOKUP), { 0 }, { 0 }, 0 },
    { "socket.gethostbyname",   AL_HOST,     EC_BIT(EC_LOOKUP), { 0 }, { 0 }, 0 },
    { "socket.gethostbyaddr",   AL_REVERSE,  EC_BIT(EC_LOOKUP), { 0 }, { 0 }, 0 },
    { "socket.getnameinfo",     AL_NAMEINFO, EC_BIT(EC_LOOKUP), { 0 }, { 0 }, 0 },
    { "subprocess.Popen",       AL_EXE,      EC_BIT(EC_EXEC), { 0, 2 }, { -1, -1 }, 0 },
    { "os.exec",                AL_EXE,      EC_BIT(EC_EXEC), { 0, -1 }, { -1, -1 }, 0 },
    { "os.posix_spawn",         AL_EXE,      EC_BIT(EC_EXEC), { 0, -1 }, { -1, -1 }, 0 },
    { "os.system",              AL_SHELL,    EC_BIT(EC_EXEC), { 0 }, { 0 }, 0 },
    { "import",                 AL_MODULE,   0, { 0 }, { 0 }, 0 },
    { "ctypes.dlopen",          AL_LIB,      0, { 0 }, { 0 }, 0 },
    { "pickle.find_class",      AL_PICKLE,   0, { 0 }, { 0 }, 0 },
    { "marshal.loads",          AL_MARSHAL,  0, { 0 }, { 0 }, 0 },
};
#undef W

static const unsigned layout_keys[] = {
    [AL_NONE] = 0,
    [AL_OPEN] = KB(CK_PATH) | KB(CK_ACCESS),
    [AL_PATH] = KB(CK_PATH),
    [AL_SOCKADDR] = KB(CK_ADDR) | KB(CK_HOST),
    [AL_HOST] = KB(CK_HOST),
    [AL_REVERSE] = KB(CK_HOST),
    [AL_NAMEINFO] = KB(CK_HOST),
    [AL_EXE] = KB(CK_EXE),
    [AL_SHELL] = KB(CK_EXE),
    [AL_MODULE] = KB(CK_MODULE),
    [AL_LIB] = KB(CK_LIB),
    [AL_PICKLE] = KB(CK_GLOBAL),
    [AL_MARSHAL] = KB(CK_ORIGIN),
};

/* Each class: its name (allow-NAME, @NAME), the value its list holds, the
 * keys its events carry, and why a list refuses. */
static const struct class_def {
    const char *name;
    enum cond_key key;
    unsigned keys;
    const char *reason;
} classes[EC_MAX] = {
    [EC_WRITE] = { "write", CK_PATH, KB(CK_PATH) | KB(CK_ACCESS),
                   "denied by policy: path not in allow-write" },
    [EC_CONNECT] = { "connect", CK_ADDR, KB(CK_ADDR) | KB(CK_HOST),
                     "denied by policy: address not in allow-connect" },
    [EC_BIND] = { "bind", CK_ADDR, KB(CK_ADDR) | KB(CK_HOST),
                  "denied by policy: address not in allow-bind" },
    [EC_LOOKUP] = { "lookup", CK_HOST, KB(CK_HOST),
                    "denied by policy: name not in allow-lookup" },
    [EC_EXEC] = { "exec", CK_EXE, KB(CK_EXE),
                  "denied by policy: executable not in allow-exec" },
};

static const struct event_spec *
spec_find(const char *event)
{
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (strcmp(specs[i].name, event) == 0)
            return &specs[i];
    return NULL;
}

/* ---- small helpers ---- */

__attribute__((format(printf, 3, 4)))
static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int
rules_has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

int
rules_ascii_word(const char *s)
{
    for (const unsigned char *u = (const unsigned char *)s; *u; u++)
        if (*u < 0x21 || *u > 0x7e)
            return 0;
    return 1;
}

int
rules_word_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    if (*u == '\0' || *u == '#')
        return 0;
    for (; *u; u++)
        if (*u <= 0x20 || *u == 0x7f)
            return 0;
    return 1;
}

static int
push(void *arrp, size_t *n, size_t size)
{
    void **a = arrp;
    char *na = realloc(*a, (*n + 1) * size);

    if (na == NULL)
        return -1;
    memset(na + *n * size, 0, size);
    *a = na;
    (*n)++;
    return 0;
}

/* "a" covers "a" and "a.b", not "ab". */
static int
dotted_covers(const char *pat, const char *name)
{
    size_t n = strlen(pat);

    return strncmp(pat, name, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

/* "/a" covers "/a" and "/a/b"; "/" covers every absolute path. */
static int
path_covers(const char *pat, const char *path)
{
    size_t n = strlen(pat);

    if (n == 1 && pat[0] == '/')
        return path[0] == '/';
    return strncmp(pat, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* ---- paths ---- */

int
rules_normalize_path(const char *base, const char *path, char *out, size_t outlen)
{
    size_t n = 0, seg;
    const char *p = path, *src[2] = { base, path };
    int s;

    if (outlen < 2)
        return -1;
    out[n++] = '/';
    for (s = path[0] == '/' ? 1 : 0; s < 2; s++) {
        if (src[s] == NULL)
            continue;
        for (p = src[s]; *p; p += seg) {
            while (*p == '/')
                p++;
            seg = strcspn(p, "/");
            if (seg == 0 || (seg == 1 && p[0] == '.'))
                continue;
            if (seg == 2 && p[0] == '.' && p[1] == '.') {
                while (n > 1 && out[n - 1] != '/')
                    n--;
                if (n > 1)
                    n--;
                continue;
            }
            if (n > 1)
                out[n++] = '/';
            if (n + seg + 1 > outlen)
                return -1;
            memcpy(out + n, p, seg);
            n += seg;
        }
    }
    out[n] = '\0';
    return 0;
}

/* ---- sockets ---- */

static int
is_v4_mapped(const uint8_t ip[16])
{
    static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    return memcmp(ip, pre, 12) == 0;
}

int
rules_sock_from_host(const char *host, unsigned port, struct sock_fact *s,
                     char *namebuf, size_t namelen)
{
    struct in_addr a4;
    char v6[INET6_ADDRSTRLEN + 1];
    size_t n = strlen(host), i, scope;

    memset(s, 0, sizeof(*s));
    s->port = port;
    for (i = 0; i < n; i++)
        if ((unsigned char)host[i] <= 0x20 || host[i] == 0x7f)
            return -1;
    if (n == 0 || strcmp(host, "<broadcast>") == 0) {
        s->kind = SK_INET4;
        if (n != 0)
            memset(s->ip, 0xff, 4);
        return 0;
    }
    if (inet_aton(host, &a4) != 0) {
        s->kind = SK_INET4;
        memcpy(s->ip, &a4, 4);
        return 0;
    }
    scope = strcspn(host, "%");
    if (scope < sizeof(v6)) {
        memcpy(v6, host, scope);
        v6[scope] = '\0';
        if (inet_pton(AF_INET6, v6, s->ip) == 1) {
            s->kind = SK_INET6;
            if (is_v4_mapped(s->ip)) {
                /* One rule for one address, however it is spelled. */
                memmove(s->ip, s->ip + 12, 4);
                memset(s->ip + 4, 0, 12);
                s->kind = SK_INET4;
            }
            return 0;
        }
    }
    if (n > 1 && host[n - 1] == '.')
        n--;
    if (n + 1 > namelen)
        return -1;
    for (i = 0; i < n; i++)
        namebuf[i] = (char)tolower((unsigned char)host[i]);
    namebuf[n] = '\0';
    s->kind = SK_NAME;
    s->name = namebuf;
    return 0;
}

int
rules_format_sock(const struct sock_fact *s, char *out, size_t outlen)
{
    char ip[INET6_ADDRSTRLEN];
    int r = -1;

    switch (s->kind) {
    case SK_INET4:
        inet_ntop(AF_INET, s->ip, ip, sizeof(ip));
        r = snprintf(out, outlen, "%s:%u", ip, s->port);
        break;
    case SK_INET6:
        inet_ntop(AF_INET6, s->ip, ip, sizeof(ip));
        r = snprintf(out, outlen, "[%s]:%u", ip, s->port);
        break;
    case SK_NAME:
        if (rules_has_glob(s->name) || strchr(s->name, ':') != NULL)
            return -1;
        r = snprintf(out, outlen, "%s:%u", s->name, s->port);
        break;
    case SK_UNIX:
        if (rules_has_glob(s->name))
            return -1;
        r = snprintf(out, outlen, "%s", s->name);
        break;
    case SK_ABSTRACT:
        if (rules_has_glob(s->name))
            return -1;
        r = snprintf(out, outlen, "@%s", s->name);
        break;
    }
    if (r < 0 || (size_t)r >= outlen || !rules_word_ok(out))
        return -1;
    return 0;
}

static int
prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;

    if (memcmp(a, b, whole) != 0)
        return 0;
    return rest == 0 || ((a[whole] ^ b[whole]) & (0xff << (8 - rest))) == 0;
}

/* ---- values: one parser and one matcher per kind ---- */

static int
parse_ports(const char *s, struct value *v, char *err, size_t errlen)
{
    unsigned long lo, hi;
    char *end;

    v->port_lo = 0;
    v->port_hi = 65535;
    if (s == NULL || strcmp(s, "*") == 0)
        return 0;
    if (!isdigit((unsigned char)*s))
        return fail(err, errlen, "bad port '%s'", s);
    lo = strtoul(s, &end, 10);
    hi = lo;
    if (*end == '-') {
        if (!isdigit((unsigned char)end[1]))
            return fail(err, errlen, "bad port '%s'", s);
        hi = strtoul(end + 1, &end, 10);
    }
    if (*end != '\0' || lo > 65535 || hi > 65535 || lo > hi)
        return fail(err, errlen, "bad port '%s' (0 to 65535, or LOW-HIGH)", s);
    v->port_lo = (uint16_t)lo;
    v->port_hi = (uint16_t)hi;
    return 0;
}

static int
host_pattern_ok(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr(".-_:*?[]!", *s) == NULL)
            return 0;
    return 1;
}

static int
set_text(struct value *v, const char *s, size_t n)
{
    if ((v->text = strndup(s, n)) == NULL)
        return -1;
    v->glob = (unsigned char)rules_has_glob(v->text);
    return 0;
}

static int
parse_path(const char *s, struct value *v, char *err, size_t errlen)
{
    char norm[4096];

    if (s[0] != '/')
        return fail(err, errlen, "not an absolute path: '%s'", s);
    if (rules_normalize_path(NULL, s, norm, sizeof(norm)) < 0)
        return fail(err, errlen, "path too long");
    return set_text(v, norm, strlen(norm));
}

/* Executables and libraries: a path, or a bare name as given (looked up in
 * PATH or by the loader later, so only a bare-name pattern matches it). */
static int
parse_program(const char *s, struct value *v, char *err, size_t errlen)
{
    if (s[0] == '/')
        return parse_path(s, v, err, errlen);
    if (strchr(s, '/') != NULL)
        return fail(err, errlen, "'%s' is neither an absolute path nor a bare name", s);
    return set_text(v, s, strlen(s));
}

static int
parse_host(const char *s, struct value *v, char *err, size_t errlen)
{
    size_t n = strlen(s);

    if (n > 1 && s[n - 1] == '.')
        n--;
    if (!host_pattern_ok(s))
        return fail(err, errlen, "bad host name '%s'", s);
    if (set_text(v, s, n) < 0)
        return -1;
    for (char *p = v->text; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}

static int
parse_dotted(const char *s, struct value *v, char *err, size_t errlen)
{
    if (s[0] == '.' || s[strlen(s) - 1] == '.' || strstr(s, "..") != NULL ||
        strchr(s, '/') != NULL || strchr(s, ':') != NULL)
        return fail(err, errlen, "bad module name '%s'", s);
    return set_text(v, s, strlen(s));
}

/* MODULE[:QUALNAME]: "os" is every global of os and its submodules. */
static int
parse_global(const char *s, struct value *v, char *err, size_t errlen)
{
    const char *colon = strchr(s, ':');
    char mod[256];

    if (colon == NULL)
        return parse_dotted(s, v, err, errlen);
    if ((size_t)(colon - s) >= sizeof(mod) || colon[1] == '\0')
        return fail(err, errlen, "bad global '%s' (MODULE or MODULE:NAME)", s);
    memcpy(mod, s, (size_t)(colon - s));
    mod[colon - s] = '\0';
    if (mod[0] == '\0' || parse_dotted(mod, v, err, errlen) < 0)
        return fail(err, errlen, "bad global '%s' (MODULE or MODULE:NAME)", s);
    if ((v->qual = strdup(colon + 1)) == NULL)
        return -1;
    v->qual_glob = (unsigned char)rules_has_glob(v->qual);
    return 0;
}

static int
parse_event(const char *s, struct value *v, char *err, size_t errlen)
{
    if (!rules_ascii_word(s))
        return fail(err, errlen, "bad event name '%s'", s);
    return set_text(v, s, strlen(s));
}

/* An address: HOST[:PORTS] where HOST is *, IPv4[/BITS], [IPv6[/BITS]] or a
 * name pattern; /unix/socket/path; @abstract-name. */
static int
parse_addr(const char *s, struct value *v, char *err, size_t errlen)
{
    char host[256];
    const char *ports = NULL, *slash, *close;
    size_t hn;
    unsigned long bits;
    char *end;
    int fam;

    if (s[0] == '/') {
        v->kind = AP_UNIX;
        return parse_path(s, v, err, errlen);
    }
    if (s[0] == '@') {
        v->kind = AP_ABSTRACT;
        return set_text(v, s + 1, strlen(s + 1));
    }
    if (s[0] == '[') {
        if ((close = strchr(s, ']')) == NULL || (close[1] != '\0' && close[1] != ':'))
            return fail(err, errlen, "bad address '%s'", s);
        hn = (size_t)(close - s - 1);
        if (hn >= sizeof(host))
            return fail(err, errlen, "bad address '%s'", s);
        memcpy(host, s + 1, hn);
        ports = close[1] == ':' ? close + 2 : NULL;
        fam = AF_INET6;
    } else {
        const char *colon = strchr(s, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL)
            return fail(err, errlen, "bad address '%s' (IPv6 goes in brackets: [::1]:53)", s);
        hn = colon ? (size_t)(colon - s) : strlen(s);
        if (hn >= sizeof(host))
            return fail(err, errlen, "bad address '%s'", s);
        memcpy(host, s, hn);
        ports = colon ? colon + 1 : NULL;
        fam = AF_INET;
    }
    host[hn] = '\0';
    if (parse_ports(ports, v, err, errlen) < 0)
        return -1;
    if (fam == AF_INET && strcmp(host, "*") == 0) {
        v->kind = AP_ANY;
        return 0;
    }
    bits = fam == AF_INET ? 32 : 128;
    if ((slash = strchr(host, '/')) != NULL) {
        if (!isdigit((unsigned char)slash[1]))
            return fail(err, errlen, "bad address '%s'", s);
        bits = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || bits > (fam == AF_INET ? 32u : 128u))
            return fail(err, errlen, "bad prefix length in '%s'", s);
        host[slash - host] = '\0';
    }
    if (inet_pton(fam, host, v->ip) == 1) {
        v->kind = fam == AF_INET ? AP_INET4 : AP_INET6;
        v->prefix = (unsigned char)bits;
        if (v->kind == AP_INET6 && is_v4_mapped(v->ip) && bits >= 96) {
            memmove(v->ip, v->ip + 12, 4);
            memset(v->ip + 4, 0, 12);
            v->kind = AP_INET4;
            v->prefix = (unsigned char)(bits - 96);
        }
        for (unsigned b = v->prefix; b < (v->kind == AP_INET4 ? 32u : 128u); b++)
            if (v->ip[b / 8] & (0x80 >> (b % 8)))
                return fail(err, errlen, "'%s': host bits set past the prefix", s);
        return 0;
    }
    if (fam == AF_INET6 || slash != NULL)
        return fail(err, errlen, "bad address '%s'", s);
    v->kind = AP_NAME;
    return parse_host(host, v, err, errlen);
}

static int
parse_access(const char *s, struct value *v, char *err, size_t errlen)
{
    if (strcmp(s, "read") != 0 && strcmp(s, "write") != 0)
        return fail(err, errlen, "access=%s: read or write", s);
    v->kind = s[0] == 'w';
    return 0;
}

static int
parse_origin(const char *s, struct value *v, char *err, size_t errlen)
{
    if (strcmp(s, "verified") != 0 && strcmp(s, "unverified") != 0)
        return fail(err, errlen, "origin=%s: verified or unverified", s);
    v->kind = s[0] == 'u';
    return 0;
}

static int
text_match(const struct value *v, const char *s, int flags)
{
    return v->glob ? fnmatch(v->text, s, flags) == 0 : strcmp(v->text, s) == 0;
}

static int
match_path(const struct value *v, const char *path)
{
    if (v->glob)
        return fnmatch(v->text, path, FNM_PATHNAME | FNM_LEADING_DIR) == 0;
    return v->text[0] == '/' ? path_covers(v->text, path) : strcmp(v->text, path) == 0;
}

/* A glob covers a module when it matches the name or a dotted prefix of it. */
static int
match_dotted(const struct value *v, const char *name)
{
    char stack[256], *buf = stack;
    size_t n = strlen(name);
    int hit = 0;

    if (!v->glob)
        return dotted_covers(v->text, name);
    if (fnmatch(v->text, name, 0) == 0)
        return 1;
    if (n >= sizeof(stack) && (buf = malloc(n + 1)) == NULL)
        return 1;               /* cannot tell: as if it matched */
    memcpy(buf, name, n + 1);
    for (char *dot = strrchr(buf, '.'); dot != NULL && !hit; dot = strrchr(buf, '.')) {
        *dot = '\0';
        hit = fnmatch(v->text, buf, 0) == 0;
    }
    if (buf != stack)
        free(buf);
    return hit;
}

static int
match_addr(const struct value *v, const struct sock_fact *s)
{
    int inet = s->kind == SK_INET4 || s->kind == SK_INET6 || s->kind == SK_NAME;

    if (inet && (s->port < v->port_lo || s->port > v->port_hi))
        return 0;
    switch (v->kind) {
    case AP_ANY:
        return inet;
    case AP_INET4:
        return s->kind == SK_INET4 && prefix_match(v->ip, s->ip, v->prefix);
    case AP_INET6:
        return s->kind == SK_INET6 && prefix_match(v->ip, s->ip, v->prefix);
    case AP_NAME:
        return s->kind == SK_NAME && text_match(v, s->name, 0);
    case AP_UNIX:
        return s->kind == SK_UNIX && match_path(v, s->name);
    case AP_ABSTRACT:
        return s->kind == SK_ABSTRACT && text_match(v, s->name, 0);
    }
    return 0;
}

static int
match_value(enum cond_key key, const struct value *v, const struct facts *f)
{
    switch (key) {
    case CK_PATH:
        for (int i = 0; i < f->n_path; i++)
            if (match_path(v, f->path[i]))
                return 1;
        return 0;
    case CK_ACCESS:
        return v->kind == (f->write != 0);
    case CK_ADDR:
        return match_addr(v, &f->addr);
    case CK_HOST:
        return text_match(v, f->host, 0);
    case CK_EXE:
        return match_path(v, f->exe);
    case CK_LIB:
        return match_path(v, f->lib);
    case CK_MODULE:
        return match_dotted(v, f->module);
    case CK_GLOBAL:
        return match_dotted(v, f->global_module) &&
               (v->qual == NULL || (v->qual_glob ? fnmatch(v->qual, f->global_name, 0) == 0
                                                 : strcmp(v->qual, f->global_name) == 0));
    case CK_ORIGIN:
        return v->kind == (f->unverified != 0);
    case CK_MAX:
        break;
    }
    return 0;
}

static const struct cond_def {
    const char *name;
    int (*parse)(const char *s, struct value *v, char *err, size_t errlen);
} cond_defs[CK_MAX] = {
    [CK_PATH] = { "path", parse_path },
    [CK_ACCESS] = { "access", parse_access },
    [CK_ADDR] = { "addr", parse_addr },
    [CK_HOST] = { "host", parse_host },
    [CK_EXE] = { "exe", parse_program },
    [CK_MODULE] = { "module", parse_dotted },
    [CK_LIB] = { "lib", parse_program },
    [CK_GLOBAL] = { "global", parse_global },
    [CK_ORIGIN] = { "origin", parse_origin },
};

static int (*const list_parse[LK_MAX])(const char *, struct value *, char *, size_t) = {
    [EC_WRITE] = parse_path,
    [EC_CONNECT] = parse_addr,
    [EC_BIND] = parse_addr,
    [EC_LOOKUP] = parse_host,
    [EC_EXEC] = parse_program,
    [LK_EVENT] = parse_event,
};

/* ---- parsing ---- */

enum { RD_RULE, RD_LIST };

static const struct rule_directive {
    const char *name;
    int type;
    int arg;                    /* enum rule_action, or the list kind */
} rule_directives[] = {
    { "allow",          RD_RULE, ACT_ALLOW },
    { "deny",           RD_RULE, ACT_DENY },
    { "kill",           RD_RULE, ACT_KILL },
    { "allow-write",    RD_LIST, EC_WRITE },
    { "allow-connect",  RD_LIST, EC_CONNECT },
    { "allow-bind",     RD_LIST, EC_BIND },
    { "allow-lookup",   RD_LIST, EC_LOOKUP },
    { "allow-exec",     RD_LIST, EC_EXEC },
    { "allow-event",    RD_LIST, LK_EVENT },
};

static void
value_free(struct value *v)
{
    free(v->text);
    free(v->qual);
}

static int
package_ok(const char *s)
{
    int start = 1;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '.' && !start) {
            start = 1;
            continue;
        }
        if (!(isalpha(c) || c == '_' || c >= 0x80 || (!start && isdigit(c))))
            return 0;
        start = 0;
    }
    return !start;
}

/* The scope of a package, added on first mention. 0 when out of memory. */
static unsigned
package_scope(struct rules *r, const char *pkg)
{
    struct alist *nl;
    char *copy;
    size_t i;

    for (i = 0; i < r->n_pkg; i++)
        if (strcmp(r->pkg[i], pkg) == 0)
            return (unsigned)i + 1;
    if ((copy = strdup(pkg)) == NULL)
        return 0;
    if (push(&r->pkg, &r->n_pkg, sizeof(*r->pkg)) < 0) {
        free(copy);
        return 0;
    }
    r->pkg[r->n_pkg - 1] = copy;
    nl = realloc(r->lists, (r->n_pkg + 1) * LK_MAX * sizeof(*nl));
    if (nl == NULL) {
        free(r->pkg[--r->n_pkg]);
        return 0;
    }
    r->lists = nl;
    memset(LIST(r, r->n_pkg, 0), 0, LK_MAX * sizeof(*nl));
    return (unsigned)r->n_pkg;
}

static void
rule_free(struct rule *ru)
{
    for (size_t i = 0; i < ru->n_conds; i++) {
        for (size_t j = 0; j < ru->conds[i].n; j++)
            value_free(&ru->conds[i].v[j]);
        free(ru->conds[i].v);
    }
    free(ru->conds);
    free(ru->event);
    free(ru->where);
}

static int
find_cond_key(const char *s, size_t n)
{
    for (int k = 0; k < CK_MAX; k++)
        if (strlen(cond_defs[k].name) == n && strncmp(cond_defs[k].name, s, n) == 0)
            return k;
    return -1;
}

/* One condition word, KEY=VALUE, into ru (a repeated key adds an
 * alternative). allowed: the keys the rule's events carry. */
static int
parse_condition(struct rule *ru, const char *dname, const char *word, unsigned allowed,
                char *err, size_t errlen)
{
    const char *eq = strchr(word, '=');
    struct cond *c = NULL;
    char msg[512];
    int k;

    if (eq == NULL)
        return fail(err, errlen, "%s: '%s' is not a condition (KEY=VALUE)", dname, word);
    if ((k = find_cond_key(word, (size_t)(eq - word))) < 0)
        return fail(err, errlen, "%s: unknown condition '%.*s' (path, access, addr, host, "
                    "exe, module, lib, global or origin)", dname, (int)(eq - word), word);
    if (!(allowed & KB(k))) {
        if (allowed == 0)
            return fail(err, errlen, "%s: %s carries no value a condition can test",
                        dname, ru->event);
        return fail(err, errlen, "%s: %s= does not apply to %s", dname,
                    cond_defs[k].name, ru->event);
    }
    if (eq[1] == '\0')
        return fail(err, errlen, "%s: %s=: empty value", dname, cond_defs[k].name);
    for (size_t i = 0; i < ru->n_conds; i++)
        if (ru->conds[i].key == (enum cond_key)k)
            c = &ru->conds[i];
    if (c == NULL) {
        if (push(&ru->conds, &ru->n_conds, sizeof(*ru->conds)) < 0)
            return fail(err, errlen, "out of memory");
        c = &ru->conds[ru->n_conds - 1];
        c->key = (enum cond_key)k;
    }
    if (push(&c->v, &c->n, sizeof(*c->v)) < 0)
        return fail(err, errlen, "out of memory");
    if (cond_defs[k].parse(eq + 1, &c->v[c->n - 1], msg, sizeof(msg)) < 0)
        return fail(err, errlen, "%s: %s", dname, msg);
    return 0;
}

static int
parse_rule(struct rules *r, const char *where, unsigned scope, enum rule_action act,
           const char *dname, char *const av[], int ac, char *err, size_t errlen)
{
    struct rule ru = { .action = act, .scope = scope, .event_class = -1 };
    unsigned allowed = ~0u;
    const char *ev = av[0];
    int i, origin = 0;

    if (ac < 1)
        return fail(err, errlen, "%s: missing argument", dname);
    if (ev[0] == '@') {
        for (i = 0; i < EC_MAX; i++)
            if (strcmp(ev + 1, classes[i].name) == 0)
                ru.event_class = i;
        if (ru.event_class < 0)
            return fail(err, errlen, "%s: unknown class '%s' (@write, @connect, @bind, "
                        "@lookup or @exec)", dname, ev);
        allowed = classes[ru.event_class].keys;
    } else if (!rules_ascii_word(ev)) {
        return fail(err, errlen, "%s: bad event name '%s'", dname, ev);
    } else if (!(ru.event_glob = rules_has_glob(ev))) {
        const struct event_spec *spec = spec_find(ev);
        allowed = spec ? layout_keys[spec->layout] : 0;
    }
    if ((ru.event = strdup(ev)) == NULL || (ru.where = strdup(where)) == NULL)
        goto oom;
    for (i = 1; i < ac; i++) {
        if (parse_condition(&ru, dname, av[i], allowed, err, errlen) < 0)
            goto fail;
        origin |= strncmp(av[i], "origin=", 7) == 0;
    }
    if (push(&r->rule, &r->n_rule, sizeof(*r->rule)) < 0)
        goto oom;
    r->rule[r->n_rule - 1] = ru;
    r->want_origin |= origin;
    return 0;
oom:
    fail(err, errlen, "out of memory");
fail:
    rule_free(&ru);
    return -1;
}

static int
parse_list(struct rules *r, const char *where, unsigned scope, int kind,
           const char *dname, char *const av[], int ac, char *err, size_t errlen)
{
    struct alist *l = LIST(r, scope, kind);
    char msg[512];

    if (!l->defined) {
        if ((l->where = strdup(where)) == NULL)
            return fail(err, errlen, "out of memory");
        l->defined = 1;
    }
    for (int i = 0; i < ac; i++) {
        if (push(&l->v, &l->n, sizeof(*l->v)) < 0)
            return fail(err, errlen, "out of memory");
        if (list_parse[kind](av[i], &l->v[l->n - 1], msg, sizeof(msg)) < 0)
            return fail(err, errlen, "%s: %s", dname, msg);
    }
    r->n_list_lines++;
    return 0;
}

static struct rules *
rules_new(void)
{
    struct rules *r = calloc(1, sizeof(*r));

    if (r != NULL && (r->lists = calloc(LK_MAX, sizeof(*r->lists))) == NULL) {
        free(r);
        r = NULL;
    }
    return r;
}

int
rules_parse_line(struct rules **rp, const char *where, char *const av[], int ac,
                 char *err, size_t errlen)
{
    const struct rule_directive *d = NULL;
    unsigned scope = 0;
    size_t i;

    if (*rp == NULL && (*rp = rules_new()) == NULL)
        return fail(err, errlen, "out of memory");
    if (strcmp(av[0], "module") == 0) {
        if (ac < 3)
            return fail(err, errlen, "module: missing argument");
        if (!package_ok(av[1]))
            return fail(err, errlen, "module: bad package name '%s'", av[1]);
        for (i = 0; i < (*rp)->n_pkg && strcmp((*rp)->pkg[i], av[1]) != 0; i++)
            ;
        if (i == (*rp)->n_pkg && (*rp)->n_pkg >= RULES_MAX_PACKAGES)
            return fail(err, errlen, "module: more than %d packages", RULES_MAX_PACKAGES);
        if ((scope = package_scope(*rp, av[1])) == 0)
            return fail(err, errlen, "out of memory");
        av += 2;
        ac -= 2;
    }
    for (i = 0; i < sizeof(rule_directives) / sizeof(rule_directives[0]); i++)
        if (strcmp(av[0], rule_directives[i].name) == 0)
            d = &rule_directives[i];
    if (d == NULL)
        return fail(err, errlen, "module: '%s' is not a rule or an allow-list", av[0]);
    if (d->type == RD_RULE)
        return parse_rule(*rp, where, scope, (enum rule_action)d->arg, d->name,
                          av + 1, ac - 1, err, errlen);
    return parse_list(*rp, where, scope, d->arg, d->name, av + 1, ac - 1, err, errlen);
}

int
rules_finish(struct rules **rp, char *const *search_path, size_t n, char *err, size_t errlen)
{
    struct rules *r;
    char norm[4096];

    if (*rp == NULL && (*rp = rules_new()) == NULL)
        return fail(err, errlen, "out of memory");
    r = *rp;
    for (size_t i = 0; i < n; i++) {
        if (rules_normalize_path(NULL, search_path[i], norm, sizeof(norm)) < 0)
            return fail(err, errlen, "search-path: too long");
        if (push(&r->search, &r->n_search, sizeof(*r->search)) < 0 ||
            (r->search[r->n_search - 1] = strdup(norm)) == NULL)
            return fail(err, errlen, "out of memory");
    }
    return 0;
}

size_t rules_count(const struct rules *r) { return r ? r->n_rule : 0; }
size_t rules_list_count(const struct rules *r) { return r ? r->n_list_lines : 0; }
size_t rules_n_packages(const struct rules *r) { return r ? r->n_pkg : 0; }
int rules_want_origin(const struct rules *r) { return r ? r->want_origin : 0; }

const char *
rules_package(const struct rules *r, unsigned scope)
{
    return scope >= 1 && scope <= r->n_pkg ? r->pkg[scope - 1] : NULL;
}

/* ---- plans ---- */

static int
event_matches(const struct rule *ru, const char *event, const struct event_spec *spec)
{
    if (ru->event_class >= 0)
        return spec != NULL && (spec->classes & EC_BIT(ru->event_class));
    return ru->event_glob ? fnmatch(ru->event, event, 0) == 0 : strcmp(ru->event, event) == 0;
}

static int
list_has_event(const struct alist *l, const char *event)
{
    for (size_t i = 0; i < l->n; i++)
        if (text_match(&l->v[i], event, 0))
            return 1;
    return 0;
}

static int
plan_build(const struct rules *r, const char *event, struct plan *p)
{
    unsigned s;
    int c;

    memset(p, 0, sizeof(*p));
    p->spec = spec_find(event);
    for (size_t i = 0; i < r->n_rule; i++) {
        if (!event_matches(&r->rule[i], event, p->spec))
            continue;
        if (push(&p->rules, &p->n_rules, sizeof(*p->rules)) < 0)
            return -1;
        p->rules[p->n_rules - 1] = (unsigned)i;
        for (size_t j = 0; j < r->rule[i].n_conds; j++)
            p->needs |= KB(r->rule[i].conds[j].key);
    }
    for (c = 0; p->spec != NULL && c < EC_MAX; c++)
        for (s = 0; s <= r->n_pkg; s++)
            if ((p->spec->classes & EC_BIT(c)) && LIST(r, s, c)->defined)
                p->lists |= (unsigned char)EC_BIT(c);
    for (s = 0; s <= r->n_pkg; s++) {
        if (!LIST(r, s, LK_EVENT)->defined || list_has_event(LIST(r, s, LK_EVENT), event))
            continue;
        if (push(&p->event_fail, &p->n_event_fail, sizeof(*p->event_fail)) < 0)
            return -1;
        p->event_fail[p->n_event_fail - 1] = s;
    }
    p->inert = p->n_rules == 0 && p->lists == 0 && p->n_event_fail == 0;
    return 0;
}

static uint64_t
name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;        /* FNV-1a */

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static int
slots_grow(struct rules *r)
{
    size_t n = r->n_slots ? r->n_slots * 2 : 64, i, j;
    struct plan_slot *ns = calloc(n, sizeof(*ns));

    if (ns == NULL)
        return -1;
    for (i = 0; i < r->n_slots; i++) {
        if (r->slots[i].name == NULL)
            continue;
        for (j = r->slots[i].hash & (n - 1); ns[j].name != NULL; j = (j + 1) & (n - 1))
            ;
        ns[j] = r->slots[i];
    }
    free(r->slots);
    r->slots = ns;
    r->n_slots = n;
    return 0;
}

const struct plan *
rules_plan(struct rules *r, const char *event, struct plan *tmp)
{
    size_t len = strnlen(event, PLAN_NAME_MAX + 1), i = 0;
    uint64_t h = 0;
    struct plan *keep;
    char *name;

    if (len <= PLAN_NAME_MAX && r->n_slots > 0) {
        h = name_hash(event);
        for (i = h & (r->n_slots - 1); r->slots[i].name != NULL; i = (i + 1) & (r->n_slots - 1))
            if (r->slots[i].hash == h && strcmp(r->slots[i].name, event) == 0)
                return r->slots[i].plan;
    }
    if (plan_build(r, event, tmp) < 0) {
        tmp->failed = 1;
        tmp->inert = 0;
        return tmp;
    }
    if (len > PLAN_NAME_MAX || r->used_slots >= PLAN_CACHE_MAX)
        return tmp;
    if ((r->used_slots + 1) * 2 > r->n_slots && slots_grow(r) < 0)
        return tmp;
    if ((keep = malloc(sizeof(*keep))) == NULL)
        return tmp;
    if ((name = strdup(event)) == NULL) {
        free(keep);
        return tmp;
    }
    *keep = *tmp;
    memset(tmp, 0, sizeof(*tmp));
    h = name_hash(event);
    for (i = h & (r->n_slots - 1); r->slots[i].name != NULL; i = (i + 1) & (r->n_slots - 1))
        ;
    r->slots[i] = (struct plan_slot){ h, name, keep };
    r->used_slots++;
    return keep;
}

void
rules_plan_release(const struct plan *p, struct plan *tmp)
{
    if (p == tmp) {
        free(tmp->rules);
        free(tmp->event_fail);
        memset(tmp, 0, sizeof(*tmp));
    }
}

/* ---- evaluation ---- */

/* 1 match, 0 no match, -1 match but for values that could not be read. */
static int
conds_match(const struct rule *ru, const struct facts *f)
{
    int unknown = 0;

    for (size_t i = 0; i < ru->n_conds; i++) {
        const struct cond *c = &ru->conds[i];
        size_t j;

        if (f->st[c->key] == FACT_ABSENT)
            return 0;
        if (f->st[c->key] == FACT_UNKNOWN) {
            unknown = 1;
            continue;
        }
        for (j = 0; j < c->n && !match_value(c->key, &c->v[j], f); j++)
            ;
        if (j == c->n)
            return 0;
    }
    return unknown ? -1 : 1;
}

/* Every path of a write must be under the list. */
static int
list_allows(const struct alist *l, int cls, const struct facts *f)
{
    enum cond_key key = classes[cls].key;
    size_t j;

    if (f->st[key] != FACT_KNOWN)
        return 0;
    if (key != CK_PATH) {
        for (j = 0; j < l->n && !match_value(key, &l->v[j], f); j++)
            ;
        return j < l->n;
    }
    for (int i = 0; i < f->n_path; i++) {
        for (j = 0; j < l->n && !match_path(&l->v[j], f->path[i]); j++)
            ;
        if (j == l->n)
            return 0;
    }
    return 1;
}

static int
scope_on(scope_fn in_scope, void *ctx, unsigned scope)
{
    return scope == 0 || (in_scope != NULL && in_scope(ctx, scope));
}

void
rules_eval(const struct rules *r, const struct plan *p, const struct facts *f,
           scope_fn in_scope, void *ctx, struct rule_verdict *v)
{
    static const char *const reasons[] = {
        [ACT_ALLOW] = NULL,
        [ACT_DENY] = "denied by policy",
        [ACT_KILL] = "killed by policy",
    };
    size_t i;
    unsigned s;
    int c, m;

    *v = (struct rule_verdict){ ACT_ALLOW, NULL, NULL };
    if (p->failed) {
        *v = (struct rule_verdict){ ACT_DENY, NULL, "denied: out of memory deciding it" };
        return;
    }
    for (i = 0; i < p->n_rules; i++) {
        const struct rule *ru = &r->rule[p->rules[i]];

        if (ru->event_class >= 0 && !(f->classes & EC_BIT(ru->event_class)))
            continue;
        if ((m = conds_match(ru, f)) < 0)
            m = ru->action != ACT_ALLOW;
        if (!m || !scope_on(in_scope, ctx, ru->scope))
            continue;
        *v = (struct rule_verdict){ ru->action, ru->where, reasons[ru->action] };
        return;
    }
    for (c = 0; c < EC_MAX; c++) {
        if (!(p->lists & f->classes & EC_BIT(c)))
            continue;
        for (s = 0; s <= r->n_pkg; s++) {
            const struct alist *l = LIST(r, s, c);
            if (!l->defined || list_allows(l, c, f) || !scope_on(in_scope, ctx, s))
                continue;
            *v = (struct rule_verdict){ ACT_DENY, l->where, classes[c].reason };
            return;
        }
    }
    for (i = 0; i < p->n_event_fail; i++) {
        s = p->event_fail[i];
        if (scope_on(in_scope, ctx, s)) {
            *v = (struct rule_verdict){ ACT_DENY, LIST(r, s, LK_EVENT)->where,
                                        "denied by policy: event not in allow-event" };
            return;
        }
    }
}

/* ---- frames to packages ---- */

int
rules_module_of_file(const struct rules *r, const char *file, char *out, size_t outlen)
{
    static const char *const suffixes[] = { "/__init__.py", "/__init__.pyc", ".py", ".pyc" };
    size_t best = 0, n, len, i;
    const char *rel;
    int found = 0;

    for (i = 0; i < r->n_search; i++) {
        n = strcmp(r->search[i], "/") == 0 ? 0 : strlen(r->search[i]);
        if ((!found || n > best) && strncmp(r->search[i], file, n) == 0 && file[n] == '/') {
            best = n;
            found = 1;
        }
    }
    if (!found)
        return -1;
    rel = file + best + 1;
    len = strlen(rel);
    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        n = strlen(suffixes[i]);
        if (len > n && strcmp(rel + len - n, suffixes[i]) == 0)
            break;
    }
    if (i == sizeof(suffixes) / sizeof(suffixes[0]) || len - n >= outlen)
        return -1;
    len -= n;
    for (i = 0; i < len; i++)
        out[i] = rel[i] == '/' ? '.' : rel[i];
    out[len] = '\0';
    return package_ok(out) ? 0 : -1;
}

void
rules_mark_module(const struct rules *r, const char *module, unsigned char *present)
{
    for (size_t i = 0; i < r->n_pkg; i++)
        if (dotted_covers(r->pkg[i], module))
            present[i + 1] = 1;
}

void
rules_free(struct rules *r)
{
    size_t i, j;

    if (r == NULL)
        return;
    for (i = 0; i < r->n_rule; i++)
        rule_free(&r->rule[i]);
    free(r->rule);
    for (i = 0; i < (r->n_pkg + 1) * LK_MAX; i++) {
        for (j = 0; j < r->lists[i].n; j++)
            value_free(&r->lists[i].v[j]);
        free(r->lists[i].v);
        free(r->lists[i].where);
    }
    free(r->lists);
    for (i = 0; i < r->n_pkg; i++)
        free(r->pkg[i]);
    free(r->pkg);
    for (i = 0; i < r->n_search; i++)
        free(r->search[i]);
    free(r->search);
    for (i = 0; i < r->n_slots; i++) {
        if (r->slots[i].name == NULL)
            continue;
        free(r->slots[i].name);
        rules_plan_release(r->slots[i].plan, r->slots[i].plan);
        free(r->slots[i].plan);
    }
    free(r->slots);
    free(r);
}
