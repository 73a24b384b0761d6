/* SPDX-License-Identifier: MIT */
/*
 * test_stack_mode.c - stack modes: guarded, copy (greenlets sharing their
 * thread's stack, saved to the heap) and auto (guarded, falling back to
 * copy when no stack can be mapped); the thread, process and environment
 * defaults.
 *
 * The interposer (interpose.c) counts libgreen's mappings and can make
 * mmap() fail for the calling thread.
 * ctest runs it with GREEN_STACK_MODE unset, "copy", "auto" and an unknown
 * value; test_env_default() expects what that variable says.
 */
#define _GNU_SOURCE
#include <alloca.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "interpose.h"

static void on_thread(void *(*fn)(void *), void *arg)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, fn, arg), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
}

/* The process default GREEN_STACK_MODE asks for. */
static int env_mode(void)
{
    const char *e = getenv("GREEN_STACK_MODE");
    if (e && strcmp(e, "copy") == 0)
        return GREEN_STACK_COPY;
    if (e && strcmp(e, "auto") == 0)
        return GREEN_STACK_AUTO;
    return GREEN_STACK_GUARDED;
}

static green_t *make_mode(green_run_fn run, green_t *parent, int mode)
{
    green_attr a = GREEN_ATTR_INIT;
    a.stack_mode = mode;
    green_t *g = NULL;
    assert_ok(green_create(&g, run, parent, &a));
    return g;
}

static int run_return(green_t *self, void *in, void **out)
{
    (void)self;
    *out = (void *)((uintptr_t)in + 1);
    return GREEN_OK;
}

static int mode_of_default(void)
{
    green_t *g = make(run_return, NULL);
    int m = green_stack_mode(g);
    assert_ok(green_release(g));
    return m;
}

/* ---- defaults ---- */

static void test_env_default(void **state)
{
    (void)state;
    /* first test: nothing has set the process default yet */
    assert_int_equal(mode_of_default(), env_mode());
    /* and a greenlet that starts gets a concrete mode */
    green_t *g = make(run_return, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, (void *)(uintptr_t)1, &r));
    assert_int_equal((uintptr_t)r, 2);
    int m = green_stack_mode(g);
    assert_true(m == GREEN_STACK_GUARDED || m == GREEN_STACK_COPY);
    if (env_mode() != GREEN_STACK_AUTO)
        assert_int_equal(m, env_mode());
    else
        assert_int_equal(m, GREEN_STACK_GUARDED); /* a mapping was possible */
    assert_ok(green_release(g));
}

static void test_set_stack_mode_errors(void **state)
{
    (void)state;
    int before = mode_of_default();
    static const int bad_modes[] = {-1, GREEN_STACK_AUTO + 1, 100};
    for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
        assert_int_equal(
            green_set_stack_mode(bad_modes[i], GREEN_SCOPE_THREAD),
            GREEN_EINVAL);
        assert_int_equal(
            green_set_stack_mode(bad_modes[i], GREEN_SCOPE_PROCESS),
            GREEN_EINVAL);
    }
    static const int bad_scopes[] = {0, 3, -1};
    for (size_t i = 0; i < sizeof bad_scopes / sizeof bad_scopes[0]; i++)
        assert_int_equal(
            green_set_stack_mode(GREEN_STACK_COPY, bad_scopes[i]),
            GREEN_EINVAL);
    assert_int_equal(mode_of_default(), before);
    assert_int_equal(green_stack_mode(NULL), GREEN_EINVAL);
}

static void test_thread_default(void **state)
{
    (void)state;
    int process = mode_of_default();
    static const int modes[] = {GREEN_STACK_COPY, GREEN_STACK_AUTO,
                                GREEN_STACK_GUARDED};
    for (size_t i = 0; i < 3; i++) {
        assert_ok(green_set_stack_mode(modes[i], GREEN_SCOPE_THREAD));
        assert_int_equal(mode_of_default(), modes[i]);
        /* an explicit mode wins */
        for (size_t j = 0; j < 3; j++) {
            green_t *g = make_mode(run_return, NULL, modes[j]);
            assert_int_equal(green_stack_mode(g), modes[j]);
            assert_ok(green_release(g));
        }
    }
    /* DEFAULT clears the thread's own choice */
    assert_ok(green_set_stack_mode(GREEN_STACK_MODE_DEFAULT,
                                   GREEN_SCOPE_THREAD));
    assert_int_equal(mode_of_default(), process);
}

