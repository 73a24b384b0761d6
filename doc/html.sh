#!/bin/sh
# SPDX-License-Identifier: MIT
# The reference manual as HTML, made from the public headers (the same
# source and text as the man pages):
#
#   doc/html.sh [OUT_DIR]      (default: build/doc/html)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/doc/html}
python3 "$root/doc/mkman.py" "$root/libgreen/include/green.h" \
  "$root/libgreen/include/green_hub.h" --html "$out"
