/* The signing key: a PEM private key, perhaps encrypted. Its passphrase comes
 * from a trust-checked file or from the terminal, never from argv (visible in
 * ps) or the environment (inherited by children, kept in /proc/PID/environ).
 * Messages name files and never quote their contents; every buffer that held
 * the key or a passphrase is wiped before it is freed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "policy/policy.h"
#include "verify/keyring.h"
#include "verify/readfd.h"
#include "verify/sign.h"

#define PASS_MAX 1024
#define TTY_TRIES 3

struct pass {
    const char *key_path;
    const char *file;           /* --pass-file, or NULL */
    int tty;                    /* may ask on the terminal */
    char buf[PASS_MAX];
    size_t len;
    int have;                   /* buf holds this attempt's passphrase */
    int asked;                  /* OpenSSL asked: the key is encrypted */
    int failed;                 /* no passphrase could be had; err says why */
    char *err;
    size_t errlen;
};

/* Signals that would leave the terminal without echo: caught while the
 * prompt is up, re-raised once it is restored. */
static const int tty_signals[] = { SIGINT, SIGHUP, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU };
#define NSIGS (sizeof(tty_signals) / sizeof(tty_signals[0]))
static volatile sig_atomic_t caught;

static void
catch_signal(int sig)
{
    caught = sig;
}

/* Read a line from the controlling terminal with echo off, like
 * readpassphrase(3). 0, or -1 with the reason in p->err. */
static int
ask_tty(struct pass *p)
{
    struct sigaction sa, old[NSIGS];
    struct termios term, saved;
    char prompt[PATH_MAX + 64], c;
    size_t n = 0;
    ssize_t r;
    int fd, rc = -1, toolong = 0;

    if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        snprintf(p->err, p->errlen, "%s: encrypted, and no terminal to ask for its "
                 "passphrase: %s", p->key_path, strerror(errno));
        return -1;
    }
    if (tcgetattr(fd, &saved) != 0) {
        snprintf(p->err, p->errlen, "%s: encrypted, and the terminal cannot hide a "
                 "passphrase", p->key_path);
        close(fd);
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = catch_signal;       /* no SA_RESTART: read() must return */
    caught = 0;
    for (size_t i = 0; i < NSIGS; i++)
        sigaction(tty_signals[i], &sa, &old[i]);
    term = saved;
    term.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    /* TCSAFLUSH: drop typeahead, which was typed while it would still echo. */
    tcsetattr(fd, TCSAFLUSH, &term);
    snprintf(prompt, sizeof(prompt), "Enter passphrase for %s: ", p->key_path);
    if (write(fd, prompt, strlen(prompt)) < 0)
        goto restore;
    while (!caught && (r = read(fd, &c, 1)) == 1 && c != '\n' && c != '\r') {
        if (n < sizeof(p->buf))
            p->buf[n++] = c;
        else
            toolong = 1;
    }
    c = 0;
    if (!caught && write(fd, "\n", 1) == 1)
        rc = 0;
restore:
    tcsetattr(fd, TCSAFLUSH, &saved);
    for (size_t i = 0; i < NSIGS; i++)
        sigaction(tty_signals[i], &old[i], NULL);
    close(fd);
    if (caught) {
        OPENSSL_cleanse(p->buf, sizeof(p->buf));
        raise(caught);
        snprintf(p->err, p->errlen, "%s: interrupted", p->key_path);
        return -1;
    }
    if (rc == 0 && toolong) {
        snprintf(p->err, p->errlen, "%s: passphrase longer than %d bytes", p->key_path, PASS_MAX);
        rc = -1;
    } else if (rc == 0 && n == 0) {
        snprintf(p->err, p->errlen, "%s: empty passphrase", p->key_path);
        rc = -1;
    } else if (rc != 0) {
        snprintf(p->err, p->errlen, "%s: cannot read a passphrase from the terminal",
                 p->key_path);
    }
    if (rc == 0)
        p->len = n;
    else
        OPENSSL_cleanse(p->buf, sizeof(p->buf));
    return rc;
}

/* --pass-file: a secret, so held to an ssh private key's rules: a regular
 * file in trusted directories, owned by root or us, no access for anyone
 * else. Its first line is the passphrase. */
