/* SPDX-License-Identifier: MIT */
/*
 * greenlet_type.c - the greenlet type on top of libgreen.
 *
 * Included by libgreen.i into the SWIG-generated wrapper. SWIG builds the
 * type object from libgreen.i; the slots and the hot methods (switch,
 * throw, getcurrent) are the functions below. The object has greenlet's
 * layout (greenlet.h), not SWIG's object header: libgreen.i's typemap
 * hands the object itself to the %extend helpers.
 *
 * Model:
 *  - A PyGreenlet owns one reference to its green_t; the green_t's userdata
 *    is the PyGreenlet (borrowed). Its state is behind pimpl (struct
 *    pyg_impl), so that the object keeps greenlet's 40-byte layout.
 *  - A PyGreenlet holds a strong reference to its parent's PyGreenlet, in
 *    step with the core's parent reference, so that `parent` can always be
 *    answered.
 *  - Per thread (pyg_thread): the main greenlet's object, a strong reference
 *    to the current one, the settrace() callback, and the greenlets that
 *    other threads released while they were suspended (they are killed here,
 *    in their own thread, the next time this thread uses greenlets).
 *  - The core's switch hook saves and restores the interpreter state
 *    (pystate.h); the hook never runs Python code except the settrace()
 *    callback.
 *  - Values travel through the core as one pointer: NULL for "no
 *    arguments", a PyObject* for one argument, or a tagged pointer to an
 *    (args, kwargs) tuple. Error payloads are exception instances with their
 *    traceback attached.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "green.h"
#include "pystate.h"

#define PYG_LIKELY(x) __builtin_expect(!!(x), 1)
#define PYG_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Greenlets run Python code on a C stack of their own: C-level recursion
 * (C calls, __repr__ of nested containers...) needs room. Mapped lazily,
 * cached per thread by the core. */
#define PYG_STACK_SIZE (2u * 1024u * 1024u)
#define PYG_STASH 16

typedef struct pyg_thread pyg_thread;

/* The object has greenlet's binary layout (greenlet.h): the object
 * header, the weak-reference list, the instance dict and a pointer to the
 * rest, 40 bytes on 64-bit. Extension types built against greenlet's
 * header (gevent's Greenlet and Hub) put their own fields after it. */
typedef struct PyGreenlet {
    PyObject_HEAD
    PyObject *weakreflist;
    PyObject *dict;
    struct pyg_impl *pimpl;
} PyGreenlet;

/* Everything else, allocated with the object (pyg_new, ts_init) and freed
 * with it; NULL only in an object whose construction failed. */
struct pyg_impl {
    green_t *g;
    pyg_thread *ts;            /* owner thread (counted reference) */
    struct PyGreenlet *parent; /* strong; NULL for a main greenlet */
    PyObject *run;             /* callable given to the constructor */
    PyObject *run_started;     /* the callable the greenlet starts with */
    /* While run is being called: the callable and the value it was called
     * with (what the C stack would otherwise hold; released with the
     * frames if the greenlet is discarded unfinished). */
    PyObject *call_run;
    void *call_value; /* as it arrived (see VAL_PACKED) */
    struct PyGreenlet *kill_next; /* on the owner's list of kills */
    int main;
    int starting; /* run is being looked up by the greenlet starting */
    int inject;   /* PYG_INJECT_*: switches to it fail (tests) */
    /* The top of its stack and its stack pointer when it last left: the
     * stack bytes a suspended greenlet holds (_stack_saved). */
    char *stack_base, *stack_sp;
    pyg_pystate st;
};

struct pyg_thread {
    long refs; /* the thread itself + one per greenlet (under the GIL) */
    int alive;
    int in_hook;
    unsigned long ident;
    PyGreenlet *main;    /* strong while the thread lives */
    PyGreenlet *current; /* strong */
    int nstash;          /* references to drop once a switch is over */
    PyGreenlet *stash[PYG_STASH];
    PyObject *tracefunc;
    PyObject *trace_type, *trace_value, *trace_tb; /* raised by tracefunc */
    /* The switch the settrace() callback is told about once it is over
     * (the callback runs outside libgreen's hook, so it may switch). */
    int trace_event;
    PyGreenlet *trace_origin, *trace_target; /* strong */
    PyGreenlet *kills;   /* released elsewhere while suspended */
    long nkills;
};

static __thread pyg_thread *tls_ts;
/* The stack mode of new greenlets: GREEN_STACK_AUTO (a C stack of their
 * own, with a guard page, while fewer than 512 greenlets are started and
 * unfinished; the shared, copied stack beyond, so that a program can hold
 * as many suspended greenlets as greenlet allows, in less memory:
 * pyg_state_stack_mode()) unless GREEN_STACK_MODE is set in the environment
 * (libgreen's default, which reads it, then) or set_stack_mode() chose
 * another. */
static int pyg_stack_mode = GREEN_STACK_AUTO;
static PyTypeObject *pyg_type;           /* greenlet.greenlet */
static PyObject *PyExc_GreenletExit;
static PyObject *PyExc_GreenletError;
static long pyg_main_count;              /* live main greenlets */
/* Handles of greenlets freed on the pthread of their ended thread before
 * libgreen saw that thread end: released from another thread (libgreen
 * frees them then, or when the thread's end reaches it). Under the GIL. */
struct pyg_orphan {
    green_t *g;
    unsigned long ident;
    struct pyg_orphan *next;
};
static struct pyg_orphan *pyg_orphans;
static long pyg_pending_total;           /* kills waiting, all threads */

static void pyg_hook(void *data, int event, int phase, green_t *origin,
                     green_t *target);

#define PyGreenlet_Check(o) PyObject_TypeCheck((o), pyg_type)

/* ---- values ------------------------------------------------------------ */

#define VAL_PACKED(v) (((uintptr_t)(v)) & 1u)
#define VAL_PACK(o) ((void *)(((uintptr_t)(o)) | 1u))
#define VAL_UNPACK(v) ((PyObject *)(((uintptr_t)(v)) & ~(uintptr_t)1u))

static void value_free(void *v)
{
    if (!v)
        return;
    if (VAL_PACKED(v))
        Py_DECREF(VAL_UNPACK(v));
    else
        Py_DECREF((PyObject *)v);
}

/* switch(*args, **kwargs) -> value. Returns 0, or -1 with an exception. */
static int value_from_call(PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames, void **out)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nkw == 0 && nargs <= 1) {
        if (nargs == 0) {
            *out = NULL;
        } else {
            Py_INCREF(args[0]);
            *out = args[0];
        }
        return 0;
    }
    PyObject *tuple = PyTuple_New(nargs);
    if (!tuple)
        return -1;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_INCREF(args[i]);
        PyTuple_SET_ITEM(tuple, i, args[i]);
    }
    PyObject *kw = Py_None;
    Py_INCREF(kw);
    if (nkw) {
        Py_DECREF(kw);
        kw = PyDict_New();
        if (!kw) {
            Py_DECREF(tuple);
            return -1;
        }
        for (Py_ssize_t i = 0; i < nkw; i++) {
            if (PyDict_SetItem(kw, PyTuple_GET_ITEM(kwnames, i),
                               args[nargs + i]) < 0) {
                Py_DECREF(tuple);
                Py_DECREF(kw);
                return -1;
            }
        }
    }
    PyObject *pack = PyTuple_New(2);
    if (!pack) {
        Py_DECREF(tuple);
        Py_DECREF(kw);
        return -1;
    }
    PyTuple_SET_ITEM(pack, 0, tuple);
    PyTuple_SET_ITEM(pack, 1, kw);
    *out = VAL_PACK(pack);
    return 0;
}

/* What a resumed switch() returns: (), x, (a, b), {'k': 1} or
 * ((a,), {'k': 1}), as greenlet does. Consumes v. */
static PyObject *value_result(void *v)
{
    if (!v)
        return PyTuple_New(0);
    if (!VAL_PACKED(v))
        return (PyObject *)v;
    PyObject *pack = VAL_UNPACK(v);
    PyObject *args = PyTuple_GET_ITEM(pack, 0);
    PyObject *kw = PyTuple_GET_ITEM(pack, 1);
    PyObject *r;
    int has_kw = kw != Py_None && PyDict_GET_SIZE(kw) > 0;
    if (!has_kw) {
        if (PyTuple_GET_SIZE(args) == 1)
            r = PyTuple_GET_ITEM(args, 0);
        else
            r = args;
        Py_INCREF(r);
    } else if (PyTuple_GET_SIZE(args) == 0) {
        r = kw;
        Py_INCREF(r);
    } else {
        r = PyTuple_Pack(2, args, kw);
    }
    Py_DECREF(pack);
    return r;
}

/* run(*args, **kwargs) with the arriving value v, which stays the
 * caller's. */
static inline PyObject *value_call_keep(PyObject *run, void *v)
{
    if (!v)
        return PyObject_CallNoArgs(run);
    if (!VAL_PACKED(v))
        return PyObject_CallOneArg(run, (PyObject *)v);
    PyObject *pack = VAL_UNPACK(v);
    PyObject *kw = PyTuple_GET_ITEM(pack, 1);
    return PyObject_Call(run, PyTuple_GET_ITEM(pack, 0),
                         kw == Py_None ? NULL : kw);
}

