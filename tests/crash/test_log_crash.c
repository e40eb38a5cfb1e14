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
sc_single_sync(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    for (int i = 0; i < 24 && rc == 0; i++) {
        if (i % 5 == 4)
            rc = wko_appendv(r, log, w, len_at(i, 20, 700), 3, WK_SYNC, NULL);
        else
            rc = wko_append(r, log, w, len_at(i, 20, 700), WK_SYNC, NULL);
    }
    return rc;
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
sc_concurrent_sync(wko_run *r, wk_log *log)
{
    int count = 10;
    return wko_threads(r, log, 3, thr_sync_writer, &count);
}

static int
sc_many_writers(wko_run *r, wk_log *log)
{
    int count = 4;
    return wko_threads(r, log, 8, thr_sync_writer, &count);
}

static int
sc_nosync_then_sync(wko_run *r, wk_log *log)
{
    int rc = 0;
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
    return rc;
}

static int
sc_rotation(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    for (int i = 0; i < 30 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 3000, 9000), WK_SYNC, NULL);
    return rc;
}

static int
sc_rotation_batched(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    for (int i = 0; i < 54 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 2000, 6000),
                        i % 3 == 2 ? WK_SYNC : 0, NULL);
    return rc;
}

/* Checkpoint, then wait up to 3 s for lsn; a timeout is a violation (hint
 * is appended to its message). */
static int
ckpt_wait_hint(wko_run *r, wk_log *log, uint64_t lsn, const char *hint)
{
    int rc = wk_log_checkpoint(log);
    if (rc == 0)
        rc = wk_log_wait_checkpointed(log, lsn, 3000);
    if (rc == WK_ETIMEDOUT)
        wko_fail(r, "wait_checkpointed(%llu) timed out after 3 s%s%s",
                 (unsigned long long)lsn,
                 wk_sim_frozen(wko_sim(r)) ? " on a frozen disk"
                                           : " on a healthy disk",
                 hint);
    return rc;
}

static int
ckpt_wait(wko_run *r, wk_log *log, uint64_t lsn)
{
    return ckpt_wait_hint(
        r, log, lsn, " (the checkpoint can never finish: waiter not woken)");
}

/* Checkpoint + wait; a failure of the store (-EIO from the oracle's
 * checkpoint_fn) is reported to the waiter and the next checkpoint
 * retries. */
static int
ckpt_wait_retry(wko_run *r, wk_log *log, uint64_t lsn)
{
    int rc = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        rc = ckpt_wait_hint(r, log, lsn, "");
        if (rc != -EIO)
            break;
    }
    return rc;
}

static int
sc_checkpoint_retry(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int phase = 0; phase < 3 && rc == 0; phase++) {
        for (int i = 0; i < 12 && rc == 0; i++)
            rc = wko_append(r, log, w, len_at(i + phase * 12, 5000, 8000),
                            WK_SYNC, &lsn);
        if (rc == 0)
            rc = ckpt_wait_retry(r, log, lsn);
    }
    return rc;
}

