/* SPDX-License-Identifier: MIT */
/* GreenPool: the bound is never exceeded, spawners wait while it is full,
 * waitall, counts, resizing, a member spawning into its own full pool. */
#include "common.h"

#include <stdlib.h>

static int active, max_active, finished;

static int work(void *arg, void **out)
{
    active++;
    if (active > max_active)
        max_active = active;
    /* Mixed durations, some zero. */
    int rc = green_hub_sleep(0.0005 * (double)((intptr_t)arg % 4));
    active--;
    finished++;
    *out = arg;
    return rc;
}

static void reset(void)
{
    active = max_active = finished = 0;
}

static void bound_never_exceeded(void **state)
{
    (void)state;
    reset();
    green_pool_t *pool;
    assert_int_equal(green_pool_create(&pool, 8), GREEN_OK);
    assert_int_equal(green_pool_free(pool), 8);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(green_pool_spawn_n(pool, work, (void *)(intptr_t)i),
                         GREEN_OK);
        assert_true(green_pool_running(pool) <= 8);
        assert_int_equal(green_pool_free(pool), 8 - green_pool_running(pool));
    }
    assert_int_equal(green_pool_waitall(pool, 10.0), GREEN_OK);
    assert_int_equal(green_pool_running(pool), 0);
    assert_int_equal(green_pool_free(pool), 8);
    assert_int_equal(finished, 200);
    assert_int_equal(max_active, 8); /* reached, never exceeded */
    assert_int_equal(green_pool_destroy(pool), GREEN_OK);
}

static void spawn_returns_joinable(void **state)
{
    (void)state;
    reset();
    green_pool_t *pool;
    assert_int_equal(green_pool_create(&pool, 3), GREEN_OK);
    green_thread_t *t[10];
    for (int i = 0; i < 10; i++)
        assert_int_equal(green_pool_spawn(pool, &t[i], work,
                                          (void *)(intptr_t)(i + 100)),
                         GREEN_OK);
    for (int i = 0; i < 10; i++) {
        void *res;
        assert_int_equal(green_thread_wait(t[i], 5.0, &res), GREEN_OK);
        assert_int_equal((intptr_t)res, i + 100);
        green_thread_release(t[i]);
    }
    assert_int_equal(max_active, 3);
    assert_int_equal(green_pool_destroy(pool), GREEN_OK);
}

/* Several green threads feeding one pool: all of them block while full. */
static green_pool_t *shared;

static int feeder(void *arg, void **out)
{
    (void)out;
    for (int i = 0; i < 25; i++) {
        int rc = green_pool_spawn_n(shared, work, (void *)(intptr_t)i);
        if (rc != GREEN_OK)
            return rc;
        if (green_pool_running(shared) > 5)
            return -1;
    }
    (void)arg;
    return GREEN_OK;
}

static void feeders_block_while_full(void **state)
{
    (void)state;
    reset();
    assert_int_equal(green_pool_create(&shared, 5), GREEN_OK);
    green_thread_t *f[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(green_hub_spawn(&f[i], feeder, NULL), GREEN_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(green_thread_wait(f[i], 10.0, NULL), GREEN_OK);
        green_thread_release(f[i]);
    }
    assert_int_equal(green_pool_waitall(shared, 10.0), GREEN_OK);
    assert_int_equal(finished, 100);
    assert_int_equal(max_active, 5);
    assert_int_equal(green_pool_destroy(shared), GREEN_OK);
}

static int blocker(void *arg, void **out)
{
    (void)out;
    return green_event_wait(arg, 10.0, NULL);
}

static int spawn_blocker(void *arg, void **out)
{
    (void)out;
    return green_pool_spawn_n(shared, blocker, arg);
}

static void resize_and_waiting(void **state)
{
    (void)state;
    green_event_t *ev;
    assert_int_equal(green_event_create(&ev), GREEN_OK);
    assert_int_equal(green_pool_create(&shared, 2), GREEN_OK);
    green_thread_t *s[5];
    for (int i = 0; i < 5; i++)
        assert_int_equal(green_hub_spawn(&s[i], spawn_blocker, ev), GREEN_OK);
    assert_int_equal(green_hub_sleep(0.005), GREEN_OK);
    assert_int_equal(green_pool_running(shared), 2);
    assert_int_equal(green_pool_waiting(shared), 3);
    assert_int_equal(green_pool_free(shared), 0);
    /* Growing hands slots to the waiting spawners at once. */
    assert_int_equal(green_pool_resize(shared, 4), GREEN_OK);
    assert_int_equal(green_pool_running(shared), 4);
    assert_int_equal(green_pool_waiting(shared), 1);
    /* Shrinking kills nobody. */
    assert_int_equal(green_pool_resize(shared, 1), GREEN_OK);
    assert_int_equal(green_pool_running(shared), 4);
    assert_int_equal(green_pool_free(shared), 0);
    assert_int_equal(green_pool_waitall(shared, 0.01), GREEN_ETIMEDOUT);
    assert_int_equal(green_pool_destroy(shared), GREEN_EBUSY);
    assert_int_equal(green_event_send(ev, NULL), GREEN_OK);
    assert_int_equal(green_pool_waitall(shared, 5.0), GREEN_OK);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(green_thread_wait(s[i], 1.0, NULL), GREEN_OK);
        green_thread_release(s[i]);
    }
    assert_int_equal(green_pool_running(shared), 0);
    assert_int_equal(green_pool_free(shared), 1);
    assert_int_equal(green_pool_destroy(shared), GREEN_OK);
    assert_int_equal(green_event_destroy(ev), GREEN_OK);
}

