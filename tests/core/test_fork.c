/* SPDX-License-Identifier: MIT */
/*
 * test_fork.c - fork() while other threads release this thread's
 * greenlets.
 *
 * A release from another thread hands the greenlet to its owner; if the
 * process forks in the middle of that hand-over, the child (the forking
 * thread alone) must still be able to use libgreen at once: create,
 * switch, release, reap what was handed over. Each child has a deadline
 * (alarm(), 5 s): a child that hangs dies of SIGALRM and the test fails.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define SLOTS 1024
#define RELEASERS 2
/* AddressSanitizer's shadow memory makes each fork slow: fewer there. */
#ifdef __SANITIZE_ADDRESS__
#define FORKS 100
#else
#define FORKS 1000
#endif

/* Dead greenlets of the forking thread, for the releasers to release. */
static _Atomic(green_t *) slots[SLOTS];
static atomic_int stop;
static _Atomic long released;

static int run_finish(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static int run_park(green_t *self, void *in, void **out)
{
    (void)self;
    void *v = NULL;
    green_switch(green_main(), in, &v);
    *out = v;
    return GREEN_OK;
}

/* The releasers' own greenlet, parked, for the child to look at. */
static _Atomic(green_t *) foreign;

static void *releaser(void *arg)
{
    if (arg) {
        green_t *g = NULL;
        if (green_create(&g, run_park, NULL, NULL) == GREEN_OK &&
            green_switch(g, NULL, NULL) == GREEN_OK)
            atomic_store(&foreign, g);
    }
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int i = 0; i < SLOTS; i++) {
            green_t *g = atomic_exchange(&slots[i], NULL);
            if (g) {
                green_release(g); /* queued for the forking thread */
                released++;
            }
        }
    }
    return NULL;
}

/* Makes dead greenlets first, then hands them all to the releasers at
 * once, so that they are busy releasing when the process forks. */
static void refill(void)
{
    static green_t *batch[SLOTS];
    int n = 0;
    for (int i = 0; i < SLOTS; i++) {
        if (atomic_load(&slots[i]))
            continue;
        green_t *g = NULL;
        /* green_create() also reaps what the releasers handed over */
        assert_ok(green_create(&g, run_finish, NULL, NULL));
        assert_ok(green_switch(g, NULL, NULL));
        assert_int_equal(green_state(g), GREEN_STATE_DEAD);
        batch[n++] = g;
    }
    for (int i = 0; i < SLOTS && n > 0; i++)
        if (!atomic_load(&slots[i]))
            atomic_store(&slots[i], batch[--n]);
    while (n > 0)
        assert_ok(green_release(batch[--n]));
}

/* What the child does: only async-signal-safe calls besides libgreen's
 * (no cmocka, no stdio). Exit codes name the step that failed. */
static void child(green_t *parked)
{
    alarm(5);
    green_t *g = NULL;
    void *v = NULL;
    if (green_create(&g, run_finish, NULL, NULL) != GREEN_OK)
        _exit(10);
    if (green_switch(g, V(1), &v) != GREEN_OK || v != V(1))
        _exit(11);
    if (green_release(g) != GREEN_OK)
        _exit(12);
    /* a greenlet of this thread suspended before the fork resumes */
    v = NULL;
    if (green_switch(parked, V(2), &v) != GREEN_OK || v != V(2))
        _exit(13);
    if (green_state(parked) != GREEN_STATE_DEAD)
        _exit(14);
    /* another thread's greenlet: it can be looked at, not run */
    green_t *f = atomic_load(&foreign);
    if (f) {
        if (green_state(f) != GREEN_STATE_SUSPENDED)
            _exit(15);
        if (green_switch(f, NULL, NULL) != GREEN_ETHREAD)
            _exit(16);
        if (green_release(f) != GREEN_OK) /* frees nothing here */
            _exit(17);
    }
    /* what the releasers handed over is reaped here */
    for (int i = 0; i < SLOTS; i++) {
        green_t *s = atomic_exchange(&slots[i], NULL);
        if (s && green_release(s) != GREEN_OK)
            _exit(18);
    }
    if (green_create(&g, run_finish, NULL, NULL) != GREEN_OK)
        _exit(19);
    green_release(g);
    _exit(0);
}

static void test_fork_while_releasing(void **state)
{
    (void)state;
    /* Its runtime loses the order of the child's fiber switches after a
     * fork with other threads running. */
    SKIP_UNDER_TSAN("a child of a multi-threaded fork");
    pthread_t th[RELEASERS];
    for (int i = 0; i < RELEASERS; i++)
        assert_int_equal(
            pthread_create(&th[i], NULL, releaser, i == 0 ? V(0) : NULL), 0);
    while (!atomic_load(&foreign))
        sched_yield();
    int hung = 0, failed = 0, last_status = 0;
    for (int n = 0; n < FORKS; n++) {
        green_t *parked = make(run_park, NULL);
        void *v = NULL;
        assert_ok(green_switch(parked, V(3), &v));
        assert_ptr_equal(v, V(3));
        fflush(NULL);
        refill();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            child(parked);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
            hung++;
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failed++;
            last_status = status;
        }
        assert_ok(green_release(parked)); /* killed here */
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < RELEASERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    /* its thread has ended: dead, freed at its last release */
    assert_int_equal(green_state(atomic_load(&foreign)), GREEN_STATE_DEAD);
    assert_ok(green_release(atomic_load(&foreign)));
    for (int i = 0; i < SLOTS; i++) {
        green_t *s = atomic_exchange(&slots[i], NULL);
        if (s)
            assert_ok(green_release(s));
    }
    print_message("%d forks, %ld releases from other threads meanwhile, "
                  "%d children hung, %d failed (last status %#x)\n",
                  FORKS, (long)released, hung, failed, last_status);
    assert_int_equal(hung, 0);
    assert_int_equal(failed, 0);
    assert_true(released > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fork_while_releasing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
