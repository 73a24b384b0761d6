/* SPDX-License-Identifier: MIT */
/*
 * test_lifetime.c - reference counting and what the last release does:
 * free, kill a suspended greenlet on the spot, report a greenlet that
 * survives its kill, reap a greenlet that released itself, and defer a
 * release made on another thread to the owner thread.
 */
#include <pthread.h>

#include "common.h"

static int run_return_in(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static void test_retain_release(void **state)
{
    (void)state;
    struct freed f;
    green_t *g = make(run_return_in, NULL);
    track(g, &f);
    for (int i = 0; i < 5; i++)
        assert_ok(green_retain(g));
    for (int i = 0; i < 5; i++) {
        assert_ok(green_release(g));
        assert_int_equal(f.count, 0);
        assert_int_equal(green_state(g), GREEN_STATE_NEW);
    }
    assert_ok(green_release(g));
    assert_int_equal(f.count, 1);
    assert_int_equal(green_retain(NULL), GREEN_EINVAL);
    assert_int_equal(green_release(NULL), GREEN_EINVAL);
}

static void test_release_dead(void **state)
{
    (void)state;
    struct freed f;
    green_t *g = make(run_return_in, NULL);
    track(g, &f);
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_retain(g));
    assert_ok(green_release(g));
    assert_int_equal(f.count, 0);
    assert_ok(green_release(g));
    assert_int_equal(f.count, 1);
}

static void test_main_survives_retain_release(void **state)
{
    (void)state;
    green_t *m = green_main();
    assert_ok(green_retain(m));
    assert_ok(green_release(m));
    assert_ptr_equal(green_main(), m);
    assert_int_equal(green_state(m), GREEN_STATE_RUNNING);
}

/* ---- killing a suspended greenlet on release ---- */

struct victim {
    int runs;
    int rc;          /* what its pending switch returned */
    void *payload;
    int cleaned;     /* cleanup code ran */
    green_t *parent_at_kill;
    green_t *current_at_kill;
    int freed_before_cleanup;
    pthread_t thread;
    struct freed f;
};
static struct victim vic;

static void vic_free(void *ud)
{
    (void)ud;
    vic.f.count++;
    vic.f.last = pthread_self() == vic.thread ? ud : NULL;
}

static int run_victim(green_t *self, void *in, void **out)
{
    (void)in;
    vic.runs++;
    void *r = V(1);
    vic.rc = green_switch(green_main(), NULL, &r);
    vic.payload = r;
    /* cleanup */
    vic.cleaned++;
    vic.thread = pthread_self();
    vic.freed_before_cleanup = vic.f.count;
    green_get_parent(self, &vic.parent_at_kill);
    vic.current_at_kill = green_current();
    *out = V(2);
    return vic.rc;
}

static green_t *make_victim(void)
{
    memset(&vic, 0, sizeof vic);
    green_t *g = make(run_victim, NULL);
    assert_ok(green_set_userdata(g, &vic, vic_free));
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    return g;
}

static void test_release_suspended_kills(void **state)
{
    (void)state;
    green_t *g = make_victim();
    assert_ok(green_retain(g));
    assert_ok(green_release(g));
    assert_int_equal(vic.cleaned, 0);
    /* the last reference: exit is thrown into it right now */
    assert_ok(green_release(g));
    assert_int_equal(vic.runs, 1);
    assert_int_equal(vic.rc, GREEN_EXIT);
    assert_int_equal(vic.cleaned, 1);
    assert_int_equal(vic.freed_before_cleanup, 0);
    assert_ptr_equal(vic.parent_at_kill, green_main());
    assert_int_equal(vic.f.count, 1);
    assert_ptr_equal(vic.f.last, &vic);
    assert_ptr_equal(green_current(), green_main());
    assert_int_equal(green_state(green_main()), GREEN_STATE_RUNNING);
}

/* Releases the greenlet it receives, from inside a greenlet. */
static int killer_after_state;
static int run_killer(green_t *self, void *in, void **out)
{
    (void)self;
    green_release((green_t *)in);
    killer_after_state = green_state(self);
    *out = V(3);
    return GREEN_OK;
}

static void test_kill_parent_is_releaser(void **state)
{
    (void)state;
    green_t *g = make_victim();
    green_t *k = make(run_killer, NULL);
    void *r = NULL;
    killer_after_state = 0;
    assert_ok(green_switch(k, g, &r));
    /* the victim's parent became the killer; its result was discarded and
     * the killer went on running */
    assert_int_equal(vic.rc, GREEN_EXIT);
    assert_ptr_equal(vic.parent_at_kill, k);
    assert_int_equal(vic.cleaned, 1);
    assert_int_equal(vic.f.count, 1);
    assert_int_equal(killer_after_state, GREEN_STATE_RUNNING);
    assert_ptr_equal(r, V(3));
    assert_ok(green_release(k));
}

