#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages that libgreen's build, tests, cross tests and
# bindings need, skipping what is already there. Run as root (or with sudo).
set -euo pipefail

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

native=(cmake ninja-build gcc pkg-config libcmocka-dev libffi-dev swig
        abigail-tools valgrind gdb strace python3
        debhelper dpkg-dev lintian
        gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
arm64=(libcmocka-dev:arm64 libffi-dev:arm64)

missing=()
have() { # installed, as $1 or (multiarch libraries) as $1:<native arch>
  dpkg -s "$1" >/dev/null 2>&1 || dpkg -s "$1:$(dpkg --print-architecture)" >/dev/null 2>&1
}
for p in "${native[@]}" "${arm64[@]}"; do
  have "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $sudo dpkg --add-architecture arm64
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
