# The Windows target (CMAKE_SYSTEM_NAME Windows: the mingw-w64 cross build of
# cmake/mingw-w64-x86_64.cmake; docs/windows.md). Included by the top-level CMakeLists.txt instead
# of the Linux build.
#
# What it builds:
#   containerv.dll + libcontainerv.dll.a   the portable layers that compile for Windows today
#                                          (below: common/, config/, core/ with its state store and
#                                          state machine, security/, network/'s parsing) and
#                                          platform/windows (core's backend over Job Objects,
#                                          tokens, virtual disks, HCS; BCrypt digests)
#   containerv.exe                         tools/containerv-windows: version, run (--rm, -d), ps,
#                                          inspect, logs, stats, top, stop, kill, wait, rm, security
#   test_windows.exe                       tests/windows, run under wine by tests/windows/run.sh
#
# Not yet in it: core/'s supervisor, volumes, copy and commit (sockets, mounts, tar), image/
# (libarchive, libcurl: WinHTTP for the registry to come), network/'s host side, orchestration/,
# lb/, metrics/, pool/, spec/ (depends on image/). The shared CLI (tools/containerv) needs them.
#
# Third-party: jansson and libyaml, built from Debian's source packages by
# scripts/mingw-deps.sh into CONTAINERV_MINGW_PREFIX (static); everything else is Windows' own
# (kernel32, advapi32, virtdisk, bcrypt, psapi, ws2_32; computecore.dll and userenv.dll's AppContainer functions are
# bound at run time).
set(CONTAINERV_MINGW_PREFIX "" CACHE PATH "Prefix of the mingw builds of jansson and libyaml (scripts/mingw-deps.sh)")
find_path(CONTAINERV_JANSSON_INCLUDE jansson.h PATHS ${CONTAINERV_MINGW_PREFIX}/include REQUIRED)
find_library(CONTAINERV_JANSSON_LIBRARY NAMES libjansson.a jansson PATHS ${CONTAINERV_MINGW_PREFIX}/lib REQUIRED)
find_path(CONTAINERV_YAML_INCLUDE yaml.h PATHS ${CONTAINERV_MINGW_PREFIX}/include REQUIRED)
find_library(CONTAINERV_YAML_LIBRARY NAMES libyaml.a yaml PATHS ${CONTAINERV_MINGW_PREFIX}/lib REQUIRED)

# The DLL, containerv.exe and the test program side by side (Windows finds a DLL next to its .exe).
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)

set(_cv_lib ${PROJECT_SOURCE_DIR}/libs/containerv)
set(CONTAINERV_WINDOWS_SOURCES
  ${_cv_lib}/common/error.c ${_cv_lib}/common/journal-note.c ${_cv_lib}/common/limits.c
  ${_cv_lib}/common/log-record.c ${_cv_lib}/common/util.c ${_cv_lib}/common/yaml.c
  ${_cv_lib}/common/digest-text.c ${_cv_lib}/network/address.c ${_cv_lib}/network/config.c
  # core/: the state store and the state machine, over platform/windows/backend.c
  ${_cv_lib}/core/context.c ${_cv_lib}/core/context-events.c ${_cv_lib}/core/create.c ${_cv_lib}/core/events.c
  ${_cv_lib}/core/events-journal.c ${_cv_lib}/core/lifecycle.c ${_cv_lib}/core/manage.c
  ${_cv_lib}/core/perf.c ${_cv_lib}/core/resources.c ${_cv_lib}/core/stats.c ${_cv_lib}/core/store.c
  ${_cv_lib}/core/supervise-state.c ${_cv_lib}/core/update.c ${_cv_lib}/core/wait.c)
file(GLOB _cv_windows_globbed CONFIGURE_DEPENDS
  ${_cv_lib}/config/*.c
  ${_cv_lib}/security/*.c
  ${_cv_lib}/platform/windows/*.c)
list(APPEND CONTAINERV_WINDOWS_SOURCES ${_cv_windows_globbed})

add_library(containerv_objects OBJECT ${CONTAINERV_WINDOWS_SOURCES})
target_include_directories(containerv_objects
  PUBLIC ${_cv_lib}/include
  PRIVATE ${_cv_lib} ${_cv_lib}/platform/windows/include ${CONTAINERV_JANSSON_INCLUDE} ${CONTAINERV_YAML_INCLUDE})
# The POSIX names the portable layers use that Windows spells differently (uid_t, O_CLOEXEC ...):
# one header, forced into every file of this target, so that no shared file includes a
# platform header (scripts/check-layers.sh).
target_compile_options(containerv_objects PRIVATE -include ${_cv_lib}/platform/windows/compat.h)
target_compile_definitions(containerv_objects PRIVATE _GNU_SOURCE= __USE_MINGW_ANSI_STDIO=1 YAML_DECLARE_STATIC CONTAINERV_BUILDING_DLL
  _WIN32_WINNT=0x0A00 WINVER=0x0A00 UNICODE _UNICODE)
set(CONTAINERV_WINDOWS_LIBRARIES ${CONTAINERV_JANSSON_LIBRARY} ${CONTAINERV_YAML_LIBRARY}
  advapi32 virtdisk bcrypt ole32 psapi ws2_32 pthread)

add_library(containerv SHARED $<TARGET_OBJECTS:containerv_objects>)
target_include_directories(containerv PUBLIC ${_cv_lib}/include)
target_link_libraries(containerv PRIVATE ${CONTAINERV_WINDOWS_LIBRARIES})
# containerv.dll and libcontainerv.dll.a (the import library); no lib prefix on the DLL.
set_target_properties(containerv PROPERTIES PREFIX "" IMPORT_PREFIX "lib" IMPORT_SUFFIX ".dll.a")
# The C runtime and winpthreads statically: the DLL runs without mingw's DLLs next to it.
target_link_options(containerv PRIVATE -static)

# The same objects as a static archive, for the test program (internal functions).
add_library(containerv_internal STATIC $<TARGET_OBJECTS:containerv_objects>)
target_include_directories(containerv_internal PUBLIC ${_cv_lib}/include ${_cv_lib})
target_link_libraries(containerv_internal PUBLIC ${CONTAINERV_WINDOWS_LIBRARIES})

add_subdirectory(tools/containerv-windows)
add_subdirectory(tests/windows)

install(TARGETS containerv RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${_cv_lib}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
