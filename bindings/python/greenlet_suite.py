#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs greenlet's own test suite (the package greenlet.tests that ships in
PyPI's greenlet) on libgreen's drop-in and on PyPI's greenlet, on this
interpreter, and compares what passed.

    python3 greenlet_suite.py --binding BUILD/python --greenlet-dir REF \
        --deps DEPS --sdist SDIST [--impl both|dropin|pypi]

REF is a directory into which greenlet (from PyPI) was installed with
``pip install --target``; DEPS holds the suite's own dependencies (psutil,
objgraph); SDIST is greenlet's source distribution (the .tar.gz of the same
version, from ``pip download --no-binary``).

For the drop-in run, a staging directory holds a ``greenlet`` package made of
the drop-in's modules and its greenlet.h, plus ``greenlet/tests``: PyPI's
tests, except greenlet's C API test extensions (``_test_extension``,
``_test_extension_cpp``), which are compiled here from SDIST's sources
against the drop-in's greenlet.h, so that the suite imports the drop-in as
``greenlet`` and its C API tests exercise the drop-in's ``_C_API`` capsule.
On PyPI's greenlet, the suite runs with the extensions its wheel ships.

Exit status: 0 when every test that passed on PyPI's greenlet also passed on
the drop-in (and the drop-in run ran tests), 1 otherwise.
"""
import argparse
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from suite_result import Recorder, flatten

# Modules that exist only to test greenlet's C API (their tests are counted
# apart as well).
C_API_MODULES = {"test_cpp", "test_extension_interface"}
# greenlet's C API test extensions: (module, source in the sdist's
# src/greenlet/tests, language).
EXTENSIONS = [("_test_extension", "_test_extension.c", "c"),
              ("_test_extension_cpp", "_test_extension_cpp.cpp", "c++")]


def uses_c_api(test):
    """True if the test method loads one of greenlet's C test extensions."""
    method = getattr(test, test._testMethodName, None)
    try:
        src = inspect.getsource(method)
    except (OSError, TypeError):
        return False
    return "_test_extension" in src


