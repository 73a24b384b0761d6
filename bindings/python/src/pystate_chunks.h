/* SPDX-License-Identifier: MIT */
/*
 * pystate_chunks.h - the root data stack chunks of greenlets
 * (pystate_chunks.c), shared by the version files (pystate_3XX.c). CPython
 * 3.11 to 3.13 lay out a data stack chunk (_PyStackChunk) the same way;
 * only the version files include this header, after CPython's internal
 * headers.
 */
#ifndef PYGREEN_PYSTATE_CHUNKS_H
#define PYGREEN_PYSTATE_CHUNKS_H

/* CPython's own chunk size (DATA_STACK_CHUNK_SIZE in Python/pystate.c):
 * the largest root chunk; the interpreter's own chunks are this size or
 * larger. */
#define PYG_CHUNK_FULL (16 * 1024)

/* An empty root chunk for a greenlet that starts, of the size greenlets
 * have needed lately, or NULL (CPython then allocates one on first use). */
_PyStackChunk *pyg__chunk_get(void);

/* A greenlet outgrew a root chunk of this size: the next ones to start
 * get larger ones. */
void pyg__chunk_outgrown(Py_ssize_t root_size);

/* Called with the data stack of a greenlet that leaves (c: its innermost
 * chunk): notes whether it outgrew a root chunk smaller than CPython's
 * own (it is on a chunk the interpreter pushed above it, or the
 * interpreter pushed one and popped it again, which leaves the root's
 * top set). */
static inline void pyg__chunk_check(_PyStackChunk *c)
{
    if (!c)
        return;
    if (c->previous && !c->previous->previous &&
        c->previous->size < PYG_CHUNK_FULL)
        pyg__chunk_outgrown((Py_ssize_t)c->previous->size);
    else if (!c->previous && c->top != 0 && c->size < PYG_CHUNK_FULL)
        pyg__chunk_outgrown((Py_ssize_t)c->size);
}

/* Gives back a greenlet's data stack: the chunks CPython pushed on top of
 * the root go back to CPython's allocator, the root to the binding. */
void pyg__chunk_put(_PyStackChunk *c);

/* The end of chunk c (the thread state's datastack_limit while c is its
 * innermost chunk), NULL for no chunk. */
static inline PyObject **pyg__chunk_limit(_PyStackChunk *c)
{
    return c ? (PyObject **)((char *)c + c->size) : NULL;
}

#endif
