/* SPDX-License-Identifier: MIT */
/*
 * stack.c - guarded stacks and the per-thread stack cache.
 *
 * A stack is one anonymous mapping: a PROT_NONE guard at the bottom
 * (GREEN_GUARD_DEFAULT, 64 KiB, unless the greenlet asks for another
 * size) and the usable read-write bytes above it. Overflowing the stack
 * faults in the guard instead of running into other memory; a guard of
 * many pages also catches a large frame that skips the first pages below
 * the stack. Pages are touched on demand, so a stack costs address space,
 * not memory, until used, and its guard never costs memory.
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
    /* Threads that create their first greenlets at once may both fill it
     * in: an atomic, with the same value either way. */
    static atomic_size_t cached;
    size_t page = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!page) {
        page = (size_t)sysconf(_SC_PAGESIZE);
        atomic_store_explicit(&cached, page, memory_order_relaxed);
    }
    return page;
}

size_t green__guarded_round(size_t size)
{
    size_t page = page_size();
    if (size > SIZE_MAX - page)
        return 0;
    return (size + page - 1) & ~(page - 1);
}

/* Stacks mapped in the process (cached ones included): each is two
 * mappings. */
static atomic_long mapped;

long green__guarded_mapped(void)
{
    return atomic_load_explicit(&mapped, memory_order_relaxed);
}

long green__guarded_auto_limit(void)
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

void green__guarded_request(struct green__stack *st, size_t size,
                            size_t guard)
{
    if (!guard)
        guard = GREEN_GUARD_DEFAULT;
    st->base = NULL;
    st->units =
        (unsigned)(green__guarded_round(size) >> GREEN_STACK_UNIT_SHIFT);
    st->guard_units =
        (unsigned)(green__guarded_round(guard) >> GREEN_STACK_UNIT_SHIFT);
}

int green__guarded_map(struct green__stack *st)
{
    size_t size = green__stack_bytes(st), guard = green__guard_bytes(st);
    /* Map the whole range inaccessible, then open the usable part: if the
     * second step fails (out of mappings), undo the first. */
    char *p = mmap(NULL, size + guard, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return GREEN_ENOSTACK;
    if (mprotect(p + guard, size, PROT_READ | PROT_WRITE) != 0) {
        munmap(p, size + guard);
        return GREEN_ENOSTACK;
    }
    st->base = p + guard;
    atomic_fetch_add_explicit(&mapped, 1, memory_order_relaxed);
    return GREEN_OK;
}

void green__guarded_unmap(struct green__stack *st)
{
    if (st->base) {
        size_t guard = green__guard_bytes(st);
        munmap((char *)st->base - guard, green__stack_bytes(st) + guard);
        atomic_fetch_sub_explicit(&mapped, 1, memory_order_relaxed);
        st->base = NULL;
    }
}

int green__guarded_get(struct green__stack_cache *cache,
                       struct green__stack *st)
{
    /* Most recently returned first: its pages are the likeliest to be
     * resident and in cache. */
    for (unsigned i = cache->count; i-- > 0;) {
        if (cache->slots[i].units == st->units &&
            cache->slots[i].guard_units == st->guard_units) {
            *st = cache->slots[i];
            cache->slots[i] = cache->slots[--cache->count];
            return GREEN_OK;
        }
    }
    return green__guarded_map(st);
}

void green__guarded_put(struct green__stack_cache *cache,
                        struct green__stack *st)
{
    if (!st->base)
        return;
    if (cache && cache->count < GREEN_STACK_CACHE) {
        cache->slots[cache->count++] = *st;
        st->base = NULL;
        return;
    }
    green__guarded_unmap(st);
}

void green__guarded_flush(struct green__stack_cache *cache)
{
    while (cache->count > 0)
        green__guarded_unmap(&cache->slots[--cache->count]);
}
