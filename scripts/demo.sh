#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds libgreen and runs its demos: the greenlet model in C, the hub's
# agents scenario and echo server in C, and eventlet's GreenPool and a
# gevent program (gevent's compiled wheel) running unmodified on libgreen's
# drop-in greenlet module.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${GREEN_BUILD_DIR:-$root/build}

scripts/deps.sh
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" >/dev/null

echo "=== the greenlet model in C (examples/demo.c)"
"$build/examples/demo"

for d in "$build"/examples/hub/*_demo; do
  [ -x "$d" ] || continue
  echo
  echo "=== $(basename "$d") (examples/hub)"
  "$d"
done

if [ -f bindings/python/demo.py ] && [ -d "$build/python" ]; then
  echo
  echo "=== eventlet GreenPool on libgreen (bindings/python/demo.py)"
  # eventlet without the greenlet package, beside the build: the drop-in
  # is the greenlet it gets.
  deps="$build/python-deps"
  if [ ! -d "$deps/eventlet" ] || [ ! -d "$deps/dns" ] || [ ! -d "$deps/gevent" ]; then
    python3 -m pip install -q --disable-pip-version-check --no-deps \
      --target "$deps" eventlet dnspython "gevent==26.9.0" zope.event \
      zope.interface
  fi
  PYTHONPATH="$build/python:$deps" python3 bindings/python/demo.py
  echo
  echo "=== gevent (its compiled wheel, unmodified) on libgreen (bindings/python/demo_gevent.py)"
  PYTHONPATH="$build/python:$deps" python3 bindings/python/demo_gevent.py
fi
