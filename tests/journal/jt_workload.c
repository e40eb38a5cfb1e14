/* Journal crash/fault workload and oracle (see jt_workload.h). */
#include "jt_workload.h"

#include <string.h>

#include "wkt.h"

void
jt_opts(wk_journal_opts *o, wk_sim *sim, int region)
{
    wk_journal_opts_init(o);
    o->vfs = wk_sim_vfs(sim);
    o->capacity = 64 * 1024;
    o->checkpoint_pct = 0; /* deterministic: no background thread */
    o->full_wait_ms = 2000;
    if (region)
        o->region_offset = 64 * 1024; /* past JT_SPACE */
    else
        o->journal_path = "data.jnl";
}

wk_sim *
jt_fresh(int region, wk_journal_opts *o)
{
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(NULL, &sim));
    jt_opts(o, sim, region);
    wkt_assert_ok(wk_journal_format("data.img", o));
    return sim;
}

/* Builds transaction i into t and applies it to m. */
static int
jt_make_txn(wk_journal_txn *t, int i, uint8_t *m)
{
    uint64_t rs = 1000 + (uint64_t)i;
    int nw = 1 + (int)(wkt_rand(&rs) % 3);
    static const uint64_t sizes[] = {8, 8, 100, 600, 2000, 3000};
    uint8_t buf[3000];
    for (int w = 0; w < nw; w++) {
        uint64_t len = sizes[wkt_rand(&rs) % 6];
        uint64_t off = wkt_rand(&rs) % (JT_SPACE - len);
        wkt_fill(buf, len, wkt_rand(&rs));
        int rc = wk_journal_write(t, off, buf, len);
        if (rc != 0)
            return rc;
        memcpy(m + off, buf, len);
    }
    return 0;
}

void
jt_workload(wk_journal *j, jt_oracle * or)
{
    memset(or, 0, sizeof * or);
    int rc = 0;
    for (int i = 0; i < JT_NTXN; i++) {
        wk_journal_txn *t = NULL;
        or->error_in_mutation = 1;
        if ((rc = wk_journal_begin(j, &t)) != 0)
            break;
        memcpy(or->inflight, or->acked, JT_SPACE);
        if ((rc = jt_make_txn(t, i, or->inflight)) != 0) {
            wk_journal_abort(t);
            memcpy(or->inflight, or->acked, JT_SPACE);
            break;
        }
        if ((rc = wk_journal_commit(t, NULL)) != 0)
            break;
        memcpy(or->acked, or->inflight, JT_SPACE);
        if (i % 9 == 4 && (rc = wk_journal_checkpoint(j)) != 0)
            break;
        if (i % 5 == 2) {
            uint8_t b[512];
            or->error_in_mutation = 0;
            if ((rc = wk_journal_read(j, (uint64_t)i * 100, sizeof b, b)) != 0)
                break;
            if (memcmp(b, or->acked + i * 100, sizeof b) != 0)
                fail_msg("read during the workload differs from the model");
        }
    }
    or->first_error = rc;
}

void
jt_check(const wk_journal_opts *o, jt_oracle * or, const char *what)
{
    static uint8_t got[JT_SPACE];
    wk_journal *j = NULL;
    wk_journal_report rep;
    int rc = wk_journal_open("data.img", o, &j, &rep);
    if (rc != 0)
        fail_msg("%s: reopen failed: %s (%s)", what, wk_errname(rc),
                 wk_strerror(rc));
    wkt_assert_ok(wk_journal_read(j, 0, JT_SPACE, got));
    int is_acked = memcmp(got, or->acked, JT_SPACE) == 0;
    int is_infl = memcmp(got, or->inflight, JT_SPACE) == 0;
    if (!is_acked && !is_infl)
        fail_msg("%s: recovered view is neither the acknowledged state nor "
                 "that plus the transaction in flight",
                 what);
    if (or->decided == 1 && !is_acked)
        fail_msg("%s: the in-flight transaction appeared later", what);
    if (or->decided == 2 && !is_infl)
        fail_msg("%s: the in-flight transaction vanished", what);
    if (or->decided == 0 && !(is_acked && is_infl))
        or->decided = is_acked ? 1 : 2;
    rc = wk_journal_close(j);
    if (rc != 0)
        fail_msg("%s: close after recovery failed: %s", what, wk_errname(rc));
}
