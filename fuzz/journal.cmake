if(TARGET wk_journal)
  wk_add_fuzzer(fuzz_journal fuzz_journal.c)
endif()
