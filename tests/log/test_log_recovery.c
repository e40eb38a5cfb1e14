/* wk_log recovery on the simulated disk: torn tails are truncated durably,
 * corruption mid-log is reported with its location, each policy behaves
 * as documented, a missing segment is a gap, verify agrees; LSNs are never
 * reused across crashes and stay dense across clean closes; a segment
 * taken during its background zero-fill keeps its entries. */
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/byteorder.h"
#include "log/log_internal.h"
#include "wkt.h"

#define SEG1 "log/seg-000001.wal"
#define ELEN 100u
#define FRAME (24u + ELEN)
#define SKIPD (1ull << 24) /* FSN jump after a crash */
#define CLOSE_FRAME 24u    /* a CLOSE frame: header only */

static uint64_t g_ctr; /* payload counter */

/* Payloads describe themselves: u64 counter, then bytes derived from it. */
static void
payload(uint8_t *buf, uint64_t k)
{
    wkt_fill(buf, ELEN, k);
    wk__put64(buf, k);
}

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
    /* every entry handed out is exactly what was written for it */
    assert_int_equal(e->len, ELEN);
    payload(exp, wk__get64(e->data));
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

/* A fresh simulated disk with default options. */
static wk_sim *
new_sim(void)
{
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(NULL, &sim));
    return sim;
}

/* Reopens "log" with *o (as opts_for set it up with s), s emptied first;
 * asserts the open succeeds. */
static void
reopen_seen(const wk_log_opts *o, seen *s, wk_log **log, wk_log_report *rep)
{
    memset(s, 0, sizeof *s);
    wkt_assert_ok(wk_log_open("log", o, log, rep));
}

/* Number of entries an iterator from LSN 0 yields. */
static int
iter_count(wk_log *log)
{
    wk_log_iter *it = NULL;
    wkt_assert_ok(wk_log_iter_open(log, 0, &it));
    wk_log_entry e;
    int n = 0;
    while (wk_log_iter_next(it, &e, 0) == 0)
        n++;
    wk_log_iter_close(it);
    return n;
}

/* Appends n entries; sync each one (one batch each) or only the last (one
 * batch for all). LSNs strictly increase. Returns the last LSN. */
static uint64_t
fill(wk_log *log, int n, int sync_each)
{
    uint64_t lsn = 0;
    for (int i = 0; i < n; i++) {
        uint64_t prev = wk_log_last_lsn(log);
        uint8_t buf[ELEN];
        payload(buf, ++g_ctr);
        int fl = sync_each || i == n - 1 ? WK_SYNC : 0;
        wkt_assert_ok(wk_log_append(log, buf, ELEN, fl, &lsn));
        assert_true(lsn > prev);
    }
    return lsn;
}

static wk_sim *
make_log(int n, int sync_each)
{
    wk_sim *sim = new_sim();
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

    o.recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
    reopen_seen(&o, &s, &log, &rep);
    assert_int_equal(s.n, 10);
    assert_int_equal(rep.entries, 10);
    assert_int_equal(rep.corruptions, 0);
    assert_int_equal(rep.torn_offset, frame_off(11));
    assert_true(rep.torn_bytes >= sizeof torn);
    assert_string_equal(rep.torn_file, "seg-000001.wal");
    /* the torn bytes are gone; a SKIP frame (FSN 11) took their place */
    uint8_t back[60];
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, SEG1, frame_off(11), back, sizeof back, &n));
    assert_int_equal(back[4], LOG_FT_SKIP);
    assert_int_equal(wk__get64(back + 16), 11);
    assert_int_equal(wk__get64(back + 24), 11 + SKIPD);
    for (size_t i = 24 + LOG_SKIP_LEN; i < sizeof back; i++)
        assert_int_equal(back[i], 0);
    fill(log, 2, 1);
    wkt_assert_ok(wk_log_close(log));

    reopen_seen(&o, &s, &log, &rep);
    assert_int_equal(s.n, 12);
    assert_int_equal(s.lsn[10], 11 + SKIPD);
    assert_int_equal(s.lsn[11], 12 + SKIPD);
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
    reopen_seen(&o, &s, &log, &rep);
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
    wk_log_report rep;
    reopen_seen(&o, &s, &log, &rep);
    assert_int_equal(s.n, 10);
    assert_int_equal(rep.corruptions, 0);
    assert_int_equal(rep.torn_offset, frame_off(11));
    /* the batch: 5 entries and the CLOSE frame */
    assert_int_equal(rep.torn_bytes, 5 * FRAME + CLOSE_FRAME);
    uint8_t back[FRAME];
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, SEG1, frame_off(15), back, FRAME, &n));
    for (size_t i = 0; i < FRAME; i++)
        assert_int_equal(back[i], 0);
    wkt_assert_ok(wk_log_close(log));
    wk_sim_destroy(sim);
}

