/* SPDX-License-Identifier: MIT */
/*
 * pystate_chunks.c - a pool of interpreter data stack chunks for greenlets.
 *
 * A greenlet's data stack starts with a chunk from a free list (chunks are
 * carved from slabs) and gives it back when the greenlet finishes, so that
 * creating and finishing greenlets does not map and unmap memory every
 * time. The chunk layout (_PyStackChunk) and size are the same on CPython
 * 3.11, 3.12 and 3.13.
 */
#define Py_BUILD_CORE_MODULE 1
#include <Python.h>
#include "internal/pycore_frame.h"

#include <sys/mman.h>

#include "pystate.h"
#include "pystate_chunks.h"

/* CPython's own chunk size (DATA_STACK_CHUNK_SIZE in Python/pystate.c). */
#define CHUNK_SIZE (16 * 1024)
/* Chunks are carved from slabs of this many, so that greenlets do not cost
 * one memory mapping each for their data stack on top of their C stack
 * (vm.max_map_count). Free chunks are shared by all threads (under the GIL);
 * beyond CHUNK_FREE_MAX of them, a freed chunk goes back to the system
 * (unmapping part of a slab is fine). */
#define SLAB_CHUNKS 64
#define CHUNK_FREE_MAX 256

static _PyStackChunk *chunk_free_list;
static int chunk_free_count;
static long chunks_allocated, chunks_freed;

/* Slabs are mapped here rather than through CPython's arena allocator: the
 * binding returns single chunks of a slab with munmap(). If CPython ever
 * frees one of these chunks itself (a thread state cleared while a
 * greenlet runs), its default arena allocator does the same munmap(). */
static int slab_refill(void)
{
    size_t size = (size_t)CHUNK_SIZE * SLAB_CHUNKS;
    char *slab = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (slab == MAP_FAILED)
        return -1;
    chunks_allocated += SLAB_CHUNKS;
    for (int i = SLAB_CHUNKS - 1; i >= 0; i--) {
        _PyStackChunk *c = (_PyStackChunk *)(slab + (size_t)i * CHUNK_SIZE);
        c->size = CHUNK_SIZE;
        c->previous = chunk_free_list;
        chunk_free_list = c;
        chunk_free_count++;
    }
    return 0;
}

_PyStackChunk *pyg__chunk_get(void)
{
    if (!chunk_free_list && slab_refill() < 0)
        return NULL;
    _PyStackChunk *c = chunk_free_list;
    chunk_free_list = c->previous;
    chunk_free_count--;
    c->previous = NULL;
    c->size = CHUNK_SIZE;
    c->top = 0;
    return c;
}

/* A chunk CPython allocated itself (pushed on top of ours): freed the way
 * CPython frees it. */
static void chunk_free_cpython(_PyStackChunk *c)
{
    PyObjectArenaAllocator a;
    PyObject_GetArenaAllocator(&a);
    a.free(a.ctx, c, c->size);
}

void pyg__chunk_put(_PyStackChunk *c)
{
    while (c) {
        _PyStackChunk *prev = c->previous;
        if (prev || c->size != CHUNK_SIZE) {
            /* Normally popped by CPython before the greenlet ends. */
            chunk_free_cpython(c);
        } else if (chunk_free_count < CHUNK_FREE_MAX) {
            c->previous = chunk_free_list;
            chunk_free_list = c;
            chunk_free_count++;
        } else {
            munmap(c, CHUNK_SIZE);
            chunks_freed++;
        }
        c = prev;
    }
}

void pyg_state_flush_chunks(void)
{
    /* Slabs stay mapped (their chunks are shared); nothing to do. */
}

void pyg_state_chunk_stats(long *allocated, long *freed, int *cached)
{
    *allocated = chunks_allocated;
    *freed = chunks_freed;
    *cached = chunk_free_count;
}
