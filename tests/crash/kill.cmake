# Real-kernel process-crash tests (posix backend, public API only): a forked
# writer is SIGKILLed at random moments; every acked item must survive.
# kill_harness.c holds the fork / ack pipe / kill / reap machinery.
if(TARGET wk_log)
  wk_add_test(NAME log_kill
    SOURCES test_log_kill.c kill_harness.c
    LIBS wk_log wk_io wk_common
    LABELS crash
    TIMEOUT 120)
endif()
if(TARGET wk_journal)
  wk_add_test(NAME journal_kill
    SOURCES test_journal_kill.c kill_harness.c
    LIBS wk_journal wk_io wk_common
    LABELS crash
    TIMEOUT 120)
endif()
if(TARGET wk_meta)
  wk_add_test(NAME meta_kill
    SOURCES test_meta_kill.c kill_harness.c
    LIBS wk_meta wk_log wk_io wk_common
    LABELS crash
    TIMEOUT 180)
endif()
if(TARGET wk_blob)
  wk_add_test(NAME blob_kill
    SOURCES test_blob_kill.c kill_harness.c
    LIBS wk_blob wk_log wk_io wk_common
    LABELS crash
    TIMEOUT 180)
endif()
if(TARGET wk_ring)
  wk_add_test(NAME ring_kill
    SOURCES test_ring_kill.c kill_harness.c
    LIBS wk_ring wk_journal wk_io wk_common
    LABELS crash
    TIMEOUT 180)
endif()
