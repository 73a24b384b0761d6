# SPDX-License-Identifier: MIT
# Cross build for armhf (ARMv7, AAPCS32 hard float) Linux with Debian's
# cross compiler; ctest runs the programs under qemu-user. Debian packages:
# gcc-arm-linux-gnueabihf, libc6-dev-armhf-cross, qemu-user, and
# libcmocka-dev:armhf and libffi-dev:armhf (dpkg --add-architecture armhf).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_ASM_COMPILER arm-linux-gnueabihf-gcc)
# The multiarch libc6:armhf (pulled in by libcmocka-dev:armhf) provides the
# dynamic loader under /lib, so qemu needs no -L sysroot.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm)
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf /usr/lib/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig)
