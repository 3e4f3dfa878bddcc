/* Verdicts: the one vocabulary verify/ uses to say why code may or may not run. */
#ifndef SPY_VERDICT_H
#define SPY_VERDICT_H

enum verdict {
    V_OK = 0,
    V_NO_SIGNATURE,        /* no xattr, or an IMA hash-only xattr (type 0x04) */
    V_MALFORMED,           /* xattr present but not a well-formed IMA v2 signature */
    V_UNSUPPORTED_HASH,    /* hash algorithm id unknown to us or too weak (md5, sha1) */
    V_UNKNOWN_KEY,         /* no key with that key id in the keyring */
    V_BAD_SIGNATURE,       /* a key matched the id but the signature does not verify */
    V_NOT_REGULAR,         /* not a regular file (dir, fifo, socket, device, magic link) */
    V_TOO_LARGE,           /* larger than max-file-size */
    V_UNREADABLE,          /* open/read/xattr read failed for another reason */
    V_NO_MEMORY,
    V_EXEC_DENIED,         /* the kernel's AT_EXECVE_CHECK refused it (verify/execcheck.h) */
    V_NOEXEC_MOUNT,        /* on a filesystem mounted noexec */
    V_WRITABLE,            /* the running user could change it (policy require-unwritable) */
    V_NO_KEYRING,          /* the keyring could not be decoded or its crypto back end loaded */
    V_PIN_MISMATCH,        /* a digest list's content is not what the policy pinned */
    V__COUNT
};

/* Short stable reason, used in log lines and error messages ("no signature"). */
const char *verdict_reason(enum verdict v);

#endif
