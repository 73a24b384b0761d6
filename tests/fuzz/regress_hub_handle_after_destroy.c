/* SPDX-License-Identifier: MIT */
/*
 * regress_hub_handle_after_destroy.c - found while extending fuzz_hub to
 * green_hub_destroy().
 *
 * green_hub.h: green_hub_destroy() "frees the hub. Handles stay valid until
 * released"; green_thread_wait() "A thread may be joined any number of
 * times"; GREEN_ETHREAD is for calls "from another thread". After
 * green_hub_destroy(), on the same thread, a finished handle answers
 * green_thread_done() and green_thread_release(), but green_thread_wait(),
 * green_thread_retain() and green_thread_kill() return GREEN_ETHREAD (the
 * handle's hub is gone, and the check compares hubs). The header now says
 * so: after the destroy a handle takes done() and release(), and the other
 * calls return GREEN_ETHREAD, as for another hub's handle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <green_hub.h>

static int quick(void *arg, void **out)
{
    *out = arg;
    return GREEN_OK;
}

static void test_finished_handle_after_destroy(void **state)
{
    (void)state;
    green_thread_t *t = NULL;
    int arg;
    assert_int_equal(green_hub_spawn(&t, quick, &arg), GREEN_OK);
    assert_int_equal(green_hub_sleep(0), GREEN_OK); /* it runs, finishes */
    assert_int_equal(green_thread_done(t), 1);
    void *res = NULL;
    assert_int_equal(green_thread_wait(t, 0, &res), GREEN_OK);
    assert_ptr_equal(res, &arg);

    assert_int_equal(green_hub_destroy(), GREEN_OK);
    assert_int_equal(green_thread_done(t), 1);
    res = &res;
    assert_int_equal(green_thread_wait(t, 0, &res), GREEN_ETHREAD);
    assert_ptr_equal(res, &res); /* unchanged */
    assert_int_equal(green_thread_kill(t), GREEN_ETHREAD);
    assert_int_equal(green_thread_retain(t), GREEN_ETHREAD);
    assert_int_equal(green_thread_done(t), 1);
    assert_int_equal(green_thread_release(t), GREEN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finished_handle_after_destroy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
