/* keyring.c: key ids, loading certificates and public keys from files and directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "verify/keyring.h"

static char dir[64];
static char errbuf[512];

static EVP_PKEY *rsa_a, *rsa_b, *ec256, *ec384;

static const char *
at(const char *name)
{
    return tu_fmt("%s/%s", dir, name);
}

static void
write_str(const char *path, const char *s)
{
    tu_write_file(path, s, strlen(s));
}

static void
append_pubkey_pem(const char *path, EVP_PKEY *pkey)
{
    BIO *b = BIO_new_file(path, "a");

    assert_non_null(b);
    assert_int_equal(PEM_write_bio_PUBKEY(b, pkey), 1);
    BIO_free(b);
}

static void
write_pubkey_der(const char *path, EVP_PKEY *pkey)
{
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(pkey, &der);

    assert_true(len > 0);
    tu_write_file(path, der, (size_t)len);
    OPENSSL_free(der);
}

/* A self-signed certificate; skid (may be NULL) becomes its Subject Key Identifier. */
static X509 *
make_cert(EVP_PKEY *pkey, const uint8_t *skid, size_t skid_len)
{
    X509 *x = X509_new();
    X509_NAME *name;
    ASN1_OCTET_STRING *os;

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"spython test", -1, -1, 0), 1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_int_equal(X509_set_pubkey(x, pkey), 1);
    if (skid != NULL) {
        os = ASN1_OCTET_STRING_new();
        assert_non_null(os);
        assert_int_equal(ASN1_OCTET_STRING_set(os, skid, (int)skid_len), 1);
        assert_int_equal(X509_add1_ext_i2d(x, NID_subject_key_identifier, os, 0,
                                           X509V3_ADD_DEFAULT), 1);
        ASN1_OCTET_STRING_free(os);
    }
    assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
    return x;
}

static void
append_cert_pem(const char *path, X509 *x)
{
    BIO *b = BIO_new_file(path, "a");

    assert_non_null(b);
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    BIO_free(b);
}

static void
write_cert_der(const char *path, X509 *x)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);

    assert_true(len > 0);
    tu_write_file(path, der, (size_t)len);
    OPENSSL_free(der);
}

/* DER walk of a SubjectPublicKeyInfo to its BIT STRING contents: the expected
 * key id is computed without X509_PUBKEY, independently of keyring.c. */
static size_t
der_len(const uint8_t **p)
{
    size_t n = *(*p)++, len = 0;

    if (n < 0x80)
        return n;
    n &= 0x7f;
    while (n--)
        len = len << 8 | *(*p)++;
    return len;
}

static void
expected_keyid(EVP_PKEY *pkey, uint8_t out[4])
{
    unsigned char *der = NULL, md[20];
    const uint8_t *p;
    size_t len, mdlen;

    assert_true(i2d_PUBKEY(pkey, &der) > 0);
    p = der;
    assert_int_equal(*p++, 0x30);           /* SubjectPublicKeyInfo */
    der_len(&p);
    assert_int_equal(*p++, 0x30);           /* AlgorithmIdentifier: skip */
    len = der_len(&p);
    p += len;
    assert_int_equal(*p++, 0x03);           /* subjectPublicKey BIT STRING */
    len = der_len(&p);
    assert_int_equal(*p++, 0);              /* no unused bits */
    assert_int_equal(EVP_Q_digest(NULL, "SHA1", NULL, p, len - 1, md, &mdlen), 1);
    memcpy(out, md + 16, 4);
    OPENSSL_free(der);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int
group_setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/spy-keyring.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    rsa_a = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa_b = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    return rsa_a && rsa_b && ec256 && ec384 ? 0 : -1;
}

static int
group_teardown(void **state)
{
    EVP_PKEY_free(rsa_a);
    EVP_PKEY_free(rsa_b);
    EVP_PKEY_free(ec256);
    EVP_PKEY_free(ec384);
    return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Each test starts from an empty directory. */
static int
setup(void **state)
{
    if (nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) != 0 || mkdir(dir, 0700) != 0)
        return -1;
    *state = keyring_new();
    errbuf[0] = '\0';
    return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    keyring_free(*state);
    return 0;
}