/* The 1.3 names: green_set_default_stack_mode() sets what
 * green_default_stack_mode() reports, per scope. */
static void test_default_stack_mode_query(void **state)
{
    (void)state;
    int process = green_default_stack_mode(GREEN_SCOPE_PROCESS);
    assert_true(process == GREEN_STACK_GUARDED || process == GREEN_STACK_COPY ||
                process == GREEN_STACK_AUTO);
    assert_int_equal(mode_of_default(), process);
    assert_int_equal(green_default_stack_mode(GREEN_SCOPE_THREAD),
                     GREEN_STACK_MODE_DEFAULT);
    assert_ok(green_set_default_stack_mode(GREEN_STACK_COPY,
                                           GREEN_SCOPE_THREAD));
    assert_int_equal(green_default_stack_mode(GREEN_SCOPE_THREAD),
                     GREEN_STACK_COPY);
    assert_int_equal(green_default_stack_mode(GREEN_SCOPE_PROCESS), process);
    assert_int_equal(mode_of_default(), GREEN_STACK_COPY);
    /* errors change nothing */
    assert_int_equal(green_set_default_stack_mode(GREEN_STACK_AUTO + 1,
                                                  GREEN_SCOPE_THREAD),
                     GREEN_EINVAL);
    assert_int_equal(green_set_default_stack_mode(GREEN_STACK_MODE_DEFAULT,
                                                  GREEN_SCOPE_PROCESS),
                     GREEN_EINVAL);
    assert_int_equal(green_default_stack_mode(0), GREEN_EINVAL);
    assert_int_equal(green_default_stack_mode(3), GREEN_EINVAL);
    assert_int_equal(green_default_stack_mode(GREEN_SCOPE_THREAD),
                     GREEN_STACK_COPY);
    assert_int_equal(green_default_stack_mode(GREEN_SCOPE_PROCESS), process);
    assert_ok(green_set_default_stack_mode(GREEN_STACK_MODE_DEFAULT,
                                           GREEN_SCOPE_THREAD));
    assert_int_equal(green_default_stack_mode(GREEN_SCOPE_THREAD),
                     GREEN_STACK_MODE_DEFAULT);
    assert_int_equal(mode_of_default(), process);
}

struct other_thread_modes {
    int own;        /* mode the thread sets for itself, 0 for none */
    int seen;       /* mode of a DEFAULT greenlet there */
    int started_ok; /* it ran */
};

static void *thread_modes(void *arg)
{
    struct other_thread_modes *o = arg;
    if (o->own)
        green_set_stack_mode(o->own, GREEN_SCOPE_THREAD);
    green_t *g = NULL;
    if (green_create(&g, run_return, NULL, NULL) != GREEN_OK)
        return NULL;
    o->seen = green_stack_mode(g);
    void *r = NULL;
    o->started_ok = green_switch(g, (void *)(uintptr_t)5, &r) == GREEN_OK &&
                    (uintptr_t)r == 6;
    green_release(g);
    return NULL;
}

static void test_process_default(void **state)
{
    (void)state;
    assert_ok(green_set_stack_mode(GREEN_STACK_COPY, GREEN_SCOPE_PROCESS));
    /* this thread has no own choice: it follows */
    assert_int_equal(mode_of_default(), GREEN_STACK_COPY);
    struct other_thread_modes plain = {0, 0, 0}, own = {GREEN_STACK_GUARDED,
                                                        0, 0};
    on_thread(thread_modes, &plain);
    on_thread(thread_modes, &own);
    assert_int_equal(plain.seen, GREEN_STACK_COPY);
    assert_true(plain.started_ok);
    assert_int_equal(own.seen, GREEN_STACK_GUARDED);
    assert_true(own.started_ok);
    /* a thread's own choice is not the process default */
    assert_ok(green_set_stack_mode(GREEN_STACK_AUTO, GREEN_SCOPE_THREAD));
    on_thread(thread_modes, &plain);
    assert_int_equal(plain.seen, GREEN_STACK_COPY);
    assert_ok(green_set_stack_mode(GREEN_STACK_MODE_DEFAULT,
                                   GREEN_SCOPE_THREAD));
    assert_ok(green_set_stack_mode(GREEN_STACK_GUARDED, GREEN_SCOPE_PROCESS));
    assert_int_equal(mode_of_default(), GREEN_STACK_GUARDED);
    on_thread(thread_modes, &plain);
    assert_int_equal(plain.seen, GREEN_STACK_GUARDED);
}

