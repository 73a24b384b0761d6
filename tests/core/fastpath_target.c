/* SPDX-License-Identifier: MIT */
/*
 * fastpath_target.c - a program for the debugger test of green_switch()'s
 * fast path (ctest core_gdb_fastpath).
 *
 * A generator and its caller switch to each other 1,000 times each, both
 * waiting in green_switch(), with no hook installed. Where the machine
 * layer does that common case itself (x86-64, aarch64), only the first
 * switch, which starts the generator, calls green__switch_prepare(); gdb
 * counts the calls with a breakpoint.
 */
#include <stdint.h>
#include <stdio.h>

#include "green.h"

#define ROUNDS 1000

static int generate(green_t *self, void *in, void **out)
{
    green_t *parent = NULL;
    if (green_get_parent(self, &parent) != GREEN_OK)
        return GREEN_THROWN;
    intptr_t sum = (intptr_t)in;
    for (intptr_t i = 0; i < ROUNDS; i++) {
        void *back = NULL;
        if (green_switch(parent, (void *)i, &back) != GREEN_OK)
            return GREEN_THROWN;
        sum += (intptr_t)back;
    }
    *out = (void *)sum;
    return GREEN_OK;
}

int main(void)
{
    green_attr attr = GREEN_ATTR_INIT;
    attr.stack_mode = GREEN_STACK_GUARDED;
    green_t *g = NULL;
    if (green_create(&g, generate, NULL, &attr) != GREEN_OK)
        return 1;
    void *v = NULL;
    intptr_t got = 0;
    int rc = green_switch(g, (void *)1, &v);
    for (int i = 0; rc == GREEN_OK && i < ROUNDS; i++) {
        got += (intptr_t)v;
        rc = green_switch(g, (void *)2, &v);
    }
    /* the generator yielded 0 .. ROUNDS-1, then returned 1 + 2 * ROUNDS */
    if (rc != GREEN_OK || got != (intptr_t)ROUNDS * (ROUNDS - 1) / 2 ||
        (intptr_t)v != 1 + 2 * ROUNDS)
        return 2;
    green_release(g);
    puts("fastpath_target: done");
    return 0;
}
