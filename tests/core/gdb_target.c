/* SPDX-License-Identifier: MIT */
/*
 * gdb_target.c - a program for the debugger test (ctest core_gdb_backtrace).
 *
 * gdb stops at gdb_target_breakpoint(), called from a greenlet's run
 * function; its backtrace must go through gdb_target_run() down to the
 * greenlet's entry frame (green_arch_entry) and end there
 * without "previous frame inner to this frame (corrupt stack?)".
 */
#include <stdio.h>

#include "green.h"

__attribute__((noinline)) void gdb_target_breakpoint(int depth)
{
    /* something gdb cannot optimise away */
    __asm__ volatile("" ::"r"(depth) : "memory");
}

__attribute__((noinline)) static int gdb_target_nested(int n)
{
    if (n == 0) {
        gdb_target_breakpoint(n);
        return 0;
    }
    return gdb_target_nested(n - 1) + 1;
}

__attribute__((noinline)) int gdb_target_run(green_t *self, void *in,
                                             void **out)
{
    (void)self;
    /* switch away and back once, so that the stop happens on a stack that
     * has been suspended and resumed */
    green_switch(green_main(), in, NULL);
    *out = (void *)(size_t)gdb_target_nested(3);
    return GREEN_OK;
}

/* Runs in between, so that with copy-mode greenlets (GREEN_STACK_MODE=copy)
 * the first one's stack is saved and restored before the stop. */
__attribute__((noinline)) static int gdb_target_other(green_t *self,
                                                      void *in, void **out)
{
    (void)self;
    volatile char scribble[4096];
    for (size_t i = 0; i < sizeof scribble; i++)
        scribble[i] = (char)i;
    *out = (void *)(size_t)(unsigned char)scribble[(size_t)in];
    return GREEN_OK;
}

int main(void)
{
    green_t *g = NULL, *other = NULL;
    if (green_create(&g, gdb_target_run, NULL, NULL) != GREEN_OK ||
        green_create(&other, gdb_target_other, NULL, NULL) != GREEN_OK)
        return 1;
    void *r = NULL;
    if (green_switch(g, NULL, &r) != GREEN_OK)
        return 2;
    if (green_switch(other, (void *)(size_t)7, &r) != GREEN_OK ||
        (size_t)r != 7)
        return 4;
    if (green_switch(g, NULL, &r) != GREEN_OK || (size_t)r != 3)
        return 3;
    green_release(other);
    green_release(g);
    puts("gdb_target: done");
    return 0;
}
