/* SPDX-License-Identifier: MIT */
/*
 * annotate.h - tells valgrind about greenlet stacks.
 *
 * Valgrind sees a jump of the stack pointer into another mapping as a stack
 * switch only if the mapping is registered as a stack; otherwise it reports
 * bogus invalid reads and writes. The annotations cost nothing outside
 * valgrind (a few no-op instructions) and compile away without its header.
 */
#ifndef GREEN_ANNOTATE_H
#define GREEN_ANNOTATE_H

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
/* valgrind.h defines NVALGRIND on a machine valgrind does not run on
 * (riscv64): its requests then ignore their arguments. */
#if !defined(NVALGRIND)
#define GREEN_HAVE_VALGRIND 1
#endif
#endif
#endif

#ifdef GREEN_HAVE_VALGRIND
#define GREEN_ANNOTATE_FIELDS unsigned valgrind_stack_id;
/* (in struct green) */
#define green__annotate_range_new(id, base, size)                              \
    ((id) = VALGRIND_STACK_REGISTER((char *)(base), (char *)(base) + (size)))
#define green__annotate_range_free(id) VALGRIND_STACK_DEREGISTER(id)
/* Memcheck loses track of what is addressable on the shared stack when
 * the stack pointer jumps within it; say it before using a range. */
#define green__annotate_usable(addr, len) VALGRIND_MAKE_MEM_UNDEFINED(addr, len)
#define green__annotate_defined(addr, len) VALGRIND_MAKE_MEM_DEFINED(addr, len)
/* Nonzero under valgrind: a hot path asks once, and skips the requests
 * above (a few dozen instructions each) outside it. */
#define green__annotate_running() RUNNING_ON_VALGRIND
#else
#define GREEN_ANNOTATE_FIELDS
#define green__annotate_range_new(id, base, size) ((void)0)
#define green__annotate_range_free(id) ((void)0)
/* (functions, so that their arguments count as used without the
 * valgrind headers) */
static inline void green__annotate_nothing(const volatile void *addr,
                                          size_t len)
{
    (void)addr, (void)len;
}
#define green__annotate_usable(addr, len) green__annotate_nothing(addr, len)
#define green__annotate_defined(addr, len) green__annotate_nothing(addr, len)
#define green__annotate_running() 0
#endif

#define green__annotate_stack_new(g)                                           \
    green__annotate_range_new((g)->valgrind_stack_id, (g)->stack.base,        \
                             green__stack_bytes(&(g)->stack))
#define green__annotate_stack_free(g)                                          \
    green__annotate_range_free((g)->valgrind_stack_id)

/*
 * AddressSanitizer (a build with -DGREEN_SANITIZE=address defines
 * GREEN_ASAN). ASan must be told of every stack switch, or it takes the
 * new stack for a wild jump of the old one; and the shadow memory of a
 * reused or restored stack holds the poison of frames that are gone.
 */
#ifdef GREEN_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define GREEN_ASAN_FIELDS                                                     \
    void *asan_fake;          /* its fake stack while suspended */           \
    const void *asan_bottom;  /* a main greenlet's stack, once known */      \
    size_t asan_size;
#define green__annotate_unpoison(addr, len)                                    \
    __asan_unpoison_memory_region((addr), (len))
#define GREEN_NO_ASAN __attribute__((no_sanitize_address))
#else
#define GREEN_ASAN_FIELDS
#define green__annotate_unpoison(addr, len) ((void)(addr), (void)(len))
#define GREEN_NO_ASAN
#endif

/*
 * ThreadSanitizer (-DGREEN_SANITIZE=thread defines GREEN_TSAN). Each
 * greenlet is a fiber of its own: ThreadSanitizer keeps a call stack per
 * fiber, and a switch orders what the two sides did. The machine layer
 * tells it of the switch (green__tsan_switch()) right before leaving the
 * stack, so that no instrumented C frame spans the switch.
 */
#ifdef GREEN_TSAN
#include <sanitizer/tsan_interface.h>
#define GREEN_TSAN_FIELDS void *tsan_fiber; /* created on first switch in */
#define GREEN_NO_TSAN __attribute__((no_sanitize_thread))
#else
#define GREEN_TSAN_FIELDS
#define GREEN_NO_TSAN
#endif

#endif /* GREEN_ANNOTATE_H */
