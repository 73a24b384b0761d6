#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libgreen as its users get it.
#
#   tests/consumers/run.sh installed <build dir>
#       installs the build into a private prefix, builds the consumer
#       programs (core, and hub-only) with the Makefile (pkg-config) and the
#       CMake project (find_package(green COMPONENTS hub)), runs them with
#       no LD_LIBRARY_PATH; then moves the prefix and builds and runs them
#       again (the .pc files and the hub's runpath are relative). A build
#       of static libraries gives static programs.
#   tests/consumers/run.sh installed-tree <prefix>
#       the same against a tree installed by other means (the unpacked
#       Debian packages: prefix <root>/usr), whose libraries belong in the
#       loader's path: run with LD_LIBRARY_PATH naming its lib directory.
#   tests/consumers/run.sh cmake <source dir>
#       libgreen as a FetchContent subproject (the parent's build type is
#       kept, only the libraries are built); an absolute
#       CMAKE_INSTALL_LIBDIR; a configure where cmocka cannot be found.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d /tmp/green-consumers.XXXXXX)
trap 'rm -rf "$work"' EXIT
unset LD_LIBRARY_PATH PKG_CONFIG_PATH

fail() { echo "FAIL: $*" >&2; exit 1; }
libpath=""   # LD_LIBRARY_PATH for the programs (installed-tree only)
run() { # run <program>: runs it, checks its "ok" line
  local out
  out=$(LD_LIBRARY_PATH=$libpath "$1") || fail "$1 exited with $?"
  echo "  $out"
  [[ $out == *": ok "* ]] || fail "$1 printed '$out'"
}

# make_consumers <prefix> <out dir> [STATIC=1]
make_consumers() {
  local prefix=$1 out=$2 pc
  pc=$(dirname "$(find "$prefix" -name green.pc)")
  mkdir -p "$out"
  make -s -C "$out" -f "$HERE/Makefile" SRC="$HERE" PKG_CONFIG_PATH="$pc" \
    RUNPATH="$(dirname "$pc")" "${@:3}"
  run "$out/core_consumer"
  run "$out/hub_consumer"
}

installed() {
  local build=$1 prefix=$work/prefix static=()
  cmake --install "$build" --prefix "$prefix" >/dev/null
  if [ -n "$(find "$prefix" -name libgreen.a)" ]; then
    static=(STATIC=1)
    echo "== static libraries"
  else
    echo "== shared libraries"
  fi

  echo "== Makefile + pkg-config"
  make_consumers "$prefix" "$work/make" "${static[@]}"
  if [ ${#static[@]} -eq 0 ]; then
    # The hub-only program must not depend on libgreen.so.1 itself: the
    # hub library finds it (its runpath), not the program's runpath.
    if readelf -d "$work/make/hub_consumer" | grep -q 'NEEDED.*libgreen\.so\.1'; then
      fail "hub_consumer needs libgreen.so.1 itself: the test lost its point"
    fi
  else
    if readelf -d "$work/make/hub_consumer" | grep -q 'NEEDED.*libgreen'; then
      fail "static build: hub_consumer still needs a shared libgreen"
    fi
  fi

  echo "== CMake find_package(green COMPONENTS hub)"
  cmake -S "$HERE" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/cmake" >/dev/null
  run "$work/cmake/core_consumer"
  run "$work/cmake/hub_consumer"

  echo "== the same prefix moved elsewhere"
  mv "$prefix" "$work/moved"
  make_consumers "$work/moved" "$work/make-moved" "${static[@]}"
}

cmake_friction() {
  local src=$1
  echo "== FetchContent subproject (parent build type: none, then Debug)"
  for bt in "" Debug; do
    cmake -S "$HERE/subproject" -B "$work/sub$bt" -G Ninja \
      -DGREEN_SOURCE_DIR="$src" -DCMAKE_BUILD_TYPE="$bt" \
      -DEXPECTED_BUILD_TYPE="$bt" >/dev/null
    cmake --build "$work/sub$bt" >/dev/null
    run "$work/sub$bt/core_consumer"
    run "$work/sub$bt/hub_consumer"
  done

  echo "== absolute CMAKE_INSTALL_LIBDIR"
  cmake -S "$src" -B "$work/abs" -G Ninja -DGREEN_BUILD_TESTS=OFF \
    -DGREEN_BUILD_BENCH=OFF -DGREEN_BUILD_EXAMPLES=OFF -DGREEN_BUILD_PYTHON=OFF \
    -DGREEN_BUILD_DOCS=OFF -DCMAKE_INSTALL_PREFIX="$work/absprefix" \
    -DCMAKE_INSTALL_LIBDIR="$work/abslib" >/dev/null
  cmake --build "$work/abs" >/dev/null
  cmake --install "$work/abs" >/dev/null
  [ -f "$work/abslib/pkgconfig/green.pc" ] || fail "no green.pc in the absolute libdir"
  make_consumers "$work/abslib" "$work/make-abs"

  echo "== configure without cmocka"
  mkdir -p "$work/nopc"
  local log=$work/nocmocka.log
  PKG_CONFIG_LIBDIR="$work/nopc" cmake -S "$src" -B "$work/nocmocka" -G Ninja \
    -DGREEN_BUILD_PYTHON=OFF -DGREEN_BUILD_DOCS=OFF >"$log" 2>&1 ||
    { cat "$log"; fail "configure fails without cmocka"; }
  grep -q "cmocka not found" "$log" || fail "no message about the missing cmocka"
  if grep -q "core_switch" "$work/nocmocka/build.ninja"; then
    fail "core tests configured without cmocka"
  fi
  echo "  configured, tests skipped with a message"
}

installed_tree() {
  local prefix=$1 pc
  pc=$(dirname "$(find "$prefix" -name green.pc)")
  libpath=$(dirname "$pc")
  echo "== Makefile + pkg-config ($prefix)"
  make_consumers "$prefix" "$work/make"
  echo "== CMake find_package(green COMPONENTS hub)"
  cmake -S "$HERE" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/cmake" >/dev/null
  run "$work/cmake/core_consumer"
  run "$work/cmake/hub_consumer"
}

case ${1:-} in
  installed) installed "$(cd "$2" && pwd)" ;;
  installed-tree) installed_tree "$(cd "$2" && pwd)" ;;
  cmake) cmake_friction "$(cd "$2" && pwd)" ;;
  *) echo "usage: $0 installed <build dir> | installed-tree <prefix> | cmake <source dir>" >&2
     exit 2 ;;
esac
echo "consumers: all passed"
