/* wk_log crash loops: every scenario is cut after every mutating I/O
 * operation, under every crash policy of the simulated disk, and the
 * recovered log is checked against an oracle of what was acknowledged (see
 * log_oracle.h for the checks). Prints how many crash states it checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_oracle.h"
#include "wkt.h"

static wko_totals grand;

static void
run_loop(const wko_scenario *sc)
{
    wko_totals t;
    int rc = wko_crash_loop(sc, &t);
    grand.points += t.points;
    grand.states += t.states;
    grand.failed += t.failed;
    if (rc != 0)
        fail_msg("scenario %s: %llu of %llu crash states violated the "
                 "oracle (details above)",
                 sc->name, (unsigned long long)t.failed,
                 (unsigned long long)t.states);
    const char *only = getenv("WKO_SCENARIO");
    if (only == NULL || *only == '\0')
        assert_true(t.states > 0);
}

/* ---- scenarios -------------------------------------------------------- */

static size_t
len_at(int i, size_t lo, size_t hi)
{
    return lo + ((size_t)i * 2654435761u) % (hi - lo + 1);
}

static int
sc_single_sync(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    for (int i = 0; i < 24 && rc == 0; i++) {
        if (i % 5 == 4)
            rc = wko_appendv(r, log, w, len_at(i, 20, 700), 3, WK_SYNC, NULL);
        else
            rc = wko_append(r, log, w, len_at(i, 20, 700), WK_SYNC, NULL);
    }
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
thr_sync_writer(wko_run *r, wk_log *log, int index, void *arg)
{
    int count = *(int *)arg;
    int w = wko_writer(r);
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i * 7 + index, 40, 400), WK_SYNC,
                        NULL);
    return rc;
}

