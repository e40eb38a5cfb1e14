# Source-tree and binary checks (label unit), each with a self-test that
# proves it can fail:
#   syscall_confinement        no file syscalls under src/ outside src/io/
#   syscall_confinement_selftest  planted violations are caught, decoys not
#   exported_symbols           libwalkit.so exports only wk_ names
#   exported_symbols_selftest  a library leaking non-wk_ names is caught
find_program(WK_BASH bash REQUIRED)
find_program(WK_NM NAMES nm ${CMAKE_NM} REQUIRED)

add_test(NAME syscall_confinement
  COMMAND ${WK_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/check_syscalls.sh
          ${CMAKE_SOURCE_DIR})
add_test(NAME syscall_confinement_selftest
  COMMAND ${WK_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/check_syscalls.sh --self-test)

# A library that leaks non-wk_ symbols, built only for the self-test.
add_library(wkt_symcheck_bad SHARED symcheck_bad.c)
set_target_properties(wkt_symcheck_bad PROPERTIES C_VISIBILITY_PRESET default)

add_test(NAME exported_symbols
  COMMAND ${WK_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/check_symbols.sh
          $<TARGET_FILE:walkit>)
add_test(NAME exported_symbols_selftest
  COMMAND ${WK_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/check_symbols.sh --self-test
          $<TARGET_FILE:wkt_symcheck_bad>)

set_tests_properties(syscall_confinement syscall_confinement_selftest
  exported_symbols exported_symbols_selftest
  PROPERTIES LABELS unit TIMEOUT 60 ENVIRONMENT "NM=${WK_NM}")
