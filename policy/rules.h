/* Rules over audit events: parsed from policy lines, compiled once at start-up,
 * matched against values the launch side has already taken out of an event.
 * No Python here: events arrive as a name plus plain C values (struct facts). */
#ifndef SPY_RULES_H
#define SPY_RULES_H

#include <stddef.h>
#include <stdint.h>

enum rule_action { ACT_ALLOW = 0, ACT_DENY, ACT_KILL };

/* What allow-lists govern. An event belongs to a class when it does that
 * thing now: "open" is a write only when its flags say so. */
enum event_class { EC_WRITE, EC_CONNECT, EC_BIND, EC_LOOKUP, EC_EXEC, EC_MAX };
#define EC_BIT(c) (1u << (c))

/* Where the values sit in an event's arguments (CPython 3.11 layouts, checked
 * with sys.addaudithook). launch/decide.c reads them; the table is here so
 * that event names live in one place. */
enum arg_layout {
    AL_NONE,
    AL_OPEN,        /* (path | fd, mode, flags) */
    AL_PATH,        /* path[i] with dir_fd[i]; str, bytes or fd */
    AL_SOCKADDR,    /* (socket, address) */
    AL_HOST,        /* (host, ...): a forward lookup, none for a numeric host */
    AL_REVERSE,     /* (address,): a reverse lookup */
    AL_NAMEINFO,    /* ((host, port, ...), flags) */
    AL_EXE,         /* (executable, ...) */
    AL_SHELL,       /* os.system(command): the executable is /bin/sh */
    AL_MODULE,      /* (name, ...) */
    AL_LIB,         /* (name,) */
    AL_PICKLE,      /* (module, qualname) */
    AL_MARSHAL,     /* (bytes,) */
};

struct event_spec {
    const char *name;
    enum arg_layout layout;
    unsigned char classes;      /* EC_BIT()s the event can belong to */
    signed char path[2];        /* AL_PATH: argument index of each path, -1 none;
                                 * AL_EXE: of the executable and of the cwd */
    signed char dirfd[2];       /* and of the dir_fd it is relative to, -1 none */
    unsigned char follow;       /* bit i: the call follows a final symlink of path[i] */
};

/* The keys a condition can test (key=value in a rule). */
enum cond_key {
    CK_PATH, CK_ACCESS, CK_ADDR, CK_HOST, CK_EXE, CK_MODULE, CK_LIB,
    CK_GLOBAL, CK_ORIGIN, CK_MAX
};

/* A value taken from an event is absent (the event does not carry it), known,
 * or unknown (carried but unreadable: an odd type, an fd with no path). An
 * unknown value matches every deny and kill rule and no allow rule or list. */
enum fact_state { FACT_ABSENT = 0, FACT_KNOWN, FACT_UNKNOWN };

enum sock_kind { SK_INET4, SK_INET6, SK_NAME, SK_UNIX, SK_ABSTRACT };

struct sock_fact {
    enum sock_kind kind;
    uint8_t ip[16];             /* SK_INET4 in ip[0..3] */
    unsigned port;              /* not for SK_UNIX, SK_ABSTRACT */
    const char *name;           /* SK_NAME host, SK_UNIX path, SK_ABSTRACT name */
};

struct facts {
    enum fact_state st[CK_MAX];
    unsigned char classes;      /* EC_BIT()s the event belongs to now */
    const char *path[2];        /* absolute, normalized */
    int n_path;
    int write;                  /* CK_ACCESS */
    struct sock_fact addr;
    const char *host;           /* lower case, no trailing dot */
    const char *exe;
    const char *module;
    const char *lib;
    const char *global_module, *global_name;
    int unverified;             /* CK_ORIGIN */
};

struct rules;

/* Which rules and allow-lists can concern one event name: computed the first
 * time the name is seen and kept (for names of a sane length). */
