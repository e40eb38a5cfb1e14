/* ring_kill: real-kernel process-crash test of wk_ring (kill_harness.h).
 *
 * A forked child appends entries (16..600 bytes: its identity, an FNV-1a
 * of the rest, seeded bytes) with WK_SYNC from KT_THREADS threads; its
 * thread 0 also frees, every 64 appends, the entries of earlier lives from
 * the head (wk_ring_advance_head with a garbage check), so head moves are
 * killed too. The ring is small enough to wrap. After each SIGKILL the test
 * reopens twice (recovery is idempotent) and walks the ring from the head:
 * every entry must be whole and one some child appended; per (life,
 * thread) the entries present must be consecutive, in order; for the life
 * just killed they must be exactly 0..K-1 with K the acked count or one
 * more; earlier lives may only have lost a prefix (freed from the head).
 * Then the parent frees everything but the last life (so the ring keeps
 * wrapping) and wk_ring_verify must be clean. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kill_harness.h"
#include "walkit/ring.h"

#define RK_CAPACITY (8u << 20)
#define RK_HDR 28u /* life u8, thread u8, pad u16, counter u64, fnv u32, .. */
#define RK_MAX_LEN 600u
#define RK_MAX_APPENDS (1u << 20)
#define RK_GC_EVERY 64

typedef struct rk_round {
    uint64_t seed;
    int life;
    char *path;
    uint64_t acked[KT_LIVES][KT_THREADS];
    uint64_t end[KT_LIVES][KT_THREADS];   /* entries 0..end-1 exist (K) */
    uint64_t first[KT_LIVES][KT_THREADS]; /* lowest counter still present */
} rk_round;

typedef struct rk_child {
    rk_round *R;
    wk_ring *r;
    int life;
    int thread;
} rk_child;

/* Builds entry (life, thread, k) in buf; returns its length. */
static size_t
rk_entry(uint64_t seed, int life, int thread, uint64_t k, uint8_t *buf)
{
    uint64_t h = kt_mix(seed, (uint64_t)life << 8 | (uint64_t)thread, k, 0x41);
    size_t len = RK_HDR + (size_t)(h % (RK_MAX_LEN - RK_HDR + 1));
    memset(buf, 0, RK_HDR);
    buf[0] = (uint8_t)life;
    buf[1] = (uint8_t)thread;
    for (int i = 0; i < 8; i++)
        buf[4 + i] = (uint8_t)(k >> (8 * i));
    kt_put32(buf + 16, (uint32_t)len);
    uint64_t s = h | 1;
    for (size_t i = RK_HDR; i < len; i++)
        buf[i] = (uint8_t)wkt_rand(&s);
    kt_put32(buf + 12, kt_fnv(buf + 16, len - 16));
    return len;
}

/* Parses and checks an entry's own checksum. 0 if whole. */
static int
rk_parse(const uint8_t *p, size_t len, int *life, int *thread, uint64_t *k)
{
    if (len < RK_HDR || kt_get32(p + 16) != len ||
        kt_get32(p + 12) != kt_fnv(p + 16, len - 16))
        return -1;
    *life = p[0];
    *thread = p[1];
    *k = 0;
    for (int i = 0; i < 8; i++)
        *k |= (uint64_t)p[4 + i] << (8 * i);
    return 0;
}

static int
rk_gc_earlier_lives(void *arg, uint64_t pos, const void *data, size_t len)
{
    (void)pos;
    int life = *(const int *)arg, l, t;
    uint64_t k;
    if (rk_parse(data, len, &l, &t, &k) != 0)
        return -EIO;
    return l < life ? 1 : 0;
}

