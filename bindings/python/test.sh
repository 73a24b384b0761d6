#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tests of the Python binding, on every supported CPython (3.11, 3.12, 3.13).
#
#   GREEN_BUILD_DIR=<CMake build dir of this repository> bindings/python/test.sh
#   GREEN_BUILD_DIR=... bindings/python/test.sh gevent
#
# The second form runs gevent's own test modules only (gevent_suite.py: its
# compiled wheel from PyPI, on the drop-in and on PyPI's greenlet, compared
# test by test), on each interpreter.
#
# The build dir must hold the binding built by the top-level CMake
# (<build>/python) for one of the interpreters; the binding for each other
# interpreter is configured and built into <build>/python-3.X (libgreen and
# the binding only). Without GREEN_BUILD_DIR, the repository is configured
# and built into a temporary directory first.
#
# The interpreters: GREEN_PYTHONS (space-separated paths) or, by default,
# python3 on PATH and pyenv's 3.11, 3.12 and 3.13. Each must be found: a
# missing one fails the run. The versions run side by side (their output is
# printed version by version at the end); for each, into <its build>/:
# pytest, and eventlet + dnspython, gevent (its manylinux wheel, whose
# compiled modules were built against PyPI greenlet's header) + zope.event
# + zope.interface, WITHOUT the greenlet package (python-deps, so that
# eventlet and gevent import libgreen's drop-in); greenlet
# 3.5.6 from PyPI only into its own directory (python-ref-greenlet, for the
# reference runs and the benchmark), and its sdist (python-greenlet-sdist:
# the sources of its C API test extensions); psutil and objgraph for
# greenlet's suite (python-suite-deps). Then:
#   the binding's tests on the drop-in (guarded stacks, then copy stacks),
#   the same tests on PyPI's greenlet (checks what they expect),
#   greenlet's own suite on the drop-in and on PyPI's greenlet, compared
#     (greenlet_suite.py: every test that passes on PyPI's passes here),
#   the demo, pip install ./bindings/python (a wheel), a benchmark smoke run.
set -euo pipefail
MODE=${1:-all}
case "$MODE" in
    all | gevent) ;;
    *) echo "usage: $0 [gevent]" >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

if [[ -z "${GREEN_BUILD_DIR:-}" ]]; then
    GREEN_BUILD_DIR=$(mktemp -d /tmp/libgreen-python-build.XXXXXX)
    echo "== building the repository in $GREEN_BUILD_DIR"
    cmake -S "$REPO" -B "$GREEN_BUILD_DIR" -G Ninja -DGREEN_BUILD_TESTS=OFF \
        -DGREEN_BUILD_PYTHON=ON >/dev/null
    ninja -C "$GREEN_BUILD_DIR" >/dev/null
fi
GREEN_BUILD_DIR=$(cd "$GREEN_BUILD_DIR" && pwd)
export GREEN_BUILD_DIR

# The interpreters: one per supported version (pythons.sh says which is
# missing; the others still run, and the run fails).
status=0
PYS=$("$HERE/pythons.sh") || status=1
declare -A BY_VERSION=()
for p in $PYS; do
    BY_VERSION[$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])')]=$p
done

# The binding for interpreter $1 (version $2): GREEN_BUILD_DIR's if it was
# built for that version, else a build of its own.
binding_build() {
    local py=$1 v=$2
    if compgen -G "$GREEN_BUILD_DIR/python/libgreen/_core.cpython-${v/./}-*.so" >/dev/null; then
        echo "$GREEN_BUILD_DIR"
        return
    fi
    local b="$GREEN_BUILD_DIR/python-$v"
    cmake -S "$REPO" -B "$b" -G Ninja -DGREEN_BUILD_TESTS=OFF \
        -DGREEN_BUILD_BENCH=OFF -DGREEN_BUILD_EXAMPLES=OFF \
        -DGREEN_BUILD_PYTHON=ON -DPython3_EXECUTABLE="$py" >/dev/null &&
        ninja -C "$b" >/dev/null || return 1
    echo "$b"
}

