/* abi.c: extension module tags and the abi3 symbol audit, on ELF images built
 * here byte by byte, then truncated, corrupted and mutated. */
#include <elf.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "verify/abi.h"

#define SOABI "cpython-311-x86_64-linux-gnu"

static const char *const stable[] = {       /* sorted, as the build makes it */
    "PyList_New", "PyModule_Create2", "_Py_Dealloc", "_Py_NoneStruct",
};
static const struct abi_rules rules = { SOABI, stable, sizeof(stable) / sizeof(stable[0]) };

struct sym {
    const char *name;
    int defined;
    int bind;
};

/* Where the builder put things, for the corruption tests. */
struct layout {
    size_t dynsym_off, dynstr_off, dynstr_len, shoff;
};

/* An ELF image of this machine's class: header, .dynstr, .dynsym, then the
 * section headers [null, .dynsym, .dynstr]. Exact-size heap buffer, so a read
 * past the end is caught by ASan or valgrind. */
static uint8_t *
build_elf(const struct sym *syms, size_t n, size_t *len, struct layout *lay)
{
    ElfW(Ehdr) eh;
    ElfW(Shdr) sh[3];
    ElfW(Sym) s;
    size_t strsz = 1, off;
    uint8_t *img;

    for (size_t i = 0; i < n; i++)
        strsz += strlen(syms[i].name) + 1;
    lay->dynstr_off = sizeof(eh);
    lay->dynstr_len = strsz;
    lay->dynsym_off = (lay->dynstr_off + strsz + 7) & ~(size_t)7;
    lay->shoff = lay->dynsym_off + (n + 1) * sizeof(s);
    *len = lay->shoff + sizeof(sh);
    img = calloc(1, *len);
    assert_non_null(img);

    memset(&eh, 0, sizeof(eh));
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;
    eh.e_ident[EI_DATA] = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_shoff = lay->shoff;
    eh.e_shentsize = sizeof(sh[0]);
    eh.e_shnum = 3;
    memcpy(img, &eh, sizeof(eh));

    off = 1;
    for (size_t i = 0; i < n; i++) {
        memset(&s, 0, sizeof(s));
        s.st_name = (uint32_t)off;
        s.st_info = (unsigned char)(syms[i].bind << 4 | STT_FUNC);
        s.st_shndx = syms[i].defined ? 9 : SHN_UNDEF;
        memcpy(img + lay->dynstr_off + off, syms[i].name, strlen(syms[i].name) + 1);
        off += strlen(syms[i].name) + 1;
        memcpy(img + lay->dynsym_off + (i + 1) * sizeof(s), &s, sizeof(s));
    }

    memset(sh, 0, sizeof(sh));
    sh[1].sh_type = SHT_DYNSYM;
    sh[1].sh_offset = lay->dynsym_off;
    sh[1].sh_size = (n + 1) * sizeof(s);
    sh[1].sh_entsize = sizeof(s);
    sh[1].sh_link = 2;
    sh[2].sh_type = SHT_STRTAB;
    sh[2].sh_offset = lay->dynstr_off;
    sh[2].sh_size = strsz;
    memcpy(img + lay->shoff, sh, sizeof(sh));
    return img;
}

static const struct sym compliant[] = {
    { "PyInit_m", 1, STB_GLOBAL },
    { "PyModule_Create2", 0, STB_GLOBAL },
    { "_Py_Dealloc", 0, STB_GLOBAL },
    { "_Py_NoneStruct", 0, STB_GLOBAL },
    { "malloc", 0, STB_GLOBAL },
    { "PyUnicode_AsUTF8", 0, STB_LOCAL },       /* a local import is no import */
    { "_PyPrivate_Defined", 1, STB_GLOBAL },    /* what it defines is its own business */
};

static const struct sym violating[] = {
    { "PyInit_m", 1, STB_GLOBAL },
    { "PyList_New", 0, STB_GLOBAL },
    { "PyUnicode_AsUTF8", 0, STB_GLOBAL },
    { "_PyObject_GetState", 0, STB_WEAK },
    { "free", 0, STB_GLOBAL },
};

static enum abi_result
check(const char *name, const struct sym *syms, size_t n, char *detail, size_t dlen)
{
    struct layout lay;
    size_t len;
    uint8_t *img = build_elf(syms, n, &len, &lay);
    enum abi_result r = abi_check(&rules, name, img, len, detail, dlen);

    free(img);
    return r;
}

#define NSYMS(a) (sizeof(a) / sizeof(a[0]))

static void
test_untagged(void **state)
{
    static const char *const names[] = {
        "libfoo.so", "m.so", "m.py", "m.so.1", "m.pyd", "so", ".so",
        "m.pypy39-pp73-x86_64-linux-gnu.so",
    };
    char detail[128] = "untouched";

    for (size_t i = 0; i < NSYMS(names); i++)
        assert_int_equal(abi_check(&rules, names[i], (const uint8_t *)"", 0, detail, sizeof(detail)),
                         ABI_UNTAGGED);
    assert_string_equal(detail, "untouched");
}

