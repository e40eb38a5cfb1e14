# J1: wk_journal, transactions of 4 random 4 KiB writes, 1 and 16
# committers, with the pwrite+fdatasync floor in the same run.
if(TARGET walkit_static AND TARGET wk_journal)
  add_executable(bench_j1 ${CMAKE_CURRENT_LIST_DIR}/j1.c)
  target_link_libraries(bench_j1 PRIVATE wk_bench_util walkit_static)
endif()
