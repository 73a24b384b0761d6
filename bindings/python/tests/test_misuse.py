# SPDX-License-Identifier: MIT
"""Bad input gives greenlet's exception and changes nothing."""
import threading

import pytest

import greenlet
from greenlet import greenlet as Greenlet, getcurrent
from conftest import libgreen_only


def waiting():
    main = getcurrent()
    g = Greenlet(lambda: main.switch("ready") or "finished")
    assert g.switch() == "ready"
    return g


def test_constructor_wrong_arguments():
    with pytest.raises(TypeError):
        Greenlet(1, 2, 3)
    with pytest.raises(TypeError, match="Expected any type of greenlet"):
        Greenlet(None, 5)
    with pytest.raises(TypeError):
        Greenlet(nonsense=1)


def test_parent_wrong_type_changes_nothing():
    g = waiting()
    before = g.parent
    for bad in (None, 1, "main", object()):
        with pytest.raises(TypeError, match="Expected any type of greenlet"):
            g.parent = bad
        assert g.parent is before
    with pytest.raises(AttributeError):
        del g.parent
    assert g.parent is before
    assert g.switch() == "finished"


def test_parent_cycle_changes_nothing():
    a = Greenlet()
    b = Greenlet(parent=a)
    c = Greenlet(parent=b)
    with pytest.raises(ValueError, match="cyclic parent chain"):
        a.parent = c
    with pytest.raises(ValueError, match="cyclic parent chain"):
        a.parent = a
    assert a.parent is getcurrent()
    assert b.parent is a and c.parent is b


def test_main_greenlet_parent_cannot_be_set():
    main = getcurrent()
    with pytest.raises(AttributeError, match="parent of a main greenlet"):
        main.parent = Greenlet()
    assert main.parent is None


def test_run_cannot_be_set_after_start():
    g = waiting()
    with pytest.raises(AttributeError, match="after the start"):
        g.run = lambda: None
    assert g.switch() == "finished"


def test_missing_run_raises_in_caller_and_leaves_greenlet_unstarted():
    g = Greenlet()
    with pytest.raises(AttributeError, match="run"):
        g.switch()
    assert not g.dead and not g
    g.run = lambda: "late run"
    assert g.switch() == "late run"


def test_non_callable_run_fails_in_greenlet_and_goes_to_parent():
    g = Greenlet(5)
    with pytest.raises(TypeError, match="not callable"):
        g.switch()
    assert g.dead


def test_dict_misuse():
    g = Greenlet()
    with pytest.raises(TypeError, match="__dict__ must be a dictionary"):
        g.__dict__ = 1
    with pytest.raises(TypeError, match="__dict__ may not be deleted"):
        del g.__dict__
    assert g.__dict__ == {}


def test_context_wrong_type():
    g = Greenlet()
    with pytest.raises(TypeError, match="contextvars.Context or None"):
        g.gr_context = {}
    assert g.gr_context is None


def test_switch_descriptor_wrong_self():
    with pytest.raises(TypeError):
        Greenlet.switch(1)
    with pytest.raises(TypeError):
        Greenlet.throw("x")


def test_dead_greenlet_operations():
    g = Greenlet(lambda: "r")
    assert g.switch() == "r"
    assert g.dead and not g
    # Switching to a dead greenlet returns to us; nothing restarts it.
    assert g.switch("again") == "again"
    assert g.dead
    with pytest.raises(AttributeError):
        g.run = lambda: None
    assert g.gr_frame is None


def _in_thread(fn):
    box = {}

    def body():
        try:
            box["result"] = fn()
        except BaseException as e:  # noqa: B902
            box["error"] = e
    t = threading.Thread(target=body)
    t.start()
    t.join()
    return box


def test_switch_to_other_thread_greenlet_raises_error():
    g = waiting()
    box = _in_thread(g.switch)
    assert isinstance(box["error"], greenlet.error)
    assert "different thread" in str(box["error"])
    box = _in_thread(lambda: g.throw(KeyError))
    assert isinstance(box["error"], greenlet.error)
    # Nothing changed.
    assert g and g.switch() == "finished"


@libgreen_only
def test_switch_to_greenlet_of_finished_thread():
    box = _in_thread(lambda: waiting())
    g = box["result"]
    with pytest.raises(greenlet.error, match="different thread"):
        g.switch()
    assert g.dead  # its thread ended: it can never run


def test_started_greenlet_refuses_a_parent_of_another_thread():
    # As greenlet: a greenlet that started keeps its thread; nothing
    # changes.
    g = waiting()
    other = _in_thread(lambda: getcurrent())["result"]
    with pytest.raises(ValueError, match="different thread"):
        g.parent = other
    assert g.parent is getcurrent()
    assert g.switch() == "finished"


def test_parent_of_another_thread_fails_at_the_switch():
    # As greenlet: a new greenlet accepts a parent of another thread; the
    # switch to it fails (it would run in its parent's thread), and nothing
    # changes.
    g = Greenlet(lambda x: "parent got " + x)
    box = _in_thread(lambda: Greenlet(lambda: "child", parent=g))
    child = box["result"]
    assert child.parent is g
    with pytest.raises(greenlet.error, match="different thread"):
        _in_thread_raise(child.switch)
    assert not child.dead and child.parent is g
    # its parent's thread (this one) can run it; its result starts g
    assert child.switch() == "parent got child"


def _in_thread_raise(fn):
    box = _in_thread(fn)
    if "error" in box:
        raise box["error"]
    return box.get("result")


def test_parent_of_an_ended_thread_fails_at_the_switch():
    other = _in_thread(lambda: getcurrent())["result"]
    g = Greenlet(lambda: "never")
    g.parent = other
    with pytest.raises(greenlet.error, match="different thread"):
        g.switch()
    assert not g.dead


def test_a_thread_adopts_a_new_greenlet():
    # What gevent's thread pool does: a greenlet created in one thread,
    # given a parent in another before it starts, runs in that other one.
    def run(x):
        return (x, threading.get_ident(), getcurrent().parent)
    g = Greenlet(run)

    def adopt():
        g.parent = getcurrent()
        return g.switch("in B"), threading.get_ident(), getcurrent()
    box = _in_thread(adopt)
    assert "error" not in box, box.get("error")
    (x, ran_in, parent), b_ident, b_main = box["result"]
    assert x == "in B"
    assert ran_in == b_ident != threading.get_ident()
    assert parent is b_main
    assert g.dead
