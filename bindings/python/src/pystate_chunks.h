/* SPDX-License-Identifier: MIT */
/*
 * pystate_chunks.h - the binding's pool of interpreter data stack chunks,
 * shared by the version files (pystate_3XX.c). CPython 3.11 to 3.13 lay out
 * a data stack chunk (_PyStackChunk) the same way; only the version files
 * include this header, after CPython's internal headers.
 */
#ifndef PYGREEN_PYSTATE_CHUNKS_H
#define PYGREEN_PYSTATE_CHUNKS_H

/* The size of a small root chunk: the largest block of the interpreter's
 * small-object allocator. */
#define PYG_ROOT_SMALL 384

/* An empty root chunk for a greenlet that starts (small, or of CPython's
 * own size after greenlets outgrew small ones), or NULL (CPython then
 * allocates one on first use). */
_PyStackChunk *pyg__chunk_get(void);

/* Greenlets outgrow their small root chunks: the next ones to start get
 * full ones. */
void pyg__chunk_outgrown(void);

/* Called with the data stack of a greenlet that leaves (c: its innermost
 * chunk): notes whether it outgrew a small root chunk (it is on a chunk
 * the interpreter pushed above one, or the interpreter pushed one and
 * popped it again, which leaves the root's top set). */
static inline void pyg__chunk_check(_PyStackChunk *c)
{
    if (c && ((c->previous && !c->previous->previous &&
               c->previous->size == PYG_ROOT_SMALL) ||
              (!c->previous && c->size == PYG_ROOT_SMALL && c->top != 0)))
        pyg__chunk_outgrown();
}

/* Gives back a greenlet's data stack: the chunks CPython pushed on top of
 * the pool's go back to CPython's allocator, the pool's to the pool. */
void pyg__chunk_put(_PyStackChunk *c);

/* The end of chunk c (the thread state's datastack_limit while c is its
 * innermost chunk), NULL for no chunk. */
static inline PyObject **pyg__chunk_limit(_PyStackChunk *c)
{
    return c ? (PyObject **)((char *)c + c->size) : NULL;
}

#endif
