# bench_crc32c: GB/s of the CRC32C table and SSE4.2 paths (build/bench/).
add_executable(bench_crc32c crc32c.c)
target_link_libraries(bench_crc32c PRIVATE wk_common)
target_include_directories(bench_crc32c PRIVATE ${CMAKE_SOURCE_DIR}/src
  ${CMAKE_SOURCE_DIR}/include)