static void test_release_new_does_not_run(void **state)
{
    (void)state;
    memset(&vic, 0, sizeof vic);
    green_t *g = make(run_victim, NULL);
    assert_ok(green_set_userdata(g, &vic, vic_free));
    vic.thread = pthread_self();
    assert_ok(green_release(g));
    assert_int_equal(vic.runs, 0);
    assert_int_equal(vic.f.count, 1);
}

static void test_release_cascades_to_parents(void **state)
{
    (void)state;
    struct freed fa, fb, fc;
    green_t *a = make(run_return_in, NULL);
    green_t *b = make(run_return_in, a);
    green_t *c = make(run_return_in, b);
    track(a, &fa);
    track(b, &fb);
    track(c, &fc);
    assert_ok(green_release(a));
    assert_ok(green_release(b));
    assert_int_equal(fa.count + fb.count, 0);
    assert_ok(green_release(c));
    assert_int_equal(fc.count, 1);
    assert_int_equal(fb.count, 1);
    assert_int_equal(fa.count, 1);
}

/* ---- a greenlet that survives its kill ---- */

struct leak_event {
    int count;
    int event, phase;
    green_t *origin, *target;
    green_t *current;
};
static struct leak_event leak;

static void leak_hook(void *data, int event, int phase, green_t *origin,
                      green_t *target)
{
    (void)data;
    if (event != GREEN_EVENT_LEAK)
        return;
    leak.count++;
    leak.event = event;
    leak.phase = phase;
    leak.origin = origin;
    leak.target = target;
    leak.current = green_current();
}

static int stubborn_exits;
static int run_stubborn(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    (void)out;
    for (;;) {
        int rc = green_switch(green_main(), NULL, NULL);
        if (rc == GREEN_EXIT)
            stubborn_exits++;
    }
    return GREEN_OK;
}

static void test_survivor_is_leaked(void **state)
{
    (void)state;
    memset(&leak, 0, sizeof leak);
    stubborn_exits = 0;
    assert_ok(green_hook_add(leak_hook, NULL));
    struct freed f;
    green_t *g = make(run_stubborn, NULL);
    track(g, &f);
    assert_ok(green_switch(g, NULL, NULL));
    assert_ok(green_release(g));
    assert_int_equal(stubborn_exits, 1);
    assert_int_equal(leak.count, 1);
    assert_int_equal(leak.phase, GREEN_PHASE_AFTER);
    assert_ptr_equal(leak.target, g);
    assert_ptr_equal(leak.origin, green_main());
    assert_ptr_equal(leak.current, green_main());
    /* never freed: still there, still suspended */
    assert_int_equal(f.count, 0);
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    assert_ptr_equal(green_current(), green_main());
    assert_ok(green_hook_remove(leak_hook, NULL));
}

/* ---- a greenlet releasing its own last reference ---- */

struct orphan {
    int freed_while_running;
    int state_after_release;
    int rc_after; /* what its switch away returned */
    int cleaned;
    struct freed f;
};
static struct orphan orph;

static int run_orphan_finish(green_t *self, void *in, void **out)
{
    (void)in;
    green_release(self);
    orph.freed_while_running = orph.f.count;
    orph.state_after_release = green_state(self);
    *out = V(4);
    return GREEN_OK;
}

static void test_self_release_then_finish(void **state)
{
    (void)state;
    memset(&orph, 0, sizeof orph);
    green_t *g = make(run_orphan_finish, NULL);
    assert_ok(green_set_userdata(g, &orph.f, freed_fn));
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r));
    assert_ptr_equal(r, V(4));
    assert_int_equal(orph.freed_while_running, 0);
    assert_int_equal(orph.state_after_release, GREEN_STATE_RUNNING);
    /* reaped once it switched away for good */
    assert_int_equal(orph.f.count, 1);
}

static int run_orphan_switch(green_t *self, void *in, void **out)
{
    (void)in;
    green_release(self);
    orph.freed_while_running = orph.f.count;
    orph.state_after_release = green_state(self);
    void *r = NULL;
    orph.rc_after = green_switch(green_main(), V(5), &r);
    orph.cleaned++;
    *out = V(6);
    return GREEN_OK;
}

