/* Counts the fsync/fdatasync calls the peers' libraries make (RocksDB,
 * LevelDB, SQLite call them through the PLT; this executable's definitions
 * take precedence and forward to libc's). Linked only into peer programs. */
#ifndef WK_BENCH_SYNC_COUNT_H
#define WK_BENCH_SYNC_COUNT_H

#include <stdint.h>

/* fsync + fdatasync calls so far, by any thread of this process. */
uint64_t bench_sync_count(void);

#endif
