/* verify.c and codefile.c: signatures over buffers, and the one file-check routine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include <openssl/rsa.h>

#include "verify/readfd.h"
#include "verify/sig.h"
#include "verify/verify.h"

/* Fixtures made with evmctl 1.4: `evmctl ima_sign --key K -a sha256` over MSG.
 * The certificate's Subject Key Identifier is 00112233aabbccdd. */
static const char evm_rsa_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDDTCCAfWgAwIBAgIUeo3X+wpslyJ/CTk8w9LhnPSQCiwwDQYJKoZIhvcNAQEL\n"
    "BQAwGzEZMBcGA1UEAwwQc3B5dGhvbi10ZXN0LXJzYTAgFw0yNjExMjkwMDUzNTda\n"
    "GA8yMTI2MTEwNTAwNTM1N1owGzEZMBcGA1UEAwwQc3B5dGhvbi10ZXN0LXJzYTCC\n"
    "ASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAKzHRfB9Um8GYbAnuF8jPLOu\n"
    "yztC+89+BnEsJC07Jo1I47yzVUPIHji1jdfRpxoW5Oi6q5VvJyRwjbQQBaJOHEn5\n"
    "yeEWOILIACI4dJ7V4K0+UAEL06W/fEBV+GIYMLoJQbz7kHfSKy++xeBlXzzYOrKM\n"
    "UFktOEMi+konfjOGjL1h5DXDVNAYy1667b7TIqFAQZS8c3ULIBJ/OI8XQxYDphaK\n"
    "bsJo3oh3l66PxKr1mkL0lsk+2xpu62tYuhbk5JBAXtAIjw8qODF7y6bnKp0fjtxx\n"
    "i7rZqlGNdmY52cGbsn22GL0Rdwe+2Ob445n2kLkff22TqPNr5L61d9XMU9Ny+nEC\n"
    "AwEAAaNHMEUwHwYDVR0jBBgwFoAUkYbacZ+HUpGoJMFsJMXk0Etib5gwDwYDVR0T\n"
    "AQH/BAUwAwEB/zARBgNVHQ4ECgQIABEiM6q7zN0wDQYJKoZIhvcNAQELBQADggEB\n"
    "AIe5Dxp/sEl6BdpT2dEOj5jeq37nHmrnFdWCz1dPyTROb1jM3LyQvvi9FCRZsNbg\n"
    "g9DXEh1uKAoeQdhLpYTXFDREjrqnXK+AHLSWUVlzNJyrKgB/YNsRJ/rDCtaNgX3p\n"
    "uZ4d/ErNYqpUgGlj36ffX82Lx7/8LrSJMqrmdMX3LTuxj7IseTBc20zpkGwtPi/2\n"
    "NnHcJpVvTFlLA1wr9mT8ML2BUKFcBszUrvxb3mWgn/eji6VzXyiHBbS8L7a7hwaJ\n"
    "tspmk+TzBU0MR6cDQPFTCgkgyoSWt8uHizf6ZzqrItFZ7ACGOtlyMA5DW4KihYcs\n"
    "8e3YomuRdYr9O0fIurSnYdg=\n"
    "-----END CERTIFICATE-----\n";
static const uint8_t evm_rsa_keyid[4] = { 0x4b, 0x62, 0x6f, 0x98 };
static const uint8_t evm_rsa_skid[4] = { 0xaa, 0xbb, 0xcc, 0xdd };

static const char evm_ec_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJ7Ju9zoKLB0qf4wRCGSVrTjDlFuM\n"
    "tvT2b1g9dGVDU+sk83nBsJEzMHiTg0s+/2XWoPvtVunk9jAOTDx8Vi0H9Q==\n"
    "-----END PUBLIC KEY-----\n";
static const uint8_t evm_ec_keyid[4] = { 0xf4, 0x95, 0x84, 0xa7 };

static const char evm_msg[] = "print(\"hello\")\n";
static const char evm_rsa_sig_hex[] =
    "0302044b626f9801001a9d9e53e7734deb2b0f1a7d8c201bb7c6b4a1029d04e1"
    "ebae8c66c1d1749fcec079bb4798279b072a7544a28b95d5b471587571e6df15"
    "a1e5ae765a5f9522b69d8c55367feec03eca917291a8f09c93b47c0efd9af8e4"
    "fc70c1fafc95f02aed2fd8d60343206c5fb52f8cf6bbc7897974b80a3ef4381c"
    "de0fa1128871e15578277a4d69bb41132200ab08c136dc46122748500bafe479"
    "1f32bd90dc188f636befe1ba393d293c767ed1f7dd733f0e4d3c93425141d0cb"
    "f6eabc939c693c31bc79e52c38ae2430c43c5be9154a28a47ad6059c1ff3651c"
    "e4551e434715cfa7d9925ac7d91ab53f7473fba32232bab38b8e71586f466d46"
    "112dddc29f4c1ee952";
