/* Fault loops for wk_ring on the simulated disk: the N-th vfs call fails
 * (EIO, ENOSPC, short write) for every N, and the N-th allocation fails
 * for every N. Nothing hangs or leaks; a failed write or sync poisons the
 * handle (later mutations WK_EPOISONED); a reopen, with or without a power
 * cut afterwards, recovers every acknowledged entry. */
#include <stdio.h>
#include <string.h>

#include "rt_work.h"
#include "wkt.h"

#define RT_OPS 40

typedef struct ft_ring {
    wk_ring_opts o;
    rt_oracle or ;
} ft_ring;

static wk_sim *
ft_fresh(void *arg)
{
    ft_ring *f = arg;
    memset(&f->or, 0, sizeof f->or);
    return rt_fresh(&f->o, 0);
}

/* Open, workload, close; a failed write or sync must have poisoned. */
static void
ft_run(void *arg, wk_sim *sim, const char *what)
{
    (void)sim;
    ft_ring *f = arg;
    wk_ring *r = NULL;
    if (wk_ring_open(RT_PATH, &f->o, &r, NULL) != 0)
        return;
    rt_workload(r, &f->or, RT_OPS);
    if (f->or.first_error != 0 && f->or.error_in_mutation == 1) {
        wk_ring_stats st;
        wk_ring_stats_get(r, &st);
        if (st.poisoned == 0)
            fail_msg("%s: error %s without poisoning", what,
                     wk_errname(f->or.first_error));
        wkt_assert_rc(wk_ring_append(r, "x", 1, 0, NULL), WK_EPOISONED);
        wkt_assert_rc(wk_ring_sync(r), WK_EPOISONED);
        wkt_assert_rc(wk_ring_advance_head(r, NULL, NULL, NULL), WK_EPOISONED);
        assert_true(wk_ring_errmsg(r)[0] != '\0');
    }
    wk_ring_close(r);
}

static void
ft_check(void *arg, const char *what)
{
    ft_ring *f = arg;
    rt_check(&f->o, &f->or, what);
}

static void
fault_loop(int kind)
{
    int step = wkt_quick() ? 5 : 1;
    ft_ring f;
    wkt_fault_loop_ops ops = {ft_fresh, ft_run, ft_check, &f, NULL};
    uint64_t runs = wkt_fault_loop(&ops, kind, step);
    printf("ring_fault: kind %d: %llu fault points\n", kind,
           (unsigned long long)runs);
    assert_true(runs * (uint64_t)step > 50);
}

/* EIO at every vfs call. */
static void
test_fault_eio(void **state)
{
    (void)state;
    fault_loop(WK_SIM_FAULT_EIO);
}

/* ENOSPC at every vfs call. */
static void
test_fault_enospc(void **state)
{
    (void)state;
    fault_loop(WK_SIM_FAULT_ENOSPC);
}

/* A short write (half the bytes, then ENOSPC) at every vfs call. */
static void
test_fault_short_write(void **state)
{
    (void)state;
    fault_loop(WK_SIM_FAULT_SHORT_WRITE);
}

/* A failed fdatasync (EIO) at every sync, then a power cut under every
 * policy: the unsynced bytes that stay visible in the cache must not be
 * counted as acknowledged, and recovery must make what it keeps durable. */
static void
test_sync_eio_then_crash(void **state)
{
    (void)state;
    for (uint64_t n = 1; n < 1000; n++) {
        int fired = 0;
        for (int policy = 0; policy < WK_SIM_POLICY_COUNT; policy++) {
            wk_ring_opts o;
            wk_sim *sim = rt_fresh(&o, 0);
            rt_oracle or ;
            memset(& or, 0, sizeof or);
            wk_sim_fault(sim, WK_SIM_OP_SYNC, n, WK_SIM_FAULT_EIO);
            wk_ring *r = NULL;
            if (wk_ring_open(RT_PATH, &o, &r, NULL) == 0) {
                rt_workload(r, & or, RT_OPS);
                wk_ring_close(r);
            }
            fired = wk_sim_fault_fired(sim);
            wk_sim_fault(sim, WK_SIM_OP_ANY, 0, 0);
            char what[128];
            snprintf(what, sizeof what, "sync %llu EIO, policy %d, reopen",
                     (unsigned long long)n, policy);
            rt_check(&o, & or, what); /* recovery from the cache */
            wkt_assert_ok(wk_sim_crash(sim, n + (uint64_t)policy, policy));
            snprintf(what, sizeof what, "sync %llu EIO, policy %d, crash",
                     (unsigned long long)n, policy);
            rt_check(&o, & or, what);
            wk_sim_destroy(sim);
        }
        if (!fired)
            break;
    }
}

/* The N-th allocation fails, for every N: clean errors, no leak, and the
 * oracle holds after reopening. */
static void
test_alloc_fail(void **state)
{
    (void)state;
    wkt_alloc_install();
    uint64_t runs = 0;
    for (int64_t n = 1; n < 100000; n++) {
        int64_t live = wkt_alloc_live();
        wk_ring_opts o;
        wk_sim *sim = rt_fresh(&o, 0);
        rt_oracle or ;
        memset(& or, 0, sizeof or);
        uint64_t before = wkt_alloc_count();
        wkt_alloc_fail_after(n);
        wk_ring *r = NULL;
        if (wk_ring_open(RT_PATH, &o, &r, NULL) == 0) {
            rt_workload(r, & or, RT_OPS);
            wk_ring_close(r);
        }
        uint64_t used = wkt_alloc_count() - before;
        wkt_alloc_reset();
        char what[64];
        snprintf(what, sizeof what, "alloc fail %lld", (long long)n);
        rt_check(&o, & or, what);
        wk_sim_destroy(sim);
        if (wkt_alloc_live() != live) /* sim included: all freed */
            fail_msg("alloc fail %lld: %lld allocations leaked", (long long)n,
                     (long long)(wkt_alloc_live() - live));
        runs++;
        if ((int64_t)used < n)
            break;
    }
    printf("ring_fault: %llu allocation failure points\n",
           (unsigned long long)runs);
    assert_true(runs > 5);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_eio),
        cmocka_unit_test(test_fault_enospc),
        cmocka_unit_test(test_fault_short_write),
        cmocka_unit_test(test_sync_eio_then_crash),
        cmocka_unit_test(test_alloc_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
