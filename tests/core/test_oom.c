/* SPDX-License-Identifier: MIT */
/*
 * test_oom.c - running out of memory: no stack for a greenlet that starts
 * (GREEN_ENOSTACK, and the greenlet stays new and can start later), no
 * memory for a greenlet or for a thread's state (GREEN_ENOMEM).
 *
 * The interposer (interpose.c) makes mmap() and mprotect() fail on demand;
 * this executable also defines malloc(), calloc(), realloc() and
 * aligned_alloc(). All forward to the C library's unless told to fail, for
 * the calling thread only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <sys/types.h>

#include "common.h"
#include "interpose.h"

static __thread int fail_malloc, fail_calloc, fail_realloc;

/* glibc's own entry points: the same allocator, so free() stays right. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

void *malloc(size_t size)
{
    if (fail_malloc) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    if (fail_calloc) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (fail_realloc) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, size);
}

/* Copy-mode buffers of large live stacks are line-aligned: failing them
 * goes with failing realloc. */
extern void *__libc_memalign(size_t alignment, size_t size);

void *aligned_alloc(size_t alignment, size_t size)
{
    if (fail_realloc) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_memalign(alignment, size);
}

/* ---- helpers ---- */

static int ran;
static void *ran_in;
static int run_record(green_t *self, void *in, void **out)
{
    (void)self;
    ran++;
    ran_in = in;
    *out = (void *)((uintptr_t)in + 1);
    return GREEN_OK;
}

static int hook_calls;
static void count_hook(void *data, int event, int phase, green_t *o,
                       green_t *t)
{
    (void)data;
    (void)event;
    (void)phase;
    (void)o;
    (void)t;
    hook_calls++;
}

/* A stack size no other test uses, so that no cached stack fits. */
static green_attr unique_attr(unsigned n)
{
    green_attr a = GREEN_ATTR_INIT;
    a.stack_size = GREEN_STACK_MIN + (size_t)(n + 1) * 64u * 1024u;
    return a;
}

/* ---- no stack ---- */

static void test_enostack_first_switch(void **state)
{
    (void)state;
    green_attr a = unique_attr(1);
    green_t *g = NULL;
    assert_ok(green_create(&g, run_record, NULL, &a));
    ran = 0;
    hook_calls = 0;
    assert_ok(green_hook_add(count_hook, NULL));

    fail_mmap = 1;
    void *r = V(1);
    assert_int_equal(green_switch(g, V(2), &r), GREEN_ENOSTACK);
    assert_int_equal(green_switch(g, V(2), &r), GREEN_ENOSTACK);
    fail_mmap = 0;
    /* nothing changed */
    assert_ptr_equal(r, V(1));
    assert_int_equal(ran, 0);
    assert_int_equal(hook_calls, 0);
    assert_int_equal(green_state(g), GREEN_STATE_NEW);
    assert_ptr_equal(green_current(), green_main());
    assert_int_equal(green_state(green_main()), GREEN_STATE_RUNNING);
    assert_ptr_equal(parent_of(g), green_main());

    /* and it starts once memory is back */
    assert_ok(green_switch(g, (void *)(uintptr_t)10, &r));
    assert_int_equal(ran, 1);
    assert_int_equal((uintptr_t)ran_in, 10);
    assert_int_equal((uintptr_t)r, 11);
    assert_int_equal(hook_calls, 4);
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_hook_remove(count_hook, NULL));
    assert_ok(green_release(g));
}

static void test_enostack_mprotect(void **state)
{
    (void)state;
    /* The guard-page step fails: the mapping is undone, nothing leaks. */
    green_attr a = unique_attr(2);
    green_t *g = NULL;
    assert_ok(green_create(&g, run_record, NULL, &a));
    ran = 0;
    long maps = mmap_calls, unmaps = munmap_calls;
    fail_mprotect = 1;
    assert_int_equal(green_switch(g, V(1), NULL), GREEN_ENOSTACK);
    fail_mprotect = 0;
    assert_int_equal(mmap_calls - maps, 1);
    assert_int_equal(munmap_calls - unmaps, 1);
    assert_int_equal(green_state(g), GREEN_STATE_NEW);
    assert_int_equal(ran, 0);
    assert_ok(green_switch(g, (void *)(uintptr_t)20, NULL));
    assert_int_equal(ran, 1);
    assert_ok(green_release(g));
}

