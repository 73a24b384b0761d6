/* SPDX-License-Identifier: MIT */
/*
 * libgreen.i - SWIG interface of the Python binding.
 *
 * SWIG generates the extension module libgreen._core with -builtin: the
 * wrappers of libgreen's informational C API and constants, and the
 * greenlet type as a SWIG builtin type whose slots and hot methods are the
 * hand-written functions of src/greenlet_type.c (switch, throw, getcurrent
 * and the attributes need greenlet's exact calling conventions and must be
 * fast). The C struct is called PyGreenlet so that SWIG's %extend helpers
 * (PyGreenlet_<name>) cannot clash with the C API's green_* names.
 */
%module(package="libgreen",
        docstring="libgreen's C API and the greenlet type (SWIG builtin).") core

%{
#define PY_SSIZE_T_CLEAN
#include "green.h"
#include "greenlet_type.c"

/* %extend helpers of the greenlet type (read-only attributes). */
static bool PyGreenlet_dead_get(PyGreenlet *self)
{
    if (!self->pimpl->g)
        return true;
    int state = green_state(self->pimpl->g);
    /* A new greenlet is not dead, even if its thread ended: another
     * thread may adopt it. */
    if (state == GREEN_STATE_NEW)
        return false;
    if (!self->pimpl->ts->alive)
        return true;
    return !self->pimpl->main && state == GREEN_STATE_DEAD;
}

/* The C stack bytes a suspended greenlet holds: the slice saved on the
 * heap (copy mode), else its stack in use when it left. 0 for a greenlet
 * that runs, never started or ended, and from another thread. */
static long PyGreenlet__stack_saved_get(PyGreenlet *self)
{
    if (!self->pimpl->g || tls_ts != self->pimpl->ts ||
        !self->pimpl->ts->alive)
        return 0;
    long n = green_stack_saved(self->pimpl->g);
    if (n > 0)
        return n;
    int suspended =
        self->pimpl->main
            ? self->pimpl->ts->current != self
            : green_state(self->pimpl->g) == GREEN_STATE_SUSPENDED;
    if (!suspended || !self->pimpl->stack_base ||
        self->pimpl->stack_sp >= self->pimpl->stack_base)
        return 0;
    return (long)(self->pimpl->stack_base - self->pimpl->stack_sp);
}

/* 'guarded' or 'copy' once started, the requested mode before. */
static const char *PyGreenlet__stack_mode_get(PyGreenlet *self)
{
    int m = self->pimpl->g ? green_stack_mode(self->pimpl->g) : GREEN_EINVAL;
    switch (m) {
    case GREEN_STACK_GUARDED:
        return "guarded";
    case GREEN_STACK_COPY:
        return "copy";
    case GREEN_STACK_AUTO:
        return "auto";
    case GREEN_STACK_MODE_DEFAULT:
        return "default";
    default:
        return "main";
    }
}

%}

/* ---- the C API: versions, error names, constants ----------------------- */

#define GREEN_API
%ignore green_attr;
%ignore green_attr_init;
%ignore green_create;
%ignore green_retain;
%ignore green_release;
%ignore green_current;
%ignore green_main;
%ignore green_switch;
%ignore green_throw;
%ignore green_throw_exit;
%ignore green_get_parent;
%ignore green_set_parent;
%ignore green_state;
%ignore green_is_main;
%ignore green_get_userdata;
%ignore green_set_userdata;
%ignore green_hook_add;
%ignore green_hook_remove;
%ignore green_stack_mode;
%ignore GREEN_STACK_MAX;
%ignore GREEN_ATTR_INIT;
%ignore GREEN_H;
%include "green.h"

/* ---- the greenlet type -------------------------------------------------- */

%feature("python:tp_basicsize") PyGreenlet "sizeof(PyGreenlet)";
%feature("python:tp_flags") PyGreenlet
    "Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC";
%feature("python:tp_new") PyGreenlet "pyg_new";
%feature("python:tp_init") PyGreenlet "pyg_init";
%feature("python:tp_dealloc") PyGreenlet "pyg_dealloc";
%feature("python:tp_free") PyGreenlet "PyObject_GC_Del";
%feature("python:tp_traverse") PyGreenlet "pyg_traverse";
%feature("python:tp_clear") PyGreenlet "pyg_clear";
%feature("python:tp_is_gc") PyGreenlet "pyg_is_gc";
%feature("python:tp_repr") PyGreenlet "pyg_repr";
%feature("python:tp_hash") PyGreenlet "pyg_hash";
%feature("python:tp_richcompare") PyGreenlet "pyg_richcompare";
%feature("python:nb_nonzero") PyGreenlet "pyg_bool";
%feature("python:tp_weaklistoffset") PyGreenlet
    "offsetof(PyGreenlet, weakreflist)";
%feature("python:tp_dictoffset") PyGreenlet "offsetof(PyGreenlet, dict)";
%feature("python:tp_doc") PyGreenlet
    "greenlet(run=None, parent=None) -> greenlet\n\n"
    "Creates a new greenlet object (without running it).\n\n"
    " - *run* -- The callable to invoke.\n"
    " - *parent* -- The parent greenlet. The default is the current greenlet.";

/* The attribute descriptors already checked that self is a greenlet: the
 * %extend helpers get the object itself, without SWIG's pointer lookup. */
%typemap(in) struct PyGreenlet *, PyGreenlet * "$1 = (PyGreenlet *)$input;";

%rename(greenlet) PyGreenlet;
%nodefaultctor PyGreenlet;
%nodefaultdtor PyGreenlet;
%immutable;
typedef struct PyGreenlet {
    %extend {
        const bool dead;
        const long _stack_saved;
        const char *_stack_mode;
    }
} PyGreenlet;
%mutable;

%init %{
    if (pyg_module_init(m, (PyTypeObject *)&SwigPyBuiltin__PyGreenlet_type,
                        SWIGTYPE_p_PyGreenlet) < 0)
        return NULL;
%}
