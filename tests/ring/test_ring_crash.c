/* Crash loops for wk_ring on the simulated disk: a power cut after every
 * mutating I/O operation of a workload that wraps the ring several times
 * (appends with and without WK_SYNC, cancelled reservations, head
 * advances), under every crash policy, and power cuts inside recovery.
 * Oracle: every acknowledged entry is present, in order, as a contiguous
 * run from a freed boundary, with exact bytes; the head never passes the
 * durable tail. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/byteorder.h"
#include "rt_work.h"
#include "wkt.h"

#define RT_OPS 150

static void
crash_loop(int in_recovery, uint64_t region_offset)
{
    /* Recovery must keep every acknowledged entry under each policy that
     * accepts a torn tail. */
    static const wk_recovery_policy check_policy[3] = {
        WK_RECOVER_TOLERATE_TORN_TAIL, WK_RECOVER_POINT_IN_TIME,
        WK_RECOVER_SKIP_CORRUPT};
    int step = wkt_quick() ? 7 : 1;
    if (in_recovery)
        step *= 2;
    uint64_t points = 0, max_tail = 0;
    for (int policy = 0; policy < WK_SIM_POLICY_COUNT; policy++) {
        for (int64_t n = 0;; n += step) {
            wk_ring_opts o;
            wk_sim *sim = rt_fresh(&o, region_offset);
            rt_oracle or ;
            memset(& or, 0, sizeof or);
            char what[160];
            snprintf(what, sizeof what, "policy %d, crash after op %lld",
                     policy, (long long)n);
            wk_ring *r = NULL;
            wk_sim_crash_after(sim, n);
            if (wk_ring_open(RT_PATH, &o, &r, NULL) == 0) {
                rt_workload(r, & or, RT_OPS);
                wk_ring_close(r); /* errors expected on the frozen disk */
            }
            int frozen = wk_sim_frozen(sim);
            if (or.max_tail > max_tail)
                max_tail = or.max_tail;
            uint64_t seed = (uint64_t)n * 31 + (uint64_t)policy;
            wkt_assert_ok(wk_sim_crash(sim, seed, policy));
            if (!in_recovery) {
                wk_ring_opts co = o;
                co.recovery = check_policy[n % 3];
                rt_check(&co, & or, what);
                rt_check(&o, & or, what); /* recovery is idempotent */
            } else {
                for (int64_t m = 0; m < 200; m++) {
                    wk_ring *rr = NULL;
                    wk_sim_crash_after(sim, m);
                    if (wk_ring_open(RT_PATH, &o, &rr, NULL) == 0)
                        wk_ring_close(rr);
                    int fr = wk_sim_frozen(sim);
                    wkt_assert_ok(
                        wk_sim_crash(sim, seed + (uint64_t)m, policy));
                    char w2[200];
                    snprintf(w2, sizeof w2, "%s, recovery crash after %lld",
                             what, (long long)m);
                    rt_check(&o, & or, w2);
                    if (!fr)
                        break;
                }
            }
            wk_sim_destroy(sim);
            points++;
            if (!frozen)
                break;
        }
    }
    printf("ring_crash: in_recovery=%d region_offset=%llu: %llu crash "
           "points, %llu laps\n",
           in_recovery, (unsigned long long)region_offset,
           (unsigned long long)points,
           (unsigned long long)(max_tail / (RT_CAP - 8192)));
    assert_true(points > (wkt_quick() ? 10u : 50u));
    assert_true(max_tail > 2 * (RT_CAP - 8192)); /* the workload wraps */
}

/* Power cut after every I/O operation of the workload, every policy. */
static void
test_crash_every_op(void **state)
{
    (void)state;
    crash_loop(0, 0);
}

/* The same with the ring in a region of a larger file. */
static void
test_crash_region(void **state)
{
    (void)state;
    crash_loop(0, 8192);
}

/* Power cuts at every step of recovery after workload crash points. */
static void
test_crash_in_recovery(void **state)
{
    (void)state;
    crash_loop(1, 0);
}

/* ---- concurrent appenders: batches of several entries ---------------- */

#define CC_THREADS 4
#define CC_APPENDS 25

typedef struct cc_thread {
    wk_ring *r;
    int id;
    uint32_t acked; /* entries 0..acked-1 acknowledged durable */
} cc_thread;

static void
cc_payload(int id, uint32_t i, uint8_t *buf, size_t *len)
{
    *len = 16 + (size_t)((i * 53 + (uint32_t)id * 11) % 200);
    buf[0] = (uint8_t)id;
    wk__put32(buf + 1, i);
    wkt_fill(buf + 5, *len - 5, (uint64_t)id * 1000 + i);
}

