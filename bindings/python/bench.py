#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmarks of the greenlet drop-in on libgreen against PyPI's greenlet.

Both run in the same run, on the same interpreter, each in its own
subprocess whose sys.path finds one implementation:
  libgreen   <build dir>/python                   (this binding)
  greenlet   a `pip install --target` directory   (greenlet from PyPI)

Measured (each a median over --runs runs, one run per worker process,
alternating between the two implementations; time per operation):
  switch           one switch round trip (there and back)
  create+finish    greenlet(f).switch() with f returning at once
  getcurrent       greenlet.getcurrent()
  GreenPool        eventlet.GreenPool(size=8).spawn_n workers draining a
                   queue of router updates (time per update)
  memory           resident bytes per suspended greenlet (RSS growth over
                   the switches into them / count), each parked in a
                   function, 100,000 of them (every run) and 1,000,000
                   (one run: PyPI's greenlet needs about 6 GB there), each
                   count in a fresh process; for libgreen in its default
                   (auto) stack mode. Target: 0.3x greenlet's, and a
                   million in under 2 GB

Usage:
  GREEN_BUILD_DIR=build python3 bindings/python/bench.py [--runs 7]
Options:
  --build-dir DIR      the CMake build dir (default $GREEN_BUILD_DIR or build)
  --greenlet-dir DIR   where PyPI's greenlet is (installed there if missing)
  --eventlet-dir DIR   where eventlet is (installed there, without greenlet)
  --quick              fewer iterations, and 10,000 and 100,000 suspended
                       greenlets for memory (a smoke run; figures are noisy)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- the measurements (run in a worker process) ---------------------------

def bench_switch(n):
    import greenlet
    main = greenlet.getcurrent()

    def run():
        back = main.switch
        while True:
            back()
    g = greenlet.greenlet(run)
    sw = g.switch
    sw()
    t0 = time.perf_counter()
    for _ in range(n):
        sw()
    return time.perf_counter() - t0


def bench_create(n):
    import greenlet
    make = greenlet.greenlet

    def f():
        return None
    t0 = time.perf_counter()
    for _ in range(n):
        make(f).switch()
    return time.perf_counter() - t0


def bench_getcurrent(n):
    import greenlet
    gc = greenlet.getcurrent
    t0 = time.perf_counter()
    for _ in range(n):
        gc()
    return time.perf_counter() - t0


def bench_greenpool(n):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import eventlet
    from eventlet.queue import Empty
    updates = eventlet.Queue()
    for i in range(n):
        updates.put(("router-%d" % (i % 64), i))
    state = {"running": 0, "peak": 0, "done": 0}

    def worker():
        while True:
            try:
                updates.get_nowait()
            except Empty:
                return
            state["running"] += 1
            state["peak"] = max(state["peak"], state["running"])
            eventlet.sleep(0)  # yield to the hub, as real I/O would
            state["done"] += 1
            state["running"] -= 1
    t0 = time.perf_counter()
    pool = eventlet.GreenPool(size=8)
    for _ in range(8):
        pool.spawn_n(worker)
    pool.waitall()
    elapsed = time.perf_counter() - t0
    assert state["done"] == n and state["peak"] <= 8, state
    return elapsed


BENCHES = [
    # name, function, iterations (full), iterations (quick)
    ("switch", bench_switch, 200000, 20000),
    ("create+finish", bench_create, 50000, 5000),
    ("getcurrent", bench_getcurrent, 1000000, 100000),
    ("GreenPool", bench_greenpool, 20000, 2000),
]


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_memory(n):
    import greenlet
    main = greenlet.getcurrent()

    def parked(i):
        local = [i, i + 1]  # a frame with a little state, as a handler has
        return main.switch(local) or local

    gs = [None] * n  # the list is allocated before measuring
    before = rss_bytes()
    for i in range(n):
        g = greenlet.greenlet(parked)
        g.switch(i)
        gs[i] = g
    per = (rss_bytes() - before) / n
    for g in gs:
        g.throw()  # GreenletExit: finish them
    return per


def worker(runs, quick, memory):
    import greenlet
    out = {"greenlet_file": greenlet.__file__,
           "libgreen": bool(getattr(greenlet, "__libgreen__", False)),
           "results": {}}
    if memory:
        out["results"]["memory %d" % memory] = [bench_memory(memory)]
        print(json.dumps(out))
        return
    for name, fn, n_full, n_quick in BENCHES:
        n = n_quick if quick else n_full
        fn(max(1, n // 10))  # warm up
        per_op = [fn(n) / n * 1e9 for _ in range(runs)]
        out["results"][name] = per_op
    print(json.dumps(out))


# ---- the driver ------------------------------------------------------------

def pip_target(target, *packages):
    if os.path.isdir(target) and os.listdir(target):
        return
    os.makedirs(target, exist_ok=True)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q",
                           "--disable-pip-version-check", "--target", target,
                           *packages])


def run_worker_process(script, paths, args):
    """Runs `script --worker ARGS` with PYTHONPATH=paths (libgreen in its
    default stack mode) and returns the JSON of its last output line."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("PYTHONSTARTUP", None)
    env.pop("GREEN_STACK_MODE", None)  # libgreen in the binding's default
    cmd = [sys.executable, os.path.abspath(script), "--worker", *args]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit("benchmark worker failed")
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_worker(paths, runs, quick, memory=0):
    return run_worker_process(
        __file__, paths, ["--runs", str(runs), "--memory", str(memory)] +
        (["--quick"] if quick else []))


def merge(acc, r):
    if acc is None:
        return r
    for name, values in r["results"].items():
        acc["results"].setdefault(name, []).extend(values)
    return acc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--memory", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--build-dir",
                    default=os.environ.get("GREEN_BUILD_DIR", "build"))
    ap.add_argument("--greenlet-dir")
    ap.add_argument("--eventlet-dir")
    args = ap.parse_args()
    if args.worker:
        worker(args.runs, args.quick, args.memory)
        return
    build = os.path.abspath(args.build_dir)
    ours = os.path.join(build, "python")
    if not os.path.isdir(os.path.join(ours, "libgreen")):
        raise SystemExit("no Python binding in %s (build the repository with "
                         "CMake first)" % ours)
    gdir = args.greenlet_dir or os.path.join(build, "bench-pypi-greenlet")
    edir = args.eventlet_dir or os.path.join(build, "bench-eventlet")
    pip_target(gdir, "greenlet")
    pip_target(edir, "--no-deps", "eventlet", "dnspython")
    for leftover in os.listdir(edir):
        if leftover.startswith("greenlet"):
            raise SystemExit("%s holds a greenlet package; remove it" % edir)

    # One measurement per worker process, alternating implementations, so
    # that a noisy moment on the machine hits both alike.
    # Memory: each count in a fresh process, the smaller every run, the
    # larger (a million: about 6 GB for PyPI's greenlet) once.
    small, large = (10000, 100000) if args.quick else (100000, 1000000)
    mine = theirs = None
    for i in range(args.runs):
        for paths, which in (([ours, edir], "mine"), ([gdir, edir], "theirs")):
            r = run_worker(paths, 1, args.quick)
            for n in (small, large) if i == 0 else (small,):
                r = merge(r, run_worker(paths, 1, args.quick, memory=n))
            if which == "mine":
                mine = merge(mine, r)
            else:
                theirs = merge(theirs, r)
    assert mine["libgreen"] and not theirs["libgreen"]
    import platform
    print("Python %s on %s, %d runs each (alternating processes), medians "
          "(time per operation)"
          % (platform.python_version(), platform.machine(), args.runs))
    print("  libgreen: %s" % mine["greenlet_file"])
    print("  greenlet: %s" % theirs["greenlet_file"])
    targets = {"switch": 0.5, "create+finish": 0.15}
    print("%-14s %12s %12s %8s %8s" % ("benchmark", "libgreen", "greenlet",
                                       "ratio", "target"))
    ok = True
    for name, *_ in BENCHES:
        a = statistics.median(mine["results"][name])
        b = statistics.median(theirs["results"][name])
        ratio = a / b
        target = targets.get(name)
        mark = ""
        if target is not None:
            met = ratio <= target
            ok &= met
            mark = "<=%g %s" % (target, "met" if met else "MISSED")
        print("%-14s %9.0f ns %9.0f ns %7.2fx  %s" % (name, a, b, ratio, mark))
    print("memory Nk/NM: resident bytes per suspended greenlet, N thousand/"
          "million of them (RSS growth / count; libgreen in its default "
          "stack mode)")
    for n in (small, large):
        key = "memory %d" % n
        a = statistics.median(mine["results"][key])
        b = statistics.median(theirs["results"][key])
        met = a / b <= 0.3
        ok &= met
        label = "memory %s" % ("%dM" % (n // 1000000) if n >= 1000000
                               else "%dk" % (n // 1000))
        # (the target holds at 100,000 and more; below, the first
        # greenlets' own stacks weigh more: no verdict in a quick run)
        print("%-14s %10.0f B %10.0f B %7.2fx  %s"
              % (label, a, b, a / b, "" if args.quick else
                 "<=0.3 met" if met else "<=0.3 MISSED"))
    total = statistics.median(mine["results"]["memory %d" % large]) * large
    if not args.quick:
        met = total < 2e9
        ok &= met
        print("libgreen holds %s suspended greenlets in %.2f GB: <2 GB %s"
              % ("{:,}".format(large), total / 1e9, "met" if met else "MISSED"))
    if args.quick:
        print("(quick run: figures are indicative only)")
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
