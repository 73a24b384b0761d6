/* SPDX-License-Identifier: MIT */
/*
 * test_collect.c - deferred kills (1.3): green_collect() handles the
 * releases other threads made of this thread's greenlets, at once and
 * only then (queries do not); green_release_deferred() runs nothing on
 * the calling thread, its own greenlets included; green_kill_suspended()
 * kills what is suspended but the caller's ancestors;
 * green_set_kill_at_thread_end() makes a thread's end kill the released
 * greenlets, or all suspended ones (bodies run their cleanup there), where
 * the default frees them unrun.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"

static atomic_int cleanups;     /* bodies that saw their exit */
static atomic_int after_return; /* ... after their thread function */
static atomic_int returned;     /* set when a thread function returns */

/* Suspends to its parent until killed; counts the kill. */
static int run_park(green_t *self, void *in, void **out)
{
    (void)self, (void)in, (void)out;
    for (;;) {
        int rc = green_switch(green_main(), NULL, NULL);
        if (rc == GREEN_EXIT) {
            atomic_fetch_add(&cleanups, 1);
            if (atomic_load(&returned))
                atomic_fetch_add(&after_return, 1);
            return GREEN_EXIT;
        }
    }
}

static green_t *started_park(void)
{
    green_t *g = make(run_park, NULL);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    return g;
}

static void *release_elsewhere(void *arg)
{
    green_release(arg); /* queued for the owner: nothing runs here */
    return NULL;
}

static void release_on_thread(green_t *g)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_elsewhere, g), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
}

static void test_collect_runs_pending_kills(void **state)
{
    (void)state;
    atomic_store(&cleanups, 0);
    green_t *a = started_park(), *b = started_park();
    green_retain(a);
    release_on_thread(a); /* not the last reference: nothing to queue */
    release_on_thread(b);
    /* Queries do not run queued kills. */
    green_current();
    green_main();
    assert_int_equal(green_state(a), GREEN_STATE_SUSPENDED);
    assert_int_equal(atomic_load(&cleanups), 0);
    assert_int_equal(green_collect(), 1);
    assert_int_equal(atomic_load(&cleanups), 1);
    assert_int_equal(green_collect(), 0); /* nothing left */
    release_on_thread(a);
    assert_int_equal(atomic_load(&cleanups), 1);
    assert_int_equal(green_collect(), 1);
    assert_int_equal(atomic_load(&cleanups), 2);
}

/* A dead greenlet released elsewhere is freed by the collect. */
static int run_finish(green_t *self, void *in, void **out)
{
    (void)self, (void)in, (void)out;
    return GREEN_OK;
}

static void test_collect_frees_dead(void **state)
{
    (void)state;
    struct freed f = {0};
    green_t *g = make(run_finish, NULL);
    track(g, &f);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    release_on_thread(g);
    assert_int_equal(f.count, 0);
    assert_int_equal(green_collect(), 1);
    assert_int_equal(f.count, 1);
}

static int collect_rc_in_hook = 99, kill_rc_in_hook = 99;
static void hook_collects(void *data, int event, int phase, green_t *origin,
                          green_t *target)
{
    (void)data, (void)event, (void)phase, (void)origin, (void)target;
    collect_rc_in_hook = green_collect();
    kill_rc_in_hook = green_kill_suspended();
}

static void test_collect_in_hook(void **state)
{
    (void)state;
    atomic_store(&cleanups, 0);
    green_t *p = started_park();
    release_on_thread(p);
    assert_ok(green_hook_add(hook_collects, NULL));
    green_t *g = make(run_finish, NULL);
    assert_ok(green_switch(g, NULL, NULL)); /* the switch itself collects */
    assert_ok(green_hook_remove(hook_collects, NULL));
    assert_int_equal(collect_rc_in_hook, GREEN_EBUSY);
    assert_int_equal(kill_rc_in_hook, GREEN_EBUSY);
    /* neither did anything: the one cleanup is the switch's own collect */
    assert_int_equal(atomic_load(&cleanups), 1);
    green_release(g);
}

