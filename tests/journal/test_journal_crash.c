/* Crash loops for wk_journal on the simulated disk: power cut after every
 * I/O operation of a workload (commits that wrap the ring, explicit, inline
 * and closing checkpoints), under every crash policy, in both journal
 * placements; then power cuts after every I/O operation of the recovery
 * itself. After each, the recovered committed view must equal the model
 * after exactly the acknowledged transactions, or after those plus the one
 * in flight: every transaction all or nothing, every acknowledged one
 * visible, nothing else. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jt_workload.h"
#include "wkt.h"

static uint64_t states_checked;

static void
check(jt_oracle * or, const wk_journal_opts *o, const char *what)
{
    jt_check(o, or, what);
    states_checked++;
}

/* Mutations made by the whole workload with no crash (open to close). */
static int64_t
count_ops(int region)
{
    wk_journal_opts o;
    wk_sim *sim = jt_fresh(region, &o);
    jt_oracle * or = calloc(1, sizeof * or);
    uint64_t before = wk_sim_mutation_count(sim);
    wk_journal *j = NULL;
    wkt_assert_ok(wk_journal_open("data.img", &o, &j, NULL));
    jt_workload(j, or);
    wkt_assert_ok(wk_journal_close(j));
    int64_t n = (int64_t)(wk_sim_mutation_count(sim) - before);
    free(or);
    wk_sim_destroy(sim);
    return n;
}

static void
crash_loop(int region, int in_recovery)
{
    int64_t total = count_ops(region);
    assert_true(total > 50);
    int step = wkt_quick() ? 7 : 1;
    jt_oracle * or = calloc(1, sizeof * or);
    for (int policy = 0; policy < WK_SIM_POLICY_COUNT; policy++) {
        for (int64_t n = 0; n <= total; n += step) {
            wk_journal_opts o;
            wk_sim *sim = jt_fresh(region, &o);
            wk_journal *j = NULL;
            char what[128];
            snprintf(what, sizeof what, "region=%d policy=%d crash after %lld",
                     region, policy, (long long)n);
            wkt_assert_ok(wk_journal_open("data.img", &o, &j, NULL));
            wk_sim_crash_after(sim, n);
            jt_workload(j, or);
            wk_journal_close(j); /* errors expected on the frozen disk */
            uint64_t seed = (uint64_t)n * 31 + (uint64_t)policy;
            wkt_assert_ok(wk_sim_crash(sim, seed, policy));
            if (!in_recovery) {
                check(or, &o, what);
                check(or, &o, what); /* recovery is idempotent */
            } else {
                /* Power cuts at every step of recovery, each recovered in
                 * turn, until a recovery runs to its end. */
                for (int64_t m = 0; m < 1000; m++) {
                    wk_journal *r = NULL;
                    wk_sim_crash_after(sim, m);
                    int rc = wk_journal_open("data.img", &o, &r, NULL);
                    if (rc == 0)
                        wk_journal_close(r);
                    int frozen = wk_sim_frozen(sim);
                    wkt_assert_ok(
                        wk_sim_crash(sim, seed + (uint64_t)m, policy));
                    char w2[160];
                    snprintf(w2, sizeof w2, "%s, recovery crash after %lld",
                             what, (long long)m);
                    check(or, &o, w2);
                    if (!frozen)
                        break;
                }
            }
            wk_sim_destroy(sim);
        }
    }
    free(or);
}

/* Power cut after every I/O operation of the workload, separate journal
 * file, every policy. */
static void
test_crash_file(void **state)
{
    (void)state;
    crash_loop(0, 0);
}

/* Same with the journal as a region of the data file. */
static void
test_crash_region(void **state)
{
    (void)state;
    crash_loop(1, 0);
}

/* Power cuts inside recovery after every workload crash point. */
static void
test_crash_in_recovery(void **state)
{
    (void)state;
    crash_loop(0, 1);
}

/* ---- concurrent committers: batches of several transactions ---------- */

#define GC_THREADS 4
#define GC_TXNS 30

typedef struct gc_thread {
    wk_journal *j;
    int id;
    uint64_t acked;     /* last i whose commit returned 0 */
    uint64_t attempted; /* last i whose commit was called */
} gc_thread;

