#!/bin/sh
# SPDX-License-Identifier: MIT
# Switch round trip driven from Go (cgo call included) beside Go's own
# iter.Pull doing the same ping-pong, and the bare cost of a cgo call.
#   GREEN_BUILD_DIR=/path/to/cmake/build bindings/go/bench.sh [runs]
# Runs the three benchmarks `runs` times (default 5), interleaved so that
# load on the machine hits them alike, prints every line, then the median
# and the best of each and the ratios.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${GREEN_BUILD_DIR:?set GREEN_BUILD_DIR to a CMake build directory of libgreen}"
PKG_CONFIG_PATH="$GREEN_BUILD_DIR/libgreen${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
export CGO_ENABLED=1
runs=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
go test -c -o "$tmp/green.test" .
i=0
while [ "$i" -lt "$runs" ]; do
    "$tmp/green.test" -test.run '^$' -test.bench 'RoundTrip|CgoCall' \
        -test.benchtime 1s | grep '^Benchmark' | tee -a "$tmp/out"
    i=$((i + 1))
done
echo
awk '
function sorted(name, a,   n, i, j, t) {
    n = split(vals[name], a, " ")
    for (i = 1; i <= n; i++)
        for (j = i + 1; j <= n; j++)
            if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n
}
function median(name,   a, n) {
    n = sorted(name, a)
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function best(name,   a) { sorted(name, a); return a[1] }
{ name = $1; sub(/-[0-9]+$/, "", name); vals[name] = vals[name] " " $3 }
END {
    S = "BenchmarkSwitchRoundTrip"; P = "BenchmarkIterPullRoundTrip"
    C = "BenchmarkCgoCall"
    printf "%d runs, ns per round trip              median     best\n", '"$runs"'
    printf "%-40s %8.1f %8.1f\n", "libgreen switch round trip from Go", median(S), best(S)
    printf "%-40s %8.1f %8.1f\n", "iter.Pull round trip (anchor)", median(P), best(P)
    printf "%-40s %8.1f %8.1f\n", "one empty cgo call (floor)", median(C), best(C)
    printf "ratio libgreen/iter.Pull: %.2f (medians), %.2f (best)\n",
        median(S) / median(P), best(S) / best(P)
}' "$tmp/out"
