#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Debian packages (dpkg-buildpackage -us -uc -b) from a copy of
# the repository's committed and working files in a scratch directory (the
# packages land beside the source tree, so never in the repository), then
# checks them: lintian (errors and warnings fail; every override is
# justified in debian/*.lintian-overrides), the files each package holds,
# and a program built against the installed-package layout.
#
#   scripts/deb.sh [OUT_DIR]     keeps the .deb files in OUT_DIR if given
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/green-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
upstream=${version%-*}
src="$work/libgreen-$upstream"
mkdir -p "$src"
# The tracked files as they are in the working tree.
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$src"

echo "== dpkg-buildpackage -us -uc -b"
t0=$SECONDS
(cd "$src" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
  dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
  { tail -60 "$work/build.log"; exit 1; }
echo "built in $((SECONDS - t0)) s"
grep -E "dpkg-gensymbols|warning" "$work/build.log" | grep -v "^ *$" | head -20 || true

changes=$(ls "$work"/libgreen_"$version"_*.changes)
echo "== lintian"
t0=$SECONDS
lintian --fail-on error,warning "$changes"

echo "lintian: $((SECONDS - t0)) s"
echo "== contents"
for p in libgreen1 libgreen-hub1 libgreen-dev; do
  deb=$(ls "$work/${p}_${version}"_*.deb)
  dpkg-deb -c "$deb" | awk '{print $6}' >"$work/$p.list"
  echo "$p: $(grep -vc '/$' "$work/$p.list") files"
done
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
need() { grep -q "$2" "$work/$1.list" || { echo "$1 lacks $2" >&2; exit 1; }; }
need libgreen1 "usr/lib/$arch/libgreen.so.1$"
need libgreen-hub1 "usr/lib/$arch/libgreen-hub.so.1$"
for f in usr/include/green.h usr/include/green_hub.h "usr/lib/$arch/libgreen.so$" \
  "usr/lib/$arch/libgreen.a$" "usr/lib/$arch/libgreen-hub.a$" \
  "usr/lib/$arch/pkgconfig/green.pc" "usr/lib/$arch/pkgconfig/green-hub.pc" \
  "usr/lib/$arch/cmake/green/green-config.cmake" usr/share/man/man3/green_switch.3 \
  usr/share/man/man3/green_hub.3; do
  need libgreen-dev "$f"
done
for p in libgreen1 libgreen-hub1; do
  dpkg-deb -I "$(ls "$work/${p}_${version}"_*.deb)" symbols >/dev/null ||
    { echo "$p has no symbols file" >&2; exit 1; }
done

echo "== a consumer against the unpacked packages"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
"$root/tests/consumers/run.sh" installed-tree "$work/root/usr"

if [ $# -gt 0 ]; then
  mkdir -p "$1" && cp "$work"/*.deb "$1"/
fi
echo "debian: packages built, lintian clean"
