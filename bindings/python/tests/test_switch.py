# SPDX-License-Identifier: MIT
"""switch(), run, parents, results and exceptions: greenlet's semantics."""
import sys

import pytest

import greenlet
from greenlet import greenlet as Greenlet, getcurrent, GreenletExit


def test_module_layout():
    import greenlet._greenlet as impl
    for name in ("greenlet", "getcurrent", "GreenletExit", "error",
                 "settrace", "gettrace"):
        assert getattr(greenlet, name) is getattr(impl, name)
        if name != "greenlet":
            assert getattr(Greenlet, name) is getattr(greenlet, name)
    assert Greenlet.__module__ == "greenlet"
    assert Greenlet.__name__ == "greenlet"
    assert Greenlet.__mro__ == (Greenlet, object)
    assert issubclass(GreenletExit, BaseException)
    assert not issubclass(GreenletExit, Exception)
    assert issubclass(greenlet.error, Exception)
    from greenlet import GREENLET_USE_GC, GREENLET_USE_TRACING  # noqa: F401
    assert isinstance(greenlet.__version__, str)


@pytest.mark.parametrize("args, kwargs, expected", [
    ((), {}, ()),
    ((1,), {}, 1),
    ((None,), {}, None),
    (((1, 2),), {}, (1, 2)),
    ((1, 2), {}, (1, 2)),
    ((), {"k": 1}, {"k": 1}),
    ((1,), {"k": 1}, ((1,), {"k": 1})),
    ((1, 2), {"k": 1, "j": 2}, ((1, 2), {"k": 1, "j": 2})),
])
def test_switch_result_packing(args, kwargs, expected):
    def run():
        return getcurrent().parent.switch()
    g = Greenlet(run)
    g.switch()
    # g is suspended in parent.switch(): our switch(*args, **kwargs) makes
    # that call return the packed value, which run() returns to us.
    assert g.switch(*args, **kwargs) == expected
    assert g.dead


def test_run_receives_arguments():
    seen = []

    def run(*args, **kwargs):
        seen.append((args, kwargs))
        return "done"
    assert Greenlet(run).switch(1, 2, a=3) == "done"
    assert seen == [((1, 2), {"a": 3})]
    assert Greenlet(run).switch() == "done"
    assert seen[-1] == ((), {})


def test_ping_pong_and_state():
    order = []

    def run(x):
        order.append(("child", x))
        y = main.switch(x + 1)
        order.append(("child", y))
        return y * 10
    main = getcurrent()
    g = Greenlet(run)
    assert not g and not g.dead
    assert g.switch(1) == 2
    assert g and not g.dead
    assert g.switch(5) == 50
    assert not g and g.dead
    assert order == [("child", 1), ("child", 5)]


def test_parent_defaults_to_creator_and_results_go_to_parent():
    main = getcurrent()
    inner_parent = []

    def outer():
        child = Greenlet(lambda: getcurrent().parent)
        inner_parent.append(child.parent)
        return child.switch()
    g = Greenlet(outer)
    assert g.parent is main
    assert g.switch() is g
    assert inner_parent == [g]
    assert main.parent is None


def test_exception_goes_to_parent():
    def run():
        raise ValueError("boom")
    g = Greenlet(run)
    with pytest.raises(ValueError, match="boom") as info:
        g.switch()
    assert g.dead
    # The traceback shows where it was raised.
    names = []
    tb = info.value.__traceback__
    while tb:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "run" in names


def test_greenlet_exit_is_a_value():
    def run():
        raise GreenletExit("bye")
    g = Greenlet(run)
    r = g.switch()
    assert isinstance(r, GreenletExit) and r.args == ("bye",)
    assert g.dead


def test_switch_to_dead_goes_to_first_live_ancestor():
    g = Greenlet(lambda: 1)
    assert g.switch() == 1
    assert g.dead
    # The parent (us) gets the value back at once.
    assert g.switch(7) == 7
    assert g.switch(1, 2) == (1, 2)
    # A dead greenlet whose parent is alive and suspended.
    log = []

    def parent_run():
        child = Greenlet(lambda: 0)
        child.switch()  # child dead; parent_run is its parent
        log.append("parent waiting")
        got = main.switch(child)
        log.append(got)
        return "parent done"
    main = getcurrent()
    p = Greenlet(parent_run)
    dead_child = p.switch()
    assert dead_child.dead
    assert dead_child.switch("hello") == "parent done"
    assert log == ["parent waiting", "hello"]


def test_switch_to_self():
    cur = getcurrent()
    assert cur.switch(5) == 5
    assert cur.switch() == ()


def test_nested_greenlets_and_parent_chain():
    def leaf():
        return [x for x in (getcurrent(), getcurrent().parent,
                            getcurrent().parent.parent)]
    def mid():
        return Greenlet(leaf).switch()
    m = Greenlet(mid)
    chain = m.switch()
    assert chain[1] is m and chain[2] is getcurrent()


def test_set_parent_redirects_result():
    main = getcurrent()
    a = Greenlet(lambda: main.switch("a waiting") or "a end")
    assert a.switch() == "a waiting"
    b = Greenlet(lambda: "from b")
    b.parent = a
    assert b.parent is a
    # b finishes: its result goes to a (suspended in main.switch), which
    # returns it... then a finishes and its result comes here.
    assert b.switch() == "from b"
    assert a.dead


def test_subclass_with_run_method():
    class Worker(Greenlet):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def run(self, x):
            return x * self.factor
    w = Worker(3)
    assert w.switch(14) == 42
    assert w.factor == 3
    assert type(w).__mro__[1] is Greenlet


def test_subclass_without_init_call():
    class Bare(Greenlet):
        def __init__(self):
            pass

        def run(self):
            return "ran"
    assert Bare().switch() == "ran"


