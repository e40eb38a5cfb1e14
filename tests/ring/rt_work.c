/* Shared workload and oracle for the wk_ring crash and fault loops. */
#include <stdio.h>
#include <string.h>

#include "rt_work.h"
#include "common/byteorder.h"
#include "wkt.h"

wk_sim *
rt_fresh(wk_ring_opts *o, uint64_t region_offset)
{
    wk_sim *sim = NULL;
    wk_sim_opts so;
    wk_sim_opts_init(&so);
    so.capacity = 4u << 20;
    wkt_assert_ok(wk_sim_create(&so, &sim));
    wk_ring_opts_init(o);
    o->vfs = wk_sim_vfs(sim);
    o->capacity = RT_CAP;
    o->region_offset = region_offset;
    wkt_assert_ok(wk_ring_format(RT_PATH, o));
    o->capacity = 0;
    return sim;
}

size_t
rt_len(uint64_t idx)
{
    return 8 + (size_t)((idx * 397) % 700);
}

void
rt_payload(uint64_t idx, uint8_t *buf)
{
    size_t n = rt_len(idx);
    wk__put64(buf, idx);
    wkt_fill(buf + 8, n - 8, idx * 7919 + 1);
}

static int
rt_gc(void *arg, uint64_t pos, const void *data, size_t len)
{
    rt_oracle * or = arg;
    (void)pos;
    if (len < 8)
        return -22;
    uint64_t idx = wk__get64(data);
    if (idx >= or->gc_limit)
        return 0;
    if (idx + 1 > or->freed_try)
        or->freed_try = idx + 1;
    return 1;
}

static int
rt_note(rt_oracle * or, int rc, int mutation)
{
    if (rc != 0 && or->first_error == 0) {
        or->first_error = rc;
        or->error_in_mutation = mutation;
    }
    return rc;
}

void
rt_workload(wk_ring *r, rt_oracle * or, int nops)
{
    uint8_t buf[1024];
    for (int i = 0; i < nops; i++) {
        if (i % 9 == 4) {
            wk_ring_res *res = NULL;
            int rc = wk_ring_reserve(r, 50, &res);
            if (rc == WK_EFULL)
                continue;
            if (rt_note(or, rc, 1) != 0)
                return;
            wk_ring_cancel(res);
            continue;
        }
        if (i % 8 == 7) {
            or->gc_limit = or->acked > 2 ? or->acked - 2 : 0;
            int rc = wk_ring_advance_head(r, rt_gc, or, NULL);
            if (rt_note(or, rc, 2) != 0)
                return;
            or->freed_ok = or->freed_try;
            continue;
        }
        uint64_t idx = or->attempted;
        rt_payload(idx, buf);
        int flags = i % 5 == 3 ? 0 : WK_SYNC;
        uint64_t pos;
        int rc = wk_ring_append(r, buf, rt_len(idx), flags, &pos);
        if (rc == WK_EFULL) {
            or->gc_limit = or->acked;
            rc = wk_ring_sync(r);
            if (rt_note(or, rc, 1) != 0)
                return;
            or->gc_limit = or->acked;
            rc = wk_ring_advance_head(r, rt_gc, or, NULL);
            if (rt_note(or, rc, 2) != 0)
                return;
            or->freed_ok = or->freed_try;
            continue;
        }
        or->attempted = idx + 1;
        if (rt_note(or, rc, 1) != 0)
            return;
        if (flags & WK_SYNC)
            or->acked = idx + 1;
    }
    if (rt_note(or, wk_ring_sync(r), 1) == 0)
        or->acked = or->attempted;
    wk_ring_stats st;
    wk_ring_stats_get(r, &st);
    or->max_tail = st.tail;
}

void
rt_check(const wk_ring_opts *o, const rt_oracle * or, const char *what)
{
    wk_ring *r = NULL;
    wk_ring_report rep;
    int rc = wk_ring_open(RT_PATH, o, &r, &rep);
    if (rc != 0)
        fail_msg("%s: reopen: %s (%s)", what, wk_errname(rc), wk_strerror(rc));
    wk_ring_iter *it = NULL;
    wkt_assert_ok(wk_ring_iter_open(r, &it));
    uint64_t pos, prev = 0, n = 0;
    const void *data;
    size_t len;
    uint8_t want[1024];
    while ((rc = wk_ring_iter_next(it, &pos, &data, &len)) == 0) {
        if (len < 8)
            fail_msg("%s: entry of %zu bytes", what, len);
        uint64_t idx = wk__get64(data);
        if (n == 0) {
            if (idx < or->freed_ok || idx > or->freed_try)
                fail_msg("%s: first entry %llu, freed [%llu, %llu]", what,
                         (unsigned long long)idx,
                         (unsigned long long) or->freed_ok,
                         (unsigned long long) or->freed_try);
        } else if (idx != prev + 1) {
            fail_msg("%s: entry %llu after %llu (hole)", what,
                     (unsigned long long)idx, (unsigned long long)prev);
        }
        if (idx >= or->attempted)
            fail_msg("%s: entry %llu never appended (%llu)", what,
                     (unsigned long long)idx,
                     (unsigned long long) or->attempted);
        rt_payload(idx, want);
        if (len != rt_len(idx) || memcmp(want, data, len) != 0)
            fail_msg("%s: entry %llu has false bytes", what,
                     (unsigned long long)idx);
        prev = idx;
        n++;
    }
    if (rc != WK_ENOTFOUND)
        fail_msg("%s: iterate: %s", what, wk_errname(rc));
    wk_ring_iter_close(it);
    if (or->acked > or->freed_try && (n == 0 || prev + 1 < or->acked))
        fail_msg(
            "%s: acknowledged entries lost: acked %llu, last %lld (n %llu)",
            what, (unsigned long long) or->acked, n ? (long long)prev : -1LL,
            (unsigned long long)n);
    wk_ring_stats st;
    wk_ring_stats_get(r, &st);
    if (st.head > st.durable_tail || st.used + st.free != st.capacity ||
        st.entries != n)
        fail_msg("%s: stats head %llu durable %llu used %llu free %llu "
                 "entries %llu/%llu",
                 what, (unsigned long long)st.head,
                 (unsigned long long)st.durable_tail,
                 (unsigned long long)st.used, (unsigned long long)st.free,
                 (unsigned long long)st.entries, (unsigned long long)n);
    wkt_assert_ok(wk_ring_close(r));
}
