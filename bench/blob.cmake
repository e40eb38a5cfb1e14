# B1: wk_blob durable puts of 1 MiB objects (bench/bench_blob.c).
if(TARGET walkit_static AND TARGET wk_blob)
  add_executable(bench_blob ${CMAKE_CURRENT_LIST_DIR}/bench_blob.c)
  target_link_libraries(bench_blob PRIVATE wk_bench_util walkit_static)
endif()
