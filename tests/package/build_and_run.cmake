# SPDX-License-Identifier: MIT
# ctest package.*: configures, builds and runs a separate CMake project from scratch.
#   cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DEXECUTABLE=name -DGENERATOR=... [-DMAKE_PROGRAM=...]
#         [-DCXX_COMPILER=...] [-DBUILD_TYPE=...] [-DCONFIG=...] [-DPREFIX_PATH=...]
#         [-DEXPECTED_PREFIX=...] [-DESCROW_SOURCE=...] -P build_and_run.cmake
cmake_minimum_required(VERSION 3.21)
foreach(var SOURCE_DIR BINARY_DIR EXECUTABLE GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_and_run.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${BINARY_DIR}")
set(configure_args -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}")
foreach(pair "MAKE_PROGRAM;CMAKE_MAKE_PROGRAM" "CXX_COMPILER;CMAKE_CXX_COMPILER" "BUILD_TYPE;CMAKE_BUILD_TYPE"
             "PREFIX_PATH;CMAKE_PREFIX_PATH" "EXPECTED_PREFIX;ESCROW_EXPECTED_PREFIX"
             "ESCROW_SOURCE;ESCROW_SOURCE_DIR")
  list(GET pair 0 in)
  list(GET pair 1 out)
  if(${in})
    list(APPEND configure_args "-D${out}=${${in}}")
  endif()
endforeach()

message(STATUS "configure: ${configure_args}")
execute_process(COMMAND "${CMAKE_COMMAND}" ${configure_args} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring ${SOURCE_DIR} failed (${rc})")
endif()

set(build_args --build "${BINARY_DIR}")
if(CONFIG)
  list(APPEND build_args --config "${CONFIG}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" ${build_args} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building ${SOURCE_DIR} failed (${rc})")
endif()

set(program "${BINARY_DIR}/${EXECUTABLE}")
if(CONFIG AND EXISTS "${BINARY_DIR}/${CONFIG}/${EXECUTABLE}")
  set(program "${BINARY_DIR}/${CONFIG}/${EXECUTABLE}")
endif()
execute_process(COMMAND "${program}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${program} exited with ${rc}")
endif()
