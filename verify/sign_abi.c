/* The ABI rules of the interpreter spython embeds, fixed at build time by
 * mk/enroll.mk: its SOABI tag and the stable ABI read from its own headers. */
#include "verify/sign.h"

#ifndef SPY_SOABI
#error "build with -DSPY_SOABI='\"cpython-...\"' (mk/enroll.mk)"
#endif

static const char *const stable_abi[] = {
#include "stable_abi.inc"
};

const struct abi_rules sign_abi_rules = {
    .soabi = SPY_SOABI,
    .stable = stable_abi,
    .n_stable = sizeof(stable_abi) / sizeof(stable_abi[0]),
};
