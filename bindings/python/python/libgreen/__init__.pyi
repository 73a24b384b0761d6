# SPDX-License-Identifier: MIT
# Types of the libgreen package: the greenlet type and libgreen's own calls.
from types import ModuleType
from typing import Literal

from ._greenlet_dropin._greenlet import (
    GreenletExit as GreenletExit,
    error as error,
    getcurrent as getcurrent,
    gettrace as gettrace,
    greenlet as greenlet,
    settrace as settrace,
)

__version__: str
DROPIN_PATH: str
SUPPORTED_PYTHONS: tuple[tuple[int, int], ...]

def install_as_greenlet() -> ModuleType: ...
def green_version() -> int: ...
def green_version_string() -> str: ...
def green_error_name(code: int) -> str: ...
def green_strerror(code: int) -> str: ...
def set_stack_mode(
    mode: Literal["guarded", "copy", "auto", "default"], /
) -> Literal["guarded", "copy", "auto", "default"]: ...
