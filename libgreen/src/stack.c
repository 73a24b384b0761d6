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
    return GREEN_OK;
}

void green_stack_unmap(struct green_stack *st)
{
    if (st->base) {
        size_t page = page_size();
        munmap((char *)st->base - page, st->size + page);
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