static const char evm_ec_sig_hex[] =
    "030204f49584a7004730450220269f240975cab01d88792e1e2bfc928aa2b8c8"
    "a8dc102554601cac9e2d36c674022100b18badca90ead3a474f189ec3e202ccb"
    "83e98fdb747f4a906074b839fb8263a1";

#define XATTR_MAX (IMA_SIG_V2_HDR_LEN + IMA_SIG_MAX_LEN)

struct xsig {
    uint8_t b[XATTR_MAX];
    size_t len;
};

static char dir[64];
static EVP_PKEY *rsa, *ec256, *ec384, *stranger;
static struct keyring *kr;          /* rsa, ec256, ec384; not stranger */
static struct verify_cfg cfg;

static const char *
at(const char *name)
{
    return tu_fmt("%s/%s", dir, name);
}

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    unsigned int byte;

    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
        out[i] = (uint8_t)byte;
    }
    return n;
}

/* The test's own signer, written from the kernel's description rather than
 * from spython-sign: digest, then PKCS#1 v1.5 or ECDSA over it. */
static void
sign_as(EVP_PKEY *pkey, const uint8_t keyid[4], uint8_t algo,
        const void *data, size_t len, struct xsig *out)
{
    uint8_t digest[64], sig[IMA_SIG_MAX_LEN];
    size_t dlen, siglen = sizeof(sig);
    struct ima_sig s = { .hash_algo = algo, .sig = sig };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    EVP_MD *md = EVP_MD_fetch(NULL, sig_hash_name(algo), NULL);

    assert_non_null(ctx);
    assert_non_null(md);
    assert_int_equal(EVP_Q_digest(NULL, sig_hash_name(algo), NULL, data, len, digest, &dlen), 1);
    assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
    if (EVP_PKEY_is_a(pkey, "RSA"))
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, md), 1);
    assert_int_equal(EVP_PKEY_sign(ctx, sig, &siglen, digest, dlen), 1);
    memcpy(s.keyid, keyid, 4);
    s.sig_len = siglen;
    out->len = sig_write_ima_v2(&s, out->b, sizeof(out->b));
    assert_true(out->len > IMA_SIG_V2_HDR_LEN);
    EVP_MD_free(md);
    EVP_PKEY_CTX_free(ctx);
}

static void
sign_buf(EVP_PKEY *pkey, uint8_t algo, const void *data, size_t len, struct xsig *out)
{
    uint8_t id[4];

    assert_int_equal(keyid_of_pkey(pkey, id), 0);
    sign_as(pkey, id, algo, data, len, out);
}

static void
sign_path(EVP_PKEY *pkey, const char *path, const char *xattr)
{
    struct xsig x;
    uint8_t *data = malloc(1 << 16);
    ssize_t n;
    int fd = open(path, O_RDONLY);

    assert_non_null(data);
    assert_true(fd >= 0);
    n = read(fd, data, 1 << 16);
    assert_true(n >= 0);
    close(fd);
    sign_buf(pkey, IMA_HASH_SHA256, data, (size_t)n, &x);
    assert_int_equal(setxattr(path, xattr, x.b, x.len, 0), 0);
    free(data);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int
group_setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/spy-verify.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    stranger = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if ((kr = keyring_new()) == NULL || !rsa || !ec256 || !ec384 || !stranger)
        return -1;
    if (keyring_add_pkey(kr, rsa, NULL, 0) != 0 || keyring_add_pkey(kr, ec256, NULL, 0) != 0 ||
        keyring_add_pkey(kr, ec384, NULL, 0) != 0)
        return -1;
    cfg.keyring = kr;
    cfg.xattr_name = "user.ima";
    cfg.max_file_size = 1 << 20;
    return 0;
}

static int
group_teardown(void **state)
{
    keyring_free(kr);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec256);
    EVP_PKEY_free(ec384);
    EVP_PKEY_free(stranger);
    return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
test_verdict_reasons(void **state)
{
    for (int i = 0; i < V__COUNT; i++) {
        assert_non_null(verdict_reason(i));
        assert_true(strlen(verdict_reason(i)) > 0);
        assert_string_not_equal(verdict_reason(i), "invalid verdict");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(verdict_reason(i), verdict_reason(j));
    }
    assert_string_equal(verdict_reason(V_OK), "ok");
    assert_string_equal(verdict_reason(V_NO_SIGNATURE), "no signature");
    assert_string_equal(verdict_reason(V_BAD_SIGNATURE), "bad signature");
    assert_string_equal(verdict_reason(V__COUNT), "invalid verdict");
    assert_string_equal(verdict_reason((enum verdict)-1), "invalid verdict");
}