static void test_set_kill_at_thread_end_errors(void **state)
{
    (void)state;
    assert_int_equal(green_set_kill_at_thread_end(3), GREEN_EINVAL);
    assert_int_equal(green_set_kill_at_thread_end(-1), GREEN_EINVAL);
    assert_ok(green_set_kill_at_thread_end(GREEN_KILL_NONE));
}

/* A deferred release of this thread's own suspended greenlet waits for
 * green_collect(); one that never started is freed at once. */
static void test_release_deferred(void **state)
{
    (void)state;
    atomic_store(&cleanups, 0);
    assert_int_equal(green_release_deferred(NULL), GREEN_EINVAL);
    green_t *g = started_park();
    assert_ok(green_release_deferred(g));
    assert_int_equal(atomic_load(&cleanups), 0);
    assert_int_equal(green_collect(), 1);
    assert_int_equal(atomic_load(&cleanups), 1);
    struct freed f = {0};
    green_t *n = make(run_finish, NULL);
    track(n, &f);
    assert_ok(green_release_deferred(n));
    assert_int_equal(f.count, 1);
    assert_int_equal(green_collect(), 0);
}

/* Kills from a child greenlet: its parent (an ancestor) is left alone. */
static int kill_rc;
static int run_kill_all(green_t *self, void *in, void **out)
{
    (void)self, (void)in, (void)out;
    kill_rc = green_kill_suspended();
    return GREEN_OK;
}

static int run_spawn_killer(green_t *self, void *in, void **out)
{
    (void)self, (void)in, (void)out;
    green_t *k = make(run_kill_all, NULL); /* parent: this one */
    green_switch(k, NULL, NULL);
    green_release(k);
    /* Back after the killer finished; then wait to be killed. */
    return run_park(self, in, out);
}

static void test_kill_suspended(void **state)
{
    (void)state;
    atomic_store(&cleanups, 0);
    green_t *a = started_park(), *b = started_park(), *c = started_park();
    green_t *released = started_park();
    release_on_thread(released);
    green_t *spawner = make(run_spawn_killer, NULL);
    assert_ok(green_switch(spawner, NULL, NULL));
    /* The killer killed a, b, c and the released one; not the spawner,
     * its parent, which is suspended again now. */
    assert_int_equal(kill_rc, 3);
    assert_int_equal(atomic_load(&cleanups), 4);
    assert_int_equal(green_state(a), GREEN_STATE_DEAD);
    assert_int_equal(green_state(c), GREEN_STATE_DEAD);
    assert_int_equal(green_state(spawner), GREEN_STATE_SUSPENDED);
    /* From main: the spawner, and nothing else is left. */
    assert_int_equal(green_kill_suspended(), 1);
    assert_int_equal(green_state(spawner), GREEN_STATE_DEAD);
    assert_int_equal(green_kill_suspended(), 0);
    green_release(a);
    green_release(b);
    green_release(c);
    green_release(spawner);
}

/*
 * A thread parks greenlets (kept by the test, and one released from this
 * thread while the owner still lives), then ends: with the opt-in all are
 * killed on it, after its function returned; without it none runs.
 */
struct parked {
    int kill;
    green_t *kept[3];
    green_t *released;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stage; /* 1: parked, 2: released, may end */
};

static void *park_and_end(void *arg)
{
    struct parked *p = arg;
    assert_ok(green_set_kill_at_thread_end(p->kill));

    for (int i = 0; i < 3; i++)
        p->kept[i] = started_park();
    /* A chain: the last one suspended inside a switch of its child. */
    assert_ok(green_set_parent(p->kept[2], p->kept[1]));
    p->released = started_park();
    pthread_mutex_lock(&p->lock);
    p->stage = 1;
    pthread_cond_broadcast(&p->cond);
    while (p->stage != 2)
        pthread_cond_wait(&p->cond, &p->lock);
    pthread_mutex_unlock(&p->lock);
    atomic_store(&returned, 1);
    return NULL;
}

