/* blob_kill: real-kernel process-crash test of wk_blob (kill_harness.h).
 *
 * A forked child runs KT_THREADS threads; thread t puts objects k = 0, 1,
 * ... of 0..48 KiB (tag = its identity, bytes derived from it) with
 * WK_SYNC, and after every second put deletes its object k - BK_DEL_LAG
 * (WK_SYNC), in small chunks (so chunks fill, seal and get removed) with
 * frequent index snapshots. After each SIGKILL the test reopens twice
 * (recovery is idempotent) and checks: every acked put whose delete was not
 * acked is there, under its acked id, byte for byte; every acked delete is
 * gone; every object listed is one some child put, with the right bytes;
 * and wk_blob_verify finds nothing corrupt. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kill_harness.h"
#include "walkit/blob.h"

#define BK_MAX_PUTS 4096 /* per thread and life (the child stops there) */
#define BK_DEL_LAG 6     /* put k (even) is followed by delete k - lag */
#define BK_MAX_LEN (48u << 10)
#define BK_DEL_ACK KT_CKPT /* record type: counter = deleted object */

typedef struct bk_round {
    uint64_t seed;
    int life;
    uint64_t puts[KT_LIVES][KT_THREADS];    /* puts acked (0..puts-1) */
    uint64_t *ids[KT_LIVES][KT_THREADS];    /* acked id of each put */
    uint8_t *deleted[KT_LIVES][KT_THREADS]; /* delete acked */
} bk_round;

typedef struct bk_child {
    bk_round *R;
    wk_blob *b;
    int life;
    int thread;
} bk_child;

static uint64_t
bk_tag(int life, int thread, uint64_t k)
{
    return 1 + ((uint64_t)life << 56 | (uint64_t)thread << 48 | k);
}

/* The bytes of object (life, thread, k) into buf; returns the length. */
static size_t
bk_bytes(uint64_t seed, uint64_t tag, uint8_t *buf)
{
    uint64_t h = kt_mix(seed, tag, 0xb10b, 0);
    size_t len = (size_t)(h % (BK_MAX_LEN + 1));
    if (h % 8 == 0)
        len %= 512; /* many small ones too */
    uint64_t s = h | 1;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = wkt_rand(&s);
        size_t n = len - i < 8 ? len - i : 8;
        memcpy(buf + i, &v, n);
    }
    return len;
}

static void
bk_opts(wk_blob_opts *o)
{
    wk_blob_opts_init(o);
    o->chunk_bytes = 512u << 10;
    o->log_segment_bytes = 256u << 10;
    o->checkpoint_bytes = 128u << 10;
}

static void *
bk_thread_main(void *arg)
{
    bk_child *c = arg;
    uint8_t *buf = malloc(BK_MAX_LEN);
    if (buf == NULL)
        kt_child_fail(c->life, c->thread, 0, WK_ENOMEM);
    uint64_t *ids = calloc(BK_MAX_PUTS, sizeof *ids);
    if (ids == NULL)
        kt_child_fail(c->life, c->thread, 0, WK_ENOMEM);
    for (uint64_t k = 0; k < BK_MAX_PUTS; k++) {
        uint64_t tag = bk_tag(c->life, c->thread, k);
        size_t len = bk_bytes(c->R->seed, tag, buf);
        int rc = wk_blob_put(c->b, buf, len, tag, WK_SYNC, &ids[k]);
        if (rc != 0)
            kt_child_fail(c->life, c->thread, k, rc);
        kt_send(KT_ACK, c->life, c->thread, k, ids[k], 0);
        if (k % 2 == 0 && k >= BK_DEL_LAG) {
            uint64_t d = k - BK_DEL_LAG;
            rc = wk_blob_delete(c->b, ids[d], WK_SYNC);
            if (rc != 0)
                kt_child_fail(c->life, c->thread, d, rc);
            kt_send(BK_DEL_ACK, c->life, c->thread, d, ids[d], 0);
        }
    }
    kt_send(KT_DONE, c->life, c->thread, BK_MAX_PUTS, 0, 0);
    for (;;)
        pause();
    return NULL;
}