def inner(out):
    import greenlet
    import greenlet.tests
    tests_dir = os.path.dirname(greenlet.tests.__file__)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    c_api = []
    for name in sorted(os.listdir(tests_dir)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        mod = name[:-3]
        for t in flatten(loader.loadTestsFromName("greenlet.tests." + mod)):
            suite.addTest(t)
            if mod in C_API_MODULES or (
                    not isinstance(t, unittest.loader._FailedTest)
                    and uses_c_api(t)):
                c_api.append(t.id())
    exts = []
    for mod, _, _ in EXTENSIONS:
        try:
            m = __import__("greenlet.tests." + mod, fromlist=["_"])
            exts.append(m.__file__)
        except ImportError as e:
            exts.append("%s not importable (%s)" % (mod, e))
    print("greenlet from %s; %d tests, %d of them of the C API, with %s"
          % (os.path.dirname(greenlet.__file__), suite.countTestCases(),
             len(c_api), ", ".join(exts)), flush=True)
    runner = unittest.TextTestRunner(resultclass=Recorder, verbosity=1,
                                     stream=sys.stdout)
    t0 = time.time()
    r = runner.run(suite)
    # greenlet marks some tests with its own known leaks (fails_leakcheck):
    # its leak checker then raises when the leak does not happen. Those are
    # reported apart, as passed without greenlet's leak.
    no_leak = sorted(t.id() for t, tb in r.errors + r.failures
                     if "to leak but it did not" in tb)
    report = {
        "run": r.testsRun,
        "passed": sorted(r.passed),
        "no_leak": no_leak,
        "failed": sorted(t.id() for t, _ in r.failures if t.id() not in no_leak),
        "errors": sorted(t.id() for t, _ in r.errors if t.id() not in no_leak),
        "skipped": sorted(t.id() for t, _ in r.skipped),
        "c_api": sorted(c_api),
        "seconds": round(time.time() - t0, 1),
    }
    with open(out, "w") as f:
        json.dump(report, f)


def build_extensions(sdist, pkg):
    """Compiles greenlet's C API test extensions from the sdist's sources
    into pkg/tests, against pkg/greenlet.h (the sources include
    "../greenlet.h"). Raises SystemExit if one does not build."""
    import sysconfig
    import tarfile
    src = os.path.join(os.path.dirname(pkg), "sdist")
    with tarfile.open(sdist) as tf:
        wanted = [m for m in tf.getmembers()
                  if "/src/greenlet/" in m.name and m.isfile()
                  and (m.name.endswith(".hpp") or
                       any(m.name.endswith("/tests/" + f)
                           for _, f, _ in EXTENSIONS))]
        for m in wanted:
            m.name = m.name.split("/src/greenlet/", 1)[1]
        if hasattr(tarfile, "data_filter"):
            tf.extractall(src, members=wanted, filter="data")
        else:
            tf.extractall(src, members=wanted)
    # greenlet's own compiler-compatibility header, which the C++ source
    # includes, beside the drop-in's greenlet.h.
    for f in os.listdir(src):
        if f.endswith(".hpp"):
            shutil.copy(os.path.join(src, f), pkg)
    inc = sysconfig.get_paths()["include"]
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for mod, f, lang in EXTENSIONS:
        source = os.path.join(pkg, "tests", f)
        shutil.copy(os.path.join(src, "tests", f), source)
        cc = "c++" if lang == "c++" else "cc"
        cmd = [cc, "-shared", "-fPIC", "-O2", "-I" + inc, source,
               "-o", os.path.join(pkg, "tests", mod + suffix)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("building %s against the drop-in's greenlet.h "
                             "failed:\n%s%s" % (mod, r.stdout, r.stderr))
    print("built %s against %s" % (", ".join(m for m, _, _ in EXTENSIONS),
                                   os.path.join(pkg, "greenlet.h")))


def start_impl(label, pythonpath, out):
    """Starts the suite on one implementation; its output goes to out.log."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    env.pop("GREEN_TEST_REFERENCE", None)
    log = open(out + ".log", "w")
    log.write("== greenlet's suite on %s (Python %s)\n"
              % (label, sys.version.split()[0]))
    log.flush()
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                             "--inner", out], env=env, stdout=log,
                            stderr=subprocess.STDOUT,
                            cwd=tempfile.gettempdir())
    return label, proc, log, out


def finish_impl(started):
    """Waits for a run of start_impl(), prints its output, returns its
    report (None if it did not report)."""
    label, proc, log, out = started
    rc = proc.wait()
    log.close()
    # Indented, so that the test command counts this run by the line
    # below (which scores greenlet's expected leaks), not by unittest's.
    with open(out + ".log") as f:
        for line in f:
            sys.stdout.write("    " + line)
    sys.stdout.flush()
    if not os.path.exists(out):
        print("%s: the suite did not report (exit %d)" % (label, rc))
        return None
    with open(out) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inner", metavar="OUT")
    ap.add_argument("--binding", help="<build>/python of libgreen")
    ap.add_argument("--greenlet-dir", help="PyPI greenlet (pip --target)")
    ap.add_argument("--deps", help="psutil and objgraph (pip --target)")
    ap.add_argument("--sdist", help="greenlet's sdist (.tar.gz), for its C "
                    "API test extensions")
    ap.add_argument("--impl", choices=["both", "dropin", "pypi"],
                    default="both")
    args = ap.parse_args()
    if args.inner:
        inner(args.inner)
        return 0
    binding = os.path.abspath(args.binding)
    ref = os.path.abspath(args.greenlet_dir)
    deps = os.path.abspath(args.deps)
    work = tempfile.mkdtemp(prefix="libgreen-gsuite.")
    try:
        stage = os.path.join(work, "stage")
        pkg = os.path.join(stage, "greenlet")
        os.makedirs(pkg)
        for f in ("__init__.py", "_greenlet.py", "greenlet.h"):
            shutil.copy(os.path.join(binding, "greenlet", f), pkg)
        # PyPI's tests, with the C API test extensions built here.
        ref_tests = os.path.join(ref, "greenlet", "tests")
        os.makedirs(os.path.join(pkg, "tests"))
        for f in os.listdir(ref_tests):
            if f.startswith("_test_extension") and f.endswith(".so"):
                continue
            os.symlink(os.path.join(ref_tests, f),
                       os.path.join(pkg, "tests", f))
        if args.impl in ("both", "dropin"):
            if not args.sdist:
                raise SystemExit("--sdist (greenlet's source distribution) "
                                 "is needed for the drop-in run")
            build_extensions(os.path.abspath(args.sdist), pkg)
        # The two runs go side by side: most of the suite's time is spent
        # waiting (sleeps, subprocesses, memory measurements).
        started = {}
        if args.impl in ("both", "dropin"):
            started["dropin"] = start_impl("libgreen's drop-in",
                                           [stage, binding, deps],
                                           os.path.join(work, "dropin.json"))
        if args.impl in ("both", "pypi"):
            started["pypi"] = start_impl("PyPI's greenlet", [ref, deps],
                                         os.path.join(work, "pypi.json"))
        results = {k: finish_impl(v) for k, v in started.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    status = 0
    ver = "%d.%d" % sys.version_info[:2]
    for k, r in results.items():
        if r is None:
            status = 1
            continue
        print("greenlet suite, Python %s, %s: %d run, %d passed (+%d without "
              "greenlet's expected leak), %d failed, "
              "%d errors, %d skipped in %.0f s"
              % (ver, k, r["run"], len(r["passed"]), len(r.get("no_leak", ())),
                 len(r["failed"]),
                 len(r["errors"]), len(r["skipped"]), r["seconds"]))
        capi = set(r["c_api"])
        print("greenlet C API tests, Python %s, %s: %d of %d passed"
              % (ver, k, len(capi & set(r["passed"])), len(capi)))
        # The plain count the test command reads.
        print("greenlet-suite-%s-%s: %d passed, %d failed, %d skipped"
              % (ver, k, len(r["passed"]) + len(r.get("no_leak", ())),
                 len(r["failed"]) + len(r["errors"]), len(r["skipped"])))
    d, p = results.get("dropin"), results.get("pypi")
    if d is not None and d["run"] == 0:
        print("the drop-in run ran no test")
        status = 1
    if d is not None and p is not None:
        missing = sorted(set(p["passed"]) - set(d["passed"]) -
                         set(d.get("no_leak", ())))
        print("Python %s: passed on the drop-in %d (+%d without the leak "
              "greenlet's checker expects of greenlet), on PyPI's greenlet %d"
              % (ver, len(d["passed"]), len(d.get("no_leak", ())),
                 len(p["passed"])))
        for t in d.get("no_leak", ()):
            print("  passes on the drop-in without the leak greenlet's "
                  "checker expects of greenlet: " + t)
        for t in missing:
            print("  passes on PyPI's greenlet only: " + t)
        if missing:
            status = 1
    elif d is not None and (d["failed"] or d["errors"]):
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