static void test_enostack_released_new(void **state)
{
    (void)state;
    /* A greenlet that could never start is freed like any new one. */
    green_attr a = unique_attr(3);
    struct freed f = {0, NULL};
    a.userdata = &f;
    a.userdata_free = freed_fn;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_record, NULL, &a));
    fail_mmap = 1;
    assert_int_equal(green_switch(g, NULL, NULL), GREEN_ENOSTACK);
    fail_mmap = 0;
    assert_ok(green_release(g));
    assert_int_equal(f.count, 1);
}

/* Fails the next stack mapping, then returns its input. */
static int run_fail_then_return(green_t *self, void *in, void **out)
{
    (void)self;
    fail_mmap = 1;
    *out = in;
    return GREEN_OK;
}

static void test_exit_into_new_child_of_new_parent(void **state)
{
    (void)state;
    /* exit into an unstarted child whose parent never started either: the
     * parent would start with the payload, but gets no stack */
    green_attr a = unique_attr(4);
    green_t *p = NULL;
    assert_ok(green_create(&p, run_record, NULL, &a));
    green_t *c = make(run_record, p);
    ran = 0;
    void *r = V(1);
    fail_mmap = 1;
    assert_int_equal(green_throw_exit(c, V(2), &r), GREEN_ENOSTACK);
    fail_mmap = 0;
    assert_ptr_equal(r, V(1));
    assert_int_equal(ran, 0);
    assert_int_equal(green_state(c), GREEN_STATE_NEW);
    assert_int_equal(green_state(p), GREEN_STATE_NEW);
    /* with memory back, the same call works */
    assert_ok(green_throw_exit(c, (void *)(uintptr_t)30, &r));
    assert_int_equal(ran, 1);
    assert_int_equal((uintptr_t)ran_in, 30);
    assert_int_equal((uintptr_t)r, 31);
    assert_int_equal(green_state(c), GREEN_STATE_DEAD);
    assert_int_equal(green_state(p), GREEN_STATE_DEAD);
    assert_ok(green_release(c));
    assert_ok(green_release(p));
}

static void test_result_to_new_parent_without_stack(void **state)
{
    (void)state;
    /* A finishing greenlet cannot fail: if its unstarted parent gets no
     * stack, that parent dies unstarted and the result goes on up. */
    green_attr a = unique_attr(5);
    green_t *p = NULL;
    assert_ok(green_create(&p, run_record, NULL, &a));
    green_t *c = make(run_fail_then_return, p);
    ran = 0;
    void *r = NULL;
    assert_ok(green_switch(c, V(40), &r));
    fail_mmap = 0;
    assert_ptr_equal(r, V(40));
    assert_int_equal(ran, 0);
    assert_int_equal(green_state(p), GREEN_STATE_DEAD);
    assert_int_equal(green_state(c), GREEN_STATE_DEAD);
    assert_ok(green_release(c));
    assert_ok(green_release(p));
}

/* ---- no memory ---- */

/* Under valgrind or a sanitizer, malloc is someone else's: skip then. */
static void require_malloc_interposed(void)
{
    void *(*volatile m)(size_t) = malloc;
    void *(*volatile c)(size_t, size_t) = calloc;
    void *(*volatile re)(void *, size_t) = realloc;
    fail_malloc = fail_calloc = fail_realloc = 1;
    void *p = m(16), *q = c(1, 16), *x = re(NULL, 16);
    fail_malloc = fail_calloc = fail_realloc = 0;
    if (p || q || x) {
        free(p);
        free(q);
        free(x);
        skip();
    }
}

static void test_enomem_create(void **state)
{
    (void)state;
    require_malloc_interposed();
    struct freed f;
    green_t *p = make(run_record, NULL);
    track(p, &f);
    green_current(); /* the thread state exists already */
    green_t *g = V(1);
    fail_malloc = 1;
    int rc = green_create(&g, run_record, p, NULL);
    int rc2 = green_create(&g, run_record, NULL, NULL);
    fail_malloc = 0;
    assert_int_equal(rc, GREEN_ENOMEM);
    assert_int_equal(rc2, GREEN_ENOMEM);
    assert_null(g);
    /* no reference to p was left behind */
    assert_int_equal(green_state(p), GREEN_STATE_NEW);
    assert_ok(green_release(p));
    assert_int_equal(f.count, 1);
    /* and creating works again */
    g = make(run_record, NULL);
    assert_ok(green_release(g));
}

struct fresh_thread {
    green_t *current, *main_g, *created;
    int create_rc, hook_rc;
    green_t *current_after;
    int works_after;
};

