/* SPDX-License-Identifier: MIT */
/*
 * test_switch.c - green_switch(): starting, values both ways, switch to
 * self, where a finished greenlet's result goes, generators, nesting.
 */
#include "common.h"

/* What a run function saw when it started. */
struct seen {
    int started;
    green_t *self;
    void *in;
    void *out_initial;
    green_t *current;
    int self_state;
    int main_state;
};
static struct seen seen;

static int run_record(green_t *self, void *in, void **out)
{
    seen.started++;
    seen.self = self;
    seen.in = in;
    seen.out_initial = *out;
    seen.current = green_current();
    seen.self_state = green_state(self);
    seen.main_state = green_state(green_main());
    *out = V(100);
    return GREEN_OK;
}

static void test_first_switch_starts(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    green_t *g = make(run_record, NULL);
    assert_int_equal(seen.started, 0);
    void *r = NULL;
    assert_ok(green_switch(g, V(1), &r));
    assert_int_equal(seen.started, 1);
    assert_ptr_equal(seen.self, g);
    assert_ptr_equal(seen.in, V(1));
    assert_null(seen.out_initial);
    assert_ptr_equal(seen.current, g);
    assert_int_equal(seen.self_state, GREEN_STATE_RUNNING);
    assert_int_equal(seen.main_state, GREEN_STATE_SUSPENDED);
    /* finished: its result came back to the parent */
    assert_ptr_equal(r, V(100));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ptr_equal(green_current(), green_main());
    assert_int_equal(green_state(green_main()), GREEN_STATE_RUNNING);
    /* a dead greenlet cannot be switched to; nothing changes */
    r = V(55);
    assert_int_equal(green_switch(g, V(2), &r), GREEN_EDEAD);
    assert_ptr_equal(r, V(55));
    assert_int_equal(seen.started, 1);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ptr_equal(green_current(), green_main());
    assert_ok(green_release(g));
}

/* Echo server: adds 1 to what it receives, until it receives NULL. */
static int run_echo(green_t *self, void *in, void **out)
{
    green_t *parent = NULL;
    green_get_parent(self, &parent);
    uintptr_t v = (uintptr_t)in;
    for (;;) {
        void *r = NULL;
        int rc = green_switch(parent, (void *)(v + 1), &r);
        if (rc != GREEN_OK)
            return rc;
        if (!r)
            break;
        v = (uintptr_t)r;
    }
    *out = V(0xdead);
    return GREEN_OK;
}

static void test_values_both_ways(void **state)
{
    (void)state;
    green_t *g = make(run_echo, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, (void *)(uintptr_t)10, &r));
    assert_int_equal((uintptr_t)r, 11);
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    for (uintptr_t i = 20; i < 200; i += 7) {
        assert_ok(green_switch(g, (void *)i, &r));
        assert_int_equal((uintptr_t)r, i + 1);
        assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
        assert_ptr_equal(green_current(), green_main());
    }
    /* result may be NULL */
    assert_ok(green_switch(g, (void *)(uintptr_t)5, NULL));
    assert_ok(green_switch(g, NULL, &r));
    assert_ptr_equal(r, V(0xdead));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

static int self_rc, self_rc2;
static void *self_r;

static int run_switch_self(green_t *self, void *in, void **out)
{
    (void)in;
    self_r = NULL;
    self_rc = green_switch(self, V(7), &self_r);
    self_rc2 = green_switch(green_current(), V(8), NULL);
    *out = V(9);
    return GREEN_OK;
}

static void test_switch_to_self(void **state)
{
    (void)state;
    void *r = NULL;
    assert_ok(green_switch(green_current(), V(3), &r));
    assert_ptr_equal(r, V(3));
    assert_ok(green_switch(green_main(), V(4), NULL));
    assert_int_equal(green_state(green_main()), GREEN_STATE_RUNNING);

    green_t *g = make(run_switch_self, NULL);
    self_rc = self_rc2 = -100;
    assert_ok(green_switch(g, NULL, &r));
    assert_int_equal(self_rc, GREEN_OK);
    assert_ptr_equal(self_r, V(7));
    assert_int_equal(self_rc2, GREEN_OK);
    assert_ptr_equal(r, V(9));
    assert_ok(green_release(g));
}

