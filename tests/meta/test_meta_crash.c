/* Crash loops for wk_meta on the simulated disk: power cut after every
 * I/O operation of a workload (durable batches, two compactions, close),
 * under every crash policy; then a power cut at every point of the
 * recovery itself. Oracle: every acknowledged batch is present, whole;
 * what recovers is exactly a prefix of the batches, in order. */
#include <stdio.h>
#include <string.h>

#include "mt_work.h"
#include "wkt.h"

#define CR_BATCHES 10
#define CR_COMPACT 4

/* Runs the workload with a freeze after n mutations; returns 1 when the
 * freeze was reached (else the workload ran to the end). */
static int
cr_run(wk_sim *sim, int64_t n, mt_oracle *orc)
{
    wk_meta_opts o;
    mt_opts(&o, sim);
    wk_sim_crash_after(sim, n);
    wk_meta *m = NULL;
    memset(orc, 0, sizeof *orc);
    if (wk_meta_open(MT_DIR, &o, &m, NULL) == 0) {
        mt_workload(m, orc, CR_BATCHES, CR_COMPACT);
        wk_meta_close(m); /* errors expected on the frozen disk */
    }
    return wk_sim_frozen(sim);
}

/* Every acknowledged batch survives a power cut after any I/O operation,
 * under every policy, and nothing but whole batches in order recovers. */
static void
test_crash_loop(void **state)
{
    (void)state;
    int step = wkt_quick() ? 3 : 1;
    uint64_t points = 0;
    /* The random policies run with two seeds. */
    static const int runs[][2] = {
        {WK_SIM_DROP_ALL, 0},    {WK_SIM_KEEP_ALL, 0},
        {WK_SIM_KEEP_RANDOM, 0}, {WK_SIM_KEEP_RANDOM, 1},
        {WK_SIM_TEAR, 0},        {WK_SIM_TEAR, 1},
        {WK_SIM_REORDER, 0},     {WK_SIM_REORDER, 1},
        {WK_SIM_LOSE_DIR_OPS, 0}};
    for (size_t ri = 0; ri < sizeof runs / sizeof runs[0]; ri++) {
        int policy = runs[ri][0];
        if (wkt_quick() && runs[ri][1] != 0)
            continue;
        for (int64_t n = 0;; n += step) {
            wk_sim *sim = mt_sim((uint64_t)n + 1);
            mt_oracle orc;
            int frozen = cr_run(sim, n, &orc);
            uint64_t seed = (uint64_t)n * 31 + (uint64_t)policy +
                            (uint64_t)runs[ri][1] * 1000003u;
            wkt_assert_ok(wk_sim_crash(sim, seed, policy));
            char what[64];
            snprintf(what, sizeof what, "policy %d crash after %lld", policy,
                     (long long)n);
            /* A crash inside recovery too (every 4th point). */
            if (n % 4 == 0) {
                for (int64_t r = 0;; r++) {
                    wk_meta_opts o;
                    mt_opts(&o, sim);
                    wk_sim_crash_after(sim, r);
                    wk_meta *m = NULL;
                    if (wk_meta_open(MT_DIR, &o, &m, NULL) == 0)
                        wk_meta_close(m);
                    int rf = wk_sim_frozen(sim);
                    wkt_assert_ok(
                        wk_sim_crash(sim, seed + (uint64_t)r, policy));
                    if (!rf)
                        break;
                    char w2[200];
                    snprintf(w2, sizeof w2, "%s, then crash %lld into recovery",
                             what, (long long)r);
                    mt_check(wk_sim_vfs(sim), &orc, w2);
                }
            }
            mt_check(wk_sim_vfs(sim), &orc, what);
            /* Recovery is idempotent: a second reopen finds the same. */
            mt_check(wk_sim_vfs(sim), &orc, what);
            wk_sim_destroy(sim);
            points++;
            if (!frozen)
                break;
        }
    }
    printf("meta_crash: %llu crash points\n", (unsigned long long)points);
    assert_true(points > 50);
}

/* Background compaction racing durable writers (compact_log_bytes small):
 * a power cut at any point keeps every acknowledged batch. */
static void
test_crash_background_compaction(void **state)
{
    (void)state;
    int step = wkt_quick() ? 7 : 2;
    for (int64_t n = 0;; n += step) {
        wk_sim *sim = mt_sim((uint64_t)n + 5);
        wk_meta_opts o;
        mt_opts(&o, sim);
        o.compact_log_bytes = 1024;
        wk_sim_crash_after(sim, n);
        wk_meta *m = NULL;
        mt_oracle orc;
        memset(&orc, 0, sizeof orc);
        if (wk_meta_open(MT_DIR, &o, &m, NULL) == 0) {
            mt_workload(m, &orc, 30, 0);
            wk_meta_close(m);
        }
        int frozen = wk_sim_frozen(sim);
        int policy = (int)(n % WK_SIM_POLICY_COUNT);
        wkt_assert_ok(wk_sim_crash(sim, (uint64_t)n, policy));
        char what[64];
        snprintf(what, sizeof what, "background, policy %d crash after %lld",
                 policy, (long long)n);
        mt_check(wk_sim_vfs(sim), &orc, what);
        wk_sim_destroy(sim);
        if (!frozen)
            break;
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_loop),
        cmocka_unit_test(test_crash_background_compaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
