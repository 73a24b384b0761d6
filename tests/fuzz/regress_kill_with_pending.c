/* SPDX-License-Identifier: MIT */
/*
 * regress_kill_with_pending.c - found by fuzz_core.
 *
 * Greenlet x runs; another thread releases x's last reference, so x's kill
 * is queued for this thread (x is running: green.h says it is killed once
 * it switches away). x then releases the last reference to y, a suspended
 * greenlet of the same thread: green.h says y is killed at once (its
 * pending switch returns GREEN_EXIT, it returns, it is freed) before
 * green_release() returns. The library instead takes the queued kill on
 * y's stack before y sees its exit: x, suspended in the kill of y, is
 * resumed there with the exit meant for it, so x's green_release(y)
 * simply returns; y never sees GREEN_EXIT and stays suspended, and
 * neither greenlet is ever freed.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <green.h>

static void count_free(void *counter) { ++*(int *)counter; }

static void *release_there(void *g)
{
    green_release(g);
    return NULL;
}

static void release_on_other_thread(green_t *g)
{
    pthread_t th;
    if (pthread_create(&th, NULL, release_there, g) == 0)
        pthread_join(th, NULL);
}

static int frees_x, frees_y, y_rc = -100, x_rc = -100;
static int y_freed_after_release = -1, y_rc_after_release = -100;

static int y_run(green_t *self, void *in, void **out)
{
    (void)in;
    green_t *parent = NULL;
    green_get_parent(self, &parent);
    y_rc = green_switch(parent, NULL, NULL); /* suspended until killed */
    *out = NULL;
    return y_rc;
}

static int x_run(green_t *self, void *in, void **out)
{
    green_t *y = in;
    green_t *parent = NULL;
    green_get_parent(self, &parent);
    /* The caller handed over its only reference to x: it goes on another
     * thread while x runs. */
    release_on_other_thread(self);
    green_release(y); /* the last reference to suspended y */
    y_rc_after_release = y_rc;
    y_freed_after_release = frees_y;
    x_rc = green_switch(parent, NULL, NULL); /* x is killed here */
    *out = NULL;
    return GREEN_OK;
}

static void test_kill_while_kills_are_queued(void **state)
{
    (void)state;
    green_attr a = GREEN_ATTR_INIT;
    green_t *x = NULL, *y = NULL;
    a.userdata = &frees_y;
    a.userdata_free = count_free;
    assert_int_equal(green_create(&y, y_run, NULL, &a), GREEN_OK);
    a.userdata = &frees_x;
    assert_int_equal(green_create(&x, x_run, NULL, &a), GREEN_OK);
    assert_int_equal(green_switch(y, NULL, NULL), GREEN_OK);
    assert_int_equal(green_state(y), GREEN_STATE_SUSPENDED);
    /* x gets our references to x and y. */
    assert_int_equal(green_switch(x, y, NULL), GREEN_OK);
    assert_int_equal(y_rc_after_release, GREEN_EXIT);
    assert_int_equal(y_freed_after_release, 1);
    assert_int_equal(x_rc, GREEN_EXIT);
    assert_int_equal(green_switch(green_current(), NULL, NULL), GREEN_OK);
    assert_int_equal(frees_x, 1);
    assert_int_equal(frees_y, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_while_kills_are_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
