#!/bin/sh
# SPDX-License-Identifier: MIT
# The `bundled` feature compiles libgreen from a copy of its sources inside
# this crate (libgreen/), so that the published crate builds on its own.
# The copy is made for packaging (package.sh runs this) and not tracked: in
# the repository the build script compiles the tree's own sources.
#
#   sync-bundled.sh           refreshes the copy from the repository
#   sync-bundled.sh --check   fails if the copy differs from the repository
#
# The copy: libgreen/include/green.h, libgreen/src/*.{c,h},
# libgreen/arch/*.{h,S}, and the licence (here and beside the libgreen crate).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
copy="$here/libgreen"

list() { # the files of the copy, relative to the repository
  (cd "$repo" && ls libgreen/include/green.h libgreen/src/*.c libgreen/src/*.h \
    libgreen/arch/*.h libgreen/arch/*.S)
}

if [ "${1:-}" = "--check" ]; then
  status=0
  for f in $(list); do
    cmp -s "$repo/$f" "$here/$f" || { echo "differs or missing: bindings/rust/libgreen-sys/$f" >&2; status=1; }
  done
  # Nothing the repository no longer has.
  for f in $(cd "$here" && find libgreen -type f | sort); do
    [ -f "$repo/$f" ] || { echo "stale: bindings/rust/libgreen-sys/$f" >&2; status=1; }
  done
  for d in "$here" "$here/../libgreen"; do
    cmp -s "$repo/LICENSE" "$d/LICENSE" || { echo "differs or missing: $d/LICENSE" >&2; status=1; }
  done
  [ $status -eq 0 ] && echo "bundled sources: identical to the repository's"
  [ $status -eq 0 ] || echo "run bindings/rust/libgreen-sys/sync-bundled.sh" >&2
  exit $status
fi

rm -rf "$copy"
for f in $(list); do
  mkdir -p "$here/$(dirname "$f")"
  cp "$repo/$f" "$here/$f"
done
cp "$repo/LICENSE" "$here/LICENSE"
cp "$repo/LICENSE" "$here/../libgreen/LICENSE"
echo "bundled sources refreshed"