static void
test_version_tag(void **state)
{
    static const struct { const char *name; enum abi_result want; } cases[] = {
        { "m.cpython-311-x86_64-linux-gnu.so",   ABI_OK },
        { "a.b.cpython-311-x86_64-linux-gnu.so", ABI_OK },
        { "m.cpython-310-x86_64-linux-gnu.so",   ABI_WRONG_TAG },
        { "m.cpython-311d-x86_64-linux-gnu.so",  ABI_WRONG_TAG },
        { "m.cpython-311-aarch64-linux-gnu.so",  ABI_WRONG_TAG },
        { "m.cpython-311-x86_64-linux-gnux.so",  ABI_WRONG_TAG },
        { "m.cpython-311-x86_64-linux-gn.so",    ABI_WRONG_TAG },
        { "m.cpython-.so",                       ABI_WRONG_TAG },
    };
    char detail[256];

    for (size_t i = 0; i < NSYMS(cases); i++) {
        detail[0] = '\0';
        /* The tag alone decides: the bytes are not even looked at. */
        assert_int_equal(abi_check(&rules, cases[i].name, NULL, 0, detail, sizeof(detail)),
                         cases[i].want);
        if (cases[i].want == ABI_WRONG_TAG) {
            assert_non_null(strstr(detail, "not for " SOABI));
            assert_non_null(strstr(detail, "built for cpython-"));
        }
    }
}

static void
test_abi3_compliant(void **state)
{
    char detail[256];

    assert_int_equal(check("m.abi3.so", compliant, NSYMS(compliant), detail, sizeof(detail)),
                     ABI_OK);
    /* With no imports at all. */
    assert_int_equal(check("m.abi3.so", compliant, 1, detail, sizeof(detail)), ABI_OK);
}

static void
test_abi3_violating(void **state)
{
    char detail[256];

    assert_int_equal(check("m.abi3.so", violating, NSYMS(violating), detail, sizeof(detail)),
                     ABI_NOT_STABLE);
    assert_string_equal(detail, "imports 2 symbols outside the stable ABI: "
                        "PyUnicode_AsUTF8, _PyObject_GetState");
    /* The same module under a matching version tag makes no stable-ABI claim. */
    assert_int_equal(check("m.cpython-311-x86_64-linux-gnu.so", violating, NSYMS(violating),
                           detail, sizeof(detail)), ABI_OK);
}

static void
test_abi3_many_violations(void **state)
{
    static const struct sym many[] = {
        { "PyA", 0, STB_GLOBAL }, { "PyB", 0, STB_GLOBAL }, { "PyC", 0, STB_GLOBAL },
        { "PyD", 0, STB_GLOBAL }, { "PyE", 0, STB_GLOBAL }, { "PyF", 0, STB_GLOBAL },
    };
    char detail[256], tiny[16];

    assert_int_equal(check("m.abi3.so", many, NSYMS(many), detail, sizeof(detail)), ABI_NOT_STABLE);
    assert_string_equal(detail, "imports 6 symbols outside the stable ABI: PyA, PyB, PyC, PyD, ...");
    /* A short buffer gets a cut, terminated line. */
    assert_int_equal(check("m.abi3.so", many, NSYMS(many), tiny, sizeof(tiny)), ABI_NOT_STABLE);
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
    /* No buffer at all is fine too. */
    assert_int_equal(check("m.abi3.so", many, NSYMS(many), NULL, 0), ABI_NOT_STABLE);
}

static void
test_abi3_not_elf(void **state)
{
    char detail[128];
    const uint8_t text[] = "#!/bin/sh\necho not a module\n";

    assert_int_equal(abi_check(&rules, "m.abi3.so", text, sizeof(text), detail, sizeof(detail)),
                     ABI_BAD_ELF);
    assert_string_equal(detail, "not an ELF file");
    assert_int_equal(abi_check(&rules, "m.abi3.so", NULL, 0, detail, sizeof(detail)), ABI_BAD_ELF);
}

/* Every strict prefix of an image loses its section headers: never OK. */
static void
test_truncated_everywhere(void **state)
{
    struct layout lay;
    size_t len;
    uint8_t *img = build_elf(violating, NSYMS(violating), &len, &lay);

    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);

        assert_non_null(cut);
        memcpy(cut, img, n);
        assert_int_equal(abi_check(&rules, "m.abi3.so", cut, n, NULL, 0), ABI_BAD_ELF);
        free(cut);
    }
    free(img);
}

/* Patch one field of a good image and expect a refusal, not a crash. */
static enum abi_result
patched(size_t off, const void *val, size_t n, char *detail, size_t dlen)
{
    struct layout lay;
    size_t len;
    uint8_t *img = build_elf(compliant, NSYMS(compliant), &len, &lay);
    enum abi_result r;

    assert_true(off + n <= len);
    memcpy(img + off, val, n);
    r = abi_check(&rules, "m.abi3.so", img, len, detail, dlen);
    free(img);
    return r;
}