static void
bk_child_main(void *arg)
{
    bk_child *base = arg;
    wk_blob_opts o;
    bk_opts(&o);
    wk_blob *b = NULL;
    int rc = wk_blob_open(kt_dir, &o, &b, NULL);
    if (rc != 0)
        kt_child_fail(base->life, 0, 0, rc);
    kt_send(KT_READY, base->life, 0, 0, 0, 0);
    bk_child c[KT_THREADS];
    for (int t = 0; t < KT_THREADS; t++) {
        c[t] = *base;
        c[t].b = b;
        c[t].thread = t;
    }
    kt_child_threads(base->life, bk_thread_main, c, sizeof c[0]);
}

static void
bk_on_rec(void *arg, const kt_rec *r)
{
    bk_round *R = arg;
    int del = r->type == BK_DEL_ACK;
    if (!kt_rec_ok(r, del ? BK_DEL_ACK : KT_ACK, "wk_blob call") ||
        r->counter >= BK_MAX_PUTS)
        return;
    if (del) {
        R->deleted[r->life][r->thread][r->counter] = 1;
        return;
    }
    R->ids[r->life][r->thread][r->counter] = r->lsn;
    kt_ack_next(&R->puts[r->life][r->thread], r);
}

typedef struct bk_list {
    bk_round *R;
    wk_blob *b;
    uint8_t *want, *got;
    uint64_t n;
} bk_list;

/* Every listed object must be one a child put (at most one put past the
 * acked ones per thread), with its bytes. */
static int
bk_list_fn(void *arg, const wk_blob_info *info)
{
    bk_list *L = arg;
    uint64_t t0 = info->tag - 1;
    int life = (int)(t0 >> 56), thread = (int)(t0 >> 48 & 0xff);
    uint64_t k = t0 & ((1ull << 48) - 1);
    L->n++;
    if (life > L->R->life || thread >= KT_THREADS ||
        k > L->R->puts[life][thread]) {
        kt_violation("object %" PRIu64 " has a tag no child put: 0x%" PRIx64,
                     info->id, info->tag);
        return 0;
    }
    size_t len = bk_bytes(L->R->seed, info->tag, L->want);
    if (info->len != len) {
        kt_violation("object %" PRIu64 " (life %d thread %d put %" PRIu64
                     "): %" PRIu64 " bytes, put %zu",
                     info->id, life, thread, k, info->len, len);
        return 0;
    }
    int rc = len == 0 ? 0 : wk_blob_read(L->b, info->id, 0, L->got, len);
    if (rc != 0 || memcmp(L->got, L->want, len) != 0)
        kt_violation("object %" PRIu64 " (life %d thread %d put %" PRIu64
                     "): bytes differ (read: %s)",
                     info->id, life, thread, k, wk_errname(rc));
    return 0;
}

/* Reopens twice and checks every acked put and delete so far. Returns the
 * acked puts verified. */
