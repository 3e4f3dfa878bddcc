/* ABI audit of extension modules: the file name's tag against the embedded
 * interpreter, and an abi3 module's imported Py/_Py symbols against the
 * stable ABI. The ELF image is hostile input: every read is bounds-checked
 * and copied out, never cast in place (offsets need not be aligned). */
#include <elf.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/abi.h"

/* Only modules for this machine's word size and byte order can load here. */
#if __ELF_NATIVE_CLASS == 64
#define NATIVE_CLASS ELFCLASS64
#else
#define NATIVE_CLASS ELFCLASS32
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif
#define ST_BIND(info) ((info) >> 4)     /* ELF32_ST_BIND and ELF64_ST_BIND alike */

#define SHOWN_MAX 4                     /* offending names quoted in the detail */

static enum abi_result
say(enum abi_result res, char *detail, size_t detaillen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum abi_result
say(enum abi_result res, char *detail, size_t detaillen, const char *fmt, ...)
{
    va_list ap;

    if (detail != NULL && detaillen > 0) {
        va_start(ap, fmt);
        vsnprintf(detail, detaillen, fmt, ap);
        va_end(ap);
    }
    return res;
}

/* Copy n bytes at off out of the image, or fail. */
static int
image_read(const uint8_t *data, size_t len, uint64_t off, size_t n, void *out)
{
    if (off > len || n > len - off)
        return -1;
    memcpy(out, data + off, n);
    return 0;
}

static int
section(const uint8_t *data, size_t len, const ElfW(Ehdr) *eh, uint64_t i, ElfW(Shdr) *sh)
{
    if (i > (UINT64_MAX - eh->e_shoff) / sizeof(*sh))
        return -1;
    return image_read(data, len, eh->e_shoff + i * sizeof(*sh), sizeof(*sh), sh);
}

static int
cmp_name(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static int
is_stable(const struct abi_rules *r, const char *name)
{
    return bsearch(name, r->stable, r->n_stable, sizeof(*r->stable), cmp_name) != NULL;
}

/* The undefined Py and _Py symbols of an ELF image, each checked against the
 * stable ABI. Section headers, not the dynamic segment: every linker writes
 * them, and a module stripped of them is refused rather than guessed at. */
static enum abi_result
audit_imports(const struct abi_rules *r, const uint8_t *data, size_t len,
              char *detail, size_t detaillen)
{
    char shown[256] = "";
    ElfW(Ehdr) eh;
    ElfW(Shdr) sh, strsh;
    ElfW(Sym) sym;
    uint64_t nsec, nsym, i;
    size_t bad = 0, used = 0;
    const char *name;
    int n;

    if (image_read(data, len, 0, sizeof(eh), &eh) != 0 ||
        memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        return say(ABI_BAD_ELF, detail, detaillen, "not an ELF file");
    if (eh.e_ident[EI_CLASS] != NATIVE_CLASS || eh.e_ident[EI_DATA] != NATIVE_DATA)
        return say(ABI_BAD_ELF, detail, detaillen, "ELF class or byte order of another machine");
    if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(sh))
        return say(ABI_BAD_ELF, detail, detaillen, "no section headers");
    /* Past 0xff00 sections the count lives in section 0 (ELF extended numbering). */
    nsec = eh.e_shnum;
    if (nsec == 0) {
        if (section(data, len, &eh, 0, &sh) != 0)
            return say(ABI_BAD_ELF, detail, detaillen, "section headers out of bounds");
        nsec = sh.sh_size;
    }
    if (eh.e_shoff > len || nsec > (len - eh.e_shoff) / sizeof(sh))
        return say(ABI_BAD_ELF, detail, detaillen, "section headers out of bounds");
    for (i = 0; i < nsec; i++) {
        (void)section(data, len, &eh, i, &sh);  /* in bounds: checked above */
        if (sh.sh_type == SHT_DYNSYM)
            break;
    }
    if (i == nsec)
        return say(ABI_BAD_ELF, detail, detaillen, "no dynamic symbol table");
    if (sh.sh_entsize != sizeof(sym) || sh.sh_offset > len || sh.sh_size > len - sh.sh_offset ||
        section(data, len, &eh, sh.sh_link, &strsh) != 0 || strsh.sh_type != SHT_STRTAB ||
        strsh.sh_offset > len || strsh.sh_size > len - strsh.sh_offset)
        return say(ABI_BAD_ELF, detail, detaillen, "malformed dynamic symbol table");

    nsym = sh.sh_size / sizeof(sym);
    for (i = 1; i < nsym; i++) {            /* entry 0 is the null symbol */
        if (image_read(data, len, sh.sh_offset + i * sizeof(sym), sizeof(sym), &sym) != 0)
            return say(ABI_BAD_ELF, detail, detaillen, "symbol out of bounds");
        if (sym.st_shndx != SHN_UNDEF ||
            (ST_BIND(sym.st_info) != STB_GLOBAL && ST_BIND(sym.st_info) != STB_WEAK))
            continue;
        if (sym.st_name >= strsh.sh_size)
            return say(ABI_BAD_ELF, detail, detaillen, "symbol name out of bounds");
        name = (const char *)data + strsh.sh_offset + sym.st_name;
        if (memchr(name, '\0', strsh.sh_size - sym.st_name) == NULL)
            return say(ABI_BAD_ELF, detail, detaillen, "unterminated symbol name");
        if (strncmp(name, "Py", 2) != 0 && strncmp(name, "_Py", 3) != 0)
            continue;
        if (is_stable(r, name))
            continue;
        if (bad++ < SHOWN_MAX) {
            n = snprintf(shown + used, sizeof(shown) - used, "%s%.*s", bad > 1 ? ", " : "",
                         64, name);
            if (n > 0 && (size_t)n < sizeof(shown) - used)
                used += (size_t)n;
        }
    }
    if (bad == 0)
        return ABI_OK;
    return say(ABI_NOT_STABLE, detail, detaillen,
               "imports %zu symbol%s outside the stable ABI: %s%s", bad, bad == 1 ? "" : "s",
               shown, bad > SHOWN_MAX ? ", ..." : "");
}

enum abi_result
abi_check(const struct abi_rules *r, const char *name, const uint8_t *data, size_t len,
          char *detail, size_t detaillen)
{
    const char *dot;
    size_t n = strlen(name), stem;

    if (n < 3 || strcmp(name + n - 3, ".so") != 0)
        return ABI_UNTAGGED;
    stem = n - 3;
    if (stem >= 5 && memcmp(name + stem - 5, ".abi3", 5) == 0)
        return audit_imports(r, data, len, detail, detaillen);
    /* NAME.TAG.so: module names have no dots, so TAG is what follows the last. */
    for (dot = name + stem; dot > name && dot[-1] != '.'; dot--)
        ;
    if (dot == name || strncmp(dot, "cpython-", 8) != 0)
        return ABI_UNTAGGED;
    if (strlen(r->soabi) == (size_t)(name + stem - dot) &&
        memcmp(dot, r->soabi, (size_t)(name + stem - dot)) == 0)
        return ABI_OK;
    return say(ABI_WRONG_TAG, detail, detaillen, "built for %.*s, not for %s",
               (int)(name + stem - dot), dot, r->soabi);
}
