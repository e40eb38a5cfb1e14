/* wk_ring benchmark: durable appends (WK_SYNC), the DESIGN.md workloads
 * W1 (1 writer) and W2 (16 writers, or --writers N), 128 B and 4 KiB.
 *
 * One run measures, in this order, on the same file system:
 *   1. the floor: pwrite 4 KiB + fdatasync per commit into a 64 MiB file
 *      written and synced first (1 writer);
 *   2. W1 128 B, W1 4 KiB, W2 128 B, W2 4 KiB on a 256 MiB ring formatted
 *      first (preallocated and zero-filled, so appends write into written
 *      space). When the ring fills up, the committer that got WK_EFULL
 *      frees every durable entry (wk_ring_advance_head) and retries; those
 *      superblock syncs are reported apart (head_advances).
 *
 *   bench_ring --dir D [--seconds S] [--warmup S] [--writers N] [--json]
 *
 * Prints one JSON object per measurement (docs/bench.md), system
 * "walkit-ring"; --json is accepted for run.sh (output is always JSON).
 * Public API only. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "walkit.h"

#define BR_RING_BYTES (256ull << 20)

typedef struct br_db {
    wk_ring *r;
    char path[4096];
    atomic_ullong advances;
} br_db;

static wk_ring_stats br_final;
static unsigned long long br_final_advances;

static void *
br_open(const bench_args *a)
{
    br_db *db = calloc(1, sizeof *db);
    if (db == NULL)
        return NULL;
    snprintf(db->path, sizeof db->path, "%s/ring.img", a->dir);
    unlink(db->path);
    wk_ring_opts o;
    wk_ring_opts_init(&o);
    o.capacity = BR_RING_BYTES;
    int rc = wk_ring_format(db->path, &o);
    o.capacity = 0;
    if (rc == 0)
        rc = wk_ring_open(db->path, &o, &db->r, NULL);
    if (rc != 0) {
        fprintf(stderr, "bench_ring: %s: %s\n", db->path, wk_strerror(rc));
        free(db);
        return NULL;
    }
    return db;
}

static int
br_commit(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    br_db *db = p;
    (void)t;
    (void)seq;
    for (int tries = 0; tries < 3; tries++) {
        int rc = wk_ring_append(db->r, val, len, WK_SYNC, NULL);
        if (rc == 0)
            return 0;
        if (rc != WK_EFULL) {
            fprintf(stderr, "bench_ring: append: %s (%s)\n", wk_strerror(rc),
                    wk_ring_errmsg(db->r));
            return -1;
        }
        rc = wk_ring_advance_head(db->r, NULL, NULL, NULL);
        if (rc != 0)
            return -1;
        atomic_fetch_add(&db->advances, 1);
    }
    return -1;
}

static void
br_counters(void *p, uint64_t *syncs, uint64_t *commits)
{
    br_db *db = p;
    wk_ring_stats st;
    wk_ring_stats_get(db->r, &st);
    *syncs = st.syncs;
    *commits = st.appends;
}

static void
br_close(void *p)
{
    br_db *db = p;
    wk_ring_stats_get(db->r, &br_final);
    br_final_advances = atomic_load(&db->advances);
    int rc = wk_ring_close(db->r);
    if (rc != 0)
        fprintf(stderr, "bench_ring: close: %s\n", wk_strerror(rc));
    unlink(db->path);
    free(db);
}

static const bench_sys br_sys = {
    .name = "walkit-ring",
    .open = br_open,
    .commit = br_commit,
    .close = br_close,
    .counters = br_counters,
};

int
main(int argc, char **argv)
{
    bench_args a;
    int many;
    if (bench_parse_args_many(&a, argc, argv, 16, &many) != 0)
        return 2;
    char extra[512];

    bench_args fa = a;
    fa.workload = "W1";
    fa.writers = 1;
    fa.size = 4096;
    bench_result floor_r;
    if (bench_run_commits(&bench_floor_sys, &fa, &floor_r) != 0)
        return 2;
    bench_print_json("ring-floor", &fa, &floor_r, "\"mode\":\"floor\"");
    char floor_path[4096];
    snprintf(floor_path, sizeof floor_path, "%s/" BENCH_FLOOR_FILE, a.dir);
    unlink(floor_path);

    int writers[2] = {1, many};
    size_t sizes[2] = {128, 4096};
    for (int w = 0; w < 2; w++) {
        for (int s = 0; s < 2; s++) {
            bench_args ra = a;
            ra.workload = w == 0 ? "W1" : "W2";
            ra.writers = writers[w];
            ra.size = sizes[s];
            bench_result r;
            if (bench_run_commits(&br_sys, &ra, &r) != 0)
                return 2;
            double ratio = floor_r.p50_us > 0 && r.p50_us > 0
                               ? r.p50_us / floor_r.p50_us
                               : -1;
            snprintf(extra, sizeof extra,
                     "\"p50_vs_floor\":%.3f,\"floor_p50_us\":%.1f,"
                     "\"batches\":%llu,\"ring_syncs\":%llu,"
                     "\"head_advances\":%llu",
                     ratio, floor_r.p50_us,
                     (unsigned long long)br_final.batches,
                     (unsigned long long)br_final.syncs, br_final_advances);
            bench_print_json("walkit-ring", &ra, &r, extra);
        }
    }
    return 0;
}
