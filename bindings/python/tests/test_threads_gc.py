# SPDX-License-Identifier: MIT
"""Threads, garbage collection, and memory that stays flat."""
import gc
import os
import threading
import time

import pytest

import greenlet
from greenlet import greenlet as Greenlet, getcurrent, GreenletExit
from conftest import REFERENCE, libgreen_only


def test_each_thread_has_its_own_main_and_greenlets():
    results = {}

    def worker(n):
        main = getcurrent()
        assert main.parent is None

        def run(x):
            y = main.switch(x * 2)
            return y + n
        gs = [Greenlet(run) for _ in range(50)]
        first = [g.switch(i) for i, g in enumerate(gs)]
        second = [g.switch(i) for i, g in enumerate(gs)]
        results[n] = (main, first, second)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mains = {id(r[0]) for r in results.values()}
    assert len(mains) == 4 and id(getcurrent()) not in mains
    for n, (_, first, second) in results.items():
        assert first == [i * 2 for i in range(50)]
        assert second == [i + n for i in range(50)]


def test_released_suspended_greenlet_gets_greenlet_exit():
    log = []
    main = getcurrent()

    def run():
        try:
            main.switch()
        except GreenletExit:
            log.append(("exit", getcurrent() is not main))
            raise
        finally:
            log.append("finally")
    g = Greenlet(run)
    g.switch()
    del g
    assert log == [("exit", True), "finally"]


def test_cleanup_can_resurrect():
    keep = []
    main = getcurrent()

    def run():
        try:
            main.switch()
        except GreenletExit:
            keep.append(getcurrent())
            main.switch("resurrected")  # switches away: stays alive
    g = Greenlet(run)
    g.switch()
    del g
    assert len(keep) == 1 and keep[0]
    # Still suspended and usable.
    assert keep[0].switch() is None
    assert keep[0].dead


def test_greenlet_released_in_other_thread_dies_in_its_own():
    log = []
    main = getcurrent()
    owner = threading.get_ident()

    def run():
        try:
            main.switch()
        finally:
            log.append(threading.get_ident())
    g = Greenlet(run)
    g.switch()
    box = [g]
    del g
    t = threading.Thread(target=box.clear)
    t.start()
    t.join()
    assert log == []  # not run in the other thread
    greenlet._greenlet.get_pending_cleanup_count()
    getcurrent()  # the owner's next use of greenlets kills it
    assert log == [owner]
    # PyPI's greenlet also counts the other thread's own greenlet state,
    # which it queues when that thread's exit finishes (possibly after
    # join() returned) and frees from a pending call of this thread: give
    # it up to two seconds.
    deadline = time.monotonic() + 2.0
    while (greenlet._greenlet.get_pending_cleanup_count() != 0
           and time.monotonic() < deadline):
        time.sleep(0.001)
        getcurrent()
    assert greenlet._greenlet.get_pending_cleanup_count() == 0


def test_unreferenced_new_and_dead_greenlets_in_cycles_are_collected():
    import weakref
    g = Greenlet(lambda: None)
    g.me = g
    r = weakref.ref(g)
    del g
    gc.collect()
    assert r() is None
    h = Greenlet(lambda: None)
    h.switch()
    h.me = h
    r = weakref.ref(h)
    del h
    gc.collect()
    assert r() is None


def _rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _churn(n):
    main = getcurrent()

    def run(x):
        y = main.switch(x)
        return [x, y]
    for i in range(n):
        g = Greenlet(run)
        g.switch(i)
        g.switch(i)
        k = Greenlet(run)
        k.switch(i)
        del k  # killed while suspended


def test_create_switch_kill_loop_keeps_memory_flat():
    import tracemalloc
    _churn(20000)  # warm caches
    gc.collect()
    tracemalloc.start()
    base_traced = tracemalloc.get_traced_memory()[0]
    rss0 = _rss_kib()
    objs0 = len(gc.get_objects())
    _churn(50000)
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - base_traced
    tracemalloc.stop()
    rss1 = _rss_kib()
    objs1 = len(gc.get_objects())
    assert traced < 256 * 1024, traced
    assert objs1 - objs0 < 100, (objs0, objs1)
    assert rss1 - rss0 < 8 * 1024, (rss0, rss1)


def test_refcounts_do_not_leak():
    import sys
    value = object()
    main = getcurrent()
    before = sys.getrefcount(value)
    for _ in range(1000):
        g = Greenlet(lambda v: main.switch(v))
        assert g.switch(value) is value
        g.switch(value)
        del g
    for _ in range(1000):
        g = Greenlet(lambda: main.switch())
        g.switch()
        del g  # killed
    assert sys.getrefcount(value) == before


