#!/bin/sh
# Switch round trip driven from Go (cgo call included) beside Go's own
# iter.Pull doing the same ping-pong, and the bare cost of a cgo call.
#   GREEN_BUILD_DIR=/path/to/cmake/build bindings/go/bench.sh [runs]
# Runs the three benchmarks `runs` times (default 5), interleaved so that
# load on the machine hits them alike, prints every line, then the median
# of each and the ratio.
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
function median(name,   n, i, j, t, a) {
    n = split(vals[name], a, " ")
    for (i = 1; i <= n; i++)
        for (j = i + 1; j <= n; j++)
            if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ name = $1; sub(/-[0-9]+$/, "", name); vals[name] = vals[name] " " $3 }
END {
    s = median("BenchmarkSwitchRoundTrip")
    p = median("BenchmarkIterPullRoundTrip")
    c = median("BenchmarkCgoCall")
    printf "median of %d runs, ns per round trip\n", '"$runs"'
    printf "%-40s %8.1f ns\n", "libgreen switch round trip from Go", s
    printf "%-40s %8.1f ns\n", "iter.Pull round trip (anchor)", p
    printf "%-40s %8.1f ns\n", "one empty cgo call (floor)", c
    printf "ratio libgreen/iter.Pull: %.2f\n", s / p
}' "$tmp/out"
