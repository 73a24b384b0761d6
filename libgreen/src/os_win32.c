/* SPDX-License-Identifier: MIT */
/*
 * os_win32.c - the system primitives of os.h on Windows, and the stack
 * overflow report (overflow.c's part on POSIX).
 *
 * Stacks: one VirtualAlloc reservation, laid out like a thread's own
 * stack: the usable bytes committed read-write at the top, one committed
 * guard page (PAGE_GUARD) right below them, the rest of the guard region
 * reserved only. The machine layer gives the thread information block the
 * stack's bounds when a greenlet starts (see os.h and
 * arch/x86_64_win64.S), so the system treats an overflow as it does on a
 * thread's stack: the guard page moves down through the reserve, and
 * EXCEPTION_STACK_OVERFLOW is raised when only the guaranteed pages are
 * left, inside the greenlet, where its handlers (and the report below)
 * can see it.
 *
 * Thread ends: a thread-local storage callback of the library runs on
 * DLL_THREAD_DETACH for every thread that ends, whoever created it, and
 * hands the thread's state (kept in a TLS slot) to the core.
 */
#ifdef _WIN32 /* (builds that compile every file of src/ take this too) */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdatomic.h>
#include <stdint.h>

#include "internal.h"

size_t green__os_page_size(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwPageSize;
}

long green__os_map_limit(void)
{
    /* No count of mappings to run out of: the address space and the
     * commit charge decide, and VirtualAlloc says when they are gone. */
    return 0x7fffffffL;
}

/* The least reserve below a stack: the guard page, the pages the system
 * guarantees to the exception dispatch after an overflow (two on x64,
 * more after SetThreadStackGuarantee()), and room for a handler. A
 * smaller guard asked for is made this large. */
#define RESERVE_MIN (32u * 1024u)

void *green__os_stack_map(size_t size, size_t guard)
{
    size_t page = green__os_page_size();
    /* The stack's bounds are written in its top page. */
    if (size < page)
        return NULL;
    if (guard < RESERVE_MIN)
        guard = RESERVE_MIN;
    /* Reserved read-write, as a thread's stack is: the pages the system
     * commits when the stack grows into the reserve take that. */
    char *p = VirtualAlloc(NULL, size + guard, MEM_RESERVE, PAGE_READWRITE);
    if (!p)
        return NULL;
    char *base = p + guard;
    if (!VirtualAlloc(base, size, MEM_COMMIT, PAGE_READWRITE) ||
        !VirtualAlloc(base - page, page, MEM_COMMIT,
                      PAGE_READWRITE | PAGE_GUARD)) {
        VirtualFree(p, 0, MEM_RELEASE);
        return NULL;
    }
    void **top = (void **)(base + size);
    top[-2] = base; /* StackLimit when a greenlet starts here */
    top[-1] = p;    /* DeallocationStack */
    return base;
}

void green__os_stack_unmap(void *base, size_t size, size_t guard)
{
    (void)guard; /* (maybe enlarged: the reservation's start is at the top) */
    void **top = (void **)((char *)base + size);
    VirtualFree(top[-1], 0, MEM_RELEASE);
}

void *green__os_alloc(size_t size)
{
    return VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

void green__os_free(void *p, size_t size)
{
    (void)size;
    VirtualFree(p, 0, MEM_RELEASE);
}

void green__os_write_err(const char *s, size_t len)
{
    HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
    DWORD w;
    if (h && h != INVALID_HANDLE_VALUE)
        WriteFile(h, s, (DWORD)len, &w, NULL);
}

/* ---- thread ends ---------------------------------------------------------- */

static DWORD key_slot = TLS_OUT_OF_INDEXES;
static INIT_ONCE key_once = INIT_ONCE_STATIC_INIT;
static void (*_Atomic key_fn)(void *);

static BOOL CALLBACK make_key(PINIT_ONCE once, void *param, void **ctx)
{
    (void)once;
    (void)param;
    (void)ctx;
    key_slot = TlsAlloc();
    return TRUE;
}

int green__os_key_init(void (*fn)(void *))
{
    atomic_store(&key_fn, fn);
    InitOnceExecuteOnce(&key_once, make_key, NULL, NULL);
    return key_slot != TLS_OUT_OF_INDEXES;
}

int green__os_key_set(void *value)
{
    return TlsSetValue(key_slot, value) ? 0 : -1;
}

/*
 * Runs for every thread that ends while the library is loaded (as a DLL,
 * or linked into the program). Placed before the C runtime's own callback
 * (.CRT$XLC), which frees the runtime's emulated TLS blocks: the core
 * still reads its thread pointer here.
 */
static void NTAPI on_tls(PVOID module, DWORD reason, PVOID reserved)
{
    (void)module;
    (void)reserved;
    if (reason != DLL_THREAD_DETACH || key_slot == TLS_OUT_OF_INDEXES)
        return;
    void *t = TlsGetValue(key_slot);
    void (*fn)(void *) = atomic_load(&key_fn);
    if (t && fn) {
        TlsSetValue(key_slot, NULL);
        fn(t);
    }
}

__attribute__((section(".CRT$XLB"), used))
const PIMAGE_TLS_CALLBACK green__os_tls_callback = on_tls;

/* ---- the overflow report ------------------------------------------------- */

static atomic_int installed;

/*
 * A vectored handler sees the exception first, on the faulting stack
 * (the guaranteed pages the system left free): if the current greenlet's
 * stack overflowed, it says so on stderr, then lets the search go on (to
 * the greenlet's own handlers; unhandled, the process ends with
 * EXCEPTION_STACK_OVERFLOW as for any thread).
 */
static LONG CALLBACK on_exception(EXCEPTION_POINTERS *info)
{
    DWORD code = info->ExceptionRecord->ExceptionCode;
    if (code != EXCEPTION_STACK_OVERFLOW && code != EXCEPTION_ACCESS_VIOLATION)
        return EXCEPTION_CONTINUE_SEARCH;
    struct green__tstate *t = green__tls;
    if (!t || !t->current)
        return EXCEPTION_CONTINUE_SEARCH;
    struct green *g = t->current;
    const struct green__stack *st = green__stack_of(t, g);
    if (!st || !st->base)
        return EXCEPTION_CONTINUE_SEARCH;
    uintptr_t lo = (uintptr_t)st->base, hi = lo + green__stack_bytes(st);
    uintptr_t start = (uintptr_t)((void **)hi)[-1]; /* the reservation */
    uintptr_t addr = (uintptr_t)info->ContextRecord->Rsp;
    if (info->ExceptionRecord->NumberParameters >= 2)
        addr = (uintptr_t)info->ExceptionRecord->ExceptionInformation[1];
    if (addr >= lo || addr < start)
        return EXCEPTION_CONTINUE_SEARCH;
    green__overflow_report(g, st, "reserve", start,
                           code == EXCEPTION_STACK_OVERFLOW
                               ? "EXCEPTION_STACK_OVERFLOW"
                               : "access violation",
                           addr);
    return EXCEPTION_CONTINUE_SEARCH;
}

int green__overflow_thread_setup(void)
{
    return GREEN_OK; /* the handler is the process's, for every thread */
}

void green__overflow_thread_end(void) {}

int green_overflow_handler_install(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&installed, &expected, 1))
        return GREEN_OK;
    if (!AddVectoredExceptionHandler(1, on_exception)) {
        atomic_store(&installed, 0);
        return GREEN_ENOMEM;
    }
    return GREEN_OK;
}

#else
typedef int green__os_win32_none; /* (ISO C has no empty file) */
#endif /* _WIN32 */
