# wk_log functional tests (tests/log/test_log_*.c other than regressions).
wk_add_test(NAME log_basic SOURCES test_log_basic.c LIBS wk_log LABELS unit
  TIMEOUT 120)
wk_add_test(NAME log_recovery SOURCES test_log_recovery.c LIBS wk_log
  LABELS unit TIMEOUT 120)
wk_add_test(NAME log_concurrency SOURCES test_log_concurrency.c LIBS wk_log
  LABELS unit TIMEOUT 120)
