#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gevent, unmodified, on libgreen.

gevent's wheel from PyPI (its Cython modules compiled against PyPI
greenlet's header) is installed without the greenlet package; libgreen's
drop-in is the greenlet it imports. Its Greenlet and Hub are C subclasses of
the drop-in's greenlet type, and call its C API (greenlet._C_API).

A monkey-patched program: an echo server with a pool of client greenlets,
blocking "threads" that are greenlets, DNS resolution, and real threads in
gevent's thread pool.

    PYTHONPATH=build/python:<dir with gevent> python3 demo_gevent.py
"""
from gevent import monkey

monkey.patch_all()

import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
import greenlet  # noqa: E402
from gevent.server import StreamServer  # noqa: E402
from gevent import _gevent_cgreenlet  # noqa: E402


def main():
    print("greenlet: %s (libgreen's drop-in: %s)"
          % (greenlet.__file__, getattr(greenlet, "__libgreen__", False)))
    print("gevent %s, compiled: %s" % (gevent.__version__,
                                       _gevent_cgreenlet.__file__))
    print("gevent.Greenlet's bases: %s; greenlet.greenlet: %d bytes"
          % (" -> ".join(c.__module__ + "." + c.__name__
                         for c in gevent.Greenlet.__mro__),
             greenlet.greenlet.__basicsize__))

    def echo(sock, addr):
        f = sock.makefile("rwb")
        for line in f:
            f.write(line.upper())
            f.flush()
        sock.close()
    server = StreamServer(("127.0.0.1", 0), echo)
    server.start()
    port = server.server_port

    def client(i):
        with socket.create_connection(("127.0.0.1", port)) as s:
            f = s.makefile("rwb")
            replies = []
            for j in range(10):
                f.write(b"greenlet %d line %d\n" % (i, j))
                f.flush()
                replies.append(f.readline())
            return replies
    t0 = time.perf_counter()
    pool = gevent.pool.Pool(100)
    replies = pool.map(client, range(500))
    dt = time.perf_counter() - t0
    assert all(r == [b"GREENLET %d LINE %d\n" % (i, j) for j in range(10)]
               for i, r in enumerate(replies))
    print("echo server: 500 clients (100 at a time) x 10 lines, all echoed, "
          "in %.2f s" % dt)
    server.stop()

    # time.sleep and threading.Thread are gevent's now: 50 "threads"
    # sleeping 0.2 s each finish together.
    t0 = time.perf_counter()
    threads = [threading.Thread(target=time.sleep, args=(0.2,))
               for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("50 patched threads sleeping 0.2 s each: done in %.2f s"
          % (time.perf_counter() - t0))

    print("DNS: localhost is %s" % socket.gethostbyname("localhost"))

    hub = gevent.get_hub()
    native = hub.threadpool.apply(threading.get_native_id)
    print("thread pool: ran on native thread %d (this one is %d)"
          % (native, threading.get_native_id()))
    assert native != threading.get_native_id()


if __name__ == "__main__":
    main()