/* A member spawning into its full pool runs the function inline. */
static int inner_ran_in;

static int inner(void *arg, void **out)
{
    (void)arg;
    inner_ran_in = green_thread_current() != NULL;
    *out = &inner_ran_in;
    return GREEN_OK;
}

static int member(void *arg, void **out)
{
    (void)arg;
    green_thread_t *t;
    int rc = green_pool_spawn(shared, &t, inner, NULL);
    if (rc != GREEN_OK)
        return rc;
    if (!green_thread_done(t))
        return -1;
    rc = green_thread_wait(t, 0, out);
    green_thread_release(t);
    if (green_pool_waitall(shared, 1.0) != GREEN_EDEADLK)
        return -2;
    return rc;
}

static void member_spawns_into_full_pool(void **state)
{
    (void)state;
    inner_ran_in = 0;
    assert_int_equal(green_pool_create(&shared, 1), GREEN_OK);
    green_thread_t *t;
    assert_int_equal(green_pool_spawn(shared, &t, member, NULL), GREEN_OK);
    void *res = NULL;
    assert_int_equal(green_thread_wait(t, 1.0, &res), GREEN_OK);
    assert_ptr_equal(res, &inner_ran_in);
    assert_int_equal(inner_ran_in, 1);
    green_thread_release(t);
    assert_int_equal(green_pool_destroy(shared), GREEN_OK);
}

/* A spawner killed while waiting for a slot leaves the queue; the pool
 * keeps working. */
static void kill_waiting_spawner(void **state)
{
    (void)state;
    green_event_t *ev;
    assert_int_equal(green_event_create(&ev), GREEN_OK);
    assert_int_equal(green_pool_create(&shared, 1), GREEN_OK);
    assert_int_equal(green_pool_spawn_n(shared, blocker, ev), GREEN_OK);
    green_thread_t *s;
    assert_int_equal(green_hub_spawn(&s, spawn_blocker, ev), GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_pool_waiting(shared), 1);
    assert_int_equal(green_thread_kill(s), GREEN_OK);
    assert_int_equal(green_pool_waiting(shared), 0);
    assert_int_equal(green_thread_wait(s, 0, NULL), GREEN_EXIT);
    green_thread_release(s);
    assert_int_equal(green_event_send(ev, NULL), GREEN_OK);
    assert_int_equal(green_pool_waitall(shared, 1.0), GREEN_OK);
    assert_int_equal(green_pool_running(shared), 0);
    assert_int_equal(green_pool_destroy(shared), GREEN_OK);
    assert_int_equal(green_event_destroy(ev), GREEN_OK);
}

/* Killing pool members frees their slots. */
static void kill_members(void **state)
{
    (void)state;
    green_event_t *ev;
    assert_int_equal(green_event_create(&ev), GREEN_OK);
    assert_int_equal(green_pool_create(&shared, 4), GREEN_OK);
    green_thread_t *t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(green_pool_spawn(shared, &t[i], blocker, ev),
                         GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_pool_free(shared), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(green_thread_kill(t[i]), GREEN_OK);
        assert_int_equal(green_thread_wait(t[i], 0, NULL), GREEN_EXIT);
        green_thread_release(t[i]);
    }
    assert_int_equal(green_pool_free(shared), 4);
    assert_int_equal(green_pool_destroy(shared), GREEN_OK);
    assert_int_equal(green_event_destroy(ev), GREEN_OK);
}

static void pool_misuse(void **state)
{
    (void)state;
    green_pool_t *p = (green_pool_t *)&p;
    assert_int_equal(green_pool_create(NULL, 1), GREEN_EINVAL);
    assert_int_equal(green_pool_create(&p, 0), GREEN_EINVAL);
    assert_null(p);
    assert_int_equal(green_pool_create(&p, 1), GREEN_OK);
    green_thread_t *t;
    assert_int_equal(green_pool_spawn(NULL, &t, work, NULL), GREEN_EINVAL);
    assert_int_equal(green_pool_spawn(p, NULL, work, NULL), GREEN_EINVAL);
    assert_int_equal(green_pool_spawn(p, &t, NULL, NULL), GREEN_EINVAL);
    assert_int_equal(green_pool_spawn_n(p, NULL, NULL), GREEN_EINVAL);
    assert_int_equal(green_pool_resize(p, 0), GREEN_EINVAL);
    assert_int_equal(green_pool_resize(NULL, 3), GREEN_EINVAL);
    assert_int_equal(green_pool_running(NULL), GREEN_EINVAL);
    assert_int_equal(green_pool_free(NULL), GREEN_EINVAL);
    assert_int_equal(green_pool_waiting(NULL), GREEN_EINVAL);
    assert_int_equal(green_pool_waitall(NULL, 1.0), GREEN_EINVAL);
    assert_int_equal(green_pool_destroy(NULL), GREEN_EINVAL);
    assert_int_equal(green_pool_running(p), 0);
    assert_int_equal(green_pool_destroy(p), GREEN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HUB_TEST(bound_never_exceeded),
        HUB_TEST(spawn_returns_joinable),
        HUB_TEST(feeders_block_while_full),
        HUB_TEST(resize_and_waiting),
        HUB_TEST(member_spawns_into_full_pool),
        HUB_TEST(kill_waiting_spawner),
        HUB_TEST(kill_members),
        HUB_TEST(pool_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
