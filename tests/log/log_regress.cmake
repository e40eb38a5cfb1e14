# One regression test per okaywal defect listed in DESIGN.md, plus the
# generic fail-stop / torn-tail guarantees, on the simulated disk.
if(TARGET wk_log)
  wk_add_test(NAME log_regress
    SOURCES test_log_regress.c ${CMAKE_SOURCE_DIR}/tests/crash/log_oracle.c
      ${CMAKE_SOURCE_DIR}/tests/crash/log_oracle_check.c
      ${CMAKE_SOURCE_DIR}/tests/crash/log_crashloop.c
    LIBS wk_log wk_io wk_common
    LABELS unit
    TIMEOUT 300)
endif()
