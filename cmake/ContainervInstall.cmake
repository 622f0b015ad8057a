# What `cmake --install` puts where (prefix defaults to /usr/local):
#   lib/libcontainerv.so.0.1.0 (+ .so.0 and .so links)   the library
#   include/chef/containerv.h, include/chef/containerv/   the public headers
#   lib/pkgconfig/containerv.pc                          for `pkg-config --cflags --libs containerv`
#   bin/containerv                                       the CLI
#   share/containerv/rootfs/busybox/                     the built-in rootfs (ContainervRootfs.cmake)

install(TARGETS containerv
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

install(DIRECTORY ${CMAKE_SOURCE_DIR}/libs/containerv/include/chef
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

# The .pc file locates everything relative to itself (${pcfiledir}), so an
# install under another --prefix or DESTDIR works with PKG_CONFIG_PATH alone.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(CONTAINERV_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(CONTAINERV_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(CONTAINERV_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _cv_pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" _cv_pc_to_prefix "${_cv_pc_to_prefix}")
  set(CONTAINERV_PC_PREFIX "\${pcfiledir}/${_cv_pc_to_prefix}")
  set(CONTAINERV_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(CONTAINERV_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_SOURCE_DIR}/containerv.pc.in ${CMAKE_BINARY_DIR}/containerv.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/containerv.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET containerv-cli)
  # Finds the library next to it even where the loader's cache does not
  # (an install under a private prefix).
  file(RELATIVE_PATH _cv_bin_to_lib "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_LIBDIR}")
  set_target_properties(containerv-cli PROPERTIES INSTALL_RPATH "$ORIGIN/${_cv_bin_to_lib}")
  install(TARGETS containerv-cli
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
