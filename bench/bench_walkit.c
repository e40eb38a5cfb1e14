/* walkit's log under the standard workloads (DESIGN.md, "Standard
 * workloads"), through the public API only.
 *
 *   W1/W2/W5 : wk_log_append(..., WK_SYNC) from --writers threads, fixed
 *              duration (W1, W2) or --count commits per thread (W5).
 *   W3       : --bytes of --size records appended without WK_SYNC by one
 *              thread, then one wk_log_sync; time includes the sync.
 *   W4       : recovery: fills --bytes of 4 KiB records if the directory
 *              holds no log, opens once to warm the page cache, then times
 *              wk_log_open with a recover_fn that touches every entry.
 * Default wk_log_opts throughout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "walkit.h"

static void *
wkb_open(const bench_args *a)
{
    wk_log_opts o;
    wk_log *log = NULL;
    if (bench_mkdirs(a->dir) != 0) {
        perror(a->dir);
        return NULL;
    }
    wk_log_opts_init(&o);
    int rc = wk_log_open(a->dir, &o, &log, NULL);
    if (rc != 0) {
        fprintf(stderr, "wk_log_open %s: %s\n", a->dir, wk_strerror(rc));
        return NULL;
    }
    return log;
}

static int
wkb_commit(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    (void)t;
    (void)seq;
    wk_log *log = p;
    int rc = wk_log_append(log, val, len, WK_SYNC, NULL);
    if (rc != 0) {
        fprintf(stderr, "wk_log_append: %s (%s)\n", wk_strerror(rc),
                wk_log_errmsg(log));
        return -1;
    }
    return 0;
}

static int
wkb_commit_nosync(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    (void)t;
    (void)seq;
    wk_log *log = p;
    int rc = wk_log_append(log, val, len, 0, NULL);
    if (rc != 0) {
        fprintf(stderr, "wk_log_append: %s (%s)\n", wk_strerror(rc),
                wk_log_errmsg(log));
        return -1;
    }
    return 0;
}

static void
wkb_counters(void *p, uint64_t *syncs, uint64_t *commits)
{
    wk_log_stats st;
    wk_log_stats_get(p, &st);
    *syncs = st.syncs;
    *commits = st.appends;
}

static void
wkb_close(void *p)
{
    int rc = wk_log_close(p);
    if (rc != 0)
        fprintf(stderr, "wk_log_close: %s\n", wk_strerror(rc));
}

/* W3: bulk append, one sync at the end. */
static int
wkb_bulk(bench_args *a)
{
    bench_result r;
    bench_result_init(&r);
    wk_log *log = wkb_open(a);
    if (!log)
        return 2;
    unsigned char *val = malloc(a->size);
    if (!val)
        return 2;
    bench_fill_random(val, a->size, 3);
    uint64_t n = a->bytes / a->size;
    wk_log_stats s0, s1;
    wk_log_stats_get(log, &s0);
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        memcpy(val, &i, a->size < sizeof(i) ? a->size : sizeof(i));
        int rc = wk_log_append(log, val, a->size, 0, NULL);
        if (rc != 0) {
            fprintf(stderr, "wk_log_append: %s (%s)\n", wk_strerror(rc),
                    wk_log_errmsg(log));
            return 2;
        }
    }
    int rc = wk_log_sync(log, 0);
    uint64_t t1 = bench_now_ns();
    if (rc != 0) {
        fprintf(stderr, "wk_log_sync: %s\n", wk_strerror(rc));
        return 2;
    }
    wk_log_stats_get(log, &s1);
    wkb_close(log);
    free(val);
    r.commits = n;
    r.bytes = n * a->size;
    r.seconds = (double)(t1 - t0) / 1e9;
    r.commits_per_s = (double)n / r.seconds;
    r.mb_per_s = (double)r.bytes / 1e6 / r.seconds;
    if (s1.appends > s0.appends)
        r.syncs_per_commit =
            (double)(s1.syncs - s0.syncs) / (double)(s1.appends - s0.appends);
    a->sync = 0;
    char extra[160];
    snprintf(extra, sizeof(extra), "\"total_bytes\":%llu,\"batches\":%llu",
             (unsigned long long)r.bytes,
             (unsigned long long)(s1.batches - s0.batches));
    bench_print_json("walkit", a, &r, extra);
    return 0;
}