/* The pending exception as one instance with its traceback (new ref). */
static PyObject *fetch_exception(void)
{
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb && v)
        PyException_SetTraceback(v, tb);
    Py_XDECREF(t);
    Py_XDECREF(tb);
    return v;
}

/* Raises an error payload (consumed). */
static void raise_payload(PyObject *exc)
{
    if (!exc) {
        PyErr_SetNone(PyExc_GreenletExit);
        return;
    }
    PyObject *type = (PyObject *)Py_TYPE(exc);
    Py_INCREF(type);
    PyErr_Restore(type, exc, PyException_GetTraceback(exc));
}

/* ---- per-thread state ------------------------------------------------- */

static void ts_unref(pyg_thread *ts)
{
    if (--ts->refs == 0)
        PyMem_RawFree(ts);
}

/* Gives a freshly allocated object its implementation part. Returns 0, or
 * -1 with MemoryError. */
static int pyg_impl_new(PyGreenlet *g)
{
    struct pyg_impl *im = PyObject_Malloc(sizeof *im);
    if (!im) {
        PyErr_NoMemory();
        return -1;
    }
    memset(im, 0, offsetof(struct pyg_impl, st));
    pyg_state_init(&im->st);
    g->pimpl = im;
    return 0;
}

static void ts_ended(PyObject *capsule);

static pyg_thread *ts_init(void)
{
    if (!pyg_type) {
        PyErr_SetString(PyExc_ImportError, "libgreen is not initialised");
        return NULL;
    }
    pyg_thread *ts = PyMem_RawCalloc(1, sizeof *ts);
    if (!ts) {
        PyErr_NoMemory();
        return NULL;
    }
    ts->refs = 1;
    ts->alive = 1;
    ts->ident = PyThread_get_thread_ident();
    green_t *m = green_main();
    if (!m || green_hook_add(pyg_hook, ts) != GREEN_OK) {
        PyMem_RawFree(ts);
        PyErr_SetString(PyExc_MemoryError,
                        "libgreen could not set up this thread");
        return NULL;
    }
    PyGreenlet *mg = (PyGreenlet *)pyg_type->tp_alloc(pyg_type, 0);
    if (!mg || pyg_impl_new(mg) < 0) {
        Py_XDECREF(mg);
        green_hook_remove(pyg_hook, ts);
        PyMem_RawFree(ts);
        return NULL;
    }
    green_retain(m);
    mg->pimpl->g = m;
    mg->pimpl->ts = ts;
    ts->refs++;
    mg->pimpl->main = 1;
    pthread_attr_t pa;
    if (pthread_getattr_np(pthread_self(), &pa) == 0) {
        void *addr;
        size_t size;
        if (pthread_attr_getstack(&pa, &addr, &size) == 0)
            mg->pimpl->stack_base = (char *)addr + size;
        pthread_attr_destroy(&pa);
    }
    mg->pimpl->st.fresh = 0;
    green_set_userdata(m, mg, NULL);
    pyg_main_count++;
    ts->main = mg; /* the reference from tp_alloc */
    Py_INCREF(mg);
    ts->current = mg;
    tls_ts = ts;

    /* The thread's dict is cleared when the thread ends: that tells us. */
    PyObject *d = PyThreadState_GetDict();
    PyObject *cap = PyCapsule_New(ts, "libgreen.thread", ts_ended);
    if (!d || !cap || PyDict_SetItemString(d, "libgreen.thread", cap) < 0) {
        Py_XDECREF(cap);
        PyErr_Clear(); /* the thread state then lives as long as the
                          process; nothing else is lost */
    } else {
        Py_DECREF(cap);
    }
    return ts;
}

static void process_kills(pyg_thread *ts);

/* Releases the orphaned handles of other threads. */
static void release_orphans(unsigned long me)
{
    struct pyg_orphan **pp = &pyg_orphans;
    while (*pp) {
        struct pyg_orphan *o = *pp;
        if (o->ident == me) {
            pp = &o->next;
            continue;
        }
        *pp = o->next;
        green_release(o->g);
        PyMem_RawFree(o);
    }
}

static inline pyg_thread *ts_get(void)
{
    pyg_thread *ts = tls_ts;
    if (PYG_LIKELY(ts != NULL)) {
        if (PYG_UNLIKELY(ts->kills != NULL) && !ts->in_hook)
            process_kills(ts);
        if (PYG_UNLIKELY(pyg_orphans != NULL))
            release_orphans(ts->ident);
        return ts;
    }
    return ts_init();
}

static void call_trace_pending(pyg_thread *ts);

static inline void after_switch(pyg_thread *ts)
{
    while (ts->nstash > 0) {
        PyGreenlet *p = ts->stash[--ts->nstash];
        Py_DECREF(p);
    }
    if (PYG_UNLIKELY(ts->trace_target != NULL))
        call_trace_pending(ts);
}


static void ts_ended(PyObject *capsule)
{
    pyg_thread *ts = PyCapsule_GetPointer(capsule, "libgreen.thread");
    if (!ts)
        return;
    if (tls_ts == ts && ts->current == ts->main && !ts->in_hook) {
        /* The thread's state is being cleared, but Python still runs on
         * it: greenlets that other threads released while it lived are
         * killed here, in their thread, running their cleanup code. */
        Py_CLEAR(ts->trace_origin);
        Py_CLEAR(ts->trace_target);
        process_kills(ts);
    }
    ts->alive = 0;
    if (tls_ts == ts) {
        green_hook_remove(pyg_hook, ts);
        tls_ts = NULL;
        pyg_state_flush_chunks();
    }
    Py_CLEAR(ts->trace_origin);
    Py_CLEAR(ts->trace_target);
    after_switch(ts);
    process_kills(ts);
    Py_CLEAR(ts->tracefunc);
    Py_CLEAR(ts->trace_type);
    Py_CLEAR(ts->trace_value);
    Py_CLEAR(ts->trace_tb);
    PyGreenlet *cur = ts->current, *main = ts->main;
    ts->current = ts->main = NULL;
    Py_XDECREF(cur);
    Py_XDECREF(main);
    ts_unref(ts);
}

/* ---- errors ------------------------------------------------------------ */

static PyObject *raise_core_error(int rc)
{
    switch (rc) {
    case GREEN_ETHREAD:
        PyErr_SetString(PyExc_GreenletError,
                        "Cannot switch to a different thread");
        break;
    case GREEN_ENOMEM:
        PyErr_NoMemory();
        break;
    case GREEN_ENOSTACK:
        PyErr_SetString(PyExc_MemoryError,
                        "libgreen: no stack could be mapped for the greenlet "
                        "(memory, address space or vm.max_map_count)");
        break;
    case GREEN_EBUSY:
        PyErr_SetString(PyExc_GreenletError,
                        "cannot switch greenlets from inside a switch (a "
                        "settrace callback)");
        break;
    case GREEN_ECYCLE:
        PyErr_SetString(PyExc_ValueError, "cyclic parent chain");
        break;
    case GREEN_EMAIN:
        PyErr_SetString(PyExc_AttributeError,
                        "cannot set the parent of a main greenlet");
        break;
    default:
        PyErr_Format(PyExc_SystemError, "libgreen: %s (%s)",
                     green_strerror(rc), green_error_name(rc));
    }
    return NULL;
}

static PyObject *raise_thread_error(PyGreenlet *target)
{
    if (!target->pimpl->ts->alive)
        PyErr_SetString(PyExc_GreenletError,
                        "cannot switch to a different thread (which happens "
                        "to have exited)");
    else
        PyErr_SetString(PyExc_GreenletError,
                        "Cannot switch to a different thread");
    return NULL;
}

/* ---- the switch hook --------------------------------------------------- */

static void call_trace(pyg_thread *ts, int event, PyGreenlet *origin,
                       PyGreenlet *target)
{
    PyObject *et, *ev, *etb;
    PyErr_Fetch(&et, &ev, &etb);
    PyObject *func = ts->tracefunc;
    Py_INCREF(func);
    PyObject *r = PyObject_CallFunction(
        func, "s(OO)", event == GREEN_EVENT_SWITCH ? "switch" : "throw",
        origin ? (PyObject *)origin : Py_None, (PyObject *)target);
    Py_DECREF(func);
    if (r) {
        Py_DECREF(r);
    } else {
        /* As greenlet: tracing stops, and the error is raised in the
         * greenlet that was switched to. */
        Py_CLEAR(ts->trace_type);
        Py_CLEAR(ts->trace_value);
        Py_CLEAR(ts->trace_tb);
        PyErr_Fetch(&ts->trace_type, &ts->trace_value, &ts->trace_tb);
        Py_CLEAR(ts->tracefunc);
    }
    PyErr_Restore(et, ev, etb);
}

static void pyg_hook(void *data, int event, int phase, green_t *origin,
                     green_t *target)
{
    pyg_thread *ts = data;
    if (phase == GREEN_PHASE_BEFORE) {
        PyGreenlet *o = green_get_userdata(origin);
        if (o) {
            pyg_state_save(&o->pimpl->st);
            o->pimpl->stack_sp = (char *)__builtin_frame_address(0);
        }
        return;
    }
    if (event == GREEN_EVENT_LEAK)
        return;
    PyGreenlet *t = green_get_userdata(target);
    if (!t)
        return;
    pyg_state_restore(&t->pimpl->st);
    Py_INCREF(t);
    if (ts->current) {
        if (ts->nstash < PYG_STASH)
            ts->stash[ts->nstash++] = ts->current;
        /* else: cannot happen (every resumption drops the stash) */
    }
    ts->current = t;
    if (ts->tracefunc) {
        /* Called by the switched-to greenlet once the switch is over. */
        PyGreenlet *o = green_get_userdata(origin);
        Py_XINCREF(o);
        Py_INCREF(t);
        Py_XSETREF(ts->trace_origin, o);
        Py_XSETREF(ts->trace_target, t);
        ts->trace_event = event;
    }
}

