/* SPDX-License-Identifier: MIT */
/*
 * os.h - the operating system primitives the core uses, one file per
 * platform behind them: os_posix.c (Linux and other POSIX systems),
 * os_win32.c (Windows). The rest of the core calls nothing else of the
 * system but the C library.
 *
 * On Windows, os_win32.c also holds what overflow.c does on POSIX
 * (green_overflow_handler_install() and the per-thread setup of
 * internal.h), since the mechanisms share nothing.
 */
#ifndef GREEN_OS_H
#define GREEN_OS_H

#include <stddef.h>

/* Included by internal.h, which defines GREEN_HIDDEN. */

/* The size of a page of memory. */
GREEN_HIDDEN size_t green__os_page_size(void);

/* How many stacks the process may map before the system runs short of
 * mappings (on Linux, vm.max_map_count counts two per stack), read once
 * by the caller. */
GREEN_HIDDEN long green__os_map_limit(void);

/*
 * Reserves a stack of `size` usable bytes above a guard of `guard` bytes
 * (both page multiples) and returns the lowest usable address, or NULL.
 * The usable bytes are readable and writable and start zero-filled.
 * Touching the guard faults.
 *
 * Windows: the guard is the stack's reserve, as on a thread's own stack:
 * its top page is a guard page, and the system grows the stack into it
 * and raises EXCEPTION_STACK_OVERFLOW when little of it is left; a guard
 * of less than 32 KiB is made 32 KiB, room for the exception's handling. The
 * machine layer needs the bounds of the reservation to give them to the
 * thread information block when a greenlet starts on the stack: they are
 * written in the top GREEN_ARCH_TOP_SLACK bytes, which no greenlet uses
 * (at top - 16 the lowest usable address, at top - 8 the reservation's).
 */
GREEN_HIDDEN void *green__os_stack_map(size_t size, size_t guard);
/* Releases a stack green__os_stack_map() returned, with the same sizes. */
GREEN_HIDDEN void green__os_stack_unmap(void *base, size_t size, size_t guard);

/* Zero-filled memory for a thread's state, made without malloc() (a
 * thread's first green_current() may run in a signal handler), or NULL;
 * and its release. */
GREEN_HIDDEN void *green__os_alloc(size_t size);
GREEN_HIDDEN void green__os_free(void *p, size_t size);

/* Writes len bytes to the standard error stream, unbuffered, without
 * stdio (no lock, no allocation). */
GREEN_HIDDEN void green__os_write_err(const char *s, size_t len);

/*
 * The thread-end key: green__os_key_init(fn) makes it once in the process
 * (any thread may call it, any number of times, always with the same fn)
 * and says whether it exists; after green__os_key_set(t) (0 on success),
 * fn(t) runs when the calling thread ends. POSIX: a pthread key's
 * destructor; Windows: the library's thread-local storage callback.
 */
GREEN_HIDDEN int green__os_key_init(void (*fn)(void *));
GREEN_HIDDEN int green__os_key_set(void *value);

#ifdef _WIN32
/* The Windows C runtime has no aligned_alloc() whose memory free() and
 * realloc() take: copy mode's large buffers (copy.c) are plain malloc()
 * ones there, aligned as malloc() aligns (16). Their line alignment is
 * for speed, not correctness. */
#define aligned_alloc(align, size) ((void)(align), malloc(size))
#endif

#endif /* GREEN_OS_H */
