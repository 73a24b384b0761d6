#!/bin/sh
# abi/update-baseline.sh <build dir>
#
# Rewrites the ABI baseline (abi/<soname>.abi and abi/<soname>.symbols) of
# every library listed in abi/libraries from a native build with debug
# information (the default RelWithDebInfo build). Review `git diff abi/`
# before committing it: the diff is the ABI change being made. See
# abi/README.md for what a 1.x release may change.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

[ $# -eq 1 ] || {
    echo "usage: $0 <build dir>" >&2
    exit 2
}
build=$(cd "$1" && pwd)

# The build must describe the tree whose baseline is written.
if [ -f "$build/CMakeCache.txt" ]; then
    src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
    if [ -n "$src" ] && [ "$(cd "$src" && pwd)" != "$root" ]; then
        echo "warning: $build was configured from $src, not $root" >&2
    fi
    if grep -q '^CMAKE_CROSSCOMPILING:INTERNAL=TRUE' "$build/CMakeCache.txt"; then
        echo "error: $build is a cross build; the baseline is written from" \
            "a native build" >&2
        exit 1
    fi
fi

status=0
while read -r soname target path headers; do
    case $soname in '' | '#'*) continue ;; esac
    lib=$build/$path
    if [ ! -f "$lib" ]; then
        echo "warning: $lib ($target) is not built; its baseline is unchanged" >&2
        status=1
        continue
    fi
    # Without DWARF abidw sees only symbols: a struct change would go
    # unnoticed. Refuse rather than write a blind baseline.
    if ! LC_ALL=C readelf -S -W "$lib" | grep -q '\.debug_info'; then
        echo "error: $lib has no debug information (build with -g," \
            "e.g. the default RelWithDebInfo)" >&2
        exit 1
    fi
    sh "$here/abi.sh" symbols "$lib" >"$here/$soname.symbols"
    sh "$here/abi.sh" dump "$lib" "$root/$headers" "$here/$soname.abi"
    echo "wrote abi/$soname.symbols ($(wc -l <"$here/$soname.symbols")" \
        "symbols) and abi/$soname.abi"
done <"$here/libraries"

echo "review with: git -C $root diff --stat -- abi/ && git -C $root diff -- abi/"
exit $status