@libgreen_only
def test_data_stack_chunks_are_reused():
    from libgreen import _core
    # After greenlets that went deep (earlier tests), new ones get larger
    # data stack chunks for a while, then smaller ones again.
    for _ in range(2100):
        Greenlet(lambda: None).switch()
    a0, f0, _ = _core._chunk_stats()
    for _ in range(5000):
        Greenlet(lambda: None).switch()
    a1, f1, _ = _core._chunk_stats()
    assert a1 - a0 <= 1 and f1 - f0 <= 1


@libgreen_only
def test_thread_ending_with_suspended_greenlets():
    def worker():
        main = getcurrent()
        gs = [Greenlet(lambda: main.switch()) for _ in range(20)]
        for g in gs:
            g.switch()
        return gs
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("gs", worker()))
    t.start()
    t.join()
    gs = box.pop("gs")
    assert all(g.dead for g in gs)
    assert all(not g for g in gs)
    del gs
    gc.collect()


@libgreen_only
def test_many_threads_come_and_go():
    import libgreen  # noqa: F401
    start = greenlet._greenlet.get_total_main_greenlets()

    def worker():
        Greenlet(lambda: getcurrent().parent.switch()).switch()
    for _ in range(50):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    gc.collect()
    assert greenlet._greenlet.get_total_main_greenlets() <= start + 1


def test_parent_restored_when_kill_does_not_kill():
    hub = Greenlet(lambda: None)
    main = getcurrent()
    seen = []

    def worker():
        try:
            main.switch()
        except GreenletExit:
            seen.append(getcurrent().parent)  # the killer, during the kill
            seen.append(getcurrent())
            hub.switch()  # survives by switching away
    g = Greenlet(worker, parent=hub)
    g.switch()
    del g
    assert seen[0] is main
    assert seen[1].parent is hub  # put back
    del seen[:]


@libgreen_only
def test_auto_mode_guards_again_once_greenlets_finish():
    import libgreen
    previous = libgreen.set_stack_mode("auto")
    try:
        main = getcurrent()
        gs = []
        for _ in range(600):  # the mode is chosen when one is created
            gs.append(Greenlet(lambda: main.switch()))
            gs[-1].switch()
        assert gs[-1]._stack_mode == "copy"
        for g in gs:
            g.switch()  # all finish
        del gs
        g = Greenlet(lambda: main.switch())
        g.switch()
        assert g._stack_mode == "guarded"
        g.switch()
    finally:
        libgreen.set_stack_mode(previous)


def test_frames_deeper_than_the_first_chunk_survive_switches():
    # A greenlet's frames first go on a small data stack chunk; deeper ones
    # go on chunks the interpreter adds and frees. Frames on both sides of
    # that boundary are suspended, switched past and resumed here, over
    # and over (the boundary is crossed at every depth).
    main = getcurrent()

    def down(n, acc):
        if n == 0:
            return main.switch(acc)
        a, b, c = n, n * 2, n * 3  # some locals, to fill the chunks
        return down(n - 1, acc + [a]) + b - b + c - c

    for depth in range(0, 120, 7):
        gs = [Greenlet(down) for _ in range(5)]
        for i, g in enumerate(gs):
            assert g.switch(depth, [i]) == [i] + list(range(depth, 0, -1))
        for i, g in enumerate(gs):
            assert g.switch(i) == i
            assert g.dead


@libgreen_only
def test_data_stack_chunks_follow_what_greenlets_need():
    from libgreen import _core
    main = getcurrent()

    def down(n):
        return main.switch() if n == 0 else down(n - 1)

    def starts(count):
        for _ in range(count):
            Greenlet(lambda: None).switch()

    starts(2100)  # back to the smallest after earlier tests
    small = _core._chunk_next_size()
    assert small < 1024
    for depth, size in ((8, 2048), (60, 16 * 1024)):
        g = Greenlet(down)
        g.switch(depth)  # suspended deeper than its root chunk holds
        assert _core._chunk_next_size() == size
        g.switch()
        assert g.dead
    starts(1030)
    assert _core._chunk_next_size() == 2048  # steps back down
    starts(1030)
    assert _core._chunk_next_size() == small
    g = Greenlet(down)
    g.switch(0)  # shallow: fits
    assert _core._chunk_next_size() == small
    g.switch()

    # one that went deeper and came back before it left
    def deep_then_back():
        def f(n):
            return 0 if n == 0 else f(n - 1) + 1
        f(10)
        main.switch()
    g = Greenlet(deep_then_back)
    g.switch()
    assert _core._chunk_next_size() == 2048
    g.switch()