/* Every entry for keyid, in order. */
static size_t
find_all(const struct keyring *kr, const uint8_t id[4], EVP_PKEY **found, size_t max)
{
    size_t cursor = 0, n = 0;
    EVP_PKEY *k;

    while ((k = keyring_find(kr, id, &cursor)) != NULL) {
        assert_true(n < max);
        found[n++] = k;
    }
    return n;
}

static void
test_keyid_rsa(void **state)
{
    uint8_t got[4], want[4], md[20];
    unsigned char *pkcs1 = NULL;
    size_t mdlen;
    int len;

    assert_int_equal(keyid_of_pkey(rsa_a, got), 0);
    expected_keyid(rsa_a, want);
    assert_memory_equal(got, want, 4);
    /* For RSA the BIT STRING holds the PKCS#1 RSAPublicKey: a second route. */
    len = i2d_PublicKey(rsa_a, &pkcs1);
    assert_true(len > 0);
    assert_int_equal(EVP_Q_digest(NULL, "SHA1", NULL, pkcs1, (size_t)len, md, &mdlen), 1);
    assert_memory_equal(got, md + 16, 4);
    OPENSSL_free(pkcs1);
    assert_int_equal(keyid_of_pkey(rsa_b, want), 0);
    assert_memory_not_equal(got, want, 4);
}

static void
test_keyid_ec(void **state)
{
    EVP_PKEY *keys[] = { ec256, ec384 };
    uint8_t got[4], want[4], point[133], md[20];
    size_t plen, mdlen;

    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(keyid_of_pkey(keys[i], got), 0);
        expected_keyid(keys[i], want);
        assert_memory_equal(got, want, 4);
        /* For EC the BIT STRING is the uncompressed point. */
        assert_int_equal(EVP_PKEY_get_octet_string_param(keys[i], OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                         point, sizeof(point), &plen), 1);
        assert_int_equal(point[0], 0x04);
        assert_int_equal(EVP_Q_digest(NULL, "SHA1", NULL, point, plen, md, &mdlen), 1);
        assert_memory_equal(got, md + 16, 4);
    }
}

static void
test_pem_cert_with_skid(void **state)
{
    struct keyring *kr = *state;
    const uint8_t skid[] = { 1, 2, 3, 4, 5, 6, 7, 8 }, other[4] = { 9, 9, 9, 9 };
    X509 *x = make_cert(rsa_a, skid, sizeof(skid));
    EVP_PKEY *found[4];
    uint8_t id[4];

    append_cert_pem(at("a.pem"), x);
    assert_int_equal(keyring_add_path(kr, at("a.pem"), errbuf, sizeof(errbuf)), 1);
    assert_int_equal(keyring_count(kr), 1);
    /* Found under its computed id and under the SKID's last 4 bytes. */
    assert_int_equal(keyid_of_pkey(rsa_a, id), 0);
    assert_int_equal(find_all(kr, id, found, 4), 1);
    assert_int_equal(EVP_PKEY_eq(found[0], rsa_a), 1);
    assert_int_equal(find_all(kr, skid + 4, found, 4), 1);
    assert_int_equal(EVP_PKEY_eq(found[0], rsa_a), 1);
    assert_int_equal(find_all(kr, skid, found, 4), 0);
    assert_int_equal(find_all(kr, other, found, 4), 0);
    X509_free(x);
}

static void
test_der_cert_and_keys(void **state)
{
    struct keyring *kr = *state;
    X509 *x = make_cert(ec384, NULL, 0);
    EVP_PKEY *keys[] = { ec384, ec256, rsa_b }, *found[4];
    uint8_t id[4];

    write_cert_der(at("c.der"), x);
    append_pubkey_pem(at("k.pem"), ec256);
    write_pubkey_der(at("k.der"), rsa_b);
    assert_int_equal(keyring_add_path(kr, at("c.der"), errbuf, sizeof(errbuf)), 1);
    assert_int_equal(keyring_add_path(kr, at("k.pem"), errbuf, sizeof(errbuf)), 1);
    assert_int_equal(keyring_add_path(kr, at("k.der"), errbuf, sizeof(errbuf)), 1);
    assert_int_equal(keyring_count(kr), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(keyid_of_pkey(keys[i], id), 0);
        assert_int_equal(find_all(kr, id, found, 4), 1);
        assert_int_equal(EVP_PKEY_eq(found[0], keys[i]), 1);
    }
    X509_free(x);
}

