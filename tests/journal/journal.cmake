# wk_journal suites (see tests/CMakeLists.txt for wk_add_test).
wk_add_test(NAME journal_basic SOURCES test_journal_basic.c jt_txn.c
  LIBS wk_journal wk_io wk_common LABELS unit TIMEOUT 120)
wk_add_test(NAME journal_overlay SOURCES test_journal_overlay.c
  LIBS wk_journal wk_io wk_common LABELS unit TIMEOUT 300)
wk_add_test(NAME journal_crash SOURCES test_journal_crash.c jt_workload.c
  LIBS wk_journal wk_io wk_common LABELS "crash;slow" TIMEOUT 600)
wk_add_test(NAME journal_fault SOURCES test_journal_fault.c jt_workload.c
  LIBS wk_journal wk_io wk_common LABELS fault TIMEOUT 600)
wk_add_test(NAME journal_regress SOURCES test_journal_regress.c jt_txn.c
  LIBS wk_journal wk_io wk_common LABELS unit TIMEOUT 120)
# The CLI target is walkit_cli (output name "walkit"; "walkit" is the shared
# library target).
if(TARGET walkit_cli)
  add_test(NAME journal_cli COMMAND bash
    ${CMAKE_CURRENT_LIST_DIR}/test_journal_cli.sh $<TARGET_FILE:walkit_cli>)
  set_tests_properties(journal_cli PROPERTIES LABELS unit TIMEOUT 120)
endif()