static void test_self_release_then_switch(void **state)
{
    (void)state;
    memset(&orph, 0, sizeof orph);
    green_t *g = make(run_orphan_switch, NULL);
    assert_ok(green_set_userdata(g, &orph.f, freed_fn));
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r));
    /* main got what g switched with; g was killed right after */
    assert_ptr_equal(r, V(5));
    assert_int_equal(orph.freed_while_running, 0);
    assert_int_equal(orph.state_after_release, GREEN_STATE_RUNNING);
    assert_int_equal(orph.rc_after, GREEN_EXIT);
    assert_int_equal(orph.cleaned, 1);
    assert_int_equal(orph.f.count, 1);
    assert_ptr_equal(green_current(), green_main());
}

static int run_retain_again(green_t *self, void *in, void **out)
{
    (void)in;
    /* dropping the last reference and taking one again while running
     * keeps it alive */
    green_release(self);
    green_retain(self);
    green_switch(green_main(), V(7), NULL);
    *out = V(8);
    return GREEN_OK;
}

static void test_self_release_then_retain(void **state)
{
    (void)state;
    struct freed f = {0, NULL};
    green_t *g = make(run_retain_again, NULL);
    assert_ok(green_set_userdata(g, &f, freed_fn));
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r));
    assert_ptr_equal(r, V(7));
    assert_int_equal(f.count, 0);
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    assert_ok(green_switch(g, NULL, &r));
    assert_ptr_equal(r, V(8));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_int_equal(f.count, 0);
    assert_ok(green_release(g));
    assert_int_equal(f.count, 1);
}

/* ---- release from another thread ---- */

static void *release_thread(void *arg)
{
    green_release(arg);
    return NULL;
}

static void release_elsewhere(green_t *g)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_thread, g), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
}

static void test_foreign_release_deferred_to_create(void **state)
{
    (void)state;
    green_t *g = make_victim();
    release_elsewhere(g);
    /* nothing happened yet: the owner did not call into libgreen */
    assert_int_equal(vic.cleaned, 0);
    assert_int_equal(vic.f.count, 0);
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    green_t *other = make(run_return_in, NULL);
    /* green_create ran the kill here, on this thread */
    assert_int_equal(vic.cleaned, 1);
    assert_int_equal(vic.rc, GREEN_EXIT);
    assert_true(pthread_equal(vic.thread, pthread_self()));
    assert_int_equal(vic.f.count, 1);
    assert_ptr_equal(vic.f.last, &vic); /* freed on this thread too */
    assert_ptr_equal(vic.parent_at_kill, green_main());
    assert_ok(green_release(other));
}

static void test_foreign_release_deferred_to_switch(void **state)
{
    (void)state;
    green_t *g = make_victim();
    green_t *other = make(run_return_in, NULL);
    release_elsewhere(g);
    assert_int_equal(vic.cleaned, 0);
    assert_int_equal(vic.f.count, 0);
    void *r = NULL;
    assert_ok(green_switch(other, V(9), &r));
    assert_ptr_equal(r, V(9));
    assert_int_equal(vic.cleaned, 1);
    assert_int_equal(vic.rc, GREEN_EXIT);
    assert_true(pthread_equal(vic.thread, pthread_self()));
    assert_int_equal(vic.f.count, 1);
    assert_ptr_equal(vic.f.last, &vic);
    assert_ok(green_release(other));
}

static pthread_t freed_on;
static int freed_count;
static void note_free_thread(void *ud)
{
    (void)ud;
    freed_on = pthread_self();
    freed_count++;
}

struct release_here {
    green_t *g;
    pthread_t self;
    int count_after;
};

static void *release_and_look(void *arg)
{
    struct release_here *rh = arg;
    rh->self = pthread_self();
    green_release(rh->g);
    rh->count_after = freed_count;
    return NULL;
}

static void test_foreign_release_of_new(void **state)
{
    (void)state;
    /* A greenlet that never started is freed at once, on the releasing
     * thread, and does not run. */
    memset(&vic, 0, sizeof vic);
    freed_count = 0;
    green_t *g = make(run_victim, NULL);
    assert_ok(green_set_userdata(g, &vic, note_free_thread));
    struct release_here rh = {g, pthread_self(), -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_and_look, &rh), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(rh.count_after, 1);
    assert_int_equal(freed_count, 1);
    assert_true(pthread_equal(freed_on, rh.self));
    assert_int_equal(vic.runs, 0);
    green_t *other = make(run_return_in, NULL);
    assert_int_equal(freed_count, 1);
    assert_int_equal(vic.runs, 0);
    assert_ok(green_release(other));
}

