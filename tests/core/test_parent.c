/* SPDX-License-Identifier: MIT */
/*
 * test_parent.c - green_get_parent() and green_set_parent(): references,
 * cycles, main greenlets, invalid arguments, greenlets of other threads.
 */
#include <pthread.h>

#include "common.h"

static int run_return_in(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

/* Yields its input to its parent, returns what comes back. */
static int run_yield(green_t *self, void *in, void **out)
{
    green_t *p = NULL;
    green_get_parent(self, &p);
    void *r = NULL;
    int rc = green_switch(p, in, &r);
    *out = r;
    return rc;
}

static void test_get_parent(void **state)
{
    (void)state;
    green_t *p = V(1);
    assert_ok(green_get_parent(green_main(), &p));
    assert_null(p);
    green_t *g = make(run_return_in, NULL);
    assert_ptr_equal(parent_of(g), green_main());
    p = V(1);
    assert_int_equal(green_get_parent(NULL, &p), GREEN_EINVAL);
    assert_ptr_equal(p, V(1));
    assert_int_equal(green_get_parent(g, NULL), GREEN_EINVAL);
    assert_ok(green_release(g));
}

static void test_set_parent_references(void **state)
{
    (void)state;
    struct freed fa, fb;
    green_t *a = make(run_return_in, NULL);
    green_t *b = make(run_return_in, NULL);
    track(a, &fa);
    track(b, &fb);
    green_t *g = make(run_return_in, NULL);
    assert_ok(green_set_parent(g, a));
    assert_ptr_equal(parent_of(g), a);
    /* g holds a */
    assert_ok(green_release(a));
    assert_int_equal(fa.count, 0);
    assert_int_equal(green_state(a), GREEN_STATE_NEW);
    /* moving g to b drops the last reference to a */
    assert_ok(green_set_parent(g, b));
    assert_ptr_equal(parent_of(g), b);
    assert_int_equal(fa.count, 1);
    /* same parent again: no change, no reference lost or taken */
    assert_ok(green_set_parent(g, b));
    assert_ptr_equal(parent_of(g), b);
    assert_ok(green_release(b));
    assert_int_equal(fb.count, 0);
    assert_ok(green_release(g));
    assert_int_equal(fb.count, 1);
}

static void test_set_parent_redirects_result(void **state)
{
    (void)state;
    /* h yields, then gets g's result as the value of its pending switch */
    green_t *h = make(run_yield, NULL);
    void *r = NULL;
    assert_ok(green_switch(h, V(1), &r));
    green_t *g = make(run_return_in, NULL);
    assert_ok(green_set_parent(g, h));
    assert_ok(green_switch(g, V(2), &r));
    /* g's result V(2) went to h, which returned it to main */
    assert_ptr_equal(r, V(2));
    assert_int_equal(green_state(h), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
    assert_ok(green_release(h));
}

static void test_set_parent_cycles(void **state)
{
    (void)state;
    green_t *a = make(run_return_in, NULL);
    green_t *b = make(run_return_in, a);
    green_t *c = make(run_return_in, b);
    assert_int_equal(green_set_parent(a, a), GREEN_ECYCLE);
    assert_ptr_equal(parent_of(a), green_main());
    assert_int_equal(green_set_parent(a, b), GREEN_ECYCLE);
    assert_int_equal(green_set_parent(a, c), GREEN_ECYCLE);
    assert_ptr_equal(parent_of(a), green_main());
    assert_int_equal(green_set_parent(b, c), GREEN_ECYCLE);
    assert_ptr_equal(parent_of(b), a);
    assert_int_equal(green_set_parent(c, c), GREEN_ECYCLE);
    assert_ptr_equal(parent_of(c), b);
    /* still usable: results follow the unchanged chain */
    void *r = NULL;
    assert_ok(green_switch(c, V(3), &r));
    assert_ptr_equal(r, V(3));
    assert_int_equal(green_state(a), GREEN_STATE_DEAD);
    assert_int_equal(green_state(b), GREEN_STATE_DEAD);
    /* not a cycle: a sibling chain */
    green_t *d = make(run_return_in, NULL);
    assert_ok(green_set_parent(d, c));
    assert_ptr_equal(parent_of(d), c);
    assert_ok(green_release(d));
    assert_ok(green_release(c));
    assert_ok(green_release(b));
    assert_ok(green_release(a));
}

static green_t *cyc_target;
static int cyc_rc;
static int run_set_own_child(green_t *self, void *in, void **out)
{
    (void)in;
    (void)out;
    /* a running greenlet cannot become a child of its own child */
    green_t *child = NULL;
    green_create(&child, run_return_in, NULL, NULL);
    cyc_rc = green_set_parent(self, child);
    cyc_target = child;
    green_t *p = NULL;
    green_get_parent(self, &p);
    *out = p;
    return GREEN_OK;
}

static void test_set_parent_cycle_running(void **state)
{
    (void)state;
    green_t *g = make(run_set_own_child, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r));
    assert_int_equal(cyc_rc, GREEN_ECYCLE);
    assert_ptr_equal(r, green_main());
    assert_ok(green_release(cyc_target));
    assert_ok(green_release(g));
}

static void test_set_parent_main(void **state)
{
    (void)state;
    green_t *g = make(run_return_in, NULL);
    assert_int_equal(green_set_parent(green_main(), g), GREEN_EMAIN);
    assert_null(parent_of(green_main()));
    assert_ptr_equal(parent_of(g), green_main());
    /* main is a fine parent */
    green_t *h = make(run_return_in, g);
    assert_ok(green_set_parent(h, green_main()));
    assert_ptr_equal(parent_of(h), green_main());
    assert_ok(green_release(h));
    assert_ok(green_release(g));
}

static void test_set_parent_null(void **state)
{
    (void)state;
    green_t *g = make(run_return_in, NULL);
    assert_int_equal(green_set_parent(g, NULL), GREEN_EINVAL);
    assert_ptr_equal(parent_of(g), green_main());
    assert_int_equal(green_set_parent(NULL, g), GREEN_EINVAL);
    assert_int_equal(green_set_parent(NULL, NULL), GREEN_EINVAL);
    assert_ok(green_release(g));
}

static void test_set_parent_dead_and_running(void **state)
{
    (void)state;
    green_t *d = make(run_return_in, NULL);
    assert_ok(green_switch(d, NULL, NULL));
    green_t *g = make(run_return_in, NULL);
    /* a dead parent is allowed, and so is setting a dead greenlet's parent */
    assert_ok(green_set_parent(g, d));
    assert_ptr_equal(parent_of(g), d);
    green_t *n = make(run_return_in, NULL);
    assert_ok(green_set_parent(d, n));
    assert_ptr_equal(parent_of(d), n);
    assert_ok(green_release(n));
    /* g's result: d dead, n new -> n starts with it, then main gets it */
    void *r = NULL;
    assert_ok(green_switch(g, V(4), &r));
    assert_ptr_equal(r, V(4));
    assert_ok(green_release(g));
    assert_ok(green_release(d));
}

/* ---- other threads ---- */

static int run_park(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    (void)out;
    green_switch(green_main(), NULL, NULL);
    return GREEN_OK;
}

struct foreign {
    green_t *fresh;  /* never started */
    green_t *parked; /* suspended when its thread ended */
};

static void *thread_make(void *arg)
{
    struct foreign *f = arg;
    f->fresh = NULL;
    f->parked = NULL;
    green_create(&f->fresh, run_return_in, NULL, NULL);
    green_create(&f->parked, run_park, NULL, NULL);
    green_switch(f->parked, NULL, NULL);
    return NULL;
}

/* The other thread keeps running while we test: */
struct live_foreign {
    green_t *g;
    pthread_mutex_t m;
    pthread_cond_t cv;
    int ready, done;
};

static void *thread_live(void *arg)
{
    struct live_foreign *lf = arg;
    green_create(&lf->g, run_park, NULL, NULL);
    green_switch(lf->g, NULL, NULL);
    pthread_mutex_lock(&lf->m);
    lf->ready = 1;
    pthread_cond_broadcast(&lf->cv);
    while (!lf->done)
        pthread_cond_wait(&lf->cv, &lf->m);
    pthread_mutex_unlock(&lf->m);
    green_release(lf->g); /* kills it on its own thread */
    return NULL;
}

static void check_foreign(green_t *foreign)
{
    green_t *mine = make(run_return_in, NULL);
    green_t *fp = parent_of(foreign);
    int fs = green_state(foreign);
    assert_int_equal(green_set_parent(mine, foreign), GREEN_ETHREAD);
    assert_ptr_equal(parent_of(mine), green_main());
    assert_int_equal(green_set_parent(foreign, mine), GREEN_ETHREAD);
    assert_int_equal(green_set_parent(foreign, green_main()), GREEN_ETHREAD);
    assert_ptr_equal(parent_of(foreign), fp);
    assert_int_equal(green_state(foreign), fs);
    green_t *c = V(5);
    assert_int_equal(green_create(&c, run_return_in, foreign, NULL),
                     GREEN_ETHREAD);
    assert_null(c);
    assert_ok(green_release(mine));
}

static void test_set_parent_other_thread(void **state)
{
    (void)state;
    struct live_foreign lf;
    memset(&lf, 0, sizeof lf);
    pthread_mutex_init(&lf.m, NULL);
    pthread_cond_init(&lf.cv, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_live, &lf), 0);
    pthread_mutex_lock(&lf.m);
    while (!lf.ready)
        pthread_cond_wait(&lf.cv, &lf.m);
    pthread_mutex_unlock(&lf.m);

    assert_int_equal(green_state(lf.g), GREEN_STATE_SUSPENDED);
    check_foreign(lf.g);
    /* its parent is that thread's main greenlet, not ours */
    green_t *fm = parent_of(lf.g);
    assert_non_null(fm);
    assert_true(fm != green_main());
    assert_int_equal(green_is_main(fm), 1);
    assert_int_equal(green_set_parent(fm, green_main()), GREEN_ETHREAD);
    check_foreign(fm);

    pthread_mutex_lock(&lf.m);
    lf.done = 1;
    pthread_cond_broadcast(&lf.cv);
    pthread_mutex_unlock(&lf.m);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_mutex_destroy(&lf.m);
    pthread_cond_destroy(&lf.cv);
}

static void test_set_parent_ended_thread(void **state)
{
    (void)state;
    struct foreign f;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_make, &f), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_non_null(f.fresh);
    assert_non_null(f.parked);
    check_foreign(f.fresh);
    check_foreign(f.parked);
    assert_ok(green_release(f.fresh));
    assert_ok(green_release(f.parked));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_parent),
        cmocka_unit_test(test_set_parent_references),
        cmocka_unit_test(test_set_parent_redirects_result),
        cmocka_unit_test(test_set_parent_cycles),
        cmocka_unit_test(test_set_parent_cycle_running),
        cmocka_unit_test(test_set_parent_main),
        cmocka_unit_test(test_set_parent_null),
        cmocka_unit_test(test_set_parent_dead_and_running),
        cmocka_unit_test(test_set_parent_other_thread),
        cmocka_unit_test(test_set_parent_ended_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