static void thread_end_case(int kill)
{
    atomic_store(&cleanups, 0);
    atomic_store(&after_return, 0);
    atomic_store(&returned, 0);
    struct parked p = {.kill = kill};
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, park_and_end, &p), 0);
    pthread_mutex_lock(&p.lock);
    while (p.stage != 1)
        pthread_cond_wait(&p.cond, &p.lock);
    green_release(p.released); /* queued for the owner, which lives */
    p.stage = 2;
    pthread_cond_broadcast(&p.cond);
    pthread_mutex_unlock(&p.lock);
    assert_int_equal(pthread_join(th, NULL), 0);
    /* NONE: nothing ran; RELEASED: the released one; SUSPENDED: all. */
    int want = kill == GREEN_KILL_SUSPENDED ? 4 : kill;
    assert_int_equal(atomic_load(&cleanups), want);
    assert_int_equal(atomic_load(&after_return), want);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(green_state(p.kept[i]), GREEN_STATE_DEAD);
        green_release(p.kept[i]); /* freed here: the owner has ended */
    }
    pthread_cond_destroy(&p.cond);
    pthread_mutex_destroy(&p.lock);
}

static void test_thread_end_default_frees_unrun(void **state)
{
    (void)state;
    thread_end_case(0);
}

static void test_thread_end_kills_released(void **state)
{
    (void)state;
    thread_end_case(GREEN_KILL_RELEASED);
}

static void test_thread_end_kills_suspended(void **state)
{
    (void)state;
    thread_end_case(GREEN_KILL_SUSPENDED);
}

/*
 * A suspended child holds a reference to its parent, and the parent's
 * stack holds the child: releasing the parent's last outside reference
 * kills neither (a cycle, as in Python's greenlet, which leaves it to its
 * cycle collector). green_kill_suspended() breaks it.
 */
static int run_child_of_parked(green_t *self, void *in, void **out)
{
    (void)in;
    green_t *parent = parent_of(self);
    int rc = green_switch(parent, NULL, NULL);
    if (rc == GREEN_EXIT)
        atomic_fetch_add(&cleanups, 1);
    *out = NULL;
    return rc;
}

static int run_parent_with_child(green_t *self, void *in, void **out)
{
    (void)in, (void)out;
    green_t *child = make(run_child_of_parked, self);
    green_switch(child, NULL, NULL); /* the child suspends back here */
    int rc = run_park(self, in, out);
    green_release(child);
    return rc;
}

static void test_parent_cycle(void **state)
{
    (void)state;
    atomic_store(&cleanups, 0);
    green_t *p = make(run_park, NULL);
    assert_ok(green_switch(p, NULL, NULL));
    green_t *w = NULL;
    green_retain(p);
    w = p;
    green_release(p); /* without a child: this is not the last one */
    green_release(w); /* the last one: killed */
    assert_int_equal(atomic_load(&cleanups), 1);

    atomic_store(&cleanups, 0);
    green_t *q = make(run_parent_with_child, NULL);
    assert_ok(green_switch(q, NULL, NULL));
    green_release(q); /* the child still holds it: nothing runs */
    assert_int_equal(atomic_load(&cleanups), 0);
    /* Both die: the parent first, whose exit releases the child. */
    assert_int_equal(green_kill_suspended(), 2);
    assert_int_equal(atomic_load(&cleanups), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collect_runs_pending_kills),
        cmocka_unit_test(test_collect_frees_dead),
        cmocka_unit_test(test_collect_in_hook),
        cmocka_unit_test(test_set_kill_at_thread_end_errors),
        cmocka_unit_test(test_thread_end_default_frees_unrun),
        cmocka_unit_test(test_release_deferred),
        cmocka_unit_test(test_kill_suspended),
        cmocka_unit_test(test_parent_cycle),
        cmocka_unit_test(test_thread_end_kills_released),
        cmocka_unit_test(test_thread_end_kills_suspended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
