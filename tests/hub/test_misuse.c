/* SPDX-License-Identifier: MIT */
/* Misuse returns error codes and changes nothing. */
#include "common.h"

#include <pthread.h>
#include <string.h>

static int noop(void *arg, void **out)
{
    (void)arg;
    (void)out;
    return GREEN_OK;
}

static void null_arguments(void **state)
{
    (void)state;
    green_thread_t *t = (green_thread_t *)&t;
    assert_int_equal(green_hub_spawn(NULL, noop, NULL), GREEN_EINVAL);
    assert_int_equal(green_hub_spawn(&t, NULL, NULL), GREEN_EINVAL);
    assert_null(t);
    assert_int_equal(green_hub_spawn_n(NULL, NULL), GREEN_EINVAL);
    assert_int_equal(green_thread_wait(NULL, 1.0, NULL), GREEN_EINVAL);
    assert_int_equal(green_thread_kill(NULL), GREEN_EINVAL);
    assert_int_equal(green_thread_done(NULL), GREEN_EINVAL);
    assert_int_equal(green_thread_retain(NULL), GREEN_EINVAL);
    assert_int_equal(green_thread_release(NULL), GREEN_EINVAL);

    assert_int_equal(green_event_create(NULL), GREEN_EINVAL);
    assert_int_equal(green_event_destroy(NULL), GREEN_EINVAL);
    assert_int_equal(green_event_send(NULL, NULL), GREEN_EINVAL);
    assert_int_equal(green_event_wait(NULL, 1.0, NULL), GREEN_EINVAL);
    assert_int_equal(green_event_ready(NULL), GREEN_EINVAL);
    assert_int_equal(green_event_reset(NULL), GREEN_EINVAL);

    assert_int_equal(green_sem_create(NULL, 1), GREEN_EINVAL);
    assert_int_equal(green_sem_create(&(green_sem_t *){NULL}, (size_t)-1),
                     GREEN_EINVAL);
    assert_int_equal(green_sem_destroy(NULL), GREEN_EINVAL);
    assert_int_equal(green_sem_acquire(NULL, 1.0), GREEN_EINVAL);
    assert_int_equal(green_sem_release(NULL), GREEN_EINVAL);
    assert_int_equal(green_sem_count(NULL), GREEN_EINVAL);

    assert_int_equal(green_queue_create(NULL, 1), GREEN_EINVAL);
    green_queue_t *q = (green_queue_t *)&q;
    assert_int_equal(green_queue_create(&q, 0), GREEN_EINVAL);
    assert_null(q);
    assert_int_equal(green_queue_destroy(NULL), GREEN_EINVAL);
    assert_int_equal(green_queue_put(NULL, NULL, 1.0), GREEN_EINVAL);
    assert_int_equal(green_queue_get(NULL, NULL, 1.0), GREEN_EINVAL);
    assert_int_equal(green_queue_close(NULL), GREEN_EINVAL);
    assert_int_equal(green_queue_size(NULL), GREEN_EINVAL);
    assert_int_equal(green_queue_create(&q, 2), GREEN_OK);
    assert_int_equal(green_queue_get(q, NULL, 1.0), GREEN_EINVAL);
    assert_int_equal(green_queue_put(q, NULL, 0.0 / 0.0), GREEN_EINVAL);
    assert_int_equal(green_queue_size(q), 0);
    assert_int_equal(green_queue_destroy(q), GREEN_OK);
}

/* Objects belong to their thread's hub. */
struct foreign {
    green_thread_t *t;
    green_event_t *ev;
    green_sem_t *sem;
    green_queue_t *q;
    green_pool_t *pool;
    int rc[12];
};

static void *other_thread(void *arg)
{
    struct foreign *f = arg;
    f->rc[0] = green_thread_wait(f->t, 0, NULL);
    f->rc[1] = green_thread_kill(f->t);
    f->rc[2] = green_event_send(f->ev, NULL);
    f->rc[3] = green_event_wait(f->ev, 0, NULL);
    f->rc[4] = green_sem_acquire(f->sem, 0);
    f->rc[5] = green_sem_release(f->sem);
    f->rc[6] = green_queue_put(f->q, NULL, 0);
    f->rc[7] = green_pool_spawn_n(f->pool, noop, NULL);
    f->rc[8] = green_pool_resize(f->pool, 3);
    f->rc[9] = green_queue_destroy(f->q);
    f->rc[10] = green_thread_release(f->t);
    f->rc[11] = green_hub_destroy(); /* this thread's own: nothing */
    return NULL;
}

