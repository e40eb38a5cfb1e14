/* Crash-loop harness and oracle for wk_log, on the public API only.
 *
 * A scenario is a function that drives one or more wk_log handles on a fresh
 * simulated disk through the helpers below (wko_open, wko_append, wko_sync,
 * wko_stream, ...). The helpers record every entry in an oracle: its writer
 * and counter, its length, its LSN when the call returned one, and what was
 * promised about it (acknowledged = WK_SYNC returned 0, or a wk_log_sync /
 * wk_log_durable_lsn / clean close covering it, or a checkpoint iterator
 * handing it out). Payloads describe themselves (magic, writer, counter,
 * length, then bytes derived from those), so any partial, stale or garbage
 * entry is detected by regenerating the expected bytes.
 *
 * wko_crash_loop() runs the scenario with wk_sim_crash_after(n) for
 * n = 0, 1, 2, ... until a run completes without the disk freezing. At each
 * point and for every crash policy it closes the handles (the library must
 * cope with WK_ECRASHED), calls wk_sim_crash, runs wk_log_verify and a
 * read-only open, reopens with a recover_fn, and checks:
 *  - every acknowledged entry is recovered (or was checkpointed into the
 *    test's store), byte-identical, with the LSN it was given;
 *  - the recovered entries are strictly increasing in LSN, none twice, none
 *    garbage, none rolled back / rejected / lost earlier; they form a prefix
 *    of each writer's sequence and leave no LSN hole among known entries;
 *  - the read-only open recovers exactly what the normal open recovers;
 *  - verify returns 0 and neither it nor the read-only open writes;
 *  - new appends get LSNs above every recovered or acknowledged one, and
 *    survive another crash (torn tail was truncated durably first).
 * With crash_in_recovery, the reopen itself is also cut at every operation,
 * the disk crashed again, and the final recovery must equal what an
 * uninterrupted recovery would have returned.
 *
 * Each scenario runs in a forked child (a library crash or hang fails that
 * scenario only), with a watchdog.
 *
 * Files: log_oracle.c (oracle state, scenario helpers, the check of one
 * recovery), log_oracle_check.c (the checks after a crash),
 * log_crashloop.c (the loop); log_oracle_int.h is their private header.
 *
 * Reproducing a failure: WKO_SCENARIO=<name> runs only that scenario;
 * adding WKO_POINT=<n> [WKO_POLICY=<p>] runs only that crash point (and
 * policy); WKO_TRACE=1 prints the sim trace of the scenario run (of failing
 * states, or of the chosen point). WKT_SCALE=k multiplies the seeds tried
 * per random policy. */
#ifndef WKT_LOG_ORACLE_H
#define WKT_LOG_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "walkit.h"

typedef struct wko_run wko_run;

typedef struct wko_scenario {
    const char *name;
    /* Drives the log. Returns 0 when it completed, or the first error it
     * met (expected only once the disk froze). */
    int (*run)(wko_run *r);
    /* Instead of run (when run is NULL): drives one log that the harness
     * opens with wko_open before and closes with wko_close after; the
     * result is the first error of the open, the body or the close. */
    int (*body)(wko_run *r, wk_log *log);
    uint64_t segment_bytes;   /* 0: 64 KiB */
    uint64_t batch_bytes;     /* 0: 64 KiB */
    uint64_t max_entry_bytes; /* 0: 16 KiB */
    int zero_fill;
    uint32_t recycle_pool; /* 0: library default */
    int no_recycle;        /* recycle_pool = 0: freed segments are deleted */
    int ckpt_fail_every;   /* checkpoint_fn calls 1, 1+k, 1+2k...: read one
                              entry, then fail with -EIO (store failure) */
    int checkpoint;        /* install the oracle's checkpoint_fn */
    uint64_t checkpoint_bytes;
    int crash_in_recovery; /* also cut every reopen at every operation */
    int stride;            /* check every stride-th crash point (0: 1) */
    int quick_stride;      /* stride under WKT_QUICK (0: 6 x stride) */
    int trace;             /* record the sim trace */
    int seeds; /* seeds per random policy (KEEP_RANDOM, TEAR, REORDER) */
    uint32_t batch_wait_us; /* max_batch_wait_us */
    uint64_t capacity;      /* sim disk capacity (0: 1 TiB) */
    int chain; /* after each check, this many more rounds of: run the
                  scenario again on the recovered disk, cut it at a seeded
                  point, crash, check */
} wko_scenario;

typedef struct wko_totals {
    uint64_t points; /* crash points (n) visited */
    uint64_t states; /* crash states checked (point x policy [x rpoint]) */
    uint64_t failed; /* states with at least one violation */
    uint64_t ops;    /* mutating operations of the completed run */
    uint64_t torn;   /* states whose recovery reported a torn tail */
    uint64_t lossy;  /* states where unacknowledged entries were lost */
} wko_totals;

/* Runs the whole crash loop of sc in a child process; fills tot, prints a
 * summary line; returns 0 when every state passed, else -1 (the violations
 * were printed on stderr). */
