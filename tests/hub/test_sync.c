/* SPDX-License-Identifier: MIT */
/* Events, semaphores and bounded queues between green threads, with
 * timeouts and kills that leave nothing behind (run under valgrind too). */
#include "common.h"

#include <stdlib.h>
#include <string.h>

/* ---- events ---- */

static int ev_waiter(void *arg, void **out)
{
    return green_event_wait(arg, 5.0, out);
}

static void event_wakes_all_with_value(void **state)
{
    (void)state;
    green_event_t *ev;
    assert_int_equal(green_event_create(&ev), GREEN_OK);
    assert_int_equal(green_event_ready(ev), 0);
    green_thread_t *t[5];
    for (int i = 0; i < 5; i++)
        assert_int_equal(green_hub_spawn(&t[i], ev_waiter, ev), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(green_thread_done(t[i]), 0);
    assert_int_equal(green_event_destroy(ev), GREEN_EBUSY);
    int v;
    assert_int_equal(green_event_send(ev, &v), GREEN_OK);
    assert_int_equal(green_event_send(ev, &v), GREEN_EBUSY);
    assert_int_equal(green_event_ready(ev), 1);
    /* Reset right away: the woken waiters still get the sent value. */
    assert_int_equal(green_event_reset(ev), GREEN_OK);
    for (int i = 0; i < 5; i++) {
        void *res = NULL;
        assert_int_equal(green_thread_wait(t[i], 1.0, &res), GREEN_OK);
        assert_ptr_equal(res, &v);
        green_thread_release(t[i]);
    }
    assert_int_equal(green_event_wait(ev, 0, NULL), GREEN_ETIMEDOUT);
    int w;
    assert_int_equal(green_event_send(ev, &w), GREEN_OK);
    void *res = NULL;
    assert_int_equal(green_event_wait(ev, 0, &res), GREEN_OK);
    assert_ptr_equal(res, &w);
    assert_int_equal(green_event_destroy(ev), GREEN_OK);
}

/* ---- semaphores ---- */

static green_sem_t *sem;
static int log_[32];
static size_t nlog;

static int sem_user(void *arg, void **out)
{
    (void)out;
    int rc = green_sem_acquire(sem, 5.0);
    if (rc != GREEN_OK)
        return rc;
    log_[nlog++] = (int)(intptr_t)arg;
    rc = green_hub_sleep(0.001);
    green_sem_release(sem);
    return rc;
}

static void semaphore_fifo(void **state)
{
    (void)state;
    nlog = 0;
    assert_int_equal(green_sem_create(&sem, 2), GREEN_OK);
    green_thread_t *t[10];
    for (int i = 0; i < 10; i++)
        assert_int_equal(green_hub_spawn(&t[i], sem_user, (void *)(intptr_t)i),
                         GREEN_OK);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(green_thread_wait(t[i], 5.0, NULL), GREEN_OK);
        green_thread_release(t[i]);
    }
    assert_int_equal(nlog, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(log_[i], i);
    assert_int_equal(green_sem_count(sem), 2);
    assert_int_equal(green_sem_destroy(sem), GREEN_OK);
}

static int sem_acquirer(void *arg, void **out)
{
    (void)arg;
    (void)out;
    return green_sem_acquire(sem, GREEN_HUB_FOREVER);
}

static void semaphore_kill_and_timeout(void **state)
{
    (void)state;
    assert_int_equal(green_sem_create(&sem, 0), GREEN_OK);
    green_thread_t *a, *b;
    assert_int_equal(green_hub_spawn(&a, sem_acquirer, NULL), GREEN_OK);
    assert_int_equal(green_hub_spawn(&b, sem_acquirer, NULL), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_sem_destroy(sem), GREEN_EBUSY);
    assert_int_equal(green_thread_kill(a), GREEN_OK);
    assert_int_equal(green_thread_wait(a, 0, NULL), GREEN_EXIT);
    /* The unit goes to b, the remaining waiter, not to the dead a. */
    assert_int_equal(green_sem_release(sem), GREEN_OK);
    assert_int_equal(green_sem_count(sem), 0);
    assert_int_equal(green_thread_wait(b, 1.0, NULL), GREEN_OK);
    assert_int_equal(green_sem_release(sem), GREEN_OK);
    assert_int_equal(green_sem_count(sem), 1);
    assert_int_equal(green_sem_acquire(sem, 0), GREEN_OK);
    assert_int_equal(green_sem_acquire(sem, 0.01), GREEN_ETIMEDOUT);
    green_thread_release(a);
    green_thread_release(b);
    assert_int_equal(green_sem_destroy(sem), GREEN_OK);
}

/* ---- queues ---- */

static green_queue_t *q;
static long max_size;

static int producer(void *arg, void **out)
{
    (void)out;
    int base = (int)(intptr_t)arg;
    for (int i = 0; i < 100; i++) {
        int rc = green_queue_put(q, (void *)(intptr_t)(base + i), 5.0);
        if (rc != GREEN_OK)
            return rc;
        if (green_queue_size(q) > max_size)
            max_size = green_queue_size(q);
    }
    return GREEN_OK;
}

static int consumer(void *arg, void **out)
{
    (void)out;
    int *seen = arg;
    for (;;) {
        void *item;
        int rc = green_queue_get(q, &item, 5.0);
        if (rc == GREEN_ECLOSED)
            return GREEN_OK;
        if (rc != GREEN_OK)
            return rc;
        seen[(intptr_t)item]++;
        if ((intptr_t)item % 7 == 0)
            green_hub_yield();
    }
}

static void queue_bounded_producers_consumers(void **state)
{
    (void)state;
    static int seen[400];
    memset(seen, 0, sizeof seen);
    max_size = 0;
    assert_int_equal(green_queue_create(&q, 4), GREEN_OK);
    green_thread_t *p[4], *c[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(green_hub_spawn(&c[i], consumer, seen), GREEN_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(
            green_hub_spawn(&p[i], producer, (void *)(intptr_t)(100 * i)),
            GREEN_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(green_thread_wait(p[i], 5.0, NULL), GREEN_OK);
        green_thread_release(p[i]);
    }
    assert_int_equal(green_queue_close(q), GREEN_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(green_thread_wait(c[i], 5.0, NULL), GREEN_OK);
        green_thread_release(c[i]);
    }
    for (int i = 0; i < 400; i++)
        assert_int_equal(seen[i], 1); /* none lost, none twice */
    assert_true(max_size <= 4);
    assert_int_equal(green_queue_destroy(q), GREEN_OK);
}

static void queue_fifo_and_close(void **state)
{
    (void)state;
    assert_int_equal(green_queue_create(&q, 3), GREEN_OK);
    for (intptr_t i = 1; i <= 3; i++)
        assert_int_equal(green_queue_put(q, (void *)i, 0), GREEN_OK);
    assert_int_equal(green_queue_put(q, (void *)4, 0), GREEN_ETIMEDOUT);
    assert_int_equal(green_queue_size(q), 3);
    assert_int_equal(green_queue_close(q), GREEN_OK);
    assert_int_equal(green_queue_close(q), GREEN_OK);
    assert_int_equal(green_queue_put(q, (void *)5, 1.0), GREEN_ECLOSED);
    void *item;
    for (intptr_t i = 1; i <= 3; i++) {
        assert_int_equal(green_queue_get(q, &item, 0), GREEN_OK);
        assert_ptr_equal(item, (void *)i);
    }
    assert_int_equal(green_queue_get(q, &item, 1.0), GREEN_ECLOSED);
    assert_int_equal(green_queue_destroy(q), GREEN_OK);
}

static int getter(void *arg, void **out)
{
    (void)arg;
    return green_queue_get(q, out, GREEN_HUB_FOREVER);
}

static int putter(void *arg, void **out)
{
    (void)out;
    return green_queue_put(q, arg, GREEN_HUB_FOREVER);
}

static void queue_close_wakes_waiters(void **state)
{
    (void)state;
    assert_int_equal(green_queue_create(&q, 1), GREEN_OK);
    green_thread_t *g[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(green_hub_spawn(&g[i], getter, NULL), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_queue_destroy(q), GREEN_EBUSY);
    /* One item goes straight to the first getter. */
    assert_int_equal(green_queue_put(q, (void *)9, 0), GREEN_OK);
    assert_int_equal(green_queue_size(q), 0);
    assert_int_equal(green_queue_close(q), GREEN_OK);
    void *res = NULL;
    assert_int_equal(green_thread_wait(g[0], 1.0, &res), GREEN_OK);
    assert_ptr_equal(res, (void *)9);
    for (int i = 1; i < 3; i++)
        assert_int_equal(green_thread_wait(g[i], 1.0, NULL), GREEN_THROWN);
    for (int i = 0; i < 3; i++)
        green_thread_release(g[i]);
    assert_int_equal(green_queue_destroy(q), GREEN_OK);

    /* Blocked putters are woken too. */
    assert_int_equal(green_queue_create(&q, 1), GREEN_OK);
    assert_int_equal(green_queue_put(q, (void *)1, 0), GREEN_OK);
    green_thread_t *p;
    assert_int_equal(green_hub_spawn(&p, putter, (void *)2), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_queue_close(q), GREEN_OK);
    assert_int_equal(green_thread_wait(p, 1.0, NULL), GREEN_THROWN);
    green_thread_release(p);
    assert_int_equal(green_queue_size(q), 1);
    assert_int_equal(green_queue_destroy(q), GREEN_OK);
}

/* An item handed to a getter that gets killed before it runs is still
 * delivered: nothing is lost. */
static void queue_handoff_survives_kill(void **state)
{
    (void)state;
    assert_int_equal(green_queue_create(&q, 2), GREEN_OK);
    green_thread_t *g;
    assert_int_equal(green_hub_spawn(&g, getter, NULL), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_queue_put(q, (void *)77, 0), GREEN_OK);
    assert_int_equal(green_thread_kill(g), GREEN_OK);
    void *res = NULL;
    assert_int_equal(green_thread_wait(g, 1.0, &res), GREEN_OK);
    assert_ptr_equal(res, (void *)77);
    green_thread_release(g);
    /* A killed getter that was not yet served takes nothing. */
    assert_int_equal(green_hub_spawn(&g, getter, NULL), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_thread_kill(g), GREEN_OK);
    assert_int_equal(green_thread_wait(g, 1.0, NULL), GREEN_EXIT);
    green_thread_release(g);
    assert_int_equal(green_queue_put(q, (void *)78, 0), GREEN_OK);
    assert_int_equal(green_queue_size(q), 1);
    void *item;
    assert_int_equal(green_queue_get(q, &item, 0), GREEN_OK);
    assert_ptr_equal(item, (void *)78);
    assert_int_equal(green_queue_destroy(q), GREEN_OK);
}

/* Heap-allocated results travel through joins; timeouts and kills in a
 * loop leak nothing (valgrind checks this binary). */
static int alloc_then_sleep(void *arg, void **out)
{
    char *buf = malloc(64);
    if (!buf)
        return -1;
    strcpy(buf, "result");
    int rc = green_hub_sleep((double)(intptr_t)arg / 1000.0);
    if (rc != GREEN_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return GREEN_OK;
}

static void churn_kills_timeouts(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        green_thread_t *t[20];
        for (int i = 0; i < 20; i++)
            assert_int_equal(
                green_hub_spawn(&t[i], alloc_then_sleep,
                                (void *)(intptr_t)(i % 4 == 0 ? 5000 : i % 3)),
                GREEN_OK);
        for (int i = 0; i < 20; i++) {
            if (i % 4 == 0) {
                assert_int_equal(green_thread_kill(t[i]), GREEN_OK);
            } else if (i % 4 == 1) {
                (void)green_thread_wait(t[i], 0.0005, NULL);
            }
        }
        for (int i = 0; i < 20; i++) {
            void *res = NULL;
            int rc = green_thread_wait(t[i], 5.0, &res);
            if (i % 4 == 0) {
                assert_int_equal(rc, GREEN_EXIT);
            } else {
                assert_int_equal(rc, GREEN_OK);
                assert_string_equal(res, "result");
                free(res);
            }
            green_thread_release(t[i]);
        }
    }
    /* Released while running: the result is discarded, nothing leaks. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(green_hub_spawn_n(alloc_then_sleep, (void *)50),
                         GREEN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HUB_TEST(event_wakes_all_with_value),
        HUB_TEST(semaphore_fifo),
        HUB_TEST(semaphore_kill_and_timeout),
        HUB_TEST(queue_bounded_producers_consumers),
        HUB_TEST(queue_fifo_and_close),
        HUB_TEST(queue_close_wakes_waiters),
        HUB_TEST(queue_handoff_survives_kill),
        HUB_TEST(churn_kills_timeouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
