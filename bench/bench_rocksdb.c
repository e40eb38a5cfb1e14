/* RocksDB peer: Put with WriteOptions.sync=true, unique 16-byte keys
 * ("tttt" thread + 12-digit sequence), value of --size bytes; with
 * --batch N (M1) one commit is a WriteBatch of N such puts (keys get a
 * 4-digit item suffix). Default options plus create_if_missing; every
 * writer thread shares one DB handle (RocksDB groups concurrent writers
 * into one WAL write + sync). */
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "sync_count.h"

typedef struct rdb {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wo;
    int batch;
    _Atomic uint64_t commits;
} rdb;

static void *
rdb_open(const bench_args *a)
{
    char *err = NULL;
    if (bench_mkdirs(a->dir) != 0) {
        perror(a->dir);
        return NULL;
    }
    rdb *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->opts, 1);
    r->db = rocksdb_open(r->opts, a->dir, &err);
    if (err) {
        fprintf(stderr, "rocksdb_open: %s\n", err);
        rocksdb_free(err);
        rocksdb_options_destroy(r->opts);
        free(r);
        return NULL;
    }
    r->wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(r->wo, a->sync);
    r->batch = a->batch;
    return r;
}

static int
rdb_commit(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    rdb *r = p;
    char key[32];
    char *err = NULL;
    if (r->batch > 1) {
        rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
        for (int i = 0; i < r->batch; i++) {
            int klen = snprintf(key, sizeof(key), "%04d%012llu%04d", t,
                                (unsigned long long)seq, i);
            rocksdb_writebatch_put(wb, key, (size_t)klen, val, len);
        }
        rocksdb_write(r->db, r->wo, wb, &err);
        rocksdb_writebatch_destroy(wb);
    } else {
        int klen = snprintf(key, sizeof(key), "%04d%012llu", t,
                            (unsigned long long)seq);
        rocksdb_put(r->db, r->wo, key, (size_t)klen, val, len, &err);
    }
    if (err) {
        fprintf(stderr, "rocksdb_put: %s\n", err);
        rocksdb_free(err);
        return -1;
    }
    atomic_fetch_add(&r->commits, 1);
    return 0;
}

static void
rdb_close(void *p)
{
    rdb *r = p;
    rocksdb_close(r->db);
    rocksdb_writeoptions_destroy(r->wo);
    rocksdb_options_destroy(r->opts);
    free(r);
}

static void
rdb_counters(void *p, uint64_t *syncs, uint64_t *commits)
{
    rdb *r = p;
    *syncs = bench_sync_count();
    *commits = atomic_load(&r->commits);
}

static const bench_sys rdb_sys = {
    .name = "rocksdb",
    .open = rdb_open,
    .commit = rdb_commit,
    .close = rdb_close,
    .counters = rdb_counters,
};

int
main(int argc, char **argv)
{
    bench_args a;
    bench_result r;
    if (bench_parse_args(&a, argc, argv) != 0)
        return 2;
    if (bench_run_commits(&rdb_sys, &a, &r) != 0)
        return 2;
    bench_print_json("rocksdb", &a, &r, NULL);
    return 0;
}
