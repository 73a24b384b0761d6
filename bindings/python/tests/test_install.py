# SPDX-License-Identifier: MIT
"""libgreen.install_as_greenlet(): the drop-in from inside a program."""
import os
import shutil

import pytest

from conftest import libgreen_only

pytestmark = libgreen_only


@pytest.fixture
def libgreen_alone(tmp_path):
    """A directory holding only the libgreen package (no top-level
    greenlet), as a pip-installed libgreen is."""
    import libgreen
    src = os.path.dirname(libgreen.__file__)
    shutil.copytree(src, tmp_path / "libgreen",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return str(tmp_path)


CHECK = r"""
import sys
try:
    import greenlet
    sys.exit("greenlet importable before install_as_greenlet: %s"
             % greenlet.__file__)
except ImportError:
    pass
import libgreen
mod = libgreen.install_as_greenlet()
import greenlet, greenlet._greenlet
from greenlet import getcurrent, GreenletExit
assert greenlet is mod and greenlet.__libgreen__
assert sys.modules["greenlet._greenlet"] is greenlet._greenlet
assert greenlet.greenlet is libgreen.greenlet
assert getcurrent is libgreen.getcurrent
assert libgreen.install_as_greenlet() is mod
g = greenlet.greenlet(lambda x: x + 1)
assert g.switch(41) == 42
print("ok", greenlet.__file__)
"""


def test_install_as_greenlet(run_python, libgreen_alone):
    p = run_python(CHECK, extra_env={"PYTHONPATH": libgreen_alone,
                                     "PYTHONNOUSERSITE": "1"})
    if "greenlet importable before" in p.stderr:
        pytest.skip("a greenlet package is installed in site-packages")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("ok " + libgreen_alone)


def test_install_as_greenlet_refuses_other_greenlet(run_python,
                                                    libgreen_alone):
    code = r"""
import sys, types
fake = types.ModuleType("greenlet")
fake.__file__ = "/elsewhere/greenlet/__init__.py"
sys.modules["greenlet"] = fake
import libgreen
try:
    libgreen.install_as_greenlet()
except ImportError as e:
    print("refused:", e)
    assert sys.modules["greenlet"] is fake
"""
    p = run_python(code, extra_env={"PYTHONPATH": libgreen_alone})
    assert p.returncode == 0, p.stderr
    assert "refused: a different greenlet module" in p.stdout


def test_greenlet_type_and_attributes_have_docstrings():
    """help(greenlet) reads as greenlet's: the class, its methods and its
    attributes each say what they are."""
    import greenlet
    cls = greenlet.greenlet
    assert cls.__doc__ and cls.__doc__.startswith("greenlet(run=None")
    missing = []
    for name in ("run", "parent", "gr_frame", "gr_context", "dead",
                 "switch", "throw", "getcurrent", "settrace", "gettrace"):
        attr = getattr(cls, name)
        doc = getattr(attr, "__doc__", None)
        if not doc or doc == type(attr).__doc__:
            missing.append(name)
    assert not missing, missing
