# Cross build for 64-bit Windows with Debian's mingw-w64 (gcc-mingw-w64-x86-64):
#
#   cmake -S . -B build-mingw -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
#         -DCONTAINERV_WERROR=ON
#
# The top-level CMakeLists.txt sees CMAKE_SYSTEM_NAME Windows and builds the Windows
# target (cmake/ContainervWindows.cmake): containerv.dll, its import library and
# containerv.exe. Third-party libraries come from CONTAINERV_MINGW_PREFIX
# (scripts/mingw-deps.sh builds jansson and libyaml there from Debian's source packages).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_cv_mingw_triplet x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES ${_cv_mingw_triplet}-gcc-posix ${_cv_mingw_triplet}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${_cv_mingw_triplet}-windres)
find_program(CMAKE_AR NAMES ${_cv_mingw_triplet}-ar)
find_program(CMAKE_RANLIB NAMES ${_cv_mingw_triplet}-ranlib)

set(CMAKE_FIND_ROOT_PATH /usr/${_cv_mingw_triplet})
if(CONTAINERV_MINGW_PREFIX)
  list(APPEND CMAKE_FIND_ROOT_PATH ${CONTAINERV_MINGW_PREFIX})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests and tools built here run through wine when it is installed.
find_program(CONTAINERV_WINE NAMES wine64 wine)
if(CONTAINERV_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CONTAINERV_WINE})
endif()
