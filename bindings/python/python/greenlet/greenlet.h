/* SPDX-License-Identifier: MIT */
/*
 * greenlet.h - the C API of the greenlet module, as libgreen's drop-in
 * provides it.
 *
 * Binary-compatible with the header of the greenlet package: an extension
 * built against either one runs on either implementation. It declares
 *
 *  - PyGreenlet, the object's layout: the object header, the weak
 *    reference list, the instance dict and one pointer to the rest (40
 *    bytes on 64-bit). A C subclass of greenlet.greenlet (gevent's Greenlet
 *    and Hub) puts its own fields after it.
 *  - the table of the capsule greenlet._C_API, which PyGreenlet_Import()
 *    loads into _PyGreenlet_API (one table per compilation unit), and
 *    macros that call through it.
 *
 * The entries, with their errors (each raises TypeError for an object
 * that is not a greenlet):
 *   PyGreenlet_New(run, parent)     new greenlet (run, parent may be NULL)
 *   PyGreenlet_GetCurrent()         new reference to the current greenlet;
 *                                   RuntimeError while Python finalizes
 *   PyGreenlet_Throw(g, typ, val, tb)   g.throw(typ, val, tb)
 *   PyGreenlet_Switch(g, args, kwargs)  g.switch(*args, **kwargs); args
 *                                   NULL means none, kwargs may be NULL
 *   PyGreenlet_SetParent(g, parent) 0, or -1 with an exception
 *   PyGreenlet_GetParent(g)         new reference, or NULL without an
 *                                   exception for a main greenlet
 *   PyGreenlet_MAIN/STARTED/ACTIVE(g)   1 or 0, -1 with an exception
 */
#ifndef Py_GREENLETOBJECT_H
#define Py_GREENLETOBJECT_H

#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kept for code that tests it; it does not change. */
#define GREENLET_VERSION "1.0.0"

typedef struct _greenlet {
    PyObject_HEAD
    PyObject *weakreflist;
    PyObject *dict;
    void *pimpl; /* the implementation's own state */
} PyGreenlet;

#define PyGreenlet_Check(op) \
    ((op) && PyObject_TypeCheck((op), &PyGreenlet_Type))

/* The capsule's table: its length and the index of each entry. */
#define PyGreenlet_API_pointers 12
#define PyGreenlet_Type_NUM 0
#define PyExc_GreenletError_NUM 1
#define PyExc_GreenletExit_NUM 2
#define PyGreenlet_New_NUM 3
#define PyGreenlet_GetCurrent_NUM 4
#define PyGreenlet_Throw_NUM 5
#define PyGreenlet_Switch_NUM 6
#define PyGreenlet_SetParent_NUM 7
#define PyGreenlet_MAIN_NUM 8
#define PyGreenlet_STARTED_NUM 9
#define PyGreenlet_ACTIVE_NUM 10
#define PyGreenlet_GET_PARENT_NUM 11

static void **_PyGreenlet_API = NULL;

#define PyGreenlet_Type \
    (*(PyTypeObject *)_PyGreenlet_API[PyGreenlet_Type_NUM])
#define PyExc_GreenletError \
    ((PyObject *)_PyGreenlet_API[PyExc_GreenletError_NUM])
#define PyExc_GreenletExit \
    ((PyObject *)_PyGreenlet_API[PyExc_GreenletExit_NUM])

#define PyGreenlet_New                                        \
    (*(PyGreenlet * (*)(PyObject *, PyGreenlet *))           \
         _PyGreenlet_API[PyGreenlet_New_NUM])
#define PyGreenlet_GetCurrent \
    (*(PyGreenlet * (*)(void)) _PyGreenlet_API[PyGreenlet_GetCurrent_NUM])
#define PyGreenlet_Throw                                                   \
    (*(PyObject * (*)(PyGreenlet *, PyObject *, PyObject *, PyObject *)) \
         _PyGreenlet_API[PyGreenlet_Throw_NUM])
#define PyGreenlet_Switch                                        \
    (*(PyObject * (*)(PyGreenlet *, PyObject *, PyObject *))   \
         _PyGreenlet_API[PyGreenlet_Switch_NUM])
#define PyGreenlet_SetParent                     \
    (*(int (*)(PyGreenlet *, PyGreenlet *))      \
         _PyGreenlet_API[PyGreenlet_SetParent_NUM])
#define PyGreenlet_GetParent                  \
    (*(PyGreenlet * (*)(PyGreenlet *))        \
         _PyGreenlet_API[PyGreenlet_GET_PARENT_NUM])
#define PyGreenlet_GET_PARENT PyGreenlet_GetParent
#define PyGreenlet_MAIN \
    (*(int (*)(PyGreenlet *))_PyGreenlet_API[PyGreenlet_MAIN_NUM])
#define PyGreenlet_STARTED \
    (*(int (*)(PyGreenlet *))_PyGreenlet_API[PyGreenlet_STARTED_NUM])
#define PyGreenlet_ACTIVE \
    (*(int (*)(PyGreenlet *))_PyGreenlet_API[PyGreenlet_ACTIVE_NUM])

/* Loads the table (imports greenlet); leaves _PyGreenlet_API NULL with an
 * exception set if that fails. */
#define PyGreenlet_Import()                                                \
    {                                                                      \
        _PyGreenlet_API = (void **)PyCapsule_Import("greenlet._C_API", 0); \
    }

#ifdef __cplusplus
}
#endif
#endif /* !Py_GREENLETOBJECT_H */
