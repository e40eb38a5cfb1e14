# wk_blob suites (see tests/CMakeLists.txt for wk_add_test).
wk_add_test(NAME blob_basic SOURCES test_blob_basic.c bt_util.c
  LIBS wk_blob wk_log wk_io wk_common LABELS unit TIMEOUT 300)
wk_add_test(NAME blob_regress SOURCES test_blob_regress.c bt_util.c
  LIBS wk_blob wk_log wk_io wk_common LABELS unit TIMEOUT 300)
wk_add_test(NAME blob_crash SOURCES test_blob_crash.c bt_util.c
  LIBS wk_blob wk_log wk_io wk_common LABELS "crash;slow" TIMEOUT 600)
wk_add_test(NAME blob_fault SOURCES test_blob_fault.c bt_util.c
  LIBS wk_blob wk_log wk_io wk_common LABELS fault TIMEOUT 600)
# The CLI target is walkit_cli (output name "walkit").
if(TARGET walkit_cli)
  add_test(NAME blob_cli COMMAND bash
    ${CMAKE_CURRENT_LIST_DIR}/test_blob_cli.sh $<TARGET_FILE:walkit_cli>)
  set_tests_properties(blob_cli PROPERTIES LABELS unit TIMEOUT 120)
endif()