/* Rewrites frame lsn of SEG1 (a batch of its own) with undurable und
 * (flags | aux16 << 8) and a valid CRC, and zeroes the CLOSE frame after
 * the last of n frames: the image of a crash with that frame written. */
static void
plant_undurable(wk_sim *sim, uint64_t lsn, uint32_t und, uint64_t n)
{
    uint8_t hdr[64], fr[FRAME], zero[CLOSE_FRAME];
    size_t got = 0;
    wkt_assert_ok(wk_sim_peek(sim, SEG1, 0, hdr, sizeof hdr, &got));
    uint32_t salt_crc = wk__rec_salt_crc(wk__get64(hdr + 16));
    wkt_assert_ok(wk_sim_peek(sim, SEG1, frame_off(lsn), fr, FRAME, &got));
    wk__rec r;
    wk__rec_peek(fr, &r);
    assert_int_equal(r.seq, lsn);
    r.flags = (uint8_t)(und & 0xffu);
    r.aux16 = (uint16_t)(und >> 8);
    wk__rec_put_header(fr, &r);
    wk__rec_seal(fr, salt_crc);
    wkt_assert_ok(wk_sim_poke(sim, SEG1, frame_off(lsn), fr, FRAME));
    memset(zero, 0, sizeof zero);
    wkt_assert_ok(wk_sim_poke(sim, SEG1, frame_off(n + 1), zero, sizeof zero));
}

/* A valid frame of a later batch after a damaged frame: torn tail when its
 * writer did not know the damaged frame durable (undurable > 0: batches
 * in flight together; both discarded), corruption when it did
 * (undurable = 0). */
