# Real-kernel process-crash tests (posix backend, public API only): a forked
# writer is SIGKILLed at random moments; every acked item must survive.
# test_kill.c is built twice; WKT_KILL_JOURNAL selects the journal test.
if(TARGET wk_log)
  wk_add_test(NAME log_kill
    SOURCES test_kill.c
    LIBS wk_log wk_io wk_common
    LABELS crash
    TIMEOUT 120)
endif()
if(TARGET wk_journal)
  wk_add_test(NAME journal_kill
    SOURCES test_kill.c
    LIBS wk_journal wk_io wk_common
    LABELS crash
    TIMEOUT 120)
  target_compile_definitions(test_journal_kill PRIVATE WKT_KILL_JOURNAL=1)
endif()