static void call_trace_pending(pyg_thread *ts)
{
    PyGreenlet *o = ts->trace_origin, *t = ts->trace_target;
    ts->trace_origin = ts->trace_target = NULL;
    if (ts->tracefunc && ts->alive)
        call_trace(ts, ts->trace_event, o, t);
    Py_XDECREF(o);
    Py_DECREF(t);
}

/* The receiving side of a switch: what arrived becomes the result or the
 * raised exception. */
static PyObject *receive(pyg_thread *ts, int rc, void *res)
{
    if (PYG_UNLIKELY(ts->trace_type != NULL)) {
        if (rc == GREEN_OK)
            value_free(res);
        else
            Py_XDECREF((PyObject *)res);
        PyErr_Restore(ts->trace_type, ts->trace_value, ts->trace_tb);
        ts->trace_type = ts->trace_value = ts->trace_tb = NULL;
        return NULL;
    }
    if (PYG_LIKELY(rc == GREEN_OK))
        return value_result(res);
    raise_payload((PyObject *)res);
    return NULL;
}

/* ---- the run function (on the greenlet's own stack) -------------------- */

static PyObject *lookup_run(PyGreenlet *g);
static int prepare_start(PyGreenlet *g);
static PyGreenlet *live_ancestor(PyGreenlet *g);
static int claim_new(pyg_thread *ts, PyGreenlet *self);
static void finish_route(PyGreenlet *self, PyObject **result);

struct run_ctx {
    green_t *g;
    void *in;
    void **out;
    int rc;
};

/* A greenlet's run is called from run_body(), whose frame, with those
 * below it, stays on the greenlet's stack as long as the greenlet lives:
 * in copy mode every byte of them is saved for each suspended greenlet.
 * So what comes before and after the call is done in functions of their
 * own, whose locals are gone by then. */

/* Returns 1 with the callable and the arriving value in self->call_run
 * and self->call_value (where they stay during the call: a greenlet
 * discarded unfinished, its thread gone, releases them with its frames,
 * which this C stack could not), or 0 with an exception set and the
 * value freed. */
static __attribute__((noinline)) int run_begin(struct run_ctx *c)
{
    PyGreenlet *self = green_get_userdata(c->g);
    pyg_thread *ts = self->pimpl->ts;
    self->pimpl->stack_base = (char *)c; /* on pyg_run()'s frame */
    after_switch(ts);
    PyObject *run = self->pimpl->run_started;
    self->pimpl->run_started = NULL;
    if (PYG_UNLIKELY(ts->trace_type != NULL)) {
        value_free(c->in);
        PyErr_Restore(ts->trace_type, ts->trace_value, ts->trace_tb);
        ts->trace_type = ts->trace_value = ts->trace_tb = NULL;
        Py_XDECREF(run);
        return 0;
    }
    if (!run && (self->pimpl->starting = 1, run = lookup_run(self),
                 self->pimpl->starting = 0, !run)) {
        /* Started by a finished child: its run is looked up here, and
         * an error goes to its parent. */
        value_free(c->in);
        return 0;
    }
    /* As greenlet: the constructor's run is dropped before the call (its
     * __del__ may run, and switch, here). */
    Py_CLEAR(self->pimpl->run);
    self->pimpl->call_run = run;
    self->pimpl->call_value = c->in;
    c->in = NULL;
    return 1;
}

/* Called after run, with its result: frees run and the value it was
 * called with, and routes the result. */
static __attribute__((noinline)) void run_end(struct run_ctx *c,
                                              PyObject *result)
{
    PyGreenlet *self = green_get_userdata(c->g);
    struct pyg_impl *im = self->pimpl;
    value_free(im->call_value);
    im->call_value = NULL;
    Py_CLEAR(im->call_run);
    Py_CLEAR(im->run);
    finish_route(self, &result);
    if (result) {
        *c->out = result;
        c->rc = GREEN_OK;
    } else {
        PyObject *exc = fetch_exception();
        *c->out = exc;
        /* GreenletExit reaching the top is an ordinary result. */
        c->rc = PyErr_GivenExceptionMatches(exc, PyExc_GreenletExit)
                    ? GREEN_EXIT
                    : GREEN_THROWN;
    }
}

static void run_body(void *arg)
{
    struct run_ctx *c = arg;
    PyObject *result = NULL;
    if (run_begin(c)) {
        struct pyg_impl *im = ((PyGreenlet *)green_get_userdata(c->g))->pimpl;
        result = value_call_keep(im->call_run, im->call_value);
    }
    run_end(c, result);
}

/* The result of a finishing greenlet goes to its first live ancestor; if
 * that one never started, its run is looked up here, while this greenlet
 * still runs. A lookup that fails leaves that ancestor unstarted: the
 * error replaces the result and goes to the ancestor's own parent. */
static void finish_route(PyGreenlet *self, PyObject **result)
{
    PyGreenlet *dest = live_ancestor(self->pimpl->parent);
    while (dest && !dest->pimpl->main &&
           green_state(dest->pimpl->g) == GREEN_STATE_NEW &&
           !dest->pimpl->run_started) {
        PyObject *et = NULL, *ev = NULL, *etb = NULL;
        if (!*result)
            PyErr_Fetch(&et, &ev, &etb);
        if (prepare_start(dest) == 0) {
            if (!*result)
                PyErr_Restore(et, ev, etb);
            return;
        }
        Py_XDECREF(et);
        Py_XDECREF(ev);
        Py_XDECREF(etb);
        Py_CLEAR(*result);
        dest = live_ancestor(dest->pimpl->parent);
        if (dest)
            green_set_parent(self->pimpl->g, dest->pimpl->g);
    }
}

static int pyg_run(green_t *g, void *in, void **out)
{
    struct run_ctx c = {g, in, out, GREEN_THROWN};
    pyg_state_run(run_body, &c);
    return c.rc;
}

/* ---- switch and throw -------------------------------------------------- */

/* Takes the callable a greenlet that is about to start will run, in the
 * switching greenlet (so a missing run raises there). */
static PyObject *lookup_run(PyGreenlet *g)
{
    if (g->pimpl->run && Py_IS_TYPE(g, pyg_type)) {
        Py_INCREF(g->pimpl->run);
        return g->pimpl->run;
    }
    return PyObject_GetAttrString((PyObject *)g, "run");
}

static int prepare_start(PyGreenlet *g)
{
    if (g->pimpl->run_started)
        return 0;
    PyObject *run = lookup_run(g);
    if (!run)
        return -1;
    /* Looking up run ran Python code, which may have started (or even
     * finished) the greenlet meanwhile: then this run is not needed. */
    if (g->pimpl->run_started || green_state(g->pimpl->g) != GREEN_STATE_NEW) {
        Py_DECREF(run);
        return 0;
    }
    g->pimpl->run_started = run;
    return 0;
}

/* ---- failure injection (greenlet._greenlet.UnswitchableGreenlet) ------- */

/* Set on a greenlet, makes the next switches to it fail where a switch can
 * fail: refused before anything changed (the library returned an error),
 * or after the interpreter state was handed over, which cannot be undone
 * (the process aborts, as greenlet's does when its stack switch fails). */
enum { PYG_INJECT_SWITCH = 1, PYG_INJECT_FATAL = 2 };

/* A failure code from the library that no real switch returns. */
#define PYG_EINJECTED (-1000)

static int injected_switch(PyGreenlet *self)
{
    if (self->pimpl->inject & PYG_INJECT_FATAL)
        Py_FatalError("libgreen: the switch into a running greenlet failed "
                      "after the interpreter state was handed over "
                      "(injected)");
    return PYG_EINJECTED;
}

static PyObject *raise_switch_error(PyGreenlet *target, int rc)
{
    if (rc != PYG_EINJECTED)
        return raise_core_error(rc);
    PyErr_SetString(PyExc_SystemError,
                    green_state(target->pimpl->g) == GREEN_STATE_NEW
                        ? "Failed to switch stacks into a greenlet for the "
                          "first time."
                        : "Failed to switch stacks into a running greenlet.");
    return NULL;
}

static PyObject *pyg_inject_switch_error(PyObject *m, PyObject *args)
{
    (void)m;
    PyObject *g;
    int which, on;
    if (!PyArg_ParseTuple(args, "Oip:_inject_switch_error", &g, &which, &on))
        return NULL;
    if (!PyGreenlet_Check(g)) {
        PyErr_Format(PyExc_TypeError, "expected a greenlet, not %s",
                     Py_TYPE(g)->tp_name);
        return NULL;
    }
    if (which != PYG_INJECT_SWITCH && which != PYG_INJECT_FATAL) {
        PyErr_Format(PyExc_ValueError, "unknown injection point %d", which);
        return NULL;
    }
    PyGreenlet *pg = (PyGreenlet *)g;
    if (on)
        pg->pimpl->inject |= which;
    else
        pg->pimpl->inject &= ~which;
    Py_RETURN_NONE;
}

