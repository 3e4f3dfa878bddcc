/* Small helpers shared by the cmocka tests (include after <cmocka.h>). */
#ifndef SPY_TESTUTIL_H
#define SPY_TESTUTIL_H

#include <stdarg.h>
#include <stdio.h>

/* printf into one of four rotating buffers: enough for an expected message
 * and the path inside it in one assertion. */
static inline char *tu_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *
tu_fmt(const char *fmt, ...)
{
    static char buf[4][1024];
    static int next;
    char *p = buf[next++ % 4];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p, sizeof(buf[0]), fmt, ap);
    va_end(ap);
    return p;
}

/* Write len bytes to path, failing the test on any error. */
static inline void
tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

#endif
