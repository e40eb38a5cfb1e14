# wk_meta's snapshot and batch-entry parsers (in memory and through a full
# open on the simulated disk).
if(TARGET wk_meta)
  wk_add_fuzzer(fuzz_meta fuzz_meta.c)
endif()
