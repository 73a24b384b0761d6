# SPDX-License-Identifier: MIT
"""greenlet's object layout and the greenlet._C_API capsule (greenlet.h),
called here through ctypes as an extension calls them through the
header's macros. Run on PyPI's greenlet too (GREEN_TEST_REFERENCE=1): the
semantics and errors are greenlet's."""
import ctypes
import os
import struct
import sys
import threading
import time

import pytest

import greenlet
from conftest import libgreen_only

PTR = struct.calcsize("P")
is64 = PTR == 8
obj = ctypes.py_object


def c_api():
    """The capsule's twelve entries, as ctypes functions holding the GIL."""
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [obj, ctypes.c_char_p]
    table = (ctypes.c_void_p * 12).from_address(
        get(greenlet._C_API, b"greenlet._C_API"))
    P = ctypes.PYFUNCTYPE
    vp = ctypes.c_void_p
    return {
        "type": table[0], "error": table[1], "exit": table[2],
        "New": P(obj, obj, obj)(table[3]),
        "GetCurrent": P(obj)(table[4]),
        "Throw": P(obj, obj, obj, vp, vp)(table[5]),
        "Switch": P(obj, obj, vp, vp)(table[6]),
        "SetParent": P(ctypes.c_int, obj, obj)(table[7]),
        "MAIN": P(ctypes.c_int, obj)(table[8]),
        "STARTED": P(ctypes.c_int, obj)(table[9]),
        "ACTIVE": P(ctypes.c_int, obj)(table[10]),
        # A NULL result without an exception is allowed: read it raw.
        "GetParent": P(vp, obj)(table[11]),
    }


@pytest.mark.skipif(not is64, reason="greenlet's layout figures are 64-bit")
def test_layout_is_greenlets():
    t = greenlet.greenlet
    assert t.__basicsize__ == 40
    assert t.__weakrefoffset__ == 16
    assert t.__dictoffset__ == 24


def test_capsule_table_order():
    api = c_api()
    assert api["type"] == id(greenlet.greenlet)
    assert api["error"] == id(greenlet.error)
    assert api["exit"] == id(greenlet.GreenletExit)
    assert greenlet._C_API is greenlet._greenlet._C_API


def test_getcurrent_switch_new():
    api = c_api()
    assert api["GetCurrent"]() is greenlet.getcurrent()
    g = greenlet.greenlet(lambda *a, **k: (a, k))
    assert api["Switch"](g, None, None) == ((), {})
    g = greenlet.greenlet(lambda *a, **k: (a, k))
    args, kw = (1, 2), {"x": 3}
    assert api["Switch"](g, id(args), id(kw)) == ((1, 2), {"x": 3})
    g = greenlet.greenlet(lambda x: x * 2)
    one = (21,)
    assert api["Switch"](g, id(one), None) == 42
    g = api["New"](lambda: "ran", None)
    assert isinstance(g, greenlet.greenlet)
    assert g.parent is greenlet.getcurrent()
    assert api["STARTED"](g) == 0 and api["ACTIVE"](g) == 0
    assert g.switch() == "ran"
    assert api["STARTED"](g) == 1 and api["ACTIVE"](g) == 0
    assert g.dead


def test_switch_back_and_forth():
    api = c_api()
    main = greenlet.getcurrent()

    def run():
        assert api["GetParent"](greenlet.getcurrent()) == id(main)
        assert api["ACTIVE"](greenlet.getcurrent()) == 1
        return main.switch("first") + 1
    g = greenlet.greenlet(run)
    assert api["Switch"](g, None, None) == "first"
    n = (41,)
    assert api["Switch"](g, id(n), None) == 42


def test_new_with_parent_and_setparent():
    api = c_api()
    p = greenlet.greenlet(lambda x: ("parent got", x))
    g = api["New"](lambda: "child", p)
    assert g.parent is p
    assert g.switch() == ("parent got", "child")
    a = greenlet.greenlet(lambda: None)
    b = greenlet.greenlet(lambda: None)
    assert api["SetParent"](a, b) == 0 and a.parent is b
    with pytest.raises(ValueError, match="cyclic parent chain"):
        api["SetParent"](b, a)
    assert b.parent is greenlet.getcurrent()


