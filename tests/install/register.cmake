# SPDX-License-Identifier: MIT
# ctest install.* (labels install and docs), included by tests/CMakeLists.txt: the project of
# docs/install.md (this folder's CMakeLists.txt and main.cpp) built and run outside the source
# tree against escrow installed with `cmake --install` into a fresh prefix (install.find_package,
# when ESCROW_INSTALL is on), added with add_subdirectory (install.add_subdirectory) and fetched
# with FetchContent from a source archive (install.fetchcontent). The steps are in run.cmake.
# The consumer projects are configured without a build type, so without optimisation flags: they
# check how escrow is found and linked, not code generation, and compile in about half the time.
set(escrow_install_test_args
  -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
  -DGENERATOR=${CMAKE_GENERATOR}
  -DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
  -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
  -DCXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
  -DCONFIG=$<CONFIG>)
set(escrow_install_modes subdirectory fetchcontent)
if(ESCROW_INSTALL)
  list(PREPEND escrow_install_modes package)
else()
  message(STATUS "escrow: ESCROW_INSTALL is OFF, so install.find_package is not registered")
endif()
foreach(mode IN LISTS escrow_install_modes)
  set(name ${mode})
  if(mode STREQUAL "package")
    set(name find_package)
  elseif(mode STREQUAL "subdirectory")
    set(name add_subdirectory)
  endif()
  add_test(NAME install.${name}
           COMMAND ${CMAKE_COMMAND} -DMODE=${mode} ${escrow_install_test_args}
                   -P ${CMAKE_CURRENT_LIST_DIR}/run.cmake)
  set_tests_properties(install.${name} PROPERTIES LABELS "install;docs" TIMEOUT 900)
endforeach()
