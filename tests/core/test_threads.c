/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c - every thread has its own main greenlet; greenlets of
 * another thread cannot be switched to, thrown into, or re-parented, and
 * such calls change nothing; the calls allowed from any thread work.
 */
#include <pthread.h>

#include "common.h"

/* Runs a body on a new thread and waits for it. */
static void on_thread(void *(*fn)(void *), void *arg)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, fn, arg), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
}

static int run_gen(green_t *self, void *in, void **out)
{
    green_t *p = NULL;
    green_get_parent(self, &p);
    uintptr_t n = (uintptr_t)in;
    for (uintptr_t i = 0; i < n; i++)
        if (green_switch(p, (void *)i, NULL) != GREEN_OK)
            return GREEN_THROWN;
    *out = (void *)n;
    return GREEN_OK;
}

struct own_main {
    green_t *main_g, *current, *parent_of_main;
    int is_main, state, state_of_other_main;
    green_t *other_main;
    uintptr_t sum;
    int gen_ok;
};

static void *thread_own_main(void *arg)
{
    struct own_main *o = arg;
    o->main_g = green_main();
    o->current = green_current();
    o->is_main = green_is_main(o->main_g);
    o->state = green_state(o->main_g);
    o->parent_of_main = V(1);
    green_get_parent(o->main_g, &o->parent_of_main);
    o->state_of_other_main = green_state(o->other_main);
    /* greenlets work here too */
    green_t *g = NULL;
    o->gen_ok = green_create(&g, run_gen, NULL, NULL) == GREEN_OK;
    void *r = NULL;
    if (o->gen_ok && green_switch(g, (void *)(uintptr_t)100, &r) == GREEN_OK) {
        while (green_state(g) != GREEN_STATE_DEAD) {
            o->sum += (uintptr_t)r;
            if (green_switch(g, NULL, &r) != GREEN_OK) {
                o->gen_ok = 0;
                break;
            }
        }
        green_t *p = NULL;
        green_get_parent(g, &p);
        if (p != o->main_g)
            o->gen_ok = 0;
    } else {
        o->gen_ok = 0;
    }
    green_release(g);
    return NULL;
}

static void test_each_thread_has_its_main(void **state)
{
    (void)state;
    struct own_main o;
    memset(&o, 0, sizeof o);
    o.other_main = green_main();
    on_thread(thread_own_main, &o);
    assert_non_null(o.main_g);
    assert_true(o.main_g != green_main());
    assert_ptr_equal(o.current, o.main_g);
    assert_int_equal(o.is_main, 1);
    assert_int_equal(o.state, GREEN_STATE_RUNNING);
    assert_null(o.parent_of_main);
    /* our main, seen from there, is running (it is the current one here) */
    assert_int_equal(o.state_of_other_main, GREEN_STATE_RUNNING);
    assert_true(o.gen_ok);
    assert_int_equal(o.sum, 99 * 100 / 2);
}

