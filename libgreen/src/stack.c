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
#include <stdatomic.h>
#include <stdint.h>

#include "internal.h"

static size_t page_size(void)
{
    /* Threads that create their first greenlets at once may both fill it
     * in: an atomic, with the same value either way. */
    static atomic_size_t cached;
    size_t page = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!page) {
        page = green__os_page_size();
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
    /* Stacks may take half of the mappings; the rest stays for the
     * program (its heap, its libraries, an interpreter's arenas). */
    long stacks = green__os_map_limit();
    l = stacks / 2 > 1 ? stacks / 2 : 1;
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
    void *base = green__os_stack_map(size, guard);
    if (!base)
        return GREEN_ENOSTACK;
    st->base = base;
    atomic_fetch_add_explicit(&mapped, 1, memory_order_relaxed);
    return GREEN_OK;
}

void green__guarded_unmap(struct green__stack *st)
{
    if (st->base) {
        green__os_stack_unmap(st->base, green__stack_bytes(st),
                              green__guard_bytes(st));
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
