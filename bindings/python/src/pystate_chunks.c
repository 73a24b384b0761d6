/* SPDX-License-Identifier: MIT */
/*
 * pystate_chunks.c - the root data stack chunks of greenlets.
 *
 * A greenlet's interpreter frames live on a data stack of its own: a chain
 * of chunks (_PyStackChunk, the same layout on CPython 3.11, 3.12 and
 * 3.13) whose first, the root, the binding provides when the greenlet
 * starts and takes back when it finishes (or is discarded). The interpreter
 * pushes further chunks of its own (16 KiB or more, mapped with
 * _PyObject_VirtualAlloc) when a frame does not fit, and frees them when
 * their frames are popped; it never frees a root chunk.
 *
 * Two sizes of root chunk:
 *  - small (ROOT_SMALL bytes, from the interpreter's small-object
 *    allocator): room for the first few frames, which is all a greenlet
 *    parked in a shallow call needs. A million suspended greenlets then
 *    hold half a kilobyte each for their data stack, where a chunk of the
 *    interpreter's size costs at least the page its frames touch (4 KiB);
 *  - full (CPython's 16 KiB, carved from mapped slabs, kept on a free
 *    list): for programs whose greenlets go deeper. A greenlet that
 *    outgrows its small root makes the interpreter map a chunk each time
 *    its frames cross the root's end, and unmap it when they come back:
 *    once one is seen to have done so (the root's `top`, which the
 *    interpreter sets when it pushes a chunk above it), the next
 *    ROOMY_RUN greenlets to start get full chunks.
 *
 * All of it runs under the GIL.
 */
#define Py_BUILD_CORE_MODULE 1
#include <Python.h>
#include "internal/pycore_frame.h"

#include <sys/mman.h>

#include <green.h>

#include "pystate.h"
#include "pystate_chunks.h"

/* CPython's own chunk size (DATA_STACK_CHUNK_SIZE in Python/pystate.c). */
#define CHUNK_SIZE (16 * 1024)
/* Full chunks are carved from slabs of this many, so that greenlets do not
 * cost one memory mapping each for their data stack on top of their C
 * stack (vm.max_map_count). Free full chunks are shared by all threads;
 * beyond CHUNK_FREE_MAX of them, a freed chunk goes back to the system
 * (unmapping part of a slab is fine). */
#define SLAB_CHUNKS 64
#define CHUNK_FREE_MAX 256
/* A small root chunk: the largest block of the interpreter's small-object
 * allocator (pymalloc), which packs them without a header and returns
 * emptied pools to the system. Room for 60 slots after the header: the
 * first frame or frames of a greenlet (a frame takes about ten slots plus
 * its locals and evaluation stack). */
#define ROOT_SMALL PYG_ROOT_SMALL
#define SMALL_FREE_MAX 64
/* How many greenlets start with a full chunk after one outgrew its small
 * root. */
#define ROOMY_RUN 1024

static _PyStackChunk *chunk_free_list;
static int chunk_free_count;
static _PyStackChunk *small_free_list;
static int small_free_count;
static long chunks_allocated, chunks_freed;
static long roomy_left;
/* Root chunks handed out and not given back: the greenlets (of all
 * threads) that started and have not finished. */
static long roots_live;

/* Auto mode: how many started greenlets may have guarded stacks of their
 * own; those that start beyond run in copy mode. A suspended greenlet's
 * own stack keeps the pages its frames touched (4 KiB or more, and two
 * memory mappings), a copy-mode one only the live part of its stack
 * (about 750 bytes parked in a Python call): a program that holds many
 * greenlets gets copy mode for nearly all of them, one with few keeps the
 * switch without copies. */
#define GUARDED_LIVE_MAX 512

/* Slabs are mapped here rather than through CPython's arena allocator: the
 * binding returns single chunks of a slab with munmap(). If CPython ever
 * frees one of these chunks itself (a thread state cleared while a
 * greenlet runs), its default arena allocator does the same munmap(). A
 * small chunk is never page-aligned (pymalloc blocks follow their pool's
 * header), so such a munmap() would fail and change nothing. */
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

static _PyStackChunk *full_get(void)
{
    if (!chunk_free_list && slab_refill() < 0)
        return NULL;
    _PyStackChunk *c = chunk_free_list;
    chunk_free_list = c->previous;
    chunk_free_count--;
    c->size = CHUNK_SIZE;
    return c;
}

static _PyStackChunk *small_get(void)
{
    _PyStackChunk *c = small_free_list;
    if (c) {
        small_free_list = c->previous;
        small_free_count--;
    } else {
        c = PyObject_Malloc(ROOT_SMALL);
        if (!c)
            return full_get();
        chunks_allocated++;
    }
    c->size = ROOT_SMALL;
    return c;
}

_PyStackChunk *pyg__chunk_get(void)
{
    _PyStackChunk *c;
    if (roomy_left > 0) {
        roomy_left--;
        c = full_get();
    } else {
        c = small_get();
    }
    if (c) {
        c->previous = NULL;
        c->top = 0;
        roots_live++;
    }
    return c;
}

int pyg_state_stack_mode(int mode)
{
    if (mode == GREEN_STACK_AUTO && roots_live >= GUARDED_LIVE_MAX)
        return GREEN_STACK_COPY;
    return mode;
}

void pyg__chunk_outgrown(void)
{
    roomy_left = ROOMY_RUN;
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
    /* Chunks CPython pushed on top of the root: normally popped by CPython
     * before the greenlet ends. */
    while (c && c->previous) {
        _PyStackChunk *prev = c->previous;
        chunk_free_cpython(c);
        c = prev;
    }
    if (!c)
        return;
    /* The root: one of ours (a root CPython made when the pool had none
     * to give is counted alike, which errs towards copy mode). */
    if (roots_live > 0)
        roots_live--;
    if (c->size == ROOT_SMALL) {
        if (c->top != 0)
            pyg__chunk_outgrown(); /* a chunk was pushed above it */
        if (small_free_count < SMALL_FREE_MAX) {
            c->previous = small_free_list;
            small_free_list = c;
            small_free_count++;
        } else {
            PyObject_Free(c);
            chunks_freed++;
        }
    } else if (c->size != CHUNK_SIZE) {
        /* A larger root CPython made. */
        chunk_free_cpython(c);
    } else if (chunk_free_count < CHUNK_FREE_MAX) {
        c->previous = chunk_free_list;
        chunk_free_list = c;
        chunk_free_count++;
    } else {
        munmap(c, CHUNK_SIZE);
        chunks_freed++;
    }
}

void pyg_state_flush_chunks(void)
{
    /* Slabs stay mapped (their chunks are shared); small chunks stay on
     * their short free list. Nothing to do. */
}

void pyg_state_chunk_stats(long *allocated, long *freed, int *cached)
{
    *allocated = chunks_allocated;
    *freed = chunks_freed;
    *cached = chunk_free_count + small_free_count;
}
