/* spython-audit filter [--pid N] [--event GLOB] [--decision D] [--chain ID]
 *                      [--since TIME] [--until TIME] LOG...
 * The matching lines, as they are in the log (JSON lines, for jq). Options
 * of one kind are alternatives; different kinds must all match. Exit status
 * as grep: 0 some line matched, 1 none, 2 error. */
#include <fnmatch.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "audit/tool/tool.h"

#define MAX_EACH 32

struct filter {
    json_int_t pids[MAX_EACH];
    const char *events[MAX_EACH], *decisions[MAX_EACH], *chains[MAX_EACH];
    int npids, nevents, ndecisions, nchains;
    char since[32], until[32];
};

/* TIME as the log writes it, so that strings compare as times:
 * YYYY-MM-DD[(T| )HH:MM[:SS[.ffffff]]][Z], the rest filled with zeros. */
static int
normalize_time(const char *in, char out[32])
{
    static const char tmpl[] = "0000-00-00T00:00:00.000000Z";
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddd";
    size_t i, n = strlen(in);

    if (n > 0 && in[n - 1] == 'Z')
        n--;
    /* date, minutes, seconds, or seconds with 1 to 6 decimals */
    if (!(n == 10 || n == 16 || n == 19 || (n >= 21 && n <= 26)))
        return -1;
    memcpy(out, tmpl, sizeof(tmpl));
    for (i = 0; i < n; i++) {
        char c = in[i];
        if (shape[i] == 'd' ? (c < '0' || c > '9')
                            : !(c == shape[i] || (i == 10 && c == ' ')))
            return -1;
        out[i] = shape[i] == 'T' ? 'T' : c;
    }
    return 0;
}

static int
any_str(const char *const *v, int n, const char *s, int glob)
{
    int i;

    if (n == 0)
        return 1;
    for (i = 0; i < n; i++)
        if (glob ? fnmatch(v[i], s, 0) == 0 : strcmp(v[i], s) == 0)
            return 1;
    return 0;
}

static int
decision_matches(const struct filter *f, const struct ev *e)
{
    int i;

    if (f->ndecisions == 0)
        return 1;
    for (i = 0; i < f->ndecisions; i++)
        if (strcmp(f->decisions[i], e->decision) == 0 ||
            (strcmp(f->decisions[i], "denied") == 0 && is_denial(e)))
            return 1;
    return 0;
}

static int
matches(const struct filter *f, const struct ev *e)
{
    int i, pid_ok = f->npids == 0;

    for (i = 0; i < f->npids; i++)
        pid_ok |= f->pids[i] == e->pid;
    /* An event name with a NUL in it only matches a glob of "*". */
    return pid_ok && decision_matches(f, e) &&
           any_str(f->events, f->nevents, strlen(e->event) == e->event_len ? e->event : "\x01",
                   1) &&
           any_str(f->chains, f->nchains, e->chain, 0) &&
           (f->since[0] == '\0' || strcmp(e->ts, f->since) >= 0) &&
           (f->until[0] == '\0' || strcmp(e->ts, f->until) < 0);
}

static int
add(const char **v, int *n, const char *s, const char *what)
{
    if (*n == MAX_EACH) {
        fprintf(stderr, "spython-audit: filter: at most %d --%s\n", MAX_EACH, what);
        return -1;
    }
    v[(*n)++] = s;
    return 0;
}

int
cmd_filter(int argc, char **argv)
{
    static const struct option opts[] = {
        { "pid", required_argument, NULL, 'p' },
        { "event", required_argument, NULL, 'e' },
        { "decision", required_argument, NULL, 'd' },
        { "chain", required_argument, NULL, 'c' },
        { "since", required_argument, NULL, 's' },
        { "until", required_argument, NULL, 'u' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const decisions[] = { "allow", "deny", "would-deny", "denied" };
    struct filter f = { 0 };
    struct reader *r;
    uint64_t matched = 0;
    struct ev e;
    char *end;
    size_t i;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if (f.npids == MAX_EACH)
                goto usage;
            f.pids[f.npids++] = strtoll(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0')
                goto usage;
            break;
        case 'e':
            if (add(f.events, &f.nevents, optarg, "event") < 0)
                return 2;
            break;
        case 'd':
            for (i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++)
                if (strcmp(optarg, decisions[i]) == 0)
                    break;
            if (i == sizeof(decisions) / sizeof(decisions[0]) ||
                add(f.decisions, &f.ndecisions, optarg, "decision") < 0)
                goto usage;
            break;
        case 'c':
            if (add(f.chains, &f.nchains, optarg, "chain") < 0)
                return 2;
            break;
        case 's':
        case 'u':
            if (normalize_time(optarg, opt == 's' ? f.since : f.until) < 0) {
                fprintf(stderr, "spython-audit: filter: bad time '%s' "
                        "(YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z], UTC)\n", optarg);
                return 2;
            }
            break;
        default:
            goto usage;
        }
    }
    if (optind >= argc)
        goto usage;
    if ((r = reader_open(argv + optind, argc - optind)) == NULL)
        return 2;
    while ((rc = reader_next(r, &e)) > 0) {
        if (e.root == NULL || !matches(&f, &e))
            continue;
        fwrite(e.raw, 1, e.rawlen, stdout);
        putchar('\n');
        matched++;
    }
    reader_summary(r);
    reader_close(r);
    if (fflush(stdout) != 0 || rc < 0)
        return 2;
    return matched ? 0 : 1;
usage:
    fprintf(stderr, "usage: spython-audit filter [--pid N] [--event GLOB] "
            "[--decision allow|deny|would-deny|denied] [--chain ID] [--since TIME] "
            "[--until TIME] LOG...\n");
    return 2;
}
