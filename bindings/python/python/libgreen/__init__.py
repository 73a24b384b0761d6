# SPDX-License-Identifier: MIT
"""libgreen for Python: greenlets on libgreen, and a drop-in ``greenlet``.

``libgreen.greenlet`` is the greenlet type (greenlet's API and semantics).
``libgreen.install_as_greenlet()`` makes ``import greenlet`` (and
``greenlet._greenlet``) give this implementation, for programs such as
eventlet that import the greenlet module.
"""
import os
import sys
import importlib.util
import sysconfig

#: The CPython versions this binding supports (each has its own
#: interpreter-state code in the extension module).
SUPPORTED_PYTHONS = ((3, 11), (3, 12), (3, 13))

if (sys.implementation.name != "cpython"
        or tuple(sys.version_info[:2]) not in SUPPORTED_PYTHONS
        or sysconfig.get_config_var("Py_GIL_DISABLED")):
    raise ImportError(
        "libgreen supports CPython 3.11, 3.12 and 3.13 with the GIL; this is "
        "%s %s%s" % (sys.implementation.name, sys.version.split()[0],
                     " (free-threaded)"
                     if sysconfig.get_config_var("Py_GIL_DISABLED") else ""))

from . import _core  # noqa: E402
from ._core import (  # noqa: F401
    greenlet,
    getcurrent,
    settrace,
    gettrace,
    GreenletExit,
    error,
    green_version,
    green_version_string,
    green_error_name,
    green_strerror,
    set_stack_mode,
)

__version__ = _core.green_version_string()

#: Where the drop-in greenlet package of this installation lives.
DROPIN_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "_greenlet_dropin")


def install_as_greenlet():
    """Put the drop-in ``greenlet`` package in ``sys.modules``.

    After this, ``import greenlet`` and ``import greenlet._greenlet`` give
    libgreen's implementation. Call it before anything imports greenlet.
    Returns the module. Raises ImportError if another greenlet module was
    imported already (two greenlet implementations cannot share a thread).
    """
    current = sys.modules.get("greenlet")
    if current is not None:
        if getattr(current, "__libgreen__", False):
            return current
        raise ImportError(
            "a different greenlet module (%r) is already imported; call "
            "libgreen.install_as_greenlet() before anything imports greenlet"
            % (getattr(current, "__file__", current),))
    init = os.path.join(DROPIN_PATH, "__init__.py")
    spec = importlib.util.spec_from_file_location(
        "greenlet", init, submodule_search_locations=[DROPIN_PATH])
    module = importlib.util.module_from_spec(spec)
    sys.modules["greenlet"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop("greenlet", None)
        sys.modules.pop("greenlet._greenlet", None)
        raise
    return module