static size_t
bk_verify(bk_round *R)
{
    size_t verified = 0;
    bk_list L = {R, NULL, malloc(BK_MAX_LEN), malloc(BK_MAX_LEN), 0};
    assert_non_null(L.want);
    assert_non_null(L.got);
    for (int pass = 0; pass < 2; pass++) {
        kt_phase(pass == 0 ? "reopening (recovery)" : "reopening again");
        wk_blob_opts o;
        bk_opts(&o);
        wk_blob *b = NULL;
        wk_blob_report rep;
        int rc = wk_blob_open(kt_dir, &o, &b, &rep);
        if (rc != 0) {
            kt_violation("wk_blob_open: %s (%s)", wk_errname(rc), rep.problem);
            break;
        }
        kt_phase("checking every acked put and delete");
        for (int l = 0; l <= R->life; l++) {
            for (int t = 0; t < KT_THREADS; t++) {
                /* The delete that may have been in flight at the kill:
                 * after the last acked put, of the object lag before it. */
                uint64_t P = R->puts[l][t];
                uint64_t inflight_del = P > BK_DEL_LAG && (P - 1) % 2 == 0
                                            ? P - 1 - BK_DEL_LAG
                                            : UINT64_MAX;
                for (uint64_t k = 0; k < P; k++) {
                    wk_blob_info info;
                    rc = wk_blob_stat(b, R->ids[l][t][k], &info);
                    if (k == inflight_del && !R->deleted[l][t][k] &&
                        rc == WK_ENOTFOUND)
                        continue; /* deleted, ack lost with the child */
                    if (R->deleted[l][t][k]) {
                        if (rc != WK_ENOTFOUND)
                            kt_violation(
                                "life %d thread %d put %" PRIu64
                                ": acked delete of id %" PRIu64 " undone (%s)",
                                l, t, k, R->ids[l][t][k], wk_errname(rc));
                    } else if (rc != 0 || info.tag != bk_tag(l, t, k)) {
                        kt_violation("life %d thread %d put %" PRIu64
                                     ": acked id %" PRIu64 " lost (%s)",
                                     l, t, k, R->ids[l][t][k], wk_errname(rc));
                    }
                }
                if (pass == 0)
                    verified += R->puts[l][t];
            }
        }
        L.b = b;
        L.n = 0;
        kt_phase("listing and reading every object");
        rc = wk_blob_list(b, 0, bk_list_fn, &L);
        if (rc != 0)
            kt_violation("wk_blob_list: %s", wk_errname(rc));
        kt_phase("closing");
        rc = wk_blob_close(b);
        if (rc != 0)
            kt_violation("wk_blob_close: %s", wk_errname(rc));
    }
    kt_phase("wk_blob_verify");
    wk_blob_report rep;
    int rc = wk_blob_verify(kt_dir, NULL, &rep);
    if (rc != 0)
        kt_violation("wk_blob_verify: %s (%s)", wk_errname(rc), rep.problem);
    free(L.want);
    free(L.got);
    return verified;
}

/* Every put and delete acknowledged by a SIGKILLed writer survives, and
 * nothing false is ever read back. */
static void
test_blob_kill(void **state)
{
    (void)state;
    uint64_t base = kt_base_seed("blob_kill");
    int rounds = wkt_quick() ? 2 : 5;
    size_t total = 0;
    for (int r = 0; r < rounds; r++) {
        bk_round R;
        memset(&R, 0, sizeof R);
        R.seed = kt_mix(base, (uint64_t)r, 0xb10b, 1);
        for (int l = 0; l < KT_LIVES; l++) {
            for (int t = 0; t < KT_THREADS; t++) {
                R.ids[l][t] = calloc(BK_MAX_PUTS, sizeof(uint64_t));
                R.deleted[l][t] = calloc(BK_MAX_PUTS, 1);
                assert_non_null(R.ids[l][t]);
                assert_non_null(R.deleted[l][t]);
            }
        }
        kt_dir = wkt_tmpdir("blob_kill");
        assert_non_null(kt_dir);
        for (int L = 0; L < KT_LIVES; L++) {
            R.life = L;
            snprintf(kt_ctx, sizeof kt_ctx,
                     "blob_kill round %d seed 0x%" PRIx64 " life %d", r, R.seed,
                     L);
            bk_child c = {&R, NULL, L, 0};
            if (kt_life(bk_child_main, &c, R.seed, L, bk_on_rec, &R) != 0)
                break;
            total += bk_verify(&R);
        }
        alarm(0);
        for (int l = 0; l < KT_LIVES; l++) {
            for (int t = 0; t < KT_THREADS; t++) {
                free(R.ids[l][t]);
                free(R.deleted[l][t]);
            }
        }
        wkt_tmpdir_remove(kt_dir);
        kt_dir = NULL;
    }
    kt_summary("blob_kill", "puts", total, rounds, base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_blob_kill, kt_teardown),
    };
    return cmocka_run_group_tests_name("blob_kill", tests, NULL, NULL);
}
