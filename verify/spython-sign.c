/* spython-sign: write IMA v2 signatures on code files, or check them the way
 * spython will (--check, --verify). Trees are walked once, the files worked
 * on by one thread per CPU, the results reported in walk order. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "policy/policy.h"
#include "verify/digestlist.h"
#include "verify/keyring.h"
#include "verify/sig.h"
#include "verify/sign.h"

enum { SIGN, VERIFY, CHECK };

struct opts {
    int mode;
    const char *keyfile, *certfile, *pass_file, *policy, *xattr, *user, *list;
    char **keyrings;
    size_t nkeyrings;
    uint8_t hash_algo;
    unsigned jobs;
    int xattr_set, force, allow_abi, json, quiet, verbose, require_unwritable;
    int exec_check;             /* -1: from the policy, else auto */
};

static void __attribute__((noreturn))
usage(int status)
{
    FILE *f = status == 0 ? stdout : stderr;

    fprintf(f,
        "usage: spython-sign -k key.pem [-fqrv] [-a algo] [-j jobs] [--pass-file file]\n"
        "                    [--keyid-from-cert cert] [--xattr name]\n"
        "                    [--allow-abi-violations] [--digest-list list] path ...\n"
        "       spython-sign --check [-qrv] [--json] [-j jobs] {-K keyring ... | --policy file}\n"
        "                    [--xattr name] [--exec-check auto|require|off]\n"
        "                    [--require-unwritable] [--user user] [path ...]\n"
        "       spython-sign --verify -K keyring [-K keyring ...] [-qv] [--xattr name] path ...\n"
        "\n"
        "Files are signed or checked as given; directories are walked, without\n"
        "following symlinks, for .py .pyc .pth .so .zip files.\n"
        "  -k, --key FILE             PEM private key (RSA or EC), perhaps encrypted\n"
        "      --pass-file FILE       its passphrase (first line; mode 600); else asked on a terminal\n"
        "  -a, --hash-algo ALGO       sha256 (default), sha384, sha512 or sha224\n"
        "      --xattr NAME           signature attribute (default %s)\n"
        "      --keyid-from-cert CERT key id from the certificate's Subject Key Identifier\n"
        "  -f, --force                re-sign files this key has already signed\n"
        "      --digest-list LIST     sign nothing but LIST: the sha256 of every file, for\n"
        "                             the policy's digest-list directive (-v prints them)\n"
        "      --allow-abi-violations sign extension modules the ABI audit refuses, with a warning\n"
        "  -r, --recursive            accepted for evmctl users: directories are always walked\n"
        "  -j, --jobs N               worker threads (default: one per CPU)\n"
        "      --check                list every file spython would refuse, and why\n"
        "      --verify               check signatures as spython does; print PATH: verdict\n"
        "  -K, --keyring PATH         trusted certificate, public key or directory of them\n"
        "      --policy FILE          take keyring, xattr, rules and digest lists from a\n"
        "                             spython policy; with no path, check its search-path\n"
        "                             directories\n"
        "      --json                 --check result as one JSON document\n"
        "      --exec-check MODE      as the policy directive (default auto)\n"
        "      --require-unwritable   refuse code the user could write (W^X)\n"
        "      --user USER            whose W^X view to take (default: the caller)\n"
        "  -q, --quiet                print errors only\n"
        "  -v, --verbose              also report unchanged and skipped files\n"
        "  -h, --help                 this text\n",
        POLICY_DEFAULT_XATTR);
    exit(status);
}

static unsigned
parse_jobs(const char *s)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || n < 1 || n > 256) {
        warnx("--jobs: '%s' is not a number from 1 to 256", s);
        usage(2);
    }
    return (unsigned)n;
}

static uid_t
parse_user(const char *s)
{
    struct passwd *pw;
    char *end;
    unsigned long n;

    if ((pw = getpwnam(s)) != NULL)
        return pw->pw_uid;
    errno = 0;
    n = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || *s == '\0' || n >= (uid_t)-1)
        errx(2, "--user: no such user: %s", s);
    return (uid_t)n;
}

