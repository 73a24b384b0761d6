# SPDX-License-Identifier: MIT
# ctest core_gdb_fastpath: counts the calls of green__switch_prepare() while
# fastpath_target.c runs 2,000 plain switches to its end.
set breakpoint pending on
break green__switch_prepare
ignore 1 1000000
continue
info breakpoints
