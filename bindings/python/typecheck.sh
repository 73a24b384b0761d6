#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks the type information of the Python binding: mypy's stubtest
# compares the stubs (greenlet, libgreen) with the built modules, and
# mypy --strict checks a program written against greenlet's API
# (tests/typing_sample.py). mypy goes into a venv beside the build.
#
#   GREEN_BUILD_DIR=<CMake build dir> bindings/python/typecheck.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${GREEN_BUILD_DIR:?set GREEN_BUILD_DIR to a CMake build directory}"
GREEN_BUILD_DIR=$(cd "$GREEN_BUILD_DIR" && pwd)
BINDING=$GREEN_BUILD_DIR/python
PY=${PYTHON:-python3}
VENV="$GREEN_BUILD_DIR/python-typecheck"
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "mypy>=1.18"
fi
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
printf '[mypy]\n[mypy-libgreen.core]\nignore_errors = True\n[mypy-libgreen._core,_core]\nignore_missing_imports = True\n' >"$cfg"
cd "$GREEN_BUILD_DIR"
echo "== stubtest: greenlet, libgreen against the built modules"
PYTHONPATH="$BINDING" "$VENV/bin/python" -m mypy.stubtest --mypy-config-file "$cfg" \
  --allowlist "$HERE/stubtest-allowlist.txt" greenlet libgreen
echo "== mypy --strict on a program using greenlet's API"
MYPYPATH="$BINDING" "$VENV/bin/python" -m mypy --strict --config-file "$cfg" \
  --cache-dir "$VENV/mypy-cache" "$HERE/tests/typing_sample.py"
echo "== the same program runs"
PYTHONPATH="$BINDING" "$VENV/bin/python" "$HERE/tests/typing_sample.py"
