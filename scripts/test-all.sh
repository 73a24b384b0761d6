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
build_static=${GREEN_BUILD_DIR_STATIC:-$root/build-static}

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
static_build() { # static libraries (libgreen.a, libgreen-hub.a), their tests
  cmake -S "$root" -B "$build_static" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBUILD_SHARED_LIBS=OFF -DGREEN_BUILD_BENCH=OFF -DGREEN_BUILD_EXAMPLES=OFF &&
  cmake --build "$build_static"
}
cross_build() {
  cmake -S "$root" -B "$build_a64" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
    -DGREEN_BUILD_PYTHON=OFF &&
  cmake --build "$build_a64"
}

step "native build" native_build
step "native ctest" ctest --test-dir "$build" --output-on-failure -j2
step "installed consumers (pkg-config, find_package, shared)" \
  tests/consumers/run.sh installed "$build"
step "CMake as a subproject, absolute libdir, no cmocka" \
  tests/consumers/run.sh cmake "$root"
step "static build" static_build
step "static ctest (core, hub)" ctest --test-dir "$build_static" \
  --no-tests=error --output-on-failure -j2 -L 'core|hub' -LE valgrind
step "installed consumers (static)" \
  tests/consumers/run.sh installed "$build_static"
step "AddressSanitizer build" sanitizer_build address "$build_asan"
step "AddressSanitizer ctest (guarded, then copy stacks)" \
  sanitizer_tests "$build_asan"
step "ThreadSanitizer build" sanitizer_build thread "$build_tsan"
step "ThreadSanitizer ctest (guarded, then copy stacks)" \
  sanitizer_tests "$build_tsan"
step "aarch64 cross build" cross_build
# valgrind, gdb and the ABI checks look at host binaries only.
step "aarch64 ctest (qemu-user)" ctest --test-dir "$build_a64" \
  --output-on-failure -j2 -LE 'valgrind|gdb|abi'
for b in python rust go; do
  if [ -x "bindings/$b/test.sh" ]; then
    step "$b binding" env GREEN_BUILD_DIR="$build" "bindings/$b/test.sh"
  fi
done

step "Python type stubs (stubtest, mypy --strict)" \
  env GREEN_BUILD_DIR="$build" bindings/python/typecheck.sh
step "Python sdist, wheel from it, auditwheel manylinux repair" \
  bindings/python/dist.sh "$build/dist"
step "Debian packages (dpkg-buildpackage, symbols from abi/, lintian)" \
  scripts/deb.sh
step "Rust crates: cargo package, built and tested outside the tree" \
  bindings/rust/package.sh

echo
echo "=== summary"
printf '%s\n' "${results[@]}"
exit $failed