# All the tests of one interpreter ($1, version $2). Returns non-zero if any
# failed.
version_tests() {
local PY=$1 V=$2 B
B=$(binding_build "$PY" "$V") || { echo "building the binding for $V failed"; return 1; }
local BINDING="$B/python"
# (this runs in a subshell of its own: the tests' conftest.py reads it)
export GREEN_BUILD_DIR="$B"
if [[ ! -d "$BINDING/libgreen" || ! -f "$BINDING/greenlet/__init__.py" ]]; then
    echo "no Python binding in $BINDING" >&2
    return 1
fi
local PIP=("$PY" -m pip install -q --disable-pip-version-check)
echo "== CPython $V ($PY), binding in $BINDING"
"$PY" -c "import pytest" 2>/dev/null || "${PIP[@]}" pytest
local DEPS="$B/python-deps"
if [[ ! -d "$DEPS/eventlet" || ! -d "$DEPS/dns" || ! -d "$DEPS/gevent" ]]; then
    "${PIP[@]}" --no-deps --target "$DEPS" eventlet dnspython \
        "gevent==26.9.0" zope.event zope.interface
fi
if ls "$DEPS" | grep -q '^greenlet'; then
    echo "$DEPS holds a greenlet package: it would hide the drop-in" >&2
    return 1
fi
local REF="$B/python-ref-greenlet"
if [[ ! -d "$REF/greenlet" ]]; then
    "${PIP[@]}" --target "$REF" "greenlet==3.5.6"
fi
local SDIST="$B/python-greenlet-sdist"
if ! compgen -G "$SDIST/greenlet-3.5.6.tar.gz" >/dev/null; then
    "$PY" -m pip download -q --disable-pip-version-check --no-deps \
        --no-binary :all: -d "$SDIST" "greenlet==3.5.6"
fi
local SUITE_DEPS="$B/python-suite-deps"
if [[ ! -d "$SUITE_DEPS/psutil" || ! -f "$SUITE_DEPS/objgraph.py" ]]; then
    "${PIP[@]}" --no-deps --target "$SUITE_DEPS" psutil objgraph
fi
cd "$HERE"
local status=0

if [[ "$MODE" == gevent ]]; then
    echo "== gevent's test modules on the drop-in and on PyPI's greenlet"
    "$PY" gevent_suite.py --binding "$BINDING" --gevent-dir "$DEPS" \
        --greenlet-dir "$REF" --jobs 3 || status=1
    echo "== gevent benchmark smoke run (figures: run bench_gevent.py without --quick)"
    "$PY" bench_gevent.py --quick --runs 1 --build-dir "$B" \
        --greenlet-dir "$REF" --gevent-dir "$DEPS" || status=1
    echo "== CPython $V: $([[ $status -eq 0 ]] && echo passed || echo FAILED)"
    return $status
fi

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

echo "== greenlet's own suite (PyPI's greenlet 3.5.6 tests) on the drop-in and on PyPI's greenlet"
"$PY" greenlet_suite.py --binding "$BINDING" --greenlet-dir "$REF" \
    --deps "$SUITE_DEPS" --sdist "$SDIST/greenlet-3.5.6.tar.gz" || status=1

echo "== benchmark smoke run (figures: run bench.py without --quick)"
"$PY" bench.py --quick --runs 1 --build-dir "$B" \
    --greenlet-dir "$REF" --eventlet-dir "$DEPS" || status=1
echo "== CPython $V: $([[ $status -eq 0 ]] && echo passed || echo FAILED)"
return $status
}

LOGS=$(mktemp -d /tmp/libgreen-python-test.XXXXXX)
declare -A PIDS=()
for v in 3.11 3.12 3.13; do
    [[ -n "${BY_VERSION[$v]:-}" ]] || continue
    version_tests "${BY_VERSION[$v]}" "$v" >"$LOGS/$v.log" 2>&1 &
    PIDS[$v]=$!
done
for v in 3.11 3.12 3.13; do
    [[ -n "${PIDS[$v]:-}" ]] || continue
    wait "${PIDS[$v]}" || status=1
    cat "$LOGS/$v.log"
done
rm -rf "$LOGS"
if [[ $status -ne 0 ]]; then
    echo "FAILED"
fi
exit $status
