/* SPDX-License-Identifier: MIT */
/*
 * test_stack.c - guarded stacks and the stack cache.
 *
 * Overflowing a greenlet's stack must fault on the guard page (checked in a
 * forked child). Finished greenlets' stacks must be reused: the interposer
 * (interpose.c) counts libgreen's mmap() and munmap() calls.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "interpose.h"

/* ---- overflow ---- */

/* Never reached; volatile so that the recursion is not provably infinite. */
static volatile unsigned long recurse_limit = (unsigned long)-1;

static unsigned long recurse(unsigned long n)
{
    volatile char frame[1024];
    if (n == recurse_limit)
        return 0;
    frame[0] = (char)n;
    frame[sizeof frame - 1] = (char)n;
    /* not a tail call: the frame stays live */
    return recurse(n + 1) + (unsigned char)frame[0] +
           (unsigned char)frame[sizeof frame - 1];
}

static unsigned long recurse_to(unsigned long depth)
{
    volatile char frame[1024];
    frame[0] = (char)depth;
    if (depth == 0)
        return frame[0];
    return recurse_to(depth - 1) + (unsigned char)frame[0];
}

static int run_overflow(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    *out = (void *)(uintptr_t)recurse(0);
    return GREEN_OK;
}

static int run_deep(green_t *self, void *in, void **out)
{
    (void)self;
    *out = (void *)(uintptr_t)recurse_to((uintptr_t)in);
    return GREEN_OK;
}

