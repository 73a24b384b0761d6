/* SPDX-License-Identifier: MIT */
/*
 * stack_mappings_limit.c - how many suspended greenlets a process can hold.
 *
 * Each greenlet's stack is its own mapping with a guard page below it: two
 * memory mappings per suspended greenlet, which cannot merge with their
 * neighbours. With Linux's default vm.max_map_count (65530), a process
 * holds about 32,000 suspended greenlets; then green_switch() into a new
 * one fails with GREEN_ENOSTACK. Python's greenlet package (which copies
 * stacks to the heap) has no such limit, so servers holding more
 * connections than that hit it on this binding (MemoryError) in the
 * default (guarded) stack mode. Documented in bindings/python/README.md.
 *
 * Since then the core has GREEN_STACK_COPY, which has no such limit (the
 * binding offers it: GREEN_STACK_MODE=copy or libgreen.set_stack_mode()).
 * GREEN_STACK_AUTO falls back to copy mode only once a stack cannot be
 * mapped; by then the process has no mappings left for anything else
 * either (CPython's arenas, malloc's large blocks, thread stacks), so a
 * Python program fails with MemoryError elsewhere right after (seen with
 * 32,512 greenlets). Falling back earlier (say, past a number of guarded
 * stacks, or near the map count limit read from
 * /proc/sys/vm/max_map_count) would make AUTO useful as a default.
 *
 * Build and run:
 *   cc -I libgreen/include stack_mappings_limit.c \
 *      -L build/libgreen -Wl,-rpath,build/libgreen -lgreen -o /tmp/sml
 *   /tmp/sml
 * Prints the count reached and the error (GREEN_ENOSTACK).
 */
#include <stdio.h>
#include <stdlib.h>

#include "green.h"

static int run(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    (void)out;
    green_switch(green_main(), NULL, NULL);
    return GREEN_OK;
}

int main(void)
{
    int n = 0;
    for (;;) {
        green_t *g;
        if (green_create(&g, run, NULL, NULL) != GREEN_OK)
            break;
        int rc = green_switch(g, NULL, NULL);
        if (rc < 0) {
            printf("%d suspended greenlets, then %s\n", n,
                   green_error_name(rc));
            return 0;
        }
        n++;
        if (n == 1000000)
            break;
    }
    printf("%d suspended greenlets\n", n);
    return 0;
}
