# wk_log crash loops on the simulated disk. The harness + oracle
# (log_oracle*.c, log_crashloop.c; API in log_oracle.h) is shared with
# log_fault and tests/log's log_regress.
if(TARGET wk_log)
  wk_add_test(NAME log_crash
    SOURCES test_log_crash.c log_oracle.c log_oracle_check.c log_crashloop.c
    LIBS wk_log wk_io wk_common
    LABELS crash slow
    TIMEOUT 900)
endif()
