/* The policy: parsed once at start-up from a file fixed at build time, then read-only. */
#ifndef SPY_POLICY_H
#define SPY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "verify/execcheck.h"

/* mode enforce|audit|learn. audit and learn log what rules would refuse as
 * would-deny and refuse nothing; learn also logs what spython-policy learn
 * needs to write a policy (see spython-policy(5)). */
enum policy_mode { MODE_ENFORCE = 0, MODE_AUDIT, MODE_LEARN, MODE_COUNT };
extern const char *const policy_mode_names[MODE_COUNT];

struct rules;                   /* policy/rules.h */

/* log-sink KIND [SOCKET]: copies of every line for fleet pipelines. */
enum log_sink_kind { SINK_SYSLOG = 0, SINK_JOURNALD, SINK_LINUX_AUDIT, SINK_KINDS };
struct log_sink {
    enum log_sink_kind kind;
    char *target;               /* syslog: the socket (default /dev/log); else NULL */
};
#define POLICY_DEFAULT_SYSLOG_SOCKET "/dev/log"
extern const char *const log_sink_names[SINK_KINDS];
#define POLICY_SEAL_KEY_MIN 16      /* bytes of a log-seal-key file */
#define POLICY_SEAL_KEY_MAX 1024

/* accept-flags: interpreter flags that may precede the script when spython
 * stands in for python3 (shebangs like "#!/usr/bin/python3 -Es"). */
#define ACCEPT_B (1u << 0)
#define ACCEPT_E (1u << 1)
#define ACCEPT_I (1u << 2)
#define ACCEPT_P (1u << 3)
#define ACCEPT_S (1u << 4)
#define ACCEPT_s (1u << 5)
#define ACCEPT_u (1u << 6)
/* The ACCEPT_* bit of flag -letter, 0 for a flag that can never be accepted. */
unsigned int policy_accept_flag_bit(int letter);

#define POLICY_DEFAULT_XATTR "security.ima"
#define POLICY_DEFAULT_MAX_FILE_SIZE (64ull << 20)

/* A digest list is trusted by its own signature, or, when the policy pins
 * its content (digest-list PATH sha256:HEX), by that digest alone: the
 * policy is as trusted as the keyring, and no public-key operation (nor
 * libcrypto) is then needed to start. */
struct digest_pin {
    int set;
    uint8_t sha256[32];
};

struct policy {
    char **keyrings;            /* keyring PATH, repeatable, in file order */
    size_t n_keyrings;
    char **digest_lists;        /* digest-list PATH [sha256:HEX], repeatable: lists of file digests */
    size_t n_digest_lists;
    struct digest_pin *digest_pins;     /* one per digest_lists entry */
    char *xattr;                /* xattr NAME, default security.ima */
    char *log_path;             /* log PATH, required */
    char **search_path;         /* search-path DIR, repeatable, becomes sys.path */
    size_t n_search_path;
    struct rules *rules;        /* allow, deny, kill, allow-*, module: compiled */
    enum policy_mode mode;      /* mode enforce|audit|learn, default enforce */
    uint64_t max_file_size;     /* max-file-size BYTES (suffixes K M G), default 64M */
    struct log_sink *sinks;     /* log-sink KIND [SOCKET], repeatable, each kind once */
    size_t n_sinks;
    char *seal_key_path;        /* log-seal-key PATH: the log's hash chain is keyed */
    uint8_t *seal_key;          /* its bytes, read by policy_load; wiped on free */
    size_t seal_key_len;
    int require_unwritable;     /* require-unwritable yes|no: W^X, default no */
    int lock_signatures;        /* lock-signatures yes|no: seccomp denies xattr writes, default no */
    enum exec_check_mode exec_check;    /* exec-check auto|require|off, default auto */
    unsigned int accept_flags;  /* accept-flags FLAG..., repeatable: ACCEPT_* bits, default none */
};

/* Parse a policy held in memory; name is used in messages ("name:line: ...").
 * include PATH|GLOB reads further files (trust-checked) into the same policy.
 * 0 on success; -1 with a one-line message in err. On failure *out is freed. */
int policy_parse_buffer(const char *name, const char *buf, size_t len,
                        struct policy *out, char *err, size_t errlen);

/* Check the file is trusted (trust_check_path), read it, parse it, check that it
 * names a log and at least one keyring and search-path, and that every keyring
 * entry is trusted too. A log-seal-key is read here: trusted like the policy,
 * owned by root and readable by nobody else. */
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
