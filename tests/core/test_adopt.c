/* SPDX-License-Identifier: MIT */
/*
 * test_adopt.c - green_adopt(): a thread takes a never-started greenlet of
 * another thread (or of an ended one) and runs it; the old parent is
 * released; every error changes nothing.
 */
#include <pthread.h>

#include "common.h"

/* Records the thread it runs on and its parent, yields its input to its
 * parent once, then returns what came back. */
struct seen {
    pthread_t thread;
    green_t *parent;
    int ran;
};

static int run_record(green_t *self, void *in, void **out)
{
    struct seen *s = green_get_userdata(self);
    assert_non_null(s);
    s->thread = pthread_self();
    s->parent = parent_of(self);
    s->ran++;
    void *r = NULL;
    int rc = green_switch(s->parent, in, &r);
    *out = r;
    return rc;
}

static int run_return_in(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static green_t *make_recording(struct seen *s)
{
    green_t *g = NULL;
    green_attr a = GREEN_ATTR_INIT;
    a.userdata = s;
    assert_ok(green_create(&g, run_record, NULL, &a));
    return g;
}

/* ---- a pool thread adopts a greenlet of the main thread and runs it ---- */

struct adopt_job {
    green_t *g;
    int adopt_rc, first_rc, second_rc;
    void *first, *second;
    green_t *parent_after;
    int state_after_adopt, state_end;
    int set_parent_foreign; /* green_set_parent from here before adopting */
};

static void *thread_adopt_and_run(void *arg)
{
    struct adopt_job *j = arg;
    j->set_parent_foreign = green_set_parent(j->g, green_main());
    j->adopt_rc = green_adopt(j->g, green_main());
    j->parent_after = parent_of(j->g);
    j->state_after_adopt = green_state(j->g);
    j->first_rc = green_switch(j->g, V(1), &j->first);
    j->second_rc = green_switch(j->g, V(2), &j->second);
    j->state_end = green_state(j->g);
    return NULL;
}

static void test_adopt_runs_in_the_adopting_thread(void **state)
{
    (void)state;
    struct seen s;
    memset(&s, 0, sizeof s);
    green_t *g = make_recording(&s);
    struct adopt_job j;
    memset(&j, 0, sizeof j);
    j.g = g;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_adopt_and_run, &j), 0);
    assert_int_equal(pthread_join(th, NULL), 0);

    /* green_set_parent() keeps refusing a greenlet of another thread */
    assert_int_equal(j.set_parent_foreign, GREEN_ETHREAD);
    assert_ok(j.adopt_rc);
    assert_int_equal(j.state_after_adopt, GREEN_STATE_NEW);
    assert_non_null(j.parent_after);
    assert_true(j.parent_after != green_main());
    /* it ran there, with that thread's main greenlet as its parent */
    assert_int_equal(s.ran, 1);
    assert_true(pthread_equal(s.thread, th));
    assert_ptr_equal(s.parent, j.parent_after);
    assert_ok(j.first_rc);
    assert_ptr_equal(j.first, V(1));
    assert_ok(j.second_rc);
    assert_ptr_equal(j.second, V(2));
    assert_int_equal(j.state_end, GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

/* ---- the old parent is released ---------------------------------------- */

static void *thread_adopt_only(void *arg)
{
    struct adopt_job *j = arg;
    j->adopt_rc = green_adopt(j->g, green_main());
    j->first_rc = green_switch(j->g, V(3), &j->first);
    return NULL;
}

static void test_adopt_releases_the_old_parent(void **state)
{
    (void)state;
    green_t *p = make(run_return_in, NULL);
    struct freed pf;
    track(p, &pf);
    green_t *g = make(run_return_in, p);
    assert_ok(green_release(p)); /* g holds the only reference now */
    assert_int_equal(pf.count, 0);

    struct adopt_job j;
    memset(&j, 0, sizeof j);
    j.g = g;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_adopt_only, &j), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_ok(j.adopt_rc);
    assert_ok(j.first_rc);
    assert_ptr_equal(j.first, V(3));
    /* released on the adopting thread, freed on its own thread the next
     * time that one calls into libgreen */
    green_t *x = make(run_return_in, NULL);
    assert_int_equal(pf.count, 1);
    assert_ok(green_release(x));
    assert_ok(green_release(g));
}

/* ---- a greenlet of a thread that ended --------------------------------- */

static void *thread_make_new(void *arg)
{
    green_t **out = arg;
    *out = make(run_return_in, NULL);
    return NULL;
}

static void test_adopt_from_an_ended_thread(void **state)
{
    (void)state;
    green_t *g = NULL;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_make_new, &g), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_non_null(g);
    assert_int_equal(green_state(g), GREEN_STATE_NEW);
    void *r = NULL;
    assert_int_equal(green_switch(g, V(4), &r), GREEN_ETHREAD);
    assert_null(r);
    assert_ok(green_adopt(g, green_main()));
    assert_ptr_equal(parent_of(g), green_main());
    assert_ok(green_switch(g, V(4), &r));
    assert_ptr_equal(r, V(4));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
}