static void *
cc_run(void *p)
{
    cc_thread *c = p;
    uint8_t buf[256];
    size_t len;
    for (uint32_t i = 0; i < CC_APPENDS; i++) {
        cc_payload(c->id, i, buf, &len);
        int rc = wk_ring_append(c->r, buf, len, WK_SYNC, NULL);
        if (rc == WK_EFULL) {
            rc = wk_ring_advance_head(c->r, NULL, NULL, NULL);
            if (rc == 0)
                rc = wk_ring_append(c->r, buf, len, WK_SYNC, NULL);
        }
        if (rc != 0)
            break;
        c->acked = i + 1;
    }
    return NULL;
}

/* Power cut after every I/O operation while 4 threads append durably at
 * once (group commit): each thread's entries recover in its order, every
 * acknowledged one that was not freed is present, with exact bytes. The
 * ring wraps and is trimmed by the appenders themselves. */
static void
test_crash_concurrent(void **state)
{
    (void)state;
    int step = wkt_quick() ? 9 : 1;
    uint64_t points = 0;
    for (int64_t n = 0;; n += step) {
        int policy = (int)(n % WK_SIM_POLICY_COUNT);
        wk_ring_opts o;
        wk_sim *sim = rt_fresh(&o, 0);
        wk_ring *r = NULL;
        cc_thread th[CC_THREADS];
        pthread_t tid[CC_THREADS];
        wk_sim_crash_after(sim, n);
        memset(th, 0, sizeof th);
        if (wk_ring_open(RT_PATH, &o, &r, NULL) == 0) {
            for (int t = 0; t < CC_THREADS; t++) {
                th[t].r = r;
                th[t].id = t;
                assert_int_equal(pthread_create(&tid[t], NULL, cc_run, &th[t]),
                                 0);
            }
            for (int t = 0; t < CC_THREADS; t++)
                pthread_join(tid[t], NULL);
            wk_ring_close(r);
        }
        int frozen = wk_sim_frozen(sim);
        wkt_assert_ok(wk_sim_crash(sim, (uint64_t)n, policy));
        r = NULL;
        int rc = wk_ring_open(RT_PATH, &o, &r, NULL);
        if (rc != 0)
            fail_msg("crash %lld policy %d: reopen %s", (long long)n, policy,
                     wk_errname(rc));
        wk_ring_iter *it = NULL;
        wkt_assert_ok(wk_ring_iter_open(r, &it));
        int64_t last[CC_THREADS];
        for (int t = 0; t < CC_THREADS; t++)
            last[t] = -1;
        const void *d;
        size_t len;
        uint8_t want[256];
        size_t wlen;
        while ((rc = wk_ring_iter_next(it, NULL, &d, &len)) == 0) {
            const uint8_t *b = d;
            assert_true(len >= 5 && b[0] < CC_THREADS);
            uint32_t i = wk__get32(b + 1);
            cc_payload(b[0], i, want, &wlen);
            if (wlen != len || memcmp(want, d, len) != 0)
                fail_msg("crash %lld: false bytes in %d/%u", (long long)n, b[0],
                         i);
            if (last[b[0]] >= 0 && (int64_t)i != last[b[0]] + 1)
                fail_msg("crash %lld: thread %d: %u after %lld", (long long)n,
                         b[0], i, (long long)last[b[0]]);
            last[b[0]] = i;
        }
        wkt_assert_rc(rc, WK_ENOTFOUND);
        wk_ring_iter_close(it);
        /* Freed entries are a prefix of the ring: a thread with an entry
         * left has every acknowledged entry after it. */
        for (int t = 0; t < CC_THREADS; t++)
            if (th[t].acked > 0 && last[t] >= 0 &&
                last[t] + 1 < (int64_t)th[t].acked)
                fail_msg("crash %lld policy %d: thread %d acked %u, last %lld",
                         (long long)n, policy, t, th[t].acked,
                         (long long)last[t]);
        wkt_assert_ok(wk_ring_close(r));
        wk_sim_destroy(sim);
        points++;
        if (!frozen)
            break;
    }
    printf("ring_crash: concurrent: %llu crash points\n",
           (unsigned long long)points);
    assert_true(points > 20);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_every_op),
        cmocka_unit_test(test_crash_region),
        cmocka_unit_test(test_crash_in_recovery),
        cmocka_unit_test(test_crash_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