/* The key, its digest and its id, as evmctl would write them. */
static int
setup_signer(struct signer *s, const struct opts *o, char *why, size_t whylen)
{
    EVP_PKEY *certkey = NULL;
    char reason[256];
    int rc = -1;

    s->hash_algo = o->hash_algo;
    s->xattr = o->xattr;
    s->force = o->force;
    s->allow_abi = o->allow_abi;
    s->abi = &sign_abi_rules;
    s->quiet = o->quiet;
    s->verbose = o->verbose;
    if ((s->md = verify_md(s->hash_algo)) == NULL) {
        snprintf(why, whylen, "%s: not available in this OpenSSL", verify_hash_label(s->hash_algo));
        goto out;
    }
    if ((s->key = sign_load_key(o->keyfile, o->pass_file, why, whylen)) == NULL)
        goto out;
    if (keyring_key_supported(s->key, reason, sizeof(reason)) != 0) {
        snprintf(why, whylen, "%s: unsupported key: %s", o->keyfile, reason);
        goto out;
    }
    if (o->certfile == NULL) {
        if (keyid_of_pkey(s->key, s->keyid) != 0) {
            snprintf(why, whylen, "%s: cannot compute key id", o->keyfile);
            goto out;
        }
    } else {
        if (cert_read_skid(o->certfile, s->keyid, &certkey, why, whylen) != 0)
            goto out;
        /* A key id that names another key makes signatures nobody can check. */
        if (EVP_PKEY_eq(certkey, s->key) != 1) {
            snprintf(why, whylen, "%s: certificate is not for key %s", o->certfile, o->keyfile);
            goto out;
        }
    }
    rc = 0;
out:
    EVP_PKEY_free(certkey);
    ERR_clear_error();
    return rc;
}

/* The policy's digest lists, read as spython reads them (by signature, or
 * by the pin): a listed file then checks ok without a signature of its own,
 * and a list spython would refuse stops the check, as it stops spython. */
static int
load_lists(struct checker *c, const struct policy *pol, char *why, size_t whylen)
{
    struct verify_cfg cfg = c->cfg;
    struct digest_set *set;
    struct code_file cf;
    const char *bad;
    enum verdict v;
    int e;

    if (pol->n_digest_lists == 0)
        return 0;
    if ((set = digest_set_new()) == NULL) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    c->cfg.digests = set;
    /* As spython: W^X applies to a list, the exec checks do not (a list is
     * never run). */
    cfg.exec = (struct exec_rules){ .refuse_writable = c->cfg.exec.refuse_writable,
                                    .as_uid_set = c->cfg.exec.as_uid_set,
                                    .as_uid = c->cfg.exec.as_uid };
    for (size_t i = 0; i < pol->n_digest_lists; i++) {
        e = 0;
        v = digest_list_read(&cfg, pol->digest_lists[i],
                             pol->digest_pins[i].set ? pol->digest_pins[i].sha256 : NULL,
                             &cf, NULL, &e);
        if (v != V_OK) {
            code_file_free(&cf);
            snprintf(why, whylen, "digest list %s: %s%s%s", pol->digest_lists[i],
                     verdict_reason(v), e != 0 && v == V_UNREADABLE ? ": " : "",
                     e != 0 && v == V_UNREADABLE ? strerror(e) : "");
            return -1;
        }
        if (digest_set_add(set, cf.data, cf.len, &bad) != 0) {
            code_file_free(&cf);
            snprintf(why, whylen, "digest list %s: %s", pol->digest_lists[i], bad);
            return -1;
        }
    }
    return 0;
}

/* Keyring, xattr, size cap and execution rules: from a policy when one is
 * named, so the check answers exactly as spython under that policy would. */
static int
setup_checker(struct checker *c, struct keyring *kr, struct policy *pol, const struct opts *o,
              char *why, size_t whylen)
{
    enum exec_check_mode mode = EXEC_CHECK_AUTO;
    char *const *paths = o->keyrings;
    struct exec_env env;
    size_t n = o->nkeyrings;
    int unwritable = o->require_unwritable;

    c->cfg.xattr_name = o->xattr;
    c->cfg.max_file_size = POLICY_DEFAULT_MAX_FILE_SIZE;
    if (o->policy != NULL) {
        if (policy_load(o->policy, pol, why, whylen) != 0)
            return -1;
        paths = pol->keyrings;
        n = pol->n_keyrings;
        c->cfg.xattr_name = pol->xattr;
        c->cfg.max_file_size = pol->max_file_size;
        mode = pol->exec_check;
        unwritable |= pol->require_unwritable;
    }
    for (size_t i = 0; i < n; i++)
        if (keyring_add_path(kr, paths[i], why, whylen) < 0)
            return -1;
    c->cfg.keyring = kr;
    /* --verify answers for signatures alone, as it always has. */
    if (o->mode == VERIFY)
        return 0;
    if (o->exec_check >= 0)
        mode = (enum exec_check_mode)o->exec_check;
    exec_env_probe(&env);
    if (exec_rules_init(&c->cfg.exec, mode, unwritable, &env, why, whylen) != 0)
        return -1;
    if (o->user != NULL) {
        c->cfg.exec.as_uid_set = 1;
        c->cfg.exec.as_uid = parse_user(o->user);
    }
    return o->policy != NULL ? load_lists(c, pol, why, whylen) : 0;
}

