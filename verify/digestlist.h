/* Digest lists, as IMA has them: one signed file naming the SHA-256 digests
 * of many code files. A code file whose digest is in a list that verified is
 * accepted without a signature check of its own: one signature check at
 * start-up instead of one per file.
 *
 * The list is a code file like any other: it is read once by code_file_read
 * and must carry its own valid IMA v2 signature. Its content, in the buffer
 * that was verified:
 *   offset size  field
 *   0      8     magic     "SPYDLST1"
 *   8      1     hash_algo kernel enum hash_algo; only 4 (sha256)
 *   9      7     zero
 *   16     8     count     big endian
 *   24     8     zero
 *   32     32*n  digests, strictly ascending (memcmp order), no duplicates
 * The length must be exactly 32 + 32 * count. Sorted on disk, the verified
 * buffer is the lookup table: nothing is parsed or copied at start-up, and
 * the rows are 32 bytes, so `xxd -s 32 -c 32 -p LIST` prints one digest a line.
 */
#ifndef SPY_DIGESTLIST_H
#define SPY_DIGESTLIST_H

#include <stddef.h>
#include <stdint.h>

#define DIGESTLIST_MAGIC        "SPYDLST1"
#define DIGESTLIST_HDR_LEN      32
#define DIGESTLIST_DIGEST_LEN   32      /* sha256 */

struct digest_set;
struct verify_info;

struct digest_set *digest_set_new(void);
void digest_set_free(struct digest_set *s);

/* Check the layout of a list that verified and add it. 0, and the set owns
 * buf (it frees it); or -1 with the reason in *why, and buf is still the
 * caller's. */
int digest_set_add(struct digest_set *s, uint8_t *buf, size_t len, const char **why);

/* Number of digests over all lists added. */
size_t digest_set_count(const struct digest_set *s);

int digest_set_contains(const struct digest_set *s,
                        const uint8_t digest[DIGESTLIST_DIGEST_LEN]);

/* Hash data and look it up. 1 when listed, 0 when not (or when s is NULL or
 * empty: nothing is hashed then). When anything was hashed, info gets the
 * sha256 digest (info may be NULL), so the log names the bytes either way. */
int digest_set_match(const struct digest_set *s, const uint8_t *data, size_t len,
                     struct verify_info *info);

/* Read the list at path as spython trusts it: when pin is NULL, by its own
 * signature (cfg's keyring and xattr); otherwise by its sha256 alone, which
 * must be pin (no signature is looked at, the keyring is not used). The
 * verdict is code_file_read's, with V_PIN_MISMATCH for content that is not
 * the pinned one. On V_OK cf holds the list's bytes. */
struct code_file;
struct verify_cfg;
enum verdict digest_list_read(const struct verify_cfg *cfg, const char *path,
                              const uint8_t *pin, struct code_file *cf,
                              struct verify_info *info, int *err);

/* For writers: sort digests (n rows of DIGESTLIST_DIGEST_LEN bytes) and drop
 * duplicates in place; returns the new count. Then the header for that many. */
size_t digestlist_sort(uint8_t *rows, size_t n);
void digestlist_header(uint8_t hdr[DIGESTLIST_HDR_LEN], uint64_t count);

#endif
