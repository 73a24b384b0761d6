/* SPDX-License-Identifier: MIT */
/*
 * pystate_311.c - the per-greenlet interpreter state for CPython 3.11.
 *
 * This is the only file of the binding that knows the layout of CPython's
 * thread state. For another version, add pystate_3XX.c with the same
 * functions (see pystate.h) and pick it in CMakeLists.txt.
 *
 * What belongs to a greenlet on 3.11:
 *   tstate->cframe and cframe->current_frame   the C-level eval record and
 *                                              the innermost frame
 *   recursion_limit - recursion_remaining      the recursion depth
 *   datastack_chunk, _top, _limit              the frames' data stack
 *   exc_info, exc_state                        the exception stack
 *   context (+ context_ver)                    the contextvars context
 *   trash_delete_nesting                       the trashcan nesting
 * cframe->use_tracing is recomputed from the thread's trace and profile
 * functions on every restore, so that sys.settrace() called in one greenlet
 * applies to all of the thread.
 *
 * A greenlet's data stack starts with a chunk from a free list (chunks are
 * carved from slabs) and gives it back when the greenlet finishes, so that
 * creating and finishing greenlets does not map and unmap memory every
 * time.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include "internal/pycore_frame.h"
#include "internal/pycore_pystate.h"

#include <sys/mman.h>

#include "pystate.h"

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030C0000
#error "pystate_311.c is for CPython 3.11 only"
#endif

/* CPython 3.11's own chunk size (Python/pystate.c). */
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

static _PyStackChunk *chunk_get(void)
{
    if (!chunk_free_list && slab_refill() < 0)
        return NULL; /* CPython then allocates a chunk on first use */
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

static void chunk_put(_PyStackChunk *c)
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

void pyg_state_init(pyg_pystate *st)
{
    memset(st, 0, sizeof *st);
    st->fresh = 1;
}

void pyg_state_save(pyg_pystate *st)
{
    PyThreadState *ts = _PyThreadState_GET();
    st->cframe = ts->cframe;
    st->current_frame = ts->cframe->current_frame;
    st->recursion_depth = ts->recursion_limit - ts->recursion_remaining;
    st->chunk = ts->datastack_chunk;
    st->top = ts->datastack_top;
    st->limit = ts->datastack_limit;
    st->exc_info = ts->exc_info;
    st->exc_value = ts->exc_state.exc_value; /* moves */
    st->exc_previous = ts->exc_state.previous_item;
    ts->exc_state.exc_value = NULL;
    st->context = ts->context; /* moves */
    ts->context = NULL;
    st->trash_delete_nesting = ts->trash_delete_nesting;
    st->fresh = 0;
}

void pyg_state_restore(pyg_pystate *st)
{
    PyThreadState *ts = _PyThreadState_GET();
    if (st->fresh) {
        /* A greenlet that starts: no frame until pyg_state_run() installs
         * its own eval record on the greenlet's stack. */
        _PyStackChunk *c = chunk_get();
        ts->cframe = &ts->root_cframe;
        ts->recursion_remaining = ts->recursion_limit;
        ts->datastack_chunk = c;
        ts->datastack_top = c ? &c->data[1] : NULL; /* as CPython's root */
        ts->datastack_limit = c ? (PyObject **)((char *)c + c->size) : NULL;
        ts->exc_state.exc_value = NULL;
        ts->exc_state.previous_item = NULL;
        ts->exc_info = &ts->exc_state;
        ts->trash_delete_nesting = 0;
        st->fresh = 0;
    } else {
        ts->cframe = (_PyCFrame *)st->cframe;
        ts->cframe->current_frame = (_PyInterpreterFrame *)st->current_frame;
        ts->recursion_remaining = ts->recursion_limit - st->recursion_depth;
        ts->datastack_chunk = (_PyStackChunk *)st->chunk;
        ts->datastack_top = (PyObject **)st->top;
        ts->datastack_limit = (PyObject **)st->limit;
        ts->exc_state.exc_value = st->exc_value; /* moves */
        ts->exc_state.previous_item = (_PyErr_StackItem *)st->exc_previous;
        ts->exc_info = st->exc_info ? (_PyErr_StackItem *)st->exc_info
                                    : &ts->exc_state;
        ts->trash_delete_nesting = st->trash_delete_nesting;
    }
    _PyThreadState_UpdateTracingState(ts);
    ts->context = st->context; /* moves */
    ts->context_ver++;
    st->context = NULL;
    st->exc_value = NULL;
    st->current_frame = NULL;
    st->chunk = st->top = st->limit = NULL;
}

PyObject *pyg_state_run(PyObject *(*body)(void *), void *arg)
{
    PyThreadState *ts = _PyThreadState_GET();
    _PyCFrame cf;
    cf.use_tracing = 0;
    cf.current_frame = NULL;
    cf.previous = &ts->root_cframe;
    ts->cframe = &cf;
    _PyThreadState_UpdateTracingState(ts);

    PyObject *result = body(arg);

    /* Finished: every frame of the greenlet is gone. Its context stays
     * (the switch away saves it in the dead greenlet, as greenlet keeps
     * it). */
    ts = _PyThreadState_GET();
    _PyStackChunk *c = ts->datastack_chunk;
    ts->datastack_chunk = NULL;
    ts->datastack_top = NULL;
    ts->datastack_limit = NULL;
    chunk_put(c);
    return result;
}

PyObject *pyg_state_frame(pyg_pystate *st)
{
    if (!st->current_frame)
        Py_RETURN_NONE;
    /* PyThreadState_GetFrame() makes (or finds) the frame object of the
     * innermost complete frame of a cframe: give it one that holds the
     * suspended greenlet's frame chain. */
    PyThreadState *ts = _PyThreadState_GET();
    _PyCFrame tmp;
    tmp.use_tracing = 0;
    tmp.current_frame = (_PyInterpreterFrame *)st->current_frame;
    tmp.previous = NULL;
    _PyCFrame *saved = ts->cframe;
    ts->cframe = &tmp;
    PyFrameObject *f = PyThreadState_GetFrame(ts);
    ts->cframe = saved;
    if (!f) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    return (PyObject *)f;
}

void pyg_state_clear(pyg_pystate *st)
{
    Py_CLEAR(st->context);
    Py_CLEAR(st->exc_value);
}

PyObject *pyg_state_get_context_running(void)
{
    return _PyThreadState_GET()->context;
}

void pyg_state_set_context_running(PyObject *ctx)
{
    PyThreadState *ts = _PyThreadState_GET();
    PyObject *old = ts->context;
    ts->context = ctx;
    ts->context_ver++;
    Py_XDECREF(old);
}

int pyg_state_trash_nesting(void)
{
    return _PyThreadState_GET()->trash_delete_nesting;
}

int pyg_state_traverse(pyg_pystate *st, visitproc visit, void *arg)
{
    Py_VISIT(st->context);
    Py_VISIT(st->exc_value);
    return 0;
}
