# Simulated disk (sim backend): crash policies and fault injection.
wk_add_test(NAME sim_crash_policies SOURCES test_sim_crash.c LIBS wk_io
  LABELS unit fault TIMEOUT 300)
wk_add_test(NAME sim_faults SOURCES test_sim_faults.c LIBS wk_io
  LABELS unit fault TIMEOUT 300)