static void
test_md_cache(void **state)
{
    const EVP_MD *md = verify_md(IMA_HASH_SHA256);

    assert_non_null(md);
    assert_ptr_equal(verify_md(IMA_HASH_SHA256), md);
    assert_int_equal(EVP_MD_get_size(md), 32);
    assert_int_equal(EVP_MD_get_size(verify_md(IMA_HASH_SHA384)), 48);
    assert_int_equal(EVP_MD_get_size(verify_md(IMA_HASH_SHA512)), 64);
    assert_int_equal(EVP_MD_get_size(verify_md(IMA_HASH_SHA224)), 28);
    assert_null(verify_md(IMA_HASH_MD5));
    assert_null(verify_md(IMA_HASH_SHA1));
    assert_null(verify_md(0));
    assert_null(verify_md(255));
}

/* Signatures made by evmctl verify, found by evmctl's key id and by the SKID. */
static void
test_evmctl_fixtures(void **state)
{
    struct keyring *ek = keyring_new();
    struct verify_info info;
    struct xsig rs, es;
    char err[256];
    uint8_t msg[sizeof(evm_msg)], id[4];
    size_t cursor = 0;
    EVP_PKEY *k;

    assert_non_null(ek);
    tu_write_file(at("evm-rsa.pem"), evm_rsa_cert, strlen(evm_rsa_cert));
    tu_write_file(at("evm-ec.pem"), evm_ec_pub, strlen(evm_ec_pub));
    assert_int_equal(keyring_add_path(ek, at("evm-rsa.pem"), err, sizeof(err)), 1);
    assert_int_equal(keyring_add_path(ek, at("evm-ec.pem"), err, sizeof(err)), 1);
    assert_non_null(k = keyring_find(ek, evm_rsa_keyid, &cursor));
    cursor = 0;
    assert_ptr_equal(keyring_find(ek, evm_rsa_skid, &cursor), k);
    cursor = 0;
    assert_non_null(k = keyring_find(ek, evm_ec_keyid, &cursor));
    assert_int_equal(keyid_of_pkey(k, id), 0);
    assert_memory_equal(id, evm_ec_keyid, 4);

    rs.len = unhex(evm_rsa_sig_hex, rs.b, sizeof(rs.b));
    es.len = unhex(evm_ec_sig_hex, es.b, sizeof(es.b));
    memcpy(msg, evm_msg, sizeof(msg));
    assert_int_equal(verify_buffer(ek, msg, strlen(evm_msg), rs.b, rs.len, &info), V_OK);
    assert_memory_equal(info.keyid, evm_rsa_keyid, 4);
    assert_int_equal(verify_buffer(ek, msg, strlen(evm_msg), es.b, es.len, &info), V_OK);
    assert_memory_equal(info.keyid, evm_ec_keyid, 4);
    /* The same signature reached through the SKID id, as `--keyid-from-cert` writes it. */
    memcpy(rs.b + 3, evm_rsa_skid, 4);
    assert_int_equal(verify_buffer(ek, msg, strlen(evm_msg), rs.b, rs.len, NULL), V_OK);
    msg[0] ^= 1;
    assert_int_equal(verify_buffer(ek, msg, strlen(evm_msg), rs.b, rs.len, NULL), V_BAD_SIGNATURE);
    assert_int_equal(verify_buffer(ek, msg, strlen(evm_msg), es.b, es.len, NULL), V_BAD_SIGNATURE);
    /* Nor does the default keyring know these keys. */
    msg[0] ^= 1;
    assert_int_equal(verify_buffer(kr, msg, strlen(evm_msg), es.b, es.len, NULL), V_UNKNOWN_KEY);
    keyring_free(ek);
}