static void
test_rsa_pkcs1_pem(void **state)
{
    struct keyring *kr = *state;
    OSSL_ENCODER_CTX *ectx;
    unsigned char *pem = NULL;
    size_t len = 0;

    /* "RSA PUBLIC KEY", as `openssl rsa -RSAPublicKey_out` writes it. */
    ectx = OSSL_ENCODER_CTX_new_for_pkey(rsa_a, OSSL_KEYMGMT_SELECT_PUBLIC_KEY,
                                         "PEM", "type-specific", NULL);
    assert_non_null(ectx);
    assert_int_equal(OSSL_ENCODER_to_data(ectx, &pem, &len), 1);
    /* The encoder output is not NUL-terminated. */
    assert_non_null(memmem(pem, len, "BEGIN RSA PUBLIC KEY", 20));
    tu_write_file(at("pkcs1.pem"), pem, len);
    assert_int_equal(keyring_add_path(kr, at("pkcs1.pem"), errbuf, sizeof(errbuf)), 1);
    OPENSSL_free(pem);
    OSSL_ENCODER_CTX_free(ectx);
}

static void
test_multi_pem(void **state)
{
    struct keyring *kr = *state;
    static const char params[] =
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
    X509 *x = make_cert(rsa_a, NULL, 0);

    write_str(at("m.pem"), params);
    append_cert_pem(at("m.pem"), x);
    append_pubkey_pem(at("m.pem"), ec256);
    assert_int_equal(keyring_add_path(kr, at("m.pem"), errbuf, sizeof(errbuf)), 2);
    assert_int_equal(keyring_count(kr), 2);
    X509_free(x);
}

static void
test_directory(void **state)
{
    struct keyring *kr = *state;
    X509 *x = make_cert(rsa_a, NULL, 0);
    uint8_t id[4];
    EVP_PKEY *found[4];

    write_cert_der(at("a.der"), x);
    append_pubkey_pem(at("b.pem"), ec256);
    tu_write_file(at(".hidden"), "garbage", 7);
    tu_write_file(at("target"), "garbage", 7);
    assert_int_equal(mkdir(at("sub"), 0700), 0);
    tu_write_file(at("sub/c.pem"), "garbage", 7);
    assert_int_equal(rename(at("target"), at("sub/target")), 0);
    assert_int_equal(symlink("sub/target", at("link.pem")), 0);
    assert_int_equal(mkfifo(at("fifo.pem"), 0600), 0);

    assert_int_equal(keyring_add_path(kr, dir, errbuf, sizeof(errbuf)), 2);
    assert_int_equal(keyring_count(kr), 2);
    assert_int_equal(keyid_of_pkey(ec256, id), 0);
    assert_int_equal(find_all(kr, id, found, 4), 1);
    X509_free(x);
}

static void
test_directory_bad_file_rolls_back(void **state)
{
    struct keyring *kr = *state;
    size_t cursor = 0;
    uint8_t id[4];

    append_pubkey_pem(at("a.pem"), ec256);
    append_pubkey_pem(at("b.pem"), rsa_a);
    write_str(at("c.txt"), "not a key\n");
    append_pubkey_pem(at("d.pem"), rsa_b);
    assert_int_equal(keyring_add_path(kr, dir, errbuf, sizeof(errbuf)), -1);
    assert_non_null(strstr(errbuf, "/c.txt: "));
    assert_null(strchr(errbuf, '\n'));
    /* Nothing from a failed path stays trusted. */
    assert_int_equal(keyring_count(kr), 0);
    assert_int_equal(keyid_of_pkey(ec256, id), 0);
    assert_null(keyring_find(kr, id, &cursor));
}