static void
test_undurable_later_batch(void **state)
{
    (void)state;
    for (int und = 0; und <= 2; und++) {
        wk_sim *sim = make_log(10, 1); /* LSN 1..10, one batch each */
        plant_undurable(sim, 10, (uint32_t)und, 10);
        flip(sim, SEG1, frame_off(9) + 40);
        seen s = {0};
        wk_log_opts o;
        opts_for(&o, sim, &s);
        wk_log *log = NULL;
        wk_log_report rep;
        if (und == 0) {
            wkt_assert_rc(wk_log_open("log", &o, &log, &rep), WK_ECORRUPT);
            assert_null(log);
            assert_int_equal(rep.corruptions, 1);
            assert_int_equal(rep.corruption[0].offset, frame_off(9));
            assert_int_equal(rep.corruption[0].lsn, 9);
            wk_sim_destroy(sim);
            continue;
        }
        reopen_seen(&o, &s, &log, &rep);
        assert_int_equal(s.n, 8);
        assert_int_equal(rep.corruptions, 0);
        assert_int_equal(rep.torn_offset, frame_off(9));
        assert_int_equal(rep.torn_bytes, 2 * FRAME);
        uint8_t back[FRAME];
        size_t n = 0;
        wkt_assert_ok(wk_sim_peek(sim, SEG1, frame_off(10), back, FRAME, &n));
        for (size_t i = 0; i < FRAME; i++)
            assert_int_equal(back[i], 0);
        assert_int_equal(iter_count(log), 8);
        wkt_assert_ok(wk_log_close(log));
        reopen_seen(&o, &s, &log, &rep);
        assert_int_equal(s.n, 8);
        wkt_assert_ok(wk_log_close(log));
        wk_sim_destroy(sim);
    }
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

    o.recovery = WK_RECOVER_SKIP_CORRUPT;
    reopen_seen(&o, &s, &log, &rep);
    assert_int_equal(s.n, 9);
    assert_int_equal(s.lsn[4], 6);
    assert_int_equal(rep.corruptions, 1);
    wkt_assert_rc(wk_log_read(log, 5, seen_fn, &s), WK_ENOTFOUND);
    wkt_assert_ok(wk_log_read(log, 6, seen_fn, &s));
    assert_int_equal(iter_count(log), 9);
    wkt_assert_ok(wk_log_close(log));

    o.recovery = WK_RECOVER_POINT_IN_TIME;
    reopen_seen(&o, &s, &log, &rep);
    assert_int_equal(s.n, 4);
    assert_int_equal(rep.corruptions, 1);
    /* above every FSN used before, also in the discarded part */
    assert_true(fill(log, 1, 1) > 12 + SKIPD);
    wkt_assert_ok(wk_log_close(log));
    o.recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
    reopen_seen(&o, &s, &log, &rep);
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
    wk_sim *sim = new_sim();
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

/* ---- LSNs never reused across restarts --------------------------------- */

#define MAXK 8192
static uint64_t g_lsn_of[MAXK]; /* payload counter -> LSN returned */

/* Resets the payload counter and the counter -> LSN map. */
static void
reset_counters(void)
{
    g_ctr = 0;
    memset(g_lsn_of, 0, sizeof g_lsn_of);
}

typedef struct mapped {
    uint64_t n, last;
} mapped;

static int
map_fn(void *arg, const wk_log_entry *e)
{
    mapped *m = arg;
    uint8_t exp[ELEN];
    assert_int_equal(e->len, ELEN);
    uint64_t k = wk__get64(e->data);
    payload(exp, k);
    assert_memory_equal(e->data, exp, ELEN);
    assert_true(k < MAXK);
    /* recovered with the LSN its append returned, in increasing order */
    assert_int_equal(e->lsn, g_lsn_of[k]);
    assert_true(e->lsn > m->last);
    m->last = e->lsn;
    m->n++;
    return 0;
}

/* Appends n entries (flags fl) recording their LSNs; returns the max. */
static uint64_t
fill_rec(wk_log *log, int n, int fl)
{
    uint64_t lsn = 0, prev = wk_log_last_lsn(log);
    for (int i = 0; i < n; i++) {
        uint8_t buf[ELEN];
        uint64_t k = ++g_ctr;
        assert_true(k < MAXK);
        payload(buf, k);
        wkt_assert_ok(wk_log_append(log, buf, ELEN, fl, &lsn));
        assert_true(lsn > prev);
        prev = lsn;
        g_lsn_of[k] = lsn;
    }
    return lsn;
}

static wk_log *
open_mapped(wk_sim *sim, mapped *m, wk_log_report *rep)
{
    wk_log_opts o;
    opts_for(&o, sim, NULL);
    o.recover_fn = map_fn;
    o.recover_arg = m;
    memset(m, 0, sizeof *m);
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open("log", &o, &log, rep));
    return log;
}

/* Power cut (dead handles): close cannot write; the lock is gone. */
static void
crash(wk_sim *sim, wk_log *log, uint64_t seed, int pol)
{
    wkt_assert_ok(wk_sim_crash(sim, seed, pol));
    assert_true(wk_log_close(log) != 0);
}

/* After a power cut, every LSN handed out is above every LSN returned
 * before it, durable or not (buffered entries only, or full batches
 * written unsynced across rotations), for DROP_ALL and KEEP_RANDOM, twice
 * in a row; recovered entries carry the LSN their append returned. */