static void test_foreign_release_of_new_with_parent(void **state)
{
    (void)state;
    /* The parent chain goes with it: a new parent is freed there too, a
     * suspended one is killed on its own thread at its next call. */
    freed_count = 0;
    green_t *p = make(run_return_in, NULL);
    green_t *c = make(run_return_in, p);
    assert_ok(green_set_userdata(p, NULL, note_free_thread));
    assert_ok(green_set_userdata(c, NULL, note_free_thread));
    assert_ok(green_release(p));
    struct release_here rh = {c, pthread_self(), -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_and_look, &rh), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(rh.count_after, 2);
    assert_true(pthread_equal(freed_on, rh.self));

    green_t *s = make_victim();
    c = make(run_return_in, s);
    assert_ok(green_release(s)); /* c holds it */
    assert_int_equal(vic.cleaned, 0);
    rh.g = c;
    assert_int_equal(pthread_create(&th, NULL, release_and_look, &rh), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(vic.cleaned, 0);
    green_t *other = make(run_return_in, NULL);
    assert_int_equal(vic.cleaned, 1);
    assert_int_equal(vic.rc, GREEN_EXIT);
    assert_true(pthread_equal(vic.thread, pthread_self()));
    assert_int_equal(vic.f.count, 1);
    assert_ok(green_release(other));
}

static void test_foreign_release_of_dead(void **state)
{
    (void)state;
    /* A dead greenlet released elsewhere is freed exactly once, by the
     * time its owner has called into libgreen again. */
    freed_count = 0;
    green_t *g = make(run_return_in, NULL);
    assert_ok(green_set_userdata(g, NULL, note_free_thread));
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    release_elsewhere(g);
    green_t *other = make(run_return_in, NULL);
    assert_int_equal(freed_count, 1);
    assert_ok(green_release(other));
    assert_int_equal(freed_count, 1);
}

static void *retain_release_thread(void *arg)
{
    for (int i = 0; i < 10000; i++) {
        green_retain(arg);
        green_release(arg);
    }
    return NULL;
}

static void test_concurrent_retain_release(void **state)
{
    (void)state;
    struct freed f;
    green_t *g = make(run_return_in, NULL);
    track(g, &f);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            pthread_create(&th[i], NULL, retain_release_thread, g), 0);
    for (int i = 0; i < 10000; i++) {
        assert_ok(green_retain(g));
        assert_ok(green_release(g));
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(f.count, 0);
    assert_ok(green_release(g));
    assert_int_equal(f.count, 1);
}


/* The last reference to the running greenlet goes on another thread: it is
 * killed once it switches away, on its own thread. */
struct running_release {
    green_t *self;
    int rc_after;
    void *payload;
    pthread_t thread_at_exit;
    struct freed f;
};
static struct running_release rr;

static int run_released_elsewhere(green_t *self, void *in, void **out)
{
    (void)in;
    rr.self = self;
    /* the only reference is dropped by another thread while we run */
    release_elsewhere(self);
    /* a call into libgreen picks the release up; we keep running */
    green_t *tmp = NULL;
    green_create(&tmp, run_return_in, NULL, NULL);
    green_release(tmp);
    int freed_yet = rr.f.count;
    void *r = NULL;
    rr.rc_after = green_switch(green_main(), V(70 + freed_yet), &r);
    rr.payload = r;
    rr.thread_at_exit = pthread_self();
    *out = V(71);
    return GREEN_OK;
}

static void test_running_released_elsewhere(void **state)
{
    (void)state;
    memset(&rr, 0, sizeof rr);
    green_t *g = make(run_released_elsewhere, NULL);
    assert_ok(green_set_userdata(g, &rr.f, freed_fn));
    void *r = NULL;
    /* our reference is handed to the releasing thread: we do not release */
    assert_ok(green_switch(g, NULL, &r));
    assert_ptr_equal(r, V(70)); /* not freed while it ran */
    assert_int_equal(rr.rc_after, GREEN_EXIT);
    assert_true(pthread_equal(rr.thread_at_exit, pthread_self()));
    assert_int_equal(rr.f.count, 1);
    assert_ptr_equal(green_current(), green_main());
}

/* userdata_free may itself release greenlets: here it releases the last
 * reference to a suspended one, which is killed on the spot. */
static green_t *held_by_userdata;
static int userdata_free_calls;
static void free_releasing(void *ud)
{
    (void)ud;
    userdata_free_calls++;
    green_release(held_by_userdata);
}

static void test_userdata_free_releases_others(void **state)
{
    (void)state;
    userdata_free_calls = 0;
    held_by_userdata = make_victim(); /* suspended, one reference */
    green_t *owner = make(run_return_in, NULL);
    assert_ok(green_set_userdata(owner, NULL, free_releasing));
    /* dead owner */
    assert_ok(green_switch(owner, NULL, NULL));
    assert_ok(green_release(owner));
    assert_int_equal(userdata_free_calls, 1);
    assert_int_equal(vic.cleaned, 1);
    assert_int_equal(vic.rc, GREEN_EXIT);
    assert_int_equal(vic.f.count, 1);
    /* never started owner, from inside a greenlet */
    held_by_userdata = make_victim();
    owner = make(run_return_in, NULL);
    assert_ok(green_set_userdata(owner, NULL, free_releasing));
    green_t *k = make(run_killer, NULL);
    void *r = NULL;
    assert_ok(green_switch(k, owner, &r));
    assert_ptr_equal(r, V(3));
    assert_int_equal(userdata_free_calls, 2);
    assert_int_equal(vic.cleaned, 1);
    assert_ptr_equal(vic.parent_at_kill, k);
    assert_int_equal(vic.f.count, 1);
    assert_ok(green_release(k));
    assert_ptr_equal(green_current(), green_main());
}

/* Many releases from other threads while the owner keeps switching: each
 * kill runs exactly once, on the owner thread. */
#define NSTRESS 256
static _Atomic int stress_kills, stress_frees, stress_wrong_thread;
static pthread_t stress_owner;

static void stress_free(void *ud)
{
    (void)ud;
    stress_frees++;
    if (!pthread_equal(pthread_self(), stress_owner))
        stress_wrong_thread++;
}

static int run_stress_victim(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    int rc = green_switch(green_main(), NULL, NULL);
    if (rc == GREEN_EXIT)
        stress_kills++;
    if (!pthread_equal(pthread_self(), stress_owner))
        stress_wrong_thread++;
    *out = NULL;
    return GREEN_OK;
}

struct stress_batch {
    green_t **g;
    int n;
};

static void *stress_release(void *arg)
{
    struct stress_batch *b = arg;
    for (int i = 0; i < b->n; i++)
        green_release(b->g[i]);
    return NULL;
}

static int run_pinger(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    for (;;)
        if (green_switch(green_main(), NULL, NULL) != GREEN_OK)
            break;
    *out = NULL;
    return GREEN_OK;
}

static void test_foreign_release_stress(void **state)
{
    (void)state;
    static green_t *victims[NSTRESS];
    stress_kills = stress_frees = stress_wrong_thread = 0;
    stress_owner = pthread_self();
    for (int i = 0; i < NSTRESS; i++) {
        victims[i] = make(run_stress_victim, NULL);
        assert_ok(green_set_userdata(victims[i], NULL, stress_free));
        assert_ok(green_switch(victims[i], NULL, NULL));
    }
    green_t *pinger = make(run_pinger, NULL);
    struct stress_batch b[2] = {{victims, NSTRESS / 2},
                                {victims + NSTRESS / 2, NSTRESS / 2}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, stress_release, &b[i]),
                         0);
    /* keep calling into libgreen while they release */
    long spins = 0;
    while (stress_frees < NSTRESS && spins < 100000000L) {
        assert_ok(green_switch(pinger, NULL, NULL));
        spins++;
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    /* the last ones may have been queued after our last call */
    green_t *tmp = make(run_pinger, NULL);
    assert_ok(green_release(tmp));
    assert_int_equal(stress_kills, NSTRESS);
    assert_int_equal(stress_frees, NSTRESS);
    assert_int_equal(stress_wrong_thread, 0);
    assert_ok(green_release(pinger));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retain_release),
        cmocka_unit_test(test_release_dead),
        cmocka_unit_test(test_main_survives_retain_release),
        cmocka_unit_test(test_release_suspended_kills),
        cmocka_unit_test(test_kill_parent_is_releaser),
        cmocka_unit_test(test_release_new_does_not_run),
        cmocka_unit_test(test_release_cascades_to_parents),
        cmocka_unit_test(test_self_release_then_finish),
        cmocka_unit_test(test_self_release_then_switch),
        cmocka_unit_test(test_self_release_then_retain),
        cmocka_unit_test(test_foreign_release_deferred_to_create),
        cmocka_unit_test(test_foreign_release_deferred_to_switch),
        cmocka_unit_test(test_foreign_release_of_new),
        cmocka_unit_test(test_foreign_release_of_new_with_parent),
        cmocka_unit_test(test_foreign_release_of_dead),
        cmocka_unit_test(test_concurrent_retain_release),
        cmocka_unit_test(test_foreign_release_stress),
        cmocka_unit_test(test_userdata_free_releases_others),
        cmocka_unit_test(test_running_released_elsewhere),
        /* last: leaves a greenlet behind on purpose */
        cmocka_unit_test(test_survivor_is_leaked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
