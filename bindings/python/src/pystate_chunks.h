/* SPDX-License-Identifier: MIT */
/*
 * pystate_chunks.h - the binding's pool of interpreter data stack chunks,
 * shared by the version files (pystate_3XX.c). CPython 3.11 to 3.13 lay out
 * a data stack chunk (_PyStackChunk) the same way; only the version files
 * include this header, after CPython's internal headers.
 */
#ifndef PYGREEN_PYSTATE_CHUNKS_H
#define PYGREEN_PYSTATE_CHUNKS_H

/* A chunk of CPython's own size, empty, or NULL (CPython then allocates one
 * on first use). */
_PyStackChunk *pyg__chunk_get(void);

/* Gives back a greenlet's data stack: the chunks CPython pushed on top of
 * the pool's go back to CPython's allocator, the pool's to the pool. */
void pyg__chunk_put(_PyStackChunk *c);

#endif
