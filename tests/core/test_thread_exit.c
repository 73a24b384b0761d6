/* SPDX-License-Identifier: MIT */
/*
 * test_thread_exit.c - a thread that ends with greenlets left suspended:
 * their stacks are freed without running them, they become dead, their
 * handles stay valid until released, and nothing leaks. This executable
 * also runs under valgrind (ctest core_threads_valgrind).
 */
#include <pthread.h>

#include "common.h"

static void on_thread(void *(*fn)(void *), void *arg)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, fn, arg), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
}

/* Counts how many times code after a suspension point ran. */
static int after_park;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static int run_park(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    /* touch some stack so that its pages are really there */
    volatile char buf[8192];
    for (size_t i = 0; i < sizeof buf; i += 64)
        buf[i] = (char)i;
    green_switch(green_main(), NULL, NULL);
    pthread_mutex_lock(&count_lock);
    after_park++;
    pthread_mutex_unlock(&count_lock);
    *out = (void *)(uintptr_t)buf[64];
    return GREEN_OK;
}

/* Starts a child and stays suspended inside the child's switch: the child
 * switches to main, leaving both suspended. */
static int run_nest(green_t *self, void *in, void **out)
{
    (void)self;
    green_t *child = in;
    green_switch(child, NULL, NULL);
    pthread_mutex_lock(&count_lock);
    after_park++;
    pthread_mutex_unlock(&count_lock);
    *out = NULL;
    return GREEN_OK;
}

static int run_return(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

struct frees {
    int count;
    pthread_t last_thread;
};
static struct frees frees;

static void count_free(void *ud)
{
    (void)ud;
    pthread_mutex_lock(&count_lock);
    frees.count++;
    frees.last_thread = pthread_self();
    pthread_mutex_unlock(&count_lock);
}

#define NLEFT 5
struct left {
    green_t *g[NLEFT]; /* parked, nest outer, nest inner, dead, new */
    green_t *main_g;
    int created;
};

static green_t *create_tracked(green_run_fn run, green_t *parent)
{
    green_attr a = GREEN_ATTR_INIT;
    a.userdata = &frees;
    a.userdata_free = count_free;
    green_t *g = NULL;
    if (green_create(&g, run, parent, &a) != GREEN_OK)
        return NULL;
    return g;
}

static void *thread_leave_suspended(void *arg)
{
    struct left *l = arg;
    l->main_g = green_main();
    green_retain(l->main_g);
    l->g[0] = create_tracked(run_park, NULL);
    l->g[1] = create_tracked(run_nest, NULL);
    l->g[2] = create_tracked(run_park, NULL);
    l->g[3] = create_tracked(run_return, NULL);
    l->g[4] = create_tracked(run_return, NULL);
    for (int i = 0; i < NLEFT; i++)
        if (!l->g[i])
            return NULL;
    if (green_switch(l->g[0], NULL, NULL) != GREEN_OK ||
        green_switch(l->g[1], l->g[2], NULL) != GREEN_OK ||
        green_switch(l->g[3], NULL, NULL) != GREEN_OK)
        return NULL;
    if (green_state(l->g[0]) != GREEN_STATE_SUSPENDED ||
        green_state(l->g[1]) != GREEN_STATE_SUSPENDED ||
        green_state(l->g[2]) != GREEN_STATE_SUSPENDED ||
        green_state(l->g[3]) != GREEN_STATE_DEAD)
        return NULL;
    l->created = 1;
    /* ends on its main greenlet, holding references it hands over */
    return NULL;
}

static void test_suspended_left_at_thread_end(void **state)
{
    (void)state;
    struct left l;
    memset(&l, 0, sizeof l);
    memset(&frees, 0, sizeof frees);
    after_park = 0;
    on_thread(thread_leave_suspended, &l);
    assert_true(l.created);
    /* none of them ran again */
    assert_int_equal(after_park, 0);
    assert_int_equal(frees.count, 0);
    /* the started ones are dead; the main greenlet too */
    for (int i = 0; i < 4; i++)
        assert_int_equal(green_state(l.g[i]), GREEN_STATE_DEAD);
    assert_int_equal(green_state(l.main_g), GREEN_STATE_DEAD);
    assert_int_equal(green_is_main(l.main_g), 1);
    /* handles still valid: queries work, mutations say ETHREAD */
    assert_ptr_equal(parent_of(l.g[0]), l.main_g);
    assert_ptr_equal(parent_of(l.g[2]), l.main_g);
    assert_ptr_equal(green_get_userdata(l.g[1]), &frees);
    assert_int_equal(green_switch(l.g[4], NULL, NULL), GREEN_ETHREAD);
    assert_int_equal(green_switch(l.g[0], NULL, NULL), GREEN_ETHREAD);
    /* released here: freed here, once each, without running */
    for (int i = 0; i < NLEFT; i++) {
        assert_ok(green_release(l.g[i]));
        assert_int_equal(frees.count, i + 1);
        assert_true(pthread_equal(frees.last_thread, pthread_self()));
    }
    assert_int_equal(after_park, 0);
    assert_ok(green_release(l.main_g));
}

/* A thread that ends while a release made elsewhere is still queued. */
struct queued {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int stage;
    green_t *g;
};

static void wait_stage(struct queued *q, int stage)
{
    pthread_mutex_lock(&q->m);
    while (q->stage < stage)
        pthread_cond_wait(&q->cv, &q->m);
    pthread_mutex_unlock(&q->m);
}

static void set_stage(struct queued *q, int stage)
{
    pthread_mutex_lock(&q->m);
    q->stage = stage;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->m);
}

