# SPDX-License-Identifier: MIT
# Types of the greenlet module (greenlet's API, on libgreen).
from ._greenlet import (
    CLOCKS_PER_SEC as CLOCKS_PER_SEC,
    GREENLET_USE_CONTEXT_VARS as GREENLET_USE_CONTEXT_VARS,
    GREENLET_USE_GC as GREENLET_USE_GC,
    GREENLET_USE_STANDARD_THREADING as GREENLET_USE_STANDARD_THREADING,
    GREENLET_USE_TRACING as GREENLET_USE_TRACING,
    GreenletExit as GreenletExit,
    enable_optional_cleanup as enable_optional_cleanup,
    error as error,
    get_clocks_used_doing_optional_cleanup as get_clocks_used_doing_optional_cleanup,
    getcurrent as getcurrent,
    gettrace as gettrace,
    greenlet as greenlet,
    settrace as settrace,
)

__version__: str
__libgreen__: bool
