/* wk_log recovery on the simulated disk: torn tails are truncated durably,
 * corruption mid-log is reported with its location, each policy behaves
 * as documented, a missing segment is a gap, verify agrees. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/byteorder.h"
#include "wkt.h"

#define SEG1 "log/seg-000001.wal"
#define ELEN 100u
#define FRAME (24u + ELEN)

static uint64_t
frame_off(uint64_t lsn)
{
    return 4096 + (lsn - 1) * FRAME;
}

typedef struct seen {
    uint64_t n;
    uint64_t lsn[256];
} seen;

static int
seen_fn(void *arg, const wk_log_entry *e)
{
    seen *s = arg;
    uint8_t exp[ELEN];
    wkt_fill(exp, ELEN, e->lsn);
    /* every entry handed out is exactly what was written for it */
    assert_int_equal(e->len, ELEN);
    assert_memory_equal(e->data, exp, ELEN);
    if (s->n < 256)
        s->lsn[s->n] = e->lsn;
    s->n++;
    return 0;
}

static void
opts_for(wk_log_opts *o, wk_sim *sim, seen *s)
{
    wk_log_opts_init(o);
    o->vfs = wk_sim_vfs(sim);
    o->segment_bytes = 64 * 1024;
    o->max_entry_bytes = 16 * 1024;
    o->batch_bytes = 32 * 1024;
    o->recover_fn = s ? seen_fn : NULL;
    o->recover_arg = s;
}

/* Appends n entries (payload seeded by the LSN they will get); sync each
 * one (one batch each) or only the last (one batch for all). */
static void
fill(wk_log *log, int n, int sync_each)
{
    for (int i = 0; i < n; i++) {
        uint64_t next = wk_log_last_lsn(log) + 1;
        uint8_t buf[ELEN];
        wkt_fill(buf, ELEN, next);
        uint64_t lsn = 0;
        int fl = sync_each || i == n - 1 ? WK_SYNC : 0;
        wkt_assert_ok(wk_log_append(log, buf, ELEN, fl, &lsn));
        assert_int_equal(lsn, next);
    }
}

static wk_sim *
make_log(int n, int sync_each)
{
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(NULL, &sim));
    wk_log_opts o;
    opts_for(&o, sim, NULL);
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open("log", &o, &log, NULL));
    fill(log, n, sync_each);
    wkt_assert_ok(wk_log_close(log));
    return sim;
}

static void
flip(wk_sim *sim, const char *path, uint64_t off)
{
    uint8_t b = 0;
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, path, off, &b, 1, &n));
    b ^= 0x40;
    wkt_assert_ok(wk_sim_poke(sim, path, off, &b, 1));
}

/* A plausible half-written frame after the last record is a torn tail:
 * truncated (zeroed) at open, reported, and the next append goes there. */
static void
test_torn_tail_truncated(void **state)
{
    (void)state;
    wk_sim *sim = make_log(10, 1);
    uint8_t torn[60];
    memset(torn, 0xA5, sizeof torn);
    torn[4] = 1; /* FULL */
    torn[5] = torn[6] = torn[7] = 0;
    wk__put32(torn + 8, 500);
    wk__put32(torn + 12, 0);
    wk__put64(torn + 16, 11);
    wkt_assert_ok(wk_sim_poke(sim, SEG1, frame_off(11), torn, sizeof torn));

    /* verify and a read-only open see it and change nothing */
    wk_log_report rep;
    wkt_assert_ok(wk_log_verify("log", wk_sim_vfs(sim), &rep));
    assert_int_equal(rep.torn_offset, frame_off(11));
    assert_int_equal(rep.entries, 10);

    seen s = {0};
    wk_log_opts o;
    opts_for(&o, sim, &s);
    o.recovery = WK_RECOVER_ABSOLUTE;
    wk_log *log = NULL;
    wkt_assert_rc(wk_log_open("log", &o, &log, &rep), WK_ECORRUPT);
    assert_int_equal(rep.corruptions, 1);
    assert_int_equal(rep.corruption[0].offset, frame_off(11));

    memset(&s, 0, sizeof s);
    o.recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
    wkt_assert_ok(wk_log_open("log", &o, &log, &rep));
    assert_int_equal(s.n, 10);
    assert_int_equal(rep.entries, 10);
    assert_int_equal(rep.corruptions, 0);
    assert_int_equal(rep.torn_offset, frame_off(11));
    assert_true(rep.torn_bytes >= sizeof torn);
    assert_string_equal(rep.torn_file, "seg-000001.wal");
    uint8_t back[60];
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, SEG1, frame_off(11), back, sizeof back, &n));
    for (size_t i = 0; i < sizeof back; i++)
        assert_int_equal(back[i], 0);
    fill(log, 2, 1);
    wkt_assert_ok(wk_log_close(log));

    memset(&s, 0, sizeof s);
    wkt_assert_ok(wk_log_open("log", &o, &log, &rep));
    assert_int_equal(s.n, 12);
    assert_int_equal(s.lsn[11], 12);
    assert_int_equal(rep.torn_bytes, 0);
    wkt_assert_ok(wk_log_close(log));
    wk_sim_destroy(sim);
}