static int
read_pass_file(struct pass *p)
{
    char abs[PATH_MAX], why[PATH_MAX + 128];
    struct stat checked, st;
    uint8_t *data = NULL;
    size_t len = 0, n;
    int fd = -1, saved = 0, rc = -1;

    if (p->file[0] == '/')
        snprintf(abs, sizeof(abs), "%s", p->file);
    else if (getcwd(abs, sizeof(abs)) == NULL ||
             (size_t)snprintf(abs + strlen(abs), sizeof(abs) - strlen(abs), "/%s", p->file) >=
             sizeof(abs) - strlen(abs)) {
        snprintf(p->err, p->errlen, "%s: path too long", p->file);
        return -1;
    }
    if (trust_check_path_stat(abs, &checked, why, sizeof(why)) != 0) {
        snprintf(p->err, p->errlen, "--pass-file %s", why);
        return -1;
    }
    if ((fd = open(abs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 ||
        fstat(fd, &st) != 0) {
        snprintf(p->err, p->errlen, "--pass-file %s: %s", p->file, strerror(errno));
        goto out;
    }
    if (st.st_dev != checked.st_dev || st.st_ino != checked.st_ino || !S_ISREG(st.st_mode)) {
        snprintf(p->err, p->errlen, "--pass-file %s: replaced while it was checked", p->file);
        goto out;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(p->err, p->errlen, "--pass-file %s: group or others may access it "
                 "(chmod 600)", p->file);
        goto out;
    }
    if (read_fd_whole(fd, &st, PASS_MAX + 2, &data, &len, &saved) != V_OK) {
        snprintf(p->err, p->errlen, "--pass-file %s: %s", p->file,
                 saved != 0 ? strerror(saved) : "larger than a passphrase");
        goto out;
    }
    for (n = 0; n < len && data[n] != '\n'; n++)
        ;
    if (n > 0 && data[n - 1] == '\r')
        n--;
    if (n == 0 || n > sizeof(p->buf)) {
        snprintf(p->err, p->errlen, "--pass-file %s: %s", p->file,
                 n == 0 ? "empty passphrase" : "passphrase too long");
        goto out;
    }
    memcpy(p->buf, data, n);
    p->len = n;
    rc = 0;
out:
    if (data != NULL)
        OPENSSL_clear_free(data, len);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* OpenSSL's pem_password_cb; it may ask more than once per decode. */
static int
passphrase_cb(char *buf, int size, int rwflag, void *u)
{
    struct pass *p = u;

    p->asked = 1;
    if (!p->have) {
        if (p->file != NULL ? read_pass_file(p) != 0 : !p->tty || ask_tty(p) != 0) {
            if (p->file == NULL && !p->tty)
                snprintf(p->err, p->errlen, "%s: no unencrypted PEM private key found, and no "
                         "terminal to ask for its passphrase (use --pass-file)", p->key_path);
            p->failed = 1;
            return -1;
        }
        p->have = 1;
    }
    if (p->len > (size_t)size) {
        snprintf(p->err, p->errlen, "%s: passphrase too long", p->key_path);
        p->failed = 1;
        return -1;
    }
    memcpy(buf, p->buf, p->len);
    return (int)p->len;
}

/* Prompting makes sense only for someone at the keyboard: stdin a terminal
 * and we in its foreground, or the prompt would stop or hang a batch job. */
static int
interactive(void)
{
    return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

EVP_PKEY *
sign_load_key(const char *path, const char *pass_file, char *err, size_t errlen)
{
    struct pass p = { .key_path = path, .file = pass_file, .err = err, .errlen = errlen };
    EVP_PKEY *pkey = NULL;
    struct stat st;
    uint8_t *buf = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    enum verdict v;
    int fd, saved = 0, tries;

    p.tty = pass_file == NULL && interactive();
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 ||
        fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    if ((v = read_fd_whole(fd, &st, KEYRING_FILE_MAX, &buf, &len, &saved)) != V_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 v == V_UNREADABLE ? strerror(saved) : verdict_reason(v));
        goto out;
    }
    for (tries = p.tty ? TTY_TRIES : 1; tries > 0 && pkey == NULL; tries--) {
        BIO_free(bio);
        if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto out;
        }
        p.have = 0;
        pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, passphrase_cb, &p, NULL, NULL);
        OPENSSL_cleanse(p.buf, sizeof(p.buf));
        if (pkey != NULL || p.failed)
            break;
        if (!p.asked) {
            snprintf(err, errlen, "%s: no unencrypted PEM private key found", path);
            break;
        }
        snprintf(err, errlen, "%s: cannot decrypt the private key (wrong passphrase?)", path);
        if (p.tty && tries > 1)
            fprintf(stderr, "spython-sign: wrong passphrase, try again\n");
    }
out:
    BIO_free(bio);
    if (buf != NULL)
        OPENSSL_clear_free(buf, len);
    OPENSSL_cleanse(&p, sizeof(p));
    ERR_clear_error();
    if (fd >= 0)
        close(fd);
    return pkey;
}
