#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark charts (doc/figures/*.png), made by bench/plot.py from the
# benchmarks' own output in bench/results/.
#
#   bench/plot.sh             charts from the recorded output
#   bench/plot.sh --run       runs the benchmarks first (needs a build in
#                             $GREEN_BUILD_DIR, default build/; the Python
#                             and hub benchmarks install what they need and
#                             take a few minutes), records their output in
#                             bench/results/, then makes the charts
#
# matplotlib comes from PyPI into a venv beside the build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GREEN_BUILD_DIR:-$root/build}
results=$root/bench/results
if [[ ${1:-} == --run ]]; then
  "$build/bench/core_bench" >"$results/core_bench.txt"
  "$build/bench/copy_bench" >"$results/copy_bench.txt"
  for n in 1000 10000 100000 1000000 3000000; do
    "$build/bench/copy_bench" "$n"
  done >"$results/copy_sweep.txt"
  GREEN_BUILD_DIR=$build python3 "$root/bindings/python/bench.py" >"$results/python_bench.txt"
  GREEN_BUILD_DIR=$build "$root/bench/hub/run.sh" >"$results/hub_bench.txt"
fi
venv=$build/plot-venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "matplotlib>=3.7"
fi
"$venv/bin/python" "$root/bench/plot.py" "$results" "$root/doc/figures"
