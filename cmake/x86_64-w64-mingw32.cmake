# SPDX-License-Identifier: MIT
# Cross build for Windows x64 with Debian's MinGW-w64 (libgreen-1.dll and
# its import library libgreen.dll.a; the core only: the hub is Linux's
# epoll). ctest runs the programs under Wine (wine64) in a prefix of the
# build directory. Debian packages: gcc-mingw-w64-x86-64 (with
# binutils-mingw-w64-x86-64 and mingw-w64-x86-64-dev) and wine64. cmocka
# is built from Debian's source package into GREEN_CROSS_PREFIX
# (scripts/cross-deps.sh).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_ASM_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(GREEN_CROSS_PREFIX "" CACHE PATH
    "Where target libraries built from source (cmocka) are installed")
# (try_compile projects read this file again: they see the prefix too)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES GREEN_CROSS_PREFIX)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 ${GREEN_CROSS_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
if(GREEN_CROSS_PREFIX)
  set(ENV{PKG_CONFIG_LIBDIR} ${GREEN_CROSS_PREFIX}/lib/pkgconfig)
endif()
# The programs link the C runtime's helpers statically (libgcc,
# winpthreads): the only DLLs they need are the system's, libgreen-1.dll
# and cmocka's, which the tests find through WINEPATH (tests/windows).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static-libgcc")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")
find_program(GREEN_WINE64 wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(GREEN_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GREEN_WINE64})
endif()
