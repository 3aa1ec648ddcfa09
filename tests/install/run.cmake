# SPDX-License-Identifier: MIT
# ctest install.*: builds and runs the project of docs/install.md (this folder's CMakeLists.txt
# and main.cpp) in a fresh directory OUTSIDE the source tree, getting escrow one way:
#   MODE=package       escrow configured, built and installed into a fresh prefix with the
#                      commands of docs/install.md ("Install with cmake --install"), then
#                      find_package(escrow) through CMAKE_PREFIX_PATH (and nowhere else);
#   MODE=subdirectory  add_subdirectory of escrow's source tree;
#   MODE=fetchcontent  FetchContent from a source archive made of escrow's source tree (its
#                      CMakeLists.txt, cmake/ and include/, what a subproject build reads).
# The program must print its "OK:" line and exit 0. The scratch directory is removed on success
# and kept (its path printed) on failure.
#
#   cmake -DMODE=... -DSOURCE_DIR=<escrow source> -DGENERATOR=...
#         [-DMAKE_PROGRAM=...] [-DCXX_COMPILER=...] [-DCXX_COMPILER_LAUNCHER=...]
#         [-DBUILD_TYPE=...] [-DCONFIG=...] [-DSCRATCH_ROOT=<dir, default $TMPDIR or /tmp>]
#         -P run.cmake
cmake_minimum_required(VERSION 3.21)
foreach(var MODE SOURCE_DIR GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT MODE MATCHES "^(package|subdirectory|fetchcontent)$")
  message(FATAL_ERROR "run.cmake: MODE is '${MODE}': package, subdirectory or fetchcontent")
endif()

# A fresh scratch directory outside the source tree.
if(NOT SCRATCH_ROOT)
  if(DEFINED ENV{TMPDIR} AND IS_DIRECTORY "$ENV{TMPDIR}")
    set(SCRATCH_ROOT "$ENV{TMPDIR}")
  else()
    set(SCRATCH_ROOT "/tmp")
  endif()
endif()
file(REAL_PATH "${SCRATCH_ROOT}" SCRATCH_ROOT)
file(REAL_PATH "${SOURCE_DIR}" SOURCE_DIR)
string(FIND "${SCRATCH_ROOT}/" "${SOURCE_DIR}/" inside)
if(inside EQUAL 0)
  message(FATAL_ERROR "run.cmake: the scratch root ${SCRATCH_ROOT} is inside the source tree ${SOURCE_DIR}")
endif()
string(RANDOM LENGTH 10 ALPHABET "abcdefghijklmnopqrstuvwxyz0123456789" suffix)
set(scratch "${SCRATCH_ROOT}/escrow-install-${MODE}-${suffix}")
file(REMOVE_RECURSE "${scratch}")
file(MAKE_DIRECTORY "${scratch}")
message(STATUS "scratch directory: ${scratch}")

function(fail why)
  message(FATAL_ERROR "install test (${MODE}): ${why}\n(the scratch directory ${scratch} is kept)")
endfunction()

# The project, as a user would have it: the two files of docs/install.md, in a folder of its own.
file(COPY "${SOURCE_DIR}/tests/install/CMakeLists.txt" "${SOURCE_DIR}/tests/install/main.cpp"
     DESTINATION "${scratch}/project")

# The tool chain of the calling build, for escrow's own build and for the project's.
set(toolchain_args -G "${GENERATOR}")
foreach(pair "MAKE_PROGRAM;CMAKE_MAKE_PROGRAM" "CXX_COMPILER;CMAKE_CXX_COMPILER"
             "CXX_COMPILER_LAUNCHER;CMAKE_CXX_COMPILER_LAUNCHER")
  list(GET pair 0 in)
  list(GET pair 1 out)
  if(${in})
    list(APPEND toolchain_args "-D${out}=${${in}}")
  endif()
endforeach()
set(configure_args -S "${scratch}/project" -B "${scratch}/build" ${toolchain_args} "-DESCROW_FROM=${MODE}")
if(BUILD_TYPE)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("${what} failed (${rc}):\n${out}${err}")
  endif()
endfunction()

