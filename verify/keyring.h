/* Trusted public keys, looked up by IMA key id. Loaded once; read-only afterwards. */
#ifndef SPY_KEYRING_H
#define SPY_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

/* Key and certificate files are a few KiB; a huge one is a mistake, not a key.
 * The signing tool holds its private key file to the same cap. */
#define KEYRING_FILE_MAX (1u << 20)

struct keyring;

struct keyring *keyring_new(void);
void keyring_free(struct keyring *kr);

/* Add every key found at path: a file (X.509 certificate PEM or DER, or a public
 * key PEM or DER; a PEM file may hold several), or a directory (its regular
 * files, not recursive, in name order). Returns the number of keys added, or -1
 * with a one-line reason in err ("path: what is wrong"). A file that holds no
 * key is an error: a typo in a keyring must not silently trust nothing. */
int keyring_add_path(struct keyring *kr, const char *path, char *err, size_t errlen);

/* The same over files already read (verify/keyfiles.h): each image must hold
 * at least one key. */
struct key_images;
int keyring_add_images(struct keyring *kr, const struct key_images *imgs, char *err, size_t errlen);

/* Add one key. cert_skid may be NULL; when given (len >= 4), its last 4 bytes are
 * a second id for the key, as the kernel and `evmctl --keyid-from-cert` use.
 * The keyring takes its own reference. 0, or -1 if the key is not supported. */
int keyring_add_pkey(struct keyring *kr, EVP_PKEY *pkey, const uint8_t *cert_skid, size_t skid_len);

/* The keys we take signatures from: RSA of 2048 to 8192 bits, or EC on P-256,
 * P-384 or P-521. 0, or -1 with the reason in err (err may be NULL). The signing
 * tool asks too, so it never makes a signature the verifier would refuse. */
int keyring_key_supported(EVP_PKEY *pkey, char *err, size_t errlen);

/* For --keyid-from-cert: read an X.509 certificate (PEM or DER) and give the last
 * 4 bytes of its Subject Key Identifier, and its public key in *pkey (caller
 * frees) when pkey is not NULL. 0, or -1 with "path: reason" in err. */
int cert_read_skid(const char *path, uint8_t keyid[4], EVP_PKEY **pkey,
                   char *err, size_t errlen);

size_t keyring_count(const struct keyring *kr);

/* The IMA v2 key id of a public key: last 4 bytes of SHA-1 over the
 * subjectPublicKey BIT STRING contents (what evmctl computes). 0 or -1. */
int keyid_of_pkey(EVP_PKEY *pkey, uint8_t out[4]);

/* Iterate candidate keys for an id: *cursor starts at 0; returns NULL when
 * done. A NULL keyring has no keys. */
EVP_PKEY *keyring_find(const struct keyring *kr, const uint8_t keyid[4], size_t *cursor);

#endif
