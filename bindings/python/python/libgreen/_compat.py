# SPDX-License-Identifier: MIT
"""The parts of greenlet._greenlet written in Python.

They live here, not in greenlet._greenlet, so that nothing defined in
Python refers to that module's namespace: as in greenlet, where it is an
extension module, what a program stores there (an object whose __del__
switches greenlets, say) is released when the module is, at interpreter
exit, even while suspended greenlets are left alive.
"""
from ._core import greenlet, _inject_switch_error

GREENLET_USE_GC = True
GREENLET_USE_TRACING = True
GREENLET_USE_CONTEXT_VARS = True
GREENLET_USE_STANDARD_THREADING = True
CLOCKS_PER_SEC = 1000000

_optional_cleanup = True


def enable_optional_cleanup(enabled):
    """Accepted for compatibility; libgreen needs no optional cleanup."""
    global _optional_cleanup
    _optional_cleanup = bool(enabled)


def get_clocks_used_doing_optional_cleanup():
    """0 (libgreen does no optional cleanup), or None when it is disabled
    with enable_optional_cleanup(False), as greenlet reports."""
    return 0 if _optional_cleanup else None


class UnswitchableGreenlet(greenlet):
    """A greenlet whose switches can be made to fail, for tests of the
    error paths (as greenlet's helper of that name).

    ``force_switch_error = True``: the next switches to it raise
    SystemError and change nothing. ``force_slp_switch_error = True``: the
    next switch to it fails after the interpreter state was handed over,
    which cannot be undone: the process aborts.
    """

    __module__ = "greenlet._greenlet"
    _force_switch_error = False
    _force_slp_switch_error = False

    @property
    def force_switch_error(self):
        return self._force_switch_error

    @force_switch_error.setter
    def force_switch_error(self, value):
        _inject_switch_error(self, 1, bool(value))
        self._force_switch_error = bool(value)

    @property
    def force_slp_switch_error(self):
        return self._force_slp_switch_error

    @force_slp_switch_error.setter
    def force_slp_switch_error(self, value):
        _inject_switch_error(self, 2, bool(value))
        self._force_slp_switch_error = bool(value)
