#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages that libgreen's build, tests, cross tests and
# bindings need, skipping what is already there. Run as root (or with sudo).
set -euo pipefail

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Each cross compiler only recommends its C library: both are named (for
# Windows: MinGW-w64's, and wine64 to run the tests).
native=(cmake ninja-build gcc g++ make pkg-config libcmocka-dev libffi-dev swig
        abigail-tools valgrind gdb gdb-multiarch strace xz-utils qemu-user python3
        debhelper dpkg-dev lintian
        gcc-aarch64-linux-gnu libc6-dev-arm64-cross
        gcc-i686-linux-gnu libc6-dev-i386-cross
        gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
        gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross
        gcc-s390x-linux-gnu libc6-dev-s390x-cross
        gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
        gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev
        wine64)
# cmocka and libffi for the cross targets, through multiarch (Debian 12 has
# no riscv64 architecture: scripts/cross-deps.sh builds both for it from
# their source packages, hence the deb-src entry below).
foreign_archs=(arm64 i386 armhf ppc64el s390x)
foreign=()
for a in "${foreign_archs[@]}"; do
  foreign+=("libcmocka-dev:$a" "libffi-dev:$a")
done
src_list=/etc/apt/sources.list.d/libgreen-src.sources

missing=()
have() { # installed, as $1 or (multiarch libraries) as $1:<native arch>
  dpkg -s "$1" >/dev/null 2>&1 || dpkg -s "$1:$(dpkg --print-architecture)" >/dev/null 2>&1
}
for p in "${native[@]}" "${foreign[@]}"; do
  have "$p" || missing+=("$p")
done
have_src() { # a deb-src entry for Debian's main archive
  grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/
}
if [ ${#missing[@]} -eq 0 ] && have_src; then
  exit 0
fi
[ ${#missing[@]} -eq 0 ] || echo "deps: installing ${missing[*]}"
for a in "${foreign_archs[@]}"; do
  if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
    $sudo dpkg --add-architecture "$a"
  fi
done
if ! have_src; then
  . /etc/os-release
  echo "deps: adding $src_list (Debian $VERSION_CODENAME sources)"
  printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
    "Suites: $VERSION_CODENAME" "Components: main" \
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
    $sudo tee "$src_list" >/dev/null
fi
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 \
    install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