/* ---- copy mode ---- */

#define PATTERN_BYTES (16 * 1024)
struct pattern_state {
    int checks, bad;
    int addr_moved;
};
static struct pattern_state pat[2];
static green_t *peer[2];

static void fill(volatile unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 131u + i * 7u);
}

static int same(volatile unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed * 131u + i * 7u))
            return 0;
    return 1;
}

/* Fills a local array, then ping-pongs with the other one, checking after
 * every resumption that its array is intact and at the same address. */
static int run_pattern(green_t *self, void *in, void **out)
{
    (void)self;
    int id = (int)(uintptr_t)in;
    volatile unsigned char buf[PATTERN_BYTES];
    volatile unsigned char *where = buf;
    unsigned seed = (unsigned)id + 1;
    for (int round = 0; round < 50; round++) {
        fill(buf, sizeof buf, seed + (unsigned)round);
        void *r = NULL;
        /* the first one starts the second, which yields back to it */
        int rc = green_switch(peer[1 - id], (void *)(uintptr_t)(1 - id), &r);
        if (rc != GREEN_OK)
            pat[id].bad++;
        pat[id].checks++;
        if (!same(buf, sizeof buf, seed + (unsigned)round))
            pat[id].bad++;
        if (where != buf)
            pat[id].addr_moved++;
    }
    *out = (void *)(uintptr_t)id;
    return GREEN_OK;
}

static void test_copy_locals_preserved(void **state)
{
    (void)state;
    memset(pat, 0, sizeof pat);
    peer[0] = make_mode(run_pattern, NULL, GREEN_STACK_COPY);
    peer[1] = make_mode(run_pattern, NULL, GREEN_STACK_COPY);
    void *r = NULL;
    assert_ok(green_switch(peer[0], (void *)(uintptr_t)0, &r));
    /* one of them finished first and returned to main */
    assert_int_equal(green_stack_mode(peer[0]), GREEN_STACK_COPY);
    assert_int_equal(green_stack_mode(peer[1]), GREEN_STACK_COPY);
    int dead0 = green_state(peer[0]) == GREEN_STATE_DEAD;
    int dead1 = green_state(peer[1]) == GREEN_STATE_DEAD;
    assert_int_equal(dead0 + dead1, 1);
    /* finish the other one */
    green_t *live = dead0 ? peer[1] : peer[0];
    while (green_state(live) != GREEN_STATE_DEAD)
        assert_ok(green_switch(live, NULL, &r));
    assert_int_equal(pat[0].bad, 0);
    assert_int_equal(pat[1].bad, 0);
    assert_int_equal(pat[0].addr_moved, 0);
    assert_int_equal(pat[1].addr_moved, 0);
    assert_true(pat[0].checks >= 49);
    assert_true(pat[1].checks >= 49);
    assert_ok(green_release(peer[0]));
    assert_ok(green_release(peer[1]));
}

/* Recurses `depth` levels of 1 KiB frames, switches to `other` at the
 * bottom, and checks every frame on the way back up. */
static green_t *deep_other[2];
static int deep_bad[2];

static unsigned long deep(int id, unsigned depth)
{
    volatile unsigned char frame[1024];
    fill(frame, sizeof frame, depth * 2u + (unsigned)id);
    unsigned long below = 0;
    if (depth > 0) {
        below = deep(id, depth - 1);
    } else {
        void *r = NULL;
        if (green_switch(deep_other[id], (void *)(uintptr_t)(1 - id), &r) !=
            GREEN_OK)
            deep_bad[id]++;
    }
    if (!same(frame, sizeof frame, depth * 2u + (unsigned)id))
        deep_bad[id]++;
    return below + frame[0];
}

static int run_deep(green_t *self, void *in, void **out)
{
    (void)self;
    int id = (int)(uintptr_t)in;
    *out = (void *)(uintptr_t)deep(id, 300); /* about 300 KiB */
    return GREEN_OK;
}