static void
test_lsn_never_reused_after_crash(void **state)
{
    (void)state;
    static const struct {
        int pol;
        uint64_t seed;
        int n;
    } cases[] = {
        {WK_SIM_DROP_ALL, 1, 40},     {WK_SIM_KEEP_RANDOM, 2, 40},
        {WK_SIM_KEEP_RANDOM, 3, 900}, {WK_SIM_KEEP_RANDOM, 4, 900},
        {WK_SIM_DROP_ALL, 5, 900},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        reset_counters();
        wk_sim *sim = new_sim();
        mapped m;
        wk_log_report rep;
        wk_log *log = open_mapped(sim, &m, &rep);
        uint64_t durable = fill_rec(log, 5, WK_SYNC);
        assert_int_equal(durable, 5); /* a new log starts at 1, densely */
        uint64_t maxl = durable;
        for (int round = 0; round < 2; round++) {
            uint64_t l = fill_rec(log, cases[c].n, 0);
            assert_true(l > maxl);
            maxl = l;
            crash(sim, log, cases[c].seed * 10 + (uint64_t)round, cases[c].pol);
            log = open_mapped(sim, &m, &rep);
            assert_true(m.n >= 5);
            uint64_t first = fill_rec(log, 1, WK_SYNC);
            if (first <= maxl)
                fail_msg("case %zu round %d: LSN %llu handed out again "
                         "(max before the crash %llu)",
                         c, round, (unsigned long long)first,
                         (unsigned long long)maxl);
            assert_true(first >= maxl - cases[c].n + SKIPD);
            maxl = first;
        }
        wkt_assert_ok(wk_log_close(log));
        log = open_mapped(sim, &m, &rep);
        assert_int_equal(rep.corruptions, 0);
        assert_int_equal(wk_log_last_lsn(log), maxl);
        wkt_assert_ok(wk_log_close(log));
        wkt_assert_ok(wk_log_verify("log", wk_sim_vfs(sim), &rep));
        wk_sim_destroy(sim);
    }
}

/* A clean close keeps LSNs dense: the next append after reopening gets
 * exactly last + 1, also after opens that appended nothing and across a
 * rotation; a read-only open agrees; the CLOSE frames are never entries. */
static void
test_clean_close_keeps_lsns_dense(void **state)
{
    (void)state;
    g_ctr = 0;
    wk_sim *sim = new_sim();
    mapped m;
    wk_log_report rep;
    wk_log *log = open_mapped(sim, &m, &rep);
    assert_int_equal(fill_rec(log, 5, WK_SYNC), 5);
    assert_int_equal(fill_rec(log, 3, 0), 8);
    wkt_assert_ok(wk_log_close(log)); /* flushes 6..8 with the CLOSE */
    uint64_t last = 8;
    for (int round = 0; round < 4; round++) {
        log = open_mapped(sim, &m, &rep);
        assert_int_equal(rep.last_lsn, last);
        assert_int_equal(m.n, last);
        assert_int_equal(wk_log_last_lsn(log), last);
        assert_int_equal(wk_log_durable_lsn(log), last);
        if (round == 1) { /* an open that appends nothing */
            wkt_assert_ok(wk_log_close(log));
            continue;
        }
        /* round 2 crosses a 64 KiB segment boundary */
        int n = round == 2 ? 600 : 1;
        assert_int_equal(fill_rec(log, n, round == 2 ? 0 : WK_SYNC),
                         last + (uint64_t)n);
        last += (uint64_t)n;
        wkt_assert_ok(wk_log_close(log));
    }
    wk_log_opts o;
    opts_for(&o, sim, NULL);
    o.read_only = 1;
    wkt_assert_ok(wk_log_open("log", &o, &log, &rep));
    assert_int_equal(wk_log_durable_lsn(log), last);
    assert_int_equal(rep.entries, last);
    wk_log_iter *it = NULL;
    wkt_assert_ok(wk_log_iter_open(log, 0, &it));
    wk_log_entry e;
    uint64_t n = 0;
    while (wk_log_iter_next(it, &e, 0) == 0)
        assert_int_equal(e.lsn, ++n);
    assert_int_equal(n, last);
    wk_log_iter_close(it);
    wkt_assert_ok(wk_log_close(log));
    wkt_assert_ok(wk_log_verify("log", wk_sim_vfs(sim), &rep));
    assert_int_equal(rep.entries, last);
    wk_sim_destroy(sim);
}

