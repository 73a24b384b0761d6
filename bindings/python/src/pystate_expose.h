/* SPDX-License-Identifier: MIT */
/*
 * pystate_expose.h - a suspended greenlet's frame chain without the entry
 * frames that CPython 3.12 and 3.13 keep on the C stack.
 *
 * From 3.12 on, every C-level entry into the interpreter links a frame that
 * lives on the C stack (owner FRAME_OWNED_BY_CSTACK) into the frame chain.
 * While a greenlet is suspended its C stack may be saved to the heap and
 * overwritten (copy mode), or unmapped (its thread ended), so walking its
 * chain (gr_frame, f_back) must not read those frames. When a greenlet
 * leaves, pyg__expose() makes every link of its chain skip them and
 * remembers the original links; pyg__unexpose() puts them back before it
 * runs again. Included by pystate_312.c and pystate_313.c, after CPython's
 * internal headers.
 */
#ifndef PYGREEN_PYSTATE_EXPOSE_H
#define PYGREEN_PYSTATE_EXPOSE_H

#include <limits.h>
#include <stdlib.h>

static int pyg__expose_record(pyg_pystate *st, _PyInterpreterFrame **slot,
                              _PyInterpreterFrame *value)
{
    if (st->nexposed == st->exposed_cap) {
        if (!st->exposed) {
            st->exposed = st->exposed_inline;
            st->exposed_cap = PYG_EXPOSED_INLINE;
        } else {
            int cap = st->exposed_cap * 2;
            if (cap > USHRT_MAX)
                return -1; /* as out of memory (C recursion ends sooner) */
            void **a = PyMem_RawMalloc(sizeof(void *) * 2 * (size_t)cap);
            if (!a)
                return -1;
            memcpy(a, st->exposed, sizeof(void *) * 2 * (size_t)st->nexposed);
            if (st->exposed != st->exposed_inline)
                PyMem_RawFree(st->exposed);
            st->exposed = a;
            st->exposed_cap = cap;
        }
        if (st->nexposed == st->exposed_cap)
            return pyg__expose_record(st, slot, value);
    }
    st->exposed[2 * st->nexposed] = slot;
    st->exposed[2 * st->nexposed + 1] = value;
    st->nexposed++;
    return 0;
}

/* Rewrites the chain that starts at st->current_frame. If memory runs out
 * the chain is left partly exposed: the remaining links still reach the C
 * stack, which is correct while the greenlet's stack stays in place. */
static void pyg__expose(pyg_pystate *st)
{
    _PyInterpreterFrame **slot = (_PyInterpreterFrame **)&st->current_frame;
    st->nexposed = 0;
    while (*slot) {
        _PyInterpreterFrame *f = *slot;
        if (f->owner == FRAME_OWNED_BY_CSTACK) {
            _PyInterpreterFrame *n = f->previous;
            while (n && n->owner == FRAME_OWNED_BY_CSTACK)
                n = n->previous;
            if (pyg__expose_record(st, slot, f) < 0)
                return;
            *slot = n;
            if (!n)
                return;
        }
        slot = &(*slot)->previous;
    }
}

static void pyg__unexpose(pyg_pystate *st)
{
    for (int i = st->nexposed - 1; i >= 0; i--)
        *(_PyInterpreterFrame **)st->exposed[2 * i] =
            (_PyInterpreterFrame *)st->exposed[2 * i + 1];
    st->nexposed = 0;
}

static void pyg__expose_free(pyg_pystate *st)
{
    if (st->exposed && st->exposed != st->exposed_inline)
        PyMem_RawFree(st->exposed);
    st->exposed = NULL;
    st->nexposed = st->exposed_cap = 0;
}

#endif