static void test_threads_run_concurrently(void **state)
{
    (void)state;
    struct own_main o[4];
    pthread_t th[4];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 4; i++) {
        o[i].other_main = green_main();
        assert_int_equal(
            pthread_create(&th[i], NULL, thread_own_main, &o[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 4; i++) {
        assert_true(o[i].gen_ok);
        assert_int_equal(o[i].sum, 99 * 100 / 2);
        assert_true(o[i].main_g != green_main());
    }
}

/* ---- greenlets of another thread ---- */

static int resumed_count;
static int run_park(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    for (;;) {
        int rc = green_switch(green_main(), NULL, NULL);
        resumed_count++;
        if (rc == GREEN_EXIT)
            break;
    }
    *out = NULL;
    return GREEN_OK;
}

static int run_never(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    (void)out;
    resumed_count += 1000;
    return GREEN_OK;
}

struct foreign_calls {
    green_t *suspended, *fresh, *dead, *main_g;
    int sw[4], th[4], ex[4], sp_mine[4], sp_theirs[4], cr[4], ud[4];
    int is_main[4];
    void *results[4];
    green_t *created[4];
    int state_ok, userdata_ok, parent_ok, retain_ok;
    green_t *parents[4];
};

static void never_free(void *ud) { (void)ud; }

static void *thread_foreign_calls(void *arg)
{
    struct foreign_calls *c = arg;
    green_t *targets[4] = {c->suspended, c->fresh, c->dead, c->main_g};
    green_t *mine = NULL;
    green_create(&mine, run_never, NULL, NULL);
    for (int i = 0; i < 4; i++) {
        c->results[i] = V(42);
        c->sw[i] = green_switch(targets[i], V(1), &c->results[i]);
        c->th[i] = green_throw(targets[i], V(2), &c->results[i]);
        c->ex[i] = green_throw_exit(targets[i], V(3), &c->results[i]);
        c->sp_mine[i] = green_set_parent(mine, targets[i]);
        c->sp_theirs[i] = green_set_parent(targets[i], mine);
        c->created[i] = V(4);
        c->cr[i] = green_create(&c->created[i], run_never, targets[i], NULL);
        c->ud[i] = green_set_userdata(targets[i], V(7), never_free);
        c->is_main[i] = green_is_main(targets[i]);
        /* the calls any thread may make */
        c->parents[i] = V(5);
        if (green_get_parent(targets[i], &c->parents[i]) != GREEN_OK)
            c->parent_ok = -1;
        if (green_retain(targets[i]) != GREEN_OK ||
            green_release(targets[i]) != GREEN_OK)
            c->retain_ok = -1;
    }
    c->state_ok = green_state(c->suspended) == GREEN_STATE_SUSPENDED &&
                  green_state(c->fresh) == GREEN_STATE_NEW &&
                  green_state(c->dead) == GREEN_STATE_DEAD &&
                  green_state(c->main_g) == GREEN_STATE_RUNNING;
    c->userdata_ok = green_get_userdata(c->suspended) == V(6);
    green_t *p = NULL;
    green_get_parent(mine, &p);
    if (p != green_main())
        c->parent_ok = -2;
    green_release(mine);
    return NULL;
}

static void test_foreign_greenlets(void **state)
{
    (void)state;
    struct foreign_calls c;
    memset(&c, 0, sizeof c);
    resumed_count = 0;
    c.suspended = make(run_park, NULL);
    assert_ok(green_switch(c.suspended, NULL, NULL));
    assert_ok(green_set_userdata(c.suspended, V(6), NULL));
    c.fresh = make(run_never, NULL);
    c.dead = make(run_never, NULL);
    assert_ok(green_throw_exit(c.dead, NULL, NULL));
    c.main_g = green_main();
    green_t *fresh_parent = parent_of(c.fresh);

    on_thread(thread_foreign_calls, &c);

    for (int i = 0; i < 4; i++) {
        assert_int_equal(c.sw[i], GREEN_ETHREAD);
        assert_int_equal(c.th[i], GREEN_ETHREAD);
        assert_int_equal(c.ex[i], GREEN_ETHREAD);
        assert_int_equal(c.sp_mine[i], GREEN_ETHREAD);
        assert_int_equal(c.sp_theirs[i], GREEN_ETHREAD);
        assert_int_equal(c.cr[i], GREEN_ETHREAD);
        assert_int_equal(c.ud[i], GREEN_ETHREAD);
        /* any thread may ask */
        assert_int_equal(c.is_main[i], i == 3);
        assert_null(c.created[i]);
        assert_ptr_equal(c.results[i], V(42));
    }
    assert_ptr_equal(c.parents[0], green_main());
    assert_ptr_equal(c.parents[1], fresh_parent);
    assert_ptr_equal(c.parents[2], green_main());
    assert_null(c.parents[3]);
    assert_true(c.state_ok);
    assert_true(c.userdata_ok);
    assert_int_equal(c.parent_ok, 0);
    assert_int_equal(c.retain_ok, 0);
    /* nothing changed here */
    assert_int_equal(resumed_count, 0);
    assert_int_equal(green_state(c.suspended), GREEN_STATE_SUSPENDED);
    assert_int_equal(green_state(c.fresh), GREEN_STATE_NEW);
    assert_int_equal(green_state(c.dead), GREEN_STATE_DEAD);
    assert_ptr_equal(green_get_userdata(c.suspended), V(6));
    assert_null(green_get_userdata(c.fresh));
    assert_ptr_equal(parent_of(c.suspended), green_main());
    assert_ptr_equal(parent_of(c.fresh), fresh_parent);
    assert_ptr_equal(green_current(), green_main());
    /* and everything still works */
    assert_ok(green_switch(c.suspended, NULL, NULL));
    assert_int_equal(resumed_count, 1);
    assert_ok(green_release(c.suspended)); /* killed */
    assert_int_equal(resumed_count, 2);
    assert_ok(green_release(c.fresh));
    assert_ok(green_release(c.dead));
}

/* A thread that keeps its greenlets alive until told to end. */
struct worker {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int ready, done;
    green_t *main_g, *parked;
    int kill_rc;
};

static void *thread_worker(void *arg)
{
    struct worker *w = arg;
    w->main_g = green_main();
    green_create(&w->parked, run_park, NULL, NULL);
    green_switch(w->parked, NULL, NULL);
    pthread_mutex_lock(&w->m);
    w->ready = 1;
    pthread_cond_broadcast(&w->cv);
    while (!w->done)
        pthread_cond_wait(&w->cv, &w->m);
    pthread_mutex_unlock(&w->m);
    w->kill_rc = green_throw_exit(w->parked, NULL, NULL);
    green_release(w->parked);
    return NULL;
}

static void test_foreign_live_thread(void **state)
{
    (void)state;
    struct worker w;
    memset(&w, 0, sizeof w);
    pthread_mutex_init(&w.m, NULL);
    pthread_cond_init(&w.cv, NULL);
    pthread_t th;
    resumed_count = 0;
    assert_int_equal(pthread_create(&th, NULL, thread_worker, &w), 0);
    pthread_mutex_lock(&w.m);
    while (!w.ready)
        pthread_cond_wait(&w.cv, &w.m);
    pthread_mutex_unlock(&w.m);

    void *r = V(1);
    assert_int_equal(green_switch(w.parked, V(2), &r), GREEN_ETHREAD);
    assert_int_equal(green_switch(w.main_g, V(2), &r), GREEN_ETHREAD);
    assert_int_equal(green_throw(w.parked, V(2), &r), GREEN_ETHREAD);
    assert_int_equal(green_throw(w.main_g, V(2), &r), GREEN_ETHREAD);
    assert_int_equal(green_throw_exit(w.parked, V(2), &r), GREEN_ETHREAD);
    /* owner check comes first: not EMAIN */
    assert_int_equal(green_throw_exit(w.main_g, V(2), &r), GREEN_ETHREAD);
    assert_int_equal(green_set_parent(w.parked, green_main()), GREEN_ETHREAD);
    assert_ptr_equal(r, V(1));
    assert_int_equal(green_state(w.parked), GREEN_STATE_SUSPENDED);
    assert_ptr_equal(parent_of(w.parked), w.main_g);
    assert_int_equal(green_is_main(w.main_g), 1);
    assert_int_equal(resumed_count, 0);
    assert_ptr_equal(green_current(), green_main());

    pthread_mutex_lock(&w.m);
    w.done = 1;
    pthread_cond_broadcast(&w.cv);
    pthread_mutex_unlock(&w.m);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(w.kill_rc, GREEN_OK);
    assert_int_equal(resumed_count, 1);
    pthread_mutex_destroy(&w.m);
    pthread_cond_destroy(&w.cv);
}

/* Hooks are per thread: ours do not see another thread's switches. */
static int hook_calls;
static void count_hook(void *data, int event, int phase, green_t *o,
                       green_t *t)
{
    (void)data;
    (void)event;
    (void)phase;
    (void)o;
    (void)t;
    hook_calls++;
}

static void test_hooks_are_per_thread(void **state)
{
    (void)state;
    hook_calls = 0;
    assert_ok(green_hook_add(count_hook, NULL));
    struct own_main o;
    memset(&o, 0, sizeof o);
    o.other_main = green_main();
    on_thread(thread_own_main, &o);
    assert_true(o.gen_ok);
    assert_int_equal(hook_calls, 0);
    green_t *g = make(run_gen, NULL);
    /* main -> g and g -> main: two phases each */
    assert_ok(green_switch(g, (void *)(uintptr_t)1, NULL));
    assert_int_equal(hook_calls, 4);
    assert_ok(green_release(g));
    assert_ok(green_hook_remove(count_hook, NULL));
}

/*
 * A thread that ends inside a greenlet (pthread_exit() there) leaves its
 * greenlets as they are, suspended in plain switches; a thread started
 * after it, which the C library may give the same thread pointer (its
 * stack and thread block are cached), can switch to none of them.
 */
struct ended_inside {
    green_t *main_g, *g; /* leaked with their thread: never released */
    void *tcb;           /* pthread_self() of the ended thread */
    int switches;        /* plain switches made before the exit */
    int returned;        /* the thread body went on after the exit: wrong */
    int sw_main, sw_g;   /* green_switch() to each from the next thread */
    int reused;          /* the next thread got the same thread block */
};
static struct ended_inside ended;

static int run_exit_inside(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    (void)out;
    for (int i = 0; i < 3; i++)
        if (green_switch(ended.main_g, NULL, NULL) == GREEN_OK)
            ended.switches++;
    pthread_exit(NULL);
    return GREEN_OK; /* not reached (MinGW's pthread_exit() is not noreturn) */
}

static void *thread_exit_inside(void *arg)
{
    (void)arg;
    ended.tcb = (void *)pthread_self();
    ended.main_g = green_main();
    green_retain(ended.main_g);
    if (green_create(&ended.g, run_exit_inside, NULL, NULL) != GREEN_OK)
        return NULL;
    /* starts g, then three switches back to it: from then on both wait
     * in plain switches, the second time round */
    for (int i = 0; i < 4; i++)
        if (green_switch(ended.g, NULL, NULL) == GREEN_OK)
            ended.switches++;
    ended.returned = 1;
    return NULL;
}

static void *thread_after_exit_inside(void *arg)
{
    (void)arg;
    ended.reused = (void *)pthread_self() == ended.tcb;
    ended.sw_main = green_switch(ended.main_g, NULL, NULL);
    ended.sw_g = green_switch(ended.g, NULL, NULL);
    return NULL;
}

static void test_thread_ended_inside_greenlet(void **state)
{
    (void)state;
    /* its pthread_exit() wants to run on the thread's own stack */
    SKIP_UNDER_TSAN("pthread_exit() on a greenlet's stack");
    memset(&ended, 0, sizeof ended);
    on_thread(thread_exit_inside, NULL);
    assert_non_null(ended.g);
    assert_int_equal(ended.switches, 6);
    assert_int_equal(ended.returned, 0);
    on_thread(thread_after_exit_inside, NULL);
    assert_int_equal(ended.sw_main, GREEN_ETHREAD);
    assert_int_equal(ended.sw_g, GREEN_ETHREAD);
    print_message("next thread had the ended one's thread block: %s\n",
                  ended.reused ? "yes" : "no");
}

/* green_state() from another thread: the running greenlet of a thread is
 * RUNNING and the others SUSPENDED, also after switches that the fast
 * path made without writing a state byte. */
struct seen_states {
    green_t *a, *b;
    int a_state, b_state;
};

static void *thread_read_states(void *arg)
{
    struct seen_states *s = arg;
    s->a_state = green_state(s->a);
    s->b_state = green_state(s->b);
    return NULL;
}

static struct seen_states inside;

static int run_read_from_thread(green_t *self, void *in, void **out)
{
    (void)in;
    green_t *m = green_main();
    for (int i = 0; i < 3; i++) {
        inside.a = self;
        inside.b = m;
        on_thread(thread_read_states, &inside);
        if (inside.a_state != GREEN_STATE_RUNNING ||
            inside.b_state != GREEN_STATE_SUSPENDED)
            break;
        if (green_switch(m, NULL, NULL) != GREEN_OK)
            return GREEN_THROWN;
    }
    *out = NULL;
    return GREEN_OK;
}

static void test_states_seen_from_another_thread(void **state)
{
    (void)state;
    memset(&inside, 0, sizeof inside);
    green_t *g = make(run_read_from_thread, NULL);
    for (int i = 0; i < 3; i++) {
        assert_ok(green_switch(g, NULL, NULL));
        assert_int_equal(inside.a_state, GREEN_STATE_RUNNING);
        assert_int_equal(inside.b_state, GREEN_STATE_SUSPENDED);
        struct seen_states outside = {g, green_main(), 0, 0};
        on_thread(thread_read_states, &outside);
        assert_int_equal(outside.a_state, GREEN_STATE_SUSPENDED);
        assert_int_equal(outside.b_state, GREEN_STATE_RUNNING);
    }
    assert_ok(green_switch(g, NULL, NULL));
    struct seen_states dead = {g, green_main(), 0, 0};
    on_thread(thread_read_states, &dead);
    assert_int_equal(dead.a_state, GREEN_STATE_DEAD);
    assert_int_equal(dead.b_state, GREEN_STATE_RUNNING);
    assert_ok(green_release(g));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_thread_has_its_main),
        cmocka_unit_test(test_threads_run_concurrently),
        cmocka_unit_test(test_foreign_greenlets),
        cmocka_unit_test(test_foreign_live_thread),
        cmocka_unit_test(test_hooks_are_per_thread),
        cmocka_unit_test(test_thread_ended_inside_greenlet),
        cmocka_unit_test(test_states_seen_from_another_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
