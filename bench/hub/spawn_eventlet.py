# SPDX-License-Identifier: MIT
"""The eventlet anchor of the spawn+join benchmark."""
import time

import eventlet


def f(v):
    return v


def main():
    n = 100000
    for i in range(2000):  # warm up
        eventlet.spawn(f, i).wait()
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        total += eventlet.spawn(f, i).wait()
    dt = time.perf_counter() - t0
    assert total == n * (n - 1) // 2
    print("spawn+join ns=%.1f" % (dt / n * 1e9))


if __name__ == "__main__":
    main()
