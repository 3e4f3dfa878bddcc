/* keyring_add_path on a hostile key file: PEM with any number of blocks of
 * any label, or DER. The keyring file is trusted by policy, but a parser
 * takes hostile input all the same: it adds keys or refuses the file with one
 * line naming it, and a refused file leaves the keyring as it was. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "verify/keyring.h"

static int fd = -1;
static char path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* keyring_add_path reads a path: a memfd gives one without touching disk. */
    if ((fd = memfd_create("fuzz-keyring", MFD_CLOEXEC)) < 0) {
        perror("fuzz_keyring: memfd_create");
        abort();
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    struct keyring *kr;
    char err[512];
    int n;

    FUZZ_ASSERT(ftruncate(fd, 0) == 0);
    FUZZ_ASSERT(size == 0 || pwrite(fd, in, size, 0) == (ssize_t)size);
    FUZZ_ASSERT((kr = keyring_new()) != NULL);
    memset(err, 0, sizeof(err));
    n = keyring_add_path(kr, path, err, sizeof(err));
    if (n < 0) {
        FUZZ_ASSERT(n == -1 && keyring_count(kr) == 0);
        FUZZ_ASSERT(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':');
        FUZZ_ASSERT(strchr(err, '\n') == NULL);
    } else {
        FUZZ_ASSERT(n > 0 && keyring_count(kr) == (size_t)n);
    }
    keyring_free(kr);
    return 0;
}
