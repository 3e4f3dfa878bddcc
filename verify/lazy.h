/* The interpreter's keyring (verify/lazy.c) beyond verify/keyring.h. */
#ifndef SPY_LAZY_H
#define SPY_LAZY_H

#include "verify/keyring.h"

/* Why the keyring could not be decoded, once a check returned V_NO_KEYRING
 * ("PATH: what is wrong", or the back end's failure); "" before. */
const char *keyring_failure(const struct keyring *kr);

#endif
