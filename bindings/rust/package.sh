#!/bin/sh
# SPDX-License-Identifier: MIT
# The crates as crates.io would get them: `cargo package` of libgreen-sys
# and libgreen, then the packaged crates unpacked into an empty directory
# outside the repository, built and tested there with the `bundled` feature
# and no libgreen to be found (LIBGREEN_DIR, GREEN_BUILD_DIR,
# PKG_CONFIG_PATH cleared, pkg-config pointed at an empty directory); and
# the docs.rs build (DOCS_RS=1, no library at all).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/libgreen-crates.XXXXXX)
trap 'rm -rf "$work"' EXIT
unset LIBGREEN_DIR GREEN_BUILD_DIR PKG_CONFIG_PATH LD_LIBRARY_PATH
export PKG_CONFIG_LIBDIR="$work/no-pkgconfig"
mkdir -p "$PKG_CONFIG_LIBDIR"

# The crate carries a copy of libgreen's sources, made here from the tree.
"$here/libgreen-sys/sync-bundled.sh"

cd "$here"
# libgreen's package depends on libgreen-sys 0.1.0 from crates.io, which
# is not published yet: cargo resolves it to the local package through the
# workspace (--no-verify; the verification is the clean build below).
cargo package --workspace --no-verify --allow-dirty --quiet \
  --target-dir "$work/target"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
for c in libgreen-sys libgreen; do
  tar -xzf "$work/target/package/$c-$version.crate" -C "$work"
  echo "packaged $c-$version: $(tar -tzf "$work/target/package/$c-$version.crate" | wc -l) files"
done
if tar -tzf "$work/target/package/libgreen-sys-$version.crate" | grep -q '\.\./'; then
  echo "libgreen-sys packages files from outside the crate" >&2
  exit 1
fi

# A clean consumer directory: the packaged crates, a patch to use the
# packaged -sys (not yet on crates.io), nothing else of the repository.
cat >"$work/libgreen-$version/.cargo-patch.toml" <<TOML
[patch.crates-io]
libgreen-sys = { path = "../libgreen-sys-$version" }
TOML
cd "$work/libgreen-$version"
mkdir -p .cargo
mv .cargo-patch.toml .cargo/config.toml
echo "== packaged libgreen-sys: build and test (bundled)"
(cd "../libgreen-sys-$version" && cargo test --features bundled --quiet \
  --target-dir "$work/t-sys")
echo "== packaged libgreen: build and test (bundled)"
cargo test --features bundled --quiet --target-dir "$work/t"
echo "== packaged libgreen: no libgreen and no bundled must fail clearly"
if cargo build --quiet --target-dir "$work/t-none" 2>"$work/none.log"; then
  echo "built without any libgreen" >&2
  exit 1
fi
grep -q "bundled" "$work/none.log" || { cat "$work/none.log" >&2; exit 1; }
echo "== docs.rs build (DOCS_RS=1)"
DOCS_RS=1 cargo doc --no-deps --quiet --target-dir "$work/t-none"
echo "crates: packaged, built and tested outside the repository"