static void test_copy_deep_stacks(void **state)
{
    (void)state;
    deep_bad[0] = deep_bad[1] = 0;
    green_t *a = make_mode(run_deep, NULL, GREEN_STACK_COPY);
    green_t *b = make_mode(run_deep, NULL, GREEN_STACK_COPY);
    deep_other[0] = b;
    deep_other[1] = a;
    void *r = NULL;
    /* a goes deep and starts b; b goes deep and resumes a; a unwinds and
     * finishes (result to main) */
    assert_ok(green_switch(a, (void *)(uintptr_t)0, &r));
    assert_int_equal(green_state(a), GREEN_STATE_DEAD);
    assert_int_equal(green_state(b), GREEN_STATE_SUSPENDED);
    /* b resumes from its bottom and unwinds */
    assert_ok(green_switch(b, NULL, &r));
    assert_int_equal(green_state(b), GREEN_STATE_DEAD);
    assert_int_equal(deep_bad[0], 0);
    assert_int_equal(deep_bad[1], 0);
    assert_ok(green_release(a));
    assert_ok(green_release(b));
}

/* ---- green_stack_saved ---- */

/* Parks with `in` bytes of its own on the stack, reporting what it sees of
 * itself while running; returns when resumed. */
static long saved_while_running;

static int run_park_bytes(green_t *self, void *in, void **out)
{
    size_t n = (size_t)(uintptr_t)in;
    volatile unsigned char *buf = alloca(n ? n : 1);
    fill(buf, n, 7);
    saved_while_running = green_stack_saved(self);
    void *v = NULL;
    int rc = green_switch(green_main(), NULL, &v);
    *out = (void *)(uintptr_t)same(buf, n, 7); /* restored intact */
    return rc;
}

static void *thread_saved_of(void *arg)
{
    return (void *)(intptr_t)green_stack_saved(arg);
}

/* Only the live slice of a parked copy-mode greenlet is saved, and only
 * once another copy-mode greenlet took the shared stack. */
static void test_stack_saved(void **state)
{
    (void)state;
    assert_int_equal(green_stack_saved(NULL), GREEN_EINVAL);
    assert_int_equal(green_stack_saved(green_main()), 0);
    green_t *guarded = make_mode(run_park_bytes, NULL, GREEN_STACK_GUARDED);
    green_t *small = make_mode(run_park_bytes, NULL, GREEN_STACK_COPY);
    green_t *big = make_mode(run_park_bytes, NULL, GREEN_STACK_COPY);
    assert_int_equal(green_stack_saved(small), 0); /* new */

    assert_ok(green_switch(guarded, (void *)(uintptr_t)64, NULL));
    assert_int_equal(green_stack_saved(guarded), 0);
    assert_ok(green_switch(small, (void *)(uintptr_t)64, NULL));
    assert_int_equal(saved_while_running, 0); /* running */
    /* suspended, but still on the shared stack: nothing copied yet */
    assert_int_equal(green_stack_saved(small), 0);

    assert_ok(green_switch(big, (void *)(uintptr_t)8192, NULL));
    long s_small = green_stack_saved(small);
    assert_int_equal(green_stack_saved(big), 0); /* on the shared stack */
    /* its 64 bytes and a few frames, nowhere near the 1 MiB stack */
    assert_in_range(s_small, 64, 1024);

    /* resuming small evicts big: 8 KiB and its frames */
    void *r = NULL;
    assert_ok(green_switch(small, NULL, &r));
    assert_ptr_equal(r, (void *)1);
    assert_int_equal(green_state(small), GREEN_STATE_DEAD);
    assert_int_equal(green_stack_saved(small), 0);
    long s_big = green_stack_saved(big);
    assert_in_range(s_big, 8192, 8192 + 1024);
    /* the difference is the buffers' */
    assert_in_range(s_big - s_small, 8192 - 64 - 64, 8192 - 64 + 64);

    /* another thread may not ask */
    pthread_t th;
    void *res = NULL;
    assert_int_equal(pthread_create(&th, NULL, thread_saved_of, big), 0);
    assert_int_equal(pthread_join(th, &res), 0);
    assert_int_equal((intptr_t)res, GREEN_ETHREAD);

    assert_ok(green_switch(big, NULL, &r));
    assert_ptr_equal(r, (void *)1);
    assert_int_equal(green_state(big), GREEN_STATE_DEAD);
    assert_int_equal(green_stack_saved(big), 0);
    assert_ok(green_switch(guarded, NULL, &r));
    assert_ok(green_release(guarded));
    assert_ok(green_release(small));
    assert_ok(green_release(big));
}

