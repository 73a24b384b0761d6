# SPDX-License-Identifier: MIT
"""The interpreter state each greenlet has of its own: exceptions being
handled, contextvars, frames, recursion, tracing."""
import contextvars
import sys

import pytest

import greenlet
from greenlet import greenlet as Greenlet, getcurrent


def test_exception_state_is_per_greenlet():
    main = getcurrent()

    def run():
        assert sys.exc_info() == (None, None, None)  # starts empty
        try:
            raise KeyError("child")
        except KeyError:
            main.switch(repr(sys.exc_info()[1]))
            return repr(sys.exc_info()[1])
    g = Greenlet(run)
    try:
        raise ValueError("main")
    except ValueError:
        assert g.switch() == "KeyError('child')"
        assert repr(sys.exc_info()[1]) == "ValueError('main')"
        assert g.switch() == "KeyError('child')"
        assert repr(sys.exc_info()[1]) == "ValueError('main')"
    assert sys.exc_info() == (None, None, None)


def test_contextvars_are_per_greenlet():
    var = contextvars.ContextVar("var", default="unset")
    main = getcurrent()
    token = var.set("main")
    try:
        def run():
            seen = [var.get()]  # a new greenlet starts with no context
            var.set("child")
            main.switch()
            seen.append(var.get())
            return seen
        g = Greenlet(run)
        g.switch()
        assert var.get() == "main"
        assert g.switch() == ["unset", "child"]
        # A dead greenlet keeps its context, as in greenlet.
        assert g.gr_context.run(var.get) == "child"
    finally:
        var.reset(token)


def test_gr_context_get_and_set():
    var = contextvars.ContextVar("var2", default="unset")
    ctx = contextvars.Context()
    ctx.run(var.set, "given")
    g = Greenlet(lambda: var.get())
    assert g.gr_context is None
    g.gr_context = ctx
    assert g.gr_context is ctx
    assert g.switch() == "given"
    # The current greenlet's context is the running one.
    main = getcurrent()
    assert isinstance(main.gr_context, (contextvars.Context, type(None)))
    with pytest.raises(TypeError, match="contextvars.Context or None"):
        Greenlet().gr_context = 1
    h = Greenlet()
    h.gr_context = ctx
    h.gr_context = None
    assert h.gr_context is None


def test_current_context_switch_back_and_forth():
    var = contextvars.ContextVar("var3")
    main = getcurrent()
    results = []

    def run(n):
        var.set(n)
        for _ in range(3):
            main.switch()
            results.append((n, var.get()))
    gs = [Greenlet(run) for _ in range(3)]
    for i, g in enumerate(gs):
        g.switch(i)
    for _ in range(3):
        for g in gs:
            g.switch()
    assert sorted(results) == sorted((n, n) for n in range(3) for _ in range(3))


def test_settrace_and_gettrace():
    events = []

    def tracer(event, args):
        origin, target = args
        events.append((event, origin, target))
    assert greenlet.gettrace() is None
    assert greenlet.settrace(tracer) is None
    try:
        assert greenlet.gettrace() is tracer
        main = getcurrent()
        g = Greenlet(lambda: main.switch(1))
        g.switch()
        g.throw()
    finally:
        assert greenlet.settrace(None) is tracer
    assert greenlet.gettrace() is None
    assert [e[0] for e in events] == ["switch", "switch", "throw", "switch"]
    assert events[0][1:] == (main, g)
    assert events[1][1:] == (g, main)
    assert events[2][1:] == (main, g)
    assert events[3][1:] == (g, main)


def test_trace_error_is_raised_and_disables_tracing():
    def tracer(event, args):
        raise RuntimeError("tracer failed")
    greenlet.settrace(tracer)
    try:
        g = Greenlet(lambda: 1)
        with pytest.raises(RuntimeError, match="tracer failed"):
            g.switch()
        assert greenlet.gettrace() is None
    finally:
        greenlet.settrace(None)


def test_sys_settrace_sees_greenlet_code():
    seen = set()

    def tracer(frame, event, arg):
        seen.add(frame.f_code.co_name)
        return tracer

    def in_greenlet():
        return 1
    sys.settrace(tracer)
    try:
        Greenlet(in_greenlet).switch()
    finally:
        sys.settrace(None)
    assert "in_greenlet" in seen


def test_frames_chain_stays_per_greenlet():
    import traceback
    main = getcurrent()

    def run():
        main.switch()
        return [f.name for f in traceback.extract_stack()]
    g = Greenlet(run)
    g.switch()
    stack = g.switch()
    assert stack[-1] == "run"
    assert "test_frames_chain_stays_per_greenlet" not in stack
