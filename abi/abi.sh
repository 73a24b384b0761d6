#!/bin/sh
# SPDX-License-Identifier: MIT
# abi/abi.sh - the one place that knows how libgreen's ABI is recorded and
# compared. Used by abi/update-baseline.sh (to write the baseline) and by
# the `abi` tests of ctest (to check a build against it).
#
#   abi.sh symbols <library>
#       Prints the symbols the library defines and exports, sorted, one a
#       line: name@@NODE (the default version), name@NODE (an older,
#       non-default version), NODE (the definition of a version node), or
#       a bare name (a symbol without a version: always a mistake here).
#   abi.sh dump <library> <public headers dir> <out.abi>
#       Writes the library's ABI as libabigail sees it (abidw). Types that
#       are not defined in the public headers (the opaque struct green,
#       the hub's internals) are dropped, so only the public ABI is kept;
#       source paths are reduced to file names so that the file does not
#       depend on where the tree was built.
#   abi.sh check-symbols <library> <baseline.symbols> <fresh.symbols>
#   abi.sh check-abi <library> <public headers dir> <baseline.abi> <fresh.abi>
#       Compare a built library with the baseline. Exit 0 if identical,
#       1 if not (with the difference printed), 77 if the check cannot run
#       here (abidw/abidiff missing, baseline of another architecture).
#   abi.sh check-soname <library> <soname> <file name>
#       The library's DT_SONAME (as `readelf -d` shows it) is <soname> and
#       the file it resolves to is called <file name> (libgreen.so.1.1.0).
#   abi.sh skip <reason...>
#       Prints the reason and exits 77 (ctest's SKIP_RETURN_CODE).
set -eu

SKIP=77
READELF=${READELF:-readelf}
ABIDW=${ABIDW:-abidw}
ABIDIFF=${ABIDIFF:-abidiff}

die() {
    echo "abi.sh: $*" >&2
    exit 2
}

skip() {
    echo "SKIP: $*"
    exit $SKIP
}

have() {
    command -v "$1" >/dev/null 2>&1
}

symbols() {
    lib=$1
    [ -f "$lib" ] || die "no such library: $lib"
    have "$READELF" || die "$READELF not found"
    # readelf --dyn-syms -W columns:
    #   Num: Value Size Type Bind Vis Ndx Name [(verindex)]
    # Keep what the library defines (Ndx not UND) and shows to others
    # (GLOBAL or WEAK binding, DEFAULT or PROTECTED visibility). On
    # ppc64le (ELFv2) readelf adds "[<localentry>: 8]" after the
    # visibility of a function with a local entry point: dropped.
    LC_ALL=C "$READELF" --dyn-syms -W "$lib" |
        LC_ALL=C sed 's/\[<localentry>: [0-9]*\] //' | LC_ALL=C awk '
        $1 ~ /^[0-9]+:$/ && NF >= 8 && $7 != "UND" &&
        ($5 == "GLOBAL" || $5 == "WEAK") &&
        ($6 == "DEFAULT" || $6 == "PROTECTED") { print $8 }' |
        LC_ALL=C sort -u
}

dump() {
    lib=$1 headers=$2 out=$3
    [ -f "$lib" ] || die "no such library: $lib"
    [ -d "$headers" ] || die "no such headers directory: $headers"
    tmp=$out.tmp
    "$ABIDW" --no-corpus-path --no-comp-dir-path --no-show-locs \
        --headers-dir "$headers" --drop-private-types \
        --out-file "$tmp" "$lib"
    # <abi-instr path='/abs/src/dir/green.c'>: keep the file name only.
    sed "s|\(<abi-instr [^>]*path='\)[^']*/\([^'/]*'\)|\1\2|" "$tmp" >"$out"
    rm -f "$tmp"
}

