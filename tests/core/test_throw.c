/* SPDX-License-Identifier: MIT */
/*
 * test_throw.c - green_throw() and green_throw_exit(): errors at the
 * suspension point, unstarted and dead targets, errors as results, exit.
 */
#include "common.h"

/* What a greenlet's pending switch returned. */
struct caught {
    int runs;
    int rc;
    void *value;
};
static struct caught caught;

/* Yields to its parent once; records what that switch returned and
 * finishes with a result derived from it. */
static int run_catch(green_t *self, void *in, void **out)
{
    caught.runs++;
    green_t *p = NULL;
    green_get_parent(self, &p);
    void *r = V(888);
    int rc = green_switch(p, in, &r);
    caught.rc = rc;
    caught.value = r;
    *out = V(500 + rc);
    return GREEN_OK;
}

static int runs_never;
static int run_never(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    (void)out;
    runs_never++;
    return GREEN_OK;
}

static void test_throw_at_suspension_point(void **state)
{
    (void)state;
    memset(&caught, 0, sizeof caught);
    green_t *g = make(run_catch, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, V(1), &r));
    assert_ptr_equal(r, V(1));
    /* it catches the error and returns normally */
    assert_ok(green_throw(g, V(2), &r));
    assert_int_equal(caught.rc, GREEN_THROWN);
    assert_ptr_equal(caught.value, V(2));
    assert_ptr_equal(r, V(500 + GREEN_THROWN));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

/* Lets the error reach its top: returns GREEN_THROWN with the payload. */
static int run_propagate(green_t *self, void *in, void **out)
{
    green_t *p = NULL;
    green_get_parent(self, &p);
    void *r = NULL;
    int rc = green_switch(p, in, &r);
    *out = r;
    return rc;
}

static void test_uncaught_throw_reaches_parent(void **state)
{
    (void)state;
    green_t *g = make(run_propagate, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, V(1), &r));
    assert_int_equal(green_throw(g, V(3), &r), GREEN_THROWN);
    assert_ptr_equal(r, V(3));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

static void test_throw_into_new_caller_is_parent(void **state)
{
    (void)state;
    runs_never = 0;
    green_t *g = make(run_never, NULL);
    void *r = NULL;
    assert_int_equal(green_throw(g, V(4), &r), GREEN_THROWN);
    assert_ptr_equal(r, V(4));
    assert_int_equal(runs_never, 0);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ptr_equal(green_current(), green_main());
    /* dead for good */
    assert_int_equal(green_switch(g, NULL, NULL), GREEN_EDEAD);
    assert_int_equal(runs_never, 0);
    assert_ok(green_release(g));
}

