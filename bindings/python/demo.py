#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Demo: an eventlet GreenPool of 8 workers processing router updates, on
libgreen.

The pattern of OpenStack's L3 agent: `pool = eventlet.GreenPool(size=8)`,
then `pool.spawn_n(worker)` for workers that take router updates from a
queue; each update waits on (simulated) I/O with eventlet.sleep. Unmodified
eventlet imports `greenlet`, which here is libgreen's drop-in.

Run after building the repository:
    PYTHONPATH=<build dir>/python python3 bindings/python/demo.py
If eventlet is not installed, it is installed (without the greenlet package)
into <build dir>/python-deps first.
"""
import os
import random
import subprocess
import sys
import time
import warnings

import greenlet

if not getattr(greenlet, "__libgreen__", False):
    sys.exit("greenlet comes from %s, not from libgreen: run with "
             "PYTHONPATH=<build dir>/python" % greenlet.__file__)


def import_eventlet():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import eventlet
        return eventlet
    except ImportError:
        pass
    build_python = os.path.dirname(os.path.dirname(greenlet.__file__))
    deps = os.path.join(os.path.dirname(build_python), "python-deps")
    if not os.path.isdir(os.path.join(deps, "eventlet")):
        print("installing eventlet (without greenlet) into %s" % deps)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q",
                               "--disable-pip-version-check", "--no-deps",
                               "--target", deps, "eventlet", "dnspython"])
    sys.path.append(deps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import eventlet
    return eventlet


eventlet = import_eventlet()
from eventlet.queue import Empty  # noqa: E402

POOL_SIZE = 8
ROUTERS = 30
UPDATES_PER_ROUTER = 4


def main():
    rng = random.Random(7)
    updates = eventlet.Queue()
    for n in range(UPDATES_PER_ROUTER):
        for r in range(ROUTERS):
            updates.put({"router": "router-%02d" % r, "seq": n,
                         "io_ms": rng.choice((1, 2, 5, 10))})
    total = updates.qsize()
    state = {"running": 0, "peak": 0, "done": 0}
    per_worker = {}

    def process_routers_loop(name):
        while True:
            try:
                update = updates.get_nowait()
            except Empty:
                return
            state["running"] += 1
            state["peak"] = max(state["peak"], state["running"])
            running = state["running"]
            # Talk to the (simulated) network: the greenlet waits, others run.
            eventlet.sleep(update["io_ms"] / 1000.0)
            state["done"] += 1
            per_worker[name] = per_worker.get(name, 0) + 1
            if state["done"] % 15 == 0 or state["done"] == total:
                print("  %3d/%d  %s update %d done by %s (%d running)"
                      % (state["done"], total, update["router"],
                         update["seq"], name, running))
            state["running"] -= 1

    print("greenlet module: %s" % greenlet.__file__)
    print("eventlet %s, GreenPool(size=%d), %d router updates"
          % (eventlet.__version__, POOL_SIZE, total))
    t0 = time.perf_counter()
    pool = eventlet.GreenPool(size=POOL_SIZE)
    for i in range(2 * POOL_SIZE):  # more spawns than slots: spawn_n waits
        pool.spawn_n(process_routers_loop, "worker-%02d" % i)
        assert pool.running() <= POOL_SIZE
    pool.waitall()
    elapsed = time.perf_counter() - t0

    print("processed %d updates in %.2f s by %d workers"
          % (state["done"], elapsed, len(per_worker)))
    print("at most %d ran at once (pool size %d): %s"
          % (state["peak"], POOL_SIZE,
             "OK" if state["peak"] <= POOL_SIZE else "TOO MANY"))
    ok = state["done"] == total and state["peak"] <= POOL_SIZE
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
