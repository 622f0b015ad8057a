# Every public header compiles on its own, twice in a row (include guards),
# with -std=c11 -pedantic -Werror -Wall -Wextra: one ctest per header, named
# headers.c11.<path>. When a C++ compiler is around, the same in C++11 checks
# the extern "C" guards (headers.c++11.<path>). The same for Windows: each
# header alone with the mingw-w64 cross compiler, -std=c11 -pedantic -Werror
# -fsyntax-only (headers.mingw.<path>; cmake/check-header-mingw.sh looks the
# compiler up when the test runs and skips, saying so, when it is absent).
# Plus headers.version: the version macros in common.h match project(VERSION).

set(_cv_include_dir ${CMAKE_SOURCE_DIR}/libs/containerv/include)
file(GLOB_RECURSE _cv_public_headers CONFIGURE_DEPENDS ${_cv_include_dir}/chef/*.h)
find_program(CONTAINERV_CXX_FOR_CHECKS NAMES c++ g++ clang++ DOC "C++ compiler for the header checks (optional)")

foreach(_cv_header ${_cv_public_headers})
  file(RELATIVE_PATH _cv_name ${_cv_include_dir} ${_cv_header})
  string(MAKE_C_IDENTIFIER "${_cv_name}" _cv_id)
  set(_cv_source ${CMAKE_BINARY_DIR}/header-checks/${_cv_id}.c)
  file(CONFIGURE OUTPUT ${_cv_source} CONTENT "#include <${_cv_name}>\n#include <${_cv_name}>\n")
  add_test(NAME headers.c11.${_cv_name}
    COMMAND ${CMAKE_C_COMPILER} -std=c11 -pedantic -Werror -Wall -Wextra
            -I${_cv_include_dir} -c ${_cv_source} -o /dev/null)
  add_test(NAME headers.mingw.${_cv_name}
    COMMAND sh ${CMAKE_SOURCE_DIR}/cmake/check-header-mingw.sh ${_cv_include_dir} ${_cv_source})
  set_tests_properties(headers.mingw.${_cv_name} PROPERTIES SKIP_RETURN_CODE 77)
  if(CONTAINERV_CXX_FOR_CHECKS)
    add_test(NAME headers.c++11.${_cv_name}
      COMMAND ${CONTAINERV_CXX_FOR_CHECKS} -x c++ -std=c++11 -pedantic -Werror -Wall -Wextra
              -I${_cv_include_dir} -c ${_cv_source} -o /dev/null)
  endif()
endforeach()

add_test(NAME headers.version
  COMMAND ${CMAKE_COMMAND} -DHEADER=${_cv_include_dir}/chef/containerv/common.h
          -DVERSION=${PROJECT_VERSION} -P ${CMAKE_SOURCE_DIR}/cmake/CheckVersion.cmake)
