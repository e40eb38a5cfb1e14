# wk_meta suites (see tests/CMakeLists.txt for wk_add_test).
wk_add_test(NAME meta_basic SOURCES test_meta_basic.c mt_work.c
  LIBS wk_meta LABELS unit TIMEOUT 120)
wk_add_test(NAME meta_regress SOURCES test_meta_regress.c mt_work.c
  LIBS wk_meta LABELS unit TIMEOUT 120)
wk_add_test(NAME meta_crash SOURCES test_meta_crash.c mt_work.c
  LIBS wk_meta LABELS crash TIMEOUT 600)
wk_add_test(NAME meta_fault SOURCES test_meta_fault.c mt_work.c
  LIBS wk_meta LABELS fault TIMEOUT 600)
if(TARGET walkit_cli)
  add_test(NAME meta_cli COMMAND bash
    ${CMAKE_CURRENT_LIST_DIR}/test_meta_cli.sh $<TARGET_FILE:walkit_cli>)
  set_tests_properties(meta_cli PROPERTIES LABELS unit TIMEOUT 120)
endif()
