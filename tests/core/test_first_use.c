/* SPDX-License-Identifier: MIT */
/*
 * test_first_use.c - threads that use libgreen for the first time at the
 * same moment, in a fresh process: the library's process-wide state that
 * is filled in lazily (the page size, the stack mode from the
 * environment, the thread key, the auto-mode limit) must be filled in
 * without a data race. A plain build checks that every thread got its
 * greenlets; the ThreadSanitizer build (where a race fails the process)
 * checks the race itself. Each test runs in a child process of its own,
 * because only the first use of the process counts.
 */
#include <pthread.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define THREADS 4

static pthread_barrier_t barrier;
static int thread_mode;

static int run_echo(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static void *first_use(void *arg)
{
    pthread_barrier_wait(&barrier);
    green_attr a = GREEN_ATTR_INIT;
    a.stack_mode = thread_mode;
    green_t *g = NULL;
    void *r = NULL;
    if (green_create(&g, run_echo, NULL, &a) != GREEN_OK ||
        green_switch(g, arg, &r) != GREEN_OK || r != arg ||
        green_state(g) != GREEN_STATE_DEAD || green_release(g) != GREEN_OK)
        return V(0);
    return arg;
}

/* In a child: THREADS threads make their first greenlet at once. */
static int child_first_use(int mode)
{
    thread_mode = mode;
    pthread_barrier_init(&barrier, NULL, THREADS);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&th[i], NULL, first_use, V(i + 1)) != 0)
            return 10;
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r = NULL;
        pthread_join(th[i], &r);
        if (r != V(i + 1))
            bad++;
    }
    return bad;
}

static void in_fresh_process(int mode)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_first_use(mode));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_first_guarded(void **state)
{
    (void)state;
    in_fresh_process(GREEN_STACK_GUARDED);
}

static void test_first_copy(void **state)
{
    (void)state;
    in_fresh_process(GREEN_STACK_COPY);
}

static void test_first_auto(void **state)
{
    (void)state;
    in_fresh_process(GREEN_STACK_AUTO);
}

int main(void)
{
    /* The parent makes no libgreen call: each child is a first use. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_guarded),
        cmocka_unit_test(test_first_copy),
        cmocka_unit_test(test_first_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
