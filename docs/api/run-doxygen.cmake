# SPDX-License-Identifier: MIT
# Builds escrow's API reference with Doxygen and fails on any warning (target escrow_docs, ctest
# docs.api). The undocumented names are listed first, one per line, as file:line: name (kind), so
# that documenting a new header is a matter of walking down that list; every other line of
# Doxygen's log (a broken @ref, an @param that names no parameter, ...) follows as it is.
#
#   cmake -DDOXYGEN=/usr/bin/doxygen -DDOXYFILE=<build>/docs/api/Doxyfile -DLOG=<log file>
#         -DOUTPUT=<output dir> [-DSTRIP=<prefix to drop from file names>]
#         [-DEXPECT_UNDOCUMENTED=name,name...] -P run-doxygen.cmake
#
# EXPECT_UNDOCUMENTED (for the checker's own test, docs.api_check): the run then passes only when
# the undocumented names are exactly these, and nothing else is in the log.
cmake_minimum_required(VERSION 3.21)
foreach(var DOXYGEN DOXYFILE LOG OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run-doxygen.cmake: ${var} is not set")
  endif()
endforeach()

# A fresh output directory, so that no page of a removed header survives, and a fresh log.
file(REMOVE_RECURSE "${OUTPUT}/html")
file(REMOVE "${LOG}")
file(MAKE_DIRECTORY "${OUTPUT}")
execute_process(COMMAND "${DOXYGEN}" "${DOXYFILE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)

set(log "")
if(EXISTS "${LOG}")
  file(READ "${LOG}" log)
endif()
# Doxygen reports problems with its configuration on stderr, not in the log.
string(STRIP "${err}" err)
if(err)
  string(APPEND log "${err}\n")
endif()

# Doxygen's undocumented-name warnings, one per line:
#   FILE:LINE: warning: Member NAME (KIND) of SCOPE-KIND SCOPE is not documented.
#   FILE:LINE: warning: Compound NAME is not documented.
# ("error:" instead of "warning:" under WARN_AS_ERROR.)
# Other warnings may take several lines (the parameters of a function, say): kept as they are.
string(REPLACE ";" "\\;" log_escaped "${log}")
string(REPLACE "\n" ";" lines "${log_escaped}")
set(undocumented "")
set(undocumented_names "")
set(other "")
set(warnings 0)
foreach(line IN LISTS lines)
  string(STRIP "${line}" stripped)
  if(stripped STREQUAL "")
    continue()
  endif()
  if(line MATCHES ": (warning|error): ")
    math(EXPR warnings "${warnings} + 1")
  endif()
  if(STRIP)
    string(REPLACE "${STRIP}/" "" line "${line}")
  endif()
  if(line MATCHES "^(.*:[0-9]+): (warning|error): Member (.+) \\(([a-z]+)\\) of [a-z]+ (.+) is not documented\\.$")
    set(where "${CMAKE_MATCH_1}")
    set(member "${CMAKE_MATCH_3}")
    set(kind "${CMAKE_MATCH_4}")
    set(scope "${CMAKE_MATCH_5}")
    # The name alone, without the parameter list of a function.
    string(REGEX REPLACE "\\(.*$" "" short "${member}")
    string(STRIP "${short}" short)
    list(APPEND undocumented "${where}: ${scope}::${short} (${kind}): ${member}")
    list(APPEND undocumented_names "${scope}::${short}")
  elseif(line MATCHES "^(.*:[0-9]+): (warning|error): Compound ([^ ]+) is not documented\\.$")
    list(APPEND undocumented "${CMAKE_MATCH_1}: ${CMAKE_MATCH_3} (class)")
    list(APPEND undocumented_names "${CMAKE_MATCH_3}")
  else()
    list(APPEND other "${line}")
  endif()
endforeach()
list(REMOVE_DUPLICATES undocumented)
list(REMOVE_DUPLICATES undocumented_names)
list(LENGTH undocumented_names undocumented_count)

set(report "")
if(undocumented)
  string(APPEND report "${undocumented_count} public names are not documented (add a /// comment above each):\n")
  foreach(entry IN LISTS undocumented)
    string(APPEND report "  ${entry}\n")
  endforeach()
endif()
if(other)
  string(APPEND report "other Doxygen warnings and errors:\n")
  foreach(entry IN LISTS other)
    string(APPEND report "  ${entry}\n")
  endforeach()
endif()

if(DEFINED EXPECT_UNDOCUMENTED)
  list(SORT undocumented_names)
  string(REPLACE "," ";" expected "${EXPECT_UNDOCUMENTED}")
  list(SORT expected)
  if(other OR NOT undocumented_names STREQUAL expected)
    message(FATAL_ERROR "the check did not report exactly the expected undocumented names\n"
                        "  expected: ${expected}\n  reported: ${undocumented_names}\n${report}")
  endif()
  message(STATUS "the check reported exactly the ${undocumented_count} undocumented names expected:\n${report}")
  return()
endif()

if(NOT rc EQUAL 0 OR warnings GREATER 0 OR other OR undocumented)
  message(FATAL_ERROR "API reference: ${warnings} Doxygen warnings (doxygen exited with ${rc}); "
                      "the full log is ${LOG}\n${report}")
endif()
if(NOT EXISTS "${OUTPUT}/html/index.html")
  message(FATAL_ERROR "doxygen reported nothing but wrote no ${OUTPUT}/html/index.html")
endif()
message(STATUS "API reference: 0 Doxygen warnings; open ${OUTPUT}/html/index.html")
