# SPDX-License-Identifier: MIT
# Cross build for i386 (System V i386 ABI) Linux with Debian's cross
# compiler; ctest runs the programs under qemu-user. Debian packages:
# gcc-i686-linux-gnu, libc6-dev-i386-cross, qemu-user, and
# libcmocka-dev:i386 and libffi-dev:i386 (dpkg --add-architecture i386).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_COMPILER i686-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER i686-linux-gnu-gcc)
# The multiarch libc6:i386 (pulled in by libcmocka-dev:i386) provides the
# dynamic loader under /lib, so qemu needs no -L sysroot.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-i386)
set(CMAKE_FIND_ROOT_PATH /usr/i686-linux-gnu /usr/lib/i386-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig)
