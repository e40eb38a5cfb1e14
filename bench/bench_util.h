/* Shared driver for walkit's benchmark programs (bench/ programs).
 *
 * Every program measures "durable commits": one call that returns only once
 * the data is on disk (wk_log_append with WK_SYNC, RocksDB/LevelDB Put with
 * sync=true, a SQLite autocommit INSERT with synchronous=FULL, or
 * pwrite+fdatasync for the floor). A program describes its system as a
 * bench_sys (open / commit / close, and optionally a sync counter); the
 * driver runs W writer threads for a fixed duration (after a warm-up that is
 * not measured) or a fixed count per thread, records every commit's
 * latency, and prints one JSON object per measurement on stdout (the format
 * is documented in docs/bench.md). Diagnostics go to stderr.
 *
 * The benchmark programs are not library code: they call the OS directly
 * (floor) and link peers' C APIs. They use only walkit's public API. */
#ifndef WK_BENCH_UTIL_H
#define WK_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "bench_machine.h" /* bench_mkdirs, machine facts */

typedef struct bench_args {
    const char *workload; /* "W1", "W2", "W3", "W4", "W5", "floor" */
    const char *dir;      /* data directory (created if missing) */
    const char *cdf;      /* optional: write the latency CDF here */
    const char *notes;    /* free text copied into the JSON object */
    int writers;
    size_t size;      /* bytes per commit (value size for KV peers) */
    double seconds;   /* measured duration (fixed-duration mode) */
    double warmup;    /* unmeasured warm-up before it */
    uint64_t count;   /* commits per thread (fixed-count mode) if > 0 */
    uint64_t bytes;   /* total bytes (W3, W4, floor seq) */
    int sync;         /* 1: durable commits (default); 0: buffered */
    const char *mode; /* program-specific sub-mode ("sync", "seq") */
    int batch;        /* items per commit (M1: 100); default 1 */
} bench_args;

/* One system under test. db is whatever open returns. */
typedef struct bench_sys {
    const char *name; /* "walkit", "floor", "rocksdb", "leveldb", "sqlite" */
    void *(*open)(const bench_args *a);
    /* One durable commit of len bytes from thread t, its seq-th commit
     * (unique per thread). Returns 0, or non-zero to stop the run. */
    int (*commit)(void *db, int t, uint64_t seq, const void *val, size_t len);
    void (*close)(void *db);
    /* Optional: cumulative syncs and commits since open (for
     * syncs_per_commit). NULL when not measurable. */
    void (*counters)(void *db, uint64_t *syncs, uint64_t *commits);
} bench_sys;

/* The outcome of one measurement. Negative values print as null. */
typedef struct bench_result {
    uint64_t commits;
    uint64_t bytes;
    double seconds;
    double avg_us, p50_us, p99_us, p999_us;
    double syncs_per_commit;
    double commits_per_s, mb_per_s;
} bench_result;

/* Parses the common options into a (defaults first); unknown options are
 * an error. Returns 0, or prints usage and returns -1. */
int bench_parse_args(bench_args *a, int argc, char **argv);

/* For programs that measure several writer counts in one run (bench_j1,
 * bench_ring): bench_parse_args, ignoring --json (they always print JSON),
 * with *many = the --writers value if one was given, else default_many;
 * then creates a->dir. Returns 0, or -1 (usage or mkdir error printed). */
int bench_parse_args_many(bench_args *a, int argc, char **argv,
                          int default_many, int *many);

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

/* Fills buf with pseudo-random bytes (incompressible payloads). */
void bench_fill_random(void *buf, size_t len, uint64_t seed);

/* Runs the commit workload described by a on sys and fills r. Writes the
 * CDF file when a->cdf is set. Returns 0, or -1 when open or a commit
 * failed. */
int bench_run_commits(const bench_sys *sys, const bench_args *a,
                      bench_result *r);

/* Prints one JSON object (a single line) for r on stdout, with the machine
 * facts. extra, if not NULL, is inserted verbatim as more fields
 * ("\"k\":1"). */
void bench_print_json(const char *system, const bench_args *a,
                      const bench_result *r, const char *extra);

/* Resets r to "nothing measured" (every figure null). */
void bench_result_init(bench_result *r);

/* bench_floor_sys.c: pwrite of all len bytes at off (EINTR and short
 * writes retried); 0 or -1 (errno set). */
int bench_write_all(int fd, const void *buf, size_t len, uint64_t off);
/* Creates path with size bytes of random content (seeded), fsynced. */
int bench_fill_file(const char *path, uint64_t size, uint64_t seed);
/* The device floor: pwrite + fdatasync per commit into a 64 MiB file of
 * a->dir (BENCH_FLOOR_FILE) written and synced at open. */
#define BENCH_FLOOR_FILE "floor.dat"
extern const bench_sys bench_floor_sys;

#endif
