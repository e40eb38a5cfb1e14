# wk_ring suites (see tests/CMakeLists.txt for wk_add_test).
wk_add_test(NAME ring_basic SOURCES test_ring_basic.c
  LIBS wk_ring wk_journal wk_io wk_common LABELS unit TIMEOUT 120)
wk_add_test(NAME ring_crash SOURCES test_ring_crash.c rt_work.c
  LIBS wk_ring wk_journal wk_io wk_common LABELS crash TIMEOUT 600)
wk_add_test(NAME ring_fault SOURCES test_ring_fault.c rt_work.c
  LIBS wk_ring wk_journal wk_io wk_common LABELS fault TIMEOUT 600)
if(TARGET walkit_cli)
  add_test(NAME ring_cli COMMAND bash
    ${CMAKE_CURRENT_LIST_DIR}/test_ring_cli.sh $<TARGET_FILE:walkit_cli>)
  set_tests_properties(ring_cli PROPERTIES LABELS unit TIMEOUT 120)
endif()
