# SPDX-License-Identifier: MIT
"""throw(): greenlet's argument rules and delivery."""
import sys

import pytest

from greenlet import greenlet as Greenlet, getcurrent, GreenletExit


def suspended(body=None):
    """A started greenlet waiting in parent.switch(); body(exc) handles what
    is thrown into it."""
    main = getcurrent()

    def run():
        try:
            return ("returned", main.switch("ready"))
        except BaseException as e:  # noqa: B902
            if body:
                return body(e)
            raise
    g = Greenlet(run)
    assert g.switch() == "ready"
    return g


def test_throw_default_is_greenlet_exit_and_comes_back_as_value():
    g = suspended()
    r = g.throw()
    assert isinstance(r, GreenletExit)
    assert g.dead


def test_throw_class_value_and_instance():
    g = suspended()
    with pytest.raises(KeyError) as info:
        g.throw(KeyError, "k")
    assert info.value.args == ("k",)
    assert g.dead
    g = suspended(lambda e: ("caught", type(e), e.args))
    assert g.throw(ValueError("v")) == ("caught", ValueError, ("v",))
    g = suspended(lambda e: ("caught", type(e), e.args))
    assert g.throw(ValueError, ("a", "b")) == ("caught", ValueError,
                                               ("a", "b"))


def test_throw_with_traceback():
    try:
        raise IndexError("with tb")
    except IndexError:
        tb = sys.exc_info()[2]
    g = suspended(lambda e: e.__traceback__)
    got = g.throw(IndexError, IndexError("x"), tb)
    frames = []
    while got:
        frames.append(got.tb_frame.f_code.co_name)
        got = got.tb_next
    assert "test_throw_with_traceback" in frames


def test_throw_into_unstarted_greenlet_kills_it():
    ran = []
    g = Greenlet(lambda: ran.append(1))
    with pytest.raises(ValueError):
        g.throw(ValueError)
    assert g.dead and not ran
    g = Greenlet(lambda: ran.append(1))
    assert isinstance(g.throw(), GreenletExit)
    assert g.dead and not ran


def test_throw_into_dead_greenlet_goes_to_parent():
    g = Greenlet(lambda: None)
    g.switch()
    with pytest.raises(KeyError):
        g.throw(KeyError)
    r = g.throw()
    assert isinstance(r, GreenletExit)


def test_throw_into_current_raises_here():
    with pytest.raises(ZeroDivisionError):
        getcurrent().throw(ZeroDivisionError)


def test_parent_throw_from_child():
    def run():
        getcurrent().parent.throw(KeyError("from child"))
    with pytest.raises(KeyError, match="from child"):
        Greenlet(run).switch()


def test_finally_runs_on_throw():
    log = []
    main = getcurrent()

    def run():
        try:
            main.switch()
        finally:
            log.append("cleanup")
    g = Greenlet(run)
    g.switch()
    g.throw()
    assert log == ["cleanup"]


@pytest.mark.parametrize("args, exc, msg", [
    ((1,), TypeError, "exceptions must be classes, or instances, not int"),
    ((ValueError("x"), 2), TypeError,
     "instance exception may not have a separate value"),
    ((ValueError, 2, 3), TypeError,
     "throw() third argument must be a traceback object"),
    ((ValueError, 1, 2, 3), TypeError, None),
])
def test_throw_bad_arguments_change_nothing(args, exc, msg):
    g = suspended()
    with pytest.raises(exc) as info:
        g.throw(*args)
    if msg:
        assert str(info.value) == msg
    assert g and not g.dead
    assert g.switch("still alive") == ("returned", "still alive")


def test_throw_into_never_started_greenlet_without_run():
    g = Greenlet()
    with pytest.raises(AttributeError, match="run"):
        g.throw(KeyError)
    assert not g.dead  # nothing changed
    g.run = lambda: "ran"
    assert g.switch() == "ran"