/* The first greenlet from g up its parents that is not dead. */
static PyGreenlet *live_ancestor(PyGreenlet *g)
{
    while (g && green_state(g->pimpl->g) == GREEN_STATE_DEAD)
        g = g->pimpl->parent;
    return g;
}

static PyObject *do_switch(PyGreenlet *self, void *val)
{
    pyg_thread *ts = ts_get();
    if (PYG_UNLIKELY(!ts)) {
        value_free(val);
        return NULL;
    }
    if (PYG_UNLIKELY(self->pimpl->ts != ts) &&
        green_state(self->pimpl->g) != GREEN_STATE_NEW) {
        value_free(val);
        return raise_thread_error(self);
    }
    for (;;) {
        int state = green_state(self->pimpl->g);
        if (PYG_LIKELY(state == GREEN_STATE_SUSPENDED))
            break;
        if (state == GREEN_STATE_DEAD) {
            self = live_ancestor(self);
            if (!self) {
                value_free(val);
                return raise_thread_error(ts->main);
            }
            continue;
        }
        if (state == GREEN_STATE_NEW && !self->pimpl->run_started) {
            if (prepare_start(self) < 0) {
                value_free(val);
                return NULL;
            }
            continue; /* Python code ran: look again */
        }
        break;
    }
    if (green_state(self->pimpl->g) == GREEN_STATE_NEW &&
        claim_new(ts, self) < 0) {
        value_free(val);
        return NULL;
    }
    void *res = NULL;
    int rc = PYG_UNLIKELY(self->pimpl->inject)
                 ? injected_switch(self)
                 : green_switch(self->pimpl->g, val, &res);
    if (PYG_UNLIKELY(rc < 0)) {
        value_free(val);
        return raise_switch_error(self, rc);
    }
    after_switch(ts);
    return receive(ts, rc, res);
}

/* Throws exc (an exception instance, consumed) into self. */
static PyObject *do_throw(PyGreenlet *self, PyObject *exc)
{
    pyg_thread *ts = ts_get();
    if (!ts) {
        Py_DECREF(exc);
        return NULL;
    }
    if (self->pimpl->ts != ts) {
        Py_DECREF(exc);
        return raise_thread_error(self);
    }
    int is_exit = PyErr_GivenExceptionMatches(exc, PyExc_GreenletExit);
    int state = green_state(self->pimpl->g);
    if (state == GREEN_STATE_NEW && !self->pimpl->run_started) {
        /* As greenlet: starting it needs run, even to kill it. */
        if (prepare_start(self) < 0) {
            Py_DECREF(exc);
            return NULL;
        }
        state = green_state(self->pimpl->g); /* Python code ran */
    }
    if (is_exit && state == GREEN_STATE_DEAD) {
        /* A dead greenlet turns GreenletExit into an ordinary result for
         * its first live ancestor. */
        return do_switch(self, exc);
    }
    void *res = NULL;
    int rc;
    if (is_exit && !self->pimpl->main)
        rc = green_throw_exit(self->pimpl->g, exc, &res);
    else
        rc = green_throw(self->pimpl->g, exc, &res);
    if (rc < 0) {
        Py_DECREF(exc);
        return raise_core_error(rc);
    }
    after_switch(ts);
    return receive(ts, rc, res);
}

/* ---- parents ----------------------------------------------------------- */

/* Makes p (of the calling thread) the parent of the new greenlet self,
 * moving self to the calling thread if another one created it. */
static int adopt(PyGreenlet *self, PyGreenlet *p)
{
    int rc = green_adopt(self->pimpl->g, p->pimpl->g);
    if (rc == GREEN_OK && self->pimpl->ts != p->pimpl->ts) {
        pyg_thread *old = self->pimpl->ts;
        self->pimpl->ts = p->pimpl->ts;
        self->pimpl->ts->refs++;
        ts_unref(old);
    }
    return rc;
}

/* A new greenlet runs in its parent's thread (greenlet's rule): raises
 * greenlet.error unless that is the calling thread; adopts it (moves it
 * here) if another thread created it. */
static int claim_new(pyg_thread *ts, PyGreenlet *self)
{
    PyGreenlet *p = self->pimpl->parent;
    if (!p || (p->pimpl->ts == self->pimpl->ts && self->pimpl->ts == ts))
        return 0;
    if (p->pimpl->ts != ts || !ts->alive) {
        if (!p->pimpl->ts->alive)
            PyErr_SetString(PyExc_GreenletError,
                            "cannot switch to a different thread (which "
                            "happens to have exited)");
        else
            PyErr_Format(PyExc_GreenletError,
                         "Cannot switch to a different thread\n\tCurrent:  "
                         "%R\n\tExpected: %R",
                         (PyObject *)ts->current,
                         (PyObject *)p->pimpl->ts->main);
        return -1;
    }
    int rc = adopt(self, p);
    if (rc < 0) {
        raise_core_error(rc);
        return -1;
    }
    return 0;
}

