if(TARGET wk_ring)
  wk_add_fuzzer(fuzz_ring fuzz_ring.c)
endif()
