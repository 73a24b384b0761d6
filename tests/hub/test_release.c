/* SPDX-License-Identifier: MIT */
/*
 * Handles released and objects queried from another OS thread while the
 * hub runs: no handle is leaked (LeakSanitizer, and the heap in use in a
 * plain build), no data race (ThreadSanitizer).
 */
#define _GNU_SOURCE
#include "common.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

static int noop(void *arg, void **out)
{
    *out = arg;
    return GREEN_OK;
}

/* ---- 1,000,000 handles released by another thread ------------------------ */

#define RELEASES 1000000
/* Handles spawned at once and handed over together. Batches of 1000 make
 * the other thread meet the hub as it drops its own references (smaller
 * ones let the hub finish a batch before the other thread wakes). Under
 * ThreadSanitizer, which finds the race whatever the timing, the cost of a
 * synchronisation grows with the number of fibers alive (one per worker
 * greenlet): batches of 100 keep that run near half a minute. */
#if defined(__SANITIZE_THREAD__)
#define BATCH 100
#else
#define BATCH 1000
#endif
#define SLOTS 8 /* batches in flight */

struct handoff {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    green_thread_t *batch[SLOTS][BATCH];
    size_t produced, consumed; /* batches */
    long released, not_done, errors;
};

/* The other thread: waits until each handle is finished (releasing an
 * unfinished one from here is refused and changes nothing), then releases
 * it, while the hub thread drops its own reference to the same handle. */
static void *releaser(void *arg)
{
    struct handoff *ho = arg;
    size_t total = RELEASES / BATCH;
    for (size_t b = 0; b < total; b++) {
        pthread_mutex_lock(&ho->mu);
        while (ho->produced == b)
            pthread_cond_wait(&ho->cv, &ho->mu);
        pthread_mutex_unlock(&ho->mu);
        green_thread_t **batch = ho->batch[b % SLOTS];
        for (size_t i = 0; i < BATCH; i++) {
            int rc;
            unsigned spins = 0;
            /* Spin to meet the hub as it drops its reference; yield now and
             * then in case the two threads share one CPU. Releasing an
             * unfinished handle from here is refused (unless it finished
             * meanwhile). */
            while ((rc = green_thread_done(batch[i])) == 0) {
                if (++spins % 1024 == 0) {
                    rc = green_thread_release(batch[i]);
                    if (rc == GREEN_OK)
                        break;
                    if (rc != GREEN_ETHREAD)
                        ho->errors++;
                    ho->not_done++;
                    sched_yield();
                }
            }
            if (rc == 1)
                rc = green_thread_release(batch[i]);
            if (rc != GREEN_OK)
                ho->errors++;
            else
                ho->released++;
        }
        pthread_mutex_lock(&ho->mu);
        ho->consumed = b + 1;
        pthread_cond_broadcast(&ho->cv);
        pthread_mutex_unlock(&ho->mu);
    }
    return NULL;
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks;
}

static void release_million_from_other_thread(void **state)
{
    (void)state;
    static struct handoff ho;
    memset(&ho, 0, sizeof ho);
    pthread_mutex_init(&ho.mu, NULL);
    pthread_cond_init(&ho.cv, NULL);

    /* Warm up the hub, its parked workers and spare handles. */
    for (int i = 0; i < 2 * BATCH; i++)
        assert_int_equal(green_hub_spawn_n(noop, NULL), GREEN_OK);
    assert_int_equal(green_hub_sleep(0.001), GREEN_OK);
    size_t heap0 = heap_in_use();

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, releaser, &ho), 0);
    size_t total = RELEASES / BATCH;
    for (size_t b = 0; b < total; b++) {
        pthread_mutex_lock(&ho.mu);
        while (b - ho.consumed >= SLOTS)
            pthread_cond_wait(&ho.cv, &ho.mu);
        pthread_mutex_unlock(&ho.mu);
        green_thread_t **batch = ho.batch[b % SLOTS];
        for (size_t i = 0; i < BATCH; i++)
            assert_int_equal(green_hub_spawn(&batch[i], noop, NULL),
                             GREEN_OK);
        pthread_mutex_lock(&ho.mu);
        ho.produced = b + 1;
        pthread_cond_broadcast(&ho.cv);
        pthread_mutex_unlock(&ho.mu);
        /* Run the batch: each thread finishes and the hub drops its
         * reference while the other thread releases the handle. */
        while (green_hub_count() > 0)
            assert_int_equal(green_hub_yield(), GREEN_OK);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(ho.errors, 0);
    assert_int_equal(ho.released, RELEASES);

    /* The heap in use may grow by the hub's spare handles (256 at most,
     * about 40 KiB) but not by leaked ones (over 100 bytes each; a lost
     * decrement leaked hundreds to thousands a run). Sanitizer allocators
     * report 0 here; there LeakSanitizer checks at exit. */
    size_t heap1 = heap_in_use();
    if (heap0 != 0 || heap1 != 0)
        assert_true(heap1 < heap0 + 64 * 1024);
    pthread_mutex_destroy(&ho.mu);
    pthread_cond_destroy(&ho.cv);
}

