#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prints the CPython interpreters the drop-in supports, one path a line, in
# version order: GREEN_PYTHONS (space-separated paths) if set, else python3
# on PATH and pyenv's newest 3.11, 3.12 and 3.13 (free-threaded builds
# aside). One interpreter per version is kept. Exits 1, naming the version,
# if a supported version has no interpreter.
set -euo pipefail
SUPPORTED="3.11 3.12 3.13"
candidates=${GREEN_PYTHONS:-}
if [[ -z "$candidates" ]]; then
    candidates=$(command -v python3 || true)
    if command -v pyenv >/dev/null; then
        for v in $SUPPORTED; do
            p=$(ls -d "$(pyenv root)"/versions/$v.*/bin/python$v 2>/dev/null \
                | grep -v t/bin | sort -V | tail -1 || true)
            [[ -n "$p" ]] && candidates="$candidates $p"
        done
    fi
fi
declare -A by_version=()
for p in $candidates; do
    v=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || continue
    [[ -z "${by_version[$v]:-}" ]] && by_version[$v]=$p
done
status=0
for v in $SUPPORTED; do
    if [[ -n "${by_version[$v]:-}" ]]; then
        echo "${by_version[$v]}"
    else
        echo "no CPython $v found (set GREEN_PYTHONS)" >&2
        status=1
    fi
done
exit $status
