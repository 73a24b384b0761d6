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
 * A greenlet's data stack starts with a chunk of the binding's pool
 * (pystate_chunks.c) and gives it back when the greenlet finishes.
 */
#define Py_BUILD_CORE_MODULE 1
#include <Python.h>
#include "internal/pycore_frame.h"
#include "internal/pycore_pystate.h"

#include "pystate.h"
#include "pystate_chunks.h"

/* The frame's code, and its references to its function and code
 * (pystate_discard.h). */
#define PYG_FRAME_CODE(f) (f->f_code)
#define PYG_FRAME_DROP_CODE(f) do { Py_CLEAR(f->f_func); Py_CLEAR(f->f_code); } while (0)
#include "pystate_common.h"
#include "pystate_discard.h"

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030C0000
#error "pystate_311.c is for CPython 3.11 only"
#endif

void pyg_state_init(pyg_pystate *st)
{
    memset(st, 0, sizeof *st);
    st->fresh = 1;
}

void pyg_state_save(pyg_pystate *st)
{
    PyThreadState *ts = _PyThreadState_GET();
    st->cframe = ts->cframe;
    /* A greenlet that finished left its eval record (pyg_state_run()) for
     * the thread's root one: it has no frame left. */
    st->current_frame =
        ts->cframe == &ts->root_cframe ? NULL : ts->cframe->current_frame;
    st->recursion_depth = ts->recursion_limit - ts->recursion_remaining;
    st->chunk = ts->datastack_chunk;
    st->top = ts->datastack_top;
    pyg__chunk_check(ts->datastack_chunk);
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
        _PyStackChunk *c = pyg__chunk_get();
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
        ts->datastack_limit = pyg__chunk_limit(ts->datastack_chunk);
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
    st->chunk = st->top = NULL;
}

/* The end of pyg_state_run(), in a function of its own so that nothing
 * of it is kept on the greenlet's stack while body runs. */
static __attribute__((noinline)) void state_run_end(void)
{
    /* Finished: every frame of the greenlet is gone. Its context stays
     * (the switch away saves it in the dead greenlet, as greenlet keeps
     * it). */
    PyThreadState *ts = _PyThreadState_GET();
    ts->cframe = &ts->root_cframe; /* pyg_state_run()'s cf ends */
    pyg__datastack_end(ts);
}

void pyg_state_run(void (*body)(void *), void *arg)
{
    PyThreadState *ts = _PyThreadState_GET();
    _PyCFrame cf;
    cf.use_tracing = 0;
    cf.current_frame = NULL;
    cf.previous = &ts->root_cframe;
    ts->cframe = &cf;
    _PyThreadState_UpdateTracingState(ts);

    body(arg);
    state_run_end();
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

int pyg_state_trash_nesting(void)
{
    return _PyThreadState_GET()->trash_delete_nesting;
}
