#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks the Rust binding: formatting, lints, tests and doc tests.
#
#   GREEN_BUILD_DIR=/path/to/cmake/build bindings/rust/test.sh
#
# GREEN_BUILD_DIR is a CMake build directory of this repository (holding
# libgreen/libgreen.so.1 and libgreen/green-uninstalled.pc). Without it the
# build script asks pkg-config, then builds libgreen itself with CMake.
set -eu
cd "$(dirname "$0")"
if [ -n "${GREEN_BUILD_DIR:-}" ]; then
    GREEN_BUILD_DIR=$(cd "$GREEN_BUILD_DIR" && pwd)
    export GREEN_BUILD_DIR
    PKG_CONFIG_PATH="$GREEN_BUILD_DIR/libgreen${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export PKG_CONFIG_PATH
fi
set -x
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
# Again with copy-mode stacks as every greenlet's default.
GREEN_STACK_MODE=copy cargo test --workspace --tests --quiet
RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps --quiet