static void test_throw_into_new_goes_to_suspended_parent(void **state)
{
    (void)state;
    memset(&caught, 0, sizeof caught);
    runs_never = 0;
    green_t *h = make(run_catch, NULL);
    void *r = NULL;
    assert_ok(green_switch(h, V(1), &r));
    green_t *g = make(run_never, h);
    /* g dies unstarted; h's pending switch gets the error; h then returns
     * normally, so main (h's parent) gets h's result as a value */
    assert_ok(green_throw(g, V(5), &r));
    assert_int_equal(runs_never, 0);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_int_equal(caught.rc, GREEN_THROWN);
    assert_ptr_equal(caught.value, V(5));
    assert_ptr_equal(r, V(500 + GREEN_THROWN));
    assert_int_equal(green_state(h), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
    assert_ok(green_release(h));
}

static void test_throw_into_new_chain_of_new(void **state)
{
    (void)state;
    runs_never = 0;
    /* a <- b <- c, all new: the error kills all of them on its way up */
    green_t *a = make(run_never, NULL);
    green_t *b = make(run_never, a);
    green_t *c = make(run_never, b);
    void *r = NULL;
    assert_int_equal(green_throw(c, V(6), &r), GREEN_THROWN);
    assert_ptr_equal(r, V(6));
    assert_int_equal(runs_never, 0);
    assert_int_equal(green_state(a), GREEN_STATE_DEAD);
    assert_int_equal(green_state(b), GREEN_STATE_DEAD);
    assert_int_equal(green_state(c), GREEN_STATE_DEAD);
    assert_ok(green_release(c));
    assert_ok(green_release(b));
    assert_ok(green_release(a));
}

static int run_return_in(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static void test_throw_into_dead(void **state)
{
    (void)state;
    green_t *g = make(run_return_in, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    void *r = NULL;
    /* its first live ancestor is the caller */
    assert_int_equal(green_throw(g, V(7), &r), GREEN_THROWN);
    assert_ptr_equal(r, V(7));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));

    /* a dead greenlet whose first live ancestor is suspended */
    memset(&caught, 0, sizeof caught);
    green_t *h = make(run_catch, NULL);
    assert_ok(green_switch(h, V(1), &r));
    green_t *d = make(run_return_in, h);
    /* d finishes: its result goes to h... */
    assert_ok(green_switch(d, V(8), &r));
    /* ...whose pending switch returned it, and h returned normally */
    assert_int_equal(caught.rc, GREEN_OK);
    assert_ptr_equal(caught.value, V(8));
    assert_int_equal(green_state(h), GREEN_STATE_DEAD);
    assert_ok(green_release(d));
    assert_ok(green_release(h));

    memset(&caught, 0, sizeof caught);
    h = make(run_catch, NULL);
    assert_ok(green_switch(h, V(1), &r));
    green_t *d1 = make(run_return_in, h);
    green_t *d2 = make(run_return_in, d1);
    /* kill d1 and d2 unstarted with exit: the payload reaches h as a value */
    assert_ok(green_throw_exit(d2, V(9), &r));
    assert_int_equal(caught.rc, GREEN_OK);
    assert_ptr_equal(caught.value, V(9));
    assert_ok(green_release(d2));
    assert_ok(green_release(d1));
    assert_ok(green_release(h));

    memset(&caught, 0, sizeof caught);
    h = make(run_catch, NULL);
    assert_ok(green_switch(h, V(1), &r));
    d1 = make(run_return_in, h);
    d2 = make(run_return_in, d1);
    assert_ok(green_switch(d2, V(10), &r)); /* d2 -> starts d1 -> h */
    assert_int_equal(caught.rc, GREEN_OK);
    assert_ptr_equal(caught.value, V(10));
    assert_int_equal(green_state(h), GREEN_STATE_DEAD);
    assert_ok(green_release(h));
    /* now h, d1 and d2 are dead: a throw into d2 reaches main */
    assert_int_equal(green_throw(d2, V(11), &r), GREEN_THROWN);
    assert_ptr_equal(r, V(11));
    assert_ok(green_release(d2));
    assert_ok(green_release(d1));
}

static void test_throw_into_dead_reaches_suspended_ancestor(void **state)
{
    (void)state;
    memset(&caught, 0, sizeof caught);
    void *r = NULL;
    green_t *h = make(run_catch, NULL);
    assert_ok(green_switch(h, V(1), &r));
    green_t *d = make(run_never, h);
    /* kill d unstarted: the exit payload reaches h as a value and h
     * finishes. Use a second catcher to make d's ancestor live again. */
    runs_never = 0;
    green_t *h2 = make(run_catch, NULL);
    assert_ok(green_switch(h2, V(1), &r));
    assert_ok(green_set_parent(d, h2));
    assert_ok(green_release(h));
    /* make d dead: it was new, throw_exit into it kills it, h2 gets a value */
    memset(&caught, 0, sizeof caught);
    assert_ok(green_throw_exit(d, V(12), &r));
    assert_int_equal(caught.rc, GREEN_OK);
    assert_ptr_equal(caught.value, V(12));
    assert_int_equal(green_state(h2), GREEN_STATE_DEAD);
    assert_ok(green_release(h2));
    /* now give the dead d a live suspended ancestor and throw into it */
    green_t *h3 = make(run_catch, NULL);
    assert_ok(green_switch(h3, V(1), &r));
    assert_ok(green_set_parent(d, h3));
    memset(&caught, 0, sizeof caught);
    assert_ok(green_throw(d, V(13), &r));
    assert_int_equal(caught.rc, GREEN_THROWN);
    assert_ptr_equal(caught.value, V(13));
    assert_ptr_equal(r, V(500 + GREEN_THROWN));
    assert_int_equal(runs_never, 0);
    assert_ok(green_release(h3));
    assert_ok(green_release(d));
}

static int run_ret_code;
static int run_return_code(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return run_ret_code;
}

static void test_run_returning_thrown(void **state)
{
    (void)state;
    static const int codes[] = {GREEN_THROWN, 42, -1, GREEN_EDEAD, 1000};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        run_ret_code = codes[i];
        green_t *g = make(run_return_code, NULL);
        void *r = NULL;
        assert_int_equal(green_switch(g, V(20 + i), &r), GREEN_THROWN);
        assert_ptr_equal(r, V(20 + i));
        assert_int_equal(green_state(g), GREEN_STATE_DEAD);
        assert_ok(green_release(g));
    }
    /* a run function returning GREEN_EXIT finishes normally */
    run_ret_code = GREEN_EXIT;
    green_t *g = make(run_return_code, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, V(30), &r));
    assert_ptr_equal(r, V(30));
    assert_ok(green_release(g));
}