static void *
gc_run(void *p)
{
    gc_thread *g = p;
    uint8_t fill[1500];
    memset(fill, 'a' + g->id, sizeof fill);
    for (uint64_t i = 1; i <= GC_TXNS; i++) {
        wk_journal_txn *t = NULL;
        uint64_t v[2] = {(uint64_t)g->id + 1, i};
        if (wk_journal_begin(g->j, &t) != 0)
            break;
        if (wk_journal_write(t, (uint64_t)g->id * 64, v, sizeof v) != 0 ||
            wk_journal_write(t, 20000 + (uint64_t)g->id * 1500, fill,
                             sizeof fill) != 0 ||
            wk_journal_write(t, 8192 + (uint64_t)g->id * 64, v, sizeof v) !=
                0) {
            wk_journal_abort(t);
            break;
        }
        g->attempted = i;
        if (wk_journal_commit(t, NULL) != 0)
            break;
        g->acked = i;
    }
    return NULL;
}

static uint64_t gc_multi;

static uint64_t
gc_workload(wk_sim *sim, const wk_journal_opts *o, int64_t crash_after,
            gc_thread *g)
{
    wk_journal *j = NULL;
    uint64_t before = wk_sim_mutation_count(sim);
    wkt_assert_ok(wk_journal_open("data.img", o, &j, NULL));
    if (crash_after >= 0)
        wk_sim_crash_after(sim, crash_after);
    pthread_t th[GC_THREADS];
    for (int i = 0; i < GC_THREADS; i++) {
        g[i] = (gc_thread){j, i, 0, 0};
        pthread_create(&th[i], NULL, gc_run, &g[i]);
    }
    for (int i = 0; i < GC_THREADS; i++)
        pthread_join(th[i], NULL);
    wk_journal_stats st;
    wk_journal_stats_get(j, &st);
    gc_multi += st.commits - st.batches; /* txns that shared a batch */
    wk_journal_close(j);
    return wk_sim_mutation_count(sim) - before;
}

/* Power cuts at every I/O operation while 4 threads commit concurrently
 * (so batches hold several transactions): every transaction is whole, and
 * each thread's last acknowledged one (or a later attempted one) is there. */
static void
test_crash_group_commit(void **state)
{
    (void)state;
    wk_journal_opts o;
    gc_thread g[GC_THREADS];
    wk_sim *sim = jt_fresh(0, &o);
    int64_t total = (int64_t)gc_workload(sim, &o, -1, g);
    wk_sim_destroy(sim);
    int step = wkt_quick() ? 9 : 1;
    for (int policy = 0; policy < WK_SIM_POLICY_COUNT; policy++) {
        for (int64_t n = 0; n <= total; n += step) {
            sim = jt_fresh(0, &o);
            gc_workload(sim, &o, n, g);
            wkt_assert_ok(
                wk_sim_crash(sim, (uint64_t)n * 17 + (uint64_t)policy, policy));
            wk_journal *j = NULL;
            wk_journal_report rep;
            int rc = wk_journal_open("data.img", &o, &j, &rep);
            if (rc != 0)
                fail_msg("policy %d crash after %lld: reopen: %s", policy,
                         (long long)n, wk_errname(rc));
            for (int t = 0; t < GC_THREADS; t++) {
                uint64_t a[2], b[2];
                wkt_assert_ok(wk_journal_read(j, (uint64_t)t * 64, 16, a));
                wkt_assert_ok(
                    wk_journal_read(j, 8192 + (uint64_t)t * 64, 16, b));
                if (memcmp(a, b, sizeof a) != 0)
                    fail_msg("policy %d crash after %lld: thread %d: torn "
                             "transaction (%llu vs %llu)",
                             policy, (long long)n, t, (unsigned long long)a[1],
                             (unsigned long long)b[1]);
                uint64_t got = a[0] == 0 ? 0 : a[1];
                if (got < g[t].acked || got > g[t].attempted)
                    fail_msg("policy %d crash after %lld: thread %d: "
                             "recovered txn %llu, acked %llu, attempted %llu",
                             policy, (long long)n, t, (unsigned long long)got,
                             (unsigned long long)g[t].acked,
                             (unsigned long long)g[t].attempted);
            }
            wk_journal_stats st;
            wk_journal_stats_get(j, &st);
            wkt_assert_ok(wk_journal_close(j));
            wk_sim_destroy(sim);
            states_checked++;
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_file),
        cmocka_unit_test(test_crash_region),
        cmocka_unit_test(test_crash_in_recovery),
        cmocka_unit_test(test_crash_group_commit),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    printf("journal_crash: %llu crash states checked (%llu transactions "
           "shared a batch in the concurrent loop)\n",
           (unsigned long long)states_checked, (unsigned long long)gc_multi);
    return rc;
}
