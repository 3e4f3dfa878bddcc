/* accept-flags: which interpreter flags a policy can let precede the script
 * (replacement mode), and that nothing else can be named. The launch side of
 * it is tests/integration/73-accept-flags.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"

static int
parse(const char *text, struct policy *p, char *err, size_t errlen)
{
    return policy_parse_buffer("t.conf", text, strlen(text), p, err, errlen);
}

static void
test_default_accepts_nothing(void **state)
{
    struct policy p;
    char err[512] = "";

    assert_int_equal(parse("log /l\n", &p, err, sizeof(err)), 0);
    assert_int_equal(p.accept_flags, 0);
    policy_free(&p);
}

static void
test_flags_accumulate(void **state)
{
    struct policy p;
    char err[512] = "";

    assert_int_equal(parse("accept-flags -I -E\naccept-flags -s -S -B -P -u\n",
                           &p, err, sizeof(err)), 0);
    assert_int_equal(p.accept_flags, ACCEPT_I | ACCEPT_E | ACCEPT_s | ACCEPT_S |
                                     ACCEPT_B | ACCEPT_P | ACCEPT_u);
    policy_free(&p);

    assert_int_equal(parse("accept-flags -E -E\n", &p, err, sizeof(err)), 0);
    assert_int_equal(p.accept_flags, ACCEPT_E);
    policy_free(&p);
}

static void
test_flag_bits_are_distinct(void **state)
{
    static const char letters[] = "BEIPSsu";
    unsigned int seen = 0, bit;

    for (const char *c = letters; *c != '\0'; c++) {
        bit = policy_accept_flag_bit(*c);
        assert_int_not_equal(bit, 0);
        assert_int_equal(seen & bit, 0);
        seen |= bit;
    }
}

/* Code, a REPL, stdin, warnings and -X options reopen what spython closes:
 * no policy can accept them. */
static void
test_dangerous_flags_never_map(void **state)
{
    static const char letters[] = "cmiXWObdvqxVhR-?J \t";

    for (const char *c = letters; *c != '\0'; c++)
        assert_int_equal(policy_accept_flag_bit(*c), 0);
    assert_int_equal(policy_accept_flag_bit('\0'), 0);
}

static void
test_bad_arguments(void **state)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        { "accept-flags -c\n", "t.conf:1: accept-flags: '-c' cannot be accepted (only -B -E -I -P -S -s -u)" },
        { "accept-flags -E -m\n", "t.conf:1: accept-flags: '-m' cannot be accepted (only -B -E -I -P -S -s -u)" },
        { "accept-flags -Es\n", "t.conf:1: accept-flags: '-Es' cannot be accepted (only -B -E -I -P -S -s -u)" },
        { "accept-flags E\n", "t.conf:1: accept-flags: 'E' cannot be accepted (only -B -E -I -P -S -s -u)" },
        { "accept-flags -\n", "t.conf:1: accept-flags: '-' cannot be accepted (only -B -E -I -P -S -s -u)" },
        { "accept-flags --\n", "t.conf:1: accept-flags: '--' cannot be accepted (only -B -E -I -P -S -s -u)" },
        { "accept-flags\n", "t.conf:1: accept-flags: missing argument" },
        { "accept-flags -I -E -s -S -B -P -u -I -E\n", "t.conf:1: accept-flags: too many arguments" },
    };
    struct policy p;
    char err[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        assert_int_equal(parse(cases[i].text, &p, err, sizeof(err)), -1);
        assert_string_equal(err, cases[i].err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_accepts_nothing),
        cmocka_unit_test(test_flags_accumulate),
        cmocka_unit_test(test_flag_bits_are_distinct),
        cmocka_unit_test(test_dangerous_flags_never_map),
        cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
