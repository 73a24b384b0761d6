#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test of libgreen on this machine, installing what is missing:
#  1. the native build and its ctest suite (core, hub, valgrind, gdb, abi),
#     and the core and hub suites again built with AddressSanitizer, then
#     with ThreadSanitizer (each in guarded, then copy stack mode);
#  2. a cross build per other architecture (aarch64, i686, armhf, ppc64le,
#     s390x, riscv64), each one's ctest suite (core, hub, threaded tests
#     included, and abi) run under qemu-user; the Windows x64 builds
#     (MinGW-w64, the core only: libgreen-1.dll, then libgreen.a) and their
#     ctest suites under Wine;
#  3. the Python, Rust and Go bindings' test suites.
# Exits non-zero if any step fails; prints a summary of the steps.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${GREEN_BUILD_DIR:-$root/build}
build_asan=${GREEN_BUILD_DIR_ASAN:-$root/build-asan}
build_tsan=${GREEN_BUILD_DIR_TSAN:-$root/build-tsan}
build_fuzz=${GREEN_BUILD_DIR_FUZZ:-$root/build-fuzz}
build_static=${GREEN_BUILD_DIR_STATIC:-$root/build-static}

scripts/deps.sh || exit 1

logs=$build/test-logs
mkdir -p "$logs"
results=()
failed=0
total_passed=0 total_failed=0 total_skipped=0
t_start=$SECONDS

# run <kind> <name> <command...>: runs one step with its output kept in
# $logs. kind "build" runs no test; kind "test" must run at least one
# (counted from the runners' closing lines by scripts/count-tests.sh), and
# fails if it ran none; kind "check" is one check (an installed consumer, a
# package build) that counts as one test, passed if its command succeeds.
run() {
  local kind=$1 name=$2; shift 2
  local log="$logs/$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_').log"
  echo
  echo "=== $name"
  local t0=$SECONDS rc=0
  "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  local dt=$((SECONDS - t0)) what="" status=PASS
  if [ "$kind" != build ]; then
    local p f s
    read -r p f s < <(scripts/count-tests.sh "$log")
    if [ "$kind" = check ]; then
      # One check, judged by its exit status (beside any runner's counts).
      if [ "$rc" -eq 0 ]; then p=$((p + 1)); else f=$((f + 1)); fi
    fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    total_skipped=$((total_skipped + s))
    what=": $p passed, $f failed, $s skipped"
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
      what="$what (ran no test)"
      status=FAIL
    fi
    [ "$f" -eq 0 ] || status=FAIL
  fi
  [ "$rc" -eq 0 ] || status=FAIL
  [ "$status" = PASS ] || failed=1
  results+=("$(printf '%s  %s%s (%d s)' "$status" "$name" "$what" "$dt")")
}
build_step() { run build "$@"; }
step() { run test "$@"; }
check_step() { run check "$@"; }

