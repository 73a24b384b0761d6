/* SPDX-License-Identifier: MIT */
/*
 * kill_discards_result.c - the value a killed greenlet finishes with is
 * lost when the kill comes from the release of its last reference.
 *
 * green_release() of a suspended greenlet throws exit into it
 * (kill_orphan() in green.c) and discards what it finally returns: the
 * pending switch of the greenlet that was current gets nothing, and hooks
 * only see (origin, target). A binding whose values are owned references
 * (Python objects) cannot free that value, so every greenlet killed this
 * way leaks its result (and exception payload, for GREEN_THROWN).
 *
 * The Python binding works around it by never letting the core do such a
 * kill: it kills with green_throw_exit() itself (and takes the result),
 * and defers releases from other threads to the owner thread.
 *
 * What would help: a callback in green_attr (or a hook event carrying the
 * value) that receives a discarded value/payload so it can be freed.
 *
 * Build and run:
 *   cc -I libgreen/include kill_discards_result.c \
 *      -L build/libgreen -Wl,-rpath,build/libgreen -lgreen -o /tmp/kdr
 *   /tmp/kdr
 * Prints "allocated 1, freed 0": the result of the killed greenlet was
 * never handed to anyone.
 */
#include <stdio.h>
#include <stdlib.h>

#include "green.h"

static int allocated, freed;

static int run(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    void *r = NULL;
    int rc = green_switch(green_main(), NULL, &r); /* suspend */
    if (rc == GREEN_EXIT) {
        /* Cleanup, then finish with an owned value for the parent. */
        *out = malloc(16);
        allocated++;
        return GREEN_OK;
    }
    return GREEN_OK;
}

int main(void)
{
    green_t *g;
    if (green_create(&g, run, NULL, NULL) != GREEN_OK)
        return 1;
    green_switch(g, NULL, NULL); /* g starts and suspends */
    green_release(g);            /* kill: g's result goes nowhere */
    /* Nothing was delivered to us: no switch of ours is pending, and the
     * release returned GREEN_OK without the value. */
    printf("allocated %d, freed %d\n", allocated, freed);
    return allocated == freed ? 0 : 2;
}