static void test_copy_ignores_stack_size(void **state)
{
    (void)state;
    /* a copy greenlet runs on the shared stack, whatever stack_size says */
    green_attr a = GREEN_ATTR_INIT;
    a.stack_mode = GREEN_STACK_COPY;
    a.stack_size = GREEN_STACK_MIN;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_deep, NULL, &a));
    deep_bad[0] = 0;
    green_t *echo = make_mode(run_return, NULL, GREEN_STACK_GUARDED);
    deep_other[0] = echo; /* its result comes back to... main */
    void *r = NULL;
    assert_ok(green_switch(g, (void *)(uintptr_t)0, &r));
    /* echo finished first (its result went to main) */
    assert_int_equal(green_state(echo), GREEN_STATE_DEAD);
    assert_int_equal((uintptr_t)r, 2);
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    assert_ok(green_switch(g, NULL, &r));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_int_equal(deep_bad[0], 0);
    assert_ok(green_release(echo));
    assert_ok(green_release(g));
}

/* ---- many copy greenlets ---- */

static int run_wait_once(green_t *self, void *in, void **out)
{
    (void)self;
    uintptr_t base = (uintptr_t)in;
    void *r = NULL;
    if (green_switch(green_main(), (void *)base, &r) != GREEN_OK)
        return GREEN_THROWN;
    *out = (void *)(base + (uintptr_t)r);
    return GREEN_OK;
}

static long max_map_count(void)
{
    long n = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &n) != 1)
            n = 65530;
        fclose(f);
    }
    return n;
}

/* Auto greenlets take guarded stacks until the process holds a quarter of
 * vm.max_map_count of them, then start in copy mode: the mappings left
 * stay for the program. */
static void test_auto_switches_to_copy_at_limit(void **state)
{
    (void)state;
    SKIP_UNDER_TSAN("holds more suspended greenlets than it allows");
    long limit = max_map_count() / 4;
    long n = limit + 500;
    if (n > 100000)
        skip(); /* a raised vm.max_map_count: too many to hold here */
    green_t **g = calloc((size_t)n, sizeof *g);
    assert_non_null(g);
    green_attr a = GREEN_ATTR_INIT;
    a.stack_mode = GREEN_STACK_AUTO;
    a.stack_size = GREEN_STACK_MIN;
    long guarded = 0, copy = 0;
    for (long i = 0; i < n; i++) {
        assert_ok(green_create(&g[i], run_wait_once, NULL, &a));
        assert_ok(green_switch(g[i], (void *)(uintptr_t)i, NULL));
        int m = green_stack_mode(g[i]);
        if (m == GREEN_STACK_GUARDED)
            guarded++;
        else if (m == GREEN_STACK_COPY)
            copy++;
        /* once one went to copy mode, all later ones do */
        if (copy)
            assert_int_equal(m, GREEN_STACK_COPY);
    }
    assert_true(guarded > 0);
    assert_true(guarded <= limit);
    assert_true(copy >= n - limit);
    for (long i = 0; i < n; i++) {
        void *r = NULL;
        assert_ok(green_switch(g[i], (void *)(uintptr_t)1, &r));
        assert_int_equal((uintptr_t)r, (uintptr_t)i + 1);
        assert_ok(green_release(g[i]));
    }
    free(g);
}