static int
sc_concurrent_sync(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int count = 10;
    rc = wko_threads(r, log, 3, thr_sync_writer, &count);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_many_writers(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int count = 4;
    rc = wko_threads(r, log, 8, thr_sync_writer, &count);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_nosync_then_sync(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int i = 0; i < 36 && rc == 0; i++) {
        rc = wko_append(r, log, w, len_at(i, 50, 1050), 0, &lsn);
        if (rc == 0 && i % 6 == 5)
            rc = wko_sync(r, log, (i / 6) % 2 ? lsn : 0);
        if (rc == 0 && i % 4 == 3)
            wko_note_durable(r, log);
    }
    if (rc == 0)
        rc = wko_sync(r, log, 0);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_rotation(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    for (int i = 0; i < 30 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 3000, 9000), WK_SYNC, NULL);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_rotation_batched(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    for (int i = 0; i < 54 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 2000, 6000),
                        i % 3 == 2 ? WK_SYNC : 0, NULL);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
ckpt_wait(wko_run *r, wk_log *log, uint64_t lsn)
{
    int rc = wk_log_checkpoint(log);
    if (rc != 0)
        return rc;
    rc = wk_log_wait_checkpointed(log, lsn, 3000);
    if (rc == WK_ETIMEDOUT)
        wko_fail(r,
                 "wait_checkpointed(%llu) timed out after 3 s%s (the "
                 "checkpoint can never finish: waiter not woken)",
                 (unsigned long long)lsn,
                 wk_sim_frozen(wko_sim(r)) ? " on a frozen disk"
                                           : " on a healthy disk");
    return rc;
}

/* Checkpoint + wait; a failure of the store (-EIO from the oracle's
 * checkpoint_fn) is reported to the waiter and the next checkpoint
 * retries. */
static int
ckpt_wait_retry(wko_run *r, wk_log *log, uint64_t lsn)
{
    int rc = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        rc = wk_log_checkpoint(log);
        if (rc == 0)
            rc = wk_log_wait_checkpointed(log, lsn, 3000);
        if (rc == WK_ETIMEDOUT)
            wko_fail(r, "wait_checkpointed(%llu) timed out after 3 s%s",
                     (unsigned long long)lsn,
                     wk_sim_frozen(wko_sim(r)) ? " on a frozen disk"
                                               : " on a healthy disk");
        if (rc != -EIO)
            break;
    }
    return rc;
}

static int
sc_checkpoint_retry(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int phase = 0; phase < 3 && rc == 0; phase++) {
        for (int i = 0; i < 12 && rc == 0; i++)
            rc = wko_append(r, log, w, len_at(i + phase * 12, 5000, 8000),
                            WK_SYNC, &lsn);
        if (rc == 0)
            rc = ckpt_wait_retry(r, log, lsn);
    }
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_recycling(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int phase = 0; phase < 3 && rc == 0; phase++) {
        for (int i = 0; i < 16 && rc == 0; i++)
            rc = wko_append(r, log, w, len_at(i + phase * 16, 5000, 7000),
                            i % 2 ? WK_SYNC : 0, &lsn);
        if (rc == 0)
            rc = wko_sync(r, log, 0);
        if (rc == 0 && phase < 2)
            rc = ckpt_wait(r, log, lsn);
    }
    if (rc == 0) {
        wk_log_stats st;
        wk_log_stats_get(log, &st);
        if (st.checkpoints < 2)
            wko_fail(r, "recycling: stats.checkpoints %llu < 2",
                     (unsigned long long)st.checkpoints);
    }
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
thr_ckpt_mix(wko_run *r, wk_log *log, int index, void *arg)
{
    (void)arg;
    int w = wko_writer(r);
    int rc = 0;
    if (index == 0) {
        for (int i = 0; i < 36 && rc == 0; i++)
            rc = wko_append(r, log, w, len_at(i, 1500, 4500), WK_SYNC, NULL);
    } else {
        for (int i = 0; i < 8 && rc == 0; i++) {
            rc = wk_log_checkpoint(log);
            if (rc == 0)
                rc = wko_append(r, log, w, 200, WK_SYNC, NULL);
        }
    }
    return rc;
}

static int
sc_checkpoint_running(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    rc = wko_threads(r, log, 2, thr_ckpt_mix, NULL);
    if (rc == 0)
        rc = ckpt_wait(r, log, wk_log_durable_lsn(log));
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

typedef struct between_arg {
    wk_log *log;
    int writer;
} between_arg;

static int
between_sync_append(wko_run *r, void *arg, int chunk)
{
    between_arg *b = arg;
    return wko_append(r, b->log, b->writer, 100 + (size_t)chunk * 50, WK_SYNC,
                      NULL);
}

static int
sc_stream_half(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    between_arg b = {log, wko_writer(r)};
    rc = wko_append(r, log, w, 500, WK_SYNC, NULL);
    if (rc == 0)
        rc = wko_stream(r, log, w, 140000, 20000, WK_SYNC, 0,
                        between_sync_append, &b, NULL);
    if (rc == 0)
        rc = wko_append(r, log, w, 700, WK_SYNC, NULL);
    if (rc == 0)
        rc = wko_stream(r, log, w, 70000, 15000, 0, 0, NULL, NULL, NULL);
    if (rc == 0)
        rc = wko_sync(r, log, 0);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_stream_rollback(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    between_arg b = {log, wko_writer(r)};
    rc = wko_stream(r, log, w, 100000, 25000, WK_SYNC, 1, between_sync_append,
                    &b, NULL);
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 100, 900), WK_SYNC, NULL);
    if (rc == 0)
        rc = wko_stream(r, log, w, 10000, 10000, WK_SYNC, 1, NULL, NULL, NULL);
    if (rc == 0)
        rc = wko_stream(r, log, w, 90000, 30000, WK_SYNC, 0,
                        between_sync_append, &b, NULL);
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i + 9, 100, 900), WK_SYNC, NULL);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_large_entries(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    for (int i = 0; i < 12 && rc == 0; i++) {
        size_t len = i % 3 == 0 ? 16384 : len_at(i, 15000, 16384);
        if (i % 4 == 1)
            rc = wko_appendv(r, log, w, len, 4, WK_SYNC, NULL);
        else
            rc = wko_append(r, log, w, len, i % 2 ? 0 : WK_SYNC, NULL);
        if (rc == 0 && i == 5)
            rc = wko_append_rejected(r, log, w, 16385, -E2BIG);
    }
    if (rc == 0)
        rc = wko_sync(r, log, 0);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_reopen_sequence(wko_run *r)
{
    static const int counts[4] = {5, 6, 5, 2};
    int rc = 0;
    for (int round = 0; round < 4 && rc == 0; round++) {
        wk_log *log;
        rc = wko_open(r, &log);
        if (rc != 0)
            return rc;
        int w = wko_writer(r);
        for (int i = 0; i < counts[round] && rc == 0; i++) {
            int flags = (round == 1 || (round == 2 && i >= 3)) ? 0 : WK_SYNC;
            rc = wko_append(r, log, w, len_at(i + round * 8, 60, 2500), flags,
                            NULL);
        }
        if (rc == 0 && round == 1)
            rc = wko_sync(r, log, 0);
        int crc = wko_close(r, log); /* round 2: the clean close acks */
        if (rc == 0)
            rc = crc;
    }
    return rc;
}

static int
sc_recovery_crash(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    for (int i = 0; i < 7 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 5000, 9000), WK_SYNC, NULL);
    for (int round = 0; round < 3 && rc == 0; round++) {
        for (int i = 0; i < 5 && rc == 0; i++)
            rc = wko_append(r, log, w, len_at(i + 8 * round, 300, 3000), 0,
                            NULL);
        if (rc == 0)
            rc = wko_sync(r, log, 0);
    }
    if (rc == 0)
        rc = wko_stream(r, log, w, 80000, 20000, WK_SYNC, 0, NULL, NULL, NULL);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_recovery_crash_recycle(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int i = 0; i < 14 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 6000, 9000), WK_SYNC, &lsn);
    if (rc == 0)
        rc = wk_log_checkpoint(log);
    if (rc == 0)
        rc = wk_log_wait_checkpointed(log, lsn, 3000);
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 300, 3000), 0, NULL);
    if (rc == 0)
        rc = wko_sync(r, log, 0);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
