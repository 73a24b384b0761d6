/* SPDX-License-Identifier: MIT */
/*
 * overflow_report.c - the line green_overflow_handler_install()'s handler
 * writes when a greenlet overflows its stack, shared by the platforms'
 * handlers (overflow.c on POSIX, os_win32.c on Windows). It runs inside a
 * signal or exception handler: no stdio, no allocation, one write.
 */
#include <stdint.h>

#include "internal.h"

/* Appends a string or a hex number to buf (at most cap bytes). */
static size_t put_str(char *buf, size_t len, size_t cap, const char *s)
{
    while (*s && len < cap)
        buf[len++] = *s++;
    return len;
}

static size_t put_hex(char *buf, size_t len, size_t cap, uintptr_t v)
{
    char tmp[2 + 2 * sizeof v];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    len = put_str(buf, len, cap, "0x");
    while (n > 0 && len < cap)
        buf[len++] = tmp[--n];
    return len;
}

void green__overflow_report(const struct green *g,
                            const struct green__stack *st,
                            const char *below, uintptr_t below_start,
                            const char *fault, uintptr_t addr)
{
    char line[320];
    size_t n = 0, cap = sizeof line - 1;
    uintptr_t lo = (uintptr_t)st->base;
    n = put_str(line, n, cap, "libgreen: greenlet stack overflow: greenlet ");
    n = put_hex(line, n, cap, (uintptr_t)g);
    n = put_str(line, n, cap, g->mode == GREEN_STACK_COPY
                                  ? ", shared stack (copy mode) "
                                  : ", stack ");
    n = put_hex(line, n, cap, lo);
    n = put_str(line, n, cap, "-");
    n = put_hex(line, n, cap, lo + green__stack_bytes(st));
    n = put_str(line, n, cap, ", ");
    n = put_str(line, n, cap, below);
    n = put_str(line, n, cap, " ");
    n = put_hex(line, n, cap, below_start);
    n = put_str(line, n, cap, "-");
    n = put_hex(line, n, cap, lo);
    n = put_str(line, n, cap, ", ");
    n = put_str(line, n, cap, fault);
    n = put_str(line, n, cap, " at ");
    n = put_hex(line, n, cap, addr);
    line[n++] = '\n';
    green__os_write_err(line, n);
}
