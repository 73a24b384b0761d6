/* SPDX-License-Identifier: MIT */
/*
 * stack.c - guarded stacks and the per-thread stack cache.
 *
 * A stack is one anonymous mapping: a PROT_NONE guard page at the bottom
 * and `size` read-write bytes above it. Overflowing the stack faults on
 * the guard page instead of running into other memory. Pages are touched
 * on demand, so a stack costs address space, not memory, until used.
 *
 * A dead greenlet's stack goes back to its thread's cache and the next
 * greenlet of the same size reuses it: in steady state creating and
 * finishing greenlets makes no system call.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static size_t page_size(void)
{
    static size_t cached;
    if (!cached)
        cached = (size_t)sysconf(_SC_PAGESIZE);
    return cached;
}

size_t green_stack_round(size_t size)
{
    size_t page = page_size();
    if (size > SIZE_MAX - page)
        return 0;
    return (size + page - 1) & ~(page - 1);
}

/* Stacks mapped in the process (cached ones included): each is two
 * mappings. */
static atomic_long mapped;

long green_stack_mapped(void)
{
    return atomic_load_explicit(&mapped, memory_order_relaxed);
}

long green_stack_auto_limit(void)
{
    static atomic_long limit;
    long l = atomic_load_explicit(&limit, memory_order_relaxed);
    if (l)
        return l;
    long max_maps = 65530; /* Linux's default vm.max_map_count */
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &max_maps) != 1)
            max_maps = 65530;
        fclose(f);
    }
    /* Stacks may take half of the mappings (two each); the rest stays for
     * the program (its heap, its libraries, an interpreter's arenas). */
    l = max_maps / 4 > 1 ? max_maps / 4 : 1;
    atomic_store_explicit(&limit, l, memory_order_relaxed);
    return l;
}

int green_stack_map(struct green_stack *st, size_t size)
{
    size_t page = page_size();
    /* Map the whole range inaccessible, then open the usable part: if the
     * second step fails (out of mappings), undo the first. */
    char *p = mmap(NULL, size + page, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return GREEN_ENOSTACK;
    if (mprotect(p + page, size, PROT_READ | PROT_WRITE) != 0) {
        munmap(p, size + page);
        return GREEN_ENOSTACK;
    }
    st->base = p + page;
    st->size = size;
    atomic_fetch_add_explicit(&mapped, 1, memory_order_relaxed);
    return GREEN_OK;
}

void green_stack_unmap(struct green_stack *st)
{
    if (st->base) {
        size_t page = page_size();
        munmap((char *)st->base - page, st->size + page);
        atomic_fetch_sub_explicit(&mapped, 1, memory_order_relaxed);
        st->base = NULL;
        st->size = 0;
    }
}

int green_stack_get(struct green_stack_cache *cache, struct green_stack *st,
                    size_t size)
{
    /* Most recently returned first: its pages are the likeliest to be
     * resident and in cache. */
    for (unsigned i = cache->count; i-- > 0;) {
        if (cache->slots[i].size == size) {
            *st = cache->slots[i];
            cache->slots[i] = cache->slots[--cache->count];
            return GREEN_OK;
        }
    }
    return green_stack_map(st, size);
}

void green_stack_put(struct green_stack_cache *cache, struct green_stack *st)
{
    if (!st->base)
        return;
    if (cache->count < GREEN_STACK_CACHE) {
        cache->slots[cache->count++] = *st;
        st->base = NULL;
        st->size = 0;
        return;
    }
    green_stack_unmap(st);
}

void green_stack_cache_flush(struct green_stack_cache *cache)
{
    while (cache->count > 0)
        green_stack_unmap(&cache->slots[--cache->count]);
}