static void test_copy_many_suspended(void **state)
{
    (void)state;
    SKIP_UNDER_TSAN("holds more suspended greenlets than it allows");
    /* more suspended greenlets than guarded stacks could ever map */
    long n = max_map_count() / 2 + 1000;
    if (n < 10000)
        n = 10000;
    if (n > 200000)
        n = 200000;
    green_t **g = calloc((size_t)n, sizeof *g);
    assert_non_null(g);
    long maps = mmap_calls;
    for (long i = 0; i < n; i++) {
        g[i] = make_mode(run_wait_once, NULL, GREEN_STACK_COPY);
        void *r = NULL;
        assert_ok(green_switch(g[i], (void *)(uintptr_t)(i * 2), &r));
        if ((uintptr_t)r != (uintptr_t)(i * 2))
            fail_msg("greenlet %ld yielded %p", i, r);
    }
    /* at most the shared stack was mapped */
    assert_true(mmap_calls - maps <= 1);
    for (long i = n; i-- > 0;) {
        void *r = NULL;
        assert_ok(green_switch(g[i], (void *)(uintptr_t)1, &r));
        if ((uintptr_t)r != (uintptr_t)(i * 2 + 1))
            fail_msg("greenlet %ld returned %p", i, r);
        assert_int_equal(green_state(g[i]), GREEN_STATE_DEAD);
        assert_ok(green_release(g[i]));
    }
    free(g);
}

/* ---- copy and guarded greenlets together ---- */

struct mix {
    int rc[4];
    void *v[4];
    int cleaned;
};
static struct mix mix;

/* Copy greenlet: yields, catches a throw, yields, then is killed. */
static int run_mix_copy(green_t *self, void *in, void **out)
{
    (void)self;
    volatile unsigned char buf[4096];
    fill(buf, sizeof buf, 77);
    mix.rc[0] = green_switch(green_main(), in, &mix.v[0]);
    mix.rc[1] = green_switch(green_main(), V(11), &mix.v[1]);
    mix.rc[2] = green_switch(green_main(), V(12), &mix.v[2]);
    mix.cleaned = same(buf, sizeof buf, 77) ? 1 : -1;
    *out = V(13);
    return mix.rc[2];
}

/* Guarded or copy greenlet that throws into the one it is given. */
static int run_thrower(green_t *self, void *in, void **out)
{
    (void)self;
    void *r = NULL;
    int rc = green_throw((green_t *)in, V(20), &r);
    *out = r;
    return rc;
}

static void check_mix(int thrower_mode)
{
    memset(&mix, 0, sizeof mix);
    green_t *c = make_mode(run_mix_copy, NULL, GREEN_STACK_COPY);
    void *r = NULL;
    assert_ok(green_switch(c, V(10), &r));
    assert_ptr_equal(r, V(10));
    /* an ordinary switch */
    assert_ok(green_switch(c, V(30), &r));
    assert_int_equal(mix.rc[0], GREEN_OK);
    assert_ptr_equal(mix.v[0], V(30));
    assert_ptr_equal(r, V(11));
    /* a throw from another greenlet: c answers it with V(12) to main */
    green_t *t = make_mode(run_thrower, NULL, thrower_mode);
    assert_ok(green_switch(t, c, &r));
    assert_int_equal(mix.rc[1], GREEN_THROWN);
    assert_ptr_equal(mix.v[1], V(20));
    assert_ptr_equal(r, V(12));
    assert_int_equal(green_state(t), GREEN_STATE_SUSPENDED);
    /* kill c by releasing it while t is suspended (copied out if copy) */
    assert_ok(green_release(c));
    assert_int_equal(mix.rc[2], GREEN_EXIT);
    assert_int_equal(mix.cleaned, 1);
    /* t still works */
    assert_ok(green_switch(t, V(40), &r));
    assert_ptr_equal(r, V(40));
    assert_int_equal(green_state(t), GREEN_STATE_DEAD);
    assert_ok(green_release(t));
}

static void test_copy_with_guarded(void **state)
{
    (void)state;
    check_mix(GREEN_STACK_GUARDED);
}

static void test_copy_with_copy(void **state)
{
    (void)state;
    check_mix(GREEN_STACK_COPY);
}

/* Results between modes: a copy child finishing into a suspended copy
 * parent (copied out meanwhile) and a guarded one. */
static int run_yield_return(green_t *self, void *in, void **out)
{
    green_t *p = NULL;
    green_get_parent(self, &p);
    volatile unsigned char buf[2048];
    fill(buf, sizeof buf, 5);
    void *r = NULL;
    int rc = green_switch(p, in, &r);
    *out = same(buf, sizeof buf, 5) ? r : NULL;
    return rc;
}

