# SPDX-License-Identifier: MIT
# pkg-config files of the libraries.
#
# green_install_pc(<template> <name>) installs <name>.pc into
# <libdir>/pkgconfig. The file is written at install time, for the prefix
# given then (cmake --install --prefix P): its prefix is relative to
# ${pcfiledir}, and libdir and includedir are relative to the prefix unless
# CMAKE_INSTALL_LIBDIR or CMAKE_INSTALL_INCLUDEDIR are absolute paths
# outside it. The template uses @GREEN_PC_PREFIX@, @GREEN_PC_LIBDIR@,
# @GREEN_PC_INCLUDEDIR@ and @PROJECT_VERSION@.
#
# green_uninstalled_pc(<name> <description> <requires> <private libs>)
# writes <build>/libgreen/<name>-uninstalled.pc for the target of that
# output name (libgreen, libgreen-hub), pointing into the build and source
# trees.

set(GREEN_PC_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/pkgconfig-install.cmake)
set(GREEN_PC_DIR ${CMAKE_CURRENT_BINARY_DIR})
set(GREEN_PC_INCLUDE_SRC ${CMAKE_CURRENT_LIST_DIR}/include)

function(green_install_pc template name)
  install(CODE "
    set(GREEN_PC_TEMPLATE \"${CMAKE_CURRENT_SOURCE_DIR}/${template}\")
    set(GREEN_PC_OUT \"${CMAKE_CURRENT_BINARY_DIR}/install/${name}.pc\")
    set(GREEN_PC_INSTALL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
    set(GREEN_PC_INSTALL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
    set(PROJECT_VERSION \"${PROJECT_VERSION}\")
    include(\"${GREEN_PC_SCRIPT}\")")
endfunction()

function(green_uninstalled_pc name description requires private_libs)
  if(name STREQUAL "green")
    set(target green)
  else()
    set(target green_hub)
  endif()
  set(req "")
  if(requires)
    set(req "Requires: ${requires}\n")
  endif()
  file(GENERATE OUTPUT ${GREEN_PC_DIR}/${name}-uninstalled.pc CONTENT
"libdir=$<TARGET_FILE_DIR:${target}>
includedir=${GREEN_PC_INCLUDE_SRC}

Name: ${name}
Description: ${description}
Version: ${PROJECT_VERSION}
${req}Libs: -L\${libdir} -Wl,-rpath,\${libdir} -l${name}
Libs.private: ${private_libs}
Cflags: -I\${includedir}
")
endfunction()
