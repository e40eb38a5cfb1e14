/* The shared vfs fault loop: see wkt_fault_loop in wkt.h. */
#include <stdio.h>

#include "wkt.h"

uint64_t
wkt_fault_loop(const wkt_fault_loop_ops *ops, int fault, int step)
{
    uint64_t runs = 0;
    for (uint64_t n = 1; n < 100000; n += (uint64_t)step) {
        wk_sim *sim = ops->fresh(ops->arg);
        char what[128], w2[160];
        snprintf(what, sizeof what, "%s%sfault %d at call %llu",
                 ops->name ? ops->name : "", ops->name ? ": " : "", fault,
                 (unsigned long long)n);
        wk_sim_fault(sim, WK_SIM_OP_ANY, n, fault);
        ops->run(ops->arg, sim, what);
        int fired = wk_sim_fault_fired(sim);
        wk_sim_fault(sim, WK_SIM_OP_ANY, 0, 0);
        snprintf(w2, sizeof w2, "%s, reopen", what);
        ops->check(ops->arg, w2);
        wkt_assert_ok(wk_sim_crash(sim, n, WK_SIM_DROP_ALL));
        snprintf(w2, sizeof w2, "%s, power cut after reopen", what);
        ops->check(ops->arg, w2);
        wk_sim_destroy(sim);
        runs++;
        if (!fired)
            break;
    }
    return runs;
}