/* With --policy and no path: what spython would import from. A directory
 * inside one already listed (lib-dynload in the stdlib) is walked once; one
 * that does not exist holds nothing spython could load. */
static void
collect_search_path(struct joblist *jl, const struct policy *pol, int verbose)
{
    struct stat st;
    size_t len;
    int inside;

    for (size_t i = 0; i < pol->n_search_path; i++) {
        const char *p = pol->search_path[i];

        inside = 0;
        for (size_t k = 0; k < i && !inside; k++) {
            len = strlen(pol->search_path[k]);
            inside = strncmp(p, pol->search_path[k], len) == 0 &&
                     (p[len] == '/' || p[len] == '\0');
        }
        if (inside)
            continue;
        if (stat(p, &st) != 0 && errno == ENOENT) {
            if (verbose)
                fprintf(stderr, "spython-sign: %s: skipped (search-path does not exist)\n", p);
            continue;
        }
        walk_collect(jl, p, 1);
    }
}

enum {
    OPT_XATTR = 256, OPT_CERT, OPT_VERIFY, OPT_CHECK, OPT_PASS_FILE, OPT_ALLOW_ABI,
    OPT_POLICY, OPT_JSON, OPT_EXEC_CHECK, OPT_UNWRITABLE, OPT_USER, OPT_DIGEST_LIST,
};

