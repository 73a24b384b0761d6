# SPDX-License-Identifier: MIT
# Cross build for ppc64le (ELFv2) Linux with Debian's cross compiler; ctest
# runs the programs under qemu-user. Debian packages:
# gcc-powerpc64le-linux-gnu, libc6-dev-ppc64el-cross, qemu-user, and
# libcmocka-dev:ppc64el and libffi-dev:ppc64el (dpkg --add-architecture
# ppc64el).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ppc64le)
set(CMAKE_C_COMPILER powerpc64le-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER powerpc64le-linux-gnu-gcc)
# The multiarch libc6:ppc64el (pulled in by libcmocka-dev:ppc64el) provides the
# dynamic loader under /lib, so qemu needs no -L sysroot.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-ppc64le)
set(CMAKE_FIND_ROOT_PATH /usr/powerpc64le-linux-gnu /usr/lib/powerpc64le-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/powerpc64le-linux-gnu/pkgconfig:/usr/share/pkgconfig)