static void
test_corrupted_fields(void **state)
{
    struct layout lay;
    size_t len;
    uint8_t *img = build_elf(compliant, NSYMS(compliant), &len, &lay);
    const size_t sh1 = lay.shoff + sizeof(ElfW(Shdr)), sh2 = sh1 + sizeof(ElfW(Shdr));
    const size_t sym2 = lay.dynsym_off + 2 * sizeof(ElfW(Sym));     /* an import */
    ElfW(Addr) huge = (ElfW(Addr))-1 - 3;
    ElfW(Word) big_link = 77, progbits = SHT_PROGBITS;
    ElfW(Half) zero_half = 0, bad_entsize = 12, many = 0xffff;
    uint32_t far_name = 1u << 30;
    uint8_t cls = sizeof(void *) == 8 ? ELFCLASS32 : ELFCLASS64;
    uint8_t msb = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2MSB : ELFDATA2LSB;
    char detail[128];

    free(img);                  /* only its layout was wanted */

    assert_int_equal(patched(EI_CLASS, &cls, 1, detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(EI_DATA, &msb, 1, detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(offsetof(ElfW(Ehdr), e_shentsize), &bad_entsize, sizeof(bad_entsize),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(offsetof(ElfW(Ehdr), e_shoff), &huge, sizeof(huge),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(offsetof(ElfW(Ehdr), e_shnum), &many, sizeof(many),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    /* e_shnum 0: the count comes from section 0, whose size here is 0. */
    assert_int_equal(patched(offsetof(ElfW(Ehdr), e_shnum), &zero_half, sizeof(zero_half),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_string_equal(detail, "no dynamic symbol table");
    /* No SHT_DYNSYM at all (a stripped-of-sections module). */
    assert_int_equal(patched(sh1 + offsetof(ElfW(Shdr), sh_type), &progbits, sizeof(progbits),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(sh1 + offsetof(ElfW(Shdr), sh_link), &big_link, sizeof(big_link),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(sh1 + offsetof(ElfW(Shdr), sh_offset), &huge, sizeof(huge),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(sh1 + offsetof(ElfW(Shdr), sh_size), &huge, sizeof(huge),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(sh2 + offsetof(ElfW(Shdr), sh_offset), &huge, sizeof(huge),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(sh2 + offsetof(ElfW(Shdr), sh_size), &huge, sizeof(huge),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    /* The table linked for names is not a string table. */
    assert_int_equal(patched(sh2 + offsetof(ElfW(Shdr), sh_type), &progbits, sizeof(progbits),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_int_equal(patched(sym2 + offsetof(ElfW(Sym), st_name), &far_name, sizeof(far_name),
                             detail, sizeof(detail)), ABI_BAD_ELF);
    assert_string_equal(detail, "symbol name out of bounds");
}

/* The last name is not terminated inside its table: refused, not overread. */
static void
test_unterminated_name(void **state)
{
    static const struct sym one[] = { { "PyList_New", 0, STB_GLOBAL } };
    struct layout lay;
    size_t len;
    uint8_t *img = build_elf(one, 1, &len, &lay);
    ElfW(Xword) shorter = lay.dynstr_len - 1;
    const size_t sh2 = lay.shoff + 2 * sizeof(ElfW(Shdr));
    char detail[128];

    memcpy(img + sh2 + offsetof(ElfW(Shdr), sh_size), &shorter, sizeof(shorter));
    assert_int_equal(abi_check(&rules, "m.abi3.so", img, len, detail, sizeof(detail)), ABI_BAD_ELF);
    assert_string_equal(detail, "unterminated symbol name");
    free(img);
}

/* A cheap fuzz: flip bytes of a valid image; any answer but a crash will do. */
static void
test_mutations(void **state)
{
    struct layout lay;
    size_t len;
    uint8_t *img = build_elf(violating, NSYMS(violating), &len, &lay);
    uint8_t *m = malloc(len);
    uint32_t x = 2463534242u;
    enum abi_result r;

    assert_non_null(m);
    for (int round = 0; round < 20000; round++) {
        memcpy(m, img, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;    /* xorshift32 */
            m[x % len] = (uint8_t)(x >> 8);
        }
        r = abi_check(&rules, "m.abi3.so", m, len, NULL, 0);
        assert_true(r == ABI_OK || r == ABI_NOT_STABLE || r == ABI_BAD_ELF);
    }
    free(m);
    free(img);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untagged),
        cmocka_unit_test(test_version_tag),
        cmocka_unit_test(test_abi3_compliant),
        cmocka_unit_test(test_abi3_violating),
        cmocka_unit_test(test_abi3_many_violations),
        cmocka_unit_test(test_abi3_not_elf),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_corrupted_fields),
        cmocka_unit_test(test_unterminated_name),
        cmocka_unit_test(test_mutations),
    };

    return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