static void *
rk_thread_main(void *arg)
{
    rk_child *c = arg;
    uint8_t buf[RK_MAX_LEN];
    for (uint64_t k = 0; k < RK_MAX_APPENDS; k++) {
        size_t len = rk_entry(c->R->seed, c->life, c->thread, k, buf);
        uint64_t pos = 0;
        int rc = wk_ring_append(c->r, buf, len, WK_SYNC, &pos);
        if (rc == WK_EFULL)
            break; /* a full ring is not a failure: stop here */
        if (rc != 0)
            kt_child_fail(c->life, c->thread, k, rc);
        kt_send(KT_ACK, c->life, c->thread, k, pos, 0);
        if (c->thread == 0 && k % RK_GC_EVERY == RK_GC_EVERY - 1) {
            rc =
                wk_ring_advance_head(c->r, rk_gc_earlier_lives, &c->life, NULL);
            if (rc != 0)
                kt_child_fail(c->life, c->thread, k, rc);
        }
    }
    kt_send(KT_DONE, c->life, c->thread, 0, 0, 0);
    for (;;)
        pause();
    return NULL;
}

static void
rk_child_main(void *arg)
{
    rk_child *base = arg;
    wk_ring_opts o;
    wk_ring_opts_init(&o);
    wk_ring *r = NULL;
    int rc = wk_ring_open(base->R->path, &o, &r, NULL);
    if (rc != 0)
        kt_child_fail(base->life, 0, 0, rc);
    kt_send(KT_READY, base->life, 0, 0, 0, 0);
    rk_child c[KT_THREADS];
    for (int t = 0; t < KT_THREADS; t++) {
        c[t] = *base;
        c[t].r = r;
        c[t].thread = t;
    }
    kt_child_threads(base->life, rk_thread_main, c, sizeof c[0]);
}

static void
rk_on_rec(void *arg, const kt_rec *r)
{
    rk_round *R = arg;
    if (kt_rec_ok(r, KT_ACK, "wk_ring call"))
        kt_ack_next(&R->acked[r->life][r->thread], r);
}

/* Walks the ring from the head and checks it against the acks. Returns
 * the acked entries of the last life verified. */
static size_t
rk_walk(rk_round *R, wk_ring *r)
{
    uint64_t lo[KT_LIVES][KT_THREADS], next[KT_LIVES][KT_THREADS];
    int seen[KT_LIVES][KT_THREADS];
    memset(seen, 0, sizeof seen);
    wk_ring_iter *it = NULL;
    wkt_assert_ok(wk_ring_iter_open(r, &it));
    uint64_t pos;
    const void *data;
    size_t len;
    int rc;
    while ((rc = wk_ring_iter_next(it, &pos, &data, &len)) == 0) {
        int l, t;
        uint64_t k;
        if (rk_parse(data, len, &l, &t, &k) != 0 || l > R->life ||
            t >= KT_THREADS) {
            kt_violation("entry at %" PRIu64 " (%zu bytes) is not one a child "
                         "appended",
                         pos, len);
            continue;
        }
        uint8_t want[RK_MAX_LEN];
        if (rk_entry(R->seed, l, t, k, want) != len ||
            memcmp(want, data, len) != 0) {
            kt_violation("entry at %" PRIu64 " differs from what life %d "
                         "thread %d appended as %" PRIu64,
                         pos, l, t, k);
            continue;
        }
        if (!seen[l][t]) {
            seen[l][t] = 1;
            lo[l][t] = k;
        } else if (k != next[l][t]) {
            kt_violation("life %d thread %d: entry %" PRIu64
                         " follows %" PRIu64,
                         l, t, k, next[l][t] - 1);
        }
        next[l][t] = k + 1;
    }
    if (rc != WK_ENOTFOUND)
        kt_violation("wk_ring_iter_next: %s", wk_errname(rc));
    wk_ring_iter_close(it);
    size_t verified = 0;
    for (int l = 0; l <= R->life; l++) {
        for (int t = 0; t < KT_THREADS; t++) {
            uint64_t A = R->acked[l][t];
            uint64_t end = seen[l][t] ? next[l][t] : 0;
            if (l == R->life) {
                if ((seen[l][t] && lo[l][t] != 0) || end < A || end > A + 1)
                    kt_violation("life %d thread %d: entries %" PRIu64
                                 "..%" PRIu64 " present, %" PRIu64 " acked",
                                 l, t, seen[l][t] ? lo[l][t] : 0, end, A);
                R->end[l][t] = end;
                R->first[l][t] = 0;
                verified += A;
            } else if (seen[l][t]) {
                /* An earlier life: only a prefix may have been freed. */
                if (end != R->end[l][t] || lo[l][t] < R->first[l][t])
                    kt_violation("life %d thread %d: entries %" PRIu64
                                 "..%" PRIu64 " present, expected a suffix "
                                 "of %" PRIu64 "..%" PRIu64,
                                 l, t, lo[l][t], end, R->first[l][t],
                                 R->end[l][t]);
                R->first[l][t] = lo[l][t];
            } else {
                R->first[l][t] = R->end[l][t]; /* all freed */
            }
        }
    }
    return verified;
}

