#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test of libgreen on this machine, installing what is missing:
#  1. the native build and its ctest suite (core, hub, valgrind, gdb, abi),
#     and the core and hub suites again built with AddressSanitizer, then
#     with ThreadSanitizer (each in guarded, then copy stack mode);
#  2. the aarch64 cross build, its ctest suite run under qemu-user;
#  3. the Python, Rust and Go bindings' test suites.
# Exits non-zero if any step fails; prints a summary of the steps.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${GREEN_BUILD_DIR:-$root/build}
build_a64=${GREEN_BUILD_DIR_AARCH64:-$root/build-aarch64}
build_asan=${GREEN_BUILD_DIR_ASAN:-$root/build-asan}
build_tsan=${GREEN_BUILD_DIR_TSAN:-$root/build-tsan}
build_fuzz=${GREEN_BUILD_DIR_FUZZ:-$root/build-fuzz}

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
  ctest --test-dir "$1" --output-on-failure -j2 -L 'core|hub' -LE valgrind &&
  GREEN_STACK_MODE=copy ctest --test-dir "$1" --output-on-failure \
    -j2 -L 'core|hub' -LE valgrind
}
# The fuzzers carry their own ASan+UBSan copy of the libraries
# (tests/fuzz/README.md); each runs for GREEN_FUZZ_SECONDS (20 s).
fuzz_build() {
  cmake -S "$root" -B "$build_fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGREEN_FUZZ=ON -DGREEN_BUILD_PYTHON=OFF -DGREEN_BUILD_BENCH=OFF \
    -DGREEN_BUILD_EXAMPLES=OFF &&
  cmake --build "$build_fuzz"
}
cross_build() {
  cmake -S "$root" -B "$build_a64" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
    -DGREEN_BUILD_PYTHON=OFF &&
  cmake --build "$build_a64"
}

step "native build" native_build
step "native ctest" ctest --test-dir "$build" --output-on-failure -j2
step "AddressSanitizer build" sanitizer_build address "$build_asan"
step "AddressSanitizer ctest (guarded, then copy stacks)" \
  sanitizer_tests "$build_asan"
step "ThreadSanitizer build" sanitizer_build thread "$build_tsan"
step "ThreadSanitizer ctest (guarded, then copy stacks)" \
  sanitizer_tests "$build_tsan"
step "fuzzers build (ASan+UBSan)" fuzz_build
step "fuzzers bounded run and regressions (ctest -L fuzz)" ctest \
  --test-dir "$build_fuzz" --output-on-failure --no-tests=error -j2 -L fuzz
step "aarch64 cross build" cross_build
# valgrind, gdb and the ABI checks look at host binaries only.
step "aarch64 ctest (qemu-user)" ctest --test-dir "$build_a64" \
  --output-on-failure -j2 -LE 'valgrind|gdb|abi'
for b in python rust go; do
  if [ -x "bindings/$b/test.sh" ]; then
    step "$b binding" env GREEN_BUILD_DIR="$build" "bindings/$b/test.sh"
  fi
done

echo
echo "=== summary"
printf '%s\n' "${results[@]}"
exit $failed