static int
never_fn(void *arg, const wk_log_entry *e)
{
    (void)arg;
    (void)e;
    fail_msg("a SKIP or CLOSE frame was handed out as an entry");
    return 0;
}

/* A crash that leaves only the new session's SKIP frame on disk (its
 * buffered entries lost), and a crash right after an open, reopen with
 * LSNs above everything handed out; SKIP frames are never entries. */
static void
test_crash_with_only_skip_on_disk(void **state)
{
    (void)state;
    reset_counters();
    wk_sim *sim = new_sim();
    mapped m;
    wk_log_report rep;
    wk_log *log = open_mapped(sim, &m, &rep);
    uint64_t maxl = fill_rec(log, 3, WK_SYNC);
    crash(sim, log, 1, WK_SIM_DROP_ALL);

    log = open_mapped(sim, &m, &rep); /* writes SKIP(4) durably */
    assert_int_equal(m.n, 3);
    uint64_t l = fill_rec(log, 10, 0);
    assert_true(l > maxl + SKIPD - 1);
    maxl = l;
    crash(sim, log, 2, WK_SIM_DROP_ALL); /* only the SKIP survives */
    wkt_assert_ok(wk_log_verify("log", wk_sim_vfs(sim), &rep));
    assert_int_equal(rep.entries, 3);

    for (int i = 0; i < 2; i++) { /* twice: a crash right after open */
        log = open_mapped(sim, &m, &rep);
        assert_int_equal(m.n, 3);
        assert_int_equal(wk_log_last_lsn(log), 3);
        wkt_assert_rc(wk_log_read(log, 4, never_fn, NULL), WK_ENOTFOUND);
        crash(sim, log, 3 + (uint64_t)i, WK_SIM_KEEP_RANDOM);
    }
    log = open_mapped(sim, &m, &rep);
    assert_int_equal(m.n, 3);
    l = fill_rec(log, 2, WK_SYNC);
    assert_true(l > maxl);
    wkt_assert_rc(wk_log_read(log, 4, never_fn, NULL), WK_ENOTFOUND);
    assert_int_equal(iter_count(log), 5);
    wkt_assert_ok(wk_log_close(log));
    log = open_mapped(sim, &m, &rep);
    assert_int_equal(m.n, 5);
    assert_int_equal(rep.last_lsn, l);
    assert_int_equal(fill_rec(log, 1, WK_SYNC), l + 1);
    wkt_assert_ok(wk_log_close(log));
    wk_sim_destroy(sim);
}

/* ---- lazy zero-fill; stats -------------------------------------------- */

static pthread_mutex_t hk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hk_cv = PTHREAD_COND_INITIALIZER;
static int hk_fills;    /* fill writes seen */
static char hk_seg[32]; /* segment of the first one */
static int hk_block;    /* LOG_HOOK_CREATE blocks while set */
static int hk_creates_blocked;