# Every ctest call fails when it finds no test.
ctest_run() { ctest --no-tests=error --output-on-failure -j2 "$@"; }

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
sanitizer_tests() { # sanitizer_tests <build dir> [VAR=value...]
  local dir=$1; shift
  (
    [ $# -eq 0 ] || export "$@"
    ctest_run --test-dir "$dir" -L 'core|hub' -LE valgrind &&
    GREEN_STACK_MODE=copy ctest_run --test-dir "$dir" -L 'core|hub' \
      -LE valgrind
  )
}
# The fuzzers carry their own ASan+UBSan copy of the libraries
# (tests/fuzz/README.md); each runs for GREEN_FUZZ_SECONDS (20 s).
fuzz_build() {
  cmake -S "$root" -B "$build_fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGREEN_FUZZ=ON -DGREEN_BUILD_PYTHON=OFF -DGREEN_BUILD_BENCH=OFF \
    -DGREEN_BUILD_EXAMPLES=OFF &&
  cmake --build "$build_fuzz"
}
static_build() { # static libraries (libgreen.a, libgreen-hub.a), their tests
  cmake -S "$root" -B "$build_static" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBUILD_SHARED_LIBS=OFF -DGREEN_BUILD_BENCH=OFF -DGREEN_BUILD_EXAMPLES=OFF &&
  cmake --build "$build_static"
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

# Windows x64 with MinGW-w64, in build-win64 (libgreen-1.dll) and
# build-win64-static (libgreen.a): cmocka built for it from Debian's source
# package; the tests run under wine64 in a prefix of the build directory
# (tests/windows/wine-run.sh makes it on first use).
win64_build() { # win64_build <build dir> <ON|OFF: BUILD_SHARED_LIBS>
  local deps=$root/build-win64-deps
  scripts/cross-deps.sh x86_64-w64-mingw32 "$deps" cmocka || return 1
  cmake -S "$root" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/x86_64-w64-mingw32.cmake" \
    -DGREEN_CROSS_PREFIX="$deps" -DGREEN_BUILD_PYTHON=OFF \
    -DGREEN_BUILD_BENCH=OFF -DGREEN_BUILD_EXAMPLES=OFF \
    -DBUILD_SHARED_LIBS="$2" &&
  nice -n 10 cmake --build "$1"
}

build_step "native build" native_build
step "native ctest" ctest_run --test-dir "$build"
check_step "installed consumers (pkg-config, find_package, shared)" \
  tests/consumers/run.sh installed "$build"
check_step "CMake as a subproject, absolute libdir, no cmocka" \
  tests/consumers/run.sh cmake "$root"
build_step "static build" static_build
step "static ctest (core, hub)" ctest_run --test-dir "$build_static" \
  -L 'core|hub' -LE valgrind
check_step "installed consumers (static)" \
  tests/consumers/run.sh installed "$build_static"
build_step "AddressSanitizer build" sanitizer_build address "$build_asan"
# Fake stacks for use-after-return checks: clang 15 and later turn them on
# by default on Linux, and a switch away from a finishing greenlet
# destroys its fake frames.
step "AddressSanitizer ctest (guarded, then copy stacks)" \
  sanitizer_tests "$build_asan" ASAN_OPTIONS=detect_stack_use_after_return=1
build_step "ThreadSanitizer build" sanitizer_build thread "$build_tsan"
step "ThreadSanitizer ctest (guarded, then copy stacks)" \
  sanitizer_tests "$build_tsan"
build_step "fuzzers build (ASan+UBSan)" fuzz_build
step "fuzzers bounded run and regressions (ctest -L fuzz)" ctest_run \
  --test-dir "$build_fuzz" -L fuzz
# valgrind looks at host binaries only; abidiff skips in a cross build.
for t in "${cross_targets[@]}"; do
  set -- $t
  build_step "$1 cross build" cross_build "$1" "$2"
  step "$1 ctest (qemu-user)" nice -n 10 ctest --no-tests=error \
    --output-on-failure -j2 --test-dir "$root/build-$1" -LE valgrind
done
build_step "Windows x64 (MinGW-w64) build" win64_build "$root/build-win64" ON
step "Windows x64 ctest (wine64)" nice -n 10 ctest --no-tests=error \
  --output-on-failure -j2 --test-dir "$root/build-win64"
build_step "Windows x64 static build" win64_build "$root/build-win64-static" OFF
step "Windows x64 static ctest (wine64)" nice -n 10 ctest --no-tests=error \
  --output-on-failure -j2 --test-dir "$root/build-win64-static"
for b in python rust go; do
  if [ -x "bindings/$b/test.sh" ]; then
    step "$b binding" env GREEN_BUILD_DIR="$build" "bindings/$b/test.sh"
  fi
done
# gevent's compiled wheel, unmodified, on the drop-in: its own test modules,
# against the same on PyPI's greenlet (each CPython).
step "gevent's tests on the Python drop-in" \
  env GREEN_BUILD_DIR="$build" bindings/python/test.sh gevent

check_step "Python type stubs (stubtest, mypy --strict)" \
  env GREEN_BUILD_DIR="$build" bindings/python/typecheck.sh
check_step "Python sdist, wheel from it, auditwheel manylinux repair" \
  bindings/python/dist.sh "$build/dist"
check_step "Debian packages (dpkg-buildpackage, symbols from abi/, lintian)" \
  scripts/deb.sh
check_step "Rust crates: cargo package, built and tested outside the tree" \
  bindings/rust/package.sh

total=$((SECONDS - t_start))
echo
echo "=== summary"
printf '%s\n' "${results[@]}"
printf 'wall time: %dm%02ds (budget on a fresh 2-core machine: 45 min)\n' \
  $((total / 60)) $((total % 60))
[ "$total" -le 2700 ] || echo "warning: over the 45-minute budget"
echo "test-all: $total_passed passed, $total_failed failed, $total_skipped skipped"
exit $failed