static void wrong_thread(void **state)
{
    (void)state;
    struct foreign f;
    memset(&f, 0, sizeof f);
    assert_int_equal(green_hub_spawn(&f.t, noop, NULL), GREEN_OK);
    assert_int_equal(green_event_create(&f.ev), GREEN_OK);
    assert_int_equal(green_sem_create(&f.sem, 1), GREEN_OK);
    assert_int_equal(green_queue_create(&f.q, 1), GREEN_OK);
    assert_int_equal(green_pool_create(&f.pool, 1), GREEN_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, other_thread, &f), 0);
    pthread_join(th, NULL);
    for (int i = 0; i <= 10; i++)
        assert_int_equal(f.rc[i], GREEN_ETHREAD);
    assert_int_equal(f.rc[11], GREEN_OK);
    /* Nothing changed. */
    assert_int_equal(green_event_ready(f.ev), 0);
    assert_int_equal(green_sem_count(f.sem), 1);
    assert_int_equal(green_queue_size(f.q), 0);
    assert_int_equal(green_pool_running(f.pool), 0);
    assert_int_equal(green_thread_done(f.t), 0);
    assert_int_equal(green_thread_wait(f.t, 1.0, NULL), GREEN_OK);
    green_thread_release(f.t);
    assert_int_equal(green_event_destroy(f.ev), GREEN_OK);
    assert_int_equal(green_sem_destroy(f.sem), GREEN_OK);
    assert_int_equal(green_queue_destroy(f.q), GREEN_OK);
    assert_int_equal(green_pool_destroy(f.pool), GREEN_OK);
}

/* Hubs are per thread: two threads run their own green threads. */
static int sleepy(void *arg, void **out)
{
    *out = arg;
    return green_hub_sleep(0.01);
}

static void *run_own_hub(void *arg)
{
    green_thread_t *t;
    intptr_t ok = 0;
    if (green_hub_spawn(&t, sleepy, arg) == GREEN_OK) {
        void *res = NULL;
        ok = green_thread_wait(t, 2.0, &res) == GREEN_OK && res == arg;
        green_thread_release(t);
    }
    if (green_hub_destroy() != GREEN_OK)
        ok = 0;
    return (void *)ok;
}

static void hub_per_thread(void **state)
{
    (void)state;
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            pthread_create(&th[i], NULL, run_own_hub, (void *)(intptr_t)(i + 1)),
            0);
    for (int i = 0; i < 3; i++) {
        void *ok;
        pthread_join(th[i], &ok);
        assert_int_equal((intptr_t)ok, 1);
    }
}

static int destroy_from_thread(void *arg, void **out)
{
    (void)arg;
    (void)out;
    return green_hub_destroy();
}

static int join_self(void *arg, void **out)
{
    (void)arg;
    (void)out;
    return green_thread_wait(green_thread_current(), 1.0, NULL);
}

static void wrong_context(void **state)
{
    (void)state;
    green_thread_t *t;
    void *res;
    assert_int_equal(green_hub_spawn(&t, destroy_from_thread, NULL), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 1.0, &res), GREEN_THROWN);
    green_thread_release(t);
    /* Joining itself fails: the function returns that error. */
    assert_int_equal(green_hub_spawn(&t, join_self, NULL), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 1.0, NULL), GREEN_THROWN);
    green_thread_release(t);
    assert_int_equal(green_thread_wait(t = NULL, 1.0, NULL), GREEN_EINVAL);
}

static int rc_of_destroy, rc_of_self_join;

static int record_errors(void *arg, void **out)
{
    (void)arg;
    (void)out;
    rc_of_destroy = green_hub_destroy();
    rc_of_self_join = green_thread_wait(green_thread_current(), 1.0, NULL);
    return GREEN_OK;
}

static void exact_codes(void **state)
{
    (void)state;
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, record_errors, NULL), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 1.0, NULL), GREEN_OK);
    green_thread_release(t);
    assert_int_equal(rc_of_destroy, GREEN_EBUSY);
    assert_int_equal(rc_of_self_join, GREEN_EINVAL);
}

static void error_names(void **state)
{
    (void)state;
    assert_string_equal(green_hub_error_name(GREEN_ETIMEDOUT),
                        "GREEN_ETIMEDOUT");
    assert_string_equal(green_hub_error_name(GREEN_EKILLED), "GREEN_EKILLED");
    assert_string_equal(green_hub_error_name(GREEN_EDEAD), "GREEN_EDEAD");
    assert_string_equal(green_hub_error_name(-999), "GREEN_E?");
    assert_true(strlen(green_hub_strerror(GREEN_ECLOSED)) > 0);
    /* The loaded library is the release these headers describe. */
    assert_int_equal(green_hub_version(), GREEN_HUB_VERSION_MAJOR * 10000 +
                                              GREEN_HUB_VERSION_MINOR * 100 +
                                              GREEN_HUB_VERSION_PATCH);
    /* No code of the hub clashes with the core's. */
    int hub[] = {GREEN_ETIMEDOUT, GREEN_ECLOSED, GREEN_EDEADLK,
                 GREEN_EHUB,      GREEN_ESYS,    GREEN_EKILLED};
    for (size_t i = 0; i < sizeof hub / sizeof hub[0]; i++) {
        assert_true(hub[i] <= -100);
        assert_string_equal(green_error_name(hub[i]), "GREEN_E?");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HUB_TEST(null_arguments), HUB_TEST(wrong_thread),
        HUB_TEST(hub_per_thread), HUB_TEST(wrong_context),
        HUB_TEST(exact_codes),    HUB_TEST(error_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