/* Runs body in a child process; returns its wait status. */
static int in_child(void (*body)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the default action, whatever the test runner installed */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        body();
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void overflow_body(void)
{
    green_attr a = GREEN_ATTR_INIT;
    a.stack_size = GREEN_STACK_MIN;
    green_t *g = NULL;
    if (green_create(&g, run_overflow, NULL, &a) != GREEN_OK)
        _exit(2);
    green_switch(g, NULL, NULL);
    _exit(3); /* not reached */
}

static void deep_default_body(void)
{
    green_t *g = NULL;
    if (green_create(&g, run_deep, NULL, NULL) != GREEN_OK)
        _exit(2);
    /* about 200 KiB of the 256 KiB default */
    void *r = NULL;
    if (green_switch(g, (void *)(uintptr_t)190, &r) != GREEN_OK)
        _exit(4);
    green_release(g);
    _exit(0);
}

static void deep_small_body(void)
{
    green_attr a = GREEN_ATTR_INIT;
    a.stack_size = GREEN_STACK_MIN;
    green_t *g = NULL;
    if (green_create(&g, run_deep, NULL, &a) != GREEN_OK)
        _exit(2);
    /* far more than 16 KiB */
    green_switch(g, (void *)(uintptr_t)200, NULL);
    _exit(3);
}

static void test_overflow_hits_guard(void **state)
{
    (void)state;
    int status = in_child(overflow_body);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    status = in_child(deep_small_body);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

/* ---- a large frame below a small stack ---- */

/* A 40 KiB frame that touches only its lowest byte, as code compiled
 * without -fstack-clash-protection (this file) does with a big array: it
 * skips a one-page guard and lands in whatever lies below. */
static __attribute__((noinline)) int big_frame(void)
{
    volatile char big[40 * 1024];
    big[0] = 1;
    return big[0];
}

static int run_park_then_big(green_t *self, void *in, void **out)
{
    (void)self;
    green_switch(green_main(), in, NULL);
    *out = (void *)(uintptr_t)big_frame();
    return GREEN_OK;
}

static int run_park_only(green_t *self, void *in, void **out)
{
    (void)self;
    green_switch(green_main(), in, NULL);
    *out = NULL;
    return GREEN_OK;
}

static void big_frame_body(void)
{
    /* a: a 16 KiB stack with the default guard; b: mapped next, which
     * puts its stack right below a's guard */
    green_attr small = GREEN_ATTR_INIT;
    small.stack_size = GREEN_STACK_MIN;
    green_t *a = NULL, *b = NULL;
    if (green_create(&a, run_park_then_big, NULL, &small) != GREEN_OK ||
        green_switch(a, NULL, NULL) != GREEN_OK ||
        green_create(&b, run_park_only, NULL, NULL) != GREEN_OK ||
        green_switch(b, NULL, NULL) != GREEN_OK)
        _exit(2);
    green_switch(a, NULL, NULL); /* must fault in a's guard */
    _exit(0);
}

static void test_large_frame_hits_default_guard(void **state)
{
    (void)state;
    int status = in_child(big_frame_body);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

static int run_where(green_t *self, void *in, void **out);

static void test_guard_size_attr(void **state)
{
    (void)state;
    green_attr a;
    assert_ok(green_attr_init(&a));
    assert_int_equal(a.size, sizeof(green_attr));
    assert_int_equal(a.guard_size, 0);
    green_t *g = NULL;
    a.guard_size = (size_t)GREEN_GUARD_MAX + 1;
    assert_int_equal(green_create(&g, run_where, NULL, &a), GREEN_EINVAL);
    assert_null(g);
    /* a larger guard: one mapping all the same */
    a.guard_size = 1024 * 1024;
    a.stack_size = GREEN_STACK_MIN + 5 * 4096; /* not from the cache */
    long before = mmap_calls;
    assert_ok(green_create(&g, run_where, NULL, &a));
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(mmap_calls - before, 1);
    assert_ok(green_release(g));
}

static void test_deep_but_within_stack(void **state)
{
    (void)state;
    int status = in_child(deep_default_body);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- reuse ---- */

static int run_where(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    /* an address in its stack frame, as a number */
    *out = (void *)((uintptr_t)__builtin_frame_address(0) & ~(uintptr_t)15);
    return GREEN_OK;
}

static void *cycle(const green_attr *a)
{
    green_t *g = NULL;
    assert_ok(green_create(&g, run_where, NULL, a));
    void *where = NULL;
    assert_ok(green_switch(g, NULL, &where));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
    return where;
}

static void test_interposition_works(void **state)
{
    (void)state;
    /* A new size cannot come from the cache: one mapping. */
    green_attr a = GREEN_ATTR_INIT;
    a.stack_size = GREEN_STACK_MIN + 7 * 4096;
    long before = mmap_calls;
    cycle(&a);
    assert_int_equal(mmap_calls - before, 1);
}

static void test_stacks_reused(void **state)
{
    (void)state;
    void *first = cycle(NULL); /* warm-up */
    long maps = mmap_calls, unmaps = munmap_calls;
    for (int i = 0; i < 200; i++) {
        void *where = cycle(NULL);
        /* the same stack each time */
        assert_ptr_equal(where, first);
    }
    assert_int_equal(mmap_calls - maps, 0);
    assert_int_equal(munmap_calls - unmaps, 0);
}

static void test_stacks_reused_in_batches(void **state)
{
    (void)state;
    green_t *g[8];
    /* warm-up: eight at once */
    for (int round = 0; round < 6; round++) {
        long maps = mmap_calls;
        for (int i = 0; i < 8; i++) {
            g[i] = make(run_where, NULL);
            assert_ok(green_switch(g[i], NULL, NULL));
        }
        for (int i = 0; i < 8; i++)
            assert_ok(green_release(g[i]));
        if (round > 0)
            assert_int_equal(mmap_calls - maps, 0);
    }
}

static void test_sizes_kept_apart(void **state)
{
    (void)state;
    green_attr small = GREEN_ATTR_INIT;
    small.stack_size = GREEN_STACK_MIN + 3 * 4096;
    cycle(&small);
    cycle(NULL);
    long maps = mmap_calls;
    void *s1 = cycle(&small);
    void *d1 = cycle(NULL);
    void *s2 = cycle(&small);
    void *d2 = cycle(NULL);
    assert_int_equal(mmap_calls - maps, 0);
    assert_ptr_equal(s1, s2);
    assert_ptr_equal(d1, d2);
    assert_ptr_not_equal(s1, d1);
}

static int run_park(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    green_switch(green_main(), NULL, NULL);
    *out = NULL;
    return GREEN_OK;
}

struct thread_stacks {
    int ok;
    long maps; /* mmap calls made by the thread */
    green_t *left[20];
};

static void *thread_stacks(void *arg)
{
    struct thread_stacks *ts = arg;
    green_current(); /* the thread's state: one mapping, not a stack */
    long maps = mmap_calls;
    green_t *g[40];
    for (int i = 0; i < 40; i++) {
        if (green_create(&g[i], run_park, NULL, NULL) != GREEN_OK ||
            green_switch(g[i], NULL, NULL) != GREEN_OK)
            return NULL;
    }
    /* half finish (their stacks go to the cache, or are unmapped once it
     * is full), half are left suspended when the thread ends */
    for (int i = 0; i < 20; i++) {
        green_switch(g[i], NULL, NULL);
        green_release(g[i]);
    }
    for (int i = 0; i < 20; i++)
        ts->left[i] = g[20 + i];
    ts->maps = mmap_calls - maps;
    ts->ok = 1;
    return NULL;
}

static void test_thread_end_unmaps_everything(void **state)
{
    (void)state;
    struct thread_stacks ts;
    memset(&ts, 0, sizeof ts);
    long maps = mmap_calls, unmaps = munmap_calls;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_stacks, &ts), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(ts.ok);
    assert_int_equal(ts.maps, 40);
    /* every stack of that thread was unmapped by the time it ended: the
     * cached ones and those of the suspended greenlets (one more mapping:
     * the thread's state) */
    assert_int_equal(mmap_calls - maps, 41);
    assert_int_equal(munmap_calls - unmaps, 40);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(green_state(ts.left[i]), GREEN_STATE_DEAD);
        assert_ok(green_release(ts.left[i]));
    }
    /* and the thread's state with the last of them */
    assert_int_equal(munmap_calls - unmaps, 41);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overflow_hits_guard),
        cmocka_unit_test(test_deep_but_within_stack),
        cmocka_unit_test(test_large_frame_hits_default_guard),
        cmocka_unit_test(test_guard_size_attr),
        cmocka_unit_test(test_interposition_works),
        cmocka_unit_test(test_stacks_reused),
        cmocka_unit_test(test_stacks_reused_in_batches),
        cmocka_unit_test(test_sizes_kept_apart),
        cmocka_unit_test(test_thread_end_unmaps_everything),
    };
    /* These tests are about guarded stacks, whatever GREEN_STACK_MODE says. */
    if (green_set_stack_mode(GREEN_STACK_GUARDED, GREEN_SCOPE_PROCESS) !=
        GREEN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