static int set_parent(PyGreenlet *self, PyObject *value)
{
    if (!value) {
        PyErr_SetString(PyExc_AttributeError, "can't delete attribute");
        return -1;
    }
    if (!PyGreenlet_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "GreenletChecker: Expected any type of greenlet, not %s",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    PyGreenlet *p = (PyGreenlet *)value;
    if (self->pimpl->main) {
        PyErr_SetString(PyExc_AttributeError,
                        "cannot set the parent of a main greenlet");
        return -1;
    }
    for (PyGreenlet *q = p; q; q = q->pimpl->parent) {
        if (q == self) {
            PyErr_SetString(PyExc_ValueError, "cyclic parent chain");
            return -1;
        }
    }
    pyg_thread *ts = ts_get();
    if (!ts)
        return -1;
    int rc = GREEN_OK;
    if (green_state(self->pimpl->g) != GREEN_STATE_NEW) {
        /* A greenlet that started stays in its thread. */
        if (p->pimpl->ts != self->pimpl->ts || self->pimpl->ts != ts) {
            PyErr_SetString(PyExc_ValueError,
                            "parent cannot be on a different thread");
            return -1;
        }
        rc = green_set_parent(self->pimpl->g, p->pimpl->g);
    } else if (p->pimpl->ts == ts && ts->alive) {
        /* A new greenlet runs in its parent's thread: this one adopts it
         * if another thread created it. */
        rc = adopt(self, p);
    }
    /* else: a parent of another thread, kept by the binding only; the
     * switch to self fails until its parent is one of the switching
     * thread (as greenlet). */
    if (rc < 0) {
        raise_core_error(rc);
        return -1;
    }
    PyGreenlet *old = self->pimpl->parent;
    Py_INCREF(p);
    self->pimpl->parent = p;
    Py_XDECREF(old);
    return 0;
}

/* ---- lifetime ---------------------------------------------------------- */

static void resurrect(PyGreenlet *g)
{
    Py_SET_REFCNT((PyObject *)g, 1);
    /* A subclass's dealloc drops a reference to the type after ours. */
    if (PyType_HasFeature(Py_TYPE(g), Py_TPFLAGS_HEAPTYPE))
        Py_INCREF(Py_TYPE(g));
}

/* A suspended greenlet lost its last reference. Returns 1 if the object
 * can be freed now, 0 if it lives on (resurrected, queued or leaked). */
static int kill_suspended(PyGreenlet *g)
{
    PyObject *o = (PyObject *)g;
    pyg_thread *owner = g->pimpl->ts;
    if (!owner->alive) {
        /* It can never run again: its frames and data stack are freed
         * without running it (as greenlet does). Its handle is released
         * from another thread than its own: on its own, before libgreen
         * sees the thread end, a release would try to kill it there. */
        resurrect(g); /* freeing the frames may run Python code */
        pyg_state_discard(&g->pimpl->st);
        value_free(g->pimpl->call_value);
        g->pimpl->call_value = NULL;
        Py_CLEAR(g->pimpl->call_run);
        struct pyg_orphan *orph;
        if (PyThread_get_thread_ident() != owner->ident) {
            green_release(g->pimpl->g);
        } else if ((orph = PyMem_RawMalloc(sizeof *orph)) != NULL) {
            orph->g = g->pimpl->g;
            orph->ident = owner->ident;
            orph->next = pyg_orphans;
            pyg_orphans = orph;
        } /* else: out of memory, the handle is left behind */
        g->pimpl->g = NULL;
        if (Py_REFCNT(o) > 1) {
            /* Resurrected by the frames' cleanup. */
            Py_SET_REFCNT(o, Py_REFCNT(o) - 1);
            PyObject_GC_Track(o);
            return 0;
        }
        Py_SET_REFCNT(o, 0);
        if (PyType_HasFeature(Py_TYPE(g), Py_TPFLAGS_HEAPTYPE))
            Py_DECREF(Py_TYPE(g));
        return 1;
    }
    if (tls_ts != owner || owner->in_hook) {
        /* Killed later, in its own thread. */
        resurrect(g);
        g->pimpl->kill_next = owner->kills;
        owner->kills = g;
        owner->nkills++;
        pyg_pending_total++;
        return 0;
    }
    pyg_thread *ts = owner;
    resurrect(g);
    PyObject *et, *ev, *etb;
    PyErr_Fetch(&et, &ev, &etb);
    /* Its result comes back here; if it survives, its parent is put
     * back. */
    PyGreenlet *old_parent = g->pimpl->parent;
    Py_XINCREF(old_parent);
    if (ts->current != g && set_parent(g, (PyObject *)ts->current) < 0)
        PyErr_Clear();
    PyObject *exc = PyObject_CallNoArgs(PyExc_GreenletExit);
    if (!exc) {
        PyErr_WriteUnraisable(o);
    } else {
        void *res = NULL;
        int rc = green_throw_exit(g->pimpl->g, exc, &res);
        if (rc < 0) {
            Py_DECREF(exc);
        } else {
            after_switch(ts);
            PyObject *r = receive(ts, rc, res);
            if (r)
                Py_DECREF(r);
            else if (PyErr_ExceptionMatches(PyExc_GreenletExit))
                PyErr_Clear();
            else
                PyErr_WriteUnraisable(o);
        }
    }
    if (old_parent) {
        if (g->pimpl->g && green_state(g->pimpl->g) != GREEN_STATE_DEAD &&
            g->pimpl->parent != old_parent &&
            set_parent(g, (PyObject *)old_parent) < 0)
            PyErr_Clear();
        Py_DECREF(old_parent);
    }
    PyErr_Restore(et, ev, etb);
    if (Py_REFCNT(o) > 1) {
        /* Resurrected by its own cleanup code. */
        Py_SET_REFCNT(o, Py_REFCNT(o) - 1);
        PyObject_GC_Track(o);
        return 0;
    }
    if (g->pimpl->g && green_state(g->pimpl->g) != GREEN_STATE_DEAD) {
        /* It caught GreenletExit and switched away: it stays, leaked. */
        PyObject *f = PySys_GetObject("stderr");
        if (f) {
            PyFile_WriteString("GreenletExit did not kill ", f);
            PyFile_WriteObject(o, f, 0);
            PyFile_WriteString("\n", f);
            PyErr_Clear();
        }
        return 0;
    }
    Py_SET_REFCNT(o, 0);
    if (PyType_HasFeature(Py_TYPE(g), Py_TPFLAGS_HEAPTYPE))
        Py_DECREF(Py_TYPE(g));
    return 1;
}

static void process_kills(pyg_thread *ts)
{
    while (ts->kills) {
        PyGreenlet *g = ts->kills;
        ts->kills = g->pimpl->kill_next;
        g->pimpl->kill_next = NULL;
        ts->nkills--;
        pyg_pending_total--;
        Py_DECREF(g);
    }
}

static void pyg_dealloc(PyObject *o)
{
    PyGreenlet *g = (PyGreenlet *)o;
    PyObject_GC_UnTrack(o);
    if (PYG_UNLIKELY(!g->pimpl)) {
        /* Its construction failed. */
        if (g->weakreflist)
            PyObject_ClearWeakRefs(o);
        Py_CLEAR(g->dict);
        Py_TYPE(o)->tp_free(o);
        return;
    }
    if (g->pimpl->g && !g->pimpl->main) {
        /* Suspended; or suspended when its thread ended (libgreen then
         * marks it dead): its frames are freed there. */
        int s = green_state(g->pimpl->g);
        if ((s == GREEN_STATE_SUSPENDED ||
             (s == GREEN_STATE_DEAD && !g->pimpl->ts->alive)) &&
            !kill_suspended(g))
            return;
    }
    if (g->weakreflist)
        PyObject_ClearWeakRefs(o);
    Py_CLEAR(g->dict);
    Py_CLEAR(g->pimpl->run);
    Py_CLEAR(g->pimpl->run_started);
    pyg_state_clear(&g->pimpl->st);
    if (g->pimpl->g) {
        green_release(g->pimpl->g);
        g->pimpl->g = NULL;
    }
    if (g->pimpl->main)
        pyg_main_count--;
    Py_CLEAR(g->pimpl->parent);
    if (g->pimpl->ts) {
        ts_unref(g->pimpl->ts);
        g->pimpl->ts = NULL;
    }
    PyObject_Free(g->pimpl);
    g->pimpl = NULL;
    Py_TYPE(o)->tp_free(o);
}

static int pyg_traverse(PyObject *o, visitproc visit, void *arg)
{
    PyGreenlet *g = (PyGreenlet *)o;
    Py_VISIT(g->dict);
    struct pyg_impl *im = g->pimpl;
    if (!im)
        return 0;
    Py_VISIT(im->run);
    Py_VISIT(im->run_started);
    Py_VISIT(im->call_run);
    if (im->call_value)
        Py_VISIT(VAL_PACKED(im->call_value) ? VAL_UNPACK(im->call_value)
                                            : (PyObject *)im->call_value);
    Py_VISIT((PyObject *)im->parent);
    return pyg_state_traverse(&im->st, visit, arg);
}

static int pyg_clear(PyObject *o)
{
    PyGreenlet *g = (PyGreenlet *)o;
    Py_CLEAR(g->dict);
    if (!g->pimpl)
        return 0;
    Py_CLEAR(g->pimpl->run);
    Py_CLEAR(g->pimpl->run_started);
    if (!g->pimpl->g || green_state(g->pimpl->g) == GREEN_STATE_DEAD ||
        green_state(g->pimpl->g) == GREEN_STATE_NEW)
        pyg_state_clear(&g->pimpl->st);
    return 0;
}

/* Suspended greenlets are not collectable (their frames are alive), as in
 * greenlet; main, new and dead ones are. */
static int pyg_is_gc(PyObject *o)
{
    PyGreenlet *g = (PyGreenlet *)o;
    if (!g->pimpl || g->pimpl->main || !g->pimpl->g)
        return 1;
    int s = green_state(g->pimpl->g);
    return s == GREEN_STATE_NEW || s == GREEN_STATE_DEAD;
}

static PyObject *pyg_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    pyg_thread *ts = ts_get();
    if (!ts)
        return NULL;
    /* object.__new__ allocates (and refuses abstract subclasses). */
    PyObject *empty = PyTuple_New(0);
    if (!empty)
        return NULL;
    PyGreenlet *self =
        (PyGreenlet *)PyBaseObject_Type.tp_new(type, empty, NULL);
    Py_DECREF(empty);
    if (!self)
        return NULL;
    if (pyg_impl_new(self) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    green_attr attr = GREEN_ATTR_INIT;
    attr.stack_size = PYG_STACK_SIZE;
    attr.stack_mode = pyg_state_stack_mode(pyg_stack_mode);
    attr.userdata = self;
    int rc = green_create(&self->pimpl->g, pyg_run, ts->current->pimpl->g,
                          &attr);
    if (rc < 0) {
        self->pimpl->g = NULL;
        Py_DECREF(self);
        return raise_core_error(rc);
    }
    self->pimpl->ts = ts;
    ts->refs++;
    self->pimpl->parent = ts->current;
    Py_INCREF(self->pimpl->parent);
    return (PyObject *)self;
}

static int pyg_setrun(PyObject *o, PyObject *value, void *closure);

static int pyg_init(PyObject *o, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"run", "parent", NULL};
    PyObject *run = NULL, *parent = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OO:green", kwlist, &run,
                                     &parent))
        return -1;
    if (run && pyg_setrun(o, run, NULL) < 0)
        return -1;
    if (parent && parent != Py_None)
        return set_parent((PyGreenlet *)o, parent);
    return 0;
}

/* ---- attributes -------------------------------------------------------- */

static int is_started(PyGreenlet *g)
{
    return g->pimpl->main || green_state(g->pimpl->g) != GREEN_STATE_NEW;
}

static int is_active(PyGreenlet *g)
{
    int s = green_state(g->pimpl->g);
    return s == GREEN_STATE_RUNNING || s == GREEN_STATE_SUSPENDED;
}

static PyObject *pyg_getrun(PyObject *o, void *closure)
{
    (void)closure;
    PyGreenlet *g = (PyGreenlet *)o;
    if ((is_started(g) && !g->pimpl->starting) || !g->pimpl->run) {
        PyErr_SetString(PyExc_AttributeError, "run");
        return NULL;
    }
    Py_INCREF(g->pimpl->run);
    return g->pimpl->run;
}

static int pyg_setrun(PyObject *o, PyObject *value, void *closure)
{
    (void)closure;
    PyGreenlet *g = (PyGreenlet *)o;
    if (is_started(g)) {
        PyErr_SetString(PyExc_AttributeError,
                        "run cannot be set after the start of the greenlet");
        return -1;
    }
    PyObject *old = g->pimpl->run;
    Py_XINCREF(value);
    g->pimpl->run = value;
    Py_XDECREF(old);
    Py_CLEAR(g->pimpl->run_started);
    return 0;
}

static PyObject *pyg_getparent(PyObject *o, void *closure)
{
    (void)closure;
    PyGreenlet *g = (PyGreenlet *)o;
    PyObject *p = g->pimpl->parent ? (PyObject *)g->pimpl->parent : Py_None;
    Py_INCREF(p);
    return p;
}

static int pyg_setparent(PyObject *o, PyObject *value, void *closure)
{
    (void)closure;
    return set_parent((PyGreenlet *)o, value);
}

static int running_here(PyGreenlet *g)
{
    return tls_ts && tls_ts == g->pimpl->ts && tls_ts->current == g;
}