static void test_thrown_result_into_suspended_parent(void **state)
{
    (void)state;
    memset(&caught, 0, sizeof caught);
    void *r = NULL;
    green_t *h = make(run_catch, NULL);
    assert_ok(green_switch(h, V(1), &r));
    run_ret_code = GREEN_THROWN;
    green_t *c = make(run_return_code, h);
    assert_ok(green_switch(c, V(31), &r));
    assert_int_equal(caught.rc, GREEN_THROWN);
    assert_ptr_equal(caught.value, V(31));
    assert_ptr_equal(r, V(500 + GREEN_THROWN));
    assert_ok(green_release(c));
    assert_ok(green_release(h));
}

static void test_throw_exit_at_suspension_point(void **state)
{
    (void)state;
    memset(&caught, 0, sizeof caught);
    green_t *g = make(run_catch, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, V(1), &r));
    /* caught: returns normally with its own result */
    assert_ok(green_throw_exit(g, V(40), &r));
    assert_int_equal(caught.rc, GREEN_EXIT);
    assert_ptr_equal(caught.value, V(40));
    assert_ptr_equal(r, V(500 + GREEN_EXIT));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

static void test_exit_reaching_top_is_a_value(void **state)
{
    (void)state;
    /* run_propagate returns GREEN_EXIT with the payload as *out */
    green_t *g = make(run_propagate, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, V(1), &r));
    assert_ok(green_throw_exit(g, V(41), &r));
    assert_ptr_equal(r, V(41));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

static void test_exit_into_new(void **state)
{
    (void)state;
    runs_never = 0;
    green_t *g = make(run_never, NULL);
    void *r = NULL;
    assert_ok(green_throw_exit(g, V(42), &r));
    assert_ptr_equal(r, V(42));
    assert_int_equal(runs_never, 0);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));

    /* with a suspended parent: it receives the payload as a value */
    memset(&caught, 0, sizeof caught);
    green_t *h = make(run_catch, NULL);
    assert_ok(green_switch(h, V(1), &r));
    g = make(run_never, h);
    assert_ok(green_throw_exit(g, V(43), &r));
    assert_int_equal(caught.rc, GREEN_OK);
    assert_ptr_equal(caught.value, V(43));
    assert_int_equal(runs_never, 0);
    assert_ok(green_release(g));
    assert_ok(green_release(h));
}

