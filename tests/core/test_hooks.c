/* SPDX-License-Identifier: MIT */
/*
 * test_hooks.c - switch hooks: both phases with origin, target and event on
 * every switch; none on failing calls or on calls that do not change the
 * current greenlet; no switching from a hook; add, remove, order, limit.
 */
#include "common.h"

struct ev {
    void *data;
    int event, phase;
    green_t *origin, *target, *current;
};
#define MAXEV 256
static struct ev evs[MAXEV];
static int nev;

static void rec_hook(void *data, int event, int phase, green_t *origin,
                     green_t *target)
{
    if (nev < MAXEV) {
        struct ev *e = &evs[nev];
        e->data = data;
        e->event = event;
        e->phase = phase;
        e->origin = origin;
        e->target = target;
        e->current = green_current();
    }
    nev++;
}

static int setup(void **state)
{
    (void)state;
    nev = 0;
    return green_hook_add(rec_hook, NULL) == GREEN_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return green_hook_remove(rec_hook, NULL) == GREEN_OK ? 0 : -1;
}

/* Checks that events i and i+1 are the two phases of one switch. */
static void expect_switch(int i, int event, green_t *origin, green_t *target)
{
    assert_true(i + 1 < nev);
    assert_int_equal(evs[i].event, event);
    assert_int_equal(evs[i].phase, GREEN_PHASE_BEFORE);
    assert_ptr_equal(evs[i].origin, origin);
    assert_ptr_equal(evs[i].target, target);
    assert_ptr_equal(evs[i].current, origin);
    assert_int_equal(evs[i + 1].event, event);
    assert_int_equal(evs[i + 1].phase, GREEN_PHASE_AFTER);
    assert_ptr_equal(evs[i + 1].origin, origin);
    assert_ptr_equal(evs[i + 1].target, target);
    assert_ptr_equal(evs[i + 1].current, target);
}

static int nev_at_start;
/* Yields its input to its parent, returns with the code it then got. */
static int run_yield(green_t *self, void *in, void **out)
{
    nev_at_start = nev;
    green_t *p = NULL;
    green_get_parent(self, &p);
    void *r = NULL;
    int rc = green_switch(p, in, &r);
    *out = r;
    return rc;
}

static void test_switch_events(void **state)
{
    (void)state;
    green_t *m = green_main();
    green_t *g = make(run_yield, NULL);
    assert_int_equal(nev, 0); /* creating is not switching */
    nev_at_start = -1;
    assert_ok(green_switch(g, V(1), NULL));
    /* the AFTER phase runs before the run function */
    assert_int_equal(nev_at_start, 2);
    assert_int_equal(nev, 4);
    expect_switch(0, GREEN_EVENT_SWITCH, m, g);
    expect_switch(2, GREEN_EVENT_SWITCH, g, m);
    /* a result is a switch too */
    assert_ok(green_switch(g, V(2), NULL));
    assert_int_equal(nev, 8);
    expect_switch(4, GREEN_EVENT_SWITCH, m, g);
    expect_switch(6, GREEN_EVENT_SWITCH, g, m);
    assert_ok(green_release(g));
    assert_int_equal(nev, 8);
}

static void test_throw_events(void **state)
{
    (void)state;
    green_t *m = green_main();
    green_t *g = make(run_yield, NULL);
    assert_ok(green_switch(g, V(1), NULL));
    nev = 0;
    /* uncaught: a THROW goes in, a THROW result comes out */
    assert_int_equal(green_throw(g, V(2), NULL), GREEN_THROWN);
    assert_int_equal(nev, 4);
    expect_switch(0, GREEN_EVENT_THROW, m, g);
    expect_switch(2, GREEN_EVENT_THROW, g, m);
    assert_ok(green_release(g));
}

static void test_exit_events(void **state)
{
    (void)state;
    green_t *m = green_main();
    green_t *g = make(run_yield, NULL);
    assert_ok(green_switch(g, V(1), NULL));
    nev = 0;
    /* exit reaching the top is an ordinary result: SWITCH */
    void *r = NULL;
    assert_ok(green_throw_exit(g, V(2), &r));
    assert_ptr_equal(r, V(2));
    assert_int_equal(nev, 4);
    expect_switch(0, GREEN_EVENT_EXIT, m, g);
    expect_switch(2, GREEN_EVENT_SWITCH, g, m);
    assert_ok(green_release(g));
}

