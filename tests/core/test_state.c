/* SPDX-License-Identifier: MIT */
/*
 * test_state.c - green_state() through a greenlet's life, green_is_main().
 */
#include "common.h"

struct observed {
    int self_running;
    int main_state;
    int other_state;
    int self_after_resume;
    int is_main_self;
    int is_main_main;
};
static struct observed obs;
static green_t *other;

static int run_observe(green_t *self, void *in, void **out)
{
    (void)in;
    obs.self_running = green_state(self);
    obs.main_state = green_state(green_main());
    obs.other_state = other ? green_state(other) : 0;
    obs.is_main_self = green_is_main(self);
    obs.is_main_main = green_is_main(green_main());
    green_switch(green_main(), NULL, NULL);
    obs.self_after_resume = green_state(self);
    *out = NULL;
    return GREEN_OK;
}

static void test_lifecycle(void **state)
{
    (void)state;
    memset(&obs, 0, sizeof obs);
    other = NULL;
    green_t *g = make(run_observe, NULL);
    assert_int_equal(green_state(g), GREEN_STATE_NEW);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(obs.self_running, GREEN_STATE_RUNNING);
    assert_int_equal(obs.main_state, GREEN_STATE_SUSPENDED);
    assert_int_equal(obs.is_main_self, 0);
    assert_int_equal(obs.is_main_main, 1);
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    assert_int_equal(green_state(green_main()), GREEN_STATE_RUNNING);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(obs.self_after_resume, GREEN_STATE_RUNNING);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

static void test_other_greenlets_states(void **state)
{
    (void)state;
    memset(&obs, 0, sizeof obs);
    /* a suspended greenlet stays suspended while another runs */
    green_t *a = make(run_observe, NULL);
    assert_ok(green_switch(a, NULL, NULL));
    other = a;
    green_t *b = make(run_observe, NULL);
    assert_ok(green_switch(b, NULL, NULL));
    assert_int_equal(obs.other_state, GREEN_STATE_SUSPENDED);
    /* a new one stays new */
    green_t *n = make(run_observe, NULL);
    other = n;
    green_t *c = make(run_observe, NULL);
    assert_ok(green_switch(c, NULL, NULL));
    assert_int_equal(obs.other_state, GREEN_STATE_NEW);
    other = NULL;
    assert_ok(green_release(a)); /* killed: exit thrown */
    assert_ok(green_release(b));
    assert_ok(green_release(c));
    assert_int_equal(green_state(n), GREEN_STATE_NEW);
    assert_ok(green_release(n));
}

static int run_return(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static void test_killed_states(void **state)
{
    (void)state;
    /* killed before starting */
    green_t *g = make(run_return, NULL);
    assert_ok(green_throw_exit(g, NULL, NULL));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
    g = make(run_return, NULL);
    assert_int_equal(green_throw(g, NULL, NULL), GREEN_THROWN);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
    /* killed while suspended */
    memset(&obs, 0, sizeof obs);
    g = make(run_observe, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    assert_ok(green_throw_exit(g, NULL, NULL));
    assert_int_equal(obs.self_after_resume, GREEN_STATE_RUNNING);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

static void test_main_state(void **state)
{
    (void)state;
    green_t *m = green_main();
    assert_non_null(m);
    assert_ptr_equal(green_main(), m); /* stable */
    assert_ptr_equal(green_current(), m);
    assert_int_equal(green_state(m), GREEN_STATE_RUNNING);
    assert_int_equal(green_is_main(m), 1);
    assert_int_equal(green_state(NULL), GREEN_EINVAL);
    assert_int_equal(green_is_main(NULL), GREEN_EINVAL);
}

static void test_state_values_distinct(void **state)
{
    (void)state;
    /* states never collide with the error codes */
    int s[] = {GREEN_STATE_NEW, GREEN_STATE_RUNNING, GREEN_STATE_SUSPENDED,
               GREEN_STATE_DEAD};
    for (int i = 0; i < 4; i++) {
        assert_true(s[i] > 0);
        for (int j = 0; j < i; j++)
            assert_true(s[i] != s[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_state),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_other_greenlets_states),
        cmocka_unit_test(test_killed_states),
        cmocka_unit_test(test_state_values_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