static void
test_empty_directory(void **state)
{
    tu_write_file(at(".only-hidden.pem"), "x", 1);
    assert_int_equal(keyring_add_path(*state, dir, errbuf, sizeof(errbuf)), -1);
    assert_non_null(strstr(errbuf, "no certificate or public key found"));
}

/* Each bad file: -1, a one-line message naming it, nothing added. */
static void
expect_error(struct keyring *kr, const char *path, const char *why)
{
    errbuf[0] = '\0';
    assert_int_equal(keyring_add_path(kr, path, errbuf, sizeof(errbuf)), -1);
    assert_true(strncmp(errbuf, path, strlen(path)) == 0);
    assert_non_null(strstr(errbuf, why));
    assert_null(strchr(errbuf, '\n'));
    assert_int_equal(keyring_count(kr), 0);
}

static void
test_bad_files(void **state)
{
    struct keyring *kr = *state;
    static const char only_params[] =
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
    char *big;
    BIO *b;
    X509 *x = make_cert(rsa_a, NULL, 0);
    unsigned char *der = NULL;
    char line[128];
    int derlen;
    FILE *f;

    tu_write_file(at("empty"), "", 0);
    expect_error(kr, at("empty"), "not a certificate or public key");
    write_str(at("text"), "hello\n");
    expect_error(kr, at("text"), "not a certificate or public key");
    write_str(at("params.pem"), only_params);
    expect_error(kr, at("params.pem"), "no certificate or public key found");
    expect_error(kr, at("missing"), "No such file or directory");
    assert_int_equal(mkfifo(at("fifo"), 0600), 0);
    expect_error(kr, at("fifo"), "not a regular file");

    /* A truncated DER certificate. */
    derlen = i2d_X509(x, &der);
    tu_write_file(at("cut.der"), der, (size_t)derlen - 10);
    expect_error(kr, at("cut.der"), "not a certificate or public key");
    /* A PEM certificate whose body is not a certificate. */
    write_str(at("bad.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expect_error(kr, at("bad.pem"), "bad CERTIFICATE");
    /* Damaged base64 after a good block. */
    append_pubkey_pem(at("dmg.pem"), ec256);
    f = fopen(at("dmg.pem"), "a");
    assert_non_null(f);
    fputs("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n", f);
    fclose(f);
    expect_error(kr, at("dmg.pem"), "bad PEM data");

    /* A private key is refused, and its bytes never reach the message. */
    b = BIO_new_file(at("priv.pem"), "w");
    assert_non_null(b);
    assert_int_equal(PEM_write_bio_PrivateKey(b, ec256, NULL, NULL, 0, NULL, NULL), 1);
    BIO_free(b);
    expect_error(kr, at("priv.pem"), "private key");
    f = fopen(at("priv.pem"), "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));     /* -----BEGIN */
    assert_non_null(fgets(line, sizeof(line), f));     /* first base64 line */
    fclose(f);
    line[16] = '\0';
    assert_null(strstr(errbuf, line));
    assert_null(strstr(errbuf, "-----"));

    big = malloc((1u << 20) + 1);
    assert_non_null(big);
    memset(big, ' ', (1u << 20) + 1);
    tu_write_file(at("big.pem"), big, (1u << 20) + 1);
    expect_error(kr, at("big.pem"), "too large");
    free(big);
    OPENSSL_free(der);
    X509_free(x);
}

static void
test_unsupported_keys(void **state)
{
    struct keyring *kr = *state;
    EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    char why[128];

    assert_non_null(rsa1024);
    assert_non_null(k1);
    assert_non_null(ed);
    assert_non_null(p521);
    append_pubkey_pem(at("rsa1024.pem"), rsa1024);
    expect_error(kr, at("rsa1024.pem"), "RSA key of 1024 bits");
    append_pubkey_pem(at("k1.pem"), k1);
    expect_error(kr, at("k1.pem"), "secp256k1");
    append_pubkey_pem(at("ed.pem"), ed);
    expect_error(kr, at("ed.pem"), "RSA or EC needed");

    assert_int_equal(keyring_key_supported(p521, why, sizeof(why)), 0);
    assert_int_equal(keyring_key_supported(ec384, why, sizeof(why)), 0);
    assert_int_equal(keyring_key_supported(rsa_a, NULL, 0), 0);
    assert_int_equal(keyring_key_supported(ed, NULL, 0), -1);
    assert_int_equal(keyring_add_pkey(kr, ed, NULL, 0), -1);
    assert_int_equal(keyring_add_pkey(kr, rsa1024, NULL, 0), -1);
    assert_int_equal(keyring_count(kr), 0);
    append_pubkey_pem(at("p521.pem"), p521);
    assert_int_equal(keyring_add_path(kr, at("p521.pem"), errbuf, sizeof(errbuf)), 1);

    EVP_PKEY_free(rsa1024);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(p521);
}

static void
test_add_pkey_skid(void **state)
{
    struct keyring *kr = *state;
    uint8_t ida[4], idb[4];
    EVP_PKEY *found[4];

    assert_int_equal(keyid_of_pkey(rsa_a, ida), 0);
    assert_int_equal(keyid_of_pkey(rsa_b, idb), 0);
    /* rsa_a claims rsa_b's id through its SKID: a collision, both are candidates. */
    assert_int_equal(keyring_add_pkey(kr, rsa_a, idb, 4), 0);
    assert_int_equal(keyring_add_pkey(kr, rsa_b, NULL, 0), 0);
    /* An SKID shorter than 4 bytes is no id at all; one equal to the key's id adds nothing. */
    assert_int_equal(keyring_add_pkey(kr, ec256, (const uint8_t *)"ab", 2), 0);
    assert_int_equal(keyring_count(kr), 3);
    assert_int_equal(find_all(kr, idb, found, 4), 2);
    assert_ptr_equal(found[0], rsa_a);
    assert_ptr_equal(found[1], rsa_b);
    assert_int_equal(find_all(kr, ida, found, 4), 1);
    assert_int_equal(find_all(kr, (const uint8_t *)"\0\0ab", found, 4), 0);
}

static void
test_cert_read_skid(void **state)
{
    const uint8_t skid[] = { 0xaa, 0xbb, 0x11, 0x22, 0x33, 0x44 };
    X509 *with = make_cert(ec256, skid, sizeof(skid)), *without = make_cert(rsa_a, NULL, 0);
    EVP_PKEY *pkey = NULL;
    uint8_t id[4];

    append_cert_pem(at("s.pem"), with);
    write_cert_der(at("s.der"), with);
    assert_int_equal(cert_read_skid(at("s.pem"), id, &pkey, errbuf, sizeof(errbuf)), 0);
    assert_memory_equal(id, skid + 2, 4);
    assert_int_equal(EVP_PKEY_eq(pkey, ec256), 1);
    EVP_PKEY_free(pkey);
    memset(id, 0, sizeof(id));
    assert_int_equal(cert_read_skid(at("s.der"), id, NULL, errbuf, sizeof(errbuf)), 0);
    assert_memory_equal(id, skid + 2, 4);

    append_cert_pem(at("n.pem"), without);
    assert_int_equal(cert_read_skid(at("n.pem"), id, NULL, errbuf, sizeof(errbuf)), -1);
    assert_non_null(strstr(errbuf, "no Subject Key Identifier"));
    assert_int_equal(cert_read_skid(at("none"), id, NULL, errbuf, sizeof(errbuf)), -1);
    assert_non_null(strstr(errbuf, "No such file"));
    X509_free(with);
    X509_free(without);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keyid_rsa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyid_ec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pem_cert_with_skid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_der_cert_and_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsa_pkcs1_pem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_pem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_bad_file_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_pkey_skid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cert_read_skid, setup, teardown),
    };

    keyring_free(NULL);
    return cmocka_run_group_tests_name("keyring", tests, group_setup, group_teardown);
}