static void
test_good_signatures(void **state)
{
    static const char data[] = "import os\nprint(os.getpid())\n";
    struct { EVP_PKEY **key; uint8_t algo; size_t dlen; } cases[] = {
        { &rsa,   IMA_HASH_SHA256, 32 },
        { &rsa,   IMA_HASH_SHA384, 48 },
        { &rsa,   IMA_HASH_SHA512, 64 },
        { &rsa,   IMA_HASH_SHA224, 28 },
        { &ec256, IMA_HASH_SHA256, 32 },
        { &ec256, IMA_HASH_SHA512, 64 },
        { &ec384, IMA_HASH_SHA384, 48 },
        { &ec384, IMA_HASH_SHA256, 32 },
    };
    struct verify_info info;
    struct xsig x;
    uint8_t want[64], id[4];
    size_t wlen;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sign_buf(*cases[i].key, cases[i].algo, data, sizeof(data) - 1, &x);
        memset(&info, 0xa5, sizeof(info));
        assert_int_equal(verify_buffer(kr, (const uint8_t *)data, sizeof(data) - 1,
                                       x.b, x.len, &info), V_OK);
        assert_int_equal(info.hash_algo, cases[i].algo);
        assert_int_equal(info.have_keyid, 1);
        assert_int_equal(keyid_of_pkey(*cases[i].key, id), 0);
        assert_memory_equal(info.keyid, id, 4);
        assert_int_equal(info.digest_len, cases[i].dlen);
        assert_int_equal(EVP_Q_digest(NULL, sig_hash_name(cases[i].algo), NULL,
                                      data, sizeof(data) - 1, want, &wlen), 1);
        assert_memory_equal(info.digest, want, wlen);
    }
}

static void
test_empty_data(void **state)
{
    static const uint8_t nothing[1];
    struct xsig x;

    sign_buf(ec256, IMA_HASH_SHA256, nothing, 0, &x);
    assert_int_equal(verify_buffer(kr, nothing, 0, x.b, x.len, NULL), V_OK);
    assert_int_equal(verify_buffer(kr, nothing, 1, x.b, x.len, NULL), V_BAD_SIGNATURE);
}

static void
test_tampered_data(void **state)
{
    EVP_PKEY *keys[] = { rsa, ec256 };
    uint8_t data[100];
    struct xsig x;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    for (size_t k = 0; k < 2; k++) {
        sign_buf(keys[k], IMA_HASH_SHA256, data, sizeof(data), &x);
        assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len, NULL), V_OK);
        for (size_t i = 0; i < sizeof(data); i += 33) {
            data[i] ^= 0x80;
            assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len, NULL),
                             V_BAD_SIGNATURE);
            data[i] ^= 0x80;
        }
        assert_int_equal(verify_buffer(kr, data, sizeof(data) - 1, x.b, x.len, NULL),
                         V_BAD_SIGNATURE);
    }
}

static void
test_tampered_signature(void **state)
{
    EVP_PKEY *keys[] = { rsa, ec256, ec384 };
    static const uint8_t data[] = "x = 1\n";
    struct xsig x;

    for (size_t k = 0; k < 3; k++) {
        sign_buf(keys[k], IMA_HASH_SHA256, data, sizeof(data), &x);
        for (size_t i = IMA_SIG_V2_HDR_LEN; i < x.len; i += 17) {
            x.b[i] ^= 0x01;
            assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len, NULL),
                             V_BAD_SIGNATURE);
            x.b[i] ^= 0x01;
        }
        /* Claiming another hash algorithm than the one signed. */
        x.b[2] = IMA_HASH_SHA512;
        assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len, NULL), V_BAD_SIGNATURE);
    }
}

static void
test_wrong_and_unknown_key(void **state)
{
    static const uint8_t data[] = "y = 2\n";
    struct verify_info info;
    uint8_t id[4];
    struct xsig x;

    /* Signed by a stranger under a trusted key's id. */
    assert_int_equal(keyid_of_pkey(rsa, id), 0);
    sign_as(stranger, id, IMA_HASH_SHA256, data, sizeof(data), &x);
    assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len, &info), V_BAD_SIGNATURE);
    /* ECDSA signature under the RSA key's id. */
    sign_as(ec256, id, IMA_HASH_SHA256, data, sizeof(data), &x);
    assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len, NULL), V_BAD_SIGNATURE);

    /* Signed by a stranger under its own id; the digest is still reported. */
    sign_buf(stranger, IMA_HASH_SHA256, data, sizeof(data), &x);
    assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len, &info), V_UNKNOWN_KEY);
    assert_int_equal(keyid_of_pkey(stranger, id), 0);
    assert_int_equal(info.have_keyid, 1);
    assert_memory_equal(info.keyid, id, 4);
    assert_int_equal(info.digest_len, 32);
    /* No keyring at all (a pinned list is read so): no key, not a crash. */
    sign_buf(ec256, IMA_HASH_SHA256, data, sizeof(data), &x);
    assert_int_equal(verify_buffer(NULL, data, sizeof(data), x.b, x.len, &info), V_UNKNOWN_KEY);
}

