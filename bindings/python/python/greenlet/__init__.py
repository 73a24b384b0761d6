# SPDX-License-Identifier: MIT
"""The greenlet module, implemented on libgreen.

A drop-in for the greenlet package: the same names, the same module layout
(``greenlet._greenlet``), the same semantics and messages. See
bindings/python/README.md in the libgreen repository for what differs.
"""
# The greenlet API level this module follows.
__version__ = "3.0.0"
# Marks this implementation (libgreen.install_as_greenlet() checks it).
__libgreen__ = True

from ._greenlet import (  # noqa: F401
    greenlet,
    getcurrent,
    settrace,
    gettrace,
    GreenletExit,
    error,
    GREENLET_USE_GC,
    GREENLET_USE_TRACING,
    GREENLET_USE_CONTEXT_VARS,
    GREENLET_USE_STANDARD_THREADING,
    CLOCKS_PER_SEC,
    enable_optional_cleanup,
    get_clocks_used_doing_optional_cleanup,
    _C_API,
)
