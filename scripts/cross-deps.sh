#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the target libraries the C tests need (cmocka, libffi) from
# Debian's source packages, for a cross target that Debian 12 has no
# architecture for (riscv64), or that is not Linux (x86_64-w64-mingw32):
#   scripts/cross-deps.sh <triplet> <prefix> [<library>...]
# installs them (default: cmocka libffi) under <prefix> (lib/pkgconfig
# included) with the cross compiler <triplet>-gcc, and does nothing when
# they are there already.
# Needs the deb-src entry that scripts/deps.sh adds.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 <triplet> <prefix> [<library>...]" >&2; exit 2; }
triplet=$1
prefix=$(mkdir -p "$2" && cd "$2" && pwd)
shift 2
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(cmocka libffi)
root=$(cd "$(dirname "$0")/.." && pwd)
src=$prefix/src
toolchain=$root/cmake/$triplet.cmake
[ -f "$toolchain" ] || { echo "cross-deps: no $toolchain" >&2; exit 2; }

have() { [ -f "$prefix/lib/pkgconfig/$1.pc" ]; }
# needs <library>: wanted and not there yet
needs() { [[ " ${wanted[*]} " == *" $1 "* ]] && ! have "$1"; }
needs cmocka || needs libffi || exit 0

mkdir -p "$src"
log=$src/build.log
: >"$log"
quiet() { # quiet <command...>: its output goes to $log, shown if it fails
  "$@" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; return 1; }
}
fetch() { # fetch <source package>: unpacks its upstream tarball in $src
  ( cd "$src" && ls "$1"_*.orig.tar.* >/dev/null 2>&1 ||
      quiet apt-get source --download-only -qq "$1" )
  local tarball
  tarball=$(ls "$src/$1"_*.orig.tar.* | head -n 1)
  rm -rf "$src/$1.src" && mkdir -p "$src/$1.src"
  tar -xf "$tarball" -C "$src/$1.src" --strip-components=1
}

if needs cmocka; then
  echo "cross-deps: cmocka for $triplet"
  fetch cmocka
  quiet cmake -S "$src/cmocka.src" -B "$src/cmocka.build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF
  quiet cmake --build "$src/cmocka.build"
  quiet cmake --install "$src/cmocka.build"
fi

if needs libffi; then
  echo "cross-deps: libffi for $triplet"
  fetch libffi
  mkdir -p "$src/libffi.build"
  ( cd "$src/libffi.build" &&
    quiet "$src/libffi.src/configure" --host="$triplet" --prefix="$prefix" \
      --libdir="$prefix/lib" --disable-static --disable-docs \
      --disable-multi-os-directory &&
    quiet make -j2 && quiet make install )
fi
for lib in "${wanted[@]}"; do have "$lib" || exit 1; done
