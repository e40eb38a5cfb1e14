# wk_ring: durable appends (W1: 1 writer, W2: 16 writers; 128 B and 4 KiB),
# with the pwrite+fdatasync floor in the same run (bench/bench_ring.c).
if(TARGET walkit_static AND TARGET wk_ring)
  add_executable(bench_ring ${CMAKE_CURRENT_LIST_DIR}/bench_ring.c)
  target_link_libraries(bench_ring PRIVATE wk_bench_util walkit_static)
endif()