/* ---- the calling thread's own greenlet: as green_set_parent() ----------- */

static void test_adopt_own_greenlet_sets_the_parent(void **state)
{
    (void)state;
    green_t *a = make(run_return_in, NULL);
    green_t *b = make(run_return_in, NULL);
    assert_ok(green_adopt(b, a));
    assert_ptr_equal(parent_of(b), a);
    /* a cycle is refused, nothing changes */
    assert_int_equal(green_adopt(a, b), GREEN_ECYCLE);
    assert_ptr_equal(parent_of(a), green_main());
    assert_int_equal(green_adopt(a, a), GREEN_ECYCLE);
    /* b's result goes to a, which starts and returns it to main */
    void *r = NULL;
    assert_ok(green_switch(b, V(5), &r));
    assert_ptr_equal(r, V(5));
    assert_int_equal(green_state(a), GREEN_STATE_DEAD);
    assert_ok(green_release(b));
    assert_ok(green_release(a));
}

/* ---- errors change nothing --------------------------------------------- */

struct foreign {
    green_t *fresh;   /* new, of the other thread */
    green_t *parked;  /* suspended there */
    green_t *fmain;   /* its main greenlet (retained) */
    pthread_mutex_t m;
    pthread_cond_t cv;
    int ready, done;
    int parked_end;
};

static int run_park(green_t *self, void *in, void **out)
{
    green_t *p = parent_of(self);
    void *r = NULL;
    int rc = green_switch(p, in, &r);
    *out = r;
    return rc;
}

static void *thread_foreign(void *arg)
{
    struct foreign *f = arg;
    f->fresh = make(run_return_in, NULL);
    f->parked = make(run_park, NULL);
    void *r = NULL;
    assert_ok(green_switch(f->parked, V(6), &r));
    f->fmain = green_main();
    assert_ok(green_retain(f->fmain));
    pthread_mutex_lock(&f->m);
    f->ready = 1;
    pthread_cond_broadcast(&f->cv);
    while (!f->done)
        pthread_cond_wait(&f->cv, &f->m);
    pthread_mutex_unlock(&f->m);
    /* kill the parked one before ending, so that it is freed cleanly */
    green_throw_exit(f->parked, NULL, &r);
    f->parked_end = green_state(f->parked);
    return NULL;
}

static void test_adopt_errors(void **state)
{
    (void)state;
    struct foreign f;
    memset(&f, 0, sizeof f);
    pthread_mutex_init(&f.m, NULL);
    pthread_cond_init(&f.cv, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_foreign, &f), 0);
    pthread_mutex_lock(&f.m);
    while (!f.ready)
        pthread_cond_wait(&f.cv, &f.m);
    pthread_mutex_unlock(&f.m);

    green_t *own = make(run_return_in, NULL);
    assert_int_equal(green_adopt(NULL, green_main()), GREEN_EINVAL);
    assert_int_equal(green_adopt(own, NULL), GREEN_EINVAL);
    /* the parent must belong to the calling thread */
    assert_int_equal(green_adopt(own, f.fmain), GREEN_ETHREAD);
    assert_ptr_equal(parent_of(own), green_main());
    assert_int_equal(green_adopt(f.fresh, f.fmain), GREEN_ETHREAD);
    assert_ptr_equal(parent_of(f.fresh), f.fmain);
    /* a started greenlet of another thread cannot move */
    assert_int_equal(green_adopt(f.parked, green_main()), GREEN_ETHREAD);
    assert_ptr_equal(parent_of(f.parked), f.fmain);
    assert_int_equal(green_state(f.parked), GREEN_STATE_SUSPENDED);
    /* nor can a main greenlet, of any thread */
    assert_int_equal(green_adopt(f.fmain, green_main()), GREEN_EMAIN);
    assert_int_equal(green_adopt(green_main(), own), GREEN_EMAIN);
    /* after all that, the new one is still the other thread's: a switch
     * from here is refused */
    void *r = NULL;
    assert_int_equal(green_switch(f.fresh, V(7), &r), GREEN_ETHREAD);
    assert_int_equal(green_state(f.fresh), GREEN_STATE_NEW);

    pthread_mutex_lock(&f.m);
    f.done = 1;
    pthread_cond_broadcast(&f.cv);
    pthread_mutex_unlock(&f.m);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(f.parked_end, GREEN_STATE_DEAD);
    assert_ok(green_release(f.fresh));
    assert_ok(green_release(f.parked));
    assert_ok(green_release(f.fmain));
    assert_ok(green_release(own));
    pthread_mutex_destroy(&f.m);
    pthread_cond_destroy(&f.cv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adopt_runs_in_the_adopting_thread),
        cmocka_unit_test(test_adopt_releases_the_old_parent),
        cmocka_unit_test(test_adopt_from_an_ended_thread),
        cmocka_unit_test(test_adopt_own_greenlet_sets_the_parent),
        cmocka_unit_test(test_adopt_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
