/* Regression tests for the defects of write-journal (DESIGN.md) and for the
 * recovery policies: tiny batches replay, oversize transactions fail at
 * once, abandoned transactions block nobody, the commit path is one journal
 * write plus one sync, reads of partial ranges over several unapplied
 * transactions are right, corruption in the middle is reported. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jt_txn.h"
#include "wkt.h"

typedef struct sfx {
    wk_sim *sim;
    wk_journal_opts o;
} sfx;

static int
sfx_setup(void **state)
{
    sfx *f = calloc(1, sizeof *f);
    wk_sim_opts so;
    wk_sim_opts_init(&so);
    so.trace = 1;
    wkt_assert_ok(wk_sim_create(&so, &f->sim));
    wk_journal_opts_init(&f->o);
    f->o.vfs = wk_sim_vfs(f->sim);
    f->o.journal_path = "data.jnl";
    f->o.capacity = 64 * 1024;
    f->o.checkpoint_pct = 0;
    wkt_assert_ok(wk_journal_format("data.img", &f->o));
    *state = f;
    return 0;
}

static int
sfx_teardown(void **state)
{
    sfx *f = *state;
    wk_sim_destroy(f->sim);
    free(f);
    return 0;
}

/* A second opener of the same data file gets -EBUSY (a lock file, not the
 * caller's discipline, keeps two writers apart); after close it opens. */
static void
test_second_opener_busy(void **state)
{
    sfx *f = *state;
    wk_journal *a = NULL, *b = NULL;
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &a, NULL));
    wkt_assert_rc(wk_journal_open("data.img", &f->o, &b, NULL), -EBUSY);
    assert_null(b);
    wkt_assert_ok(wk_journal_close(a));
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &b, NULL));
    wkt_assert_ok(wk_journal_close(b));
}

/* Power cut now: the handle dies with the disk. */
static void
power_cut(sfx *f, wk_journal *j, int policy)
{
    wkt_assert_ok(wk_sim_crash(f->sim, 1, policy));
    wk_journal_close(j); /* fails: its files died in the crash */
}

/* write-journal replayed nothing for a batch whose only write is <= 24
 * bytes; here an 8-byte transaction that never reached the data file is
 * replayed after a power cut. */
static void
test_eight_byte_batch_replays(void **state)
{
    sfx *f = *state;
    wk_journal *j = NULL;
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, NULL));
    jt_commit1(j, 4096, "ABCDEFGH", 8);
    power_cut(f, j, WK_SIM_DROP_ALL);
    uint8_t raw[8] = {0};
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(f->sim, "data.img", 4096, raw, 8, &n));
    assert_true(n < 8 || memcmp(raw, "ABCDEFGH", 8) != 0);
    wk_journal_report rep;
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, &rep));
    assert_int_equal(rep.batches, 1);
    assert_int_equal(rep.writes, 1);
    assert_int_equal(rep.bytes, 8);
    uint8_t got[8];
    wkt_assert_ok(wk_journal_read(j, 4096, 8, got));
    assert_memory_equal(got, "ABCDEFGH", 8);
    wkt_assert_ok(wk_journal_close(j));
    wkt_assert_ok(wk_sim_peek(f->sim, "data.img", 4096, raw, 8, &n));
    assert_memory_equal(raw, "ABCDEFGH", 8);
}

/* write-journal livelocked on a transaction larger than the journal; here
 * it fails at once with -E2BIG, even with the journal partly used. */
static void
test_oversize_fails_at_once(void **state)
{
    sfx *f = *state;
    wk_journal *j = NULL;
    f->o.full_wait_ms = 60000; /* a wait would show as a hang */
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, NULL));
    jt_commit1(j, 0, "x", 1);
    size_t big = 200 * 1024;
    uint8_t *p = calloc(1, big);
    time_t t0 = time(NULL);
    wk_journal_txn *t = NULL;
    wkt_assert_ok(wk_journal_begin(j, &t));
    wkt_assert_rc(wk_journal_write(t, 0, p, big), -E2BIG);
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++)
        rc = wk_journal_write(t, (uint64_t)i * 1000, p, 1000);
    wkt_assert_rc(rc, -E2BIG);
    wkt_assert_ok(wk_journal_commit(t, NULL)); /* what fitted commits */
    assert_true(time(NULL) - t0 < 5);
    free(p);
    wkt_assert_ok(wk_journal_close(j));
}

