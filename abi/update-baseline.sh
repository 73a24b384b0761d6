#!/bin/sh
# SPDX-License-Identifier: MIT
# abi/update-baseline.sh [--refreeze-1.0] <build dir>
#
# Rewrites the ABI baseline, abi/<name>-<major>.abi and .symbols, of
# every library listed in abi/libraries, from a native build with debug
# information (the default RelWithDebInfo build). Review `git diff abi/`
# before committing it: the diff is the ABI change being made. See
# abi/README.md for what a 1.x release may change.
#
# --refreeze-1.0 is for the time before 1.0 is released only: it also
# copies each public header to abi/include/v1.0/ and rewrites each
# library's first manifest from its header (keeping the manifest's leading
# comment), because until the release the 1.0 contract is still the
# current tree. After the release these files never change.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

refreeze=0
if [ "${1:-}" = --refreeze-1.0 ]; then
    refreeze=1
    shift
fi
[ $# -eq 1 ] || {
    echo "usage: $0 [--refreeze-1.0] <build dir>" >&2
    exit 2
}
build=$(cd "$1" && pwd)

# The build must describe the tree whose baseline is written.
if [ -f "$build/CMakeCache.txt" ]; then
    src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
    if [ -n "$src" ] && [ "$(cd "$src" && pwd -P)" != "$(cd "$root" && pwd -P)" ]; then
        echo "warning: $build was configured from $src, not $root" >&2
    fi
    if grep -q '^CMAKE_CROSSCOMPILING:INTERNAL=TRUE' "$build/CMakeCache.txt"; then
        echo "error: $build is a cross build; the baseline is written from" \
            "a native build" >&2
        exit 1
    fi
fi

status=0
while read -r soname target path header map manifests; do
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
    # libgreen.so.1 -> abi/libgreen-1.{abi,symbols}: the repository ignores
    # *.so.* files.
    stem=$(echo "$soname" | sed 's/\.so\./-/')
    sh "$here/abi.sh" symbols "$lib" >"$here/$stem.symbols"
    sh "$here/abi.sh" dump "$lib" "$(dirname "$root/$header")" "$here/$stem.abi"
    echo "wrote abi/$stem.symbols ($(wc -l <"$here/$stem.symbols")" \
        "symbols) and abi/$stem.abi"

    if [ $refreeze -eq 1 ]; then
        mkdir -p "$here/include/v1.0"
        cp "$root/$header" "$here/include/v1.0/"
        first=${manifests%%,*}
        # The first node of the version script is the 1.0 node.
        node=$(sed -e 's|/\*.*\*/||' "$root/$map" |
            sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_.]*\)[[:space:]]*{.*/\1/p' |
            head -n 1)
        [ -n "$node" ] || {
            echo "error: no version node in $map" >&2
            exit 1
        }
        out=$here/$first
        {
            [ -f "$out" ] && sed -n '/^#/!q;p' "$out"
            python3 "$here/check-manifest.py" --print --header "$root/$header" \
                --soname "$soname" --node "$node"
        } >"$out.tmp"
        mv "$out.tmp" "$out"
        echo "wrote abi/include/v1.0/$(basename "$header") and abi/$first" \
            "(node $node)"
    fi
done <"$here/libraries"

echo "review with: git -C $root diff --stat -- abi/ && git -C $root diff -- abi/"
exit $status