if(MODE STREQUAL "package")
  # The commands of docs/install.md, with the source tree and the prefix of this run.
  run_step("configuring escrow" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${scratch}/escrow-build" ${toolchain_args}
           -DCMAKE_BUILD_TYPE=Release -DESCROW_BUILD_TESTS=OFF -DESCROW_BUILD_EXAMPLES=OFF
           -DESCROW_BUILD_BENCHMARKS=OFF -DESCROW_BUILD_DOCS=OFF -DESCROW_BUILD_CLI=OFF)
  run_step("building escrow" "${CMAKE_COMMAND}" --build "${scratch}/escrow-build" ${config_args})
  run_step("cmake --install" "${CMAKE_COMMAND}" --install "${scratch}/escrow-build" --prefix "${scratch}/prefix"
           ${config_args})
  foreach(file include/escrow/escrow.hpp share/escrow/cmake/escrowConfig.cmake share/escrow/cmake/escrowTargets.cmake)
    if(NOT EXISTS "${scratch}/prefix/${file}")
      fail("cmake --install put no ${file} in the prefix")
    endif()
  endforeach()
  # The components docs/install.md names: `sqlite` is found when the package has escrow::sqlite
  # (built with SQLite), and a component the package does not have fails find_package.
  file(READ "${scratch}/prefix/share/escrow/cmake/escrowTargets.cmake" targets)
  set(expect_sqlite FALSE)
  if(targets MATCHES "add_library\\(escrow::sqlite ")
    set(expect_sqlite TRUE)
  endif()
  file(WRITE "${scratch}/components/CMakeLists.txt"
       "cmake_minimum_required(VERSION 3.21)\nproject(components LANGUAGES CXX)\n"
       "find_package(escrow 0.1 CONFIG REQUIRED COMPONENTS \${COMPONENT})\n")
  foreach(component_and_expect "sqlite;${expect_sqlite}" "no_such_component;FALSE")
    list(GET component_and_expect 0 component)
    list(GET component_and_expect 1 expect)
    execute_process(COMMAND "${CMAKE_COMMAND}" -S "${scratch}/components" -B "${scratch}/components-${component}"
                            "-DCOMPONENT=${component}" "-DCMAKE_PREFIX_PATH=${scratch}/prefix"
                    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if((expect AND NOT rc EQUAL 0) OR (NOT expect AND rc EQUAL 0))
      fail("find_package(escrow COMPONENTS ${component}) exited with ${rc}; expected found: ${expect}")
    endif()
    message(STATUS "find_package(escrow COMPONENTS ${component}): found ${expect}, as expected")
  endforeach()
  # Only the fresh prefix may satisfy find_package: no package registry.
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${scratch}/prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
                             -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
elseif(MODE STREQUAL "subdirectory")
  list(APPEND configure_args "-DESCROW_SOURCE_DIR=${SOURCE_DIR}")
else()
  # A source archive with one top-level folder, as a release archive has (`git archive
  # --prefix=escrow-VERSION/` makes one from a clone).
  set(stage "${scratch}/stage/escrow-src")
  file(MAKE_DIRECTORY "${stage}")
  file(COPY "${SOURCE_DIR}/CMakeLists.txt" "${SOURCE_DIR}/cmake" "${SOURCE_DIR}/include" DESTINATION "${stage}")
  execute_process(COMMAND "${CMAKE_COMMAND}" -E tar czf "${scratch}/escrow-src.tar.gz" escrow-src
                  WORKING_DIRECTORY "${scratch}/stage" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    fail("cannot make the source archive (${rc})")
  endif()
  list(APPEND configure_args "-DESCROW_URL=${scratch}/escrow-src.tar.gz")
endif()

message(STATUS "configure: ${configure_args}")
execute_process(COMMAND "${CMAKE_COMMAND}" ${configure_args} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  fail("configuring the project failed (${rc})")
endif()

# Where escrow came from: the fresh prefix, the source tree, or the extracted archive.
file(STRINGS "${scratch}/build/CMakeCache.txt" escrow_dir_line REGEX "^escrow_DIR:")
if(MODE STREQUAL "package")
  string(REGEX REPLACE "^escrow_DIR:[A-Z]+=" "" escrow_dir "${escrow_dir_line}")
  string(FIND "${escrow_dir}/" "${scratch}/prefix/" at)
  if(NOT at EQUAL 0)
    fail("find_package found escrow at '${escrow_dir}', not in the installed prefix ${scratch}/prefix")
  endif()
  message(STATUS "escrow found at ${escrow_dir}")
elseif(MODE STREQUAL "fetchcontent")
  if(NOT EXISTS "${scratch}/build/_deps/escrow-src/include/escrow/escrow.hpp")
    fail("FetchContent did not extract escrow into ${scratch}/build/_deps/escrow-src")
  endif()
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" --build "${scratch}/build" ${config_args} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  fail("building the project failed (${rc})")
endif()

set(program "${scratch}/build/roundtrip")
if(CONFIG AND EXISTS "${scratch}/build/${CONFIG}/roundtrip")
  set(program "${scratch}/build/${CONFIG}/roundtrip")
endif()
execute_process(COMMAND "${program}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "roundtrip: ${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "(^|\n)OK: ")
  fail("the program exited with ${rc} without its OK line:\n${out}${err}")
endif()

file(REMOVE_RECURSE "${scratch}")
message(STATUS "install test (${MODE}): the project of docs/install.md built and ran outside the tree")