typedef struct cthr {
    wk_journal *j;
    int rc;
} cthr;

static void *
cthr_run(void *p)
{
    cthr *c = p;
    wk_journal_txn *t = NULL;
    c->rc = wk_journal_begin(c->j, &t);
    if (c->rc == 0 && (c->rc = wk_journal_write(t, 64, "other", 5)) == 0)
        c->rc = wk_journal_commit(t, NULL);
    return NULL;
}

/* write-journal let a begun, never committed transaction block every later
 * commit; here other commits (same and other threads) go through while it
 * stays open, and it can still be aborted or committed afterwards. */
static void
test_abandoned_txn_blocks_nobody(void **state)
{
    sfx *f = *state;
    wk_journal *j = NULL;
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, NULL));
    wk_journal_txn *a = NULL, *b = NULL;
    wkt_assert_ok(wk_journal_begin(j, &a));
    wkt_assert_ok(wk_journal_write(a, 0, "abandoned", 9));
    wkt_assert_ok(wk_journal_begin(j, &b));
    wkt_assert_ok(wk_journal_write(b, 32, "late", 4));
    for (int i = 0; i < 50; i++)
        jt_commit1(j, 100 + (uint64_t)i, "c", 1);
    cthr c = {j, -1};
    pthread_t th;
    pthread_create(&th, NULL, cthr_run, &c);
    pthread_join(th, NULL);
    wkt_assert_ok(c.rc);
    wkt_assert_ok(wk_journal_checkpoint(j));
    wkt_assert_ok(wk_journal_commit(b, NULL));
    wk_journal_abort(a);
    uint8_t got[9];
    wkt_assert_ok(wk_journal_read(j, 0, 9, got));
    assert_memory_equal(got, "\0\0\0\0\0\0\0\0\0", 9);
    wkt_assert_ok(wk_journal_read(j, 32, 4, got));
    assert_memory_equal(got, "late", 4);
    wkt_assert_ok(wk_journal_close(j));
}

/* write-journal paid 3 syncs per batch; here the commit path is exactly
 * one journal write and one fdatasync, and the data file is not touched. */
static void
test_one_write_one_sync_per_batch(void **state)
{
    sfx *f = *state;
    wk_journal *j = NULL;
    f->o.journal_path = "big.jnl"; /* room for every batch: no checkpoint */
    f->o.capacity = 1 << 20;
    wkt_assert_ok(wk_journal_format("data.img", &f->o));
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, NULL));
    uint8_t page[4096];
    for (int i = 0; i < 5; i++) {
        wk_sim_trace_clear(f->sim);
        wk_journal_txn *t = NULL;
        wkt_assert_ok(wk_journal_begin(j, &t));
        for (int w = 0; w < 4; w++) {
            wkt_fill(page, sizeof page, (uint64_t)(i * 4 + w));
            wkt_assert_ok(
                wk_journal_write(t, (uint64_t)(w * 7 + i) * 4096, page, 4096));
        }
        wkt_assert_ok(wk_journal_commit(t, NULL));
        const char *tr = wk_sim_trace(f->sim);
        const char *nl = strchr(tr, '\n');
        assert_non_null(nl);
        if (strncmp(tr, "pwrite big.jnl ", 15) != 0)
            fail_msg("trace: %s", tr);
        assert_string_equal(nl + 1, "datasync big.jnl\n");
    }
    wk_journal_stats st;
    wk_journal_stats_get(j, &st);
    assert_int_equal(st.batches, 5);
    assert_int_equal(st.syncs, 5);
    wkt_assert_ok(wk_journal_close(j));
}

