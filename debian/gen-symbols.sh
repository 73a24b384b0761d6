#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes debian/<package>.symbols from abi/<lib>.symbols, the project's
# record of the exported symbols and their version nodes: a function of
# node GREEN_1.N (or GREEN_HUB_1.N) needs version 1.N.0 of its package.
# Run by debian/rules before dh_makeshlibs, whose dpkg-gensymbols -c4 then
# fails on any difference from the libraries built.
set -eu
cd "$(dirname "$0")/.."

gen() { # gen <abi symbols file> <soname> <package>
  {
    echo "$2 $3 #MINVER#"
    echo "* Build-Depends-Package: libgreen-dev"
    while read -r line; do
      case $line in
        '' | '#'*) continue ;;
        *@@*) name=${line%%@@*} node=${line#*@@} ;;
        *@*) name=${line%%@*} node=${line#*@} ;; # an older, non-default version
        *) name=$line node=$line ;;
      esac
      minor=$(echo "$node" | sed -n 's/^GREEN_\(HUB_\)\{0,1\}1\.\([0-9]*\)$/\2/p')
      if [ -z "$minor" ]; then
        echo "gen-symbols: unknown version node '$node' in $1" >&2
        exit 1
      fi
      echo " $name@$node 1.$minor.0"
    done <"$1"
  } >"debian/$3.symbols"
}

gen abi/libgreen-1.symbols libgreen.so.1 libgreen1
gen abi/libgreen-hub-1.symbols libgreen-hub.so.1 libgreen-hub1