thr_mixed_writer(wko_run *r, wk_log *log, int index, void *arg)
{
    (void)arg;
    int w = wko_writer(r);
    int rc = 0;
    for (int i = 0; i < 9 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i * 5 + index, 1000, 5000),
                        (i + index) % 2 ? WK_SYNC : 0, NULL);
    if (rc == 0)
        rc = wko_sync(r, log, 0);
    return rc;
}

static int
sc_concurrent_rotation(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    rc = wko_threads(r, log, 4, thr_mixed_writer, NULL);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_auto_checkpoint(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int i = 0; i < 40 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 3000, 6000), WK_SYNC, &lsn);
    if (rc == 0)
        rc = ckpt_wait(r, log, lsn);
    for (int i = 0; i < 6 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 3000, 6000), WK_SYNC, &lsn);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

typedef struct pin_arg {
    wk_log *log;
    int writer;
    uint64_t lsn;
} pin_arg;

/* Between stream chunks: more entries (rotating segments) and, once, a
 * checkpoint that must not recycle the segments the open stream pins. */
static int
between_rotate_checkpoint(wko_run *r, void *arg, int chunk)
{
    pin_arg *p = arg;
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = wko_append(r, p->log, p->writer, len_at(chunk * 3 + i, 4000, 8000),
                        WK_SYNC, &p->lsn);
    if (rc == 0 && chunk == 1) {
        rc = wk_log_checkpoint(p->log);
        if (rc == 0)
            rc = wk_log_wait_checkpointed(p->log, p->lsn, 3000);
        if (rc == WK_ETIMEDOUT)
            wko_fail(r, "wait_checkpointed(%llu) timed out after 3 s%s",
                     (unsigned long long)p->lsn,
                     wk_sim_frozen(wko_sim(r)) ? " on a frozen disk"
                                               : " on a healthy disk");
    }
    return rc;
}

static int
sc_stream_across_rotation(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    pin_arg p = {log, wko_writer(r), 0};
    rc = wko_append(r, log, w, 300, WK_SYNC, NULL);
    if (rc == 0)
        rc = wko_stream(r, log, w, 200000, 30000, WK_SYNC, 0,
                        between_rotate_checkpoint, &p, NULL);
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 4000, 8000), WK_SYNC, &p.lsn);
    if (rc == 0)
        rc = wk_log_checkpoint(log);
    if (rc == 0)
        rc = wk_log_wait_checkpointed(log, p.lsn, 3000);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

/* Entries whose frames end exactly at the end of a segment: 4 frames of
 * 15360 bytes fill the 61440 bytes after the 4096-byte header. */