static PyObject *pyg_getframe(PyObject *o, void *closure)
{
    (void)closure;
    PyGreenlet *g = (PyGreenlet *)o;
    if (!g->pimpl->g || g->pimpl->main)
        Py_RETURN_NONE;
    /* A greenlet suspended when its thread ended keeps its frames until
     * it is freed (libgreen marked it dead). */
    int state = green_state(g->pimpl->g);
    if (state != GREEN_STATE_SUSPENDED &&
        !(state == GREEN_STATE_DEAD && !g->pimpl->ts->alive))
        Py_RETURN_NONE;
    return pyg_state_frame(&g->pimpl->st);
}

static PyObject *pyg_getcontext(PyObject *o, void *closure)
{
    (void)closure;
    PyGreenlet *g = (PyGreenlet *)o;
    PyObject *ctx;
    if (running_here(g)) {
        ctx = pyg_state_get_context_running();
    } else if (g->pimpl->g &&
               green_state(g->pimpl->g) == GREEN_STATE_RUNNING) {
        PyErr_SetString(PyExc_ValueError,
                        "cannot get context of a greenlet that is running "
                        "in a different thread");
        return NULL;
    } else {
        ctx = g->pimpl->st.context;
    }
    if (!ctx)
        ctx = Py_None;
    Py_INCREF(ctx);
    return ctx;
}

static int pyg_setcontext(PyObject *o, PyObject *value, void *closure)
{
    (void)closure;
    PyGreenlet *g = (PyGreenlet *)o;
    if (!value) {
        PyErr_SetString(PyExc_AttributeError, "can't delete context attribute");
        return -1;
    }
    if (value == Py_None) {
        value = NULL;
    } else if (!PyContext_CheckExact(value)) {
        PyErr_SetString(PyExc_TypeError,
                        "greenlet context must be a contextvars.Context or "
                        "None");
        return -1;
    }
    Py_XINCREF(value);
    if (running_here(g)) {
        pyg_state_set_context_running(value);
    } else if (g->pimpl->g &&
               green_state(g->pimpl->g) == GREEN_STATE_RUNNING) {
        Py_XDECREF(value);
        PyErr_SetString(PyExc_ValueError,
                        "cannot set context of a greenlet that is running in "
                        "a different thread");
        return -1;
    } else {
        PyObject *old = g->pimpl->st.context;
        g->pimpl->st.context = value;
        Py_XDECREF(old);
    }
    return 0;
}

static PyObject *pyg_getdict(PyObject *o, void *closure)
{
    (void)closure;
    PyGreenlet *g = (PyGreenlet *)o;
    if (!g->dict) {
        g->dict = PyDict_New();
        if (!g->dict)
            return NULL;
    }
    Py_INCREF(g->dict);
    return g->dict;
}

static int pyg_setdict(PyObject *o, PyObject *value, void *closure)
{
    (void)closure;
    PyGreenlet *g = (PyGreenlet *)o;
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "__dict__ may not be deleted");
        return -1;
    }
    if (!PyDict_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "__dict__ must be a dictionary");
        return -1;
    }
    PyObject *old = g->dict;
    Py_INCREF(value);
    g->dict = value;
    Py_XDECREF(old);
    return 0;
}

static const char pyg_type_doc[] =
    "greenlet(run=None, parent=None) -> greenlet\n\n"
    "A function call that can be suspended and resumed (a coroutine with its "
    "own stack), created without running it. switch() runs it until it "
    "switches away or returns; its result or exception goes to its parent.\n\n"
    " - run: the callable to run (else the subclass's run method).\n"
    " - parent: the greenlet that receives the result (default: the "
    "current one).";

/* Read-only attributes. */

static PyObject *pyg_getdead(PyObject *o, void *closure)
{
    (void)closure;
    struct pyg_impl *im = ((PyGreenlet *)o)->pimpl;
    int dead;
    if (!im->g)
        dead = 1;
    else if (green_state(im->g) == GREEN_STATE_NEW)
        dead = 0; /* even if its thread ended: another may adopt it */
    else if (!im->ts->alive)
        dead = 1;
    else
        dead = !im->main && green_state(im->g) == GREEN_STATE_DEAD;
    return PyBool_FromLong(dead);
}

/* The C stack bytes a suspended greenlet holds: the slice saved on the
 * heap (copy mode), else its stack in use when it left. 0 for a greenlet
 * that runs, never started or ended, and from another thread. */
static PyObject *pyg_getstacksaved(PyObject *o, void *closure)
{
    (void)closure;
    PyGreenlet *g = (PyGreenlet *)o;
    struct pyg_impl *im = g->pimpl;
    if (!im->g || tls_ts != im->ts || !im->ts->alive)
        return PyLong_FromLong(0);
    long n = green_stack_saved(im->g);
    if (n > 0)
        return PyLong_FromLong(n);
    int suspended = im->main ? im->ts->current != g
                             : green_state(im->g) == GREEN_STATE_SUSPENDED;
    if (!suspended || !im->stack_base || im->stack_sp >= im->stack_base)
        return PyLong_FromLong(0);
    return PyLong_FromLong((long)(im->stack_base - im->stack_sp));
}

/* 'guarded' or 'copy' once started, the requested mode before. */
static PyObject *pyg_getstackmode(PyObject *o, void *closure)
{
    (void)closure;
    green_t *h = ((PyGreenlet *)o)->pimpl->g;
    switch (h ? green_stack_mode(h) : GREEN_EINVAL) {
    case GREEN_STACK_GUARDED:
        return PyUnicode_FromString("guarded");
    case GREEN_STACK_COPY:
        return PyUnicode_FromString("copy");
    case GREEN_STACK_AUTO:
        return PyUnicode_FromString("auto");
    case GREEN_STACK_MODE_DEFAULT:
        return PyUnicode_FromString("default");
    default:
        return PyUnicode_FromString("main");
    }
}

