# SPDX-License-Identifier: MIT
"""gevent's compiled wheel from PyPI (built against PyPI greenlet's header),
unmodified, on the greenlet first on sys.path: its Cython Greenlet and Hub
are C subclasses of greenlet.greenlet and call greenlet's C API.

Each test runs in a fresh interpreter (gevent keeps a hub per thread, and
monkey-patching is for the whole process), which first checks which
greenlet it got. test.sh installs gevent and its dependencies without the
greenlet package."""
import textwrap

import pytest

from conftest import REFERENCE

PRELUDE = textwrap.dedent('''
    import os, sys
    import greenlet
    assert bool(getattr(greenlet, "__libgreen__", False)) == %r, \\
        greenlet.__file__
    import gevent
    # The compiled modules, not gevent's pure-Python fallback.
    from gevent import _gevent_cgreenlet
    assert _gevent_cgreenlet.__file__.endswith(".so"), \\
        _gevent_cgreenlet.__file__
    assert issubclass(gevent.Greenlet, greenlet.greenlet)
''' % (not REFERENCE,))


def run(run_python, body, timeout=120):
    r = run_python(PRELUDE + textwrap.dedent(body), timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_spawn_joinall_and_values(run_python):
    out = run(run_python, '''
        import gevent
        order = []
        def work(i):
            gevent.sleep(0.001 * (i % 5))
            order.append(i)
            return i * i
        gs = [gevent.spawn(work, i) for i in range(200)]
        done = gevent.joinall(gs, timeout=30)
        assert len(done) == 200
        assert all(g.successful() for g in gs)
        assert sum(g.value for g in gs) == sum(i * i for i in range(200))
        assert sorted(order) == list(range(200)) and order != list(range(200))
        # Exceptions and kill, through the C subclass.
        def boom():
            raise KeyError("boom")
        g = gevent.spawn(boom)
        g.join()
        assert isinstance(g.exception, KeyError), g.exception
        def forever():
            gevent.sleep(100)
        g = gevent.spawn(forever)
        gevent.sleep(0)
        g.kill()
        assert g.dead and isinstance(g.value, gevent.GreenletExit)
        print("ok")
    ''')
    assert out.strip().endswith("ok")


def test_pool_bounds_concurrency(run_python):
    out = run(run_python, '''
        import gevent, gevent.pool
        state = {"now": 0, "peak": 0}
        def job(i):
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            gevent.sleep(0.001)
            state["now"] -= 1
            return -i
        pool = gevent.pool.Pool(7)
        assert list(pool.imap(job, range(100))) == [-i for i in range(100)]
        assert state["peak"] == 7, state
        print("ok")
    ''')
    assert out.strip().endswith("ok")


def test_stream_server_many_clients(run_python):
    out = run(run_python, '''
        import gevent
        from gevent.server import StreamServer
        from gevent import socket
        def echo(sock, addr):
            f = sock.makefile("rwb")
            for line in f:
                f.write(line)
                f.flush()
            f.close()
            sock.close()
        server = StreamServer(("127.0.0.1", 0), echo)
        server.start()
        port = server.server_port
        def client(i):
            s = socket.create_connection(("127.0.0.1", port))
            f = s.makefile("rwb")
            got = []
            for j in range(5):
                f.write(b"%d-%d\\n" % (i, j))
                f.flush()
                got.append(f.readline())
            s.close()
            return got
        clients = [gevent.spawn(client, i) for i in range(300)]
        gevent.joinall(clients, timeout=60, raise_error=True)
        for i, c in enumerate(clients):
            assert c.value == [b"%d-%d\\n" % (i, j) for j in range(5)], c.value
        server.stop()
        print("ok")
    ''')
    assert out.strip().endswith("ok")


def test_threadpool(run_python):
    out = run(run_python, '''
        import threading, gevent
        from gevent.threadpool import ThreadPool
        main_ident = threading.get_ident()
        pool = ThreadPool(4)
        def blocking(i):
            import time
            time.sleep(0.01)
            return (i, threading.get_ident() != main_ident)
        results = pool.map(blocking, range(40))
        assert results == [(i, True) for i in range(40)], results
        # Greenlets keep running while the pool works.
        ticks = []
        ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.005))
                                       for _ in range(10)])
        r = pool.spawn(blocking, 99)
        assert r.get(timeout=10) == (99, True)
        ticker.join(timeout=10)
        assert len(ticks) == 10
        pool.kill()
        print("ok")
    ''')
    assert out.strip().endswith("ok")


def test_monkey_patch_all_threads_and_dns(run_python):
    out = run(run_python, '''
        from gevent import monkey
        monkey.patch_all()
        import socket, threading, time
        import gevent
        assert monkey.is_module_patched("threading")
        assert monkey.is_module_patched("socket")
        # Threads are greenlets: sleeping "threads" overlap.
        t0 = time.time()
        threads = [threading.Thread(target=time.sleep, args=(0.2,))
                   for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert time.time() - t0 < 2.0, time.time() - t0
        # DNS resolution through gevent's resolver.
        infos = socket.getaddrinfo("localhost", 80, socket.AF_INET,
                                   socket.SOCK_STREAM)
        assert infos and infos[0][4][0].startswith("127."), infos
        assert socket.gethostbyname("localhost").startswith("127.")
        # A lock shared by "threads".
        lock = threading.Lock()
        count = [0]
        def bump():
            for _ in range(100):
                with lock:
                    n = count[0]
                    time.sleep(0)
                    count[0] = n + 1
        threads = [threading.Thread(target=bump) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert count[0] == 1000, count
        print("ok")
    ''')
    assert out.strip().endswith("ok")
