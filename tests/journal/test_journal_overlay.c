/* Overlay property tests: the journal's committed view (and the interval
 * map under it) against a flat in-memory model, with random overlapping
 * transactions, random reads, checkpoints and reopens. */
#include <stdlib.h>
#include <string.h>

#include "journal/overlay.h"
#include "common/alloc.h"
#include "wkt.h"

#define SPACE 65536u

/* The interval map alone: random inserts with increasing seq, random prunes
 * and random reads agree with a byte array that remembers each byte's seq. */
static void
test_interval_map_vs_model(void **state)
{
    (void)state;
    uint64_t rs = 42;
    static uint8_t model[SPACE], got[SPACE];
    static uint64_t mseq[SPACE];
    int rounds = wkt_quick() ? 3 : 20;
    for (int round = 0; round < rounds; round++) {
        wk__ovl o;
        wk__ovl_init(&o);
        memset(model, 0, sizeof model);
        memset(mseq, 0, sizeof mseq);
        uint64_t seq = 0;
        for (int op = 0; op < 2000; op++) {
            uint64_t r = wkt_rand(&rs) % 100;
            if (r < 70) {
                uint64_t len = 1 + wkt_rand(&rs) % (r < 10 ? 8000 : 300);
                uint64_t off = wkt_rand(&rs) % (SPACE - len);
                wk__jbuf *b = wk__malloc(sizeof *b + len);
                b->refs = 0;
                b->size = len;
                wkt_fill(b->data, len, wkt_rand(&rs));
                seq++;
                wk__ovl_hold(&o, b);
                wk__ovl_insert(&o, off, len, seq, b->data, b,
                               wk__malloc(sizeof(wk__ovl_node)),
                               wk__malloc(sizeof(wk__ovl_node)));
                wk__jbuf_unref(&o, b);
                memcpy(model + off, b->data, len);
                for (uint64_t k = off; k < off + len; k++)
                    mseq[k] = seq;
            } else if (r < 73) {
                uint64_t upto = seq ? wkt_rand(&rs) % (seq + 1) : 0;
                wk__ovl_prune(&o, upto);
                for (uint64_t k = 0; k < SPACE; k++)
                    if (mseq[k] <= upto) {
                        mseq[k] = 0;
                        model[k] = 0;
                    }
            } else {
                uint64_t len = 1 + wkt_rand(&rs) % 5000;
                uint64_t off = wkt_rand(&rs) % (SPACE - len);
                memset(got, 0, len);
                wk__ovl_read(&o, off, len, got);
                assert_memory_equal(got, model + off, len);
            }
        }
        /* Walking with ovl_next visits exactly the covered bytes. */
        uint64_t covered = 0, pos = 0;
        const wk__ovl_node *e;
        while ((e = wk__ovl_next(&o, pos)) != NULL) {
            assert_true(e->off >= pos);
            covered += e->len;
            pos = e->off + e->len;
        }
        uint64_t want = 0;
        for (uint64_t k = 0; k < SPACE; k++)
            want += mseq[k] != 0;
        assert_int_equal(covered, want);
        wk__ovl_clear(&o);
        assert_int_equal(o.bytes, 0);
        assert_int_equal(o.extents, 0);
    }
}

static void
reopen(wk_journal **j, const wk_journal_opts *o)
{
    wkt_assert_ok(wk_journal_close(*j));
    *j = NULL;
    wkt_assert_ok(wk_journal_open("data.img", o, j, NULL));
}

/* The journal's committed view equals the model for random overlapping
 * transactions, aborted ones excluded, across checkpoints, reopens and
 * (in half of the rounds) region mode; the overlay stays under its cap. */
static void
test_journal_vs_model(void **state)
{
    (void)state;
    uint64_t rs = 7;
    static uint8_t model[SPACE], got[SPACE], wbuf[SPACE];
    int rounds = wkt_quick() ? 2 : 6;
    for (int round = 0; round < rounds; round++) {
        wk_sim *sim = NULL;
        wkt_assert_ok(wk_sim_create(NULL, &sim));
        wk_journal_opts o;
        wk_journal_opts_init(&o);
        o.vfs = wk_sim_vfs(sim);
        o.capacity = 128 * 1024;
        o.overlay_max_bytes = 48 * 1024;
        o.checkpoint_pct = (round % 3 == 0) ? 50 : 0;
        if (round % 2 == 0) {
            o.journal_path = "data.jnl";
        } else {
            o.region_offset = 4 * SPACE; /* past every write */
        }
        wkt_assert_ok(wk_journal_format("data.img", &o));
        wk_journal *j = NULL;
        wkt_assert_ok(wk_journal_open("data.img", &o, &j, NULL));
        memset(model, 0, sizeof model);
        for (int op = 0; op < 1500; op++) {
            uint64_t r = wkt_rand(&rs) % 100;
            if (r < 45) {
                wk_journal_txn *t = NULL;
                wkt_assert_ok(wk_journal_begin(j, &t));
                int nw = 1 + (int)(wkt_rand(&rs) % 5);
                int keep = wkt_rand(&rs) % 10 != 0;
                static uint8_t pend[SPACE];
                memcpy(pend, model, SPACE);
                for (int w = 0; w < nw; w++) {
                    uint64_t len = 1 + wkt_rand(&rs) % (w == 0 ? 3000 : 200);
                    uint64_t off = wkt_rand(&rs) % (SPACE - len);
                    wkt_fill(wbuf, len, wkt_rand(&rs));
                    wkt_assert_ok(wk_journal_write(t, off, wbuf, len));
                    memcpy(pend + off, wbuf, len);
                }
                if (keep) {
                    wkt_assert_ok(wk_journal_commit(t, NULL));
                    memcpy(model, pend, SPACE);
                } else {
                    wk_journal_abort(t);
                }
            } else if (r < 90) {
                uint64_t len = 1 + wkt_rand(&rs) % 8000;
                uint64_t off = wkt_rand(&rs) % (SPACE - len);
                wkt_assert_ok(wk_journal_read(j, off, len, got));
                assert_memory_equal(got, model + off, len);
            } else if (r < 95) {
                wkt_assert_ok(wk_journal_checkpoint(j));
            } else {
                reopen(&j, &o);
            }
            wk_journal_stats st;
            wk_journal_stats_get(j, &st);
            assert_true(st.overlay_bytes <= o.overlay_max_bytes + 4096);
        }
        wkt_assert_ok(wk_journal_read(j, 0, SPACE, got));
        assert_memory_equal(got, model, SPACE);
        reopen(&j, &o);
        wkt_assert_ok(wk_journal_read(j, 0, SPACE, got));
        assert_memory_equal(got, model, SPACE);
        wkt_assert_ok(wk_journal_close(j));
        /* After close the data file itself holds the committed view. */
        size_t n = 0;
        memset(got, 0, SPACE);
        wkt_assert_ok(wk_sim_peek(sim, "data.img", 0, got, SPACE, &n));
        assert_memory_equal(got, model, SPACE);
        wk_sim_destroy(sim);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval_map_vs_model),
        cmocka_unit_test(test_journal_vs_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