def test_run_attribute():
    def f():
        return 1
    g = Greenlet(f)
    assert g.run is f
    g.run = lambda: 2
    assert g.switch() == 2
    with pytest.raises(AttributeError):
        g.run
    with pytest.raises(AttributeError):
        Greenlet().run


def test_instance_dict_and_weakref():
    import weakref
    g = Greenlet()
    g.attr = 5
    assert g.__dict__ == {"attr": 5}
    g.__dict__ = {"other": 1}
    assert g.other == 1
    r = weakref.ref(g)
    assert r() is g
    del g
    assert r() is None


def test_repr_format():
    import re
    main = getcurrent()
    assert re.fullmatch(r"<greenlet\.greenlet object at 0x[0-9a-f]+ "
                        r"\(otid=0x[0-9a-f]+\) current active started main>",
                        repr(main))
    g = Greenlet(lambda: main.switch())
    assert re.fullmatch(r"<greenlet\.greenlet object at 0x[0-9a-f]+ "
                        r"\(otid=0x\(nil\)\) pending>", repr(g))
    g.switch()
    assert re.fullmatch(r"<greenlet\.greenlet object at 0x[0-9a-f]+ "
                        r"\(otid=0x[0-9a-f]+\) suspended active started>",
                        repr(g))
    g.switch()
    assert re.fullmatch(r"<greenlet\.greenlet object at 0x[0-9a-f]+ "
                        r"\(otid=0x[0-9a-f]+\) dead>", repr(g))

    class Sub(Greenlet):
        pass
    assert repr(Sub()).startswith("<Sub object at ")


def test_gr_frame():
    main = getcurrent()

    def outer():
        def inner():
            main.switch()
        inner()
    g = Greenlet(outer)
    assert g.gr_frame is None
    g.switch()
    f = g.gr_frame
    assert f.f_code.co_name == "inner"
    assert f.f_back.f_code.co_name == "outer"
    assert f.f_back.f_back is None
    assert main.gr_frame is None  # running
    g.switch()
    assert g.gr_frame is None


def test_getstate_refuses_pickling():
    import pickle
    with pytest.raises(TypeError, match="cannot serialize"):
        pickle.dumps(Greenlet())


def test_deep_recursion_in_greenlet():
    def deep(n):
        return 0 if n == 0 else 1 + deep(n - 1)
    assert Greenlet(lambda: deep(800)).switch() == 800
    with pytest.raises(RecursionError):
        Greenlet(lambda: deep(10 ** 6)).switch()
    # The recursion depth is per greenlet: main's is untouched.
    assert Greenlet(lambda: deep(800)).switch() == 800


def test_many_suspended_greenlets():
    main = getcurrent()
    gs = [Greenlet(lambda i=i: main.switch(i) or i) for i in range(2000)]
    assert [g.switch() for g in gs] == list(range(2000))
    assert [g.switch() for g in gs] == list(range(2000))
    assert all(g.dead for g in gs)


def test_generators_inside_greenlets():
    main = getcurrent()

    def gen():
        for i in range(3):
            main.switch(("gen", i))
            yield i

    def run():
        return list(gen())
    g = Greenlet(run)
    out = [g.switch()]
    while not g.dead:
        out.append(g.switch())
    assert out == [("gen", 0), ("gen", 1), ("gen", 2), [0, 1, 2]]


def test_run_none_is_a_run_attribute():
    g = Greenlet(run=None)
    assert g.run is None
    assert Greenlet(parent=None).parent is getcurrent()


def test_finished_child_starts_never_started_parent():
    def one_arg(x):
        return (x, 24)
    parent = Greenlet(one_arg)
    child = Greenlet(lambda: 42, parent)
    assert child.switch() == (42, 24)
    assert parent.dead and child.dead

    def no_args():
        return 13
    parent = Greenlet(no_args)
    child = Greenlet(lambda: 42, parent)
    with pytest.raises(TypeError):
        child.switch()


def test_abstract_subclass_cannot_be_instantiated():
    from abc import ABCMeta, abstractmethod
    Abstract = ABCMeta("Abstract", (Greenlet,),
                       {"run": abstractmethod(lambda self: None)})

    class Bad(Abstract):
        pass

    class Good(Abstract):
        def run(self):
            return "good"
    with pytest.raises(TypeError):
        Bad()
    assert Good().switch() == "good"


def test_subclass_parent_started_by_finished_child():
    class A(Greenlet):
        pass
    seen = []
    a = A(lambda *args: seen.append(args))
    child = Greenlet(lambda: "child result", a)
    assert child.switch() is None  # a ran, returned None to us
    assert seen == [("child result",)]
    assert a.dead and child.dead


def test_greenlet_started_while_its_run_is_looked_up():
    main = getcurrent()
    log = []

    class B(Greenlet):
        doing_it = False

        def __getattribute__(self, name):
            if name == "run" and not self.doing_it:
                self.doing_it = True
                log.append("lookup switches to b")
                b.switch()  # starts b from inside its own run lookup
                log.append("lookup resumed")
            if name == "run":
                name = "_run"
            return object.__getattribute__(self, name)

        def _run(self, *args):
            log.append(("b runs", args))
            return main.switch("from b")

    def c_run():
        log.append("c")
        return b.switch("from c")
    a = Greenlet(lambda *args: ("a got", args))
    b = B(parent=a)
    c = Greenlet(c_run, b)
    assert c.switch() == "from b"
    # c resumes in the lookup, then switches into the started b with
    # "from c"; b returns it to a (never started), whose result comes here.
    assert c.switch() == ("a got", ("from c",))
    assert a.dead and b.dead and not c.dead
    assert log == ["c", "lookup switches to b", ("b runs", ()),
                   "lookup resumed"]
