/* The digests named by IMA hash_algo ids, fetched from OpenSSL once. */
#include <pthread.h>

#include <openssl/err.h>

#include "verify/sig.h"
#include "verify/verify.h"

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_by_algo[256];     /* indexed by kernel hash_algo id; kept for the process */

static void
fetch_mds(void)
{
    const char *name;

    for (unsigned i = 0; i < 256; i++)
        if ((name = sig_hash_name((uint8_t)i)) != NULL)
            md_by_algo[i] = EVP_MD_fetch(NULL, name, NULL);
    ERR_clear_error();
}

const EVP_MD *
verify_md(uint8_t hash_algo)
{
    pthread_once(&md_once, fetch_mds);
    return md_by_algo[hash_algo];
}