/* Two keys under one id: the second candidate is tried too. */
static void
test_candidates(void **state)
{
    static const uint8_t data[] = "z = 3\n";
    struct keyring *two = keyring_new();
    uint8_t id[4];
    struct xsig x;

    assert_non_null(two);
    assert_int_equal(keyid_of_pkey(ec256, id), 0);
    assert_int_equal(keyring_add_pkey(two, rsa, id, 4), 0);
    assert_int_equal(keyring_add_pkey(two, ec256, NULL, 0), 0);
    sign_buf(ec256, IMA_HASH_SHA256, data, sizeof(data), &x);
    assert_int_equal(verify_buffer(two, data, sizeof(data), x.b, x.len, NULL), V_OK);
    sign_as(stranger, id, IMA_HASH_SHA256, data, sizeof(data), &x);
    assert_int_equal(verify_buffer(two, data, sizeof(data), x.b, x.len, NULL), V_BAD_SIGNATURE);
    keyring_free(two);
}

static void
test_broken_xattrs(void **state)
{
    static const uint8_t data[] = "w = 4\n";
    static const uint8_t hash_only[] = { IMA_XATTR_DIGEST_NG, IMA_HASH_SHA256, 1, 2, 3 };
    struct verify_info info;
    struct xsig x;

    sign_buf(rsa, IMA_HASH_SHA256, data, sizeof(data), &x);
    /* Truncated: the length no longer matches sig_size. */
    assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len - 1, &info), V_MALFORMED);
    assert_int_equal(info.have_keyid, 0);
    /* Truncated with a matching header: well-formed, but not a signature. */
    x.b[7] = (uint8_t)((x.len - 1 - IMA_SIG_V2_HDR_LEN) >> 8);
    x.b[8] = (uint8_t)(x.len - 1 - IMA_SIG_V2_HDR_LEN);
    assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len - 1, NULL), V_BAD_SIGNATURE);
    x.b[2] = IMA_HASH_SHA1;
    assert_int_equal(verify_buffer(kr, data, sizeof(data), x.b, x.len - 1, &info), V_UNSUPPORTED_HASH);
    assert_int_equal(verify_buffer(kr, data, sizeof(data), hash_only, sizeof(hash_only), NULL),
                     V_NO_SIGNATURE);
    assert_int_equal(verify_buffer(kr, data, sizeof(data), hash_only, 0, NULL), V_NO_SIGNATURE);
}

/* code_file_read ------------------------------------------------------------ */

static void
expect_file(const char *path, enum verdict want, const void *content, size_t len)
{
    struct code_file cf;
    struct stat st;
    int err = -1;

    assert_int_equal(code_file_read(&cfg, path, &cf, NULL, &err), want);
    if (content != NULL) {
        assert_non_null(cf.data);
        assert_int_equal(cf.len, len);
        assert_memory_equal(cf.data, content, len);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(cf.dev, st.st_dev);
        assert_int_equal(cf.ino, st.st_ino);
    } else {
        assert_null(cf.data);
    }
    code_file_free(&cf);
    assert_null(cf.data);
}

static void
test_file_signed(void **state)
{
    static const char src[] = "print('signed')\n";
    struct verify_info info;
    struct code_file cf;

    tu_write_file(at("ok.py"), src, strlen(src));
    expect_file(at("ok.py"), V_NO_SIGNATURE, src, strlen(src));
    sign_path(rsa, at("ok.py"), "user.ima");
    expect_file(at("ok.py"), V_OK, src, strlen(src));
    assert_int_equal(code_file_read(&cfg, at("ok.py"), &cf, &info, NULL), V_OK);
    assert_int_equal(info.hash_algo, IMA_HASH_SHA256);
    assert_int_equal(info.digest_len, 32);
    code_file_free(&cf);
    /* An ordinary symlink is followed, as the kernel would. */
    assert_int_equal(symlink("ok.py", at("link.py")), 0);
    expect_file(at("link.py"), V_OK, src, strlen(src));
    /* Changed after signing. */
    tu_write_file(at("ok.py"), "print('evil')\n", 14);
    expect_file(at("ok.py"), V_BAD_SIGNATURE, "print('evil')\n", 14);
}

static void
test_file_empty(void **state)
{
    struct code_file cf;

    tu_write_file(at("empty.py"), "", 0);
    assert_int_equal(code_file_read(&cfg, at("empty.py"), &cf, NULL, NULL), V_NO_SIGNATURE);
    assert_non_null(cf.data);
    assert_int_equal(cf.len, 0);
    code_file_free(&cf);
    sign_path(ec256, at("empty.py"), "user.ima");
    assert_int_equal(code_file_read(&cfg, at("empty.py"), &cf, NULL, NULL), V_OK);
    assert_non_null(cf.data);
    assert_int_equal(cf.len, 0);
    code_file_free(&cf);
}

