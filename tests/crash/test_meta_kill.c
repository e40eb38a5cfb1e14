/* meta_kill: real-kernel process-crash test of wk_meta (kill_harness.h).
 *
 * A forked child writes durable batches (wk_meta_write with WK_SYNC) from
 * KT_THREADS threads, with a small log so that background compaction runs
 * (and gets killed) too. Batch c of thread t in life L puts 1..8 keys of
 * its own and deletes every key of the same thread's batch c - MK_DEL_LAG,
 * so a batch that is applied only in part shows. After each SIGKILL the
 * test reopens the store twice (recovery is idempotent) and checks, per
 * (life, thread), that the state is exactly "batches 0..K-1 applied" with K
 * the number of acknowledged batches or one more (the batch in flight), and
 * that no key outside those batches exists. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kill_harness.h"
#include "walkit/meta.h"

#define MK_MAX_BATCHES 100000 /* per thread and life (never reached) */
#define MK_DEL_LAG 10         /* batch c deletes batch c - MK_DEL_LAG */
#define MK_MAX_KEYS 8         /* puts per batch */
#define MK_MAX_BYTES 64       /* small bytes per item */

typedef struct mk_round {
    uint64_t seed;
    int life;
    uint64_t acked[KT_LIVES][KT_THREADS]; /* batches acked */
    int started[KT_LIVES];                /* life ran */
} mk_round;

typedef struct mk_child {
    mk_round *R;
    wk_meta *m;
    int life;
    int thread;
} mk_child;

static uint64_t
mk_key(int life, int thread, uint64_t c, int i)
{
    return (uint64_t)life << 56 | (uint64_t)thread << 48 | c << 8 | (uint64_t)i;
}

/* Puts in batch c of (life, thread): 1..MK_MAX_KEYS. */
static int
mk_nkeys(uint64_t seed, int life, int thread, uint64_t c)
{
    return 1 +
           (int)(kt_mix(seed, (uint64_t)life << 8 | (uint64_t)thread, c, 0x4e) %
                 MK_MAX_KEYS);
}

/* Value and bytes of key i of batch c. */
static uint64_t
mk_item(uint64_t seed, uint64_t key, uint8_t *bytes, size_t *len)
{
    uint64_t h = kt_mix(seed, key, 0x17e3, 0);
    *len = (size_t)(h % (MK_MAX_BYTES + 1));
    uint64_t s = h | 1;
    for (size_t j = 0; j < *len; j++)
        bytes[j] = (uint8_t)wkt_rand(&s);
    return h;
}

static void
mk_opts(wk_meta_opts *o)
{
    wk_meta_opts_init(o);
    o->log_segment_bytes = 256u << 10;
    o->compact_log_bytes = 192u << 10; /* compaction every few hundred ms */
}

static void *
mk_thread_main(void *arg)
{
    mk_child *c = arg;
    uint64_t seed = c->R->seed;
    wk_meta_batch *b = NULL;
    int rc = wk_meta_batch_new(c->m, &b);
    if (rc != 0)
        kt_child_fail(c->life, c->thread, 0, rc);
    for (uint64_t k = 0; k < MK_MAX_BATCHES; k++) {
        wk_meta_batch_clear(b);
        int n = mk_nkeys(seed, c->life, c->thread, k);
        for (int i = 0; i < n && rc == 0; i++) {
            uint8_t bytes[MK_MAX_BYTES];
            size_t len;
            uint64_t key = mk_key(c->life, c->thread, k, i);
            uint64_t v = mk_item(seed, key, bytes, &len);
            rc = wk_meta_batch_put(b, key, v, bytes, len);
        }
        if (k >= MK_DEL_LAG) {
            uint64_t d = k - MK_DEL_LAG;
            int dn = mk_nkeys(seed, c->life, c->thread, d);
            for (int i = 0; i < dn && rc == 0; i++)
                rc = wk_meta_batch_del(b, mk_key(c->life, c->thread, d, i));
        }
        if (rc == 0)
            rc = wk_meta_write(c->m, b, WK_SYNC);
        if (rc != 0)
            kt_child_fail(c->life, c->thread, k, rc);
        kt_send(KT_ACK, c->life, c->thread, k, 0, 0);
    }
    kt_send(KT_DONE, c->life, c->thread, MK_MAX_BATCHES, 0, 0);
    for (;;)
        pause();
    return NULL;
}

static void
mk_child_main(void *arg)
{
    mk_child *base = arg;
    wk_meta_opts o;
    mk_opts(&o);
    wk_meta *m = NULL;
    int rc = wk_meta_open(kt_dir, &o, &m, NULL);
    if (rc != 0)
        kt_child_fail(base->life, 0, 0, rc);
    kt_send(KT_READY, base->life, 0, 0, 0, 0);
    mk_child c[KT_THREADS];
    for (int t = 0; t < KT_THREADS; t++) {
        c[t] = *base;
        c[t].m = m;
        c[t].thread = t;
    }
    kt_child_threads(base->life, mk_thread_main, c, sizeof c[0]);
}

