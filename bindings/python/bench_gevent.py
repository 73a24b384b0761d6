#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gevent on libgreen's drop-in against gevent on PyPI's greenlet.

The same gevent (its compiled manylinux wheel from PyPI, built against PyPI
greenlet's header, installed without greenlet) runs in the same run, on the
same interpreter, in worker processes whose sys.path finds one greenlet:
  libgreen   <build dir>/python                   (this binding)
  greenlet   a `pip install --target` directory   (greenlet from PyPI)

Measured (each a median over --runs runs, one run per worker process,
alternating between the two implementations):
  spawn+join    gevent.spawn(f, i) for 10,000 greenlets, then
                gevent.joinall() (time per greenlet)
  echo server   a gevent StreamServer echoing lines to 200 client greenlets
                of the same process, each sending 50 lines and reading each
                back over TCP on 127.0.0.1 (time per round trip)

Usage:
  GREEN_BUILD_DIR=build python3 bindings/python/bench_gevent.py [--runs 7]
Options:
  --build-dir DIR      the CMake build dir (default $GREEN_BUILD_DIR or build)
  --greenlet-dir DIR   where PyPI's greenlet is (installed there if missing)
  --gevent-dir DIR     where gevent is (installed there, without greenlet)
  --quick              fewer iterations (a smoke run; figures are noisy)
"""
import argparse
import json
import os
import statistics
import sys
import time

from bench import pip_target, run_worker_process

GEVENT = "gevent==26.9.0"


def bench_spawn(n):
    import gevent

    def f(i):
        return i
    t0 = time.perf_counter()
    gs = [gevent.spawn(f, i) for i in range(n)]
    gevent.joinall(gs)
    elapsed = time.perf_counter() - t0
    assert sum(g.value for g in gs) == n * (n - 1) // 2
    return elapsed / n


def bench_echo(clients, lines):
    import gevent
    from gevent import socket
    from gevent.server import StreamServer

    def echo(sock, addr):
        f = sock.makefile("rwb")
        for line in f:
            f.write(line)
            f.flush()
        f.close()
        sock.close()
    server = StreamServer(("127.0.0.1", 0), echo, backlog=clients)
    server.start()
    port = server.server_port

    def client(i):
        s = socket.create_connection(("127.0.0.1", port))
        f = s.makefile("rwb")
        msg = b"client %d says hello\n" % i
        for _ in range(lines):
            f.write(msg)
            f.flush()
            if f.readline() != msg:
                raise AssertionError("echo mismatch")
        f.close()
        s.close()
    t0 = time.perf_counter()
    gs = [gevent.spawn(client, i) for i in range(clients)]
    gevent.joinall(gs, raise_error=True)
    elapsed = time.perf_counter() - t0
    server.stop()
    return elapsed / (clients * lines)


def worker(quick):
    import greenlet
    import gevent
    out = {"greenlet_file": greenlet.__file__,
           "gevent": gevent.__version__,
           "libgreen": bool(getattr(greenlet, "__libgreen__", False)),
           "results": {}}
    n = 2000 if quick else 10000
    clients, lines = (50, 10) if quick else (200, 50)
    bench_spawn(n // 10)  # warm up
    out["results"]["spawn+join"] = [bench_spawn(n) * 1e9]
    bench_echo(10, 5)
    out["results"]["echo server"] = [bench_echo(clients, lines) * 1e9]
    print(json.dumps(out))


def run_worker(paths, quick):
    return run_worker_process(__file__, paths, ["--quick"] if quick else [])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--build-dir",
                    default=os.environ.get("GREEN_BUILD_DIR", "build"))
    ap.add_argument("--greenlet-dir")
    ap.add_argument("--gevent-dir")
    args = ap.parse_args()
    if args.worker:
        worker(args.quick)
        return 0
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    build = os.path.abspath(args.build_dir)
    ours = os.path.join(build, "python")
    if not os.path.isdir(os.path.join(ours, "libgreen")):
        raise SystemExit("no Python binding in %s (build the repository with "
                         "CMake first)" % ours)
    gdir = args.greenlet_dir or os.path.join(build, "bench-pypi-greenlet")
    vdir = args.gevent_dir or os.path.join(build, "bench-gevent")
    pip_target(gdir, "greenlet")
    pip_target(vdir, "--no-deps", GEVENT, "zope.event", "zope.interface")
    for leftover in os.listdir(vdir):
        if leftover.startswith("greenlet"):
            raise SystemExit("%s holds a greenlet package; remove it" % vdir)

    results = {"mine": [], "theirs": []}
    for _ in range(args.runs):
        for paths, which in (([ours, vdir], "mine"), ([gdir, vdir], "theirs")):
            results[which].append(run_worker(paths, args.quick))
    mine, theirs = results["mine"], results["theirs"]
    assert all(r["libgreen"] for r in mine)
    assert not any(r["libgreen"] for r in theirs)
    import platform
    print("gevent %s, Python %s on %s, %d runs each (alternating processes), "
          "medians (time per operation)"
          % (mine[0]["gevent"], platform.python_version(), platform.machine(),
             args.runs))
    print("  libgreen: %s" % mine[0]["greenlet_file"])
    print("  greenlet: %s" % theirs[0]["greenlet_file"])
    print("%-14s %12s %12s %8s" % ("benchmark", "libgreen", "greenlet",
                                   "ratio"))
    for name in ("spawn+join", "echo server"):
        a = statistics.median(v for r in mine for v in r["results"][name])
        b = statistics.median(v for r in theirs for v in r["results"][name])
        print("%-14s %9.0f ns %9.0f ns %7.2fx" % (name, a, b, a / b))
    if args.quick:
        print("(quick run: figures are indicative only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
