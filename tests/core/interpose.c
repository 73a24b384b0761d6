/* SPDX-License-Identifier: MIT */
/*
 * interpose.c - mmap(), mprotect() and munmap() for the tests that count
 * or fail libgreen's mappings (interpose.h).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "interpose.h"

/* ThreadSanitizer's runtime calls these while it starts, before
 * instrumented code may run. */
#ifdef __SANITIZE_THREAD__
#define INTERPOSER __attribute__((no_sanitize_thread))
#else
#define INTERPOSER
#endif

_Atomic long mmap_calls, munmap_calls;
__thread int fail_mmap, fail_mprotect;

INTERPOSER void *mmap(void *addr, size_t len, int prot, int flags, int fd,
                      off_t off)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (!real)
        real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(
            RTLD_NEXT, "mmap");
    mmap_calls++;
    if (fail_mmap) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return real(addr, len, prot, flags, fd, off);
}

INTERPOSER int mprotect(void *addr, size_t len, int prot)
{
    static int (*real)(void *, size_t, int);
    if (!real)
        real = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "mprotect");
    if (fail_mprotect) {
        errno = ENOMEM;
        return -1;
    }
    return real(addr, len, prot);
}

INTERPOSER int munmap(void *addr, size_t len)
{
    static int (*real)(void *, size_t);
    if (!real)
        real = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap");
    munmap_calls++;
    return real(addr, len);
}
