# SPDX-License-Identifier: MIT
"""The tests run against the build tree: PYTHONPATH=$GREEN_BUILD_DIR/python.

Every test module imports `greenlet`; this checks that it is libgreen's
drop-in from the build directory, not the greenlet package from PyPI.
"""
import os
import sys

import pytest

import greenlet

# GREEN_TEST_REFERENCE=1 runs the semantic tests against the greenlet
# package from PyPI instead (to check that the tests expect what greenlet
# does); tests of libgreen specifics are skipped then.
REFERENCE = os.environ.get("GREEN_TEST_REFERENCE") == "1"
if not REFERENCE:
    import libgreen
BUILD_DIR = os.environ.get("GREEN_BUILD_DIR")
libgreen_only = pytest.mark.skipif(REFERENCE, reason="libgreen specific")


def _under(path, root):
    path = os.path.realpath(path)
    root = os.path.realpath(root)
    return os.path.commonpath([path, root]) == root


def pytest_report_header(config):
    return ["greenlet from %s" % greenlet.__file__]


def pytest_sessionstart(session):
    if REFERENCE:
        assert not getattr(greenlet, "__libgreen__", False)
        return
    assert getattr(greenlet, "__libgreen__", False), greenlet.__file__
    if BUILD_DIR:
        root = os.path.join(BUILD_DIR, "python")
        assert _under(greenlet.__file__, root), greenlet.__file__
        assert _under(libgreen.__file__, root), libgreen.__file__


@pytest.fixture
def run_python():
    """Runs a script in a fresh interpreter with the same sys.path."""
    import subprocess

    def run(code, timeout=120, extra_env=None):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        if extra_env:
            env.update(extra_env)
        return subprocess.run([sys.executable, "-c", code], env=env,
                              capture_output=True, text=True,
                              timeout=timeout)
    return run
