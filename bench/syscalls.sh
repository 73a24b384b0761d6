#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shows that steady-state create+start+finish+destroy makes no system call:
# strace counts the syscalls of core_bench's create mode for 1,000 and for
# 1,000,000 cycles (after the same warm-up). Equal totals mean none per cycle.
set -euo pipefail
bench=${1:-build/bench/core_bench}
count() {
  strace -f -c -o /tmp/green_syscalls.$$ "$bench" create "$1" >/dev/null
  awk '$NF == "total" {print $4}' /tmp/green_syscalls.$$
}
small=$(count 1000)
large=$(count 1000000)
rm -f /tmp/green_syscalls.$$
echo "syscalls for 1,000 cycles:     $small"
echo "syscalls for 1,000,000 cycles: $large"
if [ "$small" = "$large" ]; then
  echo "no system call per create+start+finish+destroy cycle"
else
  echo "steady state makes system calls: $((large - small)) more"
  exit 1
fi
