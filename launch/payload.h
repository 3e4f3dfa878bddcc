/* Bytes that may be unmarshalled: the payloads (what follows the 16-byte
 * header) of verified .pyc files and of .pyc members of verified zip
 * archives, remembered by SHA-256. marshal.loads raises its audit event with
 * a copy of the bytes, so only their content can say where they came from.
 * No Python here. */
#ifndef SPY_PAYLOAD_H
#define SPY_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

/* A verified file: a .pyc (its first four bytes are pyc_magic) or a zip
 * archive, which is indexed once per archive digest (zipimport opens the
 * archive again for every member). */
void payload_remember(const uint8_t *data, size_t len, const uint8_t pyc_magic[4],
                      const char *digest_label);

/* Were these bytes the payload of a remembered file? */
int payload_known(const uint8_t *data, size_t len);

/* Each member of a zip archive whose name ends in ".pyc", stored or deflated
 * (raw deflate, as zipimport reads it), expanded to at most max bytes.
 * Malformed archives are read as far as they make sense. Returns the number
 * of members passed to fn, or -1 if there is no end-of-central-directory. */
int zip_each_pyc(const uint8_t *zip, size_t len, size_t max,
                 void (*fn)(void *ctx, const uint8_t *data, size_t n), void *ctx);

#endif
