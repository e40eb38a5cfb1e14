/* Fault loops for wk_blob on the simulated disk: the N-th vfs call fails
 * (EIO, ENOSPC, short write) for every N from open to close, and the N-th
 * allocation fails for every N. Nothing hangs or crashes or leaks, a failed
 * write or sync poisons the handle (later mutations get WK_EPOISONED, the
 * errmsg says what failed), and a reopen, with or without a power cut
 * afterwards, recovers every acknowledged operation (bt_util.c oracle). */
#include <stdio.h>
#include <string.h>

#include "bt_util.h"
#include "wkt.h"

typedef struct ft_blob {
    wk_blob_opts o;
    bt_oracle or ;
    uint64_t poisoned; /* runs that poisoned the handle */
} ft_blob;

static wk_sim *
ft_fresh(void *arg)
{
    ft_blob *f = arg;
    wk_sim *sim = bt_sim();
    bt_opts(&f->o, sim);
    memset(&f->or, 0, sizeof f->or);
    return sim;
}

/* Open, workload, close; a poisoned handle refuses mutations and says why. */
static void
ft_run(void *arg, wk_sim *sim, const char *what)
{
    (void)sim;
    ft_blob *f = arg;
    wk_blob *b = NULL;
    if (wk_blob_open(BT_DIR, &f->o, &b, NULL) != 0)
        return;
    bt_workload(b, &f->or);
    wk_blob_stats st;
    wk_blob_stats_get(b, &st);
    if (st.poisoned != 0) {
        f->poisoned++;
        wkt_assert_rc(wk_blob_put(b, "x", 1, 1, WK_SYNC, NULL), WK_EPOISONED);
        wkt_assert_rc(wk_blob_kv_set(b, "k", 1, "v", 1, 0), WK_EPOISONED);
        if (wk_blob_errmsg(b)[0] == '\0')
            fail_msg("%s: poisoned without a message", what);
    }
    wk_blob_close(b);
}

static void
ft_check(void *arg, const char *what)
{
    ft_blob *f = arg;
    bt_check(&f->o, &f->or, what);
}

static void
fault_loop(int kind)
{
    int step = wkt_quick() ? 7 : 1;
    static ft_blob f;
    f.poisoned = 0;
    wkt_fault_loop_ops ops = {ft_fresh, ft_run, ft_check, &f, NULL};
    uint64_t runs = wkt_fault_loop(&ops, kind, step);
    assert_true(runs * (uint64_t)step > 100); /* the loop reached the end */
    assert_true(f.poisoned > 0);
    printf("blob_fault: fault=%d: %llu fault points, %llu poisoned\n", kind,
           (unsigned long long)runs, (unsigned long long)f.poisoned);
}

/* EIO on every call in turn. */
static void
test_fault_eio(void **state)
{
    (void)state;
    fault_loop(WK_SIM_FAULT_EIO);
}

/* ENOSPC on every call in turn. */
static void
test_fault_enospc(void **state)
{
    (void)state;
    fault_loop(WK_SIM_FAULT_ENOSPC);
}

/* Short writes on every call in turn. */
static void
test_fault_short_write(void **state)
{
    (void)state;
    fault_loop(WK_SIM_FAULT_SHORT_WRITE);
}

/* Every allocation failing in turn during open + workload + close: a clean
 * error, no leak, no crash; a reopen then recovers a consistent store. */
static void
test_alloc_fault_loop(void **state)
{
    (void)state;
    wkt_alloc_install();
    int step = wkt_quick() ? 13 : 1;
    int done = 0;
    for (int64_t n = 1; !done; n += step) {
        int64_t live0 = wkt_alloc_live();
        wk_sim *sim = bt_sim();
        wk_blob_opts o;
        bt_opts(&o, sim);
        bt_oracle or ;
        memset(& or, 0, sizeof or);
        wkt_alloc_fail_after(n);
        wk_blob *b = NULL;
        int rc = wk_blob_open(BT_DIR, &o, &b, NULL);
        if (rc == 0) {
            bt_workload(b, & or);
            wk_blob_close(b);
        }
        uint64_t made = wkt_alloc_count();
        wkt_alloc_reset();
        done = rc == 0 && or.first_error == 0;
        (void)made;
        char what[64];
        snprintf(what, sizeof what, "alloc fault %lld", (long long)n);
        bt_check(&o, & or, what);
        wk_sim_destroy(sim);
        if (wkt_alloc_live() != live0)
            fail_msg("alloc fault %lld: %lld allocations leaked", (long long)n,
                     (long long)(wkt_alloc_live() - live0));
        if (n > 200000)
            fail_msg("alloc fault loop does not end");
        if (done)
            printf("blob_fault: alloc fault loop: %lld points\n", (long long)n);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_eio),
        cmocka_unit_test(test_fault_enospc),
        cmocka_unit_test(test_fault_short_write),
        cmocka_unit_test(test_alloc_fault_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