int wko_crash_loop(const wko_scenario *sc, wko_totals *tot);

/* Runs fn(arg, out) in a forked child whose SIGALRM (the caller's alarm)
 * prints "<who>: WATCHDOG: hang in <ctx>" and exits 3 (ctx: a buffer of
 * ctx_size bytes the child keeps up to date). The child sends out (len
 * bytes) back through a pipe and exits with fn's result; the parent reads
 * it into out and stores the child's wait status in *status. Returns 1
 * when all of out came back, 0 when not, -1 when the pipe or fork
 * failed. */
int wko_fork_child(const char *who, const char *ctx, size_t ctx_size,
                   int (*fn)(void *arg, void *out), void *arg, void *out,
                   size_t len, int *status);

/* ---- the run: a fresh simulated disk plus the oracle ------------------ */

/* Creates a run (fresh sim seeded with seed) for scenario sc. */
wko_run *wko_run_new(const wko_scenario *sc, uint64_t seed);
void wko_run_free(wko_run *r);
wk_sim *wko_sim(wko_run *r);
wk_vfs *wko_vfs(wko_run *r);
const char *wko_dir(wko_run *r);

/* Records a violation (first few kept, all counted). Thread-safe. */
void wko_fail(wko_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int wko_failed(wko_run *r);
/* Prints the kept violations to stderr, prefixed by ctx. */
void wko_print_failures(wko_run *r, const char *ctx);

/* Options the oracle opens logs with (scenario's sizes, oracle callbacks). */
void wko_opts(wko_run *r, wk_log_opts *o);

/* Opens the log with wko_opts (recovered entries are checked: the previous
 * close was clean when the disk is not frozen). *out on success. */
int wko_open(wko_run *r, wk_log **out);
/* As wko_open with the caller's options (start from wko_opts). */
int wko_open_opts(wko_run *r, const wk_log_opts *o, wk_log **out);
/* Closes; a 0 return acknowledges every entry appended on this handle. */
int wko_close(wko_run *r, wk_log *log);

/* A new writer id (one thread's sequence of entries). */
int wko_writer(wko_run *r);
/* Appends the writer's next entry of len bytes (>= 16). With iov_parts > 1
 * it goes through wk_log_appendv in that many pieces. */
int wko_append(wko_run *r, wk_log *log, int writer, size_t len, int flags,
               uint64_t *lsn);
int wko_appendv(wko_run *r, wk_log *log, int writer, size_t len, int iov_parts,
                int flags, uint64_t *lsn);
/* Appends an entry that must be refused with expect (e.g. -E2BIG); returns
 * 0 when it was, the rc otherwise (a violation is recorded). */
int wko_append_rejected(wko_run *r, wk_log *log, int writer, size_t len,
                        int expect);
/* wk_log_sync(lsn); on 0 acknowledges every known entry <= the LSN covered
 * (lsn 0: everything appended before the call). */
int wko_sync(wko_run *r, wk_log *log, uint64_t lsn);
/* Acknowledges every known entry <= wk_log_durable_lsn(). */
void wko_note_durable(wko_run *r, wk_log *log);

/* Called between stream chunks (may append elsewhere); non-zero stops. */
/* A usual arg for it: where to append, as which writer, and the LSN of its
 * last entry. */
typedef struct wko_between_arg {
    wk_log *log;
    int writer;
    uint64_t lsn;
} wko_between_arg;
typedef int (*wko_between_fn)(wko_run *r, void *arg, int chunk);
/* Streams the writer's next entry of len bytes in pieces of piece bytes,
 * then commits with flags (or rolls back when rollback is set). */
int wko_stream(wko_run *r, wk_log *log, int writer, size_t len, size_t piece,
               int flags, int rollback, wko_between_fn between, void *arg,
               uint64_t *lsn);

/* Runs fn(r, log, index, arg) on n threads and joins them; returns the
 * first non-zero result. */
typedef int (*wko_thread_fn)(wko_run *r, wk_log *log, int index, void *arg);
int wko_threads(wko_run *r, wk_log *log, int n, wko_thread_fn fn, void *arg);

/* After a power cut (the caller ran wk_sim_crash): verify, read-only open,
 * normal open with recovery checked against the oracle, fresh appends,
 * close, another crash with post_policy, and a final checked reopen. */
void wko_check_after_crash(wko_run *r, int post_policy, uint64_t seed);

/* Only the checked reopen (no verify, no post-appends): used by fault
 * tests. recovery: the policy to open with. Returns the open's rc. */
int wko_recover_check(wko_run *r, wk_recovery_policy recovery);

/* The test destroyed this entry on purpose (planted a torn tail over it):
 * it may be missing after recovery. */
void wko_unack(wko_run *r, int writer, uint32_t counter);

/* Number of entries acknowledged so far (for tests' own assertions). */
uint64_t wko_acked(wko_run *r);
/* Max LSN of any acknowledged entry. */
uint64_t wko_max_acked_lsn(wko_run *r);

/* Payload helpers for tests that append on their own. */
void wko_payload(void *buf, uint32_t writer, uint32_t counter, uint32_t len);

#endif
