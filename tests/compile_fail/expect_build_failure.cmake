# SPDX-License-Identifier: MIT
# Runs one compile-fail case: builds ESCROW_CF_TARGET in ESCROW_CF_BUILD_DIR, which must FAIL, with
# output that matches every regex of the list escrow_cf_patterns in the file ESCROW_CF_PATTERNS.
#   cmake -DESCROW_CF_BUILD_DIR=... -DESCROW_CF_TARGET=... -DESCROW_CF_CONFIG=... \
#         -DESCROW_CF_PATTERNS=<file> -P expect_build_failure.cmake
include("${ESCROW_CF_PATTERNS}")
set(config_args "")
if(ESCROW_CF_CONFIG)
  set(config_args --config "${ESCROW_CF_CONFIG}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${ESCROW_CF_BUILD_DIR}" --target "${ESCROW_CF_TARGET}" ${config_args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${ESCROW_CF_TARGET} compiled, but it must not:\n${out}")
endif()
set(missing "")
foreach(regex IN LISTS escrow_cf_patterns)
  if(NOT out MATCHES "${regex}")
    string(APPEND missing "  ${regex}\n")
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "${ESCROW_CF_TARGET} failed to compile, but its output lacks:\n${missing}output:\n${out}")
endif()
message(STATUS "${ESCROW_CF_TARGET} failed to compile, as it must, with the expected messages")