static void
test_file_xattr_name(void **state)
{
    static const char src[] = "pass\n";
    struct verify_cfg sec = cfg;
    struct code_file cf;

    sec.xattr_name = "security.ima";
    tu_write_file(at("sec.py"), src, strlen(src));
    sign_path(ec384, at("sec.py"), "user.ima");
    assert_int_equal(code_file_read(&sec, at("sec.py"), &cf, NULL, NULL), V_NO_SIGNATURE);
    code_file_free(&cf);
    expect_file(at("sec.py"), V_OK, src, strlen(src));
    if (geteuid() != 0)
        return;                     /* security.* needs CAP_SYS_ADMIN */
    sign_path(ec384, at("sec.py"), "security.ima");
    assert_int_equal(code_file_read(&sec, at("sec.py"), &cf, NULL, NULL), V_OK);
    code_file_free(&cf);
}

static void
test_file_bad_xattrs(void **state)
{
    static const char src[] = "pass\n";
    static const uint8_t hash_only[33] = { IMA_XATTR_DIGEST_NG, IMA_HASH_SHA256 };
    uint8_t big[XATTR_MAX + 1 + 500];

    tu_write_file(at("x.py"), src, strlen(src));
    assert_int_equal(setxattr(at("x.py"), "user.ima", hash_only, sizeof(hash_only), 0), 0);
    expect_file(at("x.py"), V_NO_SIGNATURE, src, strlen(src));
    /* Larger than our buffer: ERANGE from fgetxattr. */
    memset(big, 0, sizeof(big));
    big[0] = IMA_XATTR_DIGSIG;
    big[1] = IMA_SIG_V2;
    assert_int_equal(setxattr(at("x.py"), "user.ima", big, sizeof(big), 0), 0);
    expect_file(at("x.py"), V_MALFORMED, src, strlen(src));
    /* Exactly one byte longer than the largest valid value. */
    big[2] = IMA_HASH_SHA256;
    big[7] = IMA_SIG_MAX_LEN >> 8;
    big[8] = IMA_SIG_MAX_LEN & 0xff;
    assert_int_equal(setxattr(at("x.py"), "user.ima", big, XATTR_MAX + 1, 0), 0);
    expect_file(at("x.py"), V_MALFORMED, src, strlen(src));
    /* The largest valid value is read whole and gets as far as the key lookup. */
    assert_int_equal(setxattr(at("x.py"), "user.ima", big, XATTR_MAX, 0), 0);
    expect_file(at("x.py"), V_UNKNOWN_KEY, src, strlen(src));
}

static void
test_file_not_regular(void **state)
{
    int err = 0;
    struct code_file cf;

    assert_int_equal(mkdir(at("pkg"), 0700), 0);
    expect_file(at("pkg"), V_NOT_REGULAR, NULL, 0);
    assert_int_equal(mkfifo(at("fifo.py"), 0600), 0);
    /* A FIFO with no writer: a blocking open would never return. */
    alarm(10);
    expect_file(at("fifo.py"), V_NOT_REGULAR, NULL, 0);
    alarm(0);
    expect_file("/dev/null", V_NOT_REGULAR, NULL, 0);
    assert_int_equal(code_file_read(&cfg, at("missing.py"), &cf, NULL, &err), V_UNREADABLE);
    assert_null(cf.data);
    assert_int_equal(err, ENOENT);
}

static void
test_file_magic_links(void **state)
{
    static const char src[] = "print('via fd')\n";
    char proc[64], devfd[64];
    struct code_file cf;
    int fd, err = 0;

    tu_write_file(at("m.py"), src, strlen(src));
    sign_path(rsa, at("m.py"), "user.ima");
    fd = open(at("m.py"), O_RDONLY);
    assert_true(fd >= 0);
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    snprintf(devfd, sizeof(devfd), "/dev/fd/%d", fd);
    /* The target is signed and fine; the route to it is what is refused. */
    assert_int_equal(code_file_read(&cfg, proc, &cf, NULL, &err), V_NOT_REGULAR);
    assert_int_equal(err, ELOOP);
    assert_null(cf.data);
    expect_file(devfd, V_NOT_REGULAR, NULL, 0);
    assert_int_equal(symlink(proc, at("magic.py")), 0);
    expect_file(at("magic.py"), V_NOT_REGULAR, NULL, 0);
    close(fd);
}

