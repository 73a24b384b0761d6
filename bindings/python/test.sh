#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tests of the Python binding.
#
#   GREEN_BUILD_DIR=<CMake build dir of this repository> bindings/python/test.sh
#
# The build dir must hold the binding built by the top-level CMake
# (<build>/python). Without GREEN_BUILD_DIR, the repository is configured and
# built into a temporary directory first. Installs what the tests need:
# pytest, and eventlet + dnspython WITHOUT the greenlet package (into
# <build>/python-deps, so that eventlet imports libgreen's drop-in); the
# greenlet package from PyPI only goes into its own directory, for the
# reference run and the benchmark.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-python3}
PIP=("$PY" -m pip install -q --disable-pip-version-check)

if [[ -z "${GREEN_BUILD_DIR:-}" ]]; then
    GREEN_BUILD_DIR=$(mktemp -d /tmp/libgreen-python-build.XXXXXX)
    echo "== building the repository in $GREEN_BUILD_DIR"
    cmake -S "$REPO" -B "$GREEN_BUILD_DIR" -G Ninja -DGREEN_BUILD_TESTS=OFF \
        -DGREEN_BUILD_PYTHON=ON >/dev/null
    ninja -C "$GREEN_BUILD_DIR" >/dev/null
fi
GREEN_BUILD_DIR=$(cd "$GREEN_BUILD_DIR" && pwd)
export GREEN_BUILD_DIR
BINDING="$GREEN_BUILD_DIR/python"
if [[ ! -d "$BINDING/libgreen" || ! -f "$BINDING/greenlet/__init__.py" ]]; then
    echo "no Python binding in $BINDING: configure with -DGREEN_BUILD_PYTHON=ON" >&2
    exit 1
fi

echo "== installing test dependencies"
"$PY" -c "import pytest" 2>/dev/null || "${PIP[@]}" pytest
DEPS="$GREEN_BUILD_DIR/python-deps"
if [[ ! -d "$DEPS/eventlet" || ! -d "$DEPS/dns" ]]; then
    "${PIP[@]}" --no-deps --target "$DEPS" eventlet dnspython
fi
if ls "$DEPS" | grep -q '^greenlet'; then
    echo "$DEPS holds a greenlet package: it would hide the drop-in" >&2
    exit 1
fi
REF="$GREEN_BUILD_DIR/python-ref-greenlet"
if [[ ! -d "$REF/greenlet" ]]; then
    "${PIP[@]}" --target "$REF" "greenlet==3.5.6"
fi

cd "$HERE"
status=0

echo "== tests on libgreen's greenlet ($BINDING)"
PYTHONPATH="$BINDING:$DEPS" "$PY" -m pytest -p no:cacheprovider -q tests \
    || status=1

echo "== the same tests with greenlets in copy stack mode (GREEN_STACK_MODE=copy)"
GREEN_STACK_MODE=copy PYTHONPATH="$BINDING:$DEPS" "$PY" -m pytest \
    -p no:cacheprovider -q tests || status=1

echo "== the same tests on PyPI's greenlet (checks what they expect)"
PYTHONPATH="$REF:$DEPS" GREEN_TEST_REFERENCE=1 "$PY" -m pytest \
    -p no:cacheprovider -q tests || status=1

echo "== the demo"
PYTHONPATH="$BINDING:$DEPS" "$PY" demo.py || status=1

echo "== pip install ./bindings/python (a wheel), then install_as_greenlet()"
WHEEL_TMP=$(mktemp -d /tmp/libgreen-wheel.XXXXXX)
if "$PY" -m pip wheel -q --disable-pip-version-check --no-deps \
        -w "$WHEEL_TMP/wheel" "$HERE" &&
   "${PIP[@]}" --no-deps --target "$WHEEL_TMP/site" "$WHEEL_TMP"/wheel/*.whl; then
    (cd "$WHEEL_TMP" && PYTHONPATH="$WHEEL_TMP/site:$DEPS" "$PY" - "$WHEEL_TMP" <<'PYEOF') || status=1
import os, sys, warnings
root = sys.argv[1]
import libgreen
assert libgreen.__file__.startswith(os.path.join(root, "site")), libgreen.__file__
try:
    import greenlet
    raise SystemExit("greenlet importable without install_as_greenlet: %s"
                     % greenlet.__file__)
except ImportError:
    pass
libgreen.install_as_greenlet()
import greenlet
assert greenlet.__file__.startswith(os.path.join(root, "site")), greenlet.__file__
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import eventlet
seen = []
pool = eventlet.GreenPool(size=8)
for i in range(20):
    pool.spawn_n(lambda i=i: (eventlet.sleep(0), seen.append(i)))
pool.waitall()
assert sorted(seen) == list(range(20))
print("wheel: ok (%s)" % os.path.dirname(libgreen.__file__))
PYEOF
else
    echo "building or installing the wheel failed" >&2
    status=1
fi
rm -rf "$WHEEL_TMP"

echo "== benchmark smoke run (figures: run bench.py without --quick)"
"$PY" bench.py --quick --runs 1 --build-dir "$GREEN_BUILD_DIR" \
    --greenlet-dir "$REF" --eventlet-dir "$DEPS" || status=1

if [[ $status -ne 0 ]]; then
    echo "FAILED"
fi
exit $status
