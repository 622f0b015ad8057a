# The built-in "busybox" root filesystem, made at build time from the host's
# static busybox by scripts/make-rootfs.sh (idempotent, so the target can run
# on every build: it does nothing when the tree is current).
#
#   ${CMAKE_BINARY_DIR}/rootfs/busybox                      used from the build tree (tests)
#   ${CMAKE_INSTALL_DATADIR}/containerv/rootfs/busybox      installed copy
#
# The CLI finds a rootfs by name in the directories of CONTAINERV_ROOTFS_PATH.

set(CONTAINERV_BUSYBOX "/bin/busybox" CACHE FILEPATH
  "Statically linked busybox the built-in rootfs is made from (Debian: busybox-static)")
set(CONTAINERV_ROOTFS_PATH "" CACHE STRING
  "Colon-separated directories in which the CLI looks up a rootfs by name (empty: the build tree's, then the installed one)")
if(CONTAINERV_ROOTFS_PATH)
  set(_cv_rootfs_path "${CONTAINERV_ROOTFS_PATH}")
else()
  # Computed on every configure, so that it follows CMAKE_INSTALL_PREFIX.
  set(_cv_rootfs_path "${CMAKE_BINARY_DIR}/rootfs:${CMAKE_INSTALL_FULL_DATADIR}/containerv/rootfs")
endif()

set(CONTAINERV_BUILD_ROOTFS "${CMAKE_BINARY_DIR}/rootfs/busybox")

add_custom_target(rootfs ALL
  COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/make-rootfs.sh ${CONTAINERV_BUILD_ROOTFS} ${CONTAINERV_BUSYBOX}
  COMMENT "Checking the built-in rootfs ${CONTAINERV_BUILD_ROOTFS}"
  VERBATIM)

if(TARGET containerv-cli)
  target_compile_definitions(containerv-cli PRIVATE CONTAINERV_ROOTFS_PATH="${_cv_rootfs_path}")
  # `containerv run busybox ...` from the build tree needs the tree.
  add_dependencies(containerv-cli rootfs)
endif()

# install(DIRECTORY) keeps the applet symlinks as symlinks; the modes it
# cannot express (the sticky bit of tmp/, 0700 of root/) are set afterwards.
install(DIRECTORY ${CONTAINERV_BUILD_ROOTFS}
  DESTINATION ${CMAKE_INSTALL_DATADIR}/containerv/rootfs
  USE_SOURCE_PERMISSIONS)
install(CODE "
  set(_cv_rootfs \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/containerv/rootfs/busybox\")
  execute_process(COMMAND chmod 1777 \"\${_cv_rootfs}/tmp\" \"\${_cv_rootfs}/var/tmp\" COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND chmod 0700 \"\${_cv_rootfs}/root\" COMMAND_ERROR_IS_FATAL ANY)
")
