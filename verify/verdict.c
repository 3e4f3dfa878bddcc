/* Verdict reasons: stable short strings that end up in log lines and tests. */
#include <stddef.h>

#include "verify/verdict.h"

static const char *const reasons[V__COUNT] = {
    [V_OK]               = "ok",
    [V_NO_SIGNATURE]     = "no signature",
    [V_MALFORMED]        = "malformed signature",
    [V_UNSUPPORTED_HASH] = "unsupported hash algorithm",
    [V_UNKNOWN_KEY]      = "unknown key",
    [V_BAD_SIGNATURE]    = "bad signature",
    [V_NOT_REGULAR]      = "not a regular file",
    [V_TOO_LARGE]        = "file too large",
    [V_UNREADABLE]       = "unreadable",
    [V_NO_MEMORY]        = "out of memory",
    [V_EXEC_DENIED]      = "not executable (kernel exec check)",
    [V_NOEXEC_MOUNT]     = "on a noexec mount",
    [V_WRITABLE]         = "writable by the running user",
    [V_NO_KEYRING]       = "keyring unusable",
    [V_PIN_MISMATCH]     = "differs from the digest the policy pins",
};

const char *
verdict_reason(enum verdict v)
{
    if ((unsigned)v >= V__COUNT || reasons[v] == NULL)
        return "invalid verdict";
    return reasons[v];
}
