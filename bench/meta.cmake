# M1: wk_meta, 4 writers committing atomic batches of 100 items of 32 B,
# and (--mode open) the open time of a 1 M-item store from its log and
# from its snapshot.
if(TARGET walkit_static AND TARGET wk_meta)
  add_executable(bench_meta ${CMAKE_CURRENT_LIST_DIR}/bench_meta.c)
  target_link_libraries(bench_meta PRIVATE wk_bench_util walkit_static)
endif()