@libgreen_only
def test_calls_across_the_first_chunk_end_do_not_map_memory():
    # A greenlet started with a small data stack chunk that calls, over and
    # over, a function whose frame does not fit there: the interpreter
    # allocates a chunk for it and frees it each time. Fresh memory for
    # each would fault its page in every time (and cost two system calls).
    import resource
    from libgreen import _core
    main = getcurrent()
    for _ in range(2100):  # back to the smallest after earlier tests
        Greenlet(lambda: None).switch()
    assert _core._chunk_next_size() < 1024

    def leaf(a, b, c, d, e, f, g, h):
        return a + b + c + d + e + f + g + h

    def middle(n):
        x = [leaf(i, i, i, i, i, i, i, i) for i in range(1)]
        return leaf(n, *x * 7) if n else 0

    def body():
        main.switch()
        for i in range(20000):
            middle(i)
        return "done"

    g = Greenlet(body)
    g.switch()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert g.switch() == "done"
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 2000, faults


@libgreen_only
def test_suspended_greenlets_hold_little_memory(run_python):
    # RSS growth per suspended greenlet parked in a shallow call, in copy
    # mode: its object, handle, saved C stack and data stack chunk (PyPI's
    # greenlet: about 6 KB, a data stack chunk of 16 KiB touching a page).
    code = r"""
import greenlet, libgreen
libgreen.set_stack_mode("copy")
main = greenlet.getcurrent()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
def parked(i):
    local = [i, i + 1]
    return main.switch(local) or local
n = 20000
gs = [None] * n
before = rss()
for i in range(n):
    g = greenlet.greenlet(parked)
    g.switch(i)
    gs[i] = g
print((rss() - before) / n)
for g in gs:
    g.throw()
"""
    p = run_python(code)
    assert p.returncode == 0, p.stderr
    per = float(p.stdout.split()[-1])
    assert 0 < per < 2600, per


@libgreen_only
def test_data_stack_chunks_do_not_pile_up():
    from libgreen import _core
    main = getcurrent()
    gs = [Greenlet(lambda: main.switch()) for _ in range(3000)]
    for g in gs:
        g.switch()
    a0, f0, _ = _core._chunk_stats()
    for g in gs:
        g.switch()  # all finish: their chunks come back
    del gs
    a1, f1, cached = _core._chunk_stats()
    assert a1 == a0
    assert f1 - f0 >= 3000 - 512  # most went back to the system
    assert cached <= 256 + 64 + 64  # full, medium and small kept for reuse


@libgreen_only
def test_stack_modes(run_python):
    import libgreen
    main = getcurrent()
    previous = libgreen.set_stack_mode("copy")
    try:
        a = Greenlet(lambda: main.switch("a") or "a done")
        b = Greenlet(lambda: main.switch("b") or "b done")
        assert (a.switch(), b.switch()) == ("a", "b")
        assert a._stack_mode == b._stack_mode == "copy"
        # b took the shared stack, so a's C frames are on the heap; b holds
        # its live part of the shared stack
        assert 0 < a._stack_saved < 256 * 1024
        assert 0 < b._stack_saved < 256 * 1024
        assert main._stack_saved == 0
        assert (b.switch(), a.switch()) == ("b done", "a done")
        assert a._stack_saved == b._stack_saved == 0
    finally:
        assert libgreen.set_stack_mode(previous) == "copy"
    with pytest.raises(ValueError):
        libgreen.set_stack_mode("sideways")
    with pytest.raises(TypeError):
        libgreen.set_stack_mode(1)
    assert libgreen.set_stack_mode(previous) == previous


@libgreen_only
def test_default_mode_holds_100000_suspended_greenlets(run_python):
    # Guarded stacks cost two memory mappings each (about 32,000 suspended
    # greenlets with the default vm.max_map_count) and the pages their
    # frames touched. The default, auto, mode gives guarded stacks to
    # greenlets that start while fewer than 512 are started and unfinished,
    # and the shared, copied stack to the others, so a program holds as
    # many as greenlet allows.
    code = r"""
import greenlet, libgreen
libgreen.set_stack_mode("auto")   # the default, whatever the environment
main = greenlet.getcurrent()
gs = []
for i in range(100000):
    g = greenlet.greenlet(lambda i=i: main.switch(i) + 1)
    assert g.switch() == i
    gs.append(g)
modes = {g._stack_mode for g in gs}
assert {g._stack_mode for g in gs[:512]} == {"guarded"}
assert {g._stack_mode for g in gs[512:]} == {"copy"}
for i, g in enumerate(gs):
    assert g.switch(i) == i + 1
assert all(g.dead for g in gs)
print("ok", len(gs), " ".join(sorted(modes)))
"""
    p = run_python(code)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["ok", "100000", "copy", "guarded"]


