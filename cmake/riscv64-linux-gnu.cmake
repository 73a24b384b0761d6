# SPDX-License-Identifier: MIT
# Cross build for riscv64 (RV64GC, LP64D) Linux with Debian's cross
# compiler; ctest runs the programs under qemu-user. Debian packages:
# gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross and qemu-user. Debian 12
# has no riscv64 architecture to install cmocka or libffi from: cmocka is
# built from Debian's source package into GREEN_CROSS_PREFIX
# (scripts/cross-cmocka.sh), and the libffi conformance test skips.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER riscv64-linux-gnu-gcc)
# The programs find the dynamic loader and the C library in the cross
# compiler's sysroot.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-riscv64 -L /usr/riscv64-linux-gnu)
set(GREEN_CROSS_PREFIX "" CACHE PATH
    "Where target libraries built from source (cmocka) are installed")
# (try_compile projects read this file again: they see the prefix too)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES GREEN_CROSS_PREFIX)
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu ${GREEN_CROSS_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
if(GREEN_CROSS_PREFIX)
  set(ENV{PKG_CONFIG_LIBDIR} ${GREEN_CROSS_PREFIX}/lib/pkgconfig)
endif()
