/* policy/rules.c: rule lines, matching on plain values, allow-lists, scopes,
 * the plan cache; include and policy.d drop-ins (policy/policy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "policy/rules.h"
#include "tests/unit/testutil.h"

static struct policy pol;

static void
load(const char *text)
{
    char err[512] = "";

    if (policy_parse_buffer("t.conf", text, strlen(text), &pol, err, sizeof(err)) < 0)
        fail_msg("%s", err);
}

static void
expect_error(const char *text, const char *want)
{
    struct policy p;
    char err[512] = "";

    assert_int_equal(policy_parse_buffer("t.conf", text, strlen(text), &p, err, sizeof(err)), -1);
    assert_string_equal(err, want);
    assert_null(p.rules);
}

/* Packages on the stack, as a bit per scope; and how often it was asked. */
static unsigned stack_mask;
static int stack_asked;

static int
on_stack(void *ctx, unsigned scope)
{
    (void)ctx;
    stack_asked++;
    return (stack_mask >> scope) & 1;
}

static struct rule_verdict verdict;

/* The decision for event with facts f: "allow", "deny" or "kill". */
static const char *
decide(const char *event, const struct facts *f)
{
    static const char *const names[] = { "allow", "deny", "kill" };
    struct plan tmp;
    const struct plan *p = rules_plan(pol.rules, event, &tmp);

    rules_eval(pol.rules, p, f, on_stack, NULL, &verdict);
    rules_plan_release(p, &tmp);
    return names[verdict.action];
}

static struct facts
no_facts(void)
{
    struct facts f;

    memset(&f, 0, sizeof(f));
    return f;
}

static struct facts
path_facts(const char *path, int write)
{
    struct facts f = no_facts();

    f.st[CK_PATH] = f.st[CK_ACCESS] = FACT_KNOWN;
    f.path[0] = path;
    f.n_path = 1;
    f.write = write;
    f.classes = write ? EC_BIT(EC_WRITE) : 0;
    return f;
}

static struct facts
sock_facts(const char *host, unsigned port, int cls)
{
    static char name[256];
    struct facts f = no_facts();

    assert_int_equal(rules_sock_from_host(host, port, &f.addr, name, sizeof(name)), 0);
    f.st[CK_ADDR] = FACT_KNOWN;
    f.classes = EC_BIT(cls);
    if (f.addr.kind == SK_NAME) {
        f.st[CK_HOST] = FACT_KNOWN;
        f.host = f.addr.name;
        f.classes |= EC_BIT(EC_LOOKUP);
    }
    return f;
}

static struct facts
one_fact(enum cond_key k, const char *v)
{
    struct facts f = no_facts();

    f.st[k] = FACT_KNOWN;
    switch (k) {
    case CK_HOST: f.host = v; f.classes = EC_BIT(EC_LOOKUP); break;
    case CK_EXE: f.exe = v; f.classes = EC_BIT(EC_EXEC); break;
    case CK_MODULE: f.module = v; break;
    case CK_LIB: f.lib = v; break;
    default: fail_msg("one_fact: key %d", k);
    }
    return f;
}

static struct facts
global_facts(const char *mod, const char *name)
{
    struct facts f = no_facts();

    f.st[CK_GLOBAL] = FACT_KNOWN;
    f.global_module = mod;
    f.global_name = name;
    return f;
}

static int
teardown(void **state)
{
    (void)state;
    policy_free(&pol);
    stack_mask = 0;
    stack_asked = 0;
    return 0;
}

/* ---- parsing ---- */

