# Lazy binding of optional libraries into the shared library (see cmake/lazy-stubs.sh).
#
# containerv_link_lazily(TARGET OBJECTS): links TARGET with CONTAINERV_DEPENDENCIES, except those
# in CONTAINERV_LAZY_DEPENDENCIES ("PkgConfig::TARGET=symbol_prefix"), which get generated
# trampolines that dlopen() them (by their SONAME) on first use instead.
include(CheckCSourceCompiles)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(lazy_default ON)
else()
  set(lazy_default OFF)
endif()
option(CONTAINERV_LAZY_BINDING "Load libarchive/libcurl on first use (x86_64 only)" ${lazy_default})

function(containerv_link_lazily target objects)
  set(eager ${CONTAINERV_DEPENDENCIES})
  if(NOT CONTAINERV_LAZY_BINDING)
    target_link_libraries(${target} PRIVATE ${eager})
    return()
  endif()
  set(specs "")
  foreach(entry ${CONTAINERV_LAZY_DEPENDENCIES})
    string(REPLACE "=" ";" parts "${entry}")
    list(GET parts 0 package)
    list(GET parts 1 prefix)
    list(REMOVE_ITEM eager ${package})
    get_target_property(files ${package} INTERFACE_LINK_LIBRARIES)
    set(soname "")
    foreach(file ${files})
      if(file MATCHES "\\.so$" AND EXISTS "${file}")
        execute_process(COMMAND ${CMAKE_OBJDUMP} -p "${file}" OUTPUT_VARIABLE dump ERROR_QUIET)
        if(dump MATCHES "SONAME +([^ \n]+)")
          set(soname ${CMAKE_MATCH_1})
          break()
        endif()
      endif()
    endforeach()
    if(soname STREQUAL "")
      message(FATAL_ERROR "lazy binding: no SONAME found for ${package} (${files})")
    endif()
    string(REGEX REPLACE "_$" "" name "${prefix}")
    list(APPEND specs "${name}:${soname}:${prefix}")
  endforeach()
  set(stubs ${CMAKE_CURRENT_BINARY_DIR}/lazy-stubs.c)
  add_custom_command(OUTPUT ${stubs}
    COMMAND sh ${PROJECT_SOURCE_DIR}/cmake/lazy-stubs.sh ${stubs} ${CMAKE_NM} ${specs} -- "$<TARGET_OBJECTS:${objects}>"
    DEPENDS ${objects} "$<TARGET_OBJECTS:${objects}>" ${PROJECT_SOURCE_DIR}/cmake/lazy-stubs.sh
    COMMAND_EXPAND_LISTS VERBATIM
    COMMENT "Generating lazy-binding stubs for ${specs}")
  target_sources(${target} PRIVATE ${stubs})
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${target} PRIVATE ${eager} ${CMAKE_DL_LIBS})
endfunction()
