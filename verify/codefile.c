/* The one file-check routine: open, fstat, read, fgetxattr and verify on one fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "verify/digestlist.h"
#include "verify/nomagic.h"
#include "verify/readfd.h"
#include "verify/sig.h"
#include "verify/verify.h"

/* Non-blocking so that opening a FIFO returns at once; fstat then refuses it. */
#define CODE_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

static enum verdict
open_code(const char *path, int *fdp, int *err)
{
    if ((*fdp = open_no_magiclinks(path, CODE_OPEN_FLAGS)) >= 0)
        return V_OK;
    *err = errno;
    return errno == ELOOP ? V_NOT_REGULAR : V_UNREADABLE;
}

/* The file's own signature, from the same fd as its bytes. */
static enum verdict
check_signature(const struct verify_cfg *cfg, int fd, struct code_file *cf,
                struct verify_info *info, int *err)
{
    uint8_t xattr[IMA_SIG_V2_HDR_LEN + IMA_SIG_MAX_LEN + 1];
    ssize_t n;

    if ((n = fgetxattr(fd, cfg->xattr_name, xattr, sizeof(xattr))) >= 0)
        return verify_buffer(cfg->keyring, cf->data, cf->len, xattr, (size_t)n, info);
    *err = errno;
    if (*err == ENODATA || *err == ENOTSUP)
        return V_NO_SIGNATURE;      /* no xattr, or a filesystem that cannot hold one */
    if (*err == ERANGE)
        return V_MALFORMED;         /* longer than any valid signature */
    code_file_free(cf);
    return V_UNREADABLE;
}

enum verdict
code_file_read_fd(const struct verify_cfg *cfg, int fd,
                  struct code_file *out, struct verify_info *info,
                  int *errno_out)
{
    struct stat st;
    enum verdict v;
    int err = 0;

    memset(out, 0, sizeof(*out));
    if (info != NULL)
        memset(info, 0, sizeof(*info));
    if (fstat(fd, &st) != 0) {
        err = errno;
        v = V_UNREADABLE;
        goto out;
    }
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    if (!S_ISREG(st.st_mode)) {
        v = V_NOT_REGULAR;
        goto out;
    }
    if ((v = read_fd_whole(fd, &st, cfg->max_file_size, &out->data, &out->len, &err)) != V_OK)
        goto out;
    /* A file that a verified digest list names needs no signature of its own. */
    if (digest_set_match(cfg->digests, out->data, out->len, info) != 1)
        v = check_signature(cfg, fd, out, info, &err);
    if (v == V_OK)
        v = exec_check_fd(&cfg->exec, fd, &st, &err);
out:
    if (errno_out != NULL)
        *errno_out = err;
    return v;
}

enum verdict
code_file_read(const struct verify_cfg *cfg, const char *path,
               struct code_file *out, struct verify_info *info,
               int *errno_out)
{
    enum verdict v;
    int fd = -1, err = 0;

    memset(out, 0, sizeof(*out));
    if (info != NULL)
        memset(info, 0, sizeof(*info));
    if ((v = open_code(path, &fd, &err)) != V_OK) {
        if (errno_out != NULL)
            *errno_out = err;
        return v;
    }
    v = code_file_read_fd(cfg, fd, out, info, errno_out);
    close(fd);
    return v;
}

void
code_file_free(struct code_file *cf)
{
    free(cf->data);
    cf->data = NULL;
    cf->len = 0;
}
