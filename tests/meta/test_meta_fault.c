/* Fault loops for wk_meta on the simulated disk: the N-th vfs call fails
 * (EIO, ENOSPC, short write) for every N from open to close, and the N-th
 * allocation fails for every N. Nothing hangs or crashes, a failed log
 * write or sync poisons the handle (WK_EPOISONED afterwards), a failed
 * compaction leaves the store consistent, nothing leaks, and a reopen,
 * with or without a power cut afterwards, finds every acknowledged batch
 * and each batch whole. */
#include <stdio.h>
#include <string.h>

#include "mt_work.h"
#include "wkt.h"

#define FT_BATCHES 8
#define FT_COMPACT 3

/* One run with the N-th vfs call failing; then either a plain reopen
 * (a process restart) or a power cut first (a reboot), then a power cut
 * and a reopen again. Returns 1 when the fault fired. */
static int
ft_vfs_run(int kind, uint64_t n, int power_cut)
{
    wk_sim *sim = mt_sim(n);
    wk_meta_opts o;
    mt_opts(&o, sim);
    char what[96];
    snprintf(what, sizeof what, "fault %d at call %llu%s", kind,
             (unsigned long long)n, power_cut ? ", power cut" : "");
    wk_sim_fault(sim, WK_SIM_OP_ANY, n, kind);
    wk_meta *m = NULL;
    mt_oracle orc;
    memset(&orc, 0, sizeof orc);
    wk_meta_report rep;
    int rc = wk_meta_open(MT_DIR, &o, &m, &rep);
    if (rc == 0) {
        mt_workload(m, &orc, FT_BATCHES, FT_COMPACT);
        if (orc.first_error != 0) {
            assert_true(wk_meta_errmsg(m)[0] != '\0');
            wk_meta_stats st;
            wk_meta_stats_get(m, &st);
            if (st.poisoned) {
                wkt_assert_rc(mt_batch(m, 99, WK_SYNC), WK_EPOISONED);
                wkt_assert_rc(wk_meta_compact(m), WK_EPOISONED);
            } else {
                /* A failed compaction (snapshot or the log's own
                 * checkpoint step): the store goes on. */
                if (orc.first_error == WK_EPOISONED)
                    fail_msg("%s: WK_EPOISONED but not poisoned", what);
                wkt_assert_ok(mt_batch(m, orc.acked + 1, WK_SYNC));
                orc.attempted = ++orc.acked;
            }
        }
        wk_meta_close(m);
    } else if (rep.errmsg[0] == '\0') {
        fail_msg("%s: open failed (%s) without a message", what,
                 wk_errname(rc));
    }
    int fired = wk_sim_fault_fired(sim);
    wk_sim_fault(sim, WK_SIM_OP_ANY, 0, 0);
    if (power_cut)
        wkt_assert_ok(wk_sim_crash(sim, n, WK_SIM_DROP_ALL));
    mt_check(wk_sim_vfs(sim), &orc, what);
    /* Then a power cut after that reopen (without the first one: a batch
     * whose fdatasync failed is still in the page cache, and the reopen
     * must not build on it). */
    wkt_assert_ok(wk_sim_crash(sim, n + 1, WK_SIM_DROP_ALL));
    mt_check(wk_sim_vfs(sim), &orc, what);
    wk_sim_destroy(sim);
    return fired;
}

static void
ft_vfs_loop(int kind)
{
    uint64_t runs = 0;
    int step = wkt_quick() ? 4 : 1;
    for (uint64_t n = 1; n < 100000; n += (uint64_t)step) {
        int fired = ft_vfs_run(kind, n, 0);
        ft_vfs_run(kind, n, 1);
        runs++;
        if (!fired)
            break;
    }
    printf("meta_fault: kind %d: %llu fault points\n", kind,
           (unsigned long long)runs);
    assert_true(runs * (uint64_t)step > 50);
}

/* The N-th vfs call fails with EIO, for every N. */
static void
test_fault_eio(void **state)
{
    (void)state;
    ft_vfs_loop(WK_SIM_FAULT_EIO);
}

/* The N-th vfs call fails with ENOSPC, for every N. */
static void
test_fault_enospc(void **state)
{
    (void)state;
    ft_vfs_loop(WK_SIM_FAULT_ENOSPC);
}

/* The N-th vfs call is a short write (others EIO), for every N. */
static void
test_fault_short_write(void **state)
{
    (void)state;
    ft_vfs_loop(WK_SIM_FAULT_SHORT_WRITE);
}

/* The N-th allocation fails, for every N: clear errors, no leak, and the
 * store reopens consistent. */
static void
test_fault_alloc(void **state)
{
    (void)state;
    wkt_alloc_install();
    int step = wkt_quick() ? 7 : 1;
    uint64_t runs = 0;
    for (int64_t n = 1;; n += step) {
        int64_t live0 = wkt_alloc_live();
        wk_sim *sim = mt_sim((uint64_t)n);
        wk_meta_opts o;
        mt_opts(&o, sim);
        uint64_t c0 = wkt_alloc_count();
        wkt_alloc_fail_after(n);
        wk_meta *m = NULL;
        mt_oracle orc;
        memset(&orc, 0, sizeof orc);
        wk_meta_report rep;
        int rc = wk_meta_open(MT_DIR, &o, &m, &rep);
        if (rc == 0) {
            mt_workload(m, &orc, FT_BATCHES, FT_COMPACT);
            if (orc.first_error != 0 && wk_meta_errmsg(m)[0] == '\0')
                fail_msg("allocation %lld: %s without a message", (long long)n,
                         wk_errname(orc.first_error));
            wk_meta_close(m);
        } else if (rep.errmsg[0] == '\0') {
            fail_msg("allocation %lld: open failed (%s) without a message",
                     (long long)n, wk_errname(rc));
        }
        int fired = wkt_alloc_count() - c0 >= (uint64_t)n;
        wkt_alloc_reset();
        char what[64];
        snprintf(what, sizeof what, "allocation %lld failed", (long long)n);
        mt_check(wk_sim_vfs(sim), &orc, what);
        wk_sim_destroy(sim);
        if (wkt_alloc_live() != live0)
            fail_msg("allocation %lld failed: %lld blocks leaked", (long long)n,
                     (long long)(wkt_alloc_live() - live0));
        runs++;
        if (!fired)
            break;
        if (n > 20000)
            fail_msg("allocation loop does not end");
    }
    printf("meta_fault: %llu allocation failure points\n",
           (unsigned long long)runs);
    assert_true(runs > 20);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_eio),
        cmocka_unit_test(test_fault_enospc),
        cmocka_unit_test(test_fault_short_write),
        cmocka_unit_test(test_fault_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
