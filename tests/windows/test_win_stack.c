/* SPDX-License-Identifier: MIT */
/*
 * test_win_stack.c - what Windows asks of a greenlet's stack: the thread
 * information block describes the running greenlet's stack (and the
 * thread's own again after switching back), structured exceptions raised
 * in a greenlet reach its handlers and unwind, stack probes (__chkstk) of
 * large frames pass, the stack walker stops at the greenlet's entry, the
 * stacks are VirtualAlloc reservations of the requested size, and a
 * thread's suspended greenlets' stacks are released when it ends. Run in
 * guarded and in copy mode (GREEN_STACK_MODE=copy).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <excpt.h>

#include "../core/common.h"

struct tib_view {
    void *base, *limit, *dealloc;
};

static struct tib_view tib_now(void)
{
    NT_TIB *tib = (NT_TIB *)NtCurrentTeb();
    struct tib_view v = {tib->StackBase, tib->StackLimit,
                         ((void **)NtCurrentTeb())[0x1478 / sizeof(void *)]};
    return v;
}

/* ---- the TIB follows the running stack --------------------------------- */

struct seen_tib {
    struct tib_view first, second;
    uintptr_t local1, local2; /* addresses of a local, as numbers */
};

static int run_tib(green_t *self, void *in, void **out)
{
    (void)self;
    struct seen_tib *s = in;
    volatile char here = 0;
    s->first = tib_now();
    s->local1 = (uintptr_t)&here;
    green_switch(green_main(), NULL, NULL);
    s->second = tib_now();
    s->local2 = (uintptr_t)&here;
    *out = NULL;
    return GREEN_OK;
}

static void test_tib_follows_stack(void **state)
{
    (void)state;
    struct tib_view before = tib_now();
    struct seen_tib s;
    memset(&s, 0, sizeof s);
    green_t *g = make(run_tib, NULL);
    assert_ok(green_switch(g, &s, NULL));
    struct tib_view between = tib_now();
    assert_ok(green_switch(g, NULL, NULL));
    struct tib_view after = tib_now();
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    /* inside: a stack other than the thread's, holding the greenlet's
     * locals, with its reservation below */
    assert_true(s.local1 > (uintptr_t)s.first.limit);
    assert_true(s.local1 < (uintptr_t)s.first.base);
    assert_true(s.first.base != before.base);
    assert_true((char *)s.first.dealloc < (char *)s.first.limit);
    assert_true(s.local2 > (uintptr_t)s.second.limit);
    assert_true(s.local2 < (uintptr_t)s.second.base);
    /* the thread's own, each time main runs again */
    assert_ptr_equal(between.base, before.base);
    assert_ptr_equal(between.limit, before.limit);
    assert_ptr_equal(between.dealloc, before.dealloc);
    assert_ptr_equal(after.base, before.base);
    assert_ptr_equal(after.dealloc, before.dealloc);
    assert_ok(green_release(g));
}

/* ---- structured exceptions inside a greenlet --------------------------- */

#define TEST_CODE 0xE0474E31u /* a customer code: "GN1" */

static volatile int filter_calls;
static volatile DWORD filter_code;
static volatile int handler_ran, fell_through;

/* (named only in __try1's assembly) */
__attribute__((used)) static int filter(EXCEPTION_POINTERS *info)
{
    filter_calls++;
    filter_code = info->ExceptionRecord->ExceptionCode;
    return EXCEPTION_EXECUTE_HANDLER;
}

/* RaiseException under a frame-based handler (MinGW's __try1): the
 * dispatcher finds the handler only by walking this greenlet's frames
 * within the TIB's stack bounds, then unwinds to it. Not inlined: the
 * handler's scope is this function's. */
__attribute__((noinline)) static void raise_and_catch(void)
{
    handler_ran = 0;
    fell_through = 0;
    __try1(filter)
    {
        RaiseException(TEST_CODE, EXCEPTION_NONCONTINUABLE, 0, NULL);
        fell_through = 1;
    }
    __except1;
    /* reached only through the handler: RaiseException of a
     * non-continuable exception does not return */
    handler_ran = !fell_through;
}

static int run_seh(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    raise_and_catch();
    int first = handler_ran;
    green_switch(green_main(), NULL, NULL);
    raise_and_catch(); /* again, after a suspension */
    *out = (void *)(uintptr_t)(first + handler_ran);
    return GREEN_OK;
}

static void test_seh_in_greenlet(void **state)
{
    (void)state;
    filter_calls = 0;
    green_t *g = make(run_seh, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r));
    assert_int_equal(filter_calls, 1);
    assert_int_equal(filter_code, TEST_CODE);
    assert_ok(green_switch(g, NULL, &r));
    assert_int_equal(filter_calls, 2);
    assert_int_equal((uintptr_t)r, 2); /* the handler ran both times */
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_ok(green_release(g));
    /* and on the thread's own stack after all that */
    raise_and_catch();
    assert_int_equal(filter_calls, 3);
    assert_true(handler_ran);
}

/* ---- stack probes --------------------------------------------------------- */

/* A frame of 160 KiB: the compiler probes each page (__chkstk) on the way
 * down. */
