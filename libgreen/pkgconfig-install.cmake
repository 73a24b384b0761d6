# SPDX-License-Identifier: MIT
# Run at install time by green_install_pc() (pkgconfig.cmake): writes a
# .pc file for the prefix of this installation and installs it.

get_filename_component(prefix "${CMAKE_INSTALL_PREFIX}" ABSOLUTE)
foreach(kind LIBDIR INCLUDEDIR)
  set(dir "${GREEN_PC_INSTALL_${kind}}")
  if(IS_ABSOLUTE "${dir}")
    set(full "${dir}")
  else()
    set(full "${prefix}/${dir}")
  endif()
  set(full_${kind} "${full}")
endforeach()
set(pcdir "${full_LIBDIR}/pkgconfig")

file(RELATIVE_PATH up "${pcdir}" "${prefix}")
string(REGEX REPLACE "/$" "" up "${up}")
if(up STREQUAL "")
  set(GREEN_PC_PREFIX "\${pcfiledir}")
else()
  set(GREEN_PC_PREFIX "\${pcfiledir}/${up}")
endif()
# Under the prefix: relative to it; elsewhere: the absolute path.
foreach(kind LIBDIR INCLUDEDIR)
  file(RELATIVE_PATH rel "${prefix}" "${full_${kind}}")
  if(rel MATCHES "^\\.\\./" OR rel STREQUAL "..")
    set(GREEN_PC_${kind} "${full_${kind}}")
  elseif(rel STREQUAL "")
    set(GREEN_PC_${kind} "\${prefix}")
  else()
    set(GREEN_PC_${kind} "\${prefix}/${rel}")
  endif()
endforeach()

configure_file("${GREEN_PC_TEMPLATE}" "${GREEN_PC_OUT}" @ONLY)
file(INSTALL "${GREEN_PC_OUT}" DESTINATION "${pcdir}")
