#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the switch benchmark: libgreen's safe API next to corosensei.
#
#   GREEN_BUILD_DIR=/path/to/cmake/build bindings/rust/bench.sh
set -eu
cd "$(dirname "$0")"
if [ -n "${GREEN_BUILD_DIR:-}" ]; then
    GREEN_BUILD_DIR=$(cd "$GREEN_BUILD_DIR" && pwd)
    export GREEN_BUILD_DIR
    PKG_CONFIG_PATH="$GREEN_BUILD_DIR/libgreen${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export PKG_CONFIG_PATH
fi
exec cargo bench -p libgreen --bench switch -- --bench "$@"
