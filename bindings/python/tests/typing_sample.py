# SPDX-License-Identifier: MIT
"""A program typed against greenlet's API: checked by mypy --strict
(typecheck.sh), and run. Not a pytest module (no test_ prefix)."""
from __future__ import annotations

import greenlet
from greenlet import GreenletExit, getcurrent


def producer(n: int) -> str:
    parent = getcurrent().parent
    assert parent is not None
    for i in range(n):
        parent.switch(i)
    return "done"


def main() -> None:
    g = greenlet.greenlet(producer)
    values: list[int] = [g.switch(3)]
    while True:
        v = g.switch()
        if isinstance(v, str):
            break
        values.append(v)
    assert values == [0, 1, 2] and g.dead and not g

    seen: list[str] = []

    def trace(event: str, args: tuple[greenlet.greenlet, greenlet.greenlet]) -> None:
        seen.append(event)

    old = greenlet.settrace(trace)
    def pause() -> None:
        parent = getcurrent().parent
        if parent is not None:
            parent.switch()

    k = greenlet.greenlet(pause)
    k.switch()
    greenlet.settrace(old)
    assert "switch" in seen
    assert k.gr_frame is not None
    k.throw(GreenletExit)
    assert k.dead and k.gr_frame is None
    print("typing sample: ok")


if __name__ == "__main__":
    main()
