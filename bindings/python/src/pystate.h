/* SPDX-License-Identifier: MIT */
/*
 * pystate.h - the per-greenlet interpreter state, seen from the rest of the
 * binding.
 *
 * Every switch moves the interpreter's per-thread state that really belongs
 * to a greenlet (its frame chain, data stack, recursion depth, exception
 * state, contextvars context, trashcan nesting) out of the thread state into
 * the greenlet that leaves, and moves the arriving greenlet's state in. How
 * that is done depends on the CPython version; everything that depends on it
 * lives in one file per version (pystate_311.c, pystate_312.c,
 * pystate_313.c). The rest of the binding only uses the functions below and
 * the struct, whose fields only the version files interpret.
 */
#ifndef PYGREEN_PYSTATE_H
#define PYGREEN_PYSTATE_H

#include <Python.h>

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030E0000
#error "libgreen's Python binding supports CPython 3.11, 3.12 and 3.13 (add pystate_3XX.c for another version)"
#endif
#ifdef Py_GIL_DISABLED
#error "libgreen's Python binding supports CPython 3.11, 3.12 and 3.13 with the GIL, not free-threaded builds"
#endif

/* Frame links a suspended greenlet's chain had through entry frames on
 * its C stack (3.12+), kept here while the chain skips them: one link
 * inline (a greenlet entered the interpreter once, at its start; one that
 * is suspended under a C call back into Python has more, on the heap). */
#define PYG_EXPOSED_INLINE 1

/* The interpreter state of one greenlet while it is not running. The
 * pointers are the version file's types, kept as void * here. Every
 * greenlet object holds one: its size counts in the memory of each
 * suspended greenlet (a million of them are common), so it is packed. */
typedef struct pyg_pystate {
    void *cframe;        /* the innermost C-level eval frame record (3.11,
                            3.12) */
    void *current_frame; /* the innermost interpreter frame */
    void *chunk;         /* data stack: chunk and top (the limit is the
                            chunk's end) */
    void *top;
    void *exc_info;      /* exception stack top */
    PyObject *exc_value; /* base exception stack entry (owned) */
    void *exc_previous;
    PyObject *context;   /* contextvars context (owned) or NULL */
    void *trash_delete_later; /* objects whose deallocation waits (3.12+) */
    int recursion_depth;      /* Python recursion depth */
    int c_recursion_depth;    /* C recursion depth (3.12+) */
    /* The trashcan's nesting (3.11, 3.12): it stops nesting at a few
     * tens (_PyTrash_UNWIND_LEVEL). */
    short trash_delete_nesting;
    unsigned char fresh; /* never ran: start with an empty state */
    /* (link, original value) pairs of the frame chain while it skips the
     * entry frames of the C stack (3.12+): a suspended greenlet's frames
     * can then be walked (gr_frame, f_back, clearing after its thread
     * ended) without reading its C stack, which may be saved away (copy
     * mode) or gone. The C recursion limit bounds their number far below
     * an unsigned short's range. */
    unsigned short nexposed, exposed_cap;
    void **exposed;
    void *exposed_inline[2 * PYG_EXPOSED_INLINE];
} pyg_pystate;

/* A greenlet that was never run: no frame, no data stack, an empty
 * exception state, no context. */
void pyg_state_init(pyg_pystate *st);

/* The thread state's greenlet state goes into st (BEFORE a switch). */
void pyg_state_save(pyg_pystate *st);

/* st goes into the thread state (AFTER a switch, on the target's stack).
 * A fresh st gets a data stack chunk from the binding's free list. */
void pyg_state_restore(pyg_pystate *st);

/* Runs body(arg) as the bottom of a new greenlet's interpreter state (on the
 * greenlet's own C stack), then gives back its data stack. Its frame stays
 * on the greenlet's stack while the greenlet lives (and is saved with it
 * in copy mode): it holds nothing else. */
void pyg_state_run(void (*body)(void *), void *arg);

/* The suspended greenlet's innermost frame object (new reference), or None
 * if it has none. */
PyObject *pyg_state_frame(pyg_pystate *st);

/* Drops what a greenlet that will never run again holds (context, handled
 * exception). Its data stack, if any, is left alone. */
void pyg_state_clear(pyg_pystate *st);

/* Frees the frames and data stack of a suspended greenlet that can never
 * run again (its thread ended), without running them, then clears st as
 * pyg_state_clear(). Frame objects referenced elsewhere stay usable. Runs
 * on any thread, under the GIL. */
void pyg_state_discard(pyg_pystate *st);

/* The saved context of st, or the thread's if st is running (borrowed). */
PyObject *pyg_state_get_context_running(void);
/* Replaces the running greenlet's context (steals ctx, may be NULL). */
void pyg_state_set_context_running(PyObject *ctx);

/* The thread's trashcan nesting (greenlet's get_tstate_trash_delete_nesting). */
int pyg_state_trash_nesting(void);

/* The stack mode a new greenlet is created with, given the binding's
 * (requested): GREEN_STACK_AUTO becomes GREEN_STACK_COPY once many
 * greenlets have started and not finished (pystate_chunks.c). */
int pyg_state_stack_mode(int requested);

/* Called when a thread stops using greenlets. */
void pyg_state_flush_chunks(void);

/* For tests: the size of the root data stack chunk the next greenlet to
 * start gets. */
long pyg_state_chunk_next_size(void);

/* Counters for tests: chunks allocated from / returned to the system. */
void pyg_state_chunk_stats(long *allocated, long *freed, int *cached);

int pyg_state_traverse(pyg_pystate *st, visitproc visit, void *arg);

#endif
