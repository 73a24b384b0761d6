#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs test modules of gevent's own suite (the package gevent.tests that
ships in gevent's wheels) with compiled gevent, unmodified, on libgreen's
drop-in and on PyPI's greenlet, on this interpreter, and compares what
passed.

    python3 gevent_suite.py --binding BUILD/python --gevent-dir GEVENT \
        --greenlet-dir REF [--impl both|dropin|pypi] [--jobs N] [MODULE...]

GEVENT is a directory into which gevent's wheel from PyPI and its own
dependencies (zope.event, zope.interface) were installed with
``pip install --no-deps --target``, without the greenlet package: the
wheel's extension modules were compiled against PyPI greenlet's header and
run here on whichever greenlet is first on sys.path. REF holds PyPI's
greenlet (``pip install --target``).

Each module runs in a process of its own (gevent's tests patch modules and
keep a hub per thread), which checks first that ``greenlet`` is the
implementation it is meant to test (the drop-in under BUILD/python, or
PyPI's under REF). Modules run --jobs at a time (most of their time is
spent waiting on timers and sockets).

Many of gevent's tests measure elapsed times against short timeouts (gevent
marks them flaky): on a loaded machine they fail now and then, on either
greenlet. A test that fails is run again on its own (one at a time), up to
RERUNS times, on the implementation it failed on; the summary names those
that passed only on a rerun.

Exit status: 0 when every test that passed on PyPI's greenlet also passed on
the drop-in (and the drop-in run passed tests), 1 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from suite_result import Recorder, flatten

# gevent's test modules for what programs use most: greenlets and their
# sets, pools, the hub, events, queues, semaphores, locks, locals,
# timeouts, servers, sockets, select, the thread pool, monkey-patching.
# Left out: those that need the network or a resolver beyond the host
# (test__socket_dns*, test__getaddrinfo_import...), fork and subprocess
# tests, and the ones that mostly time gevent's own loop.
MODULES = [
    "test__greenlet", "test__greenletset", "test__joinall", "test__pool",
    "test__hub", "test__hub_join", "test__event", "test__queue",
    "test__semaphore", "test__lock", "test__local", "test__timeout",
    "test__server", "test__socket", "test__select", "test__threadpool",
    "test__monkey",
]
MODULE_TIMEOUT = 300  # seconds, one module
RERUNS = 3            # more runs of a failed test, each in a new process
MAX_RERUN = 40        # failed tests rerun at most, per implementation


def inner(module, out):
    import greenlet
    want = os.environ["GEVENT_SUITE_GREENLET"]
    where = os.path.realpath(greenlet.__file__)
    if not where.startswith(os.path.realpath(want) + os.sep):
        raise SystemExit("greenlet is %s, not from %s" % (where, want))
    is_dropin = bool(getattr(greenlet, "__libgreen__", False))
    if is_dropin != (os.environ["GEVENT_SUITE_IMPL"] == "dropin"):
        raise SystemExit("greenlet at %s is the wrong implementation" % where)
    import gevent
    # A module of gevent.tests, or one test's full id (a rerun).
    name = module if module.startswith("gevent.") else "gevent.tests." + module
    print("%s: greenlet from %s, gevent %s from %s" % (
        module, where, gevent.__version__, os.path.dirname(gevent.__file__)),
        flush=True)
    suite = unittest.TestSuite()
    suite.addTests(flatten(unittest.defaultTestLoader.loadTestsFromName(name)))
    runner = unittest.TextTestRunner(resultclass=Recorder, verbosity=1,
                                     stream=sys.stdout)
    t0 = time.time()
    r = runner.run(suite)
    report = {
        "module": module,
        "run": r.testsRun,
        "passed": sorted(r.passed),
        "failed": sorted(t.id() for t, _ in r.failures + r.errors +
                         [(t, None) for t in r.unexpectedSuccesses]),
        "skipped": sorted(t.id() for t, _ in r.skipped),
        "seconds": round(time.time() - t0, 1),
    }
    with open(out, "w") as f:
        json.dump(report, f)
    sys.stdout.flush()
    # gevent leaves threads of its pools and resolver behind: do not wait
    # for them.
    os._exit(0)