static void test_kill_on_release_events(void **state)
{
    (void)state;
    green_t *m = green_main();
    green_t *g = make(run_yield, NULL);
    assert_ok(green_switch(g, V(1), NULL));
    nev = 0;
    assert_ok(green_release(g));
    assert_int_equal(nev, 4);
    expect_switch(0, GREEN_EVENT_EXIT, m, g);
    expect_switch(2, GREEN_EVENT_SWITCH, g, m);
}

static int run_never(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    (void)out;
    return GREEN_OK;
}

static void test_unstarted_and_dead_targets(void **state)
{
    (void)state;
    green_t *m = green_main();
    /* the caller is the parent: no switch happens, no hook runs */
    green_t *g = make(run_never, NULL);
    assert_int_equal(green_throw(g, V(1), NULL), GREEN_THROWN);
    assert_int_equal(nev, 0);
    assert_int_equal(green_throw(g, V(1), NULL), GREEN_THROWN); /* dead */
    /* exit would reach main through the dead g: refused */
    assert_int_equal(green_throw_exit(g, V(1), NULL), GREEN_EMAIN);
    assert_int_equal(nev, 0);
    assert_ok(green_release(g));
    g = make(run_never, NULL);
    assert_ok(green_throw_exit(g, V(1), NULL));
    assert_int_equal(nev, 0);
    assert_ok(green_release(g));

    /* the parent h is suspended: the error goes to h */
    green_t *h = make(run_yield, NULL);
    assert_ok(green_switch(h, V(1), NULL));
    g = make(run_never, h);
    nev = 0;
    void *r = NULL;
    assert_int_equal(green_throw(g, V(2), &r), GREEN_THROWN);
    assert_ptr_equal(r, V(2));
    assert_int_equal(nev, 4);
    expect_switch(0, GREEN_EVENT_THROW, m, h);
    expect_switch(2, GREEN_EVENT_THROW, h, m);
    assert_ok(green_release(g));
    assert_ok(green_release(h));

    /* exit into an unstarted child of h: h receives a value */
    h = make(run_yield, NULL);
    assert_ok(green_switch(h, V(1), NULL));
    g = make(run_never, h);
    nev = 0;
    assert_ok(green_throw_exit(g, V(3), &r));
    assert_ptr_equal(r, V(3));
    assert_int_equal(nev, 4);
    expect_switch(0, GREEN_EVENT_SWITCH, m, h);
    expect_switch(2, GREEN_EVENT_SWITCH, h, m);
    assert_ok(green_release(g));
    assert_ok(green_release(h));
}

