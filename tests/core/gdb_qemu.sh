#!/bin/sh
# SPDX-License-Identifier: MIT
# The debugger tests of a cross build (ctest core_gdb_* there):
#   gdb_qemu.sh <gdb> <sysroot> <libdir> <script> <program> <emulator> [args...]
# runs <program> under qemu-user's gdb stub, attaches gdb (gdb-multiarch)
# to it and runs the gdb <script> (gdb_backtrace.gdb, gdb_fastpath.gdb),
# whose output ctest matches as for the native tests.
set -u
# <libdir> holds libgreen.so, for a sysroot that does not (the emulator's
# -L one).
[ $# -ge 6 ] || { echo "usage: $0 <gdb> <sysroot> <libdir> <script> <program> <emulator...>" >&2; exit 2; }
gdb=$1 sysroot=$2 libdir=$3 script=$4 prog=$5
shift 5

listening() { # listening <port>: a socket listens on it (/proc/net/tcp)
    hex=$(printf '%04X' "$1")
    grep -q "^ *[0-9]*: [0-9A-F]*:$hex [0-9A-F]*:0000 0A" /proc/net/tcp \
        /proc/net/tcp6 2>/dev/null
}

# qemu listens on a port of its own: another test may hold the first one
# tried, so a few are tried, each one waited for (qemu starts in a moment;
# it stops at once if the port is taken).
pid=""
seed=$(( $$ % 10000 ))
for try in 1 2 3 4 5 6 7 8; do
    port=$(( 30000 + (seed * 7 + try * 1009) % 30000 ))
    listening "$port" && continue
    "$@" -g "$port" "$prog" &
    pid=$!
    n=0
    while [ $n -lt 100 ] && kill -0 "$pid" 2>/dev/null && ! listening "$port"; do
        sleep 0.05
        n=$((n + 1))
    done
    if kill -0 "$pid" 2>/dev/null && listening "$port"; then
        break
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
done
[ -n "$pid" ] || { echo "gdb_qemu: qemu could not listen on a port" >&2; exit 1; }

timeout 240 "$gdb" -nx -batch \
    -ex "set sysroot $sysroot" \
    -ex "set solib-search-path $libdir" \
    -ex "set auto-load safe-path /" \
    -ex "target remote 127.0.0.1:$port" \
    -x "$script" -ex kill \
    "$prog"
rc=$?
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit $rc
