/* SPDX-License-Identifier: MIT */
/* Green threads: spawn, join, results and errors, kill, yield order. */
#include "common.h"

#include <string.h>
#include <unistd.h>

static int ret_arg(void *arg, void **out)
{
    *out = arg;
    return GREEN_OK;
}

static int fail_with(void *arg, void **out)
{
    *out = arg;
    return -42;
}

static void spawn_and_join(void **state)
{
    (void)state;
    int x = 7;
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, ret_arg, &x), GREEN_OK);
    assert_int_equal(green_thread_done(t), 0);
    assert_int_equal(green_hub_count(), 1);
    void *res = NULL;
    assert_int_equal(green_thread_wait(t, GREEN_HUB_FOREVER, &res), GREEN_OK);
    assert_ptr_equal(res, &x);
    assert_int_equal(green_thread_done(t), 1);
    assert_int_equal(green_hub_count(), 0);
    /* Joining again gives the same answer. */
    res = NULL;
    assert_int_equal(green_thread_wait(t, 0, &res), GREEN_OK);
    assert_ptr_equal(res, &x);
    assert_int_equal(green_thread_release(t), GREEN_OK);
}

static void error_is_thrown(void **state)
{
    (void)state;
    int payload = 1;
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, fail_with, &payload), GREEN_OK);
    void *res = NULL;
    assert_int_equal(green_thread_wait(t, GREEN_HUB_FOREVER, &res),
                     GREEN_THROWN);
    assert_ptr_equal(res, &payload);
    green_thread_release(t);
}

static int counter;

static int bump(void *arg, void **out)
{
    (void)out;
    counter += (int)(intptr_t)arg;
    return GREEN_OK;
}

static void spawn_n_runs(void **state)
{
    (void)state;
    counter = 0;
    for (int i = 1; i <= 100; i++)
        assert_int_equal(green_hub_spawn_n(bump, (void *)(intptr_t)i),
                         GREEN_OK);
    assert_int_equal(counter, 0); /* spawning does not switch */
    assert_int_equal(green_hub_sleep(0.001), GREEN_OK);
    assert_int_equal(counter, 5050);
}

/* Yielding round-robins: three threads each log their id three times. */
static char order[64];
static size_t norder;

static int yielder(void *arg, void **out)
{
    (void)out;
    for (int i = 0; i < 3; i++) {
        order[norder++] = (char)(intptr_t)arg;
        if (green_hub_yield() != GREEN_OK)
            return -1;
    }
    return GREEN_OK;
}

static void yield_round_robin(void **state)
{
    (void)state;
    norder = 0;
    green_thread_t *t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            green_hub_spawn(&t[i], yielder, (void *)(intptr_t)('a' + i)),
            GREEN_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(green_thread_wait(t[i], 1.0, NULL), GREEN_OK);
        green_thread_release(t[i]);
    }
    order[norder] = 0;
    assert_string_equal(order, "abcabcabc");
}

/* Kill a thread that never started: it never runs. */
static int ran;
static int mark_ran(void *arg, void **out)
{
    (void)arg;
    (void)out;
    ran = 1;
    return GREEN_OK;
}

static void kill_unstarted(void **state)
{
    (void)state;
    ran = 0;
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, mark_ran, NULL), GREEN_OK);
    assert_int_equal(green_thread_kill(t), GREEN_OK);
    assert_int_equal(green_thread_done(t), 1);
    void *res = &res;
    assert_int_equal(green_thread_wait(t, 0, &res), GREEN_EXIT);
    assert_null(res);
    assert_int_equal(green_hub_sleep(0.001), GREEN_OK);
    assert_int_equal(ran, 0);
    green_thread_release(t);
}

/* Kill a sleeping thread: its sleep returns GREEN_EKILLED, cleanup runs, and
 * any later blocking call returns GREEN_EKILLED at once. */
static int cleanup_ran, second_rc;

static int sleeper(void *arg, void **out)
{
    (void)arg;
    int rc = green_hub_sleep(100.0);
    if (rc == GREEN_EKILLED) {
        cleanup_ran = 1;
        second_rc = green_hub_sleep(100.0);
        *out = &cleanup_ran;
        return GREEN_EXIT;
    }
    return GREEN_OK;
}