static void test_results_across_modes(void **state)
{
    (void)state;
    static const int modes[] = {GREEN_STACK_GUARDED, GREEN_STACK_COPY};
    for (int pm = 0; pm < 2; pm++) {
        for (int cm = 0; cm < 2; cm++) {
            green_t *p = make_mode(run_yield_return, NULL, modes[pm]);
            void *r = NULL;
            assert_ok(green_switch(p, V(1), &r));
            green_t *c = make_mode(run_yield_return, p, modes[cm]);
            assert_ok(green_switch(c, V(2), &r)); /* c yields to p ... */
            /* ... p returns it to main */
            assert_ptr_equal(r, V(2));
            assert_int_equal(green_state(p), GREEN_STATE_DEAD);
            /* c finishes: p is dead, main gets it */
            assert_ok(green_switch(c, V(3), &r));
            assert_ptr_equal(r, V(3));
            assert_ok(green_release(c));
            assert_ok(green_release(p));
        }
    }
}

/* ---- auto mode and missing mappings ---- */

struct fresh {
    int copy_create_rc, auto_create_rc;
    green_t *copy_out, *auto_out;
    long maps_at_create;
    int guarded_rc, guarded_state;
    int fallback_rc, fallback_mode;
    void *fallback_r;
    int copy_rc;
    void *copy_r;
};

static void *thread_no_mappings(void *arg)
{
    struct fresh *f = arg;
    green_attr a = GREEN_ATTR_INIT;
    green_current(); /* the thread's state, mapped before mmap fails */
    /* no mapping possible: the shared stack, which copy and auto greenlets
     * need, cannot be made */
    fail_mmap = 1;
    a.stack_mode = GREEN_STACK_COPY;
    f->copy_out = V(1);
    f->copy_create_rc = green_create(&f->copy_out, run_return, NULL, &a);
    a.stack_mode = GREEN_STACK_AUTO;
    f->auto_out = V(1);
    f->auto_create_rc = green_create(&f->auto_out, run_return, NULL, &a);
    /* a guarded greenlet is created, but cannot start */
    green_t *gd = NULL;
    a.stack_mode = GREEN_STACK_GUARDED;
    green_create(&gd, run_return, NULL, &a);
    f->guarded_rc = green_switch(gd, V(1), NULL);
    f->guarded_state = green_state(gd);
    fail_mmap = 0;

    /* creating a copy greenlet maps the shared stack */
    long maps = mmap_calls;
    green_t *c = NULL, *au = NULL;
    a.stack_mode = GREEN_STACK_COPY;
    green_create(&c, run_return, NULL, &a);
    f->maps_at_create = mmap_calls - maps;
    /* no mapping left: an auto greenlet starts on the shared stack */
    fail_mmap = 1;
    a.stack_mode = GREEN_STACK_AUTO;
    green_create(&au, run_return, NULL, &a);
    f->fallback_rc = green_switch(au, (void *)(uintptr_t)9, &f->fallback_r);
    f->fallback_mode = green_stack_mode(au);
    f->copy_rc = green_switch(c, (void *)(uintptr_t)7, &f->copy_r);
    fail_mmap = 0;
    green_release(c);
    green_release(au);
    green_release(gd);
    return NULL;
}

static void test_auto_and_enostack(void **state)
{
    (void)state;
    struct fresh f;
    memset(&f, 0, sizeof f);
    on_thread(thread_no_mappings, &f);
    assert_int_equal(f.copy_create_rc, GREEN_ENOSTACK);
    assert_null(f.copy_out);
    assert_int_equal(f.auto_create_rc, GREEN_ENOSTACK);
    assert_null(f.auto_out);
    assert_int_equal(f.guarded_rc, GREEN_ENOSTACK);
    assert_int_equal(f.guarded_state, GREEN_STATE_NEW);
    assert_int_equal(f.maps_at_create, 1);
    assert_int_equal(f.fallback_rc, GREEN_OK);
    assert_int_equal((uintptr_t)f.fallback_r, 10);
    assert_int_equal(f.fallback_mode, GREEN_STACK_COPY);
    assert_int_equal(f.copy_rc, GREEN_OK);
    assert_int_equal((uintptr_t)f.copy_r, 8);
}

