/* SPDX-License-Identifier: MIT */
/*
 * pystate_312.c - the per-greenlet interpreter state for CPython 3.12.
 *
 * What belongs to a greenlet on 3.12:
 *   tstate->cframe and cframe->current_frame   the C-level eval record and
 *                                              the innermost frame
 *   py_recursion_limit - py_recursion_remaining   the Python recursion depth
 *   C_RECURSION_LIMIT - c_recursion_remaining     the C recursion depth
 *   datastack_chunk, _top, _limit              the frames' data stack
 *   exc_info, exc_state                        the exception stack
 *   context (+ context_ver)                    the contextvars context
 *   trash.delete_nesting, trash.delete_later   the trashcan
 * Tracing needs nothing per greenlet on 3.12 (sys.settrace works through
 * the interpreter-wide instrumentation of PEP 669).
 *
 * The frame chain of a suspended greenlet skips the C stack's entry frames
 * (pystate_expose.h). A greenlet's data stack starts with a chunk of the
 * binding's pool (pystate_chunks.c) and gives it back when it finishes.
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
#define PYG_FRAME_DROP_CODE(f) do { Py_CLEAR(f->f_funcobj); Py_CLEAR(f->f_code); } while (0)
#include "pystate_common.h"
#include "pystate_discard.h"
#include "pystate_expose.h"

#if PY_VERSION_HEX < 0x030C0000 || PY_VERSION_HEX >= 0x030D0000
#error "pystate_312.c is for CPython 3.12 only"
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
    pyg__expose(st);
    st->recursion_depth = ts->py_recursion_limit - ts->py_recursion_remaining;
    st->c_recursion_depth = C_RECURSION_LIMIT - ts->c_recursion_remaining;
    st->chunk = ts->datastack_chunk;
    st->top = ts->datastack_top;
    pyg__chunk_check(ts->datastack_chunk);
    st->exc_info = ts->exc_info;
    st->exc_value = ts->exc_state.exc_value; /* moves */
    st->exc_previous = ts->exc_state.previous_item;
    ts->exc_state.exc_value = NULL;
    st->context = ts->context; /* moves */
    ts->context = NULL;
    st->trash_delete_nesting = ts->trash.delete_nesting;
    st->trash_delete_later = ts->trash.delete_later;
    ts->trash.delete_later = NULL;
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
        ts->py_recursion_remaining = ts->py_recursion_limit;
        ts->c_recursion_remaining = C_RECURSION_LIMIT;
        ts->datastack_chunk = c;
        ts->datastack_top = c ? &c->data[1] : NULL; /* as CPython's root */
        ts->datastack_limit = c ? (PyObject **)((char *)c + c->size) : NULL;
        ts->exc_state.exc_value = NULL;
        ts->exc_state.previous_item = NULL;
        ts->exc_info = &ts->exc_state;
        ts->trash.delete_nesting = 0;
        ts->trash.delete_later = NULL;
        st->fresh = 0;
    } else {
        pyg__unexpose(st);
        ts->cframe = (_PyCFrame *)st->cframe;
        ts->cframe->current_frame = (_PyInterpreterFrame *)st->current_frame;
        ts->py_recursion_remaining =
            ts->py_recursion_limit - st->recursion_depth;
        ts->c_recursion_remaining = C_RECURSION_LIMIT - st->c_recursion_depth;
        ts->datastack_chunk = (_PyStackChunk *)st->chunk;
        ts->datastack_top = (PyObject **)st->top;
        ts->datastack_limit = pyg__chunk_limit(ts->datastack_chunk);
        ts->exc_state.exc_value = st->exc_value; /* moves */
        ts->exc_state.previous_item = (_PyErr_StackItem *)st->exc_previous;
        ts->exc_info = st->exc_info ? (_PyErr_StackItem *)st->exc_info
                                    : &ts->exc_state;
        ts->trash.delete_nesting = st->trash_delete_nesting;
        ts->trash.delete_later = (PyObject *)st->trash_delete_later;
    }
    ts->context = st->context; /* moves */
    ts->context_ver++;
    st->context = NULL;
    st->exc_value = NULL;
    st->current_frame = NULL;
    st->trash_delete_later = NULL;
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
    cf.current_frame = NULL;
    cf.previous = &ts->root_cframe;
    ts->cframe = &cf;

    body(arg);
    state_run_end();
}

PyObject *pyg_state_frame(pyg_pystate *st)
{
    if (!st->current_frame)
        Py_RETURN_NONE;
    /* PyThreadState_GetFrame() makes (or finds) the frame object of the
     * innermost complete frame of a cframe: give it one that holds the
     * suspended greenlet's (exposed) frame chain. */
    PyThreadState *ts = _PyThreadState_GET();
    _PyCFrame tmp;
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
    pyg__expose_free(st);
}

int pyg_state_trash_nesting(void)
{
    return _PyThreadState_GET()->trash.delete_nesting;
}