check_symbols() {
    lib=$1 baseline=$2 fresh=$3
    [ -f "$baseline" ] || {
        echo "FAIL: no baseline $baseline (abi/update-baseline.sh writes it)"
        exit 1
    }
    symbols "$lib" >"$fresh"
    if diff -u "$baseline" "$fresh"; then
        echo "PASS: $(wc -l <"$fresh") exported symbols of $(basename "$lib")" \
            "match $(basename "$baseline")"
        exit 0
    fi
    echo "FAIL: the exported symbols of $lib differ from $baseline"
    echo "      (lines with - are gone, + are new; see abi/README.md)"
    exit 1
}

check_abi() {
    lib=$1 headers=$2 baseline=$3 fresh=$4
    have "$ABIDW" || skip "$ABIDW not installed (Debian: abigail-tools)"
    have "$ABIDIFF" || skip "$ABIDIFF not installed (Debian: abigail-tools)"
    [ -f "$baseline" ] || {
        echo "FAIL: no baseline $baseline (abi/update-baseline.sh writes it)"
        exit 1
    }
    dump "$lib" "$headers" "$fresh"
    arch_of() {
        sed -n "s/^<abi-corpus [^>]*architecture='\([^']*\)'.*/\1/p" "$1"
    }
    want=$(arch_of "$baseline")
    got=$(arch_of "$fresh")
    [ "$want" = "$got" ] ||
        skip "the baseline describes $want, this build is $got"
    status=0
    "$ABIDIFF" --no-default-suppression "$baseline" "$fresh" || status=$?
    if [ "$status" -eq 0 ]; then
        echo "PASS: abidiff finds no change between $(basename "$baseline")" \
            "and $(basename "$lib")"
        exit 0
    fi
    # abidiff's exit status is a bit field.
    what=""
    [ $((status & 1)) -ne 0 ] && what="$what error"
    [ $((status & 2)) -ne 0 ] && what="$what usage-error"
    [ $((status & 4)) -ne 0 ] && what="$what ABI-change"
    [ $((status & 8)) -ne 0 ] && what="$what INCOMPATIBLE-change"
    echo "FAIL: abidiff exit status $status ($what ) comparing $baseline" \
        "with $lib"
    echo "      a released ABI must not change; a deliberate addition is" \
        "recorded with abi/update-baseline.sh (see abi/README.md)"
    exit 1
}

check_soname() {
    lib=$1 want_soname=$2 want_file=$3
    [ -e "$lib" ] || die "no such library: $lib"
    got=$(LC_ALL=C "$READELF" -d "$lib" |
        sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
    file=$(basename "$(readlink -f "$lib")")
    status=0
    if [ "$got" != "$want_soname" ]; then
        echo "FAIL: DT_SONAME of $lib is '$got', expected '$want_soname'"
        status=1
    fi
    if [ "$file" != "$want_file" ]; then
        echo "FAIL: $lib is the file $file, expected $want_file"
        status=1
    fi
    [ $status -eq 0 ] && echo "PASS: $(basename "$lib") -> $file, DT_SONAME $got"
    exit $status
}

[ $# -ge 1 ] || die "usage: abi.sh symbols|dump|check-symbols|check-abi|check-soname|skip ..."
cmd=$1
shift
case $cmd in
symbols)
    [ $# -eq 1 ] || die "usage: abi.sh symbols <library>"
    symbols "$1"
    ;;
dump)
    [ $# -eq 3 ] || die "usage: abi.sh dump <library> <headers dir> <out.abi>"
    dump "$@"
    ;;
check-symbols)
    [ $# -eq 3 ] ||
        die "usage: abi.sh check-symbols <library> <baseline> <fresh>"
    check_symbols "$@"
    ;;
check-abi)
    [ $# -eq 4 ] ||
        die "usage: abi.sh check-abi <library> <headers dir> <baseline> <fresh>"
    check_abi "$@"
    ;;
check-soname)
    [ $# -eq 3 ] ||
        die "usage: abi.sh check-soname <library> <soname> <file name>"
    check_soname "$@"
    ;;
skip)
    skip "$*"
    ;;
*)
    die "unknown command $cmd"
    ;;
esac
