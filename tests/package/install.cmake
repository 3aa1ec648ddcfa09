# SPDX-License-Identifier: MIT
# ctest package.install: installs the build tree into a fresh prefix and checks the installed tree.
#   cmake -DBUILD_DIR=... -DPREFIX=... -DSOURCE_DIR=... -DINCLUDEDIR=include -DCMAKEDIR=share/escrow/cmake
#         [-DCONFIG=...] -P install.cmake
cmake_minimum_required(VERSION 3.21)
foreach(var BUILD_DIR PREFIX SOURCE_DIR INCLUDEDIR CMAKEDIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()

# The package files, where escrow's CMakeLists.txt installs them.
foreach(file "${INCLUDEDIR}/escrow/escrow.hpp"
             "${CMAKEDIR}/escrowConfig.cmake"
             "${CMAKEDIR}/escrowConfigVersion.cmake"
             "${CMAKEDIR}/escrowTargets.cmake"
             "${CMAKEDIR}/escrowDependencies.cmake")
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "the installed tree lacks ${file}")
  endif()
endforeach()

# Every public header is installed, and nothing else lands under include/escrow.
file(GLOB_RECURSE source_headers RELATIVE "${SOURCE_DIR}/include" "${SOURCE_DIR}/include/escrow/*")
file(GLOB_RECURSE installed_headers RELATIVE "${PREFIX}/${INCLUDEDIR}" "${PREFIX}/${INCLUDEDIR}/escrow/*")
list(SORT source_headers)
list(SORT installed_headers)
if(NOT source_headers STREQUAL installed_headers)
  message(FATAL_ERROR "installed headers differ from include/:\n  source:    ${source_headers}\n  installed: ${installed_headers}")
endif()
list(LENGTH installed_headers count)

# The version file accepts 0.1 and refuses 0.2 (SameMinorVersion) and 1.0.
foreach(request_and_expect "0.1.0;TRUE" "0.2.0;FALSE" "1.0.0;FALSE")
  list(GET request_and_expect 0 PACKAGE_FIND_VERSION)
  list(GET request_and_expect 1 expect)
  string(REPLACE "." ";" parts "${PACKAGE_FIND_VERSION}")
  list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
  list(GET parts 2 PACKAGE_FIND_VERSION_PATCH)
  set(PACKAGE_FIND_VERSION_COUNT 3)
  unset(PACKAGE_VERSION_COMPATIBLE)
  unset(PACKAGE_VERSION_UNSUITABLE)
  include("${PREFIX}/${CMAKEDIR}/escrowConfigVersion.cmake")
  if(PACKAGE_VERSION_UNSUITABLE)
    message(FATAL_ERROR "escrowConfigVersion.cmake calls the package unsuitable (ARCH_INDEPENDENT missing?)")
  endif()
  if((expect AND NOT PACKAGE_VERSION_COMPATIBLE) OR (NOT expect AND PACKAGE_VERSION_COMPATIBLE))
    message(FATAL_ERROR "escrow ${PACKAGE_VERSION} compatible with a request for ${PACKAGE_FIND_VERSION}: "
                        "'${PACKAGE_VERSION_COMPATIBLE}', expected ${expect}")
  endif()
endforeach()
message(STATUS "installed escrow ${PACKAGE_VERSION} to ${PREFIX}: ${count} headers and the package files")
