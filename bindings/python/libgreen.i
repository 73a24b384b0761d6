/* SPDX-License-Identifier: MIT */
/*
 * libgreen.i - SWIG interface of the Python binding.
 *
 * SWIG generates the extension module libgreen._core with -builtin: the
 * wrappers of libgreen's informational C API and constants, and the
 * greenlet type as a SWIG builtin type whose slots, methods, attributes and
 * docstrings are the hand-written ones of src/greenlet_type.c (they need
 * greenlet's exact calling conventions and must be fast).
 */
%module(package="libgreen",
        docstring="libgreen's C API and the greenlet type (SWIG builtin).") core

%{
#define PY_SSIZE_T_CLEAN
#include "green.h"
#include "greenlet_type.c"
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

%rename(greenlet) PyGreenlet;
%nodefaultctor PyGreenlet;
%nodefaultdtor PyGreenlet;
typedef struct PyGreenlet {
} PyGreenlet;

%init %{
    if (pyg_module_init(m, (PyTypeObject *)&SwigPyBuiltin__PyGreenlet_type,
                        SWIGTYPE_p_PyGreenlet) < 0)
        return NULL;
%}