static void *thread_no_state(void *arg)
{
    struct fresh_thread *ft = arg;
    fail_calloc = 1;
    fail_malloc = 1;
    fail_mmap = 1; /* the thread state is mapped */
    ft->current = green_current();
    ft->main_g = green_main();
    ft->created = V(1);
    ft->create_rc = green_create(&ft->created, run_record, NULL, NULL);
    ft->hook_rc = green_hook_add(count_hook, NULL);
    fail_calloc = 0;
    fail_malloc = 0;
    fail_mmap = 0;
    ft->current_after = green_current();
    green_t *g = NULL;
    void *r = NULL;
    ft->works_after = green_create(&g, run_record, NULL, NULL) == GREEN_OK &&
                      green_switch(g, (void *)(uintptr_t)5, &r) == GREEN_OK &&
                      (uintptr_t)r == 6 &&
                      green_main() == ft->current_after;
    green_release(g);
    return NULL;
}

static void test_enomem_thread_state(void **state)
{
    (void)state;
    require_malloc_interposed();
    struct fresh_thread ft;
    memset(&ft, 0, sizeof ft);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_no_state, &ft), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_null(ft.current);
    assert_null(ft.main_g);
    assert_int_equal(ft.create_rc, GREEN_ENOMEM);
    assert_null(ft.created);
    assert_int_equal(ft.hook_rc, GREEN_ENOMEM);
    assert_non_null(ft.current_after);
    assert_true(ft.works_after);
}

/* ---- copy-mode greenlets without memory to save their stacks ---- */

static green_attr copy_attr(void)
{
    green_attr a = GREEN_ATTR_INIT;
    a.stack_mode = GREEN_STACK_COPY;
    return a;
}

static int run_copy_yield(green_t *self, void *in, void **out)
{
    (void)self;
    void *r = NULL;
    int rc = green_switch(green_main(), in, &r);
    *out = r;
    return rc;
}

struct copy_oom {
    green_t *other;
    int rc, other_state_after, current_ok, hooks;
    int rc_again;
    void *r_again;
};
static struct copy_oom co;

/* A fresh copy greenlet (nothing saved yet) switches to another copy
 * greenlet while its stack cannot be saved. */
static int run_copy_switcher(green_t *self, void *in, void **out)
{
    (void)in;
    hook_calls = 0;
    fail_realloc = 1;
    void *r = V(1);
    co.rc = green_switch(co.other, V(2), &r);
    fail_realloc = 0;
    co.hooks = hook_calls;
    co.other_state_after = green_state(co.other);
    co.current_ok = green_current() == self && r == V(1);
    co.rc_again = green_switch(co.other, V(3), &co.r_again);
    *out = V(4);
    return GREEN_OK;
}

static void test_copy_switch_without_memory(void **state)
{
    (void)state;
    require_malloc_interposed();
    memset(&co, 0, sizeof co);
    green_attr a = copy_attr();
    ran = 0;
    assert_ok(green_create(&co.other, run_copy_yield, NULL, &a));
    green_t *g = NULL;
    assert_ok(green_create(&g, run_copy_switcher, NULL, &a));
    assert_ok(green_hook_add(count_hook, NULL));
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r));
    assert_ok(green_hook_remove(count_hook, NULL));
    /* refused, and nothing changed */
    assert_int_equal(co.rc, GREEN_ENOMEM);
    assert_int_equal(co.other_state_after, GREEN_STATE_NEW);
    assert_true(co.current_ok);
    assert_int_equal(co.hooks, 0);
    /* with memory, the same switch works: other yielded V(3) to main */
    assert_ptr_equal(r, V(3));
    assert_int_equal(green_state(g), GREEN_STATE_SUSPENDED);
    assert_ok(green_switch(g, V(5), &r));
    assert_ptr_equal(co.r_again, V(5));
    assert_ptr_equal(r, V(4));
    assert_ok(green_release(co.other));
    assert_ok(green_release(g));
}

struct copy_throw_oom {
    green_t *target;
    int rc, target_state_after, parent_state_after;
};
static struct copy_throw_oom cto;

static int run_copy_thrower(green_t *self, void *in, void **out)
{
    (void)self;
    green_t *parent = in;
    fail_realloc = 1;
    void *r = NULL;
    cto.rc = green_throw(cto.target, V(6), &r);
    fail_realloc = 0;
    cto.target_state_after = green_state(cto.target);
    cto.parent_state_after = green_state(parent);
    *out = NULL;
    return GREEN_OK;
}

