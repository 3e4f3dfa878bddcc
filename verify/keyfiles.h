/* Keyring files read into memory, undecoded. The interpreter reads them at
 * start-up (so an unreadable keyring fails there) and decodes them only when
 * a signature must be checked (verify/lazy.c); the tools decode at once. */
#ifndef SPY_KEYFILES_H
#define SPY_KEYFILES_H

#include <stddef.h>
#include <stdint.h>

struct key_image {
    char *path;                 /* for messages: "DIR/NAME" or the file's path */
    uint8_t *data;
    size_t len;
};

struct key_images {
    struct key_image *v;
    size_t n, cap;
};

/* Append the files at path: a file, or a directory's regular files (not
 * recursive, dot files skipped, name order, so the keyring and any error
 * about it are the same every run). A directory without any is an error.
 * 0, or -1 with "path: reason" in err and imgs as it was. */
int key_images_read(struct key_images *imgs, const char *path, char *err, size_t errlen);

/* The same for one regular file only. */
int key_images_read_file(struct key_images *imgs, const char *path, char *err, size_t errlen);

/* Wipe and free every image; imgs is empty afterwards. */
void key_images_clear(struct key_images *imgs);

#endif
