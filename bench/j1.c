/* J1 (DESIGN.md): wk_journal with transactions of 4 random 4 KiB writes.
 *
 * One run measures, in this order, on the same file system:
 *   1. the floor: pwrite 4 KiB + fdatasync per commit into a 64 MiB file
 *      that was fully written and synced first (1 writer);
 *   2. J1 with 1 committer (its latency is compared with the floor's);
 *   3. J1 with 16 committers (--writers N replaces 16).
 * The journal is a separate 64 MiB file next to a 256 MiB data file that is
 * written in full first, so neither commits nor checkpoints allocate. Each
 * commit is one transaction of 4 writes of 4 KiB at random 4 KiB-aligned
 * offsets; it returns once durable. Checkpoints run on the journal's
 * background thread (not counted in syncs_per_commit; reported apart).
 *
 *   bench_j1 --dir D [--seconds S] [--warmup S] [--writers N] [--json]
 *
 * Prints one JSON object per measurement (docs/bench.md); --json is
 * accepted for run.sh (output is always JSON). Public API only. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "walkit.h"

#define J1_WRITE 4096u
#define J1_WRITES 4u
#define J1_DATA_BYTES (256ull << 20)
#define J1_JOURNAL_BYTES (64ull << 20)

/* ---- wk_journal --------------------------------------------------------- */

typedef struct j1_db {
    wk_journal *j;
    char data[4096];
    char jnl[4096];
} j1_db;

static wk_journal_stats j1_final; /* stats at the last close */

static void *
j1_open(const bench_args *a)
{
    j1_db *db = calloc(1, sizeof *db);
    if (db == NULL)
        return NULL;
    snprintf(db->data, sizeof db->data, "%s/j1-data.img", a->dir);
    snprintf(db->jnl, sizeof db->jnl, "%s/j1-data.jnl", a->dir);
    unlink(db->jnl);
    if (bench_fill_file(db->data, J1_DATA_BYTES, 11) != 0) {
        perror(db->data);
        free(db);
        return NULL;
    }
    wk_journal_opts o;
    wk_journal_opts_init(&o);
    o.journal_path = db->jnl;
    o.capacity = J1_JOURNAL_BYTES;
    int rc = wk_journal_format(db->data, &o);
    if (rc == 0)
        rc = wk_journal_open(db->data, &o, &db->j, NULL);
    if (rc != 0) {
        fprintf(stderr, "bench_j1: journal: %s\n", wk_strerror(rc));
        free(db);
        return NULL;
    }
    return db;
}

static uint64_t
j1_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int
j1_commit(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    j1_db *db = p;
    wk_journal_txn *txn = NULL;
    uint64_t rs = ((uint64_t)t << 40) ^ seq;
    int rc = wk_journal_begin(db->j, &txn);
    for (unsigned i = 0; rc == 0 && i < J1_WRITES; i++) {
        uint64_t off = (j1_rand(&rs) % (J1_DATA_BYTES / J1_WRITE)) * J1_WRITE;
        const char *src = (const char *)val + (i * J1_WRITE) % len;
        rc = wk_journal_write(txn, off, src, J1_WRITE);
    }
    if (rc == 0)
        return wk_journal_commit(txn, NULL) == 0 ? 0 : -1;
    wk_journal_abort(txn);
    return -1;
}

static void
j1_counters(void *p, uint64_t *syncs, uint64_t *commits)
{
    j1_db *db = p;
    wk_journal_stats st;
    wk_journal_stats_get(db->j, &st);
    *syncs = st.syncs;
    *commits = st.commits;
}

static void
j1_close(void *p)
{
    j1_db *db = p;
    wk_journal_stats_get(db->j, &j1_final);
    int rc = wk_journal_close(db->j);
    if (rc != 0)
        fprintf(stderr, "bench_j1: close: %s\n", wk_strerror(rc));
    unlink(db->jnl);
    unlink(db->data);
    free(db);
}

static const bench_sys j1_sys = {
    .name = "walkit",
    .open = j1_open,
    .commit = j1_commit,
    .close = j1_close,
    .counters = j1_counters,
};

int
main(int argc, char **argv)
{
    bench_args a;
    int many;
    if (bench_parse_args_many(&a, argc, argv, 16, &many) != 0)
        return 2;
    bench_result floor_r, floor2_r, one_r, many_r;
    char extra[640];

    /* The floor twice: 4 KiB (DESIGN.md's floor) and the bytes one J1
     * transaction puts in the journal (4 x (16 + 4096) + 40, rounded up to
     * 512). */
    bench_args fa = a;
    fa.workload = "J1";
    fa.writers = 1;
    size_t floor_sizes[2] = {J1_WRITE, 16896};
    bench_result *floor_res[2] = {&floor_r, &floor2_r};
    for (int k = 0; k < 2; k++) {
        fa.size = floor_sizes[k];
        if (bench_run_commits(&bench_floor_sys, &fa, floor_res[k]) != 0)
            return 2;
        snprintf(extra, sizeof extra,
                 "\"mode\":\"floor\",\"write_size\":%zu,"
                 "\"writes_per_txn\":1",
                 floor_sizes[k]);
        bench_print_json("floor", &fa, floor_res[k], extra);
    }
    char floor_path[4096];
    snprintf(floor_path, sizeof floor_path, "%s/" BENCH_FLOOR_FILE, a.dir);
    unlink(floor_path);

    bench_args ja = a;
    ja.workload = "J1";
    ja.size = J1_WRITE * J1_WRITES;
    int counts[2] = {1, many};
    bench_result *res[2] = {&one_r, &many_r};
    for (int k = 0; k < 2; k++) {
        ja.writers = counts[k];
        if (bench_run_commits(&j1_sys, &ja, res[k]) != 0)
            return 2;
        double r1 = floor_r.p50_us > 0 && res[k]->p50_us > 0
                        ? res[k]->p50_us / floor_r.p50_us
                        : -1;
        double r2 = floor2_r.p50_us > 0 && res[k]->p50_us > 0
                        ? res[k]->p50_us / floor2_r.p50_us
                        : -1;
        snprintf(extra, sizeof extra,
                 "\"write_size\":%u,\"writes_per_txn\":%u,"
                 "\"p50_vs_floor\":%.3f,\"floor_p50_us\":%.1f,"
                 "\"p50_vs_floor_same_bytes\":%.3f,"
                 "\"floor_same_bytes_p50_us\":%.1f,"
                 "\"batches\":%llu,\"checkpoints\":%llu,"
                 "\"checkpoint_syncs\":%llu,\"full_waits\":%llu",
                 J1_WRITE, J1_WRITES, r1, floor_r.p50_us, r2, floor2_r.p50_us,
                 (unsigned long long)j1_final.batches,
                 (unsigned long long)j1_final.checkpoints,
                 (unsigned long long)j1_final.checkpoint_syncs,
                 (unsigned long long)j1_final.full_waits);
        bench_print_json("walkit", &ja, res[k], extra);
    }
    return 0;
}