struct plan {
    const struct event_spec *spec;  /* NULL when no layout is known */
    unsigned *rules;                /* indices of rules whose event pattern matches */
    size_t n_rules;
    unsigned *event_fail;           /* scopes whose allow-event list lacks the name */
    size_t n_event_fail;
    unsigned char lists;            /* EC_BIT()s of spec classes some scope lists */
    unsigned needs;                 /* bit per cond_key the rules test */
    int inert;                      /* nothing to decide: allow without a look */
    int failed;                     /* out of memory building it: deny */
};

/* Parsing, one policy line at a time. av[0] is the directive (allow, deny,
 * kill, allow-write, ..., module); *rp is created on the first call. where is
 * "file:line". 0, or -1 with "directive: message" in err. */
int rules_parse_line(struct rules **rp, const char *where, char *const av[], int ac,
                     char *err, size_t errlen);

/* After the last line: remember the search path (it maps frames to packages).
 * Creates an empty rule set when there were no rule lines. */
int rules_finish(struct rules **rp, char *const *search_path, size_t n,
                 char *err, size_t errlen);
void rules_free(struct rules *r);

size_t rules_count(const struct rules *r);          /* allow, deny, kill lines */
size_t rules_list_count(const struct rules *r);     /* allow-* lines */
size_t rules_n_packages(const struct rules *r);     /* scopes 1..n */
const char *rules_package(const struct rules *r, unsigned scope);
/* Some rule tests origin=: verified marshal payloads must be remembered. */
int rules_want_origin(const struct rules *r);

/* The plan for an event name: the cached one, or *tmp filled (release it). */
const struct plan *rules_plan(struct rules *r, const char *event, struct plan *tmp);
void rules_plan_release(const struct plan *p, struct plan *tmp);

/* Is package scope (1..n) on the stack? Asked only when the answer matters. */
typedef int (*scope_fn)(void *ctx, unsigned scope);

struct rule_verdict {
    enum rule_action action;
    const char *where;          /* "file:line" of the deciding line, or NULL */
    const char *reason;         /* for deny and kill */
};

/* First matching allow/deny/kill rule in policy order; failing that, every
 * allow-list that applies (global, and each listed package on the stack);
 * failing that, allow. */
void rules_eval(const struct rules *r, const struct plan *p, const struct facts *f,
                scope_fn in_scope, void *ctx, struct rule_verdict *v);

/* Values from events, made comparable (hostile input: never crash). */
/* Lexically absolute and normalized (no //, ., ..); 0, or -1 if too long. */
int rules_normalize_path(const char *base, const char *path, char *out, size_t outlen);
/* host[:port] as the socket module would read it: numeric IPv4 (any form
 * inet_aton takes), IPv6 (with or without %scope), "" (any), "<broadcast>",
 * else a name (lower-cased into namebuf). 0, or -1 if it cannot be a host. */
int rules_sock_from_host(const char *host, unsigned port, struct sock_fact *s,
                         char *namebuf, size_t namelen);
/* A value as an allow-list entry would spell it ("10.0.0.1:80", "[::1]:53",
 * "name:443", "/run/x.sock", "@abstract"); -1 if it cannot be spelled. */
int rules_format_sock(const struct sock_fact *s, char *out, size_t outlen);
/* Can s be written as one word of a policy line? */
int rules_word_ok(const char *s);
/* Would fnmatch() read s as a pattern (*, ? or [)? */
int rules_has_glob(const char *s);
/* Printable ASCII and no blank: what event (and attribute) names are. */
int rules_ascii_word(const char *s);

/* Frames to packages: the dotted module a file is, by the longest search-path
 * directory it lies under ("dir/a/b.py", "dir/a/b/__init__.py" -> "a.b").
 * 0 with the name in out, -1 when the file is under none. */
int rules_module_of_file(const struct rules *r, const char *file, char *out, size_t outlen);
/* Set present[scope] for each package the module is (or is inside of). */
void rules_mark_module(const struct rules *r, const char *module, unsigned char *present);

#define RULES_MAX_PACKAGES 256

#endif
