/* Fault loops for wk_journal on the simulated disk: the N-th vfs call fails
 * (EIO, ENOSPC, short write) for every N from open to close. Nothing hangs,
 * a failed write or sync poisons the handle (later mutations get
 * WK_EPOISONED), and a reopen, with or without a power cut afterwards,
 * recovers every acknowledged transaction and each one all or nothing. */
#include <stdio.h>
#include <string.h>

#include "jt_workload.h"
#include "wkt.h"

typedef struct ft_journal {
    int region;
    wk_journal_opts o;
    jt_oracle or ;
} ft_journal;

static wk_sim *
ft_fresh(void *arg)
{
    ft_journal *f = arg;
    return jt_fresh(f->region, &f->o);
}

/* Open, workload, close; a failed write or sync must have poisoned. */
static void
ft_run(void *arg, wk_sim *sim, const char *what)
{
    (void)sim;
    ft_journal *f = arg;
    wk_journal *j = NULL;
    if (wk_journal_open("data.img", &f->o, &j, NULL) != 0) {
        memset(&f->or, 0, sizeof f->or);
        return;
    }
    jt_workload(j, &f->or);
    if (f->or.first_error != 0 && f->or.error_in_mutation) {
        wk_journal_stats st;
        wk_journal_stats_get(j, &st);
        if (st.poisoned == 0)
            fail_msg("%s: error %s without poisoning", what,
                     wk_errname(f->or.first_error));
        wk_journal_txn *t = NULL;
        wkt_assert_rc(wk_journal_begin(j, &t), WK_EPOISONED);
        wkt_assert_rc(wk_journal_checkpoint(j), WK_EPOISONED);
        assert_true(wk_journal_errmsg(j)[0] != '\0');
    }
    wk_journal_close(j);
}

static void
ft_check(void *arg, const char *what)
{
    ft_journal *f = arg;
    jt_check(&f->o, &f->or, what);
}

static void
fault_loop(int region, int kind)
{
    static ft_journal f;
    f.region = region;
    int step = wkt_quick() ? 5 : 1;
    wkt_fault_loop_ops ops = {ft_fresh, ft_run, ft_check, &f,
                              region ? "region" : "file"};
    uint64_t runs = wkt_fault_loop(&ops, kind, step);
    assert_true(runs * (uint64_t)step > 100); /* the loop reached the end */
    printf("journal_fault: region=%d fault=%d: %llu fault points\n", region,
           kind, (unsigned long long)runs);
}

/* The same loop, with the fault striking before the power cut: a failed
 * fdatasync drops unsynced data from the durable image while the cache
 * still shows it; the recovered state must not depend on those bytes. */
static void
fault_then_crash(int region)
{
    static jt_oracle or ;
    int step = wkt_quick() ? 5 : 1;
    int fired = 1;
    for (uint64_t n = 1; fired && n < 100000; n += (uint64_t)step) {
        for (int policy = 0; policy < WK_SIM_POLICY_COUNT; policy++) {
            /* Reopen on the same disk (recovering from the cache), with a
             * power cut after I/O operation m of that recovery. */
            for (int64_t m = 0; m < 1000; m++) {
                wk_journal_opts o;
                wk_sim *sim = jt_fresh(region, &o);
                wk_journal *j = NULL;
                wk_sim_fault(sim, WK_SIM_OP_SYNC, n, WK_SIM_FAULT_EIO);
                wkt_assert_ok(wk_journal_open("data.img", &o, &j, NULL));
                jt_workload(j, & or);
                wk_journal_close(j);
                fired = wk_sim_fault_fired(sim);
                wk_sim_fault(sim, WK_SIM_OP_ANY, 0, 0);
                char w2[160];
                snprintf(w2, sizeof w2,
                         "region=%d sync EIO #%llu, policy %d, recovery "
                         "crash after %lld",
                         region, (unsigned long long)n, policy, (long long)m);
                wk_journal *r = NULL;
                wk_sim_crash_after(sim, m);
                if (wk_journal_open("data.img", &o, &r, NULL) == 0)
                    wk_journal_close(r);
                int frozen = wk_sim_frozen(sim);
                wkt_assert_ok(
                    wk_sim_crash(sim, n * 1000 + (uint64_t)m, policy));
                jt_check(&o, & or, w2);
                wk_sim_destroy(sim);
                if (!frozen || !fired)
                    break;
            }
        }
    }
}

/* EIO on every call in turn. */
static void
test_fault_eio(void **state)
{
    (void)state;
    fault_loop(0, WK_SIM_FAULT_EIO);
    fault_loop(1, WK_SIM_FAULT_EIO);
}

/* ENOSPC on every call in turn. */
static void
test_fault_enospc(void **state)
{
    (void)state;
    fault_loop(0, WK_SIM_FAULT_ENOSPC);
    fault_loop(1, WK_SIM_FAULT_ENOSPC);
}

/* Short writes on every call in turn. */
static void
test_fault_short_write(void **state)
{
    (void)state;
    fault_loop(0, WK_SIM_FAULT_SHORT_WRITE);
    fault_loop(1, WK_SIM_FAULT_SHORT_WRITE);
}

/* A failed fdatasync followed by reopen and power cuts. */
static void
test_sync_eio_then_crash(void **state)
{
    (void)state;
    fault_then_crash(0);
    fault_then_crash(1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_eio),
        cmocka_unit_test(test_fault_enospc),
        cmocka_unit_test(test_fault_short_write),
        cmocka_unit_test(test_sync_eio_then_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
