# SPDX-License-Identifier: MIT
"""The eventlet anchor of the hub benchmark: eventlet's own echo server
pattern (GreenPool, spawn_n per connection)."""
import sys

import eventlet


def handle(sock):
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                break
            sock.sendall(data)
    finally:
        sock.close()


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9001
    server = eventlet.listen(("127.0.0.1", port), backlog=1024)
    pool = eventlet.GreenPool(20000)
    print("listening", port, flush=True)
    while True:
        sock, _ = server.accept()
        pool.spawn_n(handle, sock)


if __name__ == "__main__":
    main()
