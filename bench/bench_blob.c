/* B1 (DESIGN.md): wk_blob durable puts, 1 MiB objects by default.
 *
 *   bench_blob --dir DIR [--writers N] [--size BYTES] [--seconds S]
 *              [--warmup S] [--count N] [--cdf FILE] [--notes TEXT]
 *
 * Each commit is one wk_blob_put(..., WK_SYNC): the object's bytes written
 * into the current chunk, a (shared) chunk fdatasync, then the command
 * record through wk_log with a (shared) log fdatasync. Prints one JSON line
 * (bench_util.h format) with system "walkit", workload "B1", and extra
 * fields: chunk and log syncs per put, chunks created. The store is removed
 * at the end. Public API only. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "walkit.h"

typedef struct b1_db {
    wk_blob *b;
    char dir[4096];
} b1_db;

static wk_blob_stats b1_final;

static void *
b1_open(const bench_args *a)
{
    b1_db *db = calloc(1, sizeof *db);
    if (db == NULL)
        return NULL;
    snprintf(db->dir, sizeof db->dir, "%s/b1-store", a->dir);
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    if (a->size > o.chunk_bytes - 4096)
        o.chunk_bytes = ((uint64_t)a->size + 4096 + 4095) / 4096 * 4096;
    int rc = wk_blob_open(db->dir, &o, &db->b, NULL);
    if (rc != 0) {
        fprintf(stderr, "bench_blob: open %s: %s\n", db->dir, wk_strerror(rc));
        free(db);
        return NULL;
    }
    return db;
}

static int
b1_commit(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    b1_db *db = p;
    (void)seq;
    int rc = wk_blob_put(db->b, val, len, (uint64_t)t + 1, WK_SYNC, NULL);
    if (rc != 0)
        fprintf(stderr, "bench_blob: put: %s (%s)\n", wk_strerror(rc),
                wk_blob_errmsg(db->b));
    return rc == 0 ? 0 : -1;
}

static void
b1_counters(void *p, uint64_t *syncs, uint64_t *commits)
{
    b1_db *db = p;
    wk_blob_stats st;
    wk_blob_stats_get(db->b, &st);
    *syncs = st.chunk_syncs + st.log_syncs;
    *commits = st.puts;
}

static int
b1_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void
b1_close(void *p)
{
    b1_db *db = p;
    wk_blob_stats_get(db->b, &b1_final);
    int rc = wk_blob_close(db->b);
    if (rc != 0)
        fprintf(stderr, "bench_blob: close: %s\n", wk_strerror(rc));
    nftw(db->dir, b1_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(db);
}

static const bench_sys b1_sys = {
    .name = "walkit",
    .open = b1_open,
    .commit = b1_commit,
    .close = b1_close,
    .counters = b1_counters,
};

int
main(int argc, char **argv)
{
    bench_args a;
    char *av[64];
    int ac = 0, size_given = 0, workload_given = 0;
    for (int i = 0; i < argc && ac < 63; i++) {
        if (strcmp(argv[i], "--json") == 0)
            continue;
        if (strncmp(argv[i], "--size", 6) == 0)
            size_given = 1;
        if (strncmp(argv[i], "--workload", 10) == 0)
            workload_given = 1;
        av[ac++] = argv[i];
    }
    av[ac] = NULL;
    if (bench_parse_args(&a, ac, av) != 0)
        return 2;
    if (!size_given)
        a.size = 1u << 20;
    if (!workload_given)
        a.workload = "B1";
    if (bench_mkdirs(a.dir) != 0) {
        perror(a.dir);
        return 2;
    }
    bench_result r;
    if (bench_run_commits(&b1_sys, &a, &r) != 0)
        return 2;
    char extra[512];
    double puts = b1_final.puts > 0 ? (double)b1_final.puts : 1.0;
    snprintf(extra, sizeof extra,
             "\"chunk_syncs_per_put\":%.3f,\"log_syncs_per_put\":%.3f,"
             "\"chunks_created\":%u",
             (double)b1_final.chunk_syncs / puts,
             (double)b1_final.log_syncs / puts, b1_final.current_chunk);
    bench_print_json("walkit", &a, &r, extra);
    return 0;
}
