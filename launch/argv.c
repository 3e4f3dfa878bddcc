/* Launch screening: only `spython SCRIPT [ARGS...]`. Interpreter options would
 * reopen what isolation closes (-c code, -m module, -i REPL, -X dev hooks,
 * -W filters, ...), so every argument before SCRIPT is refused. */
#include <string.h>

#include "launch/launch.h"

enum launch_action
launch_screen_argv(int argc, char *const argv[], const char **why)
{
    const char *a;

    *why = NULL;
    if (argc < 2) {
        *why = "no script given (there is no interactive mode)";
        return LAUNCH_REFUSE;
    }
    a = argv[1];
    if (argc == 2 && strcmp(a, "--version") == 0)
        return LAUNCH_VERSION;
    if (argc == 2 && strcmp(a, "--help") == 0)
        return LAUNCH_HELP;
    if (a[0] == '\0') {
        *why = "empty script name";
        return LAUNCH_REFUSE;
    }
    if (strcmp(a, "-") == 0) {
        *why = "reading a script from standard input is not allowed";
        return LAUNCH_REFUSE;
    }
    if (a[0] == '-') {
        *why = "interpreter options are not accepted";
        return LAUNCH_REFUSE;
    }
    return LAUNCH_RUN;
}
