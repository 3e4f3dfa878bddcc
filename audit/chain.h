/* The hash chain that makes each process's log lines tamper-evident.
 *
 * Every process (and every child it forks) has its own chain: a random id,
 * and per line a sequence number, the previous line's hash and the line's own
 * hash over every byte before it. Many processes append to one file, so the
 * chains interleave; each is checked on its own.
 *
 * Without a key the hash is SHA-256: it catches edits by anyone who does not
 * recompute the chain, and anchors the file to copies sent off-host. With a
 * sealing key it is HMAC-SHA-256 under a key that evolves after every line
 * (after journald's Forward Secure Sealing): the root key is used once per
 * process and forgotten, and a process that is taken over can no longer forge
 * the lines it wrote before.
 *
 * The writer (audit/line.c) and the verifier (spython-audit) share this code,
 * so the two cannot disagree on what a valid chain is. */
#ifndef SPY_CHAIN_H
#define SPY_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define CHAIN_ID_LEN   16
#define CHAIN_HASH_LEN 32
#define CHAIN_KEY_MIN  16           /* bytes of a sealing key file, at least */
#define CHAIN_KEY_MAX  1024

/* A chained line ends with one of these, 64 hex digits and "}". The hash
 * covers every byte of the line before the tail. */
#define CHAIN_TAIL_HASH ",\"hash\":\""
#define CHAIN_TAIL_HMAC ",\"hmac\":\""
#define CHAIN_TAIL_LEN  (9 + 2 * CHAIN_HASH_LEN + 2)

struct chain {
    uint8_t id[CHAIN_ID_LEN];
    uint64_t seq;                   /* of the last line sealed; 0 before the first */
    uint8_t prev[CHAIN_HASH_LEN];   /* that line's hash; zeros before the first */
    uint8_t key[CHAIN_HASH_LEN];    /* keyed chains: the key for line seq + 1 */
    int keyed;
};

/* A new chain. With root (a sealing key), keyed: its first key is derived
 * from root and id, and root is not needed again. */
void chain_init(struct chain *c, const uint8_t id[CHAIN_ID_LEN],
                const uint8_t *root, size_t rootlen);

/* The chain of a child forked while parent stood where it stands now. A keyed
 * child's key comes from the parent's current key, so a verifier holding the
 * root key can follow it without the child knowing the root key. */
void chain_init_fork(struct chain *child, const struct chain *parent,
                     const uint8_t id[CHAIN_ID_LEN]);

/* The hash of line seq + 1, whose bytes before the tail are body[0..len).
 * It cannot fail: verify/sha256.c allocates nothing. */
void chain_hash(const struct chain *c, const void *body, size_t len,
               uint8_t out[CHAIN_HASH_LEN]);

/* That line is in the log: move on to the next (evolving a keyed chain's key
 * and wiping the old one). */
void chain_advance(struct chain *c, const uint8_t hash[CHAIN_HASH_LEN]);

/* A keyed chain's key after n more lines (for following forks). */
void chain_key_after(uint8_t key[CHAIN_HASH_LEN], uint64_t n);

/* Split a line (without its '\n') into body and tail. 1 with the hash and
 * whether it is keyed; 0 if the line has no well-formed tail. */
int chain_split(const char *line, size_t len, size_t *body_len,
                uint8_t hash[CHAIN_HASH_LEN], int *keyed);

/* Lowercase hex of n bytes into out (2n + 1 bytes), and back (exactly 2n hex
 * digits; 0, or -1). */
void chain_hex(char *out, const uint8_t *p, size_t n);
int chain_unhex(uint8_t *out, const char *hex, size_t n);

/* Wipe a secret; the compiler may not drop it. */
void chain_wipe(void *p, size_t n);

#endif
