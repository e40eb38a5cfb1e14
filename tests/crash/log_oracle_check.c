/* The log oracle's checks after a power cut: verify, read-only opens under
 * every recovery policy, the checked reopen, reads, fresh appends and a
 * second crash (see log_oracle.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_oracle_int.h"
#include "wkt.h"

/* ---- checks after a crash -------------------------------------------- */

static int
dir_exists(wko_run *r)
{
    wk_vfs_stat st;
    return r->vfs->stat(r->vfs, r->dir, &st) == 0;
}

int
wko__same_list(const wko_reclist *a, const wko_reclist *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].id != b->v[i].id || a->v[i].lsn != b->v[i].lsn)
            return 0;
    return 1;
}

void
wko__report_str(const wk_log_report *rep, char *buf, size_t n)
{
    int k = snprintf(buf, n,
                     "segments %u entries %llu last %llu ckpt %llu torn %llu "
                     "bytes at %s+%llu, %u corruptions",
                     rep->segments, (unsigned long long)rep->entries,
                     (unsigned long long)rep->last_lsn,
                     (unsigned long long)rep->checkpoint_lsn,
                     (unsigned long long)rep->torn_bytes, rep->torn_file,
                     (unsigned long long)rep->torn_offset, rep->corruptions);
    for (uint32_t i = 0;
         i < rep->corruptions && i < 2 && k > 0 && (size_t)k < n; i++)
        k += snprintf(buf + k, n - (size_t)k, "; [%s @%llu lsn %llu %s]",
                      rep->corruption[i].file,
                      (unsigned long long)rep->corruption[i].offset,
                      (unsigned long long)rep->corruption[i].lsn,
                      wk_errname(rep->corruption[i].error));
}

/* Read-only opens under the other recovery policies, compared with the
 * default one (ro, rep): a crash leaves no mid-log corruption, so
 * POINT_IN_TIME recovers the same; ABSOLUTE the same or WK_ECORRUPT only
 * when there is a torn tail; SKIP_CORRUPT at least the same, in order. */
static void
policy_pass(wko_run *r, const wko_reclist *ro, const wk_log_report *rep,
            const char *label)
{
    static const wk_recovery_policy pols[] = {
        WK_RECOVER_POINT_IN_TIME, WK_RECOVER_ABSOLUTE, WK_RECOVER_SKIP_CORRUPT};
    static const char *const names[] = {"POINT_IN_TIME", "ABSOLUTE",
                                        "SKIP_CORRUPT"};
    for (int k = 0; k < 3; k++) {
        wko_reclist l = {0};
        wk_log *log = NULL;
        wk_log_report prep;
        int rc = wko__open_collect(r, 1, pols[k], &l, &log, &prep);
        if (rc == 0) {
            uint32_t gen;
            wko__unregister(r, log, &gen);
            wk_log_close(log);
        }
        if (pols[k] == WK_RECOVER_ABSOLUTE && rc == WK_ECORRUPT) {
            if (rep->torn_bytes == 0)
                wko_fail(r,
                         "%s: read-only ABSOLUTE open = WK_ECORRUPT but "
                         "the default policy saw no torn tail",
                         label);
        } else if (rc != 0) {
            wko_fail(r, "%s: read-only %s open = %s", label, names[k],
                     wk_errname(rc));
        } else if (pols[k] == WK_RECOVER_SKIP_CORRUPT) {
            int ok = l.n >= ro->n;
            for (size_t i = 0; ok && i < ro->n; i++)
                ok = l.v[i].id == ro->v[i].id && l.v[i].lsn == ro->v[i].lsn;
            for (size_t i = 1; ok && i < l.n; i++)
                ok = l.v[i].lsn > l.v[i - 1].lsn;
            if (!ok)
                wko_fail(r,
                         "%s: read-only SKIP_CORRUPT recovered %zu entries "
                         "that do not extend the default's %zu",
                         label, l.n, ro->n);
        } else if (!wko__same_list(ro, &l)) {
            wko_fail(r,
                     "%s: read-only %s recovered %zu entries, the default "
                     "policy %zu",
                     label, names[k], l.n, ro->n);
        }
        wko__reclist_free(&l);
    }
}

/* Verify + read-only open; fills ro (entries) and returns 1 when a read-only
 * recovery result is available. */