__attribute__((noinline)) static unsigned big_frame(unsigned seed)
{
    volatile unsigned char buf[160 * 1024];
    for (size_t i = 0; i < sizeof buf; i += 512)
        buf[i] = (unsigned char)(seed + i);
    unsigned sum = 0;
    for (size_t i = 0; i < sizeof buf; i += 512)
        sum += buf[i];
    return sum;
}

static int run_big(green_t *self, void *in, void **out)
{
    (void)self;
    unsigned sum = big_frame((unsigned)(uintptr_t)in);
    green_switch(green_main(), NULL, NULL);
    sum += big_frame((unsigned)(uintptr_t)in);
    *out = (void *)(uintptr_t)sum;
    return GREEN_OK;
}

static void test_probes_big_frame(void **state)
{
    (void)state;
    unsigned expect = 2 * big_frame(7);
    green_t *g = make(run_big, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, (void *)(uintptr_t)7, &r));
    assert_ok(green_switch(g, NULL, &r));
    assert_int_equal((uintptr_t)r, expect);
    assert_ok(green_release(g));
}

/* ---- the stack walk ends at the entry --------------------------------- */

static int run_walk(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    void *frames[64];
    USHORT n = RtlCaptureStackBackTrace(0, 64, frames, NULL);
    *out = (void *)(uintptr_t)n;
    return GREEN_OK;
}

static void test_walk_stops_at_entry(void **state)
{
    (void)state;
    green_t *g = make(run_walk, NULL);
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r));
    /* this run function and the entry at least, and an end well before
     * the 64 asked for: nothing past the entry (the thread's frames are
     * on another stack) */
    assert_in_range((uintptr_t)r, 2, 8);
    assert_ok(green_release(g));
}

/* ---- the stack: a reservation of the requested size ------------------- */

static volatile uintptr_t where_seen;

static int run_where(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    volatile char here = 0;
    where_seen = (uintptr_t)&here;
    *out = NULL;
    return GREEN_OK;
}

static void test_stack_is_reservation(void **state)
{
    (void)state;
    green_attr attr = GREEN_ATTR_INIT;
    attr.stack_size = 512 * 1024;
    attr.stack_mode = GREEN_STACK_GUARDED;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_where, NULL, &attr));
    assert_ok(green_switch(g, NULL, NULL));
    void *where = (void *)where_seen;
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_not_equal(VirtualQuery(where, &mbi, sizeof mbi), 0);
    assert_int_equal(mbi.State, MEM_COMMIT);
    assert_int_equal(mbi.Protect, PAGE_READWRITE);
    char *top = (char *)mbi.BaseAddress + mbi.RegionSize;
    char *bottom = top - attr.stack_size;
    /* usable: exactly the requested size, read-write */
    assert_int_not_equal(VirtualQuery(bottom, &mbi, sizeof mbi), 0);
    assert_int_equal(mbi.State, MEM_COMMIT);
    assert_int_equal(mbi.Protect, PAGE_READWRITE);
    assert_ptr_equal((char *)mbi.BaseAddress + mbi.RegionSize, top);
    /* below it the guard page, then the reserve down to the allocation */
    assert_int_not_equal(VirtualQuery(bottom - 1, &mbi, sizeof mbi), 0);
    assert_int_equal(mbi.Protect, PAGE_READWRITE | PAGE_GUARD);
    assert_int_equal(mbi.AllocationBase,
                     (void *)(bottom - GREEN_GUARD_DEFAULT));
    assert_ok(green_release(g));
}

/* ---- thread end ------------------------------------------------------------ */

static int run_park(green_t *self, void *in, void **out)
{
    (void)self;
    volatile char here = 0;
    *(void **)in = (void *)&here;
    green_switch(green_main(), NULL, NULL);
    *out = NULL;
    return GREEN_OK;
}

struct parked {
    green_t *g;
    void *stack_addr;
};

static DWORD WINAPI thread_parks(void *arg)
{
    struct parked *p = arg;
    if (green_create(&p->g, run_park, NULL, NULL) != GREEN_OK)
        return 1;
    if (green_switch(p->g, &p->stack_addr, NULL) != GREEN_OK)
        return 2;
    return 0; /* p->g stays suspended */
}

static void test_thread_end_frees_stacks(void **state)
{
    (void)state;
    struct parked p = {NULL, NULL};
    HANDLE h = CreateThread(NULL, 0, thread_parks, &p, 0, NULL);
    assert_non_null(h);
    assert_int_equal(WaitForSingleObject(h, 30000), WAIT_OBJECT_0);
    DWORD rc = 99;
    assert_true(GetExitCodeThread(h, &rc));
    assert_int_equal(rc, 0);
    CloseHandle(h);
    assert_non_null(p.stack_addr);
    /* the thread's end (the library's TLS callback) made it dead and
     * released its stack (or, in copy mode, the shared one) */
    assert_int_equal(green_state(p.g), GREEN_STATE_DEAD);
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_not_equal(VirtualQuery(p.stack_addr, &mbi, sizeof mbi), 0);
    assert_int_equal(mbi.State, MEM_FREE);
    assert_ok(green_release(p.g));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tib_follows_stack),
        cmocka_unit_test(test_seh_in_greenlet),
        cmocka_unit_test(test_probes_big_frame),
        cmocka_unit_test(test_walk_stops_at_entry),
        cmocka_unit_test(test_stack_is_reservation),
        cmocka_unit_test(test_thread_end_frees_stacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
