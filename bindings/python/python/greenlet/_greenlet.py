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
    _inject_switch_error,
    _C_API,
)

from libgreen._compat import (  # noqa: F401,E402
    GREENLET_USE_GC,
    GREENLET_USE_TRACING,
    GREENLET_USE_CONTEXT_VARS,
    GREENLET_USE_STANDARD_THREADING,
    CLOCKS_PER_SEC,
    enable_optional_cleanup,
    get_clocks_used_doing_optional_cleanup,
    UnswitchableGreenlet,
)