int
wko__readonly_pass(wko_run *r, wko_reclist *ro, const char *label)
{
    char rs[512];
    if (!dir_exists(r))
        return 0;
    uint64_t m0 = wk_sim_mutation_count(r->sim);
    wk_log_report vrep;
    memset(&vrep, 0, sizeof vrep);
    int rc = wk_log_verify(r->dir, r->vfs, &vrep);
    if (rc != 0 && !(rc == -ENOENT && wko_acked(r) == 0)) {
        wko__report_str(&vrep, rs, sizeof rs);
        wko_fail(r, "%s: wk_log_verify = %s (%s)", label, wk_errname(rc), rs);
    }
    uint64_t m1 = wk_sim_mutation_count(r->sim);
    if (m1 != m0)
        wko_fail(r, "%s: wk_log_verify made %llu mutating calls", label,
                 (unsigned long long)(m1 - m0));
    wk_log *log = NULL;
    wk_log_report rep;
    rc = wko__open_collect(r, 1, WK_RECOVER_TOLERATE_TORN_TAIL, ro, &log, &rep);
    if (rc != 0) {
        if (!(rc == -ENOENT && wko_acked(r) == 0)) {
            wko__report_str(&rep, rs, sizeof rs);
            wko_fail(r, "%s: read-only open = %s (%s)", label, wk_errname(rc),
                     rs);
        }
        return 0;
    }
    uint32_t gen;
    wko__unregister(r, log, &gen);
    rc = wk_log_close(log);
    if (rc != 0)
        wko_fail(r, "%s: close of read-only handle = %s", label,
                 wk_errname(rc));
    if (rep.torn_bytes > 0)
        r->torn_seen++;
    policy_pass(r, ro, &rep, label);
    uint64_t m2 = wk_sim_mutation_count(r->sim);
    if (m2 != m1)
        wko_fail(r, "%s: read-only opens made %llu mutating calls", label,
                 (unsigned long long)(m2 - m1));
    return 1;
}

typedef struct read_ctx {
    wko_run *r;
    uint32_t id;
    int ok;
} read_ctx;

static int
read_cb(void *arg, const wk_log_entry *e)
{
    read_ctx *c = arg;
    int64_t id = wko__read_entry(c->r, e, "wk_log_read");
    c->ok = id == (int64_t)c->id;
    return 0;
}

/* Every recovered entry reads back by LSN, and an iterator from 0 returns
 * valid entries in LSN order that include every recovered one. */
static void
check_reads(wko_run *r, wk_log *log, const wko_reclist *l, const char *label)
{
    for (size_t i = 0; i < l->n; i++) {
        read_ctx c = {r, l->v[i].id, 0};
        int rc = wk_log_read(log, l->v[i].lsn, read_cb, &c);
        if (rc != 0 || !c.ok) {
            wko_fail(r, "%s: wk_log_read(%llu) = %s%s", label,
                     (unsigned long long)l->v[i].lsn, wk_errname(rc),
                     rc == 0 ? " with another entry's bytes" : "");
            break;
        }
    }
    wk_log_iter *it = NULL;
    int rc = wk_log_iter_open(log, 0, &it);
    if (rc != 0) {
        wko_fail(r, "%s: wk_log_iter_open(0) = %s", label, wk_errname(rc));
        return;
    }
    size_t k = 0;
    uint64_t prev = 0;
    for (;;) {
        wk_log_entry e;
        rc = wk_log_iter_next(it, &e, 0);
        if (rc != 0)
            break;
        if (e.lsn <= prev) {
            wko_fail(r, "%s: iterator: lsn %llu after %llu", label,
                     (unsigned long long)e.lsn, (unsigned long long)prev);
            break;
        }
        prev = e.lsn;
        int64_t id = wko__read_entry(r, &e, "iterator");
        if (id < 0)
            break;
        if (k < l->n && e.lsn == l->v[k].lsn) {
            if ((uint32_t)id != l->v[k].id)
                wko_fail(r,
                         "%s: iterator: lsn %llu holds another entry than "
                         "recovery returned",
                         label, (unsigned long long)e.lsn);
            k++;
        }
    }
    if (rc != 0 && rc != WK_ENOTFOUND)
        wko_fail(r, "%s: iterator ended with %s", label, wk_errname(rc));
    if (k != l->n)
        wko_fail(r,
                 "%s: iterator from 0 returned %zu of the %zu recovered "
                 "entries",
                 label, k, l->n);
    wk_log_iter_close(it);
}

