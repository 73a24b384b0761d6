#!/bin/sh
# SPDX-License-Identifier: MIT
# check-exports.sh <objdump> <libgreen-1.dll> <abi/libgreen-1.symbols>
# The DLL exports exactly the functions of the ELF library's symbol list
# (names without their versions), nothing more, nothing less.
set -eu
objdump=$1 dll=$2 symbols=$3
got=$(mktemp) want=$(mktemp)
trap 'rm -f "$got" "$want"' EXIT
# objdump -p: the export table's "[Ordinal/Name Pointer] Table" lines,
# "\t[   n] name"
"$objdump" -p "$dll" |
  sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/s/^[[:space:]]*\[ *[0-9]*\] //p' |
  sort -u >"$got"
grep '@' "$symbols" | sed 's/@.*//' | sort -u >"$want"
[ -s "$want" ] || { echo "no names in $symbols" >&2; exit 1; }
if ! diff -u "$want" "$got"; then
  echo "FAIL: $(basename "$dll")'s exports differ from $symbols (- missing, + extra)"
  exit 1
fi
echo "PASS: $(basename "$dll") exports the $(wc -l <"$want") functions of $(basename "$symbols")"
