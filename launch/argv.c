/* Launch screening: only `spython SCRIPT [ARGS...]`. Interpreter options would
 * reopen what isolation closes (-c code, -m module, -i REPL, -X dev hooks,
 * -W filters, ...), so every argument before SCRIPT is refused, except the
 * flags the policy's accept-flags names (replacement mode: shebangs such as
 * "#!/usr/bin/python3 -Es" when spython stands in for python3). */
#include <string.h>

#include "launch/launch.h"

enum launch_action
launch_info_request(int argc, char *const argv[])
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0)
        return LAUNCH_VERSION;
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        return LAUNCH_HELP;
    return LAUNCH_RUN;
}

/* Every letter of a flag argument ("-E", "-Es") must be accepted. */
static unsigned int
accepted_bits(const char *a, unsigned int accepted)
{
    unsigned int bits = 0, bit;

    for (a++; *a != '\0'; a++) {
        bit = policy_accept_flag_bit((unsigned char)*a);
        if (bit == 0 || (accepted & bit) == 0)
            return 0;
        bits |= bit;
    }
    return bits;
}

enum launch_action
launch_screen_argv(int argc, char *const argv[], unsigned int accepted,
                   int *at, unsigned int *given, const char **why)
{
    const char *a;
    unsigned int bits;
    int i;

    *why = NULL;
    *given = 0;
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        if ((bits = accepted_bits(argv[i], accepted)) == 0) {
            *at = i;
            *why = accepted == 0 ? "interpreter options are not accepted"
                 : "interpreter options are not accepted (but for the policy's accept-flags)";
            return LAUNCH_REFUSE;
        }
        *given |= bits;
    }
    *at = i;
    if (i == argc) {
        *why = "no script given (there is no interactive mode)";
        return LAUNCH_REFUSE;
    }
    a = argv[i];
    if (a[0] == '\0') {
        *why = "empty script name";
        return LAUNCH_REFUSE;
    }
    if (strcmp(a, "-") == 0) {
        *why = "reading a script from standard input is not allowed";
        return LAUNCH_REFUSE;
    }
    return LAUNCH_RUN;
}
