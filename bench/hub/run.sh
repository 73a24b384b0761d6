#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/hub/run.sh - builds what the hub benchmark needs and prints the
# figures side by side:
#   1. spawn+join of one green thread: libgreen-hub, eventlet, Go;
#   2. echo round trips per second with CONNS concurrent clients on
#      loopback, against three servers (libgreen-hub in C, eventlet, Go),
#      all loaded by the same Go load generator (loadgen/).
#
# Environment: BUILD (CMake build dir, default /tmp/build-hub-bench),
# OUT (Go binaries and eventlet, default /tmp/hub-bench), CONNS (1000),
# DURATION (5s per server and round), SIZE (64 bytes), ROUNDS (2: the
# servers take turns ROUNDS times and each keeps its best round, since the
# machine may be shared).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-/tmp/build-hub-bench}
OUT=${OUT:-/tmp/hub-bench}
CONNS=${CONNS:-1000}
DURATION=${DURATION:-5s}
SIZE=${SIZE:-64}
ROUNDS=${ROUNDS:-2}
mkdir -p "$OUT"

# ---- build ----
if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DGREEN_BUILD_PYTHON=OFF -DBUILD_TESTING=OFF >/dev/null
fi
ninja -C "$BUILD" hub_spawn_bench hub_echo_server >/dev/null
for prog in loadgen goserver gospawn; do
    (cd "$HERE/$prog" && go build -o "$OUT/$prog" main.go)
done
if [ ! -d "$OUT/py/eventlet" ]; then
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$OUT/py" \
        eventlet >/dev/null
fi
PY="env PYTHONPATH=$OUT/py PYTHONWARNINGS=ignore python3"
EVENTLET_VERSION=$($PY -c 'import eventlet; print(eventlet.__version__)')

# Both the servers and the load generator keep CONNS sockets open.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | head -n 1; }

# ---- 1. spawn+join ----
HUB_SPAWN=$("$BUILD/bench/hub/hub_spawn_bench" | tee "$OUT/spawn_hub.txt" |
    grep '^spawn+join' | field ns)
EV_SPAWN=$($PY "$HERE/spawn_eventlet.py" | field ns)
GO_SPAWN=$("$OUT/gospawn" | field ns)

# ---- 2. echo servers ----
# run_server NAME PORT COMMAND...: starts the server, loads it, stops it.
run_server() {
    name=$1 port=$2
    shift 2
    "$@" >"$OUT/server_$name.log" 2>&1 &
    pid=$!
    i=0
    until grep -q listening "$OUT/server_$name.log" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
            echo "server $name did not start:" >&2
            cat "$OUT/server_$name.log" >&2
            kill $pid 2>/dev/null || true
            exit 1
        fi
        sleep 0.1
    done
    "$OUT/loadgen" -addr "127.0.0.1:$port" -conns "$CONNS" -pid $pid \
        -duration "$DURATION" -size "$SIZE" >"$OUT/load_$name.txt"
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    cat "$OUT/load_$name.txt"
}

best() { # best NAME FIELD: the load line of NAME with the highest FIELD
    grep -h "$2=" "$OUT"/load_"$1".*.txt |
        sed "s/.*$2=\([0-9]*\).*/\1 &/" | sort -n -r | head -n 1 |
        cut -d' ' -f2-
}
rm -f "$OUT"/load_*.txt
r=1
while [ $r -le "$ROUNDS" ]; do
    run_server hub.$r 19100 "$BUILD/bench/hub/hub_echo_server" 19100 >/dev/null
    run_server eventlet.$r 19101 $PY "$HERE/echo_eventlet.py" 19101 >/dev/null
    run_server go.$r 19102 "$OUT/goserver" -addr 127.0.0.1:19102 >/dev/null
    r=$((r + 1))
done
HUB_LINE=$(best hub rate)
EV_LINE=$(best eventlet rate)
GO_LINE=$(best go rate)
HUB_RATE=$(echo "$HUB_LINE" | field rate)
EV_RATE=$(echo "$EV_LINE" | field rate)
GO_RATE=$(echo "$GO_LINE" | field rate)
HUB_EFF=$(best hub per_cpu_s | field per_cpu_s)
EV_EFF=$(best eventlet per_cpu_s | field per_cpu_s)
GO_EFF=$(best go per_cpu_s | field per_cpu_s)

# ---- table ----
echo "hub benchmark ($(nproc) CPUs, $(uname -r), Go $(go env GOVERSION | sed 's/^go//'), eventlet $EVENTLET_VERSION on $(python3 -V 2>&1))"
echo
printf '%-34s %12s %12s %12s\n' "spawn+join of one green thread" "libgreen-hub" "eventlet" "Go"
printf '%-34s %12s %12s %12s\n' "  ns per spawn+join (lower wins)" "$HUB_SPAWN" "$EV_SPAWN" "$GO_SPAWN"
printf '%-34s %12s %12s %12s\n' "  eventlet/hub, Go/hub" "1.00" \
    "$(ratio "$EV_SPAWN" "$HUB_SPAWN")" "$(ratio "$GO_SPAWN" "$HUB_SPAWN")"
echo
printf '%-34s %12s %12s %12s\n' "echo, $CONNS clients, ${SIZE} B, $DURATION" "libgreen-hub" "eventlet" "Go"
printf '%-34s %12s %12s %12s\n' "  round trips/s (higher wins)" "$HUB_RATE" "$EV_RATE" "$GO_RATE"
printf '%-34s %12s %12s %12s\n' "  hub/eventlet, hub/Go" "1.00" \
    "$(ratio "$HUB_RATE" "$EV_RATE")" "$(ratio "$HUB_RATE" "$GO_RATE")"
printf '%-34s %12s %12s %12s\n' "  round trips per server CPU-s" "$HUB_EFF" "$EV_EFF" "$GO_EFF"
printf '%-34s %12s %12s %12s\n' "  hub/eventlet, hub/Go" "1.00" \
    "$(ratio "$HUB_EFF" "$EV_EFF")" "$(ratio "$HUB_EFF" "$GO_EFF")"
echo "  (servers: libgreen-hub and eventlet on one OS thread, Go with GOMAXPROCS=$(nproc);"
echo "   the load generator runs on the same machine at the same time)"
echo
echo "load generator lines (best rate of $ROUNDS rounds each; all rounds in $OUT/load_*.txt):"
echo "  libgreen-hub: $HUB_LINE"
echo "  eventlet:     $EV_LINE"
echo "  Go:           $GO_LINE"
echo "more spawn figures (libgreen-hub):"
sed 's/^/  /' "$OUT/spawn_hub.txt"