static int
sc_exact_fill(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    for (int i = 0; i < 13 && rc == 0; i++)
        rc = wko_append(r, log, w, 15360 - 24, i % 4 == 3 ? 0 : WK_SYNC, NULL);
    if (rc == 0)
        rc = wko_sync(r, log, 0);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
thr_kitchen(wko_run *r, wk_log *log, int index, void *arg)
{
    (void)arg;
    int w = wko_writer(r);
    int rc = 0;
    uint64_t lsn = 0;
    for (int i = 0; i < 6 && rc == 0; i++) {
        switch ((index + i) % 4) {
        case 0:
            rc = wko_append(r, log, w, len_at(i + index, 100, 6000), WK_SYNC,
                            &lsn);
            break;
        case 1:
            rc = wko_appendv(r, log, w, len_at(i * 3 + index, 100, 6000), 3, 0,
                             &lsn);
            break;
        case 2:
            rc = wko_stream(r, log, w, len_at(i + index, 50000, 90000), 20000,
                            i % 2 ? WK_SYNC : 0, index == 3, NULL, NULL, NULL);
            break;
        default:
            if (index == 0)
                rc = wk_log_checkpoint(log);
            if (rc == 0)
                rc = wko_sync(r, log, lsn);
            break;
        }
    }
    if (rc == 0)
        rc = wko_sync(r, log, 0);
    return rc;
}

static int
sc_kitchen_sink(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    rc = wko_threads(r, log, 4, thr_kitchen, NULL);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

/* ---- tests ------------------------------------------------------------ */

/* A single writer's WK_SYNC appends (and appendv) survive every crash. */
static void
test_single_writer_sync(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "single_sync",
                                    .run = sc_single_sync,
                                    .seeds = 2,
                                    .zero_fill = 1};
    run_loop(&sc);
}

/* Concurrent WK_SYNC writers: every acked entry survives, prefix order. */
static void
test_concurrent_writers(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "concurrent_sync",
                                    .run = sc_concurrent_sync,
                                    .seeds = 2,
                                    .zero_fill = 1};
    run_loop(&sc);
}

/* Eight concurrent WK_SYNC writers sharing group commits. */
static void
test_many_writers(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "many_writers",
                                    .run = sc_many_writers,
                                    .seeds = 2,
                                    .zero_fill = 1};
    run_loop(&sc);
}

/* Buffered appends become acknowledged by wk_log_sync / durable_lsn only. */
static void
test_nosync_then_sync(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "nosync_then_sync",
                                    .run = sc_nosync_then_sync,
                                    .seeds = 2,
                                    .zero_fill = 0};
    run_loop(&sc);
}

/* Rotation across 64 KiB segments (not zero-filled) loses nothing acked. */
static void
test_rotation(void **state)
{
    (void)state;
    static const wko_scenario sc = {
        .name = "rotation", .run = sc_rotation, .seeds = 2, .zero_fill = 0};
    run_loop(&sc);
}

/* Rotation with batched (partly non-sync) appends on zero-filled segments. */
static void
test_rotation_batched(void **state)
{
    (void)state;
    static const wko_scenario sc = {.chain = 2,
                                    .name = "rotation_batched",
                                    .run = sc_rotation_batched,
                                    .seeds = 2,
                                    .zero_fill = 1,
                                    .stride = 1};
    run_loop(&sc);
}

/* Checkpoint + recycling: stale frames of recycled segments never return. */
static void
test_recycling(void **state)
{
    (void)state;
    static const wko_scenario sc = {.chain = 2,
                                    .name = "recycling",
                                    .run = sc_recycling,
                                    .seeds = 2,
                                    .zero_fill = 1,
                                    .recycle_pool = 2,
                                    .checkpoint = 1};
    run_loop(&sc);
}

/* Checkpoints that delete freed segments (no reuse pool): unlinks lost in
 * a crash bring old segments back, which recovery must ignore. */
static void
test_checkpoint_deletes_segments(void **state)
{
    (void)state;
    static const wko_scenario sc = {.chain = 1,
                                    .name = "checkpoint_delete",
                                    .run = sc_recycling,
                                    .seeds = 2,
                                    .zero_fill = 0,
                                    .no_recycle = 1,
                                    .checkpoint = 1};
    run_loop(&sc);
}

/* A checkpoint_fn that fails part-way (every other call) leaves everything
 * in place: nothing it did not finish is recycled; the retry succeeds. */
