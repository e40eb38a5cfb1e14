/* Regression tests for the defects of the prior art (MemmapFS storage.rs)
 * that wk_blob must not have (DESIGN.md): object bytes never synced while
 * the record pointing at them is; records appended behind a torn tail;
 * no checksums (test_regress_corrupt_object in test_blob_basic.c); a
 * garbage length overflowing the bounds check. On the simulated disk. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob_internal.h"
#include "bt_util.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "wkt.h"

static wk_sim *
trace_sim(void)
{
    wk_sim_opts so;
    wk_sim_opts_init(&so);
    so.trace = 1;
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(&so, &sim));
    return sim;
}

/* Index (from 0) of the first trace line starting with prefix at or after
 * line from; -1 if none. Also counts lines up to it in *upto. */
static int
trace_find(const char *trace, const char *prefix, int from)
{
    int line = 0;
    const char *p = trace;
    while (p != NULL && *p != '\0') {
        if (line >= from && strncmp(p, prefix, strlen(prefix)) == 0)
            return line;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
        line++;
    }
    return -1;
}

/* The chunk bytes of a put are written and fdatasync'd before its command
 * record is written to the log, and the log record synced last. */
static void
test_regress_sync_order(void **state)
{
    (void)state;
    wk_sim *sim = trace_sim();
    wk_blob_opts o;
    bt_opts(&o, sim);
    wk_blob *b = NULL;
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
    wkt_assert_ok(wk_blob_put(b, "warm", 4, 1, WK_SYNC, NULL));
    wk_sim_trace_clear(sim);
    uint8_t buf[3000];
    wkt_fill(buf, sizeof buf, 1);
    wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 1, WK_SYNC, NULL));
    const char *t = wk_sim_trace(sim);
    int cw = trace_find(t, "pwrite " BT_DIR "/chunk-", 0);
    int cs = trace_find(t, "datasync " BT_DIR "/chunk-", 0);
    int lw = trace_find(t, "pwrite " BT_DIR "/log/", 0);
    int ls = trace_find(t, "datasync " BT_DIR "/log/", lw < 0 ? 0 : lw);
    if (!(cw >= 0 && cw < cs && cs < lw && lw < ls))
        fail_msg("sync order: chunk write %d, chunk sync %d, log write %d, "
                 "log sync %d; trace:\n%s",
                 cw, cs, lw, ls, t);
    wkt_assert_ok(wk_blob_close(b));
    wk_sim_destroy(sim);
}

/* Power cut right after the command-log sync of a put (every crash
 * policy): the acknowledged object is there with its bytes, and no
 * recovered object points at lost bytes. */
static void
test_regress_crash_after_log_sync(void **state)
{
    (void)state;
    int acked_runs = 0;
    for (int policy = 0; policy < WK_SIM_POLICY_COUNT; policy++) {
        for (int seed = 0; seed < 4; seed++) {
            wk_sim *sim = trace_sim();
            wk_blob_opts o;
            bt_opts(&o, sim);
            wk_blob *b = NULL;
            uint8_t buf[3000];
            wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
            wkt_assert_ok(wk_blob_put(b, "first", 5, 1, WK_SYNC, NULL));
            wkt_fill(buf, sizeof buf, 2);
            wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 2, 0, NULL));
            /* Trace the synced put: its mutations up to the log sync. */
            wk_sim_trace_clear(sim);
            wkt_fill(buf, sizeof buf, 3);
            uint64_t id = 0;
            wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 3, WK_SYNC, &id));
            int ls =
                trace_find(wk_sim_trace(sim), "datasync " BT_DIR "/log/", 0);
            assert_true(ls >= 0);
            wk_blob_close(b);
            /* Replay the same history on a fresh disk, freezing after the
             * log sync of the third put. */
            wk_sim_destroy(sim);
            sim = trace_sim();
            bt_opts(&o, sim);
            wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
            wkt_assert_ok(wk_blob_put(b, "first", 5, 1, WK_SYNC, NULL));
            wkt_fill(buf, sizeof buf, 2);
            wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 2, 0, NULL));
            wk_sim_crash_after(sim, ls + 1);
            wkt_fill(buf, sizeof buf, 3);
            int rc = wk_blob_put(b, buf, sizeof buf, 3, WK_SYNC, &id);
            wk_blob_close(b);
            wkt_assert_ok(wk_sim_crash(sim, (uint64_t)seed + 100, policy));
            wk_blob_report rep;
            wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, &rep));
            if (rc == 0) {
                acked_runs++;
                wk_blob_view v;
                int g = wk_blob_get(b, id, &v);
                if (g != 0)
                    fail_msg("policy %d seed %d: acknowledged put lost: %s "
                             "(%s)",
                             policy, seed, wk_errname(g), wk_blob_errmsg(b));
                assert_memory_equal(v.data, buf, sizeof buf);
                wk_blob_view_release(b, &v);
            }
            wk_blob_close(b);
            /* Nothing recovered points at lost bytes. */
            wkt_assert_ok(wk_blob_verify(BT_DIR, wk_sim_vfs(sim), &rep));
            wk_sim_destroy(sim);
        }
    }
    assert_true(acked_runs > 0);
}