static void test_copy_throw_without_memory(void **state)
{
    (void)state;
    require_malloc_interposed();
    memset(&cto, 0, sizeof cto);
    green_attr a = copy_attr();
    /* h: a suspended copy greenlet; target: its new child */
    green_t *h = NULL;
    assert_ok(green_create(&h, run_copy_yield, NULL, &a));
    assert_ok(green_switch(h, NULL, NULL));
    assert_ok(green_create(&cto.target, run_record, h, &a));
    green_t *g = NULL;
    assert_ok(green_create(&g, run_copy_thrower, NULL, &a));
    ran = 0;
    assert_ok(green_switch(g, h, NULL));
    /* the throw could not switch to h: it failed, and the target it would
     * have killed on the way is still new */
    assert_true(cto.rc < 0);
    assert_int_equal(cto.target_state_after, GREEN_STATE_NEW);
    assert_int_equal(cto.parent_state_after, GREEN_STATE_SUSPENDED);
    assert_int_equal(ran, 0);
    assert_ok(green_release(g));
    assert_ok(green_release(cto.target));
    assert_ok(green_release(h));
}

/* A copy greenlet drops the last reference to a suspended greenlet while
 * its own stack cannot be given room to be saved, so the kill cannot
 * switch now. The victim did not survive a kill: it must not be reported
 * as leaked, and it is killed once memory is back. */
struct kill_oom {
    int cleaned, exit_seen, leaks, frees;
    int cleaned_at_release, leaks_at_release;
    int cleaned_later;
};
static struct kill_oom ko;

static void ko_hook(void *data, int event, int phase, green_t *o, green_t *t)
{
    (void)data;
    (void)phase;
    (void)o;
    (void)t;
    if (event == GREEN_EVENT_LEAK)
        ko.leaks++;
}

static void ko_free(void *ud)
{
    (void)ud;
    ko.frees++;
}

static int run_ko_victim(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    int rc = green_switch(green_main(), NULL, NULL);
    ko.exit_seen = rc == GREEN_EXIT;
    ko.cleaned++;
    *out = NULL;
    return rc;
}

static int run_ko_releaser(green_t *self, void *in, void **out)
{
    (void)self;
    fail_realloc = 1;
    green_release((green_t *)in);
    fail_realloc = 0;
    ko.cleaned_at_release = ko.cleaned;
    ko.leaks_at_release = ko.leaks;
    /* the next call into libgreen, with memory */
    green_t *tmp = NULL;
    green_create(&tmp, run_record, NULL, NULL);
    green_release(tmp);
    ko.cleaned_later = ko.cleaned;
    *out = NULL;
    return GREEN_OK;
}

static void test_copy_kill_without_memory(void **state)
{
    (void)state;
    require_malloc_interposed();
    memset(&ko, 0, sizeof ko);
    assert_ok(green_hook_add(ko_hook, NULL));
    green_t *v = make(run_ko_victim, NULL);
    assert_ok(green_set_userdata(v, NULL, ko_free));
    assert_ok(green_switch(v, NULL, NULL));
    green_attr a = copy_attr();
    green_t *k = NULL;
    assert_ok(green_create(&k, run_ko_releaser, NULL, &a));
    assert_ok(green_switch(k, v, NULL));
    assert_ok(green_hook_remove(ko_hook, NULL));
    assert_int_equal(ko.leaks_at_release, 0);
    assert_int_equal(ko.leaks, 0);
    assert_int_equal(ko.cleaned_at_release, 0);
    assert_int_equal(ko.cleaned_later, 1);
    assert_true(ko.exit_seen);
    assert_int_equal(ko.frees, 1);
    assert_ok(green_release(k));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enostack_first_switch),
        cmocka_unit_test(test_enostack_mprotect),
        cmocka_unit_test(test_enostack_released_new),
        cmocka_unit_test(test_exit_into_new_child_of_new_parent),
        cmocka_unit_test(test_result_to_new_parent_without_stack),
        cmocka_unit_test(test_enomem_create),
        cmocka_unit_test(test_enomem_thread_state),
        cmocka_unit_test(test_copy_switch_without_memory),
        cmocka_unit_test(test_copy_throw_without_memory),
        cmocka_unit_test(test_copy_kill_without_memory),
    };
    /* These tests are about guarded stacks, whatever GREEN_STACK_MODE says. */
    if (green_set_stack_mode(GREEN_STACK_GUARDED, GREEN_SCOPE_PROCESS) !=
        GREEN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