/* Random garbage (not a plausible frame) after the last record is not a
 * record: every entry recovers, nothing is reported as corrupt. */
static void
test_garbage_tail(void **state)
{
    (void)state;
    wk_sim *sim = make_log(10, 1);
    uint8_t junk[3000];
    wkt_fill(junk, sizeof junk, 99);
    wkt_assert_ok(wk_sim_poke(sim, SEG1, frame_off(11), junk, sizeof junk));
    seen s = {0};
    wk_log_opts o;
    opts_for(&o, sim, &s);
    wk_log *log = NULL;
    wk_log_report rep;
    wkt_assert_ok(wk_log_open("log", &o, &log, &rep));
    assert_int_equal(s.n, 10);
    assert_int_equal(rep.corruptions, 0);
    fill(log, 1, 1);
    wkt_assert_ok(wk_log_close(log));
    memset(&s, 0, sizeof s);
    wkt_assert_ok(wk_log_open("log", &o, &log, &rep));
    assert_int_equal(s.n, 11);
    wkt_assert_ok(wk_log_close(log));
    wk_sim_destroy(sim);
}

/* A damaged first frame of the last batch, with the rest of that batch
 * intact, is a torn tail (that batch was never acked); the whole batch is
 * invalidated so its frames can never come back. */
static void
test_torn_batch(void **state)
{
    (void)state;
    wk_sim *sim = make_log(10, 1);
    wk_log_opts o;
    seen s = {0};
    opts_for(&o, sim, &s);
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open("log", &o, &log, NULL));
    fill(log, 5, 0); /* LSN 11..15 in one batch */
    wkt_assert_ok(wk_log_close(log));
    flip(sim, SEG1, frame_off(11) + 30);
    memset(&s, 0, sizeof s);
    wk_log_report rep;
    wkt_assert_ok(wk_log_open("log", &o, &log, &rep));
    assert_int_equal(s.n, 10);
    assert_int_equal(rep.corruptions, 0);
    assert_int_equal(rep.torn_offset, frame_off(11));
    assert_int_equal(rep.torn_bytes, 5 * FRAME);
    uint8_t back[FRAME];
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, SEG1, frame_off(15), back, FRAME, &n));
    for (size_t i = 0; i < FRAME; i++)
        assert_int_equal(back[i], 0);
    wkt_assert_ok(wk_log_close(log));
    wk_sim_destroy(sim);
}

/* A flipped byte mid-log fails a default open with WK_ECORRUPT naming the
 * file, offset and LSN; verify says the same; skip-corrupt keeps every
 * other entry (a hole at that LSN); point-in-time keeps the prefix and
 * discards the rest durably. */
