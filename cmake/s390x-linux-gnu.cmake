# SPDX-License-Identifier: MIT
# Cross build for s390x (z/Architecture ELF ABI) Linux with Debian's cross
# compiler; ctest runs the programs under qemu-user. Debian packages:
# gcc-s390x-linux-gnu, libc6-dev-s390x-cross, qemu-user, and
# libcmocka-dev:s390x and libffi-dev:s390x (dpkg --add-architecture s390x).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(CMAKE_C_COMPILER s390x-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER s390x-linux-gnu-gcc)
# The multiarch libc6:s390x (pulled in by libcmocka-dev:s390x) provides the
# dynamic loader under /lib, so qemu needs no -L sysroot.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-s390x)
set(CMAKE_FIND_ROOT_PATH /usr/s390x-linux-gnu /usr/lib/s390x-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/s390x-linux-gnu/pkgconfig:/usr/share/pkgconfig)