/* write-journal's overlay answered only exact-offset reads; here reads of
 * any range that cuts across several committed, unapplied, overlapping
 * transactions return the right bytes, before and after replay. */
static void
test_partial_reads_over_unapplied(void **state)
{
    sfx *f = *state;
    wk_journal *j = NULL;
    uint8_t model[400];
    memset(model, 0, sizeof model);
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, NULL));
    jt_commit1(j, 0, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 40);
    wkt_assert_ok(wk_journal_checkpoint(j)); /* some bytes in the file */
    memset(model, 'z', 40);
    struct {
        uint64_t off;
        size_t len;
        char c;
    } w[] = {{0, 100, 'a'}, {50, 100, 'b'}, {120, 10, 'c'}, {10, 10, 'd'},
             {99, 2, 'e'},  {200, 50, 'f'}, {140, 70, 'g'}, {0, 1, 'h'}};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        uint8_t b[100];
        memset(b, w[i].c, w[i].len);
        jt_commit1(j, w[i].off, b, w[i].len);
        memcpy(model + w[i].off, b, w[i].len);
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t off = 0; off < 260; off += 7) {
            for (size_t len = 1; off + len <= 300; len += 13) {
                uint8_t got[300];
                wkt_assert_ok(wk_journal_read(j, off, len, got));
                assert_memory_equal(got, model + off, len);
            }
        }
        power_cut(f, j, WK_SIM_DROP_ALL);
        wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, NULL));
    }
    wkt_assert_ok(wk_journal_close(j));
}

/* Commits three one-write batches and cuts the power; returns the journal
 * file offset of batch 2. */
static uint64_t
three_batches(sfx *f)
{
    wk_journal *j = NULL;
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, NULL));
    jt_commit1(j, 0, "one", 3);
    jt_commit1(j, 8, "two", 3);
    jt_commit1(j, 16, "three", 5);
    power_cut(f, j, WK_SIM_DROP_ALL);
    return 8192 + 512;
}

static void
flip(sfx *f, uint64_t off)
{
    uint8_t b;
    size_t n;
    wkt_assert_ok(wk_sim_peek(f->sim, "data.jnl", off, &b, 1, &n));
    b ^= 0x40;
    wkt_assert_ok(wk_sim_poke(f->sim, "data.jnl", off, &b, 1));
}

/* A damaged batch followed by a valid one is corruption: open and verify
 * report it with its offset and sequence; point-in-time stops before it
 * (and the discarded batch never comes back); skip-corrupt keeps the rest. */
static void
test_corruption_in_the_middle(void **state)
{
    sfx *f = *state;
    uint64_t at = three_batches(f);
    flip(f, at + 40);
    wk_journal *j = NULL;
    wk_journal_report rep;
    wkt_assert_rc(wk_journal_open("data.img", &f->o, &j, &rep), WK_ECORRUPT);
    assert_int_equal(rep.corruptions, 1);
    assert_int_equal(rep.corruption[0].offset, at);
    assert_int_equal(rep.corruption[0].seq, 2);
    assert_int_equal(rep.batches, 1);
    wkt_assert_rc(wk_journal_verify("data.img", &f->o, &rep), WK_ECORRUPT);
    assert_int_equal(rep.corruptions, 1);

    wk_journal_opts o = f->o;
    o.recovery = WK_RECOVER_SKIP_CORRUPT;
    o.read_only = 1;
    wkt_assert_ok(wk_journal_open("data.img", &o, &j, &rep));
    uint8_t got[21];
    wkt_assert_ok(wk_journal_read(j, 0, 21, got));
    assert_memory_equal(got, "one\0\0\0\0\0\0\0\0\0\0\0\0\0three", 21);
    wkt_assert_ok(wk_journal_close(j));

    o.recovery = WK_RECOVER_POINT_IN_TIME;
    o.read_only = 0;
    wkt_assert_ok(wk_journal_open("data.img", &o, &j, &rep));
    assert_int_equal(rep.corruptions, 1);
    wkt_assert_ok(wk_journal_read(j, 0, 21, got));
    assert_memory_equal(got, "one\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 21);
    jt_commit1(j, 100, "new", 3);
    power_cut(f, j, WK_SIM_DROP_ALL);
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, &rep));
    assert_int_equal(rep.corruptions, 0);
    wkt_assert_ok(wk_journal_read(j, 0, 21, got));
    assert_memory_equal(got, "one\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 21);
    wkt_assert_ok(wk_journal_read(j, 100, 3, got));
    assert_memory_equal(got, "new", 3);
    wkt_assert_ok(wk_journal_close(j));
}