/* ---- the read-only queries from any thread ------------------------------- */

struct watched {
    green_thread_t *t;
    green_pool_t *pool;
    green_event_t *ev;
    green_sem_t *sem;
    green_queue_t *q;
    int stop;   /* atomic */
    long reads; /* atomic */
};

static void *watcher(void *arg)
{
    struct watched *w = arg;
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        long sum = green_thread_done(w->t) + green_pool_running(w->pool) +
                   green_pool_free(w->pool) + green_pool_waiting(w->pool) +
                   green_event_ready(w->ev) + green_sem_count(w->sem) +
                   green_queue_size(w->q);
        if (sum >= 0)
            __atomic_fetch_add(&w->reads, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static int churn(void *arg, void **out)
{
    struct watched *w = arg;
    (void)out;
    for (int i = 0; i < 200; i++) {
        if (green_sem_acquire(w->sem, GREEN_HUB_FOREVER) != GREEN_OK)
            return -1;
        if (green_queue_put(w->q, w, GREEN_HUB_FOREVER) != GREEN_OK)
            return -1;
        void *item;
        if (green_queue_get(w->q, &item, GREEN_HUB_FOREVER) != GREEN_OK)
            return -1;
        green_event_send(w->ev, NULL);
        green_event_reset(w->ev);
        green_sem_release(w->sem);
        if (green_hub_yield() != GREEN_OK)
            return -1;
    }
    return GREEN_OK;
}

static void queries_from_other_thread(void **state)
{
    (void)state;
    static struct watched w;
    memset(&w, 0, sizeof w);
    assert_int_equal(green_pool_create(&w.pool, 4), GREEN_OK);
    assert_int_equal(green_event_create(&w.ev), GREEN_OK);
    assert_int_equal(green_sem_create(&w.sem, 2), GREEN_OK);
    assert_int_equal(green_queue_create(&w.q, 2), GREEN_OK);
    assert_int_equal(green_hub_spawn(&w.t, churn, &w), GREEN_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, watcher, &w), 0);
    while (__atomic_load_n(&w.reads, __ATOMIC_RELAXED) == 0)
        sched_yield();
    for (int i = 0; i < 16; i++)
        assert_int_equal(green_pool_spawn_n(w.pool, churn, &w), GREEN_OK);
    assert_int_equal(green_pool_waitall(w.pool, GREEN_HUB_FOREVER), GREEN_OK);
    assert_int_equal(green_thread_wait(w.t, GREEN_HUB_FOREVER, NULL),
                     GREEN_OK);
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(w.reads > 1);
    assert_int_equal(green_thread_release(w.t), GREEN_OK);
    assert_int_equal(green_queue_destroy(w.q), GREEN_OK);
    assert_int_equal(green_sem_destroy(w.sem), GREEN_OK);
    assert_int_equal(green_event_destroy(w.ev), GREEN_OK);
    assert_int_equal(green_pool_destroy(w.pool), GREEN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HUB_TEST(release_million_from_other_thread),
        HUB_TEST(queries_from_other_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
