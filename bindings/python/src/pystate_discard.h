/* SPDX-License-Identifier: MIT */
/*
 * pystate_discard.h - frees the frames of a suspended greenlet that can
 * never run again (its thread ended), without running them.
 *
 * Included by each pystate_3XX.c after CPython's internal headers, with
 * PYG_FRAME_CODE(frame) defined as the frame's code object and
 * PYG_FRAME_DROP_CODE(frame) to release the frame's references to its
 * function and code objects (their names change between versions); every
 * other field used here has the same name in 3.11, 3.12 and 3.13.
 *
 * The greenlet's frame chain (exposed: no entry frame of the C stack, see
 * pystate_expose.h) is walked from the innermost frame out:
 *  - a frame of the data stack gives up its references (its local, cell
 *    and free variables: a frame that is executing, suspended in a call,
 *    has no record of its evaluation stack, whose values stay referenced);
 *    if its frame
 *    object is referenced elsewhere (gr_frame, a traceback), the frame
 *    object takes a copy of the frame first, as CPython does when a frame
 *    ends, so that it stays usable (f_locals, f_lineno...);
 *  - a generator's frame belongs to the generator: the generator is marked
 *    finished and frees its frame itself when it is freed.
 * Then its data stack chunks go back to the pool (or to CPython).
 */
#ifndef PYGREEN_PYSTATE_DISCARD_H
#define PYGREEN_PYSTATE_DISCARD_H

static void pyg__frame_clear(_PyInterpreterFrame *f)
{
    /* An executing frame keeps its stack pointer in the evaluation loop
     * (stacktop is -1): only its variables are known. */
    if (f->stacktop < 0)
        f->stacktop = PYG_FRAME_CODE(f)->co_nlocalsplus;
    PyFrameObject *fo = f->frame_obj;
    if (fo) {
        f->frame_obj = NULL;
        if (Py_REFCNT(fo) > 1) {
            /* The frame object lives on: it takes the frame's contents
             * (its storage has room for the frame, CPython allocates it
             * for that). */
            _PyInterpreterFrame *own = (_PyInterpreterFrame *)fo->_f_frame_data;
            size_t size = (size_t)((char *)&f->localsplus[f->stacktop] -
                                   (char *)f);
            memcpy(own, f, size);
            own->owner = FRAME_OWNED_BY_FRAME_OBJECT;
            own->previous = NULL;
            fo->f_frame = own;
            if (!PyObject_GC_IsTracked((PyObject *)fo))
                PyObject_GC_Track(fo);
            Py_DECREF(fo);
            return;
        }
        Py_DECREF(fo);
    }
    for (int i = 0; i < f->stacktop; i++)
        Py_CLEAR(f->localsplus[i]);
    f->stacktop = 0;
    Py_CLEAR(f->f_locals);
    PYG_FRAME_DROP_CODE(f);
}

void pyg_state_discard(pyg_pystate *st)
{
    _PyInterpreterFrame *f = (_PyInterpreterFrame *)st->current_frame;
    st->current_frame = NULL;
    st->nexposed = 0; /* the links it recorded are gone with the frames */
    while (f) {
        _PyInterpreterFrame *prev = f->previous;
        f->previous = NULL;
        if (f->owner == FRAME_OWNED_BY_GENERATOR)
            _PyFrame_GetGenerator(f)->gi_frame_state = FRAME_COMPLETED;
        else if (f->owner == FRAME_OWNED_BY_THREAD)
            pyg__frame_clear(f);
        f = prev;
    }
    _PyStackChunk *c = (_PyStackChunk *)st->chunk;
    st->chunk = st->top = NULL;
    if (c) {
        c->top = 0;
        pyg__chunk_put(c);
    }
    pyg_state_clear(st);
}

#endif