static int run_return(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static void test_no_hooks_on_failures_or_self(void **state)
{
    (void)state;
    green_t *m = green_main();
    void *r = NULL;
    assert_ok(green_switch(m, V(1), &r));
    assert_ok(green_switch(green_current(), V(1), &r));
    assert_int_equal(green_throw(m, V(1), &r), GREEN_THROWN);
    assert_int_equal(green_throw_exit(m, V(1), &r), GREEN_EMAIN);
    assert_int_equal(green_switch(NULL, V(1), &r), GREEN_EINVAL);
    assert_int_equal(green_throw(NULL, V(1), &r), GREEN_EINVAL);
    assert_int_equal(green_throw_exit(NULL, V(1), &r), GREEN_EINVAL);
    green_t *d = make(run_return, NULL);
    assert_ok(green_switch(d, NULL, NULL));
    nev = 0;
    assert_int_equal(green_switch(d, V(1), &r), GREEN_EDEAD);
    assert_int_equal(nev, 0);
    assert_ok(green_release(d));
    assert_int_equal(nev, 0);
}

static int victim_cleanups;

/* A hook that tries everything it must not do. */
struct busy {
    int calls;
    int sw, th, ex, add, rem, sw_self;
    green_t *victim; /* released from the hook when set */
    int victim_state_in_hook;
};
static struct busy busy;

static void noop_hook(void *data, int event, int phase, green_t *o,
                      green_t *t)
{
    (void)data;
    (void)event;
    (void)phase;
    (void)o;
    (void)t;
}

static void busy_hook(void *data, int event, int phase, green_t *origin,
                      green_t *target)
{
    (void)data;
    (void)event;
    busy.calls++;
    green_t *other = phase == GREEN_PHASE_BEFORE ? target : origin;
    busy.sw = green_switch(other, V(1), NULL);
    busy.sw_self = green_switch(green_current(), V(1), NULL);
    busy.th = green_throw(other, V(1), NULL);
    busy.ex = green_throw_exit(other, V(1), NULL);
    busy.add = green_hook_add(noop_hook, NULL);
    busy.rem = green_hook_remove(rec_hook, NULL);
    if (busy.victim && phase == GREEN_PHASE_BEFORE) {
        green_release(busy.victim);
        busy.victim = NULL;
        /* not killed inside the hook */
        busy.victim_state_in_hook = victim_cleanups;
    }
}

static int run_victim(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    green_switch(green_main(), NULL, NULL);
    victim_cleanups++;
    *out = NULL;
    return GREEN_OK;
}

static void test_hooks_cannot_switch(void **state)
{
    (void)state;
    memset(&busy, 0, sizeof busy);
    busy.sw = busy.th = busy.ex = busy.add = busy.rem = busy.sw_self = 99;
    assert_ok(green_hook_add(busy_hook, NULL));
    green_t *g = make(run_yield, NULL);
    nev = 0;
    void *r = NULL;
    assert_ok(green_switch(g, V(7), &r));
    assert_ptr_equal(r, V(7));
    assert_int_equal(busy.calls, 4);
    assert_int_equal(busy.sw, GREEN_EBUSY);
    assert_int_equal(busy.sw_self, GREEN_EBUSY);
    assert_int_equal(busy.th, GREEN_EBUSY);
    assert_int_equal(busy.ex, GREEN_EBUSY);
    assert_int_equal(busy.add, GREEN_EBUSY);
    assert_int_equal(busy.rem, GREEN_EBUSY);
    /* the refused calls changed nothing: still exactly one switch there
     * and back, both hooks still in place */
    assert_int_equal(nev, 4);
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    assert_ok(green_hook_remove(busy_hook, NULL));
    assert_int_equal(green_hook_remove(noop_hook, NULL), GREEN_EINVAL);
    assert_ok(green_release(g));
}

static void test_release_inside_hook(void **state)
{
    (void)state;
    memset(&busy, 0, sizeof busy);
    victim_cleanups = 0;
    green_t *v = make(run_victim, NULL);
    assert_ok(green_switch(v, NULL, NULL));
    assert_ok(green_hook_add(busy_hook, NULL));
    busy.victim = v;
    busy.victim_state_in_hook = -1;
    green_t *g = make(run_yield, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, V(8), &r));
    assert_ptr_equal(r, V(8));
    assert_ok(green_hook_remove(busy_hook, NULL));
    /* the hook released the last reference; the kill ran after it */
    assert_null(busy.victim);
    assert_int_equal(busy.victim_state_in_hook, 0);
    assert_int_equal(victim_cleanups, 1);
    assert_ok(green_release(g));
}

/* ---- add, remove, order, limit ---- */

