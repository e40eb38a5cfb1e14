# wk_log segment parser (recovery + verify) on the simulated disk. The
# library is instrumented for coverage when WALKIT_FUZZ is on (top-level
# CMakeLists.txt).
if(TARGET wk_log)
  wk_add_fuzzer(fuzz_log_segment fuzz_log_segment.c)
endif()
