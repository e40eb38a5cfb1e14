# wk_log segment parser (recovery + verify) on the simulated disk.
# libFuzzer needs coverage from the code under test, not only from the fuzz
# target, and walkit_static is not instrumented: the fuzzer compiles its own
# instrumented copy of the sources it exercises (common, io, log), which
# take precedence over walkit_static's objects at link time.
if(TARGET wk_log)
  file(GLOB fuzz_log_srcs CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/src/common/*.c
    ${CMAKE_SOURCE_DIR}/src/io/*.c
    ${CMAKE_SOURCE_DIR}/src/log/*.c)
  wk_add_fuzzer(fuzz_log_segment fuzz_log_segment.c ${fuzz_log_srcs})
endif()
