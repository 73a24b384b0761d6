#!/bin/sh
# SPDX-License-Identifier: MIT
# The emulator of the Windows tests (tests/CMakeLists.txt):
#   wine-run.sh <wine64> <prefix> <dll dir>[:<dll dir>...] <program> [args...]
# runs the program under Wine in <prefix>, made on first use (quietly,
# once, under a lock: ctest starts tests in parallel), with the DLLs of
# the given directories on its search path.
set -e
wine=$1 prefix=$2 dlls=$3
shift 3
export WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$prefix"
# The prefix is ready once wineboot and the processes it started are done
# (its registry files appear long before): a marker says so.
ready=$prefix/.ready
if [ ! -f "$ready" ]; then
  (
    flock 9
    if [ ! -f "$ready" ]; then
      "$wine" wineboot --init >/dev/null 2>&1
      server=${wine%/*}/wineserver
      [ -x "$server" ] || server=wineserver
      "$server" -w
      touch "$ready"
    fi
  ) 9>"$prefix.lock"
fi
# Unix directories as Wine sees them (drive Z: is the root).
WINEPATH=$(printf '%s' "$dlls" | sed 's|:/|;Z:/|g; s|^/|Z:/|')
export WINEPATH
exec "$wine" "$@"
