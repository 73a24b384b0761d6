/* SPDX-License-Identifier: MIT */
/*
 * pystate_common.h - the parts of the interpreter-state save and restore
 * that read the same on 3.11, 3.12 and 3.13 (their fields have the same
 * names there). Included by each pystate_3XX.c after CPython's internal
 * headers, as pystate_discard.h is.
 */
#ifndef PYGREEN_PYSTATE_COMMON_H
#define PYGREEN_PYSTATE_COMMON_H

/* A finished greenlet's data stack: its root chunk goes back to the pool
 * (every frame on it is gone) and the thread has none until the next
 * switch restores one. */
static void pyg__datastack_end(PyThreadState *ts)
{
    _PyStackChunk *c = ts->datastack_chunk;
    ts->datastack_chunk = NULL;
    ts->datastack_top = NULL;
    ts->datastack_limit = NULL;
    pyg__chunk_put(c);
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

int pyg_state_traverse(pyg_pystate *st, visitproc visit, void *arg)
{
    Py_VISIT(st->context);
    Py_VISIT(st->exc_value);
    return 0;
}

#endif
