/* SPDX-License-Identifier: MIT */
/*
 * os_posix.c - the system primitives of os.h on Linux (and POSIX):
 * mmap() stacks with a PROT_NONE guard, a pthread key for thread ends.
 * The overflow report (signals, sigaltstack) is overflow.c.
 */
#ifndef _WIN32 /* (builds that compile every file of src/ take this too) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

size_t green__os_page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

long green__os_map_limit(void)
{
    long max_maps = 65530; /* Linux's default vm.max_map_count */
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &max_maps) != 1)
            max_maps = 65530;
        fclose(f);
    }
    /* Two mappings a stack. */
    return max_maps / 2;
}

void *green__os_stack_map(size_t size, size_t guard)
{
    /* Map the whole range inaccessible, then open the usable part: if the
     * second step fails (out of mappings), undo the first. */
    char *p = mmap(NULL, size + guard, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (mprotect(p + guard, size, PROT_READ | PROT_WRITE) != 0) {
        munmap(p, size + guard);
        return NULL;
    }
    return p + guard;
}

void green__os_stack_unmap(void *base, size_t size, size_t guard)
{
    munmap((char *)base - guard, size + guard);
}

void *green__os_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void green__os_free(void *p, size_t size)
{
    munmap(p, size);
}

void green__os_write_err(const char *s, size_t len)
{
    ssize_t w = write(2, s, len);
    (void)w;
}

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;
/* Set before the once, always to the same function (atomic: threads may
 * store it at once). */
static _Atomic(void (*)(void *)) key_fn;

static void make_key(void)
{
    key_ok = pthread_key_create(&key, atomic_load(&key_fn)) == 0;
}

int green__os_key_init(void (*fn)(void *))
{
    atomic_store(&key_fn, fn);
    pthread_once(&key_once, make_key);
    return key_ok;
}

int green__os_key_set(void *value)
{
    return pthread_setspecific(key, value);
}

#endif /* !_WIN32 */
