#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks and tests of the Go binding against a libgreen build tree.
#   GREEN_BUILD_DIR=/path/to/cmake/build bindings/go/test.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${GREEN_BUILD_DIR:?set GREEN_BUILD_DIR to a CMake build directory of libgreen}"
if [ ! -f "$GREEN_BUILD_DIR/libgreen/green-uninstalled.pc" ]; then
    echo "test.sh: no $GREEN_BUILD_DIR/libgreen/green-uninstalled.pc; build libgreen first" >&2
    exit 1
fi
PKG_CONFIG_PATH="$GREEN_BUILD_DIR/libgreen${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
export CGO_ENABLED=1
# go needs a cache directory; give it one where HOME is not set.
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
    GOCACHE=$(mktemp -d)
    export GOCACHE
fi
cd "$here"

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
    echo "gofmt: these files need formatting:" >&2
    echo "$unformatted" >&2
    exit 1
fi
go vet ./...

# gotest <label> [flags...]: go test -v over every package; prints the
# packages' results (all of it if one failed) and a count of the tests.
gotest() {
    label=$1
    shift
    out=$(mktemp)
    rc=0
    go test -count=1 -v "$@" ./... >"$out" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        grep -E '^(ok|FAIL|\?) ' "$out" || true
    else
        cat "$out"
    fi
    passed=$(grep -c -E '^ *--- PASS' "$out" || true)
    failed=$(grep -c -E '^ *--- FAIL' "$out" || true)
    skipped=$(grep -c -E '^ *--- SKIP' "$out" || true)
    rm -f "$out"
    echo "$label: $passed passed, $failed failed, $skipped skipped"
    if [ "$passed" -eq 0 ]; then
        echo "test.sh: $label ran no test" >&2
        return 1
    fi
    return "$rc"
}

gotest go-test
# The tests again under the race detector, and with cgo's full pointer
# checks.
gotest go-test-race -race
(GOEXPERIMENT=cgocheck2; export GOEXPERIMENT; gotest go-test-cgocheck2)
echo "test.sh: ok"