static void *thread_queued(void *arg)
{
    struct queued *q = arg;
    q->g = create_tracked(run_park, NULL);
    if (q->g)
        green_switch(q->g, NULL, NULL);
    set_stage(q, 1);
    wait_stage(q, 2);
    /* ends without calling into libgreen again */
    return NULL;
}

static void test_pending_release_at_thread_end(void **state)
{
    (void)state;
    struct queued q;
    memset(&q, 0, sizeof q);
    memset(&frees, 0, sizeof frees);
    pthread_mutex_init(&q.m, NULL);
    pthread_cond_init(&q.cv, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_queued, &q), 0);
    wait_stage(&q, 1);
    assert_non_null(q.g);
    assert_int_equal(green_state(q.g), GREEN_STATE_SUSPENDED);
    /* the last reference goes from here: handed to the owner */
    assert_ok(green_release(q.g));
    assert_int_equal(frees.count, 0);
    set_stage(&q, 2);
    assert_int_equal(pthread_join(th, NULL), 0);
    /* the owner ended: the greenlet is gone, freed exactly once */
    assert_int_equal(frees.count, 1);
    pthread_mutex_destroy(&q.m);
    pthread_cond_destroy(&q.cv);
}

static void *thread_touch_only(void *arg)
{
    (void)arg;
    green_current();
    return NULL;
}

static void *thread_many(void *arg)
{
    int *ok = arg;
    /* fill the stack cache and leave a few suspended */
    green_t *keep[20];
    for (int i = 0; i < 20; i++) {
        keep[i] = create_tracked(run_park, NULL);
        if (!keep[i] || green_switch(keep[i], NULL, NULL) != GREEN_OK)
            return NULL;
    }
    for (int i = 0; i < 20; i++)
        if (green_throw_exit(keep[i], NULL, NULL) != GREEN_OK)
            return NULL;
    for (int i = 0; i < 20; i++)
        green_release(keep[i]);
    for (int i = 0; i < 3; i++) {
        keep[i] = create_tracked(run_park, NULL);
        if (!keep[i] || green_switch(keep[i], NULL, NULL) != GREEN_OK)
            return NULL;
    }
    /* retain and release: the kill runs now, on this thread */
    for (int i = 0; i < 3; i++)
        green_release(keep[i]);
    *ok = 1;
    return NULL;
}

static void test_thread_touching_libgreen_only(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++)
        on_thread(thread_touch_only, NULL);
}

static void test_thread_with_cached_stacks(void **state)
{
    (void)state;
    memset(&frees, 0, sizeof frees);
    after_park = 0;
    int ok = 0;
    on_thread(thread_many, &ok);
    assert_true(ok);
    assert_int_equal(after_park, 23);
    assert_int_equal(frees.count, 23);
}

static void test_many_threads_leave_greenlets(void **state)
{
    (void)state;
    struct left l[4];
    pthread_t th[4];
    memset(l, 0, sizeof l);
    memset(&frees, 0, sizeof frees);
    after_park = 0;
    for (int i = 0; i < 4; i++)
        assert_int_equal(
            pthread_create(&th[i], NULL, thread_leave_suspended, &l[i]), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 4; i++) {
        assert_true(l[i].created);
        for (int j = 0; j < NLEFT; j++)
            assert_ok(green_release(l[i].g[j]));
        assert_ok(green_release(l[i].main_g));
    }
    assert_int_equal(after_park, 0);
    assert_int_equal(frees.count, 4 * NLEFT);
}

/* libgreen used from another thread-specific data destructor that runs
 * after libgreen's own: either it works (a fresh thread state, cleaned up
 * in a later destructor round) or it is refused with GREEN_EBUSY; it must
 * neither crash nor leak. */
static pthread_key_t late_key;
struct late {
    int create_rc, switch_rc;
    void *result;
    int ran;
};
static struct late late;

static int run_late(green_t *self, void *in, void **out)
{
    (void)self;
    late.ran++;
    *out = in;
    return GREEN_OK;
}

static void late_destructor(void *arg)
{
    (void)arg;
    green_t *g = NULL;
    late.create_rc = green_create(&g, run_late, NULL, NULL);
    if (late.create_rc == GREEN_OK) {
        late.switch_rc = green_switch(g, V(90), &late.result);
        green_release(g);
    }
}

static void *thread_with_late_destructor(void *arg)
{
    (void)arg;
    green_t *g = create_tracked(run_park, NULL);
    if (g) {
        green_switch(g, NULL, NULL);
        green_release(g);
    }
    pthread_setspecific(late_key, (void *)1);
    return NULL;
}

static void test_use_from_late_destructor(void **state)
{
    (void)state;
    green_current(); /* libgreen's key exists before ours */
    assert_int_equal(pthread_key_create(&late_key, late_destructor), 0);
    memset(&late, 0, sizeof late);
    late.create_rc = late.switch_rc = 99;
    on_thread(thread_with_late_destructor, NULL);
    if (late.create_rc == GREEN_OK && late.switch_rc == GREEN_OK) {
        assert_int_equal(late.ran, 1);
        assert_ptr_equal(late.result, V(90));
    } else {
        assert_true(late.create_rc == GREEN_EBUSY ||
                    (late.create_rc == GREEN_OK &&
                     late.switch_rc == GREEN_EBUSY));
        assert_int_equal(late.ran, 0);
    }
    assert_int_equal(pthread_key_delete(late_key), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suspended_left_at_thread_end),
        cmocka_unit_test(test_pending_release_at_thread_end),
        cmocka_unit_test(test_thread_touching_libgreen_only),
        cmocka_unit_test(test_thread_with_cached_stacks),
        cmocka_unit_test(test_many_threads_leave_greenlets),
        cmocka_unit_test(test_use_from_late_destructor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
