/* spython-audit: read spython's audit logs. One verb per job; see
 * spython-audit(1). */
#include <stdio.h>
#include <string.h>

#include "audit/tool/tool.h"

static const struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis;
} verbs[] = {
    { "summary", cmd_summary, "summary LOG..." },
    { "transcripts", cmd_transcripts, "transcripts LOG..." },
    { "show", cmd_show, "show HASH LOG..." },
    { "filter", cmd_filter,
      "filter [--pid N] [--event GLOB] [--decision D] [--chain ID] [--since T] [--until T] LOG..." },
    { "verify", cmd_verify, "verify [-k KEYFILE] LOG..." },
    { "report", cmd_report, "report [-k KEYFILE] -o FILE.html LOG..." },
};

static int
usage(FILE *f)
{
    size_t i;

    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(f, "%s spython-audit %s\n", i ? "      " : "usage:", verbs[i].synopsis);
    fprintf(f, "       spython-audit --version | --help\n"
            "LOG files are read in the order given (oldest rotated file first); \"-\" is\n"
            "standard input for summary, filter and verify.\n");
    return f == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
    size_t i;

    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "--help") == 0)
        return usage(stdout);
    if (strcmp(argv[1], "--version") == 0) {
        printf("spython-audit %s\n", SPYTHON_VERSION);
        return 0;
    }
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "spython-audit: unknown verb '");
    put_safe(stderr, argv[1], strlen(argv[1]));
    fprintf(stderr, "'\n");
    return usage(stderr);
}
