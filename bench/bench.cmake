# Benchmark programs (make bench / make bench-quick run them via bench/run.sh).
# Each program prints one JSON object per measurement (docs/bench.md).
# Peers are built only when their Debian -dev package is installed
# (scripts/deps.sh bench installs them).
add_library(wk_bench_util STATIC ${CMAKE_CURRENT_LIST_DIR}/bench_util.c
  ${CMAKE_CURRENT_LIST_DIR}/bench_floor_sys.c
  ${CMAKE_CURRENT_LIST_DIR}/bench_machine.c)
target_include_directories(wk_bench_util PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(wk_bench_util PUBLIC Threads::Threads)

# The device floor: plain syscalls, no walkit.
add_executable(bench_floor ${CMAKE_CURRENT_LIST_DIR}/bench_floor.c)
target_link_libraries(bench_floor PRIVATE wk_bench_util)

# walkit's log (W1-W5), public API only.
if(TARGET walkit_static AND TARGET wk_log)
  add_executable(bench_walkit ${CMAKE_CURRENT_LIST_DIR}/bench_walkit.c)
  target_link_libraries(bench_walkit PRIVATE wk_bench_util walkit_static)
endif()

# Peers. sync_count.c counts their fsync/fdatasync calls (syncs_per_commit).
find_path(WK_ROCKSDB_INCLUDE rocksdb/c.h)
find_library(WK_ROCKSDB_LIB rocksdb)
if(WK_ROCKSDB_INCLUDE AND WK_ROCKSDB_LIB)
  add_executable(bench_rocksdb ${CMAKE_CURRENT_LIST_DIR}/bench_rocksdb.c
    ${CMAKE_CURRENT_LIST_DIR}/sync_count.c)
  target_include_directories(bench_rocksdb PRIVATE ${WK_ROCKSDB_INCLUDE})
  target_link_libraries(bench_rocksdb PRIVATE wk_bench_util ${WK_ROCKSDB_LIB})
else()
  message(STATUS "bench: RocksDB (librocksdb-dev) not found; peer skipped")
endif()

find_path(WK_LEVELDB_INCLUDE leveldb/c.h)
find_library(WK_LEVELDB_LIB leveldb)
if(WK_LEVELDB_INCLUDE AND WK_LEVELDB_LIB)
  add_executable(bench_leveldb ${CMAKE_CURRENT_LIST_DIR}/bench_leveldb.c
    ${CMAKE_CURRENT_LIST_DIR}/sync_count.c)
  target_include_directories(bench_leveldb PRIVATE ${WK_LEVELDB_INCLUDE})
  target_link_libraries(bench_leveldb PRIVATE wk_bench_util ${WK_LEVELDB_LIB})
else()
  message(STATUS "bench: LevelDB (libleveldb-dev) not found; peer skipped")
endif()

pkg_check_modules(WK_SQLITE3 IMPORTED_TARGET sqlite3)
if(WK_SQLITE3_FOUND)
  add_executable(bench_sqlite ${CMAKE_CURRENT_LIST_DIR}/bench_sqlite.c
    ${CMAKE_CURRENT_LIST_DIR}/sync_count.c)
  target_link_libraries(bench_sqlite PRIVATE wk_bench_util PkgConfig::WK_SQLITE3)
else()
  message(STATUS "bench: SQLite (libsqlite3-dev) not found; peer skipped")
endif()

# Later components add their own fragment here (bench/j1.cmake, ...) using
# wk_bench_util and printing the same JSON object (docs/bench.md).
