/* Shared by the libFuzzer targets: an assertion that stays on in every build
 * and dies loudly, so libFuzzer saves the input that broke an invariant. */
#ifndef SPY_FUZZ_H
#define SPY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(c)                                                  \
    do {                                                                \
        if (!(c)) {                                                     \
            fprintf(stderr, "%s:%d: invariant failed: %s\n",            \
                    __FILE__, __LINE__, #c);                            \
            abort();                                                    \
        }                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