static void kill_sleeping(void **state)
{
    (void)state;
    cleanup_ran = 0;
    second_rc = 0;
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, sleeper, NULL), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK); /* it starts, sleeps */
    assert_int_equal(green_thread_done(t), 0);
    double t0 = green_hub_now();
    assert_int_equal(green_thread_kill(t), GREEN_OK);
    /* kill yields once: the victim has unwound already */
    assert_int_equal(cleanup_ran, 1);
    assert_int_equal(second_rc, GREEN_EKILLED);
    void *res = NULL;
    assert_int_equal(green_thread_wait(t, 1.0, &res), GREEN_EXIT);
    assert_ptr_equal(res, &cleanup_ran);
    assert_true(green_hub_now() - t0 < 1.0);
    /* Killing a finished thread does nothing. */
    assert_int_equal(green_thread_kill(t), GREEN_OK);
    green_thread_release(t);
}

static int self_killer(void *arg, void **out)
{
    (void)arg;
    (void)out;
    green_thread_t *me = green_thread_current();
    if (!me)
        return -1;
    if (green_thread_kill(me) != GREEN_EKILLED)
        return -2;
    if (green_hub_yield() != GREEN_EKILLED)
        return -3;
    return GREEN_EKILLED;
}

/* After a kill, blocking functions fail even where they would not wait;
 * non-blocking ones still work for cleanup. */
static int after_kill[8];

static int killed_then_try(void *arg, void **out)
{
    (void)out;
    green_event_t *ev = arg;
    if (green_hub_sleep(100.0) != GREEN_EKILLED)
        return -1;
    int p[2];
    if (pipe(p) != 0)
        return -2;
    char c = 'x';
    (void)!write(p[1], &c, 1);
    after_kill[0] = (int)green_hub_read(p[0], &c, 1, 1.0);
    after_kill[1] = green_event_wait(ev, 1.0, NULL); /* already sent */
    after_kill[2] = green_hub_yield();
    after_kill[3] = green_thread_wait(green_thread_current(), 0, NULL);
    after_kill[6] = green_hub_wait_read(p[0], 1.0); /* readable */
    after_kill[4] = green_hub_close(p[0]);
    after_kill[5] = green_hub_close(p[1]);
    after_kill[7] = green_hub_wait_write(p[1], 1.0); /* closed fd */
    return GREEN_EKILLED;
}

static void killed_thread_cannot_block(void **state)
{
    (void)state;
    green_event_t *ev;
    assert_int_equal(green_event_create(&ev), GREEN_OK);
    assert_int_equal(green_event_send(ev, NULL), GREEN_OK);
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, killed_then_try, ev), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_thread_kill(t), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 1.0, NULL), GREEN_EXIT);
    green_thread_release(t);
    assert_int_equal(after_kill[0], GREEN_EKILLED);
    assert_int_equal(after_kill[1], GREEN_EKILLED);
    assert_int_equal(after_kill[2], GREEN_EKILLED);
    assert_int_equal(after_kill[3], GREEN_EKILLED);
    assert_int_equal(after_kill[4], GREEN_OK);
    assert_int_equal(after_kill[5], GREEN_OK);
    /* fd waits report the kill first, as every blocking call does. */
    assert_int_equal(after_kill[6], GREEN_EKILLED);
    assert_int_equal(after_kill[7], GREEN_EKILLED);
    assert_int_equal(green_event_destroy(ev), GREEN_OK);
}

static void kill_self(void **state)
{
    (void)state;
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, self_killer, NULL), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 1.0, NULL), GREEN_EXIT);
    green_thread_release(t);
    assert_null(green_thread_current());
}

static void join_timeout(void **state)
{
    (void)state;
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, sleeper, NULL), GREEN_OK);
    double t0 = green_hub_now();
    assert_int_equal(green_thread_wait(t, 0.05, NULL), GREEN_ETIMEDOUT);
    double dt = green_hub_now() - t0;
    assert_true(dt >= 0.049);
    assert_true(dt < 1.0);
    assert_int_equal(green_thread_wait(t, 0, NULL), GREEN_ETIMEDOUT);
    green_thread_release(t); /* still sleeping: the teardown kills it */
    assert_int_equal(green_hub_count(), 1);
}

/* A green thread joining another. */
static int joiner(void *arg, void **out)
{
    return green_thread_wait(arg, GREEN_HUB_FOREVER, out);
}

static int slow_value(void *arg, void **out)
{
    int rc = green_hub_sleep(0.01);
    *out = arg;
    return rc;
}