def test_main_greenlet():
    api = c_api()
    main = greenlet.getcurrent()
    assert main.parent is None
    assert api["MAIN"](main) == 1
    assert api["STARTED"](main) == 1 and api["ACTIVE"](main) == 1
    # No parent: NULL, and no exception raised.
    assert api["GetParent"](main) is None
    assert api["MAIN"](greenlet.greenlet()) == 0


def test_throw():
    api = c_api()
    seen = []

    def run():
        try:
            greenlet.getcurrent().parent.switch()
        except ValueError as e:
            seen.append(str(e))
            return "caught"
    g = greenlet.greenlet(run)
    g.switch()
    msg = "thrown through the C API"
    assert api["Throw"](g, ValueError, id(msg), None) == "caught"
    assert seen == [msg]
    # Into a greenlet that never started: it dies without running.
    g = greenlet.greenlet(lambda: seen.append("ran"))
    with pytest.raises(KeyError):
        api["Throw"](g, KeyError, None, None)
    assert g.dead and seen == [msg]


@pytest.mark.parametrize("name", ["Switch", "Throw", "SetParent", "MAIN",
                                  "STARTED", "ACTIVE", "GetParent"])
def test_not_a_greenlet_is_a_type_error(name):
    api = c_api()
    f = api[name]
    args = {"Switch": (None, None), "Throw": (ValueError, None, None),
            "SetParent": (greenlet.getcurrent(),)}.get(name, ())
    with pytest.raises(TypeError):
        f("not a greenlet", *args)


def test_switch_to_another_threads_greenlet_is_refused():
    api = c_api()
    done = threading.Event()
    started = []

    def other():
        g = greenlet.greenlet(lambda: greenlet.getcurrent().parent.switch())
        g.switch()
        started.append(g)
        done.wait(10)
    t = threading.Thread(target=other)
    t.start()
    try:
        while not started and t.is_alive():
            time.sleep(0.001)
        with pytest.raises(greenlet.error):
            api["Switch"](started[0], None, None)
        assert api["ACTIVE"](started[0]) == 1
    finally:
        done.set()
        t.join()


@pytest.mark.skipif(not is64, reason="greenlet's layout figures are 64-bit")
def test_subclass_fields_after_the_header():
    """A subclass's own fields start at byte 40, as a C subclass built
    against greenlet.h lays them out (here __slots__, whose first slot
    CPython puts right after the base's size); the greenlet's own state
    never touches them, across switches."""
    class Sub(greenlet.greenlet):
        __slots__ = ("a", "b")
    assert Sub.__basicsize__ == 40 + 2 * PTR
    a, b = object(), object()
    g = Sub(lambda: greenlet.getcurrent().parent.switch("in") or "out")
    g.a, g.b = a, b

    def raw(off):
        return ctypes.c_void_p.from_address(id(g) + off).value
    assert (raw(40), raw(48)) == (id(a), id(b))
    assert g.switch() == "in"
    assert (raw(40), raw(48)) == (id(a), id(b))
    assert g.switch() == "out" and g.dead
    assert g.a is a and g.b is b


@libgreen_only
def test_header_is_shipped():
    here = os.path.dirname(greenlet.__file__)
    h = os.path.join(here, "greenlet.h")
    with open(h) as f:
        text = f.read()
    for name in ("PyGreenlet_Import", "PyGreenlet_Switch",
                 "PyGreenlet_GetCurrent", "PyGreenlet_GET_PARENT",
                 "\"greenlet._C_API\""):
        assert name in text
    # Its table length is the capsule's.
    assert "#define PyGreenlet_API_pointers 12" in text
    assert sys.modules["greenlet"].__libgreen__