static const struct option longopts[] = {
    { "key",                  required_argument, NULL, 'k' },
    { "hash-algo",            required_argument, NULL, 'a' },
    { "xattr",                required_argument, NULL, OPT_XATTR },
    { "keyid-from-cert",      required_argument, NULL, OPT_CERT },
    { "pass-file",            required_argument, NULL, OPT_PASS_FILE },
    { "force",                no_argument,       NULL, 'f' },
    { "allow-abi-violations", no_argument,       NULL, OPT_ALLOW_ABI },
    { "recursive",            no_argument,       NULL, 'r' },
    { "jobs",                 required_argument, NULL, 'j' },
    { "verify",               no_argument,       NULL, OPT_VERIFY },
    { "check",                no_argument,       NULL, OPT_CHECK },
    { "keyring",              required_argument, NULL, 'K' },
    { "policy",               required_argument, NULL, OPT_POLICY },
    { "json",                 no_argument,       NULL, OPT_JSON },
    { "exec-check",           required_argument, NULL, OPT_EXEC_CHECK },
    { "require-unwritable",   no_argument,       NULL, OPT_UNWRITABLE },
    { "user",                 required_argument, NULL, OPT_USER },
    { "digest-list",          required_argument, NULL, OPT_DIGEST_LIST },
    { "quiet",                no_argument,       NULL, 'q' },
    { "verbose",              no_argument,       NULL, 'v' },
    { "help",                 no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
    int ch, algo;

    while ((ch = getopt_long(argc, argv, "a:fhj:K:k:qrv", longopts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            if ((algo = sig_hash_from_name(optarg)) < 0) {
                warnx("unsupported hash algorithm: %s (sha256, sha384, sha512 or sha224)",
                      optarg);
                usage(2);
            }
            o->hash_algo = (uint8_t)algo;
            break;
        case 'f':
            o->force = 1;
            break;
        case 'h':
            usage(0);
        case 'j':
            o->jobs = parse_jobs(optarg);
            break;
        case 'K':
            o->keyrings[o->nkeyrings++] = optarg;
            break;
        case 'k':
            o->keyfile = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'r':
            break;
        case 'v':
            o->verbose = 1;
            break;
        case OPT_XATTR:
            o->xattr = optarg;
            o->xattr_set = 1;
            break;
        case OPT_CERT:
            o->certfile = optarg;
            break;
        case OPT_PASS_FILE:
            o->pass_file = optarg;
            break;
        case OPT_ALLOW_ABI:
            o->allow_abi = 1;
            break;
        case OPT_VERIFY:
        case OPT_CHECK:
            if (o->mode != SIGN)
                usage(2);
            o->mode = ch == OPT_VERIFY ? VERIFY : CHECK;
            break;
        case OPT_POLICY:
            o->policy = optarg;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_EXEC_CHECK:
            if ((o->exec_check = exec_check_mode_from_name(optarg)) < 0) {
                warnx("--exec-check: '%s' is not auto, require or off", optarg);
                usage(2);
            }
            break;
        case OPT_UNWRITABLE:
            o->require_unwritable = 1;
            break;
        case OPT_USER:
            o->user = optarg;
            break;
        case OPT_DIGEST_LIST:
            o->list = optarg;
            break;
        default:
            usage(2);
        }
    }
}

/* Options that belong to another mode are mistakes, not no-ops. */
static int
coherent(const struct opts *o, int npaths)
{
    int sign_opts = o->keyfile != NULL || o->certfile != NULL || o->pass_file != NULL ||
                    o->list != NULL ||
                    o->force || o->allow_abi;
    int check_opts = o->json || o->exec_check >= 0 || o->require_unwritable || o->user != NULL;
    /* A policy brings its own keyring and xattr: no second source to disagree with. */
    int trust = o->policy != NULL ? o->nkeyrings == 0 && !o->xattr_set : o->nkeyrings > 0;

    switch (o->mode) {
    case SIGN:
        return o->keyfile != NULL && o->nkeyrings == 0 && o->policy == NULL && !check_opts &&
               npaths > 0;
    case VERIFY:
        return !sign_opts && !check_opts && trust && npaths > 0;
    default:
        return !sign_opts && trust && (npaths > 0 || o->policy != NULL);
    }
}

int
main(int argc, char **argv)
{
    struct opts o = { .xattr = POLICY_DEFAULT_XATTR, .hash_algo = IMA_HASH_SHA256,
                      .exec_check = -1 };
    struct signer s = { 0 };
    struct checker c = { 0 };
    struct lister l = { 0 };
    struct policy pol = { 0 };
    struct keyring *kr = NULL;
    struct joblist jl = { 0 };
    struct progress pr;
    char why[1024];
    int rc;

    signal(SIGPIPE, SIG_IGN);
    if ((o.keyrings = calloc((size_t)argc, sizeof(*o.keyrings))) == NULL)
        err(1, NULL);
    parse_args(argc, argv, &o);
    argc -= optind;
    argv += optind;
    if (!coherent(&o, argc))
        usage(2);
    if (o.jobs == 0)
        o.jobs = default_jobs();

    if (o.mode == SIGN) {
        rc = setup_signer(&s, &o, why, sizeof(why));
    } else {
        c.json = o.json;
        c.quiet = o.quiet;
        c.verbose = o.verbose;
        c.legacy = o.mode == VERIFY;
        if ((kr = keyring_new()) == NULL)
            err(1, NULL);
        rc = setup_checker(&c, kr, &pol, &o, why, sizeof(why));
    }
    if (rc != 0) {
        EVP_PKEY_free(s.key);
        errx(1, "%s", why);
    }

    for (int i = 0; i < argc; i++)
        walk_collect(&jl, argv[i], o.mode != SIGN);
    if (argc == 0)
        collect_search_path(&jl, &pol, o.verbose);
    progress_init(&pr, !o.quiet && !o.json, jl.n, o.mode == SIGN ? "signing" : "checking");
    s.pr = c.pr = &pr;
    if (o.list != NULL && list_init(&l, &s, &jl) != 0)
        err(1, NULL);
    if (pool_run(&jl, o.jobs, o.mode != SIGN ? &check_ops : o.list != NULL ? &list_ops : &sign_ops,
                 o.mode != SIGN ? (void *)&c : o.list != NULL ? (void *)&l : (void *)&s, &pr) != 0)
        errx(1, "cannot start worker threads");
    rc = o.mode != SIGN ? check_finish(&c, &jl) :
         o.list != NULL ? list_finish(&l, &jl, o.list) : sign_finish(&s);

    EVP_PKEY_free(s.key);          /* frees (and clears) the private key */
    keyring_free(kr);
    digest_set_free((struct digest_set *)c.cfg.digests);
    policy_free(&pol);
    joblist_free(&jl);
    free(o.keyrings);
    return rc;
}
