/* sig_parse_ima_v2 on hostile xattr values: never reads outside the buffer,
 * says only what the format allows, and what it accepts serializes back to
 * the same bytes. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "verify/sig.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ima_sig s;
    enum verdict v;
    uint8_t *out;
    size_t n;

    memset(&s, 0, sizeof(s));
    v = sig_parse_ima_v2(data, size, &s);
    FUZZ_ASSERT(v == V_OK || v == V_NO_SIGNATURE || v == V_MALFORMED ||
                v == V_UNSUPPORTED_HASH);
    if (size == 0 || data[0] == IMA_XATTR_DIGEST_NG)
        FUZZ_ASSERT(v == V_NO_SIGNATURE);
    if (v == V_UNSUPPORTED_HASH)
        FUZZ_ASSERT(size > IMA_SIG_V2_HDR_LEN && sig_hash_name(data[2]) == NULL);
    if (v != V_OK)
        return 0;

    FUZZ_ASSERT(data[0] == IMA_XATTR_DIGSIG && data[1] == IMA_SIG_V2);
    FUZZ_ASSERT(s.hash_algo == data[2] && sig_hash_name(s.hash_algo) != NULL);
    FUZZ_ASSERT(memcmp(s.keyid, data + 3, 4) == 0);
    FUZZ_ASSERT(s.sig == data + IMA_SIG_V2_HDR_LEN);
    FUZZ_ASSERT(s.sig_len >= 1 && s.sig_len <= IMA_SIG_MAX_LEN);
    FUZZ_ASSERT(s.sig_len == size - IMA_SIG_V2_HDR_LEN);

    /* Round trip into an exact-size buffer, then one byte too small. */
    FUZZ_ASSERT((out = malloc(size)) != NULL);
    n = sig_write_ima_v2(&s, out, size);
    FUZZ_ASSERT(n == size && memcmp(out, data, size) == 0);
    FUZZ_ASSERT(sig_write_ima_v2(&s, out, size - 1) == 0);
    free(out);
    return 0;
}