static void
hook(int what, wk_log *log, wk__seg *s, uint64_t off, uint64_t len)
{
    (void)off;
    (void)len;
    pthread_mutex_lock(&hk_mu);
    if (what == LOG_HOOK_FILL && ++hk_fills == 1) {
        snprintf(hk_seg, sizeof hk_seg, "%s", s->name);
        pthread_cond_broadcast(&hk_cv);
        pthread_mutex_unlock(&hk_mu);
        /* Keep this zero write "in progress" until an appender takes the
         * segment (it sets fill_abort, then waits for this write). */
        for (int i = 0; i < 10000; i++) {
            pthread_mutex_lock(&log->mu);
            int taken = s->fill_abort;
            pthread_mutex_unlock(&log->mu);
            if (taken)
                break;
            struct timespec ts = {0, 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        return;
    }
    if (what == LOG_HOOK_CREATE) {
        hk_creates_blocked += hk_block;
        pthread_cond_broadcast(&hk_cv);
        while (hk_block)
            pthread_cond_wait(&hk_cv, &hk_mu);
    }
    pthread_mutex_unlock(&hk_mu);
}

typedef struct tline_chk {
    char seg[64];
    int fills, frames, fill_after_frame;
} tline_chk;

/* Walks the sim trace: zero-fill writes (1 MiB at 4096 + k MiB) and other
 * writes (headers, frames) of one segment. */
static void
trace_scan(const char *trace, tline_chk *t, uint64_t seg_bytes)
{
    const char *p = trace;
    while (p != NULL && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(n < 255 ? n : 255), p);
        char path[128];
        unsigned long long off = 0, len = 0;
        if (sscanf(line, "pwrite %127s %llu+%llu", path, &off, &len) == 3 &&
            strcmp(path, t->seg) == 0) {
            uint64_t rest = seg_bytes - off;
            int is_fill = off >= 4096 && (off - 4096) % (1u << 20) == 0 &&
                          len == (rest < (1u << 20) ? rest : (1u << 20));
            if (off < 4096) {
                /* a header (FREE at creation, ACTIVE at activation) */
            } else if (is_fill) {
                t->fills++;
                if (t->frames > 0)
                    t->fill_after_frame = 1;
            } else {
                t->frames++;
            }
        }
        p = nl ? nl + 1 : NULL;
    }
}

/* A new segment taken for frames while the background thread is
 * zero-filling it: the appender waits only for the zero write in progress,
 * no zero write lands after a frame, and every entry is intact after a
 * reopen (and after a crash of the unsynced rest). */
static void
test_segment_taken_during_zero_fill(void **state)
{
    (void)state;
    reset_counters();
    const uint64_t segb = 4u << 20; /* four 1 MiB fill writes */
    wk_sim_opts so;
    wk_sim_opts_init(&so);
    so.trace = 1;
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(&so, &sim));
    hk_fills = 0;
    hk_seg[0] = '\0';
    wk__log_bg_hook = hook;
    wk_log_opts o;
    opts_for(&o, sim, NULL);
    o.segment_bytes = segb;
    o.zero_fill = 1;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open("log", &o, &log, NULL));
    pthread_mutex_lock(&hk_mu);
    while (hk_fills == 0)
        pthread_cond_wait(&hk_cv, &hk_mu);
    pthread_mutex_unlock(&hk_mu);
    /* The first append activates the segment being filled. */
    uint64_t l = fill_rec(log, 1, WK_SYNC);
    l = fill_rec(log, 300, 0);
    wkt_assert_ok(wk_log_sync(log, 0));
    uint64_t l2 = fill_rec(log, 50, 0); /* lost in the crash below */
    assert_true(l2 > l);
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    assert_int_equal(st.segment_bytes, segb);
    tline_chk t;
    memset(&t, 0, sizeof t);
    snprintf(t.seg, sizeof t.seg, "log/%s", hk_seg);
    trace_scan(wk_sim_trace(sim), &t, segb);
    assert_string_equal(hk_seg, "seg-000001.wal");
    assert_int_equal(t.fills, 1); /* the fill was aborted after one write */
    assert_true(t.frames >= 2);
    assert_false(t.fill_after_frame);
    crash(sim, log, 7, WK_SIM_DROP_ALL);
    wk__log_bg_hook = NULL;
    mapped m;
    wk_log_report rep;
    log = open_mapped(sim, &m, &rep);
    assert_int_equal(m.n, 301);
    assert_int_equal(m.last, l);
    assert_int_equal(rep.corruptions, 0);
    wkt_assert_ok(wk_log_close(log));
    wk_sim_destroy(sim);
}