static void
test_file_size_cap(void **state)
{
    struct verify_cfg small = cfg;
    struct code_file cf;
    char buf[17];

    small.max_file_size = 16;
    memset(buf, '#', sizeof(buf));
    tu_write_file(at("16.py"), buf, 16);
    sign_path(ec256, at("16.py"), "user.ima");
    assert_int_equal(code_file_read(&small, at("16.py"), &cf, NULL, NULL), V_OK);
    assert_int_equal(cf.len, 16);
    code_file_free(&cf);
    tu_write_file(at("17.py"), buf, 17);
    sign_path(ec256, at("17.py"), "user.ima");
    assert_int_equal(code_file_read(&small, at("17.py"), &cf, NULL, NULL), V_TOO_LARGE);
    assert_null(cf.data);
}

static void
test_file_read_fd(void **state)
{
    static const char src[] = "print('fd')\n";
    struct code_file cf;
    int fd, p[2];

    tu_write_file(at("fd.py"), src, strlen(src));
    sign_path(ec384, at("fd.py"), "user.ima");
    fd = open(at("fd.py"), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(code_file_read_fd(&cfg, fd, &cf, NULL, NULL), V_OK);
    assert_int_equal(cf.len, strlen(src));
    code_file_free(&cf);
    assert_int_not_equal(fcntl(fd, F_GETFD), -1);      /* still ours */
    close(fd);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(code_file_read_fd(&cfg, p[0], &cf, NULL, NULL), V_NOT_REGULAR);
    assert_null(cf.data);
    close(p[0]);
    close(p[1]);
}

/* read_fd_whole follows a file that grew after fstat, up to the cap, and
 * returns what is there when it shrank. A stale stat stands in for the race. */
static void
test_read_growth(void **state)
{
    uint8_t src[100], *data;
    struct stat st;
    size_t len;
    int fd;

    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)i;
    tu_write_file(at("grow"), src, sizeof(src));
    fd = open(at("grow"), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);

    st.st_size = 10;                /* grew from 10 to 100 */
    assert_int_equal(read_fd_whole(fd, &st, 1000, &data, &len, NULL), V_OK);
    assert_int_equal(len, 100);
    assert_memory_equal(data, src, 100);
    free(data);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(read_fd_whole(fd, &st, 50, &data, &len, NULL), V_TOO_LARGE);
    assert_null(data);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(read_fd_whole(fd, &st, 100, &data, &len, NULL), V_OK);
    assert_int_equal(len, 100);
    free(data);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    st.st_size = 4000;              /* shrank from 4000 to 100 */
    assert_int_equal(read_fd_whole(fd, &st, 5000, &data, &len, NULL), V_OK);
    assert_int_equal(len, 100);
    free(data);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(read_fd_whole(fd, &st, 1000, &data, &len, NULL), V_TOO_LARGE);
    close(fd);
}

/* Paths and what code_file_read must say about them, with openat2 and without. */
struct route {
    char path[128];
    enum verdict want;
};

static size_t
make_routes(struct route *r, int fd)
{
    size_t n = 0;

#define ROUTE(v, ...) (snprintf(r[n].path, sizeof(r[n].path), __VA_ARGS__), r[n++].want = (v))
    ROUTE(V_OK, "%s", at("rt/f.py"));
    ROUTE(V_OK, "%s", at("rt/sub/../f.py"));
    ROUTE(V_OK, "%s", at("rt/./sub/.//../f.py"));
    ROUTE(V_OK, "%s", at("rt/rel.py"));             /* -> f.py */
    ROUTE(V_OK, "%s", at("rt/abs.py"));             /* -> /.../rt/f.py */
    ROUTE(V_OK, "%s", at("rt/chain.py"));           /* -> rel.py -> f.py */
    ROUTE(V_OK, "%s", at("rt/subl/../f.py"));       /* subl -> sub; .. from its target */
    ROUTE(V_OK, "%s", at("rt/subl/g.py"));
    ROUTE(V_OK, "%s", at("rt/dirl/f.py"));          /* dirl -> /.../rt */
    ROUTE(V_OK, "f.py");                            /* relative to the cwd, rt */
    ROUTE(V_OK, "./sub/../rel.py");
    ROUTE(V_OK, "subl/g.py");
    ROUTE(V_NOT_REGULAR, "/proc/self/fd/%d", fd);
    ROUTE(V_NOT_REGULAR, "/dev/fd/%d", fd);
    ROUTE(V_NOT_REGULAR, "/proc/%d/fd/%d", (int)getpid(), fd);
    ROUTE(V_NOT_REGULAR, "/proc/self/cwd/f.py");    /* a magic link in the middle */
    ROUTE(V_NOT_REGULAR, "%s", at("rt/magic.py"));  /* -> /proc/self/fd/N */
    ROUTE(V_NOT_REGULAR, "%s", at("rt/loop.py"));   /* -> loop.py */
    ROUTE(V_NOT_REGULAR, "%s", at("rt/sub"));
    ROUTE(V_NOT_REGULAR, "%s", at("rt/sub/"));
    ROUTE(V_UNREADABLE, "%s", at("rt/f.py/"));
    ROUTE(V_UNREADABLE, "%s", at("rt/dangling.py"));
    ROUTE(V_UNREADABLE, "%s", "");
#undef ROUTE
    return n;
}