/* A damaged last batch is a torn tail: discarded and reported by default,
 * an error under the absolute policy. */
static void
test_torn_tail(void **state)
{
    sfx *f = *state;
    uint64_t at = three_batches(f);
    flip(f, at + 512 + 40);
    wk_journal *j = NULL;
    wk_journal_report rep;
    wk_journal_opts o = f->o;
    o.recovery = WK_RECOVER_ABSOLUTE;
    wkt_assert_rc(wk_journal_open("data.img", &o, &j, &rep), WK_ECORRUPT);
    wkt_assert_ok(wk_journal_verify("data.img", &f->o, &rep));
    assert_int_equal(rep.torn_offset, at + 512);
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, &rep));
    assert_int_equal(rep.batches, 2);
    assert_int_equal(rep.torn_bytes, 512);
    uint8_t got[21];
    wkt_assert_ok(wk_journal_read(j, 0, 21, got));
    assert_memory_equal(got, "one\0\0\0\0\0two\0\0\0\0\0\0\0\0\0\0", 21);
    jt_commit1(j, 16, "THREE", 5);
    wkt_assert_ok(wk_journal_close(j));
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, &rep));
    wkt_assert_ok(wk_journal_read(j, 16, 5, got));
    assert_memory_equal(got, "THREE", 5);
    wkt_assert_ok(wk_journal_close(j));
}

/* Bad or foreign superblocks: one damaged copy falls back to the other;
 * both damaged is WK_ECORRUPT. */
static void
test_superblock_damage(void **state)
{
    sfx *f = *state;
    wk_journal *j = NULL;
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, NULL));
    jt_commit1(j, 0, "keep", 4);
    wkt_assert_ok(wk_journal_checkpoint(j)); /* gen 2 in slot 0 */
    jt_commit1(j, 4, "more", 4);
    wkt_assert_ok(wk_journal_checkpoint(j)); /* gen 3 in slot 1 */
    wkt_assert_ok(wk_journal_close(j));
    flip(f, 4096 + 20); /* newest copy */
    wk_journal_report rep;
    wkt_assert_ok(wk_journal_open("data.img", &f->o, &j, &rep));
    assert_int_equal(rep.superblocks_valid, 1);
    uint8_t got[8];
    wkt_assert_ok(wk_journal_read(j, 0, 8, got));
    assert_memory_equal(got, "keepmore", 8);
    wkt_assert_ok(wk_journal_close(j));
    flip(f, 20);
    flip(f, 4096 + 20);
    wkt_assert_rc(wk_journal_open("data.img", &f->o, &j, &rep), WK_ECORRUPT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_second_opener_busy, sfx_setup,
                                        sfx_teardown),
        cmocka_unit_test_setup_teardown(test_eight_byte_batch_replays,
                                        sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_oversize_fails_at_once, sfx_setup,
                                        sfx_teardown),
        cmocka_unit_test_setup_teardown(test_abandoned_txn_blocks_nobody,
                                        sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_one_write_one_sync_per_batch,
                                        sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_partial_reads_over_unapplied,
                                        sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_corruption_in_the_middle,
                                        sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, sfx_setup,
                                        sfx_teardown),
        cmocka_unit_test_setup_teardown(test_superblock_damage, sfx_setup,
                                        sfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
