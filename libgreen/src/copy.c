/* SPDX-License-Identifier: MIT */
/*
 * copy.c - copy-mode greenlets: many greenlets, one stack per thread.
 *
 * Copy-mode greenlets of a thread all run on the thread's shared stack, at
 * the same addresses, so pointers into a greenlet's frames stay valid
 * across its suspensions. The shared stack has one owner: the copy-mode
 * greenlet whose live stack is on it. The owner is saved (its bytes from
 * its stack pointer to the top of the shared stack, copied to its buffer)
 * only when another copy-mode greenlet needs the shared stack; switching
 * between the owner and guarded or main greenlets copies nothing.
 *
 * The copying runs inside the machine layer's switch (see internal.h):
 * saving on the origin's stack, restoring on the shared stack below the
 * target's frame, so that neither copy overwrites the frame running it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The top of what a started greenlet uses on the shared stack. */
static inline char *shared_top(const struct green__tstate *t)
{
    return (char *)t->shared.base + green__stack_bytes(&t->shared) -
           GREEN_ARCH_TOP_SLACK;
}

/* Room for the copy functions below the target's frame. */
#define SCRATCH 256

/*
 * A live stack of ALIGN_FROM bytes or more is copied from the cache line
 * its stack pointer is in, into a buffer aligned the same way: memcpy of a
 * few KiB between two addresses that disagree modulo 64 runs at half
 * speed or worse (bench/copy_bench's 4 KiB switch: 114 to 145 ns aligned,
 * 236 to 258 ns where the heap had placed the buffer). Smaller ones are
 * copied from the stack pointer into a plain malloc buffer: alignment
 * would cost them more memory than time.
 */
#define ALIGN_FROM 512
#define LINE 64

/* Where a live stack from sp up to the top is copied from. */
static inline char *copy_from(const struct green__tstate *t, const void *sp)
{
    uintptr_t a = (uintptr_t)sp;
    if ((uintptr_t)shared_top(t) - a >= ALIGN_FROM)
        a &= ~(uintptr_t)(LINE - 1);
    return (char *)a;
}

/* memcpy, but not checked by AddressSanitizer: the bytes of a stack
 * include the poisoned red zones around its frames' locals. */
static GREEN_NO_ASAN void copy_stack_bytes(void *dst, const void *src,
                                           size_t n)
{
#ifdef GREEN_ASAN
    volatile char *d = dst;
    const volatile char *s = src;
    while (n--)
        *d++ = *s++;
#else
    memcpy(dst, src, n);
#endif
}

/* Whether the process runs under valgrind, asked when a first shared
 * stack is mapped (no copy can happen before). */
static atomic_int on_valgrind;

int green__copy_shared(struct green__tstate *t)
{
    if (!t->shared.base) {
        atomic_store_explicit(&on_valgrind, green__annotate_running() != 0,
                              memory_order_relaxed);
        green__guarded_request(&t->shared, GREEN_COPY_STACK_SIZE,
                            GREEN_GUARD_DEFAULT);
        if (green__guarded_map(&t->shared) != GREEN_OK)
            return GREEN_ENOSTACK;
        green__annotate_range_new(t->shared_vg_id, t->shared.base,
                                 green__stack_bytes(&t->shared));
    }
    return GREEN_OK;
}

int green__copy_start(struct green__tstate *t, struct green *g)
{
    if (green__copy_shared(t) != GREEN_OK)
        return GREEN_ENOSTACK;
    g->mode = GREEN_STACK_COPY; /* an AUTO one's stack fields go */
    g->copy_buf = NULL;
    g->copy_len = g->copy_cap = 0;
    green__set_sp(g, GREEN_COPY_UNSTARTED, 0);
    return GREEN_OK;
}

int green__copy_reserve(struct green__tstate *t, const void *lowest)
{
    struct green *g = t->current; /* the owner of the shared stack */
    size_t need = (size_t)(shared_top(t) - copy_from(t, lowest));
    if (need <= g->copy_cap)
        return GREEN_OK;
    /* The buffer's contents are stale (g runs on the shared stack). A
     * large one is line-aligned: any live stack that copy_from() aligns
     * is at least ALIGN_FROM bytes, so it gets such a buffer. */
    void *buf;
    if (need >= ALIGN_FROM) {
        buf = aligned_alloc(LINE, (need + LINE - 1) & ~(size_t)(LINE - 1));
        if (!buf)
            return GREEN_ENOMEM;
        free(g->copy_buf);
    } else {
        buf = realloc(g->copy_buf, need);
        if (!buf)
            return GREEN_ENOMEM;
    }
    g->copy_buf = buf;
    g->copy_cap = (unsigned)need;
    return GREEN_OK;
}

void *green__copy_out(void)
{
    struct green__tstate *t = green__tls;
    struct green *target = t->current;
    struct green *owner = t->shared_owner;
    if (owner && owner != target && owner->state != GREEN_STATE_DEAD) {
        char *from = copy_from(t, green__sp(owner));
        size_t n = (size_t)(shared_top(t) - from);
        if (n > owner->copy_cap) /* green__copy_reserve() prevents this */
            abort();
        copy_stack_bytes(owner->copy_buf, from, n);
        owner->copy_len = (unsigned)n;
        /* Its value can no longer be delivered by green_switch()'s fast
         * path: its stack is not there. */
        green__set_sp(owner, green__sp(owner), 0);
    }
    t->shared_owner = NULL;
    char *below = green__sp(target) == GREEN_COPY_UNSTARTED
                      ? shared_top(t) - 16 /* its first frame */
                      : (char *)green__sp(target);
    char *scratch = (char *)(((uintptr_t)below - SCRATCH) & ~(uintptr_t)15);
    /* Memcheck: the copy-in function's frame and the target's bytes will
     * be written there (the owner is saved already). If that overlaps
     * this function's own frame (the origin runs on the shared stack),
     * keep our saved registers and return address defined. */
    char *low = scratch - 2048 > (char *)t->shared.base
                    ? scratch - 2048
                    : (char *)t->shared.base;
    size_t len = (size_t)(shared_top(t) + GREEN_ARCH_TOP_SLACK - low);
    green__annotate_unpoison(low, len);
    if (atomic_load_explicit(&on_valgrind, memory_order_relaxed)) {
        volatile char anchor = 0;
        green__annotate_usable(low, len);
        green__annotate_defined((char *)&anchor, 256);
    }
    return scratch;
}

void *green__copy_in(void)
{
    struct green__tstate *t = green__tls;
    struct green *g = t->current;
    if (green__sp(g) == GREEN_COPY_UNSTARTED)
        green__set_sp(g,
                      green__arch_init_stack(t->shared.base,
                                             green__stack_bytes(&t->shared)),
                      0);
    else
        copy_stack_bytes(shared_top(t) - g->copy_len, g->copy_buf,
                         g->copy_len);
    t->shared_owner = g;
    return green__sp(g);
}

void green__copy_forget(struct green__tstate *t, struct green *g)
{
    free(g->copy_buf);
    g->copy_buf = NULL;
    g->copy_cap = g->copy_len = 0;
    if (t && t->shared_owner == g)
        t->shared_owner = NULL;
}

void green__copy_thread_end(struct green__tstate *t)
{
    t->shared_owner = NULL;
    if (t->shared.base) {
        green__annotate_range_free(t->shared_vg_id);
        green__guarded_unmap(&t->shared);
    }
}
