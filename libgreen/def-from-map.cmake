# SPDX-License-Identifier: MIT
# green_def_from_map(<version script> <.def file> <dll name>): writes the
# export list of the Windows DLL from the ELF version script, at configure
# time (and again whenever the script changes). Every name of a `global:`
# list is exported once. A name in several nodes (a function whose old
# version is kept on ELF, like green_attr_init) is exported from the
# implementation of its newest node, green__<name without green_>_<M>_<m>
# (green.c defines it), as the newest version is what a program built now
# links to.
function(green_def_from_map map def dll)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${map})
  file(READ ${map} text)
  # Drop comments, then walk the nodes: NAME { global: a; b; local: *; } ...;
  string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" "" text "${text}")
  string(REPLACE ";" " " text "${text}") # (CMake lists split at ;)
  string(REGEX MATCHALL "[A-Za-z0-9_.]+[ \t\r\n]*{[^}]*}" nodes "${text}")
  set(names "")
  foreach(node ${nodes})
    string(REGEX MATCH "^[A-Za-z0-9_.]+" version "${node}")
    string(REGEX MATCH "global:([^}]*)" global "${node}")
    set(global "${CMAKE_MATCH_1}")
    string(REGEX REPLACE "local:.*" "" global "${global}")
    string(REGEX MATCHALL "[A-Za-z_][A-Za-z0-9_]*" syms "${global}")
    foreach(sym ${syms})
      if(NOT sym IN_LIST names)
        list(APPEND names ${sym})
      endif()
      set(newest_${sym} ${version})
      if(DEFINED count_${sym})
        math(EXPR count_${sym} "${count_${sym}} + 1")
      else()
        set(count_${sym} 1)
      endif()
    endforeach()
  endforeach()
  if(NOT names)
    message(FATAL_ERROR "${map}: no exported names found")
  endif()
  list(SORT names)
  set(out "; Generated from ${map}: do not edit.\nLIBRARY ${dll}\nEXPORTS\n")
  foreach(sym ${names})
    if(count_${sym} GREATER 1)
      string(REGEX MATCH "([0-9]+)\\.([0-9]+)$" v "${newest_${sym}}")
      set(v "${CMAKE_MATCH_1}_${CMAKE_MATCH_2}")
      string(REGEX REPLACE "^green_" "" stem "${sym}")
      string(APPEND out "    ${sym} = green__${stem}_${v}\n")
    else()
      string(APPEND out "    ${sym}\n")
    endif()
  endforeach()
  file(WRITE ${def}.tmp "${out}")
  file(COPY_FILE ${def}.tmp ${def} ONLY_IF_DIFFERENT)
  file(REMOVE ${def}.tmp)
endfunction()
