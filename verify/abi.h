/* ABI audit of CPython extension modules before they are signed (the
 * abi3audit idea): a module built for another interpreter, or an abi3 module
 * that reaches past the stable ABI, corrupts memory when loaded. Pure C; the
 * rules come from the caller, so tests and fuzzers can bring their own. */
#ifndef SPY_ABI_H
#define SPY_ABI_H

#include <stddef.h>
#include <stdint.h>

struct abi_rules {
    const char *soabi;                  /* "cpython-311-x86_64-linux-gnu" */
    const char *const *stable;          /* stable ABI symbols, sorted by strcmp */
    size_t n_stable;
};

enum abi_result {
    ABI_UNTAGGED = 0,   /* plain NAME.so: a library or an untagged module; no claim to check */
    ABI_OK,             /* tag matches, or abi3 with stable imports only */
    ABI_WRONG_TAG,      /* NAME.cpython-*.so for another interpreter */
    ABI_NOT_STABLE,     /* NAME.abi3.so importing Py or _Py symbols outside the stable ABI */
    ABI_BAD_ELF,        /* NAME.abi3.so whose dynamic symbol table cannot be read */
};

/* Audit one file: name is its base name, data its bytes (hostile input: any
 * bytes and any length are safe). For the refusals, detail gets one line
 * saying why ("imports 2 symbols outside the stable ABI: _PyFoo, PyBar"). */
enum abi_result abi_check(const struct abi_rules *r, const char *name,
                          const uint8_t *data, size_t len, char *detail, size_t detaillen);

#endif
