# SPDX-License-Identifier: MIT
"""greenlet._greenlet: the implementation module, here libgreen's."""
from libgreen._core import (  # noqa: F401
    greenlet,
    getcurrent,
    settrace,
    gettrace,
    GreenletExit,
    error,
    get_pending_cleanup_count,
    get_total_main_greenlets,
    get_tstate_trash_delete_nesting,
    set_thread_local,
)

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
