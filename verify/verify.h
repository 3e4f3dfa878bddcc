/* Bytes in, verdict out: does this buffer carry a valid signature by a trusted key? */
#ifndef SPY_VERIFY_H
#define SPY_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "verdict.h"
#include "keyring.h"
#include "execcheck.h"

#define VERIFY_MAX_DIGEST 64

struct verify_info {
    uint8_t hash_algo;                  /* from the signature, 0 if none parsed */
    uint8_t keyid[4];
    int have_keyid;
    uint8_t digest[VERIFY_MAX_DIGEST];  /* file digest under hash_algo */
    size_t digest_len;
};

/* Verify data[0..len) against an IMA v2 signature xattr value using kr.
 * info (may be NULL) is filled as far as verification got. */
enum verdict verify_buffer(const struct keyring *kr,
                           const uint8_t *data, size_t len,
                           const uint8_t *xattr, size_t xattr_len,
                           struct verify_info *info);

struct digest_set;

/* Settings for reading code files: fixed by policy, read-only. */
struct verify_cfg {
    const struct keyring *keyring;
    const char *xattr_name;             /* "security.ima" or "user.ima" */
    uint64_t max_file_size;
    struct exec_rules exec;             /* applied once the signature verifies */
    const struct digest_set *digests;   /* verified digest lists (digestlist.h), or NULL */
};

/* A code file read once into memory. */
struct code_file {
    uint8_t *data;
    size_t len;
    dev_t dev;
    ino_t ino;
};

/* The one file-check routine: open path without following magic links
 * (/proc/self/fd/N, /dev/fd/N), non-blocking so a FIFO cannot hang us, fstat the
 * fd (regular files only, size cap), read it whole, fgetxattr the signature from
 * the same fd, verify (a digest in cfg->digests stands in for the signature),
 * then apply cfg->exec (verify/execcheck.h) to that fd.
 * out->data holds exactly the bytes that were verified; the caller frees it
 * with code_file_free even when the verdict is not V_OK (audit mode may still
 * run them). On V_NOT_REGULAR/V_TOO_LARGE/V_UNREADABLE out->data is NULL.
 * errno_out (may be NULL) keeps errno of a failed system call. */
enum verdict code_file_read(const struct verify_cfg *cfg, const char *path,
                            struct code_file *out, struct verify_info *info,
                            int *errno_out);
/* Same, on an fd the caller opened (not closed here). */
enum verdict code_file_read_fd(const struct verify_cfg *cfg, int fd,
                               struct code_file *out, struct verify_info *info,
                               int *errno_out);
void code_file_free(struct code_file *cf);

/* The digest for an accepted algorithm id, fetched once per process and kept:
 * this is on the path of every import. NULL for refused or unknown ids. */
const EVP_MD *verify_md(uint8_t hash_algo);

/* "sha256" etc. for log lines; "unknown" for others. */
const char *verify_hash_label(uint8_t hash_algo);

#endif