static void
test_checkpoint_fn_failure(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "checkpoint_fn_fails",
                                    .run = sc_checkpoint_retry,
                                    .seeds = 2,
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .recycle_pool = 1,
                                    .ckpt_fail_every = 2};
    run_loop(&sc);
}

/* Recycling without zero-fill, checkpoints triggered by growth. */
static void
test_auto_checkpoint_recycling(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "auto_checkpoint",
                                    .run = sc_auto_checkpoint,
                                    .seeds = 2,
                                    .zero_fill = 0,
                                    .recycle_pool = 1,
                                    .checkpoint = 1,
                                    .checkpoint_bytes = 48 << 10,
                                    .stride = 2};
    run_loop(&sc);
}

/* Checkpoints requested while another thread appends. */
static void
test_checkpoint_running(void **state)
{
    (void)state;
    static const wko_scenario sc = {.chain = 2,
                                    .name = "checkpoint_running",
                                    .run = sc_checkpoint_running,
                                    .seeds = 2,
                                    .zero_fill = 1,
                                    .recycle_pool = 2,
                                    .checkpoint = 1};
    run_loop(&sc);
}

/* A streamed entry cut at any point is recovered whole or not at all. */
static void
test_stream_half_written(void **state)
{
    (void)state;
    static const wko_scenario sc = {.chain = 2,
                                    .name = "stream_half",
                                    .run = sc_stream_half,
                                    .seeds = 2,
                                    .zero_fill = 1};
    run_loop(&sc);
}

/* Rolled-back streams are never recovered, whatever the crash. */
static void
test_stream_rollback(void **state)
{
    (void)state;
    static const wko_scenario sc = {.chain = 2,
                                    .name = "stream_rollback",
                                    .run = sc_stream_rollback,
                                    .seeds = 2,
                                    .zero_fill = 0};
    run_loop(&sc);
}

/* Entries at max_entry_bytes (and an oversize one refused) survive. */
static void
test_large_entries(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "large_entries",
                                    .run = sc_large_entries,
                                    .seeds = 2,
                                    .zero_fill = 1};
    run_loop(&sc);
}

/* Open-append-close repeated: every session's acked entries survive. */
static void
test_reopen_sequence(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "reopen_sequence",
                                    .run = sc_reopen_sequence,
                                    .seeds = 2,
                                    .zero_fill = 1};
    run_loop(&sc);
}

/* Concurrent mixed sync/non-sync writers across rotations. */
static void
test_concurrent_rotation(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "concurrent_rotation",
                                    .run = sc_concurrent_rotation,
                                    .seeds = 2,
                                    .zero_fill = 0,
                                    .stride = 1};
    run_loop(&sc);
}

/* A crash inside recovery, at every point of it, changes nothing. */
static void
test_crash_inside_recovery(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "recovery_crash",
                                    .run = sc_recovery_crash,
                                    .seeds = 2,
                                    .zero_fill = 1,
                                    .crash_in_recovery = 1,
                                    .stride = 1,
                                    .quick_stride = 7};
    run_loop(&sc);
}

/* A crash inside recovery of a checkpointed, recycled log. */
static void
test_crash_inside_recovery_recycled(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "recovery_crash_recycle",
                                    .run = sc_recovery_crash_recycle,
                                    .seeds = 2,
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .recycle_pool = 2,
                                    .crash_in_recovery = 1,
                                    .stride = 2,
                                    .quick_stride = 11};
    run_loop(&sc);
}

/* A stream whose chunks span rotations and a checkpoint (pinned segments
 * must not be recycled under it) is recovered whole or not at all. */
static void
test_stream_across_rotation(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "stream_rotation_pin",
                                    .run = sc_stream_across_rotation,
                                    .seeds = 2,
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .recycle_pool = 2};
    run_loop(&sc);
}

/* Frames that end exactly at a segment's end rotate cleanly. */
static void
test_exact_segment_fill(void **state)
{
    (void)state;
    static const wko_scenario sc = {
        .name = "exact_fill", .run = sc_exact_fill, .seeds = 2, .zero_fill = 1};
    run_loop(&sc);
}

/* Four threads mixing sync/buffered/appendv/streams/rollbacks/checkpoints
 * over small segments. */
static void
test_kitchen_sink(void **state)
{
    (void)state;
    static const wko_scenario sc = {.chain = 2,
                                    .name = "kitchen_sink",
                                    .run = sc_kitchen_sink,
                                    .seeds = 2,
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .checkpoint_bytes = 40 << 10,
                                    .recycle_pool = 2};
    run_loop(&sc);
}