static int
sc_recycling(wko_run *r, wk_log *log)
{
    int rc = 0;
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
    return rc;
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
sc_checkpoint_running(wko_run *r, wk_log *log)
{
    int rc = wko_threads(r, log, 2, thr_ckpt_mix, NULL);
    if (rc == 0)
        rc = ckpt_wait(r, log, wk_log_durable_lsn(log));
    return rc;
}

static int
between_sync_append(wko_run *r, void *arg, int chunk)
{
    wko_between_arg *b = arg;
    return wko_append(r, b->log, b->writer, 100 + (size_t)chunk * 50, WK_SYNC,
                      NULL);
}

static int
sc_stream_half(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    wko_between_arg b = {log, wko_writer(r), 0};
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
    return rc;
}

static int
sc_stream_rollback(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    wko_between_arg b = {log, wko_writer(r), 0};
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
    return rc;
}

static int
sc_large_entries(wko_run *r, wk_log *log)
{
    int rc = 0;
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
    return rc;
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
sc_recovery_crash(wko_run *r, wk_log *log)
{
    int rc = 0;
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
    return rc;
}

static int
sc_recovery_crash_recycle(wko_run *r, wk_log *log)
{
    int rc = 0;
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
    return rc;
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
sc_concurrent_rotation(wko_run *r, wk_log *log)
{
    return wko_threads(r, log, 4, thr_mixed_writer, NULL);
}

static int
sc_auto_checkpoint(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int i = 0; i < 40 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 3000, 6000), WK_SYNC, &lsn);
    if (rc == 0)
        rc = ckpt_wait(r, log, lsn);
    for (int i = 0; i < 6 && rc == 0; i++)
        rc = wko_append(r, log, w, len_at(i, 3000, 6000), WK_SYNC, &lsn);
    return rc;
}

/* Between stream chunks: more entries (rotating segments) and, once, a
 * checkpoint that must not recycle the segments the open stream pins. */
static int
between_rotate_checkpoint(wko_run *r, void *arg, int chunk)
{
    wko_between_arg *p = arg;
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = wko_append(r, p->log, p->writer, len_at(chunk * 3 + i, 4000, 8000),
                        WK_SYNC, &p->lsn);
    if (rc == 0 && chunk == 1)
        rc = ckpt_wait_hint(r, p->log, p->lsn, "");
    return rc;
}

static int
sc_stream_across_rotation(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    wko_between_arg p = {log, wko_writer(r), 0};
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
    return rc;
}

/* Entries whose frames end exactly at the end of a segment: 4 frames of
 * 15360 bytes fill the 61440 bytes after the 4096-byte header. */
static int
sc_exact_fill(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    for (int i = 0; i < 13 && rc == 0; i++)
        rc = wko_append(r, log, w, 15360 - 24, i % 4 == 3 ? 0 : WK_SYNC, NULL);
    if (rc == 0)
        rc = wko_sync(r, log, 0);
    return rc;
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
sc_kitchen_sink(wko_run *r, wk_log *log)
{
    return wko_threads(r, log, 4, thr_kitchen, NULL);
}

/* The kitchen sink's mix, on one thread (deterministic crash points). */
static int
sc_stream_checkpoint_seq(wko_run *r, wk_log *log)
{
    int rc = 0;
    for (int index = 0; index < 4 && rc == 0; index++)
        rc = thr_kitchen(r, log, index, NULL);
    return rc;
}

static int
sc_small_batches(wko_run *r, wk_log *log)
{
    int rc = 0;
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int i = 0; i < 60 && rc == 0; i++) {
        rc = wko_append(r, log, w, len_at(i, 500, 8000), 0, &lsn);
        if (rc == 0 && i % 20 == 19)
            rc = wko_sync(r, log, lsn);
        if (rc == 0 && i % 7 == 6)
            wko_note_durable(r, log);
    }
    /* the harness's close flushes and acks the rest */
    return rc;
}

/* ---- tests ------------------------------------------------------------ */

/* One test: a cmocka name, its intent (the comment above it) and its
 * scenario, run by test_scenario. */
typedef struct crash_test {
    const char *test;
    wko_scenario sc;
} crash_test;

static const crash_test crash_tests[] = {
    /* A single writer's WK_SYNC appends (and appendv) survive every crash. */
    {"test_single_writer_sync",
     {.name = "single_sync",
      .body = sc_single_sync,
      .seeds = 2,
      .zero_fill = 1}},
    /* Concurrent WK_SYNC writers: every acked entry survives, prefix order. */
    {"test_concurrent_writers",
     {.name = "concurrent_sync",
      .body = sc_concurrent_sync,
      .seeds = 2,
      .zero_fill = 1}},
    /* Eight concurrent WK_SYNC writers sharing group commits. */
    {"test_many_writers",
     {.name = "many_writers",
      .body = sc_many_writers,
      .seeds = 2,
      .zero_fill = 1}},
    /* Buffered appends become acknowledged by wk_log_sync / durable_lsn
     * only. */
    {"test_nosync_then_sync",
     {.name = "nosync_then_sync",
      .body = sc_nosync_then_sync,
      .seeds = 2,
      .zero_fill = 0}},
    /* Rotation across 64 KiB segments (not zero-filled) loses nothing acked. */
    {"test_rotation",
     {.name = "rotation", .body = sc_rotation, .seeds = 2, .zero_fill = 0}},
    /* Rotation with batched (partly non-sync) appends on zero-filled
     * segments. */
    {"test_rotation_batched",
     {.chain = 2,
      .name = "rotation_batched",
      .body = sc_rotation_batched,
      .seeds = 2,
      .zero_fill = 1,
      .stride = 1}},
    /* Checkpoint + recycling: stale frames of recycled segments never
     * return. */
    {"test_recycling",
     {.chain = 2,
      .name = "recycling",
      .body = sc_recycling,
      .seeds = 2,
      .zero_fill = 1,
      .recycle_pool = 2,
      .checkpoint = 1}},
    /* Recycling without zero-fill, checkpoints triggered by growth. */
    {"test_auto_checkpoint_recycling",
     {.name = "auto_checkpoint",
      .body = sc_auto_checkpoint,
      .seeds = 2,
      .zero_fill = 0,
      .recycle_pool = 1,
      .checkpoint = 1,
      .checkpoint_bytes = 48 << 10,
      .stride = 2}},
    /* Checkpoints that delete freed segments (no reuse pool): unlinks lost in
     * a crash bring old segments back, which recovery must ignore. */
    {"test_checkpoint_deletes_segments",
     {.chain = 1,
      .name = "checkpoint_delete",
      .body = sc_recycling,
      .seeds = 2,
      .zero_fill = 0,
      .no_recycle = 1,
      .checkpoint = 1}},
    /* A checkpoint_fn that fails part-way (every other call) leaves everything
     * in place: nothing it did not finish is recycled; the retry succeeds. */
    {"test_checkpoint_fn_failure",
     {.name = "checkpoint_fn_fails",
      .body = sc_checkpoint_retry,
      .seeds = 2,
      .zero_fill = 0,
      .checkpoint = 1,
      .recycle_pool = 1,
      .ckpt_fail_every = 2}},
    /* Checkpoints requested while another thread appends. */
    {"test_checkpoint_running",
     {.chain = 2,
      .name = "checkpoint_running",
      .body = sc_checkpoint_running,
      .seeds = 2,
      .zero_fill = 1,
      .recycle_pool = 2,
      .checkpoint = 1}},
    /* A streamed entry cut at any point is recovered whole or not at all. */
    {"test_stream_half_written",
     {.chain = 2,
      .name = "stream_half",
      .body = sc_stream_half,
      .seeds = 2,
      .zero_fill = 1}},
    /* Rolled-back streams are never recovered, whatever the crash. */
    {"test_stream_rollback",
     {.chain = 2,
      .name = "stream_rollback",
      .body = sc_stream_rollback,
      .seeds = 2,
      .zero_fill = 0}},
    /* Entries at max_entry_bytes (and an oversize one refused) survive. */
    {"test_large_entries",
     {.name = "large_entries",
      .body = sc_large_entries,
      .seeds = 2,
      .zero_fill = 1}},
    /* Open-append-close repeated: every session's acked entries survive. */
    {"test_reopen_sequence",
     {.name = "reopen_sequence",
      .run = sc_reopen_sequence,
      .seeds = 2,
      .zero_fill = 1}},
    /* Concurrent mixed sync/non-sync writers across rotations. */
    {"test_concurrent_rotation",
     {.name = "concurrent_rotation",
      .body = sc_concurrent_rotation,
      .seeds = 2,
      .zero_fill = 0,
      .stride = 1}},
    /* A crash inside recovery, at every point of it, changes nothing. */
    {"test_crash_inside_recovery",
     {.name = "recovery_crash",
      .body = sc_recovery_crash,
      .seeds = 2,
      .zero_fill = 1,
      .crash_in_recovery = 1,
      .stride = 1,
      .quick_stride = 7}},
    /* A crash inside recovery of a checkpointed, recycled log. */
    {"test_crash_inside_recovery_recycled",
     {.name = "recovery_crash_recycle",
      .body = sc_recovery_crash_recycle,
      .seeds = 2,
      .zero_fill = 0,
      .checkpoint = 1,
      .recycle_pool = 2,
      .crash_in_recovery = 1,
      .stride = 2,
      .quick_stride = 11}},
    /* A stream whose chunks span rotations and a checkpoint (pinned segments
     * must not be recycled under it) is recovered whole or not at all. */
    {"test_stream_across_rotation",
     {.name = "stream_rotation_pin",
      .body = sc_stream_across_rotation,
      .seeds = 2,
      .zero_fill = 0,
      .checkpoint = 1,
      .recycle_pool = 2}},
    /* Frames that end exactly at a segment's end rotate cleanly. */
    {"test_exact_segment_fill",
     {.name = "exact_fill", .body = sc_exact_fill, .seeds = 2, .zero_fill = 1}},
    /* Four threads mixing sync/buffered/appendv/streams/rollbacks/checkpoints
     * over small segments. */
    {"test_kitchen_sink",
     {.chain = 2,
      .name = "kitchen_sink",
      .body = sc_kitchen_sink,
      .seeds = 2,
      .zero_fill = 0,
      .checkpoint = 1,
      .checkpoint_bytes = 40 << 10,
      .recycle_pool = 2}},
    /* Streams, buffered and synced appends and checkpoints in sequence, with
     * growth-triggered checkpoints recycling segments under committed streams.
     */
    {"test_stream_checkpoint_sequence",
     {.name = "stream_checkpoint_seq",
      .body = sc_stream_checkpoint_seq,
      .seeds = 2,
      .zero_fill = 0,
      .checkpoint = 1,
      .checkpoint_bytes = 40 << 10,
      .recycle_pool = 2}},
    /* A crash inside recovery of a log with streams, rollbacks and
     * checkpoints (COMMIT validation, recycled chunk segments). */
    {"test_crash_inside_recovery_streams",
     {.name = "recovery_crash_streams",
      .body = sc_stream_checkpoint_seq,
      .zero_fill = 0,
      .checkpoint = 1,
      .checkpoint_bytes = 40 << 10,
      .recycle_pool = 2,
      .crash_in_recovery = 1,
      .stride = 3,
      .quick_stride = 17}},
    /* Buffered appends in 16 KiB batches: full buffers are flushed on their own
     * (no sync call), in order, and only synced entries count as acked. */
    {"test_small_batches",
     {.name = "small_batches",
      .body = sc_small_batches,
      .seeds = 2,
      .zero_fill = 0,
      .batch_bytes = 16 << 10,
      .max_entry_bytes = 8 << 10}},
    /* Concurrent writers with a leader that waits for followers. */
    {"test_batch_wait",
     {.name = "batch_wait",
      .body = sc_concurrent_rotation,
      .seeds = 1,
      .zero_fill = 1,
      .batch_wait_us = 300}},
};

/* Runs one table entry's scenario through the crash loop. */
static void
test_scenario(void **state)
{
    const crash_test *t = *state;
    run_loop(&t->sc);
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
    struct CMUnitTest tests[sizeof crash_tests / sizeof crash_tests[0]];
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        tests[i] = (struct CMUnitTest){
            .name = crash_tests[i].test,
            .test_func = test_scenario,
            .initial_state = (void *)&crash_tests[i],
        };
    return cmocka_run_group_tests_name("log_crash", tests, NULL, print_total);
}