static void thread_joins_thread(void **state)
{
    (void)state;
    int v;
    green_thread_t *a, *b;
    assert_int_equal(green_hub_spawn(&a, slow_value, &v), GREEN_OK);
    assert_int_equal(green_hub_spawn(&b, joiner, a), GREEN_OK);
    void *res = NULL;
    assert_int_equal(green_thread_wait(b, 1.0, &res), GREEN_OK);
    assert_ptr_equal(res, &v);
    green_thread_release(a);
    green_thread_release(b);
}

/* Main waits on something nobody can ever send. */
static int wait_forever(void *arg, void **out)
{
    (void)out;
    return green_event_wait(arg, GREEN_HUB_FOREVER, NULL);
}

static void deadlock_detected(void **state)
{
    (void)state;
    green_event_t *ev;
    assert_int_equal(green_event_create(&ev), GREEN_OK);
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, wait_forever, ev), GREEN_OK);
    assert_int_equal(green_thread_wait(t, GREEN_HUB_FOREVER, NULL),
                     GREEN_EDEADLK);
    assert_int_equal(green_thread_kill(t), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 0, NULL), GREEN_EXIT);
    green_thread_release(t);
    assert_int_equal(green_event_destroy(ev), GREEN_OK);
}

/* Destroy with threads in every state: all are finished, none leaks. */
static void destroy_kills_all(void **state)
{
    (void)state;
    cleanup_ran = 0;
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, sleeper, NULL), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(green_hub_spawn_n(sleeper, NULL), GREEN_OK);
        assert_int_equal(green_hub_spawn_n(mark_ran, NULL), GREEN_OK);
    }
    assert_int_equal(green_hub_count(), 21);
    assert_int_equal(green_hub_destroy(), GREEN_OK);
    assert_int_equal(green_hub_count(), 0);
    assert_int_equal(cleanup_ran, 1);
    assert_int_equal(green_thread_done(t), 1);
    assert_int_equal(green_thread_wait(t, 0, NULL), GREEN_ETHREAD);
    assert_int_equal(green_thread_release(t), GREEN_OK);
}

/* Finished threads park their worker greenlet and later spawns reuse it;
 * a reused worker whose thread is killed before starting goes back to the
 * idle list and still works afterwards. */
static void worker_reuse(void **state)
{
    (void)state;
    int a, b;
    green_thread_t *t;
    void *res;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(green_hub_spawn(&t, ret_arg, &a), GREEN_OK);
        assert_int_equal(green_thread_wait(t, 1.0, &res), GREEN_OK);
        assert_ptr_equal(res, &a);
        green_thread_release(t);
    }
    ran = 0;
    assert_int_equal(green_hub_spawn(&t, mark_ran, NULL), GREEN_OK);
    assert_int_equal(green_thread_kill(t), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 0, NULL), GREEN_EXIT);
    green_thread_release(t);
    assert_int_equal(ran, 0);
    assert_int_equal(green_hub_spawn(&t, ret_arg, &b), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 1.0, &res), GREEN_OK);
    assert_ptr_equal(res, &b);
    green_thread_release(t);
    /* A killed thread's worker is reused too. */
    assert_int_equal(green_hub_spawn(&t, sleeper, NULL), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_thread_kill(t), GREEN_OK);
    green_thread_release(t);
    assert_int_equal(green_hub_spawn(&t, ret_arg, &a), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 1.0, &res), GREEN_OK);
    assert_ptr_equal(res, &a);
    green_thread_release(t);
}

static void many_threads(void **state)
{
    (void)state;
    enum { N = 2000 };
    static green_thread_t *t[N];
    static int slot[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(green_hub_spawn(&t[i], slow_value, &slot[i]),
                         GREEN_OK);
    for (int i = 0; i < N; i++) {
        void *res = NULL;
        assert_int_equal(green_thread_wait(t[i], 60.0, &res), GREEN_OK);
        assert_ptr_equal(res, &slot[i]);
        green_thread_release(t[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HUB_TEST(spawn_and_join),   HUB_TEST(error_is_thrown),
        HUB_TEST(spawn_n_runs),     HUB_TEST(yield_round_robin),
        HUB_TEST(kill_unstarted),   HUB_TEST(kill_sleeping),
        HUB_TEST(kill_self),        HUB_TEST(killed_thread_cannot_block),
        HUB_TEST(join_timeout),
        HUB_TEST(thread_joins_thread), HUB_TEST(deadlock_detected),
        HUB_TEST(destroy_kills_all), HUB_TEST(worker_reuse),
        HUB_TEST(many_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
