# The built-in "busybox" root filesystem, made at build time from the host's
# static busybox by scripts/make-rootfs.sh (idempotent, so the target can run
# on every build: it does nothing when the tree is current).
#
#   ${CMAKE_BINARY_DIR}/rootfs/busybox                      used from the build tree (tests)
#   ${CMAKE_INSTALL_DATADIR}/containerv/rootfs/busybox      installed copy
#
# The CLI finds a rootfs by name in a search path (tools/containerv/rootfs-path.c):
# CONTAINERV_ROOTFS_PATH when the packager sets it here; else the binary in
# the build tree searches <build>/rootfs then the installed directory, and
# the installed binary only <its bindir>/../share/containerv/rootfs, found
# from /proc/self/exe (so any --prefix or DESTDIR works and the build tree,
# which may be gone or stale, is never looked at).

set(CONTAINERV_BUSYBOX "/bin/busybox" CACHE FILEPATH
  "Statically linked busybox the built-in rootfs is made from (Debian: busybox-static)")
set(CONTAINERV_ROOTFS_PATH "" CACHE STRING
  "Colon-separated directories in which the CLI looks up a rootfs by name (empty: the binary's own: <build>/rootfs in the build tree, <prefix>/share/containerv/rootfs when installed)")
# Computed on every configure, so that they follow CMAKE_INSTALL_PREFIX.
set(_cv_installed_rootfs "${CMAKE_INSTALL_FULL_DATADIR}/containerv/rootfs")
file(RELATIVE_PATH _cv_bin_to_rootfs "${CMAKE_INSTALL_FULL_BINDIR}" "${_cv_installed_rootfs}")

set(CONTAINERV_BUILD_ROOTFS "${CMAKE_BINARY_DIR}/rootfs/busybox")

add_custom_target(rootfs ALL
  COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/make-rootfs.sh ${CONTAINERV_BUILD_ROOTFS} ${CONTAINERV_BUSYBOX}
  COMMENT "Checking the built-in rootfs ${CONTAINERV_BUILD_ROOTFS}"
  VERBATIM)

if(TARGET containerv-cli)
  if(CONTAINERV_ROOTFS_PATH)
    target_compile_definitions(containerv-cli PRIVATE CONTAINERV_ROOTFS_PATH="${CONTAINERV_ROOTFS_PATH}")
  endif()
  # /proc/self/exe names the binary with symlinks resolved: so is the directory it is compared with.
  get_target_property(_cv_cli_dir containerv-cli BINARY_DIR)
  file(REAL_PATH "${_cv_cli_dir}" _cv_cli_dir)
  target_compile_definitions(containerv-cli PRIVATE
    CONTAINERV_BUILD_BINARY_DIR="${_cv_cli_dir}"
    CONTAINERV_BUILD_ROOTFS_PATH="${CMAKE_BINARY_DIR}/rootfs:${_cv_installed_rootfs}"
    CONTAINERV_BIN_TO_ROOTFS="${_cv_bin_to_rootfs}"
    CONTAINERV_INSTALLED_ROOTFS="${_cv_installed_rootfs}")
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
