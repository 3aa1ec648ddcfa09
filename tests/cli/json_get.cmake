# SPDX-License-Identifier: MIT
# Prints one member of a JSON document on stdout, or its length; fails on invalid JSON or a
# missing member. Used by the CLI tests so that they need no JSON tool beyond CMake.
#
#   cmake -DJSON_FILE=doc.json -DMEMBER="recipients;0;role" -DOP=GET|LENGTH -P json_get.cmake
file(READ "${JSON_FILE}" doc)
if(NOT OP)
  set(OP GET)
endif()
string(JSON value ERROR_VARIABLE err ${OP} "${doc}" ${MEMBER})
if(err)
  message(FATAL_ERROR "${JSON_FILE}: ${err}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E echo "${value}")
