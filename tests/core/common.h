/* SPDX-License-Identifier: MIT */
/*
 * common.h - small helpers shared by the core tests.
 *
 * Run functions record what they saw into plain structs; the assertions are
 * made on the main greenlet afterwards wherever possible, so that a failing
 * assertion never unwinds across greenlet stacks.
 */
#ifndef GREEN_TEST_COMMON_H
#define GREEN_TEST_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "green.h"

/* ThreadSanitizer counts every greenlet that has run as a thread of its
 * own until it ends, and stops a process at 8,128 of them: tests that hold
 * more suspended greenlets than that skip in its builds. */
#ifdef __SANITIZE_THREAD__
#define SKIP_UNDER_TSAN(why)                                                  \
    do {                                                                      \
        print_message("skipped under ThreadSanitizer: %s\n", why);            \
        skip();                                                               \
    } while (0)
#else
#define SKIP_UNDER_TSAN(why) ((void)0)
#endif

/* Values passed around: distinct, recognisable, never dereferenced. */
#define V(n) ((void *)(uintptr_t)(0x1000u + (unsigned)(n)))

#define assert_ok(expr) assert_int_equal((expr), GREEN_OK)

/* The parent of g, asserting that the query works. */
static inline green_t *parent_of(green_t *g)
{
    green_t *p = V(999);
    assert_ok(green_get_parent(g, &p));
    return p;
}

/* Creates a greenlet with the defaults and the given parent. */
static inline green_t *make(green_run_fn run, green_t *parent)
{
    green_t *g = NULL;
    assert_ok(green_create(&g, run, parent, NULL));
    assert_non_null(g);
    return g;
}

/* Counts frees of userdata: attach with track(g, &counter). */
struct freed {
    int count;
    void *last;
};

static inline void freed_fn(void *ud)
{
    /* userdata points at a struct freed. */
    struct freed *f = ud;
    f->count++;
    f->last = ud;
}

static inline void track(green_t *g, struct freed *f)
{
    memset(f, 0, sizeof *f);
    assert_ok(green_set_userdata(g, f, freed_fn));
}

#endif