/* After a torn log tail (power cut in the middle of a put's record write,
 * torn sectors), new records are not appended behind the garbage: a put
 * made after recovery survives the next reopen and power cut. */
static void
test_regress_append_after_torn_tail(void **state)
{
    (void)state;
    int checked = 0;
    for (int64_t n = 0; n < 12; n++) {
        for (int policy = WK_SIM_TEAR; policy <= WK_SIM_REORDER; policy++) {
            wk_sim *sim = bt_sim();
            wk_blob_opts o;
            bt_opts(&o, sim);
            wk_blob *b = NULL;
            uint8_t buf[2000];
            uint64_t ida = 0, idc = 0;
            wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
            wkt_fill(buf, sizeof buf, 1);
            wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 1, WK_SYNC, &ida));
            wk_sim_crash_after(sim, n);
            for (int i = 0; i < 5; i++)
                if (wk_blob_put(b, buf, sizeof buf, 2, WK_SYNC, NULL) != 0)
                    break;
            wk_blob_close(b);
            wkt_assert_ok(wk_sim_crash(sim, (uint64_t)n, policy));
            wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
            wkt_fill(buf, sizeof buf, 9);
            wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 3, WK_SYNC, &idc));
            wkt_assert_ok(wk_blob_close(b));
            wkt_assert_ok(wk_sim_crash(sim, 7, WK_SIM_DROP_ALL));
            wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
            wk_blob_view v;
            int rc = wk_blob_get(b, idc, &v);
            if (rc != 0)
                fail_msg("crash after %lld policy %d: put after recovery "
                         "lost: %s",
                         (long long)n, policy, wk_errname(rc));
            assert_memory_equal(v.data, buf, sizeof buf);
            wk_blob_view_release(b, &v);
            wkt_assert_ok(wk_blob_get(b, ida, &v));
            wk_blob_view_release(b, &v);
            wkt_assert_ok(wk_blob_close(b));
            wk_sim_destroy(sim);
            checked++;
        }
    }
    assert_true(checked > 0);
}

/* A garbage length or offset in a command record (values near 2^64 that
 * overflow a naive off + len check) is rejected by the decoder. */
static void
test_regress_garbage_length_decode(void **state)
{
    (void)state;
    uint8_t p[WK__BREC_SAPPEND_LEN];
    wk__brec r = {.type = WK__BREC_PUT, .chunk = 1, .off = 4096, .len = 10};
    assert_int_equal(wk__brec_encode(&r, p, sizeof p), WK__BREC_PUT_LEN);
    wkt_assert_ok(wk__brec_decode(p, WK__BREC_PUT_LEN, &r));
    wk__put64(p + 14, UINT64_MAX - 100); /* len */
    wkt_assert_rc(wk__brec_decode(p, WK__BREC_PUT_LEN, &r), WK_ECORRUPT);
    wk__put64(p + 6, UINT64_MAX - 10); /* off */
    wk__put64(p + 14, 100);
    wkt_assert_rc(wk__brec_decode(p, WK__BREC_PUT_LEN, &r), WK_ECORRUPT);
    wk__put64(p + 6, 1000); /* inside the header */
    wkt_assert_rc(wk__brec_decode(p, WK__BREC_PUT_LEN, &r), WK_ECORRUPT);
    wkt_assert_rc(wk__brec_decode(p, WK__BREC_PUT_LEN - 1, &r), WK_ECORRUPT);
    uint8_t kv[16] = {WK__BREC_KVSET, 0};
    wk__put32(kv + 2, 0xffffffffu);
    wk__put32(kv + 6, 2);
    wkt_assert_rc(wk__brec_decode(kv, sizeof kv, &r), WK_ECORRUPT);
    wk__put32(kv + 2, 4);
    wk__put32(kv + 6, 0xfffffffeu); /* klen + vlen wraps in 32 bits */
    wkt_assert_rc(wk__brec_decode(kv, sizeof kv, &r), WK_ECORRUPT);
    wk__put32(kv + 6, 2);
    wkt_assert_ok(wk__brec_decode(kv, sizeof kv, &r));
    r = (wk__brec){.type = WK__BREC_SAPPEND,
                   .stream = 1,
                   .soff = UINT64_MAX - 5,
                   .chunk = 1,
                   .off = 4096,
                   .len = 10};
    assert_int_equal(wk__brec_encode(&r, p, sizeof p), WK__BREC_SAPPEND_LEN);
    wkt_assert_rc(wk__brec_decode(p, sizeof p, &r), WK_ECORRUPT);
}