/* 0 if every route gives its verdict; else 100 + the index of the first that does not. */
static int
check_routes(int fd)
{
    struct route r[32];
    struct code_file cf;
    enum verdict v;
    size_t n = make_routes(r, fd);

    for (size_t i = 0; i < n; i++) {
        v = code_file_read(&cfg, r[i].path, &cf, NULL, NULL);
        code_file_free(&cf);
        if (v != r[i].want) {
            fprintf(stderr, "route %s: %s, wanted %s\n", r[i].path, verdict_reason(v),
                    verdict_reason(r[i].want));
            return 100 + (int)i;
        }
    }
    return 0;
}

static int
routes_setup(void)
{
    char target[256], self[64];
    int fd;

    assert_int_equal(mkdir(at("rt"), 0700), 0);
    assert_int_equal(mkdir(at("rt/sub"), 0700), 0);
    tu_write_file(at("rt/f.py"), "pass\n", 5);
    tu_write_file(at("rt/sub/g.py"), "pass\n", 5);
    sign_path(rsa, at("rt/f.py"), "user.ima");
    sign_path(rsa, at("rt/sub/g.py"), "user.ima");
    assert_int_equal(symlink("f.py", at("rt/rel.py")), 0);
    assert_int_equal(symlink(at("rt/f.py"), at("rt/abs.py")), 0);
    assert_int_equal(symlink("rel.py", at("rt/chain.py")), 0);
    assert_int_equal(symlink("sub", at("rt/subl")), 0);
    snprintf(target, sizeof(target), "%s", at("rt"));
    assert_int_equal(symlink(target, at("rt/dirl")), 0);
    assert_int_equal(symlink("loop.py", at("rt/loop.py")), 0);
    assert_int_equal(symlink("nowhere.py", at("rt/dangling.py")), 0);
    fd = open(at("rt/f.py"), O_RDONLY);
    assert_true(fd >= 0);
    snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
    assert_int_equal(symlink(self, at("rt/magic.py")), 0);
    assert_int_equal(chdir(at("rt")), 0);
    return fd;
}

static void
test_routes_openat2(void **state)
{
    int fd = routes_setup();

    assert_int_equal(check_routes(fd), 0);
    close(fd);
}

/* Without openat2 (made so here with seccomp, as valgrind and some container
 * profiles do) the userspace walk must give the same verdicts. In a child:
 * the filter cannot be removed. */
static int
fallback_child(int fd)
{
    struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        return 10;
    if (syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0) != -1 || errno != ENOSYS)
        return 11;
    return check_routes(fd);
}

static void
test_routes_fallback(void **state)
{
    int status, fd;
    pid_t pid;

    fd = open(at("rt/f.py"), O_RDONLY);
    assert_true(fd >= 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fallback_child(fd));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(fd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_reasons),
        cmocka_unit_test(test_md_cache),
        cmocka_unit_test(test_evmctl_fixtures),
        cmocka_unit_test(test_good_signatures),
        cmocka_unit_test(test_empty_data),
        cmocka_unit_test(test_tampered_data),
        cmocka_unit_test(test_tampered_signature),
        cmocka_unit_test(test_wrong_and_unknown_key),
        cmocka_unit_test(test_candidates),
        cmocka_unit_test(test_broken_xattrs),
        cmocka_unit_test(test_file_signed),
        cmocka_unit_test(test_file_empty),
        cmocka_unit_test(test_file_xattr_name),
        cmocka_unit_test(test_file_bad_xattrs),
        cmocka_unit_test(test_file_not_regular),
        cmocka_unit_test(test_file_magic_links),
        cmocka_unit_test(test_file_size_cap),
        cmocka_unit_test(test_file_read_fd),
        cmocka_unit_test(test_read_growth),
        cmocka_unit_test(test_routes_openat2),
        cmocka_unit_test(test_routes_fallback),
    };

    return cmocka_run_group_tests_name("verify", tests, group_setup, group_teardown);
}
