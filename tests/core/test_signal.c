/* SPDX-License-Identifier: MIT */
/*
 * test_signal.c - the functions green.h lists as async-signal-safe,
 * called from signal handlers.
 *
 * A handler must not allocate: it may have interrupted malloc(). This
 * executable defines malloc(), calloc() and realloc(), which libgreen's
 * calls resolve to, and counts the calls made while a handler runs. The
 * first test is a thread that has never used libgreen, whose first call
 * (green_current(), in a handler) sets its state up. (Left out of
 * sanitizer builds, whose runtimes own malloc.)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t in_handler;
static atomic_long allocs_in_handler;

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

void *malloc(size_t size)
{
    if (in_handler)
        allocs_in_handler++;
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    if (in_handler)
        allocs_in_handler++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (in_handler)
        allocs_in_handler++;
    return __libc_realloc(p, size);
}

/* What the handler saw. */
static green_t *seen_current, *seen_main, *seen_parent;
static int seen_state, seen_is_main, seen_retain;
static void *seen_userdata;

static void on_signal(int sig)
{
    (void)sig;
    in_handler = 1;
    seen_current = green_current();
    seen_main = green_main();
    seen_state = green_state(seen_current);
    seen_is_main = green_is_main(seen_current);
    seen_userdata = green_get_userdata(seen_current);
    seen_parent = V(1);
    green_get_parent(seen_current, &seen_parent);
    seen_retain = green_retain(seen_current);
    in_handler = 0;
}

static void *fresh_thread(void *arg)
{
    (void)arg;
    raise(SIGUSR1); /* the thread's first libgreen call is in the handler */
    return green_current();
}

static void test_first_call_in_handler(void **state)
{
    (void)state;
    allocs_in_handler = 0;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, fresh_thread, NULL), 0);
    void *after = NULL;
    assert_int_equal(pthread_join(th, &after), 0);
    assert_int_equal(allocs_in_handler, 0);
    assert_non_null(seen_current);
    assert_ptr_equal(seen_current, seen_main);
    assert_ptr_equal(seen_current, after); /* the same state afterwards */
    assert_int_equal(seen_state, GREEN_STATE_RUNNING);
    assert_int_equal(green_state(seen_current), GREEN_STATE_DEAD); /* ended */
    assert_int_equal(seen_is_main, 1);
    assert_null(seen_parent);
    assert_int_equal(seen_retain, GREEN_OK);
    assert_ok(green_release(seen_current)); /* the handler's reference */
}

static int run_signalled(green_t *self, void *in, void **out)
{
    (void)in;
    green_set_userdata(self, V(5), NULL);
    raise(SIGUSR1);
    *out = NULL;
    return GREEN_OK;
}

static void test_inside_a_greenlet(void **state)
{
    (void)state;
    allocs_in_handler = 0;
    green_t *g = make(run_signalled, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(allocs_in_handler, 0);
    assert_ptr_equal(seen_current, g);
    assert_ptr_equal(seen_main, green_main());
    assert_int_equal(seen_state, GREEN_STATE_RUNNING);
    assert_int_equal(seen_is_main, 0);
    assert_ptr_equal(seen_userdata, V(5));
    assert_ptr_equal(seen_parent, green_main());
    assert_ok(green_release(g)); /* the handler's reference */
    assert_ok(green_release(g));
}

int main(void)
{
    /* Allocations are counted only if this executable's malloc() is the
     * one libgreen calls. */
    in_handler = 1;
    void *(*volatile m)(size_t) = malloc;
    void *p = m(16);
    int counted = allocs_in_handler == 1;
    in_handler = 0;
    allocs_in_handler = 0;
    free(p);
    if (!counted)
        return 77;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_call_in_handler),
        cmocka_unit_test(test_inside_a_greenlet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
