/* policy_parse_buffer on hostile text, rule lines included (include lines
 * match nothing: noglob.c). A refusal is one line naming the file and leaves
 * nothing allocated; an accepted policy holds only values that the rest of
 * spython may take at face value. */
#include <string.h>

#include "policy/policy.h"
#include "tests/fuzz/fuzz.h"

#define NAME "fuzz.conf"

/* A value the parser accepted: a word of the input, no blank or control
 * character in it. */
static void
check_word(const char *s, const uint8_t *in, size_t size)
{
    size_t n = strlen(s);

    FUZZ_ASSERT(n > 0 && memmem(in, size, s, n) != NULL);
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT((unsigned char)s[i] > 0x20 && s[i] != 0x7f);
}

static void
check_paths(char **v, size_t n, const uint8_t *in, size_t size)
{
    for (size_t i = 0; i < n; i++) {
        check_word(v[i], in, size);
        FUZZ_ASSERT(v[i][0] == '/');
    }
}

static void
check_refusal(const char *err, size_t errlen, const struct policy *p)
{
    size_t pre = strlen(NAME ":");

    FUZZ_ASSERT(memchr(err, '\0', errlen) != NULL);
    FUZZ_ASSERT(strchr(err, '\n') == NULL && strchr(err, '\r') == NULL);
    FUZZ_ASSERT(strncmp(err, NAME ":", pre < errlen ? pre : errlen - 1) == 0);
    FUZZ_ASSERT(p->keyrings == NULL && p->search_path == NULL &&
                p->rules == NULL && p->sinks == NULL && p->seal_key_path == NULL &&
                p->log_path == NULL && p->xattr == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    struct policy p;
    char err[512], small[8];

    memset(err, 0, sizeof(err));
    if (policy_parse_buffer(NAME, (const char *)in, size, &p, err, sizeof(err)) < 0) {
        FUZZ_ASSERT(err[0] != '\0');
        check_refusal(err, sizeof(err), &p);
        /* The same refusal into a buffer too small for it is cut, not overrun. */
        FUZZ_ASSERT(policy_parse_buffer(NAME, (const char *)in, size, &p,
                                        small, sizeof(small)) < 0);
        check_refusal(small, sizeof(small), &p);
        return 0;
    }
    FUZZ_ASSERT(p.xattr != NULL);
    if (strcmp(p.xattr, POLICY_DEFAULT_XATTR) != 0)
        check_word(p.xattr, in, size);
    FUZZ_ASSERT(strncmp(p.xattr, "security.", 9) == 0 || strncmp(p.xattr, "user.", 5) == 0 ||
                strncmp(p.xattr, "trusted.", 8) == 0);
    check_paths(p.keyrings, p.n_keyrings, in, size);
    check_paths(p.search_path, p.n_search_path, in, size);
    if (p.log_path != NULL)
        check_paths(&p.log_path, 1, in, size);
    FUZZ_ASSERT(p.rules != NULL);
    if (p.seal_key_path != NULL)
        check_paths(&p.seal_key_path, 1, in, size);
    FUZZ_ASSERT(p.mode < MODE_COUNT);
    FUZZ_ASSERT(p.max_file_size >= 1 && p.max_file_size <= (4ull << 30));
    policy_free(&p);
    FUZZ_ASSERT(p.keyrings == NULL && p.xattr == NULL && p.log_path == NULL);
    return 0;
}
