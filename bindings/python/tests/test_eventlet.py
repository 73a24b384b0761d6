# SPDX-License-Identifier: MIT
"""Real eventlet from PyPI, unmodified, on the drop-in greenlet."""
import os
import sys
import warnings

import pytest

from conftest import BUILD_DIR, _under

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # eventlet's deprecation notice
    eventlet = pytest.importorskip("eventlet")

import greenlet  # noqa: E402


def test_eventlet_uses_the_drop_in():
    import eventlet.greenthread
    import eventlet.support.greenlets as eg
    mod = sys.modules["greenlet"]
    assert mod is greenlet
    if not os.environ.get("GREEN_TEST_REFERENCE"):
        assert getattr(mod, "__libgreen__", False)
        if BUILD_DIR:
            assert _under(mod.__file__, os.path.join(BUILD_DIR, "python"))
    assert eg.greenlet is greenlet.greenlet
    assert eventlet.greenthread.GreenThread.__mro__[1] is greenlet.greenlet


def test_greenpool_spawn_n_at_most_8_at_once():
    updates = eventlet.Queue()
    for router in range(40):
        for n in range(5):
            updates.put((router, n))
    running = 0
    peak = 0
    processed = []

    def worker():
        nonlocal running, peak
        while True:
            try:
                update = updates.get_nowait()
            except eventlet.queue.Empty:
                return
            running += 1
            peak = max(peak, running)
            eventlet.sleep(0.0005 * (update[1] + 1))
            processed.append(update)
            running -= 1

    pool = eventlet.GreenPool(size=8)
    for _ in range(32):
        pool.spawn_n(worker)
        assert pool.running() <= 8
    pool.waitall()
    assert peak == 8
    assert sorted(processed) == [(r, n) for r in range(40) for n in range(5)]
    assert pool.running() == 0 and pool.free() == 8


def test_spawn_wait_and_exceptions():
    gt = eventlet.spawn(lambda a, b=0: a * b, 6, b=7)
    assert gt.wait() == 42

    def fails():
        eventlet.sleep(0)
        raise KeyError("worker failed")
    with pytest.raises(KeyError, match="worker failed"):
        eventlet.spawn(fails).wait()


def test_sleep_interleaves_greenthreads():
    order = []

    def tick(name, n):
        for i in range(n):
            order.append((name, i))
            eventlet.sleep(0)
    a = eventlet.spawn(tick, "a", 3)
    b = eventlet.spawn(tick, "b", 3)
    a.wait()
    b.wait()
    assert order == [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2),
                     ("b", 2)]
    t0 = eventlet.hubs.get_hub().clock()
    eventlet.sleep(0.02)
    assert eventlet.hubs.get_hub().clock() - t0 >= 0.015


def test_kill_and_timeout():
    def forever():
        while True:
            eventlet.sleep(0.01)
    gt = eventlet.spawn(forever)
    eventlet.sleep(0.02)
    gt.kill()
    assert gt.dead
    with pytest.raises(eventlet.Timeout):
        with eventlet.Timeout(0.02):
            eventlet.sleep(1)


def test_green_socket_echo_on_loopback():
    from eventlet.green import socket
    server = eventlet.listen(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def handle(conn):
        with conn:
            while True:
                data = conn.recv(1024)
                if not data:
                    return
                conn.sendall(data.upper())

    def serve(n):
        pool = eventlet.GreenPool(8)
        for _ in range(n):
            conn, _ = server.accept()
            pool.spawn_n(handle, conn)
        pool.waitall()
    server_gt = eventlet.spawn(serve, 4)

    def client(i):
        c = eventlet.connect(("127.0.0.1", port))
        with c:
            out = []
            for j in range(3):
                msg = ("client %d msg %d" % (i, j)).encode()
                c.sendall(msg)
                out.append(c.recv(1024))
            return out
    clients = [eventlet.spawn(client, i) for i in range(4)]
    results = [c.wait() for c in clients]
    server_gt.wait()
    server.close()
    assert results == [[("CLIENT %d MSG %d" % (i, j)).encode()
                        for j in range(3)] for i in range(4)]
    assert isinstance(socket.socket, type)


def test_event_and_semaphore():
    ev = eventlet.Event()
    sem = eventlet.Semaphore(2)
    inside = []
    peak = []

    def user(i):
        with sem:
            inside.append(i)
            peak.append(len(inside))
            eventlet.sleep(0.001)
            inside.remove(i)
        if i == 5:
            ev.send("all done")
    for i in range(6):
        eventlet.spawn_n(user, i)
    assert ev.wait() == "all done"
    assert max(peak) == 2


MONKEY = r"""
import warnings
warnings.simplefilter("ignore")
import eventlet
eventlet.monkey_patch()
import queue, socket, threading, time
import greenlet
import eventlet.tpool

results = []
def work(i):
    time.sleep(0.005)
    results.append(i)
threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert sorted(results) == list(range(8))

q = queue.Queue()
def produce():
    for i in range(5):
        q.put(i)
        time.sleep(0.001)
    q.put(None)
threading.Thread(target=produce).start()
got = []
while True:
    x = q.get()
    if x is None:
        break
    got.append(x)
assert got == [0, 1, 2, 3, 4]

# A real OS thread through eventlet's thread pool.
assert eventlet.tpool.execute(lambda: sum(range(100))) == 4950

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(5)
def serve():
    c, _ = srv.accept()
    c.sendall(c.recv(10)[::-1])
    c.close()
threading.Thread(target=serve).start()
c = socket.create_connection(("127.0.0.1", srv.getsockname()[1]))
c.sendall(b"abc")
assert c.recv(10) == b"cba"
print("ok", getattr(greenlet, "__libgreen__", False))
"""


def test_monkey_patched_threads_queues_sockets_tpool(run_python):
    p = run_python(MONKEY)
    assert p.returncode == 0, p.stderr
    expected = "ok False" if os.environ.get("GREEN_TEST_REFERENCE") \
        else "ok True"
    assert p.stdout.strip() == expected