static void
test_parse_errors(void **state)
{
    static const struct { const char *text, *want; } cases[] = {
        { "deny\n", "t.conf:1: deny: missing argument" },
        { "deny caf\xc3\xa9\n", "t.conf:1: deny: bad event name 'caf\xc3\xa9'" },
        { "deny open path\n", "t.conf:1: deny: 'path' is not a condition (KEY=VALUE)" },
        { "deny open colour=red\n", "t.conf:1: deny: unknown condition 'colour' (path, access, "
          "addr, host, exe, module, lib, global or origin)" },
        { "deny open exe=/bin/sh\n", "t.conf:1: deny: exe= does not apply to open" },
        { "deny my.event path=/x\n", "t.conf:1: deny: my.event carries no value a condition can test" },
        { "deny open path=\n", "t.conf:1: deny: path=: empty value" },
        { "deny open path=tmp/x\n", "t.conf:1: deny: not an absolute path: 'tmp/x'" },
        { "deny open access=append\n", "t.conf:1: deny: access=append: read or write" },
        { "deny marshal.loads origin=maybe\n",
          "t.conf:1: deny: origin=maybe: verified or unverified" },
        { "deny @delete\n", "t.conf:1: deny: unknown class '@delete' (@write, @connect, @bind, "
          "@lookup or @exec)" },
        { "deny @exec path=/x\n", "t.conf:1: deny: path= does not apply to @exec" },
        { "allow subprocess.Popen exe=bin/x\n",
          "t.conf:1: allow: 'bin/x' is neither an absolute path nor a bare name" },
        { "deny import module=.os\n", "t.conf:1: deny: bad module name '.os'" },
        { "deny import module=a..b\n", "t.conf:1: deny: bad module name 'a..b'" },
        { "deny pickle.find_class global=os:\n",
          "t.conf:1: deny: bad global 'os:' (MODULE or MODULE:NAME)" },
        { "allow-connect 10.0.0.1/8\n",
          "t.conf:1: allow-connect: '10.0.0.1/8': host bits set past the prefix" },
        { "allow-connect 10.0.0.0/33\n", "t.conf:1: allow-connect: bad prefix length in '10.0.0.0/33'" },
        { "allow-connect ::1\n",
          "t.conf:1: allow-connect: bad address '::1' (IPv6 goes in brackets: [::1]:53)" },
        { "allow-connect [::1\n", "t.conf:1: allow-connect: bad address '[::1'" },
        { "allow-connect [nothex]:53\n", "t.conf:1: allow-connect: bad address '[nothex]:53'" },
        { "allow-connect 10.0.0.1:70000\n",
          "t.conf:1: allow-connect: bad port '70000' (0 to 65535, or LOW-HIGH)" },
        { "allow-connect 10.0.0.1:9-8\n",
          "t.conf:1: allow-connect: bad port '9-8' (0 to 65535, or LOW-HIGH)" },
        { "allow-connect 10.0.0.1:x\n", "t.conf:1: allow-connect: bad port 'x'" },
        { "allow-bind ex\xc3\xa4mple.com\n",
          "t.conf:1: allow-bind: bad host name 'ex\xc3\xa4mple.com'" },
        { "allow-lookup a/b\n", "t.conf:1: allow-lookup: bad host name 'a/b'" },
        { "allow-write relative\n", "t.conf:1: allow-write: not an absolute path: 'relative'" },
        { "allow-event caf\xc3\xa9\n", "t.conf:1: allow-event: bad event name 'caf\xc3\xa9'" },
        { "module\n", "t.conf:1: module: missing argument" },
        { "module pkg\n", "t.conf:1: module: missing argument" },
        { "module pkg deny\n", "t.conf:1: deny: missing argument" },
        { "module 1pkg deny x\n", "t.conf:1: module: bad package name '1pkg'" },
        { "module a..b deny x\n", "t.conf:1: module: bad package name 'a..b'" },
        { "module pkg module q deny x\n", "t.conf:1: module: 'module' is not a rule or an allow-list" },
        { "module pkg log /x\n", "t.conf:1: module: 'log' is not a rule or an allow-list" },
        { "module pkg deny open path=x\n", "t.conf:1: deny: not an absolute path: 'x'" },
        { "mode learning\n", "t.conf:1: mode: 'learning' is not enforce, audit or learn" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_error(cases[i].text, cases[i].want);
}

static void
test_parse_counts(void **state)
{
    (void)state;
    load("deny os.system\n"
         "allow open path=/tmp access=write\n"
         "kill @exec exe=/bin/sh\n"
         "allow-write /var/lib/app /tmp\n"
         "allow-write\n"
         "module pkg allow-exec /bin/true\n"
         "module pkg.sub deny import\n"
         "module pkg deny os.system\n"
         "mode learn\n");
    assert_int_equal(rules_count(pol.rules), 5);
    assert_int_equal(rules_list_count(pol.rules), 3);
    assert_int_equal(rules_n_packages(pol.rules), 2);
    assert_string_equal(rules_package(pol.rules, 1), "pkg");
    assert_string_equal(rules_package(pol.rules, 2), "pkg.sub");
    assert_null(rules_package(pol.rules, 3));
    assert_int_equal(pol.mode, MODE_LEARN);
    assert_false(rules_want_origin(pol.rules));
    policy_free(&pol);
    load("deny marshal.loads origin=unverified\n");
    assert_true(rules_want_origin(pol.rules));
}

/* ---- matching ---- */

static void
test_event_names(void **state)
{
    struct facts f = no_facts();

    (void)state;
    load("deny os.system\n"
         "kill socket.*\n"
         "deny sys.audit.?\n");
    assert_string_equal(decide("os.system", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:1");
    assert_string_equal(verdict.reason, "denied by policy");
    assert_string_equal(decide("os.systemx", &f), "allow");
    assert_null(verdict.where);
    assert_string_equal(decide("socket.connect", &f), "kill");
    assert_string_equal(verdict.reason, "killed by policy");
    assert_string_equal(decide("sys.audit.x", &f), "deny");
    assert_string_equal(decide("sys.audit.xy", &f), "allow");
    assert_string_equal(decide("open", &f), "allow");
}

static void
test_first_match(void **state)
{
    struct facts in = path_facts("/tmp/out/x", 1), out = path_facts("/etc/passwd", 1);
    struct facts rd = path_facts("/etc/passwd", 0);

    (void)state;
    load("allow open path=/tmp/out\n"
         "deny open access=write\n"
         "kill open path=/tmp\n");
    assert_string_equal(decide("open", &in), "allow");
    assert_string_equal(decide("open", &out), "deny");
    assert_string_equal(verdict.where, "t.conf:2");
    assert_string_equal(decide("open", &rd), "allow");
    in = path_facts("/tmp/other", 0);
    assert_string_equal(decide("open", &in), "kill");
}

static void
test_paths(void **state)
{
    static const struct { const char *path; const char *want; } cases[] = {
        { "/tmp/out", "deny" }, { "/tmp/out/a/b", "deny" }, { "/tmp/outside", "allow" },
        { "/tmp", "allow" }, { "/home/ann/.ssh/id", "deny" }, { "/home/ann/x/.ssh", "allow" },
        { "/var/log/a.log", "deny" }, { "/var/log/sub/a.log", "allow" },
        { "/var/log/a.log/inner", "deny" },
    };
    struct facts f;

    (void)state;
    load("deny open path=/tmp/out/\n"
         "deny open path=/home/*/.ssh\n"
         "deny open path=/var/log/*.log\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f = path_facts(cases[i].path, 0);
        assert_string_equal(decide("open", &f), cases[i].want);
    }
    /* Any path of a rename: a condition holds for either. */
    f = path_facts("/srv/a", 1);
    f.path[1] = "/tmp/out/b";
    f.n_path = 2;
    assert_string_equal(decide("open", &f), "deny");
    policy_free(&pol);
    load("deny os.remove path=/\n");
    f = path_facts("/anything", 1);
    assert_string_equal(decide("os.remove", &f), "deny");
}

static void
test_addresses(void **state)
{
    static const struct { const char *host; unsigned port; const char *want; } cases[] = {
        { "10.1.2.3", 22, "deny" }, { "10.1.2.3", 23, "allow" }, { "11.0.0.1", 22, "allow" },
        { "10.1", 22, "deny" },              /* 10.0.0.1, as getaddrinfo reads it */
        { "::ffff:10.9.9.9", 22, "deny" },   /* the same address in IPv6 */
        { "192.168.1.1", 8080, "kill" }, { "192.168.1.1", 8079, "allow" },
        { "2001:db8::1", 443, "deny" }, { "2001:db9::1", 443, "allow" },
        { "fe80::1%eth0", 443, "allow" },
        { "Evil.Example.COM.", 80, "deny" }, { "example.com", 80, "allow" },
        { "127.0.0.1", 53, "deny" }, { "::1", 53, "deny" }, { "::1", 54, "allow" }, { "<broadcast>", 9, "deny" },
    };
    struct facts f;

    (void)state;
    load("deny socket.connect addr=10.0.0.0/8:22\n"
         "kill socket.connect addr=192.168.0.0/16:8080-8090\n"
         "deny socket.connect addr=[2001:db8::/32]:443\n"
         "deny socket.connect addr=*.example.com\n"
         "deny socket.connect addr=*:53\n"
         "deny socket.connect addr=255.255.255.255\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f = sock_facts(cases[i].host, cases[i].port, EC_CONNECT);
        if (strcmp(decide("socket.connect", &f), cases[i].want) != 0)
            fail_msg("%s:%u: %s, want %s", cases[i].host, cases[i].port,
                     decide("socket.connect", &f), cases[i].want);
    }
    /* Unix sockets: by path (as paths match) and by abstract name. */
    policy_free(&pol);
    load("deny socket.connect addr=/run/docker.sock\n"
         "deny socket.connect addr=@dbus-*\n"
         "deny socket.connect addr=*\n");
    f = no_facts();
    f.st[CK_ADDR] = FACT_KNOWN;
    f.classes = EC_BIT(EC_CONNECT);
    f.addr.kind = SK_UNIX;
    f.addr.name = "/run/docker.sock";
    assert_string_equal(decide("socket.connect", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:1");
    f.addr.name = "/run/other.sock";
    assert_string_equal(decide("socket.connect", &f), "allow");   /* * is inet only */
    f.addr.kind = SK_ABSTRACT;
    f.addr.name = "dbus-123";
    assert_string_equal(decide("socket.connect", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:2");
}

static void
test_names_and_modules(void **state)
{
    struct facts f;

    (void)state;
    load("deny socket.getaddrinfo host=*.onion\n"
         "deny import module=ctypes module=pdb\n"
         "deny import module=xm?\n"
         "deny subprocess.Popen exe=/usr/bin/\n"
         "deny subprocess.Popen exe=curl\n"
         "deny ctypes.dlopen lib=/lib/*/libc.so*\n");
    f = one_fact(CK_HOST, "abc.onion");
    assert_string_equal(decide("socket.getaddrinfo", &f), "deny");
    f = one_fact(CK_HOST, "onion");
    assert_string_equal(decide("socket.getaddrinfo", &f), "allow");
    f = one_fact(CK_MODULE, "ctypes");
    assert_string_equal(decide("import", &f), "deny");
    f = one_fact(CK_MODULE, "ctypes.util");
    assert_string_equal(decide("import", &f), "deny");
    f = one_fact(CK_MODULE, "ctypeshelper");
    assert_string_equal(decide("import", &f), "allow");
    f = one_fact(CK_MODULE, "xml.dom.minidom");     /* a glob covers submodules */
    assert_string_equal(decide("import", &f), "deny");
    f = one_fact(CK_EXE, "/usr/bin/git");
    assert_string_equal(decide("subprocess.Popen", &f), "deny");
    f = one_fact(CK_EXE, "git");                    /* bare: PATH decides later */
    assert_string_equal(decide("subprocess.Popen", &f), "allow");
    f = one_fact(CK_EXE, "curl");
    assert_string_equal(decide("subprocess.Popen", &f), "deny");
    f = one_fact(CK_EXE, "/opt/curl");
    assert_string_equal(decide("subprocess.Popen", &f), "allow");
    f = one_fact(CK_LIB, "/lib/x86_64-linux-gnu/libc.so.6");
    assert_string_equal(decide("ctypes.dlopen", &f), "deny");
}

static void
test_globals(void **state)
{
    static const struct { const char *mod, *name, *want; } cases[] = {
        { "os", "system", "deny" }, { "os.path", "join", "deny" }, { "posixpath", "join", "allow" },
        { "builtins", "eval", "deny" }, { "builtins", "evaluate", "allow" },
        { "builtins", "set", "allow" }, { "posixpath", "os.system", "deny" },
        { "collections", "OrderedDict", "allow" }, { "subprocess", "Popen", "deny" },
    };
    struct facts f;

    (void)state;
    load("deny pickle.find_class global=os global=subprocess\n"
         "deny pickle.find_class global=builtins:eval\n"
         "deny pickle.find_class global=*:*.*\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f = global_facts(cases[i].mod, cases[i].name);
        if (strcmp(decide("pickle.find_class", &f), cases[i].want) != 0)
            fail_msg("%s:%s: want %s", cases[i].mod, cases[i].name, cases[i].want);
    }
}

static void
test_origin(void **state)
{
    struct facts f = no_facts();

    (void)state;
    load("deny marshal.loads origin=unverified\n");
    f.st[CK_ORIGIN] = FACT_KNOWN;
    f.unverified = 1;
    assert_string_equal(decide("marshal.loads", &f), "deny");
    f.unverified = 0;
    assert_string_equal(decide("marshal.loads", &f), "allow");
}

/* A value that could not be read matches every deny and no allow. */
static void
test_unknown_and_absent(void **state)
{
    struct facts f = no_facts();

    (void)state;
    load("allow subprocess.Popen exe=/bin/true\n"
         "deny subprocess.Popen exe=/bin/rm\n"
         "deny import module=ctypes\n");
    f.st[CK_EXE] = FACT_UNKNOWN;
    f.classes = EC_BIT(EC_EXEC);
    assert_string_equal(decide("subprocess.Popen", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:2");
    f = no_facts();                     /* absent: a condition cannot hold */
    assert_string_equal(decide("subprocess.Popen", &f), "allow");
    assert_string_equal(decide("import", &f), "allow");
}

static void
test_allow_lists(void **state)
{
    struct facts f;

    (void)state;
    load("allow-write /tmp/out /var/lib/app\n"
         "allow-write /srv/cache\n"
         "allow-connect 127.0.0.1:8000-8999 [::1] db.internal:5432\n"
         "allow-lookup db.internal *.corp.example\n"
         "allow-exec /usr/bin/git true\n");
    f = path_facts("/tmp/out/x", 1);
    assert_string_equal(decide("open", &f), "allow");
    f = path_facts("/srv/cache/a/b", 1);
    assert_string_equal(decide("os.remove", &f), "allow");
    f = path_facts("/etc/passwd", 1);
    assert_string_equal(decide("os.remove", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:1");
    assert_string_equal(verdict.reason, "denied by policy: path not in allow-write");
    f = path_facts("/etc/passwd", 0);           /* reading is no write */
    assert_string_equal(decide("open", &f), "allow");
    /* Every path of a rename must be under the list. */
    f = path_facts("/tmp/out/a", 1);
    f.path[1] = "/etc/cron.d/a";
    f.n_path = 2;
    assert_string_equal(decide("os.rename", &f), "deny");
    f.st[CK_PATH] = FACT_UNKNOWN;
    f.path[1] = "/tmp/out/b";
    assert_string_equal(decide("os.rename", &f), "deny");

    f = sock_facts("127.0.0.1", 8080, EC_CONNECT);
    assert_string_equal(decide("socket.connect", &f), "allow");
    f = sock_facts("127.0.0.1", 9000, EC_CONNECT);
    assert_string_equal(decide("socket.connect", &f), "deny");
    assert_string_equal(verdict.reason, "denied by policy: address not in allow-connect");
    f = sock_facts("::1", 1, EC_CONNECT);
    assert_string_equal(decide("socket.connect", &f), "allow");
    f = sock_facts("db.internal", 5432, EC_CONNECT);
    assert_string_equal(decide("socket.connect", &f), "allow");
    f = sock_facts("evil.example", 5432, EC_CONNECT);
    assert_string_equal(decide("socket.connect", &f), "deny");
    /* No allow-bind line: binding is not listed, so not limited. */
    f = sock_facts("0.0.0.0", 0, EC_BIND);
    assert_string_equal(decide("socket.bind", &f), "allow");

    f = one_fact(CK_HOST, "www.corp.example");
    assert_string_equal(decide("socket.getaddrinfo", &f), "allow");
    f = one_fact(CK_HOST, "corp.example");
    assert_string_equal(decide("socket.gethostbyname", &f), "deny");
    assert_string_equal(verdict.reason, "denied by policy: name not in allow-lookup");
    f = one_fact(CK_EXE, "/usr/bin/git");
    assert_string_equal(decide("os.posix_spawn", &f), "allow");
    f = one_fact(CK_EXE, "true");
    assert_string_equal(decide("subprocess.Popen", &f), "allow");
    f = one_fact(CK_EXE, "/bin/true");
    assert_string_equal(decide("os.exec", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:5");
    policy_free(&pol);

    /* An empty list allows nothing. */
    load("allow-exec\n");
    f = one_fact(CK_EXE, "/bin/true");
    assert_string_equal(decide("os.system", &f), "deny");
}

/* An allow rule is an exception to the lists too; deny rules come first. */
static void
test_rules_before_lists(void **state)
{
    struct facts f;

    (void)state;
    load("allow os.remove path=/home/app/tmp\n"
         "deny open path=/tmp/out/secret\n"
         "allow-write /tmp/out\n");
    f = path_facts("/home/app/tmp/x", 1);
    assert_string_equal(decide("os.remove", &f), "allow");
    f = path_facts("/home/app/tmp/x", 1);
    assert_string_equal(decide("open", &f), "deny");
    f = path_facts("/tmp/out/secret", 1);
    assert_string_equal(decide("open", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:2");
}

static void
test_event_lists(void **state)
{
    struct facts f = no_facts();

    (void)state;
    load("allow-event open import os.* \n"
         "module pkg allow-event open\n");
    assert_string_equal(decide("open", &f), "allow");
    assert_int_equal(stack_asked, 0);           /* in every list: no need to look */
    assert_string_equal(decide("os.listdir", &f), "allow");
    assert_int_equal(stack_asked, 1);
    assert_string_equal(decide("socket.connect", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:1");
    assert_string_equal(verdict.reason, "denied by policy: event not in allow-event");
    /* import: in the global list, not pkg's: decided by the stack. */
    assert_string_equal(decide("import", &f), "allow");
    stack_mask = 1u << 1;
    assert_string_equal(decide("import", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:2");
}

static void
test_scopes(void **state)
{
    struct facts f = one_fact(CK_EXE, "/bin/true");

    (void)state;
    load("module spawner deny subprocess.Popen\n"
         "module net allow-exec /bin/true\n"
         "allow-exec /bin/true /bin/echo\n"
         "deny os.system\n");
    /* Nothing of either package on the stack. */
    assert_string_equal(decide("subprocess.Popen", &f), "allow");
    stack_asked = 0;
    assert_string_equal(decide("os.system", &f), "deny");
    assert_int_equal(stack_asked, 0);       /* a global rule never asks */
    stack_mask = 1u << 1;                   /* spawner */
    assert_string_equal(decide("subprocess.Popen", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:1");
    /* net's list is narrower than the global one; both must allow. */
    stack_mask = 1u << 2;
    f = one_fact(CK_EXE, "/bin/echo");
    assert_string_equal(decide("os.exec", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:2");
    stack_mask = 0;
    assert_string_equal(decide("os.exec", &f), "allow");
    f = one_fact(CK_EXE, "/bin/rm");
    assert_string_equal(decide("os.exec", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:3");
}

static void
test_class_rules(void **state)
{
    struct facts f;

    (void)state;
    load("kill @write path=/etc\n"
         "deny @connect addr=*:25\n");
    f = path_facts("/etc/shadow", 1);
    assert_string_equal(decide("open", &f), "kill");
    assert_string_equal(decide("os.chmod", &f), "kill");
    f = path_facts("/etc/shadow", 0);           /* not a write */
    assert_string_equal(decide("open", &f), "allow");
    f = sock_facts("1.2.3.4", 25, EC_CONNECT);
    assert_string_equal(decide("socket.sendto", &f), "deny");
    assert_string_equal(decide("my.event", &f), "allow");
}

/* ---- the plan cache ---- */

static void
test_plan_cache(void **state)
{
    struct plan tmp;
    const struct plan *a, *b;
    char name[256];

    (void)state;
    load("deny os.system\n"
         "deny sys.*\n");
    a = rules_plan(pol.rules, "os.system", &tmp);
    assert_ptr_not_equal(a, &tmp);
    assert_false(a->inert);
    assert_int_equal(a->n_rules, 1);
    b = rules_plan(pol.rules, "os.system", &tmp);
    assert_ptr_equal(a, b);
    a = rules_plan(pol.rules, "unnamed.event", &tmp);
    assert_true(a->inert);
    assert_ptr_equal(a, rules_plan(pol.rules, "unnamed.event", &tmp));
    /* Names of no sane length are planned each time, never kept. */
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    memcpy(name, "sys.", 4);
    a = rules_plan(pol.rules, name, &tmp);
    assert_ptr_equal(a, &tmp);
    assert_int_equal(a->n_rules, 1);
    rules_plan_release(a, &tmp);
    /* Made-up names without end: the cache stops growing, answers stay right. */
    for (int i = 0; i < 6000; i++) {
        snprintf(name, sizeof(name), "sys.made.up.%d", i);
        a = rules_plan(pol.rules, name, &tmp);
        assert_int_equal(a->n_rules, 1);
        rules_plan_release(a, &tmp);
    }
    a = rules_plan(pol.rules, "os.system", &tmp);
    assert_int_equal(a->n_rules, 1);
}

/* A policy of a hundred rules leaves an event none of them names inert. */
static void
test_many_rules(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct facts fx;
    struct plan tmp;

    (void)state;
    assert_non_null(f);
    for (int i = 0; i < 100; i++)
        fprintf(f, "deny %s path=/x%d\n", i % 2 ? "open" : "os.remove", i);
    assert_int_equal(fclose(f), 0);
    load(text);
    free(text);
    assert_int_equal(rules_count(pol.rules), 100);
    assert_true(rules_plan(pol.rules, "bench.loop", &tmp)->inert);
    fx = path_facts("/y", 1);
    assert_string_equal(decide("open", &fx), "allow");
    fx = path_facts("/x42/a", 1);
    assert_string_equal(decide("os.remove", &fx), "deny");
    assert_string_equal(verdict.where, "t.conf:43");
}

/* ---- values from events ---- */

static void
test_normalize(void **state)
{
    static const struct { const char *base, *path, *want; } cases[] = {
        { NULL, "/", "/" }, { NULL, "//a//b/", "/a/b" }, { NULL, "/a/./b/../c", "/a/c" },
        { NULL, "/../../x", "/x" }, { "/srv/app", "data/../log/x", "/srv/app/log/x" },
        { "/srv", "/etc/x", "/etc/x" }, { "/", "..", "/" }, { "/a/b", ".", "/a/b" },
    };
    char out[64], big[5000];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(rules_normalize_path(cases[i].base, cases[i].path, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].want);
    }
    memset(big, 'a', sizeof(big) - 1);
    big[0] = '/';
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(rules_normalize_path(NULL, big, out, sizeof(out)), -1);
    assert_int_equal(rules_normalize_path(NULL, "/abc", out, 2), -1);
}

static void
test_sock_from_host(void **state)
{
    static const struct { const char *host; int kind; const char *entry; } cases[] = {
        { "10.0.0.1", SK_INET4, "10.0.0.1:7" }, { "127.1", SK_INET4, "127.0.0.1:7" },
        { "0x7f.1", SK_INET4, "127.0.0.1:7" }, { "2130706433", SK_INET4, "127.0.0.1:7" },
        { "", SK_INET4, "0.0.0.0:7" }, { "<broadcast>", SK_INET4, "255.255.255.255:7" },
        { "::1", SK_INET6, "[::1]:7" }, { "::FFFF:1.2.3.4", SK_INET4, "1.2.3.4:7" },
        { "fe80::1%eth0", SK_INET6, "[fe80::1]:7" }, { "Host.Example.", SK_NAME, "host.example:7" },
        { "a*b", SK_NAME, NULL },
    };
    struct sock_fact s;
    char name[64], entry[128], big[300];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(rules_sock_from_host(cases[i].host, 7, &s, name, sizeof(name)), 0);
        assert_int_equal(s.kind, cases[i].kind);
        if (cases[i].entry == NULL) {
            assert_int_equal(rules_format_sock(&s, entry, sizeof(entry)), -1);
            continue;
        }
        assert_int_equal(rules_format_sock(&s, entry, sizeof(entry)), 0);
        assert_string_equal(entry, cases[i].entry);
    }
    /* Blanks and control characters are no host; too long for the buffer either. */
    assert_int_equal(rules_sock_from_host("1.2.3.4 x", 1, &s, name, sizeof(name)), -1);
    assert_int_equal(rules_sock_from_host("a\nb", 1, &s, name, sizeof(name)), -1);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(rules_sock_from_host(big, 1, &s, name, sizeof(name)), -1);
    s.kind = SK_UNIX;
    s.name = "/run/a b";
    assert_int_equal(rules_format_sock(&s, entry, sizeof(entry)), -1);
}

/* What learn writes reads back as an entry that allows exactly that value. */
static void
test_format_round_trip(void **state)
{
    static const char *const hosts[] = { "10.2.3.4", "::1", "2001:db8::7", "db.example" };
    struct facts f, other;
    char entry[128], line[160];

    (void)state;
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        f = sock_facts(hosts[i], 443, EC_CONNECT);
        assert_int_equal(rules_format_sock(&f.addr, entry, sizeof(entry)), 0);
        snprintf(line, sizeof(line), "allow-connect %s\n", entry);
        load(line);
        assert_string_equal(decide("socket.connect", &f), "allow");
        other = sock_facts(hosts[i], 444, EC_CONNECT);
        assert_string_equal(decide("socket.connect", &other), "deny");
        policy_free(&pol);
    }
}

static void
test_module_of_file(void **state)
{
    static const struct { const char *file, *want; } cases[] = {
        { "/lib/py/json/decoder.py", "json.decoder" }, { "/lib/py/json/__init__.py", "json" },
        { "/lib/py/dyn/x.py", "x" }, { "/lib/py/os.pyc", "os" }, { "/srv/app.zip/pkg/m.py", "pkg.m" },
        { "/lib/pyx/a.py", NULL }, { "/elsewhere/a.py", NULL }, { "<frozen os>", NULL },
        { "/lib/py/a-b.py", NULL }, { "/lib/py/README", NULL }, { "/lib/py/.py", NULL },
    };
    char out[64];
    unsigned char present[RULES_MAX_PACKAGES + 1];

    (void)state;
    load("search-path /lib/py\nsearch-path /lib/py/dyn/\nsearch-path /srv/app.zip\n"
         "module json deny os.system\nmodule pkg.m deny os.system\nmodule js deny os.system\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = rules_module_of_file(pol.rules, cases[i].file, out, sizeof(out));
        if (cases[i].want == NULL) {
            assert_int_equal(r, -1);
        } else {
            assert_int_equal(r, 0);
            assert_string_equal(out, cases[i].want);
        }
    }
    memset(present, 0, sizeof(present));
    rules_mark_module(pol.rules, "json.decoder", present);
    assert_int_equal(present[1], 1);
    assert_int_equal(present[2] + present[3], 0);
    rules_mark_module(pol.rules, "pkg", present);     /* pkg is not inside pkg.m */
    assert_int_equal(present[2], 0);
    rules_mark_module(pol.rules, "pkg.m.deeper", present);
    assert_int_equal(present[2], 1);
}

/* ---- include and drop-ins ---- */

static char tree[64];

static const char *
tree_file(const char *rel, const char *text, mode_t mode)
{
    const char *path = tu_fmt("%s/%s", tree, rel);

    tu_write_file(path, text, strlen(text));
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static int
tree_setup(void **state)
{
    (void)state;
    snprintf(tree, sizeof(tree), "/tmp/spy-rules.XXXXXX");
    assert_non_null(mkdtemp(tree));
    assert_int_equal(chmod(tree, 0755), 0);
    assert_int_equal(mkdir(tu_fmt("%s/policy.d", tree), 0755), 0);
    return 0;
}

static int
tree_teardown(void **state)
{
    char cmd[128];

    teardown(state);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tree);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void
test_include_order(void **state)
{
    struct facts f = no_facts();
    char *text;

    (void)state;
    tree_file("policy.d/20-b.conf", "deny b.event\nallow a.event\n", 0644);
    tree_file("policy.d/10-a.conf", "# first\nallow b.event\ndeny a.event\n", 0644);
    tree_file("policy.d/.hidden.conf", "frobnicate\n", 0644);
    tree_file("policy.d/notes.txt", "frobnicate\n", 0644);
    assert_true(asprintf(&text, "deny c.event\ninclude %s/policy.d/*.conf\n"
                         "include %s/policy.d/none-*.conf\n", tree, tree) > 0);
    load(text);
    free(text);
    /* 10-a before 20-b: its lines match first, and name their own file. */
    assert_string_equal(decide("a.event", &f), "deny");
    assert_string_equal(verdict.where, tu_fmt("%s/policy.d/10-a.conf:3", tree));
    assert_string_equal(decide("b.event", &f), "allow");
    assert_string_equal(decide("c.event", &f), "deny");
    assert_string_equal(verdict.where, "t.conf:1");
}

static void
test_include_errors(void **state)
{
    const char *f;

    (void)state;
    f = tree_file("bad.conf", "deny ok\nfrobnicate\n", 0644);
    expect_error(tu_fmt("include %s\n", f), tu_fmt("%s:2: unknown directive 'frobnicate'", f));
    f = tree_file("mode.conf", "mode audit\n", 0644);
    expect_error(tu_fmt("include %s\n", f), tu_fmt("%s:1: mode: only in the main policy file", f));
    f = tree_file("open.conf", "deny x\n", 0664);
    expect_error(tu_fmt("\ninclude %s\n", f),
                 tu_fmt("t.conf:2: include: %s: bad ownership or modes", f));
    expect_error(tu_fmt("include %s/missing.conf\n", tree),
                 tu_fmt("t.conf:1: include: %s/missing.conf: No such file or directory", tree));
    expect_error("include policy.d/x.conf\n",
                 "t.conf:1: include: not an absolute path: 'policy.d/x.conf'");
    f = tree_file("loop.conf", tu_fmt("include %s/loop.conf\n", tree), 0644);
    expect_error(tu_fmt("include %s\n", f),
                 tu_fmt("%s:1: include: nested deeper than 8 files (a loop?)", f));
}

/* ---- hostile text ---- */

/* Rule lines made of rule words, values and junk: every one is parsed or
 * refused with a message, never a crash (the sanitizer build watches). */
static void
test_hostile_lines(void **state)
{
    static const char *const words[] = {
        "deny", "allow", "kill", "module", "pkg", "allow-write", "allow-connect",
        "allow-bind", "allow-lookup", "allow-exec", "allow-event", "open", "@write", "@exec",
        "socket.connect", "import", "pickle.find_class", "*", "path=", "path=/", "path=/a/../..",
        "addr=", "addr=[", "addr=[::1]:", "addr=1.2.3.4/", "addr=1.2.3.4/99", "addr=*:0-",
        "addr=@", "addr=/", "host=*", "host=", "exe=a", "exe=/x", "module=", "module=a.b",
        "global=:", "global=a:b", "global=*:*.*", "origin=unverified", "access=write", "=",
        "==", "a=b=c", "[", "[]", "]", "\xc3\xa9", "#", "x#y", "allow-connect", "-",
        "99999999999999999999", "addr=[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128]:65535",
    };
    struct policy p;
    char text[4096], err[512];
    uint32_t rng = 12345;
    size_t n;

    (void)state;
    for (int iter = 0; iter < 20000; iter++) {
        n = 0;
        for (int w = 0; w < 1 + (int)(rng % 9) && n < sizeof(text) - 200; w++) {
            rng = rng * 1103515245 + 12345;
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", w ? " " : "",
                                  words[(rng >> 8) % (sizeof(words) / sizeof(words[0]))]);
        }
        text[n++] = '\n';
        if (policy_parse_buffer("t.conf", text, n, &p, err, sizeof(err)) == 0) {
            struct plan tmp;
            struct facts f = no_facts();
            const struct plan *pl = rules_plan(p.rules, "open", &tmp);
            rules_eval(p.rules, pl, &f, on_stack, NULL, &verdict);
            rules_plan_release(pl, &tmp);
            policy_free(&p);
        } else {
            assert_int_equal(strncmp(err, "t.conf:1: ", 10), 0);
        }
    }
}

int
main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
#define TREE(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)
    const struct CMUnitTest tests[] = {
        T(test_parse_errors), T(test_parse_counts), T(test_event_names), T(test_first_match),
        T(test_paths), T(test_addresses), T(test_names_and_modules), T(test_globals),
        T(test_origin), T(test_unknown_and_absent), T(test_allow_lists),
        T(test_rules_before_lists), T(test_event_lists), T(test_scopes), T(test_class_rules),
        T(test_plan_cache), T(test_many_rules), T(test_normalize), T(test_sock_from_host),
        T(test_format_round_trip), T(test_module_of_file), TREE(test_include_order),
        TREE(test_include_errors), T(test_hostile_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