static void test_order_and_duplicates(void **state)
{
    (void)state;
    /* rec_hook(NULL) from setup, then (A), then (B), then (A) again */
    int a = 0, b = 0;
    assert_ok(green_hook_add(rec_hook, &a));
    assert_ok(green_hook_add(rec_hook, &b));
    assert_ok(green_hook_add(rec_hook, &a));
    green_t *g = make(run_return, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    /* 2 switches x 2 phases x 4 hooks */
    assert_int_equal(nev, 16);
    void *order[4] = {NULL, &a, &b, &a};
    for (int i = 0; i < 16; i++) {
        assert_ptr_equal(evs[i].data, order[i % 4]);
        assert_int_equal(evs[i].phase,
                         i / 4 % 2 == 0 ? GREEN_PHASE_BEFORE
                                        : GREEN_PHASE_AFTER);
    }
    assert_ok(green_release(g));
    /* remove the first (rec_hook, &a): (b) then (a) remain after NULL */
    assert_ok(green_hook_remove(rec_hook, &a));
    nev = 0;
    g = make(run_return, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(nev, 12);
    void *order2[3] = {NULL, &b, &a};
    for (int i = 0; i < 12; i++)
        assert_ptr_equal(evs[i].data, order2[i % 3]);
    assert_ok(green_release(g));
    assert_ok(green_hook_remove(rec_hook, &a));
    assert_int_equal(green_hook_remove(rec_hook, &a), GREEN_EINVAL);
    assert_ok(green_hook_remove(rec_hook, &b));
    assert_int_equal(green_hook_remove(rec_hook, &b), GREEN_EINVAL);
    nev = 0;
    g = make(run_return, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(nev, 4); /* only the setup's hook is left */
    assert_ok(green_release(g));
}

static void test_add_remove_errors(void **state)
{
    (void)state;
    assert_int_equal(green_hook_add(NULL, NULL), GREEN_EINVAL);
    assert_int_equal(green_hook_remove(NULL, NULL), GREEN_EINVAL);
    assert_int_equal(green_hook_remove(noop_hook, NULL), GREEN_EINVAL);
    int x;
    /* data must match too */
    assert_int_equal(green_hook_remove(rec_hook, &x), GREEN_EINVAL);
    green_t *g = make(run_return, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(nev, 4); /* setup's hook still there, once */
    assert_ok(green_release(g));
}

static void test_hooks_max(void **state)
{
    (void)state;
    /* one is installed by setup */
    int data[GREEN_HOOKS_MAX];
    for (int i = 0; i < GREEN_HOOKS_MAX - 1; i++)
        assert_ok(green_hook_add(rec_hook, &data[i]));
    assert_int_equal(green_hook_add(rec_hook, &data[GREEN_HOOKS_MAX - 1]),
                     GREEN_ENOMEM);
    assert_int_equal(green_hook_add(noop_hook, NULL), GREEN_ENOMEM);
    /* all of them run; the refused one does not */
    green_t *g = make(run_return, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(nev, 4 * GREEN_HOOKS_MAX);
    for (int i = 0; i < nev; i++)
        assert_ptr_not_equal(evs[i].data, &data[GREEN_HOOKS_MAX - 1]);
    assert_ok(green_release(g));
    assert_int_equal(green_hook_remove(rec_hook, &data[GREEN_HOOKS_MAX - 1]),
                     GREEN_EINVAL);
    /* room again after a removal */
    assert_ok(green_hook_remove(rec_hook, &data[0]));
    assert_ok(green_hook_add(noop_hook, NULL));
    assert_int_equal(green_hook_add(noop_hook, NULL), GREEN_ENOMEM);
    assert_ok(green_hook_remove(noop_hook, NULL));
    for (int i = 1; i < GREEN_HOOKS_MAX - 1; i++)
        assert_ok(green_hook_remove(rec_hook, &data[i]));
}

static void test_no_hooks_left(void **state)
{
    (void)state;
    /* without setup: nothing installed, nothing recorded */
    nev = 0;
    green_t *g = make(run_return, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(nev, 0);
    assert_ok(green_release(g));
}

/* Echoes forever. */
static int run_echo(green_t *self, void *in, void **out)
{
    (void)self;
    void *v = in;
    for (;;)
        if (green_switch(green_main(), v, &v) != GREEN_OK)
            break;
    *out = NULL;
    return GREEN_OK;
}

static void test_hooks_added_between_switches(void **state)
{
    (void)state;
    /* plain switches between two greenlets waiting in green_switch() must
     * notice hooks added and removed in between */
    nev = 0;
    green_t *m = green_main();
    green_t *g = make(run_echo, NULL);
    void *r = NULL;
    for (uintptr_t i = 0; i < 10; i++) {
        assert_ok(green_switch(g, (void *)i, &r));
        assert_int_equal((uintptr_t)r, i);
    }
    assert_int_equal(nev, 0);
    assert_ok(green_hook_add(rec_hook, NULL));
    for (uintptr_t i = 0; i < 10; i++) {
        assert_ok(green_switch(g, (void *)i, &r));
        assert_int_equal((uintptr_t)r, i);
    }
    assert_int_equal(nev, 40);
    for (int i = 0; i < 40; i += 4) {
        expect_switch(i, GREEN_EVENT_SWITCH, m, g);
        expect_switch(i + 2, GREEN_EVENT_SWITCH, g, m);
    }
    assert_ok(green_hook_remove(rec_hook, NULL));
    for (uintptr_t i = 0; i < 10; i++) {
        assert_ok(green_switch(g, (void *)i, &r));
        assert_int_equal((uintptr_t)r, i);
    }
    assert_int_equal(nev, 40);
    assert_ok(green_release(g));
    assert_int_equal(nev, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_switch_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throw_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_on_release_events, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unstarted_and_dead_targets,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_hooks_on_failures_or_self,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_hooks_cannot_switch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_release_inside_hook, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_order_and_duplicates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_add_remove_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hooks_max, setup, teardown),
        cmocka_unit_test(test_no_hooks_left),
        cmocka_unit_test(test_hooks_added_between_switches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