static size_t
rk_verify(rk_round *R)
{
    size_t verified = 0;
    for (int pass = 0; pass < 2; pass++) {
        kt_phase(pass == 0 ? "reopening (recovery)" : "reopening again");
        wk_ring_opts o;
        wk_ring_opts_init(&o);
        wk_ring *r = NULL;
        wk_ring_report rep;
        int rc = wk_ring_open(R->path, &o, &r, &rep);
        if (rc != 0) {
            kt_violation("wk_ring_open: %s", wk_errname(rc));
            return verified;
        }
        kt_phase("walking the ring");
        size_t n = rk_walk(R, r);
        if (pass == 0)
            verified = n;
        if (pass == 1) {
            /* Free the lives before this one, so the ring keeps wrapping. */
            kt_phase("advancing the head");
            int life = R->life;
            rc = wk_ring_advance_head(r, rk_gc_earlier_lives, &life, NULL);
            if (rc != 0)
                kt_violation("wk_ring_advance_head: %s", wk_errname(rc));
        }
        kt_phase("closing");
        rc = wk_ring_close(r);
        if (rc != 0)
            kt_violation("wk_ring_close: %s", wk_errname(rc));
    }
    kt_phase("wk_ring_verify");
    wk_ring_opts o;
    wk_ring_opts_init(&o);
    wk_ring_report rep;
    int rc = wk_ring_verify(R->path, &o, &rep);
    if (rc != 0)
        kt_violation("wk_ring_verify: %s", wk_errname(rc));
    return verified;
}

/* Every entry acknowledged by a SIGKILLed appender survives, in order, and
 * head moves never lose a live entry. */
static void
test_ring_kill(void **state)
{
    (void)state;
    uint64_t base = kt_base_seed("ring_kill");
    int rounds = wkt_quick() ? 2 : 5;
    size_t total = 0;
    for (int rd = 0; rd < rounds; rd++) {
        rk_round R;
        memset(&R, 0, sizeof R);
        R.seed = kt_mix(base, (uint64_t)rd, 0x5171, 0);
        kt_dir = wkt_tmpdir("ring_kill");
        assert_non_null(kt_dir);
        size_t n = strlen(kt_dir) + 16;
        R.path = malloc(n);
        assert_non_null(R.path);
        snprintf(R.path, n, "%s/ring", kt_dir);
        wk_ring_opts o;
        wk_ring_opts_init(&o);
        o.capacity = RK_CAPACITY;
        kt_phase("formatting the ring");
        wkt_assert_ok(wk_ring_format(R.path, &o));
        for (int L = 0; L < KT_LIVES; L++) {
            R.life = L;
            snprintf(kt_ctx, sizeof kt_ctx,
                     "ring_kill round %d seed 0x%" PRIx64 " life %d", rd,
                     R.seed, L);
            rk_child c = {&R, NULL, L, 0};
            if (kt_life(rk_child_main, &c, R.seed, L, rk_on_rec, &R) != 0)
                break;
            total += rk_verify(&R);
        }
        alarm(0);
        free(R.path);
        wkt_tmpdir_remove(kt_dir);
        kt_dir = NULL;
    }
    kt_summary("ring_kill", "entries", total, rounds, base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_ring_kill, kt_teardown),
    };
    return cmocka_run_group_tests_name("ring_kill", tests, NULL, NULL);
}
