# wk_log fault loops: the N-th vfs call fails (EIO, ENOSPC, short write), the
# N-th allocation fails.
if(TARGET wk_log)
  wk_add_test(NAME log_fault
    SOURCES test_log_fault.c log_oracle.c log_oracle_check.c log_crashloop.c
    LIBS wk_log wk_io wk_common
    LABELS fault
    TIMEOUT 600)
endif()