static int run_return_in(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static void test_result_to_parent(void **state)
{
    (void)state;
    /* The parent receives the result even when another greenlet started
     * the child: here a greenlet A starts C whose parent is main. */
    green_t *c = make(run_return_in, NULL);
    void *r = NULL;
    assert_ok(green_switch(c, V(21), &r));
    assert_ptr_equal(r, V(21));
    assert_ok(green_release(c));
}

/* Starts the greenlet it receives, then reports what came back. */
static void *starter_got;
static int starter_rc;
static int run_starter(green_t *self, void *in, void **out)
{
    (void)self;
    starter_rc = green_switch((green_t *)in, V(31), &starter_got);
    *out = V(32);
    return GREEN_OK;
}

static void test_result_to_parent_not_switcher(void **state)
{
    (void)state;
    green_t *c = make(run_return_in, NULL); /* parent: main */
    green_t *a = make(run_starter, NULL);
    void *r = NULL;
    starter_got = NULL;
    starter_rc = -100;
    assert_ok(green_switch(a, c, &r));
    /* c's result went to main, not to a, which stays suspended */
    assert_ptr_equal(r, V(31));
    assert_int_equal(green_state(c), GREEN_STATE_DEAD);
    assert_int_equal(green_state(a), GREEN_STATE_SUSPENDED);
    assert_int_equal(starter_rc, -100);
    assert_ok(green_switch(a, V(33), &r));
    assert_int_equal(starter_rc, GREEN_OK);
    assert_ptr_equal(starter_got, V(33));
    assert_ptr_equal(r, V(32));
    assert_ok(green_release(a));
    assert_ok(green_release(c));
}

static int run_yield_then_return(green_t *self, void *in, void **out)
{
    green_t *p = NULL;
    green_get_parent(self, &p);
    void *r = NULL;
    int rc = green_switch(p, in, &r);
    if (rc != GREEN_OK)
        return rc;
    *out = r;
    return GREEN_OK;
}

static void test_result_to_live_ancestor(void **state)
{
    (void)state;
    /* a: parent main; b: parent a. b is suspended while a dies. */
    green_t *a = make(run_yield_then_return, NULL);
    green_t *b = make(run_yield_then_return, a);
    void *r = NULL;
    assert_ok(green_switch(a, V(1), &r));
    assert_ptr_equal(r, V(1));
    assert_ok(green_switch(b, V(2), &r)); /* b yields to a (suspended) */
    /* a got b's value as its pending switch's result and returned it */
    assert_ptr_equal(r, V(2));
    assert_int_equal(green_state(a), GREEN_STATE_DEAD);
    assert_int_equal(green_state(b), GREEN_STATE_SUSPENDED);
    /* b finishes: its parent a is dead, main receives the result */
    assert_ok(green_switch(b, V(3), &r));
    assert_ptr_equal(r, V(3));
    assert_int_equal(green_state(b), GREEN_STATE_DEAD);
    assert_ptr_equal(parent_of(b), a);
    assert_ok(green_release(b));
    assert_ok(green_release(a));
}

static void test_result_skips_dead_chain(void **state)
{
    (void)state;
    /* A chain of dead ancestors, created dead: d1 <- d2 <- d3 <- c */
    green_t *d1 = make(run_return_in, NULL);
    assert_ok(green_switch(d1, NULL, NULL));
    green_t *d2 = make(run_return_in, d1);
    void *r = NULL;
    /* d2 never ran; killing it passes the payload to d1's live ancestor */
    assert_ok(green_throw_exit(d2, V(4), &r));
    assert_ptr_equal(r, V(4));
    green_t *d3 = make(run_return_in, d2);
    assert_ok(green_switch(d3, V(5), &r));
    assert_ptr_equal(r, V(5));
    green_t *c = make(run_return_in, d3);
    assert_ok(green_switch(c, V(6), &r));
    assert_ptr_equal(r, V(6));
    assert_int_equal(green_state(c), GREEN_STATE_DEAD);
    assert_ok(green_release(c));
    assert_ok(green_release(d3));
    assert_ok(green_release(d2));
    assert_ok(green_release(d1));
}

static struct {
    int runs;
    void *in;
} parent_seen;

static int run_parent_records(green_t *self, void *in, void **out)
{
    (void)self;
    parent_seen.runs++;
    parent_seen.in = in;
    *out = (void *)((uintptr_t)in + 1);
    return GREEN_OK;
}

static void test_new_parent_started_by_result(void **state)
{
    (void)state;
    memset(&parent_seen, 0, sizeof parent_seen);
    green_t *p = make(run_parent_records, NULL);
    green_t *c = make(run_return_in, p);
    void *r = NULL;
    assert_ok(green_switch(c, (void *)(uintptr_t)40, &r));
    /* c's result started p with it; p's result came to main */
    assert_int_equal(parent_seen.runs, 1);
    assert_int_equal((uintptr_t)parent_seen.in, 40);
    assert_int_equal((uintptr_t)r, 41);
    assert_int_equal(green_state(p), GREEN_STATE_DEAD);
    assert_int_equal(green_state(c), GREEN_STATE_DEAD);
    assert_ok(green_release(c));
    assert_ok(green_release(p));
}

static int run_throws(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_THROWN;
}

static void test_new_parent_killed_by_thrown_result(void **state)
{
    (void)state;
    memset(&parent_seen, 0, sizeof parent_seen);
    green_t *p = make(run_parent_records, NULL);
    green_t *c = make(run_throws, p);
    void *r = NULL;
    /* An error reaching a greenlet that never started kills it unstarted
     * and goes on to its parent. */
    assert_int_equal(green_switch(c, V(44), &r), GREEN_THROWN);
    assert_ptr_equal(r, V(44));
    assert_int_equal(parent_seen.runs, 0);
    assert_int_equal(green_state(p), GREEN_STATE_DEAD);
    assert_int_equal(green_state(c), GREEN_STATE_DEAD);
    assert_ok(green_release(c));
    assert_ok(green_release(p));
}

/* Yields 0..n-1 to its parent, then returns n. */
static int run_gen(green_t *self, void *in, void **out)
{
    green_t *p = NULL;
    green_get_parent(self, &p);
    uintptr_t n = (uintptr_t)in;
    for (uintptr_t i = 0; i < n; i++) {
        int rc = green_switch(p, (void *)i, NULL);
        if (rc != GREEN_OK)
            return rc;
    }
    *out = (void *)n;
    return GREEN_OK;
}

static void test_generator(void **state)
{
    (void)state;
    green_t *g = make(run_gen, NULL);
    uintptr_t expect = 0;
    void *r = NULL;
    assert_ok(green_switch(g, (void *)(uintptr_t)50, &r));
    while (green_state(g) != GREEN_STATE_DEAD) {
        assert_int_equal((uintptr_t)r, expect);
        expect++;
        assert_ok(green_switch(g, NULL, &r));
    }
    assert_int_equal(expect, 50);
    assert_int_equal((uintptr_t)r, 50);
    assert_ok(green_release(g));
}

static void test_two_generators_interleaved(void **state)
{
    (void)state;
    green_t *a = make(run_gen, NULL);
    green_t *b = make(run_gen, NULL);
    void *ra = NULL, *rb = NULL;
    assert_ok(green_switch(a, (void *)(uintptr_t)10, &ra));
    assert_ok(green_switch(b, (void *)(uintptr_t)20, &rb));
    for (uintptr_t i = 0; i < 10; i++) {
        assert_int_equal((uintptr_t)ra, i);
        assert_int_equal((uintptr_t)rb, i);
        assert_ok(green_switch(a, NULL, &ra));
        assert_ok(green_switch(b, NULL, &rb));
    }
    assert_int_equal(green_state(a), GREEN_STATE_DEAD);
    assert_int_equal((uintptr_t)ra, 10);
    assert_int_equal(green_state(b), GREEN_STATE_SUSPENDED);
    assert_int_equal((uintptr_t)rb, 10);
    assert_ok(green_release(a));
    assert_ok(green_release(b)); /* killed */
}

/* Each level creates the next (default parent: itself) and starts it with
 * depth - 1; the innermost checks the parent chain and returns 0; each
 * level adds its depth to its child's result. */
static int chain_ok;
static int run_chain(green_t *self, void *in, void **out)
{
    uintptr_t depth = (uintptr_t)in;
    if (depth == 0) {
        /* walk up to main */
        green_t *p = self;
        int n = 0;
        while (p && !green_is_main(p)) {
            if (green_state(p) != (p == self ? GREEN_STATE_RUNNING
                                              : GREEN_STATE_SUSPENDED))
                chain_ok = 0;
            green_get_parent(p, &p);
            n++;
        }
        if (p != green_main() || n != 31)
            chain_ok = 0;
        *out = NULL;
        return GREEN_OK;
    }
    green_t *child = NULL;
    if (green_create(&child, run_chain, NULL, NULL) != GREEN_OK)
        return GREEN_THROWN;
    void *r = NULL;
    int rc = green_switch(child, (void *)(depth - 1), &r);
    green_release(child);
    if (rc != GREEN_OK)
        return rc;
    *out = (void *)((uintptr_t)r + depth);
    return GREEN_OK;
}

static void test_nested_chain(void **state)
{
    (void)state;
    chain_ok = 1;
    green_t *g = make(run_chain, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, (void *)(uintptr_t)30, &r));
    assert_int_equal((uintptr_t)r, 30 * 31 / 2);
    assert_true(chain_ok);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

/* Two greenlets passing a counter back and forth, then to main. */
static green_t *ping, *pong;
static int run_pingpong(green_t *self, void *in, void **out)
{
    green_t *other = self == ping ? pong : ping;
    uintptr_t v = (uintptr_t)in;
    while (v < 1000) {
        void *r = NULL;
        int rc = green_switch(other, (void *)(v + 1), &r);
        if (rc != GREEN_OK)
            return rc;
        v = (uintptr_t)r;
    }
    *out = (void *)v;
    return GREEN_OK;
}

static void test_sibling_ping_pong(void **state)
{
    (void)state;
    ping = make(run_pingpong, NULL);
    pong = make(run_pingpong, NULL);
    void *r = NULL;
    assert_ok(green_switch(ping, (void *)(uintptr_t)0, &r));
    /* whichever reached 1000 returned it to main */
    assert_int_equal((uintptr_t)r, 1000);
    int dead = (green_state(ping) == GREEN_STATE_DEAD) +
               (green_state(pong) == GREEN_STATE_DEAD);
    assert_int_equal(dead, 1);
    assert_ok(green_release(ping));
    assert_ok(green_release(pong));
}

static void test_switch_to_main_from_child(void **state)
{
    (void)state;
    green_t *g = make(run_yield_then_return, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, V(60), &r));
    assert_ptr_equal(r, V(60));
    assert_ok(green_switch(g, V(61), &r));
    assert_ptr_equal(r, V(61));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_switch_starts),
        cmocka_unit_test(test_values_both_ways),
        cmocka_unit_test(test_switch_to_self),
        cmocka_unit_test(test_result_to_parent),
        cmocka_unit_test(test_result_to_parent_not_switcher),
        cmocka_unit_test(test_result_to_live_ancestor),
        cmocka_unit_test(test_result_skips_dead_chain),
        cmocka_unit_test(test_new_parent_started_by_result),
        cmocka_unit_test(test_new_parent_killed_by_thrown_result),
        cmocka_unit_test(test_generator),
        cmocka_unit_test(test_two_generators_interleaved),
        cmocka_unit_test(test_nested_chain),
        cmocka_unit_test(test_sibling_ping_pong),
        cmocka_unit_test(test_switch_to_main_from_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