static void test_auto_gets_guarded(void **state)
{
    (void)state;
    green_t *g = make_mode(run_return, NULL, GREEN_STACK_AUTO);
    assert_int_equal(green_stack_mode(g), GREEN_STACK_AUTO);
    void *r = NULL;
    assert_ok(green_switch(g, (void *)(uintptr_t)3, &r));
    assert_int_equal((uintptr_t)r, 4);
    assert_int_equal(green_stack_mode(g), GREEN_STACK_GUARDED);
    assert_ok(green_release(g));
}

/* ---- the shared stack's life ---- */

static int run_park(green_t *self, void *in, void **out)
{
    (void)self;
    volatile unsigned char buf[1024];
    fill(buf, sizeof buf, 3);
    green_switch(green_main(), in, NULL);
    *out = (void *)(uintptr_t)same(buf, sizeof buf, 3);
    return GREEN_OK;
}

struct shared_life {
    long maps;
    green_t *left[8];
    int ok;
};

static void *thread_shared_life(void *arg)
{
    struct shared_life *s = arg;
    green_current(); /* the thread's state: one mapping, not a stack */
    long maps = mmap_calls;
    for (int i = 0; i < 8; i++) {
        green_attr a = GREEN_ATTR_INIT;
        a.stack_mode = GREEN_STACK_COPY;
        if (green_create(&s->left[i], run_park, NULL, &a) != GREEN_OK ||
            green_switch(s->left[i], NULL, NULL) != GREEN_OK)
            return NULL;
    }
    s->maps = mmap_calls - maps;
    s->ok = 1;
    return NULL; /* ends with 8 copy greenlets suspended */
}

static void test_shared_stack_per_thread(void **state)
{
    (void)state;
    struct shared_life s;
    memset(&s, 0, sizeof s);
    long maps = mmap_calls, unmaps = munmap_calls;
    on_thread(thread_shared_life, &s);
    assert_true(s.ok);
    /* one shared stack for all eight, unmapped when the thread ended */
    assert_int_equal(s.maps, 1);
    assert_int_equal(mmap_calls - maps, 2); /* and the thread's state */
    assert_int_equal(munmap_calls - unmaps, 1);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(green_state(s.left[i]), GREEN_STATE_DEAD);
        assert_ok(green_release(s.left[i]));
    }
    /* the thread's state went with the last of them */
    assert_int_equal(munmap_calls - unmaps, 2);
}

/* ---- overflow of the shared stack ---- */

static volatile unsigned long recurse_limit = (unsigned long)-1;
static unsigned long recurse(unsigned long n)
{
    volatile char frame[1024];
    if (n == recurse_limit)
        return 0;
    frame[0] = (char)n;
    return recurse(n + 1) + (unsigned char)frame[0];
}

static int run_overflow(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    *out = (void *)(uintptr_t)recurse(0);
    return GREEN_OK;
}

static void test_copy_overflow_hits_guard(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        green_attr a = GREEN_ATTR_INIT;
        a.stack_mode = GREEN_STACK_COPY;
        green_t *g = NULL;
        if (green_create(&g, run_overflow, NULL, &a) != GREEN_OK)
            _exit(2);
        green_switch(g, NULL, NULL);
        _exit(3);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* first: reads the environment's default */
        cmocka_unit_test(test_env_default),
        cmocka_unit_test(test_set_stack_mode_errors),
        cmocka_unit_test(test_thread_default),
        cmocka_unit_test(test_default_stack_mode_query),
        cmocka_unit_test(test_process_default),
        cmocka_unit_test(test_copy_locals_preserved),
        cmocka_unit_test(test_copy_deep_stacks),
        cmocka_unit_test(test_stack_saved),
        cmocka_unit_test(test_copy_ignores_stack_size),
        cmocka_unit_test(test_copy_with_guarded),
        cmocka_unit_test(test_copy_with_copy),
        cmocka_unit_test(test_results_across_modes),
        cmocka_unit_test(test_auto_gets_guarded),
        cmocka_unit_test(test_auto_and_enostack),
        cmocka_unit_test(test_shared_stack_per_thread),
        cmocka_unit_test(test_copy_overflow_hits_guard),
        cmocka_unit_test(test_copy_many_suspended),
        cmocka_unit_test(test_auto_switches_to_copy_at_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