typedef struct appender {
    wk_log *log;
    int n;
    int rc;
} appender;

static void *
append_main(void *arg)
{
    appender *a = arg;
    uint8_t buf[ELEN];
    memset(buf, 7, sizeof buf);
    for (int i = 0; i < a->n && a->rc == 0; i++)
        a->rc = wk_log_append(a->log, buf, sizeof buf, 0, NULL);
    return NULL;
}

/* rotation_waits counts rotations that found no prepared segment (here
 * the background thread is held before creating one); segment_bytes
 * reports the existing segments' size, not the opener's option. */
static void
test_stats_rotation_waits_and_segment_bytes(void **state)
{
    (void)state;
    wk_sim *sim = new_sim();
    wk_log_opts o;
    opts_for(&o, sim, NULL);
    o.zero_fill = 0;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open("log", &o, &log, NULL));
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    assert_int_equal(st.rotation_waits, 0);
    assert_int_equal(st.segment_bytes, 64 * 1024);
    pthread_mutex_lock(&hk_mu);
    hk_block = 1;
    hk_creates_blocked = 0;
    pthread_mutex_unlock(&hk_mu);
    wk__log_bg_hook = hook;
    /* Two segments are ready at open: ~500 entries fill one 64 KiB
     * segment, so 1500 need a third, which the held thread cannot make. */
    appender a = {log, 1500, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, append_main, &a), 0);
    int waited = 0;
    for (int i = 0; i < 5000 && !waited; i++) {
        wk_log_stats_get(log, &st);
        pthread_mutex_lock(&hk_mu);
        waited = st.rotation_waits > 0 && hk_creates_blocked > 0;
        pthread_mutex_unlock(&hk_mu);
        if (!waited) {
            struct timespec ts = {0, 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    pthread_mutex_lock(&hk_mu);
    int held = hk_creates_blocked;
    hk_block = 0;
    pthread_cond_broadcast(&hk_cv);
    pthread_mutex_unlock(&hk_mu);
    assert_int_equal(pthread_join(th, NULL), 0);
    wk__log_bg_hook = NULL;
    wkt_assert_ok(a.rc);
    assert_true(held >= 1);
    assert_true(waited);
    wk_log_stats_get(log, &st);
    assert_true(st.rotation_waits >= 1 && st.rotation_waits <= 3);
    wkt_assert_ok(wk_log_close(log));

    o.segment_bytes = 128 * 1024; /* the segments on disk are 64 KiB */
    wkt_assert_ok(wk_log_open("log", &o, &log, NULL));
    wk_log_stats_get(log, &st);
    assert_int_equal(st.segment_bytes, 64 * 1024);
    wkt_assert_ok(wk_log_close(log));
    wk_sim_destroy(sim);
}

/* batch_bytes above the cap that keeps the unsynced FSNs below the SKIP
 * jump is refused. */
static void
test_batch_bytes_cap(void **state)
{
    (void)state;
    wk_sim *sim = new_sim();
    wk_log_opts o;
    opts_for(&o, sim, NULL);
    o.segment_bytes = 256u << 20;
    o.batch_bytes = (64u << 20) + 1;
    wk_log *log = NULL;
    wkt_assert_rc(wk_log_open("log", &o, &log, NULL), -EINVAL);
    /* LOG_NBUF buffers of 24-byte frames stay below the jump */
    assert_true((uint64_t)LOG_NBUF * ((64u << 20) + 24) / 24 < SKIPD);
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
        cmocka_unit_test(test_undurable_later_batch),
        cmocka_unit_test(test_gap_and_bad_header),
        cmocka_unit_test(test_lsn_never_reused_after_crash),
        cmocka_unit_test(test_clean_close_keeps_lsns_dense),
        cmocka_unit_test(test_crash_with_only_skip_on_disk),
        cmocka_unit_test(test_segment_taken_during_zero_fill),
        cmocka_unit_test(test_stats_rotation_waits_and_segment_bytes),
        cmocka_unit_test(test_batch_bytes_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
