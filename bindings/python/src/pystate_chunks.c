/* SPDX-License-Identifier: MIT */
/*
 * pystate_chunks.c - the root data stack chunks of greenlets, and the
 * stack mode of new greenlets.
 *
 * A greenlet's interpreter frames live on a data stack of its own: a chain
 * of chunks (_PyStackChunk, the same layout on CPython 3.11, 3.12 and
 * 3.13) whose first, the root, the binding provides when the greenlet
 * starts and takes back when it finishes (or is discarded). The interpreter
 * pushes further chunks of its own (16 KiB or more, mapped with
 * _PyObject_VirtualAlloc) when a frame does not fit, and frees them when
 * their frames are popped; it never frees a root chunk.
 *
 * Every suspended greenlet holds its root chunk, so its size counts: a
 * chunk of the interpreter's size costs at least the page its frames
 * touch (4 KiB), more than all the rest of a greenlet parked in a shallow
 * call. Root chunks come in three sizes, one level each:
 *   0  small (384 bytes, from the interpreter's small-object allocator,
 *      which packs them without a header): room for 44 slots, the first
 *      frame or two (a frame takes ten slots plus its locals and
 *      evaluation stack);
 *   1  medium (2 KiB, from malloc): about ten frames;
 *   2  full (CPython's 16 KiB, carved from mapped slabs).
 * A greenlet that outgrows its root makes the interpreter allocate a chunk
 * each time its frames cross the root's end, and free it when they come
 * back: a memory mapping and an unmapping, with the interpreter's own
 * allocator, which the binding wraps with a short cache of chunks of that
 * size (chunk_cache below), so that a greenlet whose calls go back and
 * forth across that end does not make two system calls each time. When
 * one is seen to have outgrown its root (when it leaves or finishes: the root's
 * `top` is set, the interpreter sets it when it pushes a chunk above), the
 * next LEVEL_RUN greenlets to start get the next size; after LEVEL_RUN
 * greenlets have started without another such sighting, the size steps
 * back down. So greenlets parked in shallow calls hold the small size,
 * and the greenlets of a program whose greenlets go deeper soon start with
 * room enough.
 *
 * All of it runs under the GIL.
 */
#define Py_BUILD_CORE_MODULE 1
#include <Python.h>
#include "internal/pycore_frame.h"

#include <pthread.h>
#include <sys/mman.h>

#include <green.h>

#include "pystate.h"
#include "pystate_chunks.h"

#define CHUNK_SIZE PYG_CHUNK_FULL
#define PYG_UNLIKELY_CHUNK(x) __builtin_expect(!!(x), 0)
/* Full chunks are carved from slabs of this many, so that greenlets do not
 * cost one memory mapping each for their data stack on top of their C
 * stack (vm.max_map_count). Free full chunks are shared by all threads;
 * beyond CHUNK_FREE_MAX of them, a freed chunk goes back to the system
 * (unmapping part of a slab is fine). */
#define SLAB_CHUNKS 64
#define CHUNK_FREE_MAX 256
/* The smaller sizes (the small one a size class of pymalloc: a multiple of
 * 16, at most 512; the medium one a malloc'd block), and how many free
 * roots of each are kept for reuse. */
#define ROOT_SMALL 384
#define ROOT_MEDIUM 2048
#define SMALL_FREE_MAX 64
/* How many greenlets start with a larger root after one outgrew its. */
#define LEVEL_RUN 1024

static _PyStackChunk *chunk_free_list;
static int chunk_free_count;
static struct root_list {
    _PyStackChunk *head;
    int count;
} small_free, medium_free;
static long chunks_allocated, chunks_freed;
static int level;       /* the size new roots get: 0, 1 or 2 */
static long level_left; /* starts before the level steps down */
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

/*
 * chunk_cache: the interpreter allocates its data stack chunks (and only
 * those, besides the small-object allocator's arenas of 256 KiB or more)
 * with the object arena allocator, which by default maps and unmaps each
 * one. The
 * binding installs, in front of whatever allocator is there, one that
 * keeps up to CACHE_MAX freed chunks of CPython's chunk size for the next
 * allocation of that size; everything else goes through unchanged, and
 * the cached chunks came from, and go back to, the allocator it wraps.
 * Installed the first time a greenlet starts, never removed (the module is
 * never unloaded). The arena allocator is process-wide: interpreters with
 * a GIL of their own (3.12+) may call it at the same time, hence the lock.
 */