static void test_exit_into_dead(void **state)
{
    (void)state;
    green_t *g = make(run_return_in, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    void *r = V(7);
    /* The exit error would pass to the first live ancestor, main: a main
     * greenlet cannot be killed, so nothing happens. */
    assert_int_equal(green_throw_exit(g, V(44), &r), GREEN_EMAIN);
    assert_ptr_equal(r, V(7));
    assert_int_equal(green_state(green_main()), GREEN_STATE_RUNNING);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

/* From a greenlet whose dead child's first live ancestor is main (via a
 * dead parent), and from one that is itself that ancestor. */
static int exit_dead_rc[2];
static void *exit_dead_r[2];
static int run_exit_dead_children(green_t *self, void *in, void **out)
{
    (void)in;
    green_t *dead_of_main = make(run_return_in, green_main());
    green_switch(dead_of_main, NULL, NULL); /* dies, result to main */
    /* resumed by main: now a child of ours that dies */
    green_t *mine = make(run_return_in, self);
    green_switch(mine, NULL, NULL); /* its result comes back here */
    exit_dead_r[0] = V(8);
    exit_dead_rc[0] = green_throw_exit(dead_of_main, V(9), &exit_dead_r[0]);
    exit_dead_r[1] = V(8);
    exit_dead_rc[1] = green_throw_exit(mine, V(10), &exit_dead_r[1]);
    green_release(dead_of_main);
    green_release(mine);
    *out = V(11);
    return GREEN_OK;
}

static void test_exit_into_dead_from_greenlet(void **state)
{
    (void)state;
    green_t *g = make(run_exit_dead_children, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r)); /* dead_of_main's result */
    assert_ok(green_switch(g, NULL, &r));
    assert_ptr_equal(r, V(11));
    assert_int_equal(exit_dead_rc[0], GREEN_EMAIN);
    assert_ptr_equal(exit_dead_r[0], V(8));
    /* the dead child of a live greenlet passes the exit on to it */
    assert_int_equal(exit_dead_rc[1], GREEN_EXIT);
    assert_ptr_equal(exit_dead_r[1], V(10));
    assert_ok(green_release(g));
}

static int main_rc;
static void *main_r;
static int run_main_ops(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    green_t *m = green_main();
    main_r = V(1);
    main_rc = green_throw_exit(m, V(2), &main_r);
    /* throw into main is allowed: main's pending switch gets it */
    int rc = green_throw(m, V(50), NULL);
    *out = V(600 + rc);
    return GREEN_OK;
}

static void test_main_cannot_be_killed(void **state)
{
    (void)state;
    green_t *m = green_main();
    void *r = V(3);
    assert_int_equal(green_throw_exit(m, V(4), &r), GREEN_EMAIN);
    assert_ptr_equal(r, V(3));
    assert_int_equal(green_state(m), GREEN_STATE_RUNNING);
    assert_ptr_equal(green_current(), m);

    green_t *g = make(run_main_ops, NULL);
    assert_int_equal(green_switch(g, NULL, &r), GREEN_THROWN);
    assert_ptr_equal(r, V(50));
    assert_int_equal(main_rc, GREEN_EMAIN);
    assert_ptr_equal(main_r, V(1));
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    /* resume g: its throw returns what we send */
    assert_ok(green_switch(g, NULL, &r));
    assert_ptr_equal(r, V(600 + GREEN_OK));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

static void test_throw_into_self(void **state)
{
    (void)state;
    void *r = NULL;
    assert_int_equal(green_throw(green_current(), V(60), &r), GREEN_THROWN);
    assert_ptr_equal(r, V(60));
    assert_ptr_equal(green_current(), green_main());
    assert_int_equal(green_state(green_main()), GREEN_STATE_RUNNING);
}

static int self_throw_rc, self_exit_rc;
static void *self_throw_r, *self_exit_r;
static int run_throw_self(green_t *self, void *in, void **out)
{
    (void)in;
    self_throw_rc = green_throw(self, V(61), &self_throw_r);
    self_exit_rc = green_throw_exit(self, V(62), &self_exit_r);
    *out = V(63);
    return GREEN_OK;
}

static void test_throw_exit_into_self(void **state)
{
    (void)state;
    green_t *g = make(run_throw_self, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r));
    assert_ptr_equal(r, V(63));
    assert_int_equal(self_throw_rc, GREEN_THROWN);
    assert_ptr_equal(self_throw_r, V(61));
    assert_int_equal(self_exit_rc, GREEN_EXIT);
    assert_ptr_equal(self_exit_r, V(62));
    assert_ok(green_release(g));
}

static void test_throw_null_result(void **state)
{
    (void)state;
    green_t *g = make(run_never, NULL);
    assert_int_equal(green_throw(g, V(1), NULL), GREEN_THROWN);
    assert_ok(green_release(g));
    g = make(run_never, NULL);
    assert_ok(green_throw_exit(g, V(1), NULL));
    assert_ok(green_release(g));
}

/* Throws into a sibling, which sends a value back. */
static green_t *sib_a, *sib_b;
static int sib_rc;
static void *sib_r;
static int run_sib_a(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    sib_rc = green_throw(sib_b, V(70), &sib_r);
    *out = V(71);
    return GREEN_OK;
}
static int run_sib_b(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    void *r = NULL;
    int rc = green_switch(green_main(), NULL, &r);
    /* answer the thrower */
    green_switch(sib_a, V(80 + rc), NULL);
    *out = r;
    return GREEN_OK;
}

static void test_throw_between_siblings(void **state)
{
    (void)state;
    sib_a = make(run_sib_a, NULL);
    sib_b = make(run_sib_b, NULL);
    void *r = NULL;
    assert_ok(green_switch(sib_b, NULL, &r));
    assert_ok(green_switch(sib_a, NULL, &r));
    assert_int_equal(sib_rc, GREEN_OK);
    assert_ptr_equal(sib_r, V(80 + GREEN_THROWN));
    assert_ptr_equal(r, V(71));
    assert_int_equal(green_state(sib_b), GREEN_STATE_SUSPENDED);
    assert_ok(green_switch(sib_b, NULL, &r));
    assert_ptr_equal(r, V(70));
    assert_ok(green_release(sib_a));
    assert_ok(green_release(sib_b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throw_at_suspension_point),
        cmocka_unit_test(test_uncaught_throw_reaches_parent),
        cmocka_unit_test(test_throw_into_new_caller_is_parent),
        cmocka_unit_test(test_throw_into_new_goes_to_suspended_parent),
        cmocka_unit_test(test_throw_into_new_chain_of_new),
        cmocka_unit_test(test_throw_into_dead),
        cmocka_unit_test(test_throw_into_dead_reaches_suspended_ancestor),
        cmocka_unit_test(test_run_returning_thrown),
        cmocka_unit_test(test_thrown_result_into_suspended_parent),
        cmocka_unit_test(test_throw_exit_at_suspension_point),
        cmocka_unit_test(test_exit_reaching_top_is_a_value),
        cmocka_unit_test(test_exit_into_new),
        cmocka_unit_test(test_exit_into_dead),
        cmocka_unit_test(test_exit_into_dead_from_greenlet),
        cmocka_unit_test(test_main_cannot_be_killed),
        cmocka_unit_test(test_throw_into_self),
        cmocka_unit_test(test_throw_exit_into_self),
        cmocka_unit_test(test_throw_null_result),
        cmocka_unit_test(test_throw_between_siblings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
