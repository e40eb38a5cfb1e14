if(TARGET wk_blob)
  wk_add_fuzzer(fuzz_blob fuzz_blob.c)
endif()
