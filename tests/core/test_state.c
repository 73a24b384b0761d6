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

/* Ping-pong through green_switch()'s fast path: both sides wait inside
 * green_switch(), so after the first switches no state byte is written;
 * green_state() must still tell the running greenlet from the suspended
 * one on both sides, switching to the running greenlet must be a
 * self-switch, and a greenlet that died must stay dead to switches. */
enum { PINGS = 100 };
struct pingpong {
    int self_state[PINGS], main_state[PINGS];
    int self_switch_rc;
    void *self_switch_value;
};
static struct pingpong pp;

static int run_pingpong(green_t *self, void *in, void **out)
{
    green_t *m = green_main();
    void *v = in;
    for (int i = 0; i < PINGS; i++) {
        pp.self_state[i] = green_state(self);
        pp.main_state[i] = green_state(m);
        if (green_switch(m, v, &v) != GREEN_OK)
            return GREEN_THROWN;
    }
    pp.self_switch_rc = green_switch(self, V(7), &pp.self_switch_value);
    *out = v;
    return GREEN_OK;
}

static void test_states_across_fast_switches(void **state)
{
    (void)state;
    memset(&pp, 0, sizeof pp);
    green_t *m = green_main();
    green_t *g = make(run_pingpong, NULL);
    void *v = NULL;
    for (int i = 0; i < PINGS; i++) {
        assert_ok(green_switch(g, V(i), &v));
        assert_ptr_equal(v, V(i));
        assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
        assert_int_equal(green_state(m), GREEN_STATE_RUNNING);
        assert_ptr_equal(green_current(), m);
        /* main switching to itself: nothing moves */
        void *self_v = NULL;
        assert_ok(green_switch(m, V(i + 1000), &self_v));
        assert_ptr_equal(self_v, V(i + 1000));
        assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    }
    for (int i = 0; i < PINGS; i++) {
        assert_int_equal(pp.self_state[i], GREEN_STATE_RUNNING);
        assert_int_equal(pp.main_state[i], GREEN_STATE_SUSPENDED);
    }
    /* the last switch in: g switches to itself, then returns */
    assert_ok(green_switch(g, V(5), &v));
    assert_ptr_equal(v, V(5));
    assert_int_equal(pp.self_switch_rc, GREEN_OK);
    assert_ptr_equal(pp.self_switch_value, V(7));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_int_equal(green_state(m), GREEN_STATE_RUNNING);
    /* dead after fast switches: a switch says so and changes nothing; a
     * throw reaches its first live ancestor, the caller */
    v = V(9);
    assert_int_equal(green_switch(g, V(1), &v), GREEN_EDEAD);
    assert_ptr_equal(v, V(9));
    assert_int_equal(green_throw(g, V(1), &v), GREEN_THROWN);
    assert_ptr_equal(v, V(1));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ptr_equal(green_current(), m);
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
        cmocka_unit_test(test_states_across_fast_switches),
        cmocka_unit_test(test_state_values_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