/* Appends a raw command record to the store's log (public wk_log API). */
static void
log_append_raw(wk_sim *sim, const void *rec, size_t n)
{
    wk_log_opts lo;
    wk_log_opts_init(&lo);
    lo.vfs = wk_sim_vfs(sim);
    lo.segment_bytes = 64 * 1024;
    lo.zero_fill = 0;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(BT_DIR "/log", &lo, &log, NULL));
    wkt_assert_ok(wk_log_append(log, rec, n, WK_SYNC, NULL));
    wkt_assert_ok(wk_log_close(log));
}

/* End to end: a durable record whose extent lies far past its chunk file
 * (huge length) or in a missing chunk fails the open with WK_ECORRUPT and
 * a clear message (SKIP_CORRUPT drops it); a snapshot with a garbage count
 * fails with WK_ECORRUPT without a huge allocation. */
static void
test_regress_garbage_length_open(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    bt_opts(&o, sim);
    wk_blob *b = NULL;
    uint64_t id;
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
    wkt_assert_ok(wk_blob_put(b, "ok", 2, 1, WK_SYNC, &id));
    wkt_assert_ok(wk_blob_close(b));
    uint8_t p[WK__BREC_PUT_LEN];
    wk__brec r = {.type = WK__BREC_PUT,
                  .chunk = 1,
                  .off = 4096,
                  .len = (1ull << 40) - 8192};
    assert_int_equal(wk__brec_encode(&r, p, sizeof p), sizeof p);
    log_append_raw(sim, p, sizeof p);
    wk_blob_report rep;
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, &rep), WK_ECORRUPT);
    assert_true(strstr(rep.problem, "outside the file") != NULL);
    r.chunk = 99;
    r.len = 10;
    assert_int_equal(wk__brec_encode(&r, p, sizeof p), sizeof p);
    o.recovery = WK_RECOVER_SKIP_CORRUPT;
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, &rep));
    assert_int_equal(rep.bad_records, 1);
    assert_int_equal(rep.objects, 1);
    wkt_assert_ok(wk_blob_close(b));
    o.recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
    /* garbage record type */
    uint8_t junk[5] = {99, 0, 1, 2, 3};
    log_append_raw(sim, junk, sizeof junk);
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, &rep), WK_ECORRUPT);
    assert_true(strstr(rep.problem, "invalid command record") != NULL);

    /* A snapshot claiming 2^60 objects, with a valid CRC. */
    wk_sim *s2 = bt_sim();
    bt_opts(&o, s2);
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
    wkt_assert_ok(wk_blob_put(b, "ok", 2, 1, WK_SYNC, &id));
    wkt_assert_ok(wk_blob_compact(b));
    wkt_assert_ok(wk_blob_close(b));
    uint8_t snap[4096];
    size_t n = 0;
    wkt_assert_ok(
        wk_sim_peek(s2, BT_DIR "/SNAPSHOT", 0, snap, sizeof snap, &n));
    assert_true(n > 68 && n < sizeof snap);
    wk__put64(snap + 40, 1ull << 60);
    wk__put32(snap + n - 4, wk__crc32c(0, snap, n - 4));
    wkt_assert_ok(wk_sim_poke(s2, BT_DIR "/SNAPSHOT", 0, snap, n));
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, &rep), WK_ECORRUPT);
    wk_sim_destroy(s2);
    wk_sim_destroy(sim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regress_sync_order),
        cmocka_unit_test(test_regress_crash_after_log_sync),
        cmocka_unit_test(test_regress_append_after_torn_tail),
        cmocka_unit_test(test_regress_garbage_length_decode),
        cmocka_unit_test(test_regress_garbage_length_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
