# SPDX-License-Identifier: MIT
# Build step of the escrow tool: writes escrow(1) (escrow --man) and the bash completion script
# (escrow --bash-completion), both made by the tool from its own --help texts.
#   cmake -DESCROW=path/to/escrow -DMAN=escrow.1 -DCOMPLETION=escrow.bash-completion -P generate-docs.cmake
foreach(v ESCROW MAN COMPLETION)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "generate-docs.cmake: -D${v}=... is required")
  endif()
endforeach()
foreach(pair "--man;${MAN}" "--bash-completion;${COMPLETION}")
  list(GET pair 0 option)
  list(GET pair 1 out)
  execute_process(COMMAND "${ESCROW}" ${option} OUTPUT_FILE "${out}.tmp" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    file(REMOVE "${out}.tmp")
    message(FATAL_ERROR "generate-docs.cmake: '${ESCROW} ${option}' failed (${rc})")
  endif()
  file(RENAME "${out}.tmp" "${out}")
endforeach()