static PyGetSetDef pyg_getsets[] = {
    {"__dict__", pyg_getdict, pyg_setdict, NULL, NULL},
    {"run", pyg_getrun, pyg_setrun,
     "The callable this greenlet runs when first switched to; deleted once "
     "it starts (setting it after that raises AttributeError).",
     NULL},
    {"parent", pyg_getparent, pyg_setparent,
     "The greenlet that receives this one's result or exception when it "
     "finishes. Settable; a cycle raises ValueError.",
     NULL},
    {"gr_frame", pyg_getframe, NULL,
     "The frame this greenlet is suspended in, or None while it runs, "
     "before it starts and after it ends.",
     NULL},
    {"gr_context", pyg_getcontext, pyg_setcontext,
     "The contextvars.Context this greenlet runs in (None: none yet).",
     NULL},
    {"dead", pyg_getdead, NULL,
     "True once this greenlet has finished (or can never run again: its "
     "thread ended).",
     NULL},
    {"_stack_saved", pyg_getstacksaved, NULL,
     "Bytes of C stack this suspended greenlet holds (its saved slice in "
     "copy mode, else its stack in use); 0 if it is not suspended.",
     NULL},
    {"_stack_mode", pyg_getstackmode, NULL,
     "libgreen's stack mode of this greenlet: 'guarded' or 'copy' once "
     "started, the requested one ('auto', 'default') before; 'main' for a "
     "main greenlet.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL}};

/* ---- methods ----------------------------------------------------------- */

static PyObject *pyg_switch_m(PyObject *self, PyObject *const *args,
                              size_t nargsf, PyObject *kwnames)
{
    void *val;
    if (value_from_call(args, PyVectorcall_NARGS(nargsf), kwnames, &val) < 0)
        return NULL;
    return do_switch((PyGreenlet *)self, val);
}

/* throw(typ, val, tb) as greenlet takes it (val and tb may be NULL). */
static PyObject *throw_parts(PyGreenlet *self, PyObject *typ, PyObject *val,
                             PyObject *tb)
{
    if (tb == Py_None)
        tb = NULL;
    if (tb && !PyTraceBack_Check(tb)) {
        PyErr_SetString(PyExc_TypeError,
                        "throw() third argument must be a traceback object");
        return NULL;
    }
    PyObject *exc;
    if (PyExceptionClass_Check(typ)) {
        PyObject *t = typ, *v = val ? val : Py_None, *tbb = tb;
        Py_INCREF(t);
        Py_INCREF(v);
        Py_XINCREF(tbb);
        PyErr_NormalizeException(&t, &v, &tbb);
        Py_XDECREF(t);
        Py_XDECREF(tbb);
        if (!v || !PyExceptionInstance_Check(v)) {
            Py_XDECREF(v);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError,
                                "exception could not be instantiated");
            return NULL;
        }
        exc = v;
    } else if (PyExceptionInstance_Check(typ)) {
        if (val && val != Py_None) {
            PyErr_SetString(PyExc_TypeError,
                            "instance exception may not have a separate "
                            "value");
            return NULL;
        }
        exc = typ;
        Py_INCREF(exc);
    } else {
        PyErr_Format(PyExc_TypeError,
                     "exceptions must be classes, or instances, not %s",
                     Py_TYPE(typ)->tp_name);
        return NULL;
    }
    if (tb)
        PyException_SetTraceback(exc, tb);
    return do_throw(self, exc);
}

static PyObject *pyg_throw_m(PyObject *self, PyObject *args)
{
    PyObject *typ = PyExc_GreenletExit, *val = NULL, *tb = NULL;
    if (!PyArg_ParseTuple(args, "|OOO:throw", &typ, &val, &tb))
        return NULL;
    return throw_parts((PyGreenlet *)self, typ, val, tb);
}

static PyObject *pyg_getstate_m(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyErr_Format(PyExc_TypeError, "cannot serialize '%s' object",
                 Py_TYPE(self)->tp_name);
    return NULL;
}

static PyMethodDef pyg_methods[] = {
    {"switch", (PyCFunction)(void (*)(void))pyg_switch_m,
     METH_FASTCALL | METH_KEYWORDS,
     "switch(*args, **kwargs)\n\nSwitch execution to this greenlet."},
    {"throw", pyg_throw_m, METH_VARARGS,
     "throw(typ=GreenletExit, val=None, tb=None)\n\nSwitch to this greenlet "
     "and raise the exception in it."},
    {"__getstate__", pyg_getstate_m, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

/* ---- slots ------------------------------------------------------------- */

static int pyg_bool(PyObject *o)
{
    PyGreenlet *g = (PyGreenlet *)o;
    return g->pimpl->g && g->pimpl->ts->alive && is_active(g);
}

static Py_hash_t pyg_hash(PyObject *o) { return _Py_HashPointer(o); }

static PyObject *pyg_richcompare(PyObject *a, PyObject *b, int op)
{
    if (op == Py_EQ || op == Py_NE) {
        int eq = a == b;
        PyObject *r = (op == Py_EQ) == eq ? Py_True : Py_False;
        Py_INCREF(r);
        return r;
    }
    Py_RETURN_NOTIMPLEMENTED;
}

static PyObject *pyg_repr(PyObject *o)
{
    PyGreenlet *g = (PyGreenlet *)o;
    const char *tp_name = Py_TYPE(o)->tp_name;
    if (!g->pimpl->g)
        return PyUnicode_FromFormat("<%s object at %p (otid=%p) dead>",
                                    tp_name, o, (void *)g->pimpl->ts);
    int state = green_state(g->pimpl->g);
    int alive = g->pimpl->ts->alive || state == GREEN_STATE_NEW;
    if (!alive || state == GREEN_STATE_DEAD)
        return PyUnicode_FromFormat("<%s object at %p (otid=%p) %sdead>",
                                    tp_name, o, (void *)g->pimpl->ts,
                                    alive ? "" : "(thread exited) ");
    int started = is_started(g);
    const char *where = running_here(g) ? " current"
                        : started      ? " suspended"
                                       : "";
    if (state == GREEN_STATE_RUNNING && !running_here(g))
        where = " suspended"; /* current in another thread */
    return PyUnicode_FromFormat(
        "<%s object at %p (otid=%p)%s%s%s%s>", tp_name, o,
        started ? (void *)g->pimpl->ts : NULL, where,
        is_active(g) ? " active" : "",
        started ? " started" : " pending", g->pimpl->main ? " main" : "");
}

/* ---- module functions -------------------------------------------------- */

/* Py_IsFinalizing() is public from 3.13 on. */
#if PY_VERSION_HEX < 0x030D0000
#define pyg_finalizing() _Py_IsFinalizing()
#else
#define pyg_finalizing() Py_IsFinalizing()
#endif

static PyObject *pyg_getcurrent(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    if (PYG_UNLIKELY(pyg_finalizing())) {
        /* As greenlet: the interpreter is shutting down (a __del__ run by
         * its last collection), the per-thread state may be gone. */
        PyErr_SetString(PyExc_RuntimeError,
                        "greenlet.getcurrent() called while the interpreter "
                        "is finalizing");
        return NULL;
    }
    pyg_thread *ts = ts_get();
    if (!ts)
        return NULL;
    Py_INCREF(ts->current);
    return (PyObject *)ts->current;
}

static PyObject *pyg_settrace(PyObject *m, PyObject *func)
{
    (void)m;
    pyg_thread *ts = ts_get();
    if (!ts)
        return NULL;
    PyObject *old = ts->tracefunc;
    if (func == Py_None) {
        ts->tracefunc = NULL;
    } else {
        Py_INCREF(func);
        ts->tracefunc = func;
    }
    if (!old)
        Py_RETURN_NONE;
    return old;
}

static PyObject *pyg_gettrace(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    pyg_thread *ts = ts_get();
    if (!ts)
        return NULL;
    PyObject *f = ts->tracefunc ? ts->tracefunc : Py_None;
    Py_INCREF(f);
    return f;
}

static PyObject *pyg_pending_cleanup_count(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    return PyLong_FromLong(pyg_pending_total);
}

static PyObject *pyg_total_main_greenlets(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    return PyLong_FromLong(pyg_main_count);
}

static PyObject *pyg_trash_nesting(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    return PyLong_FromLong(pyg_state_trash_nesting());
}

static PyObject *pyg_chunk_next_size(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    return PyLong_FromLong(pyg_state_chunk_next_size());
}

static PyObject *pyg_chunk_stats(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    long a, f;
    int c;
    pyg_state_chunk_stats(&a, &f, &c);
    return Py_BuildValue("(lli)", a, f, c);
}

static PyObject *pyg_set_thread_local(PyObject *m, PyObject *args)
{
    (void)m;
    PyObject *key, *value;
    if (!PyArg_ParseTuple(args, "OO:set_thread_local", &key, &value))
        return NULL;
    PyObject *d = PyThreadState_GetDict();
    if (!d) {
        PyErr_SetString(PyExc_RuntimeError, "no thread state dict");
        return NULL;
    }
    if (PyDict_SetItem(d, key, value) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static const char *const stack_mode_names[] = {"default", "guarded", "copy",
                                              "auto"};

static PyObject *pyg_set_stack_mode(PyObject *m, PyObject *arg)
{
    (void)m;
    const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
    if (!name) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "stack mode must be a str, not %s",
                         Py_TYPE(arg)->tp_name);
        return NULL;
    }
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, stack_mode_names[i]) == 0) {
            int old = pyg_stack_mode;
            pyg_stack_mode = i;
            return PyUnicode_FromString(stack_mode_names[old]);
        }
    }
    PyErr_Format(PyExc_ValueError,
                 "unknown stack mode %R (default, guarded, copy or auto)",
                 arg);
    return NULL;
}

static PyMethodDef pyg_module_methods[] = {
    {"set_stack_mode", pyg_set_stack_mode, METH_O,
     "set_stack_mode(mode) -> previous mode\n\nThe stack mode of greenlets "
     "created from now on: 'guarded' (a C stack of their own with a guard "
     "page), 'copy' (the thread's shared stack, saved to the heap while "
     "suspended: no limit on how many), 'auto' (the default: guarded while "
     "fewer than 512 greenlets are started and unfinished, copy beyond and "
     "when no stack can be mapped) or 'default' (libgreen's default, see "
     "GREEN_STACK_MODE)."},
    {"set_thread_local", pyg_set_thread_local, METH_VARARGS,
     "set_thread_local(key, value): stores value in this thread's state "
     "dict (dropped when the thread ends)."},
    {"getcurrent", pyg_getcurrent, METH_NOARGS,
     "getcurrent() -> greenlet\n\nThe greenlet running in this thread."},
    {"settrace", pyg_settrace, METH_O,
     "settrace(callback) -> previous callback\n\nCalled as callback(event, "
     "(origin, target)) on every switch ('switch') and throw ('throw') of "
     "this thread."},
    {"gettrace", pyg_gettrace, METH_NOARGS,
     "gettrace() -> the settrace() callback of this thread, or None"},
    {"get_pending_cleanup_count", pyg_pending_cleanup_count, METH_NOARGS,
     "Greenlets released on another thread, waiting to be killed in their "
     "own."},
    {"get_total_main_greenlets", pyg_total_main_greenlets, METH_NOARGS,
     "Main greenlets (one per thread that used greenlets) still alive."},
    {"get_tstate_trash_delete_nesting", pyg_trash_nesting, METH_NOARGS, NULL},
    {"_inject_switch_error", pyg_inject_switch_error, METH_VARARGS,
     "_inject_switch_error(g, point, enabled): makes switches to g fail "
     "(1: refused, nothing changes; 2: after the state was saved, which "
     "aborts the process). For tests (UnswitchableGreenlet)."},
    {"_chunk_next_size", pyg_chunk_next_size, METH_NOARGS,
     "The size of the data stack chunk the next greenlet to start gets."},
    {"_chunk_stats", pyg_chunk_stats, METH_NOARGS,
     "(allocated, freed, cached): the interpreter data stack chunks the "
     "binding allocated and freed, and those cached in this thread."},
    {NULL, NULL, 0, NULL}};

/* ---- the C API of greenlet.h (the greenlet._C_API capsule) ------------ */

/* Entries as greenlet's: a wrong object type raises TypeError (the
 * "bad argument" of PyErr_BadArgument) and returns NULL or -1. */
static int capi_check(PyGreenlet *g)
{
    if (PYG_LIKELY(g && PyGreenlet_Check(g) && g->pimpl))
        return 0;
    PyErr_BadArgument();
    return -1;
}

static PyGreenlet *capi_new(PyObject *run, PyGreenlet *parent)
{
    PyObject *empty = PyTuple_New(0);
    if (!empty)
        return NULL;
    PyObject *o = pyg_new(pyg_type, empty, NULL);
    Py_DECREF(empty);
    if (!o)
        return NULL;
    if ((run && pyg_setrun(o, run, NULL) < 0) ||
        (parent && (PyObject *)parent != Py_None &&
         set_parent((PyGreenlet *)o, (PyObject *)parent) < 0)) {
        Py_DECREF(o);
        return NULL;
    }
    return (PyGreenlet *)o;
}

