/* SPDX-License-Identifier: MIT */
/*
 * test_null.c - every function given a NULL handle or pointer returns
 * GREEN_EINVAL (NULL for green_get_userdata) and changes nothing.
 */
#include "common.h"

static int ran;
static int run_count(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    (void)out;
    ran++;
    return GREEN_OK;
}

static void test_null_handles(void **state)
{
    (void)state;
    green_t *m = green_main();
    void *r = V(1);
    green_t *p = V(2);

    assert_int_equal(green_create(NULL, run_count, NULL, NULL), GREEN_EINVAL);
    green_t *g = V(3);
    assert_int_equal(green_create(&g, NULL, NULL, NULL), GREEN_EINVAL);
    assert_null(g);
    assert_int_equal(green_attr_init(NULL), GREEN_EINVAL);
    assert_int_equal(green_retain(NULL), GREEN_EINVAL);
    assert_int_equal(green_release(NULL), GREEN_EINVAL);
    assert_int_equal(green_switch(NULL, V(4), &r), GREEN_EINVAL);
    assert_int_equal(green_switch(NULL, V(4), NULL), GREEN_EINVAL);
    assert_int_equal(green_throw(NULL, V(4), &r), GREEN_EINVAL);
    assert_int_equal(green_throw_exit(NULL, V(4), &r), GREEN_EINVAL);
    assert_ptr_equal(r, V(1));
    assert_int_equal(green_get_parent(NULL, &p), GREEN_EINVAL);
    assert_ptr_equal(p, V(2));
    assert_int_equal(green_get_parent(m, NULL), GREEN_EINVAL);
    assert_int_equal(green_get_parent(NULL, NULL), GREEN_EINVAL);
    assert_int_equal(green_set_parent(NULL, m), GREEN_EINVAL);
    assert_int_equal(green_set_parent(m, NULL), GREEN_EINVAL);
    assert_int_equal(green_state(NULL), GREEN_EINVAL);
    assert_int_equal(green_is_main(NULL), GREEN_EINVAL);
    assert_null(green_get_userdata(NULL));
    assert_int_equal(green_set_userdata(NULL, V(5), NULL), GREEN_EINVAL);
    assert_int_equal(green_hook_add(NULL, V(6)), GREEN_EINVAL);
    assert_int_equal(green_hook_remove(NULL, V(6)), GREEN_EINVAL);

    /* nothing changed */
    assert_ptr_equal(green_current(), m);
    assert_ptr_equal(green_main(), m);
    assert_int_equal(green_state(m), GREEN_STATE_RUNNING);
    assert_int_equal(ran, 0);
}

static void test_null_with_live_greenlet(void **state)
{
    (void)state;
    green_t *g = make(run_count, NULL);
    assert_int_equal(green_set_parent(g, NULL), GREEN_EINVAL);
    assert_ptr_equal(parent_of(g), green_main());
    assert_int_equal(green_get_parent(g, NULL), GREEN_EINVAL);
    assert_int_equal(green_state(g), GREEN_STATE_NEW);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(ran, 1);
    assert_ok(green_release(g));
}

static void test_null_result_pointers_ok(void **state)
{
    (void)state;
    /* result pointers may be NULL */
    assert_ok(green_switch(green_current(), V(1), NULL));
    assert_int_equal(green_throw(green_current(), V(1), NULL), GREEN_THROWN);
    green_t *g = make(run_count, NULL);
    assert_ok(green_throw_exit(g, V(1), NULL));
    assert_ok(green_release(g));
}

static void test_null_attr_is_default(void **state)
{
    (void)state;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_count, NULL, NULL));
    assert_null(green_get_userdata(g));
    assert_ok(green_release(g));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_handles),
        cmocka_unit_test(test_null_with_live_greenlet),
        cmocka_unit_test(test_null_result_pointers_ok),
        cmocka_unit_test(test_null_attr_is_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