def run_module(impl, paths, greenlet_root, module, work):
    out = os.path.join(work, "%s-%s.json" % (impl, module))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["GEVENT_SUITE_GREENLET"] = greenlet_root
    env["GEVENT_SUITE_IMPL"] = impl
    env.pop("GREEN_TEST_REFERENCE", None)
    t0 = time.time()
    try:
        p = subprocess.run([sys.executable, os.path.abspath(__file__),
                            "--inner", module, out], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=MODULE_TIMEOUT,
                           cwd=tempfile.gettempdir())
        log, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        log = (e.stdout or b"").decode("utf-8", "replace") if isinstance(
            e.stdout, bytes) else (e.stdout or "")
        log += "\n(timed out after %d s)\n" % MODULE_TIMEOUT
        rc = "timeout"
    report = None
    if os.path.exists(out):
        with open(out) as f:
            report = json.load(f)
    return {"impl": impl, "module": module, "rc": rc, "log": log,
            "report": report, "wall": time.time() - t0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inner", nargs=2, metavar=("MODULE", "OUT"))
    ap.add_argument("--binding", help="<build>/python of libgreen")
    ap.add_argument("--gevent-dir", help="gevent and its dependencies, "
                    "without greenlet (pip --no-deps --target)")
    ap.add_argument("--greenlet-dir", help="PyPI greenlet (pip --target)")
    ap.add_argument("--impl", choices=["both", "dropin", "pypi"],
                    default="both")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every module's output")
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    if args.inner:
        inner(*args.inner)
        return 0
    binding = os.path.abspath(args.binding)
    gdir = os.path.abspath(args.gevent_dir)
    ref = os.path.abspath(args.greenlet_dir)
    for leftover in os.listdir(gdir):
        if leftover.startswith("greenlet"):
            raise SystemExit("%s holds a greenlet package: it would hide "
                             "the implementation under test" % gdir)
    modules = args.modules or MODULES
    impls = []
    if args.impl in ("both", "dropin"):
        impls.append(("dropin", [binding, gdir],
                      os.path.join(binding, "greenlet")))
    if args.impl in ("both", "pypi"):
        impls.append(("pypi", [ref, gdir], os.path.join(ref, "greenlet")))
    ver = "%d.%d" % sys.version_info[:2]
    t0 = time.time()
    status = 0
    totals = {impl: {"passed": set(), "failed": set(), "skipped": 0,
                     "run": 0, "no_report": 0, "on_rerun": set()}
              for impl, _, _ in impls}
    with tempfile.TemporaryDirectory(prefix="libgreen-gevent.") as work:
        jobs = [(impl, paths, root, m, work) for m in modules
                for impl, paths, root in impls]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            results = list(ex.map(lambda j: run_module(*j), jobs))
        for res in results:
            r = res["report"]
            tot = totals[res["impl"]]
            if r is None:
                print("  %s on %s: no report (exit %s); its output:"
                      % (res["module"], res["impl"], res["rc"]))
                sys.stdout.write("".join("    " + line for line in
                                         res["log"].splitlines(True)[-60:]))
                tot["no_report"] += 1
                continue
            tot["passed"].update(r["passed"])
            tot["failed"].update(r["failed"])
            tot["skipped"] += len(r["skipped"])
            tot["run"] += r["run"]
            if args.verbose:
                sys.stdout.write("".join("    " + line for line in
                                         res["log"].splitlines(True)))
        # Failed tests again, each on its own.
        reruns = [(impl, paths, root, t, work) for impl, paths, root in impls
                  for t in sorted(totals[impl]["failed"])[:MAX_RERUN]]
        for attempt in range(RERUNS):
            if not reruns:
                break
            # One at a time: these are the tests that load disturbs.
            again = [run_module(*j) for j in reruns]
            left = []
            for job, res in zip(reruns, again):
                tot = totals[res["impl"]]
                t = res["module"]
                r = res["report"]
                if r is not None and t in r["passed"]:
                    tot["failed"].discard(t)
                    tot["passed"].add(t)
                    tot["on_rerun"].add(t)
                else:
                    left.append(job)
                    if attempt == RERUNS - 1 and (args.verbose or
                                                  res["impl"] == "dropin"):
                        print("  %s still fails on %s; its output:"
                              % (t, res["impl"]))
                        sys.stdout.write("".join(
                            "    " + line
                            for line in res["log"].splitlines(True)[-60:]))
            reruns = left
    by = {(res["impl"], res["module"]): res for res in results}
    print("gevent's tests, Python %s (%d modules, %.0f s wall):"
          % (ver, len(modules), time.time() - t0))
    for m in modules:
        cells = []
        for impl, _, _ in impls:
            r = by[(impl, m)]["report"]
            cells.append("%s %s" % (impl, "no report" if r is None else
                                    "%d passed, %d failed, %d skipped (%.0f s)"
                                    % (len(r["passed"]), len(r["failed"]),
                                       len(r["skipped"]), r["seconds"])))
        print("  %-20s %s" % (m, "; ".join(cells)))
    for impl, tot in totals.items():
        if tot["on_rerun"]:
            print("  on %s, passed only on a rerun: %s"
                  % (impl, ", ".join(sorted(tot["on_rerun"]))))
    for impl, tot in totals.items():
        # The plain count the test command reads.
        print("gevent-suite-%s-%s: %d passed, %d failed, %d skipped"
              % (ver, impl, len(tot["passed"]),
                 len(tot["failed"]) + tot["no_report"], tot["skipped"]))
    d, p = totals.get("dropin"), totals.get("pypi")
    if d is not None and not d["passed"]:
        print("the drop-in run passed no test")
        status = 1
    if d is not None and p is not None:
        missing = sorted(p["passed"] - d["passed"])
        print("Python %s: gevent's tests passed on the drop-in %d, on PyPI's "
              "greenlet %d" % (ver, len(d["passed"]), len(p["passed"])))
        for t in missing:
            print("  passes on PyPI's greenlet only: " + t)
        if missing:
            status = 1
    elif d is not None and (d["failed"] or d["no_report"]):
        status = 1
    if d is not None and d["no_report"]:
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