/* Normal open + oracle check; returns the open handle or NULL. */
static wk_log *
checked_open(wko_run *r, wk_recovery_policy pol, const wko_reclist *expect,
             const char *label, int *rc_out)
{
    char rs[512];
    wko_reclist l = {0};
    wk_log *log = NULL;
    wk_log_report rep;
    int rc = wko__open_collect(r, 0, pol, &l, &log, &rep);
    if (rc_out != NULL)
        *rc_out = rc;
    if (rc != 0) {
        wko__report_str(&rep, rs, sizeof rs);
        wko_fail(r, "%s: wk_log_open = %s (%s)", label, wk_errname(rc), rs);
        wko__reclist_free(&l);
        return NULL;
    }
    if (expect != NULL && !wko__same_list(expect, &l))
        wko_fail(
            r,
            "%s: recovery returned %zu entries (last lsn %llu), the "
            "read-only / uninterrupted recovery %zu (last lsn %llu)",
            label, l.n, (unsigned long long)(l.n ? l.v[l.n - 1].lsn : 0),
            expect->n,
            (unsigned long long)(expect->n ? expect->v[expect->n - 1].lsn : 0));
    wko__check_recovered(r, &l, &rep, 1, label);
    uint64_t last = l.n ? l.v[l.n - 1].lsn : 0;
    uint64_t d = wk_log_durable_lsn(log), a = wk_log_last_lsn(log);
    if (d < last || a < last)
        wko_fail(r,
                 "%s: after recovering up to lsn %llu, durable_lsn is "
                 "%llu and last_lsn %llu",
                 label, (unsigned long long)last, (unsigned long long)d,
                 (unsigned long long)a);
    check_reads(r, log, &l, label);
    wko__reclist_free(&l);
    return log;
}

int
wko_recover_check(wko_run *r, wk_recovery_policy recovery)
{
    int rc = 0;
    wk_log *log = checked_open(r, recovery, NULL, "recovery", &rc);
    if (log != NULL) {
        int crc = wko_close(r, log);
        if (crc != 0)
            wko_fail(r, "recovery: close after recovery = %s", wk_errname(crc));
    }
    return rc;
}

/* After recovery: fresh appends must get LSNs above everything claimed and
 * must survive another crash. */
static void
post_appends(wko_run *r, wk_log *log, int post_policy, uint64_t seed)
{
    uint64_t floor_lsn = wko__max_claimed_lsn(r, r->last_ckpt);
    int w = wko_writer(r);
    uint64_t l1 = 0, l2 = 0;
    int rc = wko_append(r, log, w, 100, WK_SYNC, &l1);
    if (rc != 0) {
        wko_fail(r, "post-recovery WK_SYNC append = %s (%s)", wk_errname(rc),
                 wk_log_errmsg(log));
    } else if (l1 <= floor_lsn) {
        wko_fail(r,
                 "post-recovery append got lsn %llu, not above %llu "
                 "(recovered/acknowledged)",
                 (unsigned long long)l1, (unsigned long long)floor_lsn);
    }
    rc = wko_append(r, log, w, 300, 0, &l2);
    if (rc == 0)
        rc = wko_sync(r, log, l2);
    if (rc != 0)
        wko_fail(r, "post-recovery append+sync = %s (%s)", wk_errname(rc),
                 wk_log_errmsg(log));
    rc = wko_close(r, log);
    if (rc != 0)
        wko_fail(r, "close after post-recovery appends = %s", wk_errname(rc));
    rc = wk_sim_crash(r->sim, seed ^ 0x5bd1e995u, post_policy);
    if (rc != 0) {
        wko_fail(r, "wk_sim_crash = %s", wk_errname(rc));
        return;
    }
    wk_log *l =
        checked_open(r, WK_RECOVER_TOLERATE_TORN_TAIL, NULL,
                     "reopen after post-recovery appends + crash", NULL);
    if (l != NULL) {
        rc = wko_close(r, l);
        if (rc != 0)
            wko_fail(r, "final close = %s", wk_errname(rc));
    }
}

void
wko__check_after_crash_expect(wko_run *r, int post_policy, uint64_t seed,
                              const wko_reclist *expect, wk_recovery_policy pol)
{
    wko_reclist ro = {0};
    int have_ro = wko__readonly_pass(r, &ro, "after crash");
    const wko_reclist *cmp = expect != NULL ? expect : have_ro ? &ro : NULL;
    if (expect != NULL && have_ro && !wko__same_list(expect, &ro))
        wko_fail(r,
                 "read-only recovery after a crash inside recovery found "
                 "%zu entries, the uninterrupted one %zu",
                 ro.n, expect->n);
    wk_log *log = checked_open(r, pol, cmp, "recovery after crash", NULL);
    wko__reclist_free(&ro);
    if (log != NULL)
        post_appends(r, log, post_policy, seed);
}

void
wko_check_after_crash(wko_run *r, int post_policy, uint64_t seed)
{
    wko__check_after_crash_expect(r, post_policy, seed, NULL,
                                  WK_RECOVER_TOLERATE_TORN_TAIL);
}