static void
mk_on_rec(void *arg, const kt_rec *r)
{
    mk_round *R = arg;
    if (kt_rec_ok(r, KT_ACK, "wk_meta call"))
        kt_ack_next(&R->acked[r->life][r->thread], r);
}

/* Does the store hold exactly "batches 0..K-1 of (life, thread)
 * applied"? Counts the items it checked in *items. */
static int
mk_state_is(wk_meta *m, uint64_t seed, int life, int thread, uint64_t K,
            uint64_t *items)
{
    *items = 0;
    for (uint64_t c = 0; c < K + 1; c++) {
        int n = mk_nkeys(seed, life, thread, c);
        int live = c < K && c + MK_DEL_LAG >= K;
        for (int i = 0; i < n; i++) {
            uint64_t key = mk_key(life, thread, c, i);
            uint8_t want[MK_MAX_BYTES], got[MK_MAX_BYTES];
            size_t wlen, glen = 0;
            uint64_t wv = mk_item(seed, key, want, &wlen), gv = 0;
            int rc = wk_meta_get(m, key, &gv, got, sizeof got, &glen);
            if (!live) {
                if (rc != WK_ENOTFOUND)
                    return 0;
                continue;
            }
            if (rc != 0 || gv != wv || glen != wlen ||
                memcmp(got, want, wlen) != 0)
                return 0;
            (*items)++;
        }
    }
    return 1;
}

typedef struct mk_count {
    uint64_t n;
} mk_count;

static int
mk_count_fn(void *arg, uint64_t key, uint64_t value, const void *bytes,
            size_t len)
{
    (void)key, (void)value, (void)bytes, (void)len;
    ((mk_count *)arg)->n++;
    return 0;
}

/* Reopens twice and checks every (life, thread) of the lives run so far.
 * Returns the acked batches verified. */
static size_t
mk_verify(mk_round *R)
{
    size_t verified = 0;
    for (int pass = 0; pass < 2; pass++) {
        kt_phase(pass == 0 ? "reopening (recovery)" : "reopening again");
        wk_meta_opts o;
        mk_opts(&o);
        wk_meta *m = NULL;
        wk_meta_report rep;
        int rc = wk_meta_open(kt_dir, &o, &m, &rep);
        if (rc != 0) {
            kt_violation("wk_meta_open: %s (%s)", wk_errname(rc), rep.errmsg);
            return verified;
        }
        kt_phase("checking every acked batch");
        uint64_t expect_items = 0;
        for (int l = 0; l <= R->life; l++) {
            for (int t = 0; t < KT_THREADS; t++) {
                uint64_t A = R->acked[l][t], items = 0;
                if (mk_state_is(m, R->seed, l, t, A, &items)) {
                    expect_items += items;
                } else if (mk_state_is(m, R->seed, l, t, A + 1, &items)) {
                    expect_items += items; /* the batch in flight landed */
                } else {
                    kt_violation("life %d thread %d: state is not 'batches "
                                 "0..K-1 applied' for K = %" PRIu64
                                 " (acked) or K + 1",
                                 l, t, A);
                }
                if (pass == 0)
                    verified += A;
            }
        }
        mk_count cnt = {0};
        rc = wk_meta_scan(m, 0, mk_count_fn, &cnt);
        if (rc != 0)
            kt_violation("wk_meta_scan: %s", wk_errname(rc));
        else if (cnt.n != expect_items)
            kt_violation("store holds %" PRIu64 " items, expected %" PRIu64,
                         cnt.n, expect_items);
        kt_phase("closing");
        rc = wk_meta_close(m);
        if (rc != 0)
            kt_violation("wk_meta_close: %s", wk_errname(rc));
    }
    return verified;
}

/* Every batch acknowledged by a SIGKILLed writer survives, whole, and no
 * unacknowledged batch is visible in part. */
static void
test_meta_kill(void **state)
{
    (void)state;
    uint64_t base = kt_base_seed("meta_kill");
    int rounds = wkt_quick() ? 2 : 6;
    size_t total = 0;
    for (int r = 0; r < rounds; r++) {
        mk_round R;
        memset(&R, 0, sizeof R);
        R.seed = kt_mix(base, (uint64_t)r, 0x3e7a, 0);
        kt_dir = wkt_tmpdir("meta_kill");
        assert_non_null(kt_dir);
        for (int L = 0; L < KT_LIVES; L++) {
            R.life = L;
            snprintf(kt_ctx, sizeof kt_ctx,
                     "meta_kill round %d seed 0x%" PRIx64 " life %d", r, R.seed,
                     L);
            mk_child c = {&R, NULL, L, 0};
            if (kt_life(mk_child_main, &c, R.seed, L, mk_on_rec, &R) != 0)
                break;
            total += mk_verify(&R);
        }
        alarm(0);
        wkt_tmpdir_remove(kt_dir);
        kt_dir = NULL;
    }
    kt_summary("meta_kill", "batches", total, rounds, base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_meta_kill, kt_teardown),
    };
    return cmocka_run_group_tests_name("meta_kill", tests, NULL, NULL);
}
