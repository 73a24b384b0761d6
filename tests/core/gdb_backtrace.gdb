# SPDX-License-Identifier: MIT
# ctest core_gdb_backtrace: gdb stops inside a greenlet (gdb_target.c) and
# prints the backtrace, which must reach green_arch_entry and end there.
set breakpoint pending on
break gdb_target_breakpoint
continue
bt
