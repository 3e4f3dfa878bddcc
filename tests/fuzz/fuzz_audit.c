/* spython-audit on a hostile log: the reader, and every verb that reads
 * (summary, transcripts, verify with and without a sealing key, report).
 * A log is evidence an attacker may have written into, so beyond "does not
 * crash":
 *  - the reader hands back every line exactly as it is in the file, with its
 *    number and offset, and calls only the last one torn;
 *  - put_safe lets no control character through (C0, DEL, C1) and writes
 *    valid UTF-8;
 *  - verbs end with their documented exit statuses;
 *  - the HTML report carries no markup from the log: a "<xfuzz" the log
 *    holds never reaches the page unescaped.
 * Input: the log itself (seeds are real logs, tests/fuzz/mkseeds.sh). */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/json.h"
#include "audit/tool/tool.h"
#include "tests/fuzz/fuzz.h"

static int logfd = -1;
static char logpath[64], dir[] = "/tmp/fuzz-audit.XXXXXX", report[64];
static FILE *devnull;
static const uint8_t seal_key[32] = "spython fuzz sealing key 0123456";

static void
cleanup(void)
{
    unlink(report);
    rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* The verbs print to stdout; libFuzzer and the sanitizers use stderr. */
    if ((logfd = memfd_create("fuzz-audit-log", MFD_CLOEXEC)) < 0 || mkdtemp(dir) == NULL ||
        (devnull = fopen("/dev/null", "w")) == NULL || dup2(fileno(devnull), 1) < 0) {
        perror("fuzz_audit: setup");
        abort();
    }
    snprintf(logpath, sizeof(logpath), "/proc/self/fd/%d", logfd);
    snprintf(report, sizeof(report), "%s/report.html", dir);
    atexit(cleanup);
    return 0;
}

static void
check_reader(const uint8_t *in, size_t size)
{
    char *files[] = { logpath };
    struct reader *r;
    struct ev e;
    uint64_t lines = 0, next_off = 0;
    int rc, torn_seen = 0;

    FUZZ_ASSERT((r = reader_open(files, 1)) != NULL);
    while ((rc = reader_next(r, &e)) > 0) {
        FUZZ_ASSERT(!torn_seen);
        FUZZ_ASSERT(e.lineno == ++lines && e.offset == next_off && e.offset < size);
        if (e.rawlen > 0 || e.root != NULL)
            FUZZ_ASSERT(memcmp(e.raw, in + e.offset, e.rawlen) == 0);
        if (e.root != NULL)
            FUZZ_ASSERT(e.event != NULL && e.ts != NULL && e.decision != NULL && e.chain != NULL);
        /* A skipped over-long line reports no bytes; find its end here. */
        const uint8_t *nl = memchr(in + e.offset, '\n', size - e.offset);
        FUZZ_ASSERT(e.torn == (nl == NULL));
        if (e.rawlen > 0)
            FUZZ_ASSERT(e.rawlen == (size_t)((nl ? nl : in + size) - (in + e.offset)));
        next_off = nl ? (uint64_t)(nl - in) + 1 : size;
        torn_seen = e.torn;
    }
    FUZZ_ASSERT(rc == 0 && next_off == size);
    FUZZ_ASSERT(reader_torn_lines(r) == (uint64_t)torn_seen);
    reader_close(r);
}

/* What reaches a terminal: valid UTF-8, no C0 but tab, no DEL, no C1. */
static void
check_put_safe(const uint8_t *in, size_t size)
{
    char *out = NULL;
    size_t len = 0, i, k;
    FILE *f = open_memstream(&out, &len);

    FUZZ_ASSERT(f != NULL);
    put_safe(f, (const char *)in, size);
    FUZZ_ASSERT(fclose(f) == 0);
    for (i = 0; i < len; i += k) {
        const unsigned char *u = (const unsigned char *)out + i;
        FUZZ_ASSERT((k = utf8_valid_len(u, len - i)) > 0);
        FUZZ_ASSERT((u[0] >= 0x20 || u[0] == '\t') && u[0] != 0x7f);
        FUZZ_ASSERT(!(u[0] == 0xc2 && u[1] < 0xa0));
    }
    free(out);
}

static int
verb(int (*cmd)(int, char **), int argc, char **argv)
{
    optind = 0;                     /* getopt starts afresh */
    return cmd(argc, argv);
}

static void
check_report(const uint8_t *in, size_t size)
{
    char *argv[] = { "report", "-o", report, logpath, NULL };
    struct stat st;
    char *page;
    size_t len;
    FILE *f;
    int rc = verb(cmd_report, 4, argv);

    FUZZ_ASSERT(rc == 0 || rc == 2);
    if (rc != 0)
        return;
    FUZZ_ASSERT((f = fopen(report, "re")) != NULL && fstat(fileno(f), &st) == 0);
    FUZZ_ASSERT((page = malloc((size_t)st.st_size + 1)) != NULL);
    len = fread(page, 1, (size_t)st.st_size, f);
    fclose(f);
    FUZZ_ASSERT(memmem(page, len, "<xfuzz", 6) == NULL);
    free(page);
    unlink(report);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    char *sum[] = { "summary", logpath, NULL }, *tr[] = { "transcripts", logpath, NULL };
    char *fl[] = { "filter", "--decision", "denied", "--event", "compile", logpath, NULL };
    char *files[] = { logpath };
    int rc;

    FUZZ_ASSERT(ftruncate(logfd, 0) == 0);
    FUZZ_ASSERT(size == 0 || pwrite(logfd, in, size, 0) == (ssize_t)size);
    check_reader(in, size);
    check_put_safe(in, size);
    FUZZ_ASSERT(verb(cmd_summary, 2, sum) == 0);
    FUZZ_ASSERT((rc = verb(cmd_transcripts, 2, tr)) == 0 || rc == 1);
    FUZZ_ASSERT((rc = verb(cmd_filter, 6, fl)) == 0 || rc == 1);
    FUZZ_ASSERT((rc = verify_run(files, 1, NULL, 0, devnull, 0)) <= 3 && rc != 2);
    FUZZ_ASSERT((rc = verify_run(files, 1, seal_key, sizeof(seal_key), devnull, 0)) <= 3 && rc != 2);
    check_report(in, size);
    return 0;
}