/* The kitchen sink's mix, on one thread (deterministic crash points). */
static int
sc_stream_checkpoint_seq(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    for (int index = 0; index < 4 && rc == 0; index++)
        rc = thr_kitchen(r, log, index, NULL);
    int crc = wko_close(r, log);
    return rc ? rc : crc;
}

static int
sc_small_batches(wko_run *r)
{
    wk_log *log;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int i = 0; i < 60 && rc == 0; i++) {
        rc = wko_append(r, log, w, len_at(i, 500, 8000), 0, &lsn);
        if (rc == 0 && i % 20 == 19)
            rc = wko_sync(r, log, lsn);
        if (rc == 0 && i % 7 == 6)
            wko_note_durable(r, log);
    }
    int crc = wko_close(r, log); /* the close flushes and acks the rest */
    return rc ? rc : crc;
}

/* Streams, buffered and synced appends and checkpoints in sequence, with
 * growth-triggered checkpoints recycling segments under committed streams. */
static void
test_stream_checkpoint_sequence(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "stream_checkpoint_seq",
                                    .run = sc_stream_checkpoint_seq,
                                    .seeds = 2,
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .checkpoint_bytes = 40 << 10,
                                    .recycle_pool = 2};
    run_loop(&sc);
}

/* A crash inside recovery of a log with streams, rollbacks and
 * checkpoints (COMMIT validation, recycled chunk segments). */
static void
test_crash_inside_recovery_streams(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "recovery_crash_streams",
                                    .run = sc_stream_checkpoint_seq,
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .checkpoint_bytes = 40 << 10,
                                    .recycle_pool = 2,
                                    .crash_in_recovery = 1,
                                    .stride = 3,
                                    .quick_stride = 17};
    run_loop(&sc);
}

/* Buffered appends in 16 KiB batches: full buffers are flushed on their own
 * (no sync call), in order, and only synced entries count as acked. */
static void
test_small_batches(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "small_batches",
                                    .run = sc_small_batches,
                                    .seeds = 2,
                                    .zero_fill = 0,
                                    .batch_bytes = 16 << 10,
                                    .max_entry_bytes = 8 << 10};
    run_loop(&sc);
}

/* Concurrent writers with a leader that waits for followers. */
static void
test_batch_wait(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "batch_wait",
                                    .run = sc_concurrent_rotation,
                                    .seeds = 1,
                                    .zero_fill = 1,
                                    .batch_wait_us = 300};
    run_loop(&sc);
}

static int
print_total(void **state)
{
    (void)state;
    printf("log_crash: TOTAL %llu crash points, %llu crash states checked, "
           "%llu failed\n",
           (unsigned long long)grand.points, (unsigned long long)grand.states,
           (unsigned long long)grand.failed);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_writer_sync),
        cmocka_unit_test(test_concurrent_writers),
        cmocka_unit_test(test_many_writers),
        cmocka_unit_test(test_nosync_then_sync),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_rotation_batched),
        cmocka_unit_test(test_recycling),
        cmocka_unit_test(test_auto_checkpoint_recycling),
        cmocka_unit_test(test_checkpoint_deletes_segments),
        cmocka_unit_test(test_checkpoint_fn_failure),
        cmocka_unit_test(test_checkpoint_running),
        cmocka_unit_test(test_stream_half_written),
        cmocka_unit_test(test_stream_rollback),
        cmocka_unit_test(test_large_entries),
        cmocka_unit_test(test_reopen_sequence),
        cmocka_unit_test(test_concurrent_rotation),
        cmocka_unit_test(test_crash_inside_recovery),
        cmocka_unit_test(test_crash_inside_recovery_recycled),
        cmocka_unit_test(test_stream_across_rotation),
        cmocka_unit_test(test_exact_segment_fill),
        cmocka_unit_test(test_kitchen_sink),
        cmocka_unit_test(test_stream_checkpoint_sequence),
        cmocka_unit_test(test_crash_inside_recovery_streams),
        cmocka_unit_test(test_small_batches),
        cmocka_unit_test(test_batch_wait),
    };
    return cmocka_run_group_tests_name("log_crash", tests, NULL, print_total);
}