static void
test_corruption_policies(void **state)
{
    (void)state;
    wk_sim *sim = make_log(10, 1);
    flip(sim, SEG1, frame_off(5) + 40);
    seen s = {0};
    wk_log_opts o;
    opts_for(&o, sim, &s);
    wk_log *log = NULL;
    wk_log_report rep;
    wkt_assert_rc(wk_log_open("log", &o, &log, &rep), WK_ECORRUPT);
    assert_null(log);
    assert_int_equal(rep.corruptions, 1);
    assert_string_equal(rep.corruption[0].file, "seg-000001.wal");
    assert_int_equal(rep.corruption[0].offset, frame_off(5));
    assert_int_equal(rep.corruption[0].lsn, 5);
    assert_int_equal(rep.corruption[0].error, WK_ECORRUPT);
    o.recovery = WK_RECOVER_ABSOLUTE;
    wkt_assert_rc(wk_log_open("log", &o, &log, &rep), WK_ECORRUPT);

    wkt_assert_rc(wk_log_verify("log", wk_sim_vfs(sim), &rep), WK_ECORRUPT);
    assert_int_equal(rep.corruptions, 1);
    assert_int_equal(rep.corruption[0].offset, frame_off(5));
    assert_int_equal(rep.corruption[0].lsn, 5);

    memset(&s, 0, sizeof s);
    o.recovery = WK_RECOVER_SKIP_CORRUPT;
    wkt_assert_ok(wk_log_open("log", &o, &log, &rep));
    assert_int_equal(s.n, 9);
    assert_int_equal(s.lsn[4], 6);
    assert_int_equal(rep.corruptions, 1);
    wkt_assert_rc(wk_log_read(log, 5, seen_fn, &s), WK_ENOTFOUND);
    wkt_assert_ok(wk_log_read(log, 6, seen_fn, &s));
    wk_log_iter *it = NULL;
    wkt_assert_ok(wk_log_iter_open(log, 0, &it));
    wk_log_entry e;
    int n = 0;
    while (wk_log_iter_next(it, &e, 0) == 0)
        n++;
    assert_int_equal(n, 9);
    wk_log_iter_close(it);
    wkt_assert_ok(wk_log_close(log));

    memset(&s, 0, sizeof s);
    o.recovery = WK_RECOVER_POINT_IN_TIME;
    wkt_assert_ok(wk_log_open("log", &o, &log, &rep));
    assert_int_equal(s.n, 4);
    assert_int_equal(rep.corruptions, 1);
    fill(log, 1, 1); /* gets LSN 5 */
    wkt_assert_ok(wk_log_close(log));
    memset(&s, 0, sizeof s);
    o.recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
    wkt_assert_ok(wk_log_open("log", &o, &log, &rep));
    assert_int_equal(s.n, 5);
    assert_int_equal(rep.corruptions, 0);
    wkt_assert_ok(wk_log_close(log));
    wk_sim_destroy(sim);
}

/* A missing segment in the middle is a gap (WK_EGAP), a damaged segment
 * header is corruption. */
static void
test_gap_and_bad_header(void **state)
{
    (void)state;
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(NULL, &sim));
    wk_log_opts o;
    opts_for(&o, sim, NULL);
    o.max_entry_bytes = 8000;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open("log", &o, &log, NULL));
    uint8_t buf[8000] = {0};
    for (int i = 0; i < 30; i++)
        wkt_assert_ok(wk_log_append(log, buf, sizeof buf, 0, NULL));
    wkt_assert_ok(wk_log_close(log));
    wk_vfs *vfs = wk_sim_vfs(sim);
    wk_log_report rep;
    flip(sim, "log/seg-000002.wal", 20);
    wkt_assert_rc(wk_log_open("log", &o, &log, &rep), WK_ECORRUPT);
    assert_string_equal(rep.corruption[0].file, "seg-000002.wal");
    assert_int_equal(rep.corruption[0].offset, 0);
    wkt_assert_ok(vfs->unlink(vfs, "log/seg-000002.wal"));
    wkt_assert_rc(wk_log_open("log", &o, &log, &rep), WK_EGAP);
    assert_int_equal(rep.corruptions, 1);
    assert_int_equal(rep.corruption[0].error, WK_EGAP);
    wkt_assert_rc(wk_log_verify("log", vfs, &rep), WK_EGAP);
    wk_sim_destroy(sim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torn_tail_truncated),
        cmocka_unit_test(test_garbage_tail),
        cmocka_unit_test(test_torn_batch),
        cmocka_unit_test(test_corruption_policies),
        cmocka_unit_test(test_gap_and_bad_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