static PyGreenlet *capi_getcurrent(void)
{
    if (PYG_UNLIKELY(pyg_finalizing())) {
        PyErr_SetString(PyExc_RuntimeError, "greenlet is being finalized");
        return NULL;
    }
    pyg_thread *ts = ts_get();
    if (!ts)
        return NULL;
    Py_INCREF(ts->current);
    return ts->current;
}

static PyObject *capi_throw(PyGreenlet *self, PyObject *typ, PyObject *val,
                            PyObject *tb)
{
    if (capi_check(self) < 0)
        return NULL;
    if (!typ) {
        PyErr_SetString(PyExc_TypeError,
                        "PyGreenlet_Throw: an exception type is required");
        return NULL;
    }
    return throw_parts(self, typ, val, tb);
}

/* switch(*args, **kwargs); args NULL is no arguments, kwargs that is not
 * a dict is ignored (as greenlet). */
static PyObject *capi_switch(PyGreenlet *self, PyObject *args,
                             PyObject *kwargs)
{
    if (capi_check(self) < 0)
        return NULL;
    if (args && !PyTuple_Check(args)) {
        PyErr_Format(PyExc_TypeError,
                     "PyGreenlet_Switch: args must be a tuple, not %s",
                     Py_TYPE(args)->tp_name);
        return NULL;
    }
    if (kwargs && (!PyDict_Check(kwargs) || PyDict_GET_SIZE(kwargs) == 0))
        kwargs = NULL;
    Py_ssize_t nargs = args ? PyTuple_GET_SIZE(args) : 0;
    void *val;
    if (!kwargs && nargs <= 1) {
        val = nargs ? PyTuple_GET_ITEM(args, 0) : NULL;
        Py_XINCREF((PyObject *)val);
    } else {
        PyObject *a = args ? (Py_INCREF(args), args) : PyTuple_New(0);
        if (!a)
            return NULL;
        PyObject *pack = PyTuple_Pack(2, a, kwargs ? kwargs : Py_None);
        Py_DECREF(a);
        if (!pack)
            return NULL;
        val = VAL_PACK(pack);
    }
    return do_switch(self, val);
}

static int capi_setparent(PyGreenlet *g, PyGreenlet *nparent)
{
    if (capi_check(g) < 0)
        return -1;
    return set_parent(g, (PyObject *)nparent);
}

static int capi_main(PyGreenlet *g)
{
    if (capi_check(g) < 0)
        return -1;
    return g->pimpl->main;
}

static int capi_started(PyGreenlet *g)
{
    if (capi_check(g) < 0)
        return -1;
    return g->pimpl->g ? is_started(g) : 0;
}

static int capi_active(PyGreenlet *g)
{
    if (capi_check(g) < 0)
        return -1;
    return g->pimpl->g && g->pimpl->ts->alive && is_active(g);
}

/* A new reference to the parent; NULL without an exception for a main
 * greenlet. */
static PyGreenlet *capi_getparent(PyGreenlet *g)
{
    if (capi_check(g) < 0)
        return NULL;
    Py_XINCREF(g->pimpl->parent);
    return g->pimpl->parent;
}

/* In greenlet.h's order (PyGreenlet_*_NUM). */
static void *pyg_c_api[12];

static PyObject *pyg_capi_capsule(PyTypeObject *type)
{
    pyg_c_api[0] = type;
    pyg_c_api[1] = PyExc_GreenletError;
    pyg_c_api[2] = PyExc_GreenletExit;
    pyg_c_api[3] = (void *)capi_new;
    pyg_c_api[4] = (void *)capi_getcurrent;
    pyg_c_api[5] = (void *)capi_throw;
    pyg_c_api[6] = (void *)capi_switch;
    pyg_c_api[7] = (void *)capi_setparent;
    pyg_c_api[8] = (void *)capi_main;
    pyg_c_api[9] = (void *)capi_started;
    pyg_c_api[10] = (void *)capi_active;
    pyg_c_api[11] = (void *)capi_getparent;
    return PyCapsule_New(pyg_c_api, "greenlet._C_API", NULL);
}

/* Called from the module's init (libgreen.i): finishes the type SWIG made
 * and adds the module-level names. */
static int pyg_module_init(PyObject *m, PyTypeObject *type,
                           swig_type_info *swig_type)
{
    pyg_type = type;
    (void)swig_type;
    if (getenv("GREEN_STACK_MODE"))
        pyg_stack_mode = GREEN_STACK_MODE_DEFAULT;
    /* The type is greenlet.greenlet, as in the greenlet package. */
    type->tp_name = "greenlet.greenlet";
    /* SWIG derives builtin types from its SwigPyObject type and gives them
     * its metatype; greenlet.greenlet derives from object only, and nothing
     * of SwigPyObject shows: not its methods, not int(g) giving the
     * pointer. */
    PyTypeObject *swig_base = type->tp_base;
    if (swig_base && swig_base != &PyBaseObject_Type) {
        PyNumberMethods *n = type->tp_as_number, *b = swig_base->tp_as_number;
        if (n && b) {
            if (n->nb_int == b->nb_int)
                n->nb_int = NULL;
            if (n->nb_index == b->nb_index)
                n->nb_index = NULL;
            if (n->nb_float == b->nb_float)
                n->nb_float = NULL;
        }
        if (swig_base->tp_str && type->tp_str == swig_base->tp_str)
            type->tp_str = NULL;
        PyObject *bases = PyTuple_Pack(1, (PyObject *)&PyBaseObject_Type);
        PyObject *mro = PyTuple_Pack(2, (PyObject *)type,
                                     (PyObject *)&PyBaseObject_Type);
        if (!bases || !mro)
            return -1;
        Py_INCREF(&PyBaseObject_Type);
        type->tp_base = &PyBaseObject_Type;
        Py_XSETREF(type->tp_bases, bases);
        Py_XSETREF(type->tp_mro, mro);
        Py_DECREF(swig_base);
        PyTypeObject *meta = Py_TYPE(type);
        if (meta != &PyType_Type) {
            Py_INCREF(&PyType_Type);
            Py_SET_TYPE(type, &PyType_Type);
            Py_DECREF(meta);
        }
    }
    PyObject *d = type->tp_dict;
    PyDict_DelItemString(d, "this");
    PyDict_DelItemString(d, "thisown");
    PyErr_Clear();
    PyObject *modname = PyUnicode_FromString("greenlet");
    if (!modname || PyDict_SetItemString(d, "__module__", modname) < 0)
        return -1;
    Py_DECREF(modname);
    type->tp_doc = pyg_type_doc;
    PyObject *doc = PyUnicode_FromString(pyg_type_doc);
    if (!doc || PyDict_SetItemString(d, "__doc__", doc) < 0)
        return -1;
    Py_DECREF(doc);
    for (PyMethodDef *md = pyg_methods; md->ml_name; md++) {
        PyObject *descr = PyDescr_NewMethod(type, md);
        if (!descr || PyDict_SetItemString(d, md->ml_name, descr) < 0)
            return -1;
        Py_DECREF(descr);
    }
    for (PyGetSetDef *gs = pyg_getsets; gs->name; gs++) {
        PyObject *descr = PyDescr_NewGetSet(type, gs);
        if (!descr || PyDict_SetItemString(d, gs->name, descr) < 0)
            return -1;
        Py_DECREF(descr);
    }

    PyExc_GreenletError = PyErr_NewExceptionWithDoc(
        "greenlet.error", "An internal greenlet error (such as a switch to "
                          "another thread's greenlet).", NULL, NULL);
    PyExc_GreenletExit = PyErr_NewExceptionWithDoc(
        "greenlet.GreenletExit", "Thrown into a greenlet to kill it; it "
        "finishes normally if it does not catch it.",
        PyExc_BaseException, NULL);
    if (!PyExc_GreenletError || !PyExc_GreenletExit)
        return -1;
    for (PyMethodDef *md = pyg_module_methods; md->ml_name; md++) {
        PyObject *f = PyCFunction_NewEx(md, NULL, NULL);
        if (!f || PyModule_AddObject(m, md->ml_name, f) < 0)
            return -1;
    }
    PyObject *capsule = pyg_capi_capsule(type);
    if (!capsule || PyModule_AddObject(m, "_C_API", capsule) < 0) {
        Py_XDECREF(capsule);
        return -1;
    }
    Py_INCREF(PyExc_GreenletError);
    Py_INCREF(PyExc_GreenletExit);
    if (PyModule_AddObject(m, "error", PyExc_GreenletError) < 0 ||
        PyModule_AddObject(m, "GreenletExit", PyExc_GreenletExit) < 0)
        return -1;
    /* greenlet's class attributes. */
    const char *names[] = {"getcurrent", "settrace", "gettrace", "error",
                           "GreenletExit", NULL};
    for (int i = 0; names[i]; i++) {
        PyObject *v = PyObject_GetAttrString(m, names[i]);
        if (!v)
            return -1;
        if (PyDict_SetItemString(d, names[i], v) < 0)
            return -1;
        Py_DECREF(v);
    }
    PyType_Modified(type);
    return 0;
}