#define CACHE_MAX 32

static PyObjectArenaAllocator cache_next;
static int cache_installed;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static void *cache_head;
static int cache_count;

static void *cache_alloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size == CHUNK_SIZE) {
        pthread_mutex_lock(&cache_lock);
        void *p = cache_head;
        if (p) {
            cache_head = *(void **)p;
            cache_count--;
        }
        pthread_mutex_unlock(&cache_lock);
        if (p)
            return p;
    }
    return cache_next.alloc(cache_next.ctx, size);
}

static void cache_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    if (p && size == CHUNK_SIZE) {
        pthread_mutex_lock(&cache_lock);
        int kept = cache_count < CACHE_MAX;
        if (kept) {
            *(void **)p = cache_head;
            cache_head = p;
            cache_count++;
        }
        pthread_mutex_unlock(&cache_lock);
        if (kept)
            return;
    }
    cache_next.free(cache_next.ctx, p, size);
}

static void cache_install(void)
{
    PyObjectArenaAllocator mine = {NULL, cache_alloc, cache_free};
    PyObject_GetArenaAllocator(&cache_next);
    PyObject_SetArenaAllocator(&mine);
    cache_installed = 1;
}

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

/* A root of a smaller size, from its free list or allocated; a full one
 * if none can be allocated. */
static _PyStackChunk *root_get(struct root_list *l, size_t size)
{
    _PyStackChunk *c = l->head;
    if (c) {
        l->head = c->previous;
        l->count--;
    } else {
        c = size == ROOT_SMALL ? PyObject_Malloc(size) : PyMem_RawMalloc(size);
        if (!c)
            return full_get();
        chunks_allocated++;
    }
    c->size = size;
    return c;
}

static void root_put(struct root_list *l, _PyStackChunk *c)
{
    if (l->count < SMALL_FREE_MAX) {
        c->previous = l->head;
        l->head = c;
        l->count++;
        return;
    }
    if (c->size == ROOT_SMALL)
        PyObject_Free(c);
    else
        PyMem_RawFree(c);
    chunks_freed++;
}

_PyStackChunk *pyg__chunk_get(void)
{
    _PyStackChunk *c;
    if (PYG_UNLIKELY_CHUNK(!cache_installed))
        cache_install();
    switch (level) {
    case 0:
        c = root_get(&small_free, ROOT_SMALL);
        break;
    case 1:
        c = root_get(&medium_free, ROOT_MEDIUM);
        break;
    default:
        c = full_get();
        break;
    }
    if (level > 0 && --level_left <= 0) {
        level--;
        level_left = LEVEL_RUN;
    }
    if (c) {
        c->previous = NULL;
        c->top = 0;
        roots_live++;
    }
    return c;
}

void pyg__chunk_outgrown(Py_ssize_t root_size)
{
    int next = root_size < ROOT_MEDIUM ? 1 : 2;
    if (level < next)
        level = next;
    if (level == next)
        level_left = LEVEL_RUN;
}

int pyg_state_stack_mode(int mode)
{
    if (mode == GREEN_STACK_AUTO && roots_live >= GUARDED_LIVE_MAX)
        return GREEN_STACK_COPY;
    return mode;
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
    if (c->size < CHUNK_SIZE && c->top != 0)
        pyg__chunk_outgrown(c->size); /* a chunk was pushed above it */
    if (c->size == ROOT_SMALL) {
        root_put(&small_free, c);
    } else if (c->size == ROOT_MEDIUM) {
        root_put(&medium_free, c);
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
    /* Slabs stay mapped (their chunks are shared); smaller roots stay on
     * their short free lists. Nothing to do. */
}

long pyg_state_chunk_next_size(void)
{
    return level == 0 ? ROOT_SMALL : level == 1 ? ROOT_MEDIUM : CHUNK_SIZE;
}

void pyg_state_chunk_stats(long *allocated, long *freed, int *cached)
{
    *allocated = chunks_allocated;
    *freed = chunks_freed;
    *cached = chunk_free_count + small_free.count + medium_free.count;
}
