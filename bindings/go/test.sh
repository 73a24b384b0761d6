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
go test -count=1 ./...
# The tests again under the race detector, and with cgo's full pointer
# checks.
go test -count=1 -race ./...
GOEXPERIMENT=cgocheck2 go test -count=1 ./...
echo "test.sh: ok"