@libgreen_only
def test_copy_mode_holds_more_suspended_greenlets_than_mappings(run_python):
    code = r"""
import greenlet
main = greenlet.getcurrent()
gs = []
for i in range(70000):
    g = greenlet.greenlet(lambda: main.switch())
    g.switch()
    gs.append(g)
assert gs[0]._stack_mode == "copy"
for g in gs:
    g.switch()
assert all(g.dead for g in gs)
print("ok", len(gs))
"""
    p = run_python(code, extra_env={"GREEN_STACK_MODE": "copy"})
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["ok", "70000"]


def test_stack_saved_counts_a_suspended_greenlets_stack():
    """_stack_saved (as greenlet): > 0 for a suspended greenlet, main
    included, in every stack mode; 0 while it runs, before it starts and
    once it ended."""
    main = greenlet.getcurrent()
    seen = []

    def body():
        seen.append((greenlet.getcurrent()._stack_saved, main._stack_saved))
        main.switch()

    g = greenlet.greenlet(body)
    assert g._stack_saved == 0
    g.switch()
    own, of_main = seen[0]
    assert own == 0
    assert of_main > 0
    assert 0 < g._stack_saved < 2 * 1024 * 1024
    assert main._stack_saved == 0
    g.switch()
    assert g.dead and g._stack_saved == 0


class _Payload:
    """Referenced only by a suspended greenlet's frame."""


def _thread_with_suspended(n, payloads, release_in_thread):
    """A thread that ends with n suspended greenlets; returns them (unless
    released in the thread)."""
    box = {}

    def worker():
        main = getcurrent()

        def run():
            p = _Payload()
            payloads.add(p)
            main.switch()
            return p
        gs = [Greenlet(run) for _ in range(n)]
        for g in gs:
            g.switch()
        if release_in_thread:
            del gs[:]
        box["gs"] = gs
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    return box.pop("gs")


@pytest.mark.parametrize("release_in_thread", [False, True])
def test_dying_threads_with_suspended_greenlets_keep_memory_flat(
        release_in_thread):
    """Threads that end with thousands of suspended greenlets: their
    frames, data stacks and main greenlets are freed (released after the
    thread ended, without running them; released in the thread, killed
    there), and memory stays flat over repeated threads."""
    import weakref
    payloads = weakref.WeakSet()
    n = 2000
    getcurrent()
    start_mains = greenlet._greenlet.get_total_main_greenlets()
    rss = []
    for _ in range(8):
        gs = _thread_with_suspended(n, payloads, release_in_thread)
        del gs
        gc.collect()
        rss.append(_rss_kib())
    # every frame's locals were freed with their greenlet (greenlet leaves
    # the locals of a dead thread's frames behind)
    if not REFERENCE or release_in_thread:
        assert len(payloads) == 0
    if release_in_thread:
        # (released after the thread ended, each greenlet's frame still
        # references its thread's main greenlet from the switch call in
        # progress: see README)
        deadline = time.time() + 5
        while (greenlet._greenlet.get_total_main_greenlets() > start_mains
               and time.time() < deadline):
            time.sleep(0.01)
            getcurrent()
        assert greenlet._greenlet.get_total_main_greenlets() <= start_mains
    # flat: the last round holds no more than the second did (the first
    # warms caches), within 6 MiB (a round of 2,000 greenlets that leaked
    # their frames and stacks would hold over 3 MiB, 7 rounds over 21 MiB)
    growth = rss[-1] - rss[1]
    print("\nRSS over 8 threads of %d suspended greenlets (%s): %s KiB; "
          "growth after the second %d KiB"
          % (n, "released in the thread" if release_in_thread
             else "released after it ended", rss, growth))
    assert growth < 6 * 1024, rss



@libgreen_only
def test_dead_thread_greenlet_releases_its_run_and_start_value():
    """A greenlet suspended in its run function when its thread ended,
    released later: the function it was started with and the value of its
    first switch are freed with its frames (the call in progress held
    them). (A run that is not a Python function may leave values behind
    in the C frames of CPython's own call machinery.)"""
    import weakref
    alive = weakref.WeakSet()
    box = {}

    def make_run(main):
        def run(value):
            main.switch()
        return run

    def worker():
        main = getcurrent()
        gs = []
        for _ in range(50):
            run, value = make_run(main), _Payload()
            alive.add(run)
            alive.add(value)
            g = Greenlet(run)
            g.switch(value)
            gs.append(g)
        del run, value
        box["gs"] = gs
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert len(alive) == 100
    del box["gs"]
    gc.collect()
    assert len(alive) == 0
