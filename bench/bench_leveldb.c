/* LevelDB peer: Put with WriteOptions.sync=true, unique 16-byte keys
 * ("tttt" thread + 12-digit sequence), value of --size bytes; with
 * --batch N (M1) one commit is a WriteBatch of N such puts. Default
 * options plus create_if_missing; every writer thread shares one DB handle
 * (LevelDB groups concurrent writers into one WAL write + sync). */
#include <leveldb/c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "sync_count.h"

typedef struct ldb {
    leveldb_t *db;
    leveldb_options_t *opts;
    leveldb_writeoptions_t *wo;
    int batch;
    _Atomic uint64_t commits;
} ldb;

static void *
ldb_open(const bench_args *a)
{
    char *err = NULL;
    if (bench_mkdirs(a->dir) != 0) {
        perror(a->dir);
        return NULL;
    }
    ldb *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->opts = leveldb_options_create();
    leveldb_options_set_create_if_missing(r->opts, 1);
    r->db = leveldb_open(r->opts, a->dir, &err);
    if (err) {
        fprintf(stderr, "leveldb_open: %s\n", err);
        leveldb_free(err);
        leveldb_options_destroy(r->opts);
        free(r);
        return NULL;
    }
    r->wo = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(r->wo, a->sync);
    r->batch = a->batch;
    return r;
}

static int
ldb_commit(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    ldb *r = p;
    char key[32];
    char *err = NULL;
    if (r->batch > 1) {
        leveldb_writebatch_t *wb = leveldb_writebatch_create();
        for (int i = 0; i < r->batch; i++) {
            int klen = snprintf(key, sizeof(key), "%04d%012llu%04d", t,
                                (unsigned long long)seq, i);
            leveldb_writebatch_put(wb, key, (size_t)klen, val, len);
        }
        leveldb_write(r->db, r->wo, wb, &err);
        leveldb_writebatch_destroy(wb);
    } else {
        int klen = snprintf(key, sizeof(key), "%04d%012llu", t,
                            (unsigned long long)seq);
        leveldb_put(r->db, r->wo, key, (size_t)klen, val, len, &err);
    }
    if (err) {
        fprintf(stderr, "leveldb_put: %s\n", err);
        leveldb_free(err);
        return -1;
    }
    atomic_fetch_add(&r->commits, 1);
    return 0;
}

static void
ldb_close(void *p)
{
    ldb *r = p;
    leveldb_close(r->db);
    leveldb_writeoptions_destroy(r->wo);
    leveldb_options_destroy(r->opts);
    free(r);
}

static void
ldb_counters(void *p, uint64_t *syncs, uint64_t *commits)
{
    ldb *r = p;
    *syncs = bench_sync_count();
    *commits = atomic_load(&r->commits);
}

static const bench_sys ldb_sys = {
    .name = "leveldb",
    .open = ldb_open,
    .commit = ldb_commit,
    .close = ldb_close,
    .counters = ldb_counters,
};

int
main(int argc, char **argv)
{
    bench_args a;
    bench_result r;
    if (bench_parse_args(&a, argc, argv) != 0)
        return 2;
    if (bench_run_commits(&ldb_sys, &a, &r) != 0)
        return 2;
    bench_print_json("leveldb", &a, &r, NULL);
    return 0;
}
