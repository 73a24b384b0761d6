/* SPDX-License-Identifier: MIT */
/* Timers: sleeps wake in deadline order, equal deadlines in FIFO order,
 * never early; timeouts of every blocking call. */
#include "common.h"

#include <stdlib.h>

static int woke[64];
static size_t nwoke;

struct sleep_arg {
    int id;
    double seconds;
};

/* Sleepers wait for it first, then sleep until the gate's opening plus
 * their duration: their deadlines keep their spacing however long waking
 * each of them took (a sanitizer's bookkeeping, a loaded machine). */
static green_event_t *gate;
static int at_gate;
static double gate_opened; /* green_hub_now() when the gate opened */

static int sleep_then_log(void *arg, void **out)
{
    (void)out;
    struct sleep_arg *a = arg;
    at_gate++;
    int gated = green_event_wait(gate, 10.0, NULL);
    if (gated != GREEN_OK)
        return gated;
    double left = gate_opened + a->seconds - green_hub_now();
    int rc = green_hub_sleep(left > 0 ? left : 0);
    if (rc != GREEN_OK)
        return rc;
    if (green_hub_now() - gate_opened < a->seconds)
        return -1; /* woke early */
    woke[nwoke++] = a->id;
    return GREEN_OK;
}

/* Lets every spawned sleeper start and wait at the gate, then opens it. */
static void open_gate(int sleepers)
{
    for (int i = 0; i < 1000 && at_gate < sleepers; i++)
        assert_int_equal(green_hub_sleep(0.001), GREEN_OK);
    assert_int_equal(at_gate, sleepers);
    gate_opened = green_hub_now();
    assert_int_equal(green_event_send(gate, NULL), GREEN_OK);
    at_gate = 0;
}

static void timers_fire_in_order(void **state)
{
    (void)state;
    nwoke = 0;
    /* Spawned in scrambled order; deadlines 5..40 ms apart by id. */
    static struct sleep_arg args[8];
    int ids[8] = {5, 2, 7, 0, 3, 6, 1, 4};
    green_thread_t *t[8];
    assert_int_equal(green_event_create(&gate), GREEN_OK);
    for (int i = 0; i < 8; i++) {
        args[i].id = ids[i];
        args[i].seconds = 0.005 * (ids[i] + 1);
        assert_int_equal(green_hub_spawn(&t[i], sleep_then_log, &args[i]),
                         GREEN_OK);
    }
    open_gate(8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(green_thread_wait(t[i], 2.0, NULL), GREEN_OK);
        green_thread_release(t[i]);
    }
    assert_int_equal(green_event_destroy(gate), GREEN_OK);
    assert_int_equal(nwoke, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(woke[i], i);
}

static void timers_random_order(void **state)
{
    (void)state;
    /* 50 sleepers with random durations: wake order sorted by duration. */
    enum { N = 50 };
    static struct sleep_arg args[N];
    srand(12345);
    nwoke = 0;
    assert_int_equal(green_event_create(&gate), GREEN_OK);
    green_thread_t *t[N];
    int seen[N] = {0};
    for (int i = 0; i < N; i++) {
        int ms;
        do
            ms = rand() % N;
        while (seen[ms]);
        seen[ms] = 1;
        args[i].id = ms;
        args[i].seconds = 0.002 * (ms + 1);
        assert_int_equal(green_hub_spawn(&t[i], sleep_then_log, &args[i]),
                         GREEN_OK);
    }
    open_gate(N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(green_thread_wait(t[i], 5.0, NULL), GREEN_OK);
        green_thread_release(t[i]);
    }
    assert_int_equal(green_event_destroy(gate), GREEN_OK);
    assert_int_equal(nwoke, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(woke[i], i);
}

static void sleep_is_not_early_and_bounded(void **state)
{
    (void)state;
    double t0 = green_hub_now();
    assert_int_equal(green_hub_sleep(0.03), GREEN_OK);
    double dt = green_hub_now() - t0;
    assert_true(dt >= 0.03);
    assert_true(dt < 0.5);
}

static void sleep_misuse(void **state)
{
    (void)state;
    assert_int_equal(green_hub_sleep(-1.0), GREEN_EINVAL);
    assert_int_equal(green_hub_sleep(0.0 / 0.0), GREEN_EINVAL);
}

/* A timed-out waiter leaves its list: a later send does not touch it. */
static void timeouts_of_sync_objects(void **state)
{
    (void)state;
    green_event_t *ev;
    green_sem_t *sem;
    green_queue_t *q;
    assert_int_equal(green_event_create(&ev), GREEN_OK);
    assert_int_equal(green_sem_create(&sem, 0), GREEN_OK);
    assert_int_equal(green_queue_create(&q, 1), GREEN_OK);
    double t0 = green_hub_now();
    assert_int_equal(green_event_wait(ev, 0.02, NULL), GREEN_ETIMEDOUT);
    assert_true(green_hub_now() - t0 >= 0.02);
    assert_int_equal(green_sem_acquire(sem, 0.01), GREEN_ETIMEDOUT);
    assert_int_equal(green_sem_acquire(sem, 0), GREEN_ETIMEDOUT);
    void *item;
    assert_int_equal(green_queue_get(q, &item, 0.01), GREEN_ETIMEDOUT);
    assert_int_equal(green_queue_put(q, &item, 0), GREEN_OK);
    assert_int_equal(green_queue_put(q, &item, 0.01), GREEN_ETIMEDOUT);
    assert_int_equal(green_queue_size(q), 1);
    /* Nothing waits any more: destroy succeeds. */
    assert_int_equal(green_event_send(ev, NULL), GREEN_OK);
    assert_int_equal(green_sem_release(sem), GREEN_OK);
    assert_int_equal(green_sem_count(sem), 1);
    assert_int_equal(green_event_destroy(ev), GREEN_OK);
    assert_int_equal(green_sem_destroy(sem), GREEN_OK);
    assert_int_equal(green_queue_destroy(q), GREEN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HUB_TEST(timers_fire_in_order),
        HUB_TEST(timers_random_order),
        HUB_TEST(sleep_is_not_early_and_bounded),
        HUB_TEST(sleep_misuse),
        HUB_TEST(timeouts_of_sync_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
