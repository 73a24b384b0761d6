#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test of libgreen on this machine, installing what is missing:
#  1. the native build and its ctest suite (core, hub, valgrind, gdb, abi),
#     and the core and hub suites again built with AddressSanitizer, then
#     with ThreadSanitizer (each in guarded, then copy stack mode);
#  2. a cross build per other architecture (aarch64, i686, armhf, ppc64le,
#     s390x, riscv64), each one's ctest suite (core, hub, threaded tests
#     included, and abi) run under qemu-user;
#  3. the Python, Rust and Go bindings' test suites.
# Exits non-zero if any step fails; prints a summary of the steps.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${GREEN_BUILD_DIR:-$root/build}
build_asan=${GREEN_BUILD_DIR_ASAN:-$root/build-asan}
build_tsan=${GREEN_BUILD_DIR_TSAN:-$root/build-tsan}

scripts/deps.sh || exit 1

results=()
failed=0
step() { # step <name> <command...>
  local name=$1; shift
  echo
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then
    results+=("PASS  $name ($((SECONDS - t0)) s)")
  else
    results+=("FAIL  $name ($((SECONDS - t0)) s)")
    failed=1
  fi
}

native_build() {
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
  cmake --build "$build"
}
sanitizer_build() { # sanitizer_build <address|thread> <build dir>
  cmake -S "$root" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGREEN_SANITIZE="$1" -DGREEN_BUILD_PYTHON=OFF -DGREEN_BUILD_BENCH=OFF \
    -DVALGRIND_EXECUTABLE=VALGRIND_EXECUTABLE-NOTFOUND \
    -DGDB_EXECUTABLE=GDB_EXECUTABLE-NOTFOUND &&
  cmake --build "$2"
}
sanitizer_tests() { # sanitizer_tests <build dir>
  ctest --test-dir "$1" --output-on-failure --no-tests=error -j2 -L 'core|hub' -LE valgrind &&
  GREEN_STACK_MODE=copy ctest --test-dir "$1" --output-on-failure --no-tests=error \
    -j2 -L 'core|hub' -LE valgrind
}
# The cross targets: <name> <toolchain file under cmake/, without .cmake>
cross_targets=(
  "aarch64 aarch64-linux-gnu"
  "i686 i686-linux-gnu"
  "armhf arm-linux-gnueabihf"
  "ppc64le powerpc64le-linux-gnu"
  "s390x s390x-linux-gnu"
  "riscv64 riscv64-linux-gnu"
)
cross_build() { # cross_build <name> <triplet>: in build-<name>
  local dir=$root/build-$1 extra=()
  if [ "$1" = riscv64 ]; then # no Debian architecture: cmocka, libffi
    scripts/cross-deps.sh "$2" "$dir-deps" || return 1
    extra=(-DGREEN_CROSS_PREFIX="$dir-deps")
  fi
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/$2.cmake" \
    -DGREEN_BUILD_PYTHON=OFF "${extra[@]}" &&
  nice -n 10 cmake --build "$dir"
}

step "native build" native_build
step "native ctest" ctest --test-dir "$build" --output-on-failure --no-tests=error -j2
step "AddressSanitizer build" sanitizer_build address "$build_asan"
step "AddressSanitizer ctest (guarded, then copy stacks)" \
  sanitizer_tests "$build_asan"
step "ThreadSanitizer build" sanitizer_build thread "$build_tsan"
step "ThreadSanitizer ctest (guarded, then copy stacks)" \
  sanitizer_tests "$build_tsan"
# valgrind looks at host binaries only; abidiff skips in a cross build.
for t in "${cross_targets[@]}"; do
  set -- $t
  step "$1 cross build" cross_build "$1" "$2"
  step "$1 ctest (qemu-user)" nice -n 10 ctest --test-dir "$root/build-$1" \
    --output-on-failure --no-tests=error -j2 -LE valgrind
done
for b in python rust go; do
  if [ -x "bindings/$b/test.sh" ]; then
    step "$b binding" env GREEN_BUILD_DIR="$build" "bindings/$b/test.sh"
  fi
done

echo
echo "=== summary"
printf '%s\n' "${results[@]}"
exit $failed
