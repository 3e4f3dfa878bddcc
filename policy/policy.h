/* The policy: parsed once at start-up from a file fixed at build time, then read-only. */
#ifndef SPY_POLICY_H
#define SPY_POLICY_H

#include <stddef.h>
#include <stdint.h>

enum policy_mode { MODE_ENFORCE = 0, MODE_AUDIT };

#define POLICY_DEFAULT_XATTR "security.ima"
#define POLICY_DEFAULT_MAX_FILE_SIZE (64ull << 20)

struct policy {
    char **keyrings;            /* keyring PATH, repeatable, in file order */
    size_t n_keyrings;
    char *xattr;                /* xattr NAME, default security.ima */
    char *log_path;             /* log PATH, required */
    char **search_path;         /* search-path DIR, repeatable, becomes sys.path */
    size_t n_search_path;
    char **deny_events;         /* deny EVENT, repeatable: audit events refused outright */
    size_t n_deny_events;
    enum policy_mode mode;      /* mode enforce|audit, default enforce */
    uint64_t max_file_size;     /* max-file-size BYTES (suffixes K M G), default 64M */
};

/* Parse a policy held in memory; name is used in messages ("name:line: ...").
 * 0 on success; -1 with a one-line message in err. On failure *out is freed. */
int policy_parse_buffer(const char *name, const char *buf, size_t len,
                        struct policy *out, char *err, size_t errlen);

/* Check the file is trusted (trust_check_path), read it, parse it, check that it
 * names a log and at least one keyring and search-path, and that every keyring
 * entry is trusted too. */
int policy_load(const char *path, struct policy *out, char *err, size_t errlen);

void policy_free(struct policy *p);

/* OpenSSH StrictModes: path and every directory above it must be owned by root or
 * by the file's owner and not writable by group or others (a root-owned sticky
 * directory such as /tmp is accepted for directories). Path must be absolute.
 * 0 if trusted; -1 with "path: reason" in err. */
int trust_check_path(const char *path, char *err, size_t errlen);

/* trust_check_path, also filling *st with the lstat of the object it checked, so
 * a caller that then opens path can make sure (same st_dev and st_ino) that the
 * file it reads is the file that was checked. */
struct stat;
int trust_check_path_stat(const char *path, struct stat *st, char *err, size_t errlen);

#endif
