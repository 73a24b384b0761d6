/* SPDX-License-Identifier: MIT */
/*
 * stackmode.c - the stack layer: the one interface green.c has to stacks.
 *
 * Two implementations lie below it: guarded stacks (stack.c), one mapping
 * per greenlet, and copy mode (copy.c), one shared stack per thread whose
 * users' live stacks are saved and restored. The auto mode is decided
 * here, once, when a greenlet first gets its stack. green.c calls only
 * the green__stack_* functions (internal.h), and neither implementation
 * calls back up: a walk goes green.c, this file, stack.c or copy.c (which
 * maps its shared stack with stack.c), and back.
 */
#include "internal.h"

int green__stack_admit(struct green__tstate *t, int mode)
{
    if (mode == GREEN_STACK_GUARDED)
        return GREEN_OK;
    return green__copy_shared(t) == GREEN_OK ? GREEN_OK : GREEN_ENOSTACK;
}

void green__stack_init(struct green *g, int mode, size_t size, size_t guard)
{
    g->mode = (unsigned char)mode;
    if (mode == GREEN_STACK_COPY) {
        g->copy_buf = NULL;
        g->copy_len = g->copy_cap = 0;
    } else {
        green__guarded_request(&g->stack, size, guard);
    }
}

int green__stack_get(struct green__tstate *t, struct green *g)
{
    if (g->mode == GREEN_STACK_COPY)
        return green__copy_start(t, g);
    /* Auto: share once the process holds its part of vm.max_map_count,
     * keeping the remaining mappings for others. */
    if (g->mode == GREEN_STACK_AUTO &&
        green__guarded_mapped() >= green__guarded_auto_limit())
        return green__copy_start(t, g);
    if (green__guarded_get(&t->cache, &g->stack) != GREEN_OK) {
        /* Auto: no mapping left (or no memory for one), so share. */
        return g->mode == GREEN_STACK_AUTO ? green__copy_start(t, g)
                                           : GREEN_ENOSTACK;
    }
    g->mode = GREEN_STACK_GUARDED;
    green__annotate_stack_new(g);
    green__annotate_unpoison(g->stack.base, green__stack_bytes(&g->stack));
    green__set_sp(g,
                  green__arch_init_stack(g->stack.base,
                                         green__stack_bytes(&g->stack)),
                  0);
    return GREEN_OK;
}

void green__stack_release(struct green__tstate *here, struct green *g)
{
    if (g->mode == GREEN_STACK_COPY) {
        green__copy_forget(here, g);
    } else if (g->stack.base) {
        green__annotate_stack_free(g);
        green__guarded_put(here ? &here->cache : NULL, &g->stack);
    }
}

const struct green__stack *green__stack_of(const struct green__tstate *t,
                                           const struct green *g)
{
    const struct green__stack *st = NULL;
    if (g->mode == GREEN_STACK_COPY)
        st = &t->shared;
    else if (!(g->flags & GF_MAIN))
        st = &g->stack;
    return st && st->base ? st : NULL;
}

long green__stack_saved(const struct green__tstate *t, const struct green *g)
{
    if (g->mode != GREEN_STACK_COPY ||
        green__state_of(g) != GREEN_STATE_SUSPENDED || t->shared_owner == g)
        return 0;
    return (long)g->copy_len;
}

void green__stack_thread_end(struct green__tstate *t)
{
    green__guarded_flush(&t->cache);
    green__copy_thread_end(t);
}