typedef struct wkb_replay {
    uint64_t entries, bytes, sum;
} wkb_replay;

static int
wkb_recover_fn(void *arg, const wk_log_entry *e)
{
    wkb_replay *rp = arg;
    rp->entries++;
    rp->bytes += e->len;
    /* touch the payload, as a real consumer would */
    if (e->data && e->len)
        rp->sum += ((const unsigned char *)e->data)[e->len - 1];
    return 0;
}

static int
wkb_open_replay(const bench_args *a, wkb_replay *rp, double *secs)
{
    wk_log_opts o;
    wk_log *log = NULL;
    wk_log_report rep;
    wk_log_opts_init(&o);
    o.recover_fn = wkb_recover_fn;
    o.recover_arg = rp;
    memset(rp, 0, sizeof(*rp));
    uint64_t t0 = bench_now_ns();
    int rc = wk_log_open(a->dir, &o, &log, &rep);
    uint64_t t1 = bench_now_ns();
    if (rc != 0) {
        fprintf(stderr, "wk_log_open %s: %s\n", a->dir, wk_strerror(rc));
        return -1;
    }
    *secs = (double)(t1 - t0) / 1e9;
    wkb_close(log);
    return 0;
}

/* W4: recovery of a --bytes log, warm cache. */
static int
wkb_recovery(bench_args *a)
{
    bench_result r;
    wkb_replay rp;
    double secs;
    bench_result_init(&r);
    if (bench_mkdirs(a->dir) != 0) {
        perror(a->dir);
        return 2;
    }
    if (wkb_open_replay(a, &rp, &secs) != 0)
        return 2;
    if (rp.entries == 0) {
        /* no log yet: write one (W3-style), then warm the cache */
        bench_args fill = *a;
        fill.size = 4096;
        fill.workload = "W4-fill";
        wk_log *log = wkb_open(&fill);
        unsigned char *val = malloc(fill.size);
        if (!log || !val)
            return 2;
        bench_fill_random(val, fill.size, 5);
        for (uint64_t i = 0; i < a->bytes / fill.size; i++) {
            memcpy(val, &i, sizeof(i));
            if (wk_log_append(log, val, fill.size, 0, NULL) != 0)
                return 2;
        }
        free(val);
        if (wk_log_close(log) != 0)
            return 2;
        if (wkb_open_replay(a, &rp, &secs) != 0)
            return 2;
    }
    if (wkb_open_replay(a, &rp, &secs) != 0)
        return 2;
    r.commits = rp.entries;
    r.bytes = rp.bytes;
    r.seconds = secs;
    r.commits_per_s = (double)rp.entries / secs;
    r.mb_per_s = (double)rp.bytes / 1e6 / secs;
    a->size = rp.entries ? (size_t)(rp.bytes / rp.entries) : 0;
    a->sync = 0;
    char extra[160];
    snprintf(extra, sizeof(extra),
             "\"total_bytes\":%llu,\"gb_per_s\":%.3f,\"checksum\":%llu",
             (unsigned long long)rp.bytes, (double)rp.bytes / 1e9 / secs,
             (unsigned long long)rp.sum);
    bench_print_json("walkit", a, &r, extra);
    return 0;
}

int
main(int argc, char **argv)
{
    bench_args a;
    bench_result r;
    if (bench_parse_args(&a, argc, argv) != 0)
        return 2;
    if (strcmp(a.workload, "W3") == 0)
        return wkb_bulk(&a);
    if (strcmp(a.workload, "W4") == 0)
        return wkb_recovery(&a);
    bench_sys sys = {
        .name = "walkit",
        .open = wkb_open,
        .commit = a.sync ? wkb_commit : wkb_commit_nosync,
        .close = wkb_close,
        .counters = wkb_counters,
    };
    if (bench_run_commits(&sys, &a, &r) != 0)
        return 2;
    bench_print_json("walkit", &a, &r, NULL);
    return 0;
}
