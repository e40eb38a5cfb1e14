/* SQLite peer: WAL mode, synchronous=FULL, one autocommit INSERT per
 * commit into kv(k INTEGER PRIMARY KEY, v BLOB) with unique keys
 * (thread << 40 | sequence); with --batch N (M1) one commit is a
 * transaction (BEGIN; N INSERTs; COMMIT) with keys (thread << 40 |
 * sequence * N + item).
 *
 * How writers share it: ONE connection shared by every writer thread,
 * serialized by a pthread mutex around each INSERT (SQLite allows one
 * writer at a time anyway; a connection per thread with a busy timeout
 * would add busy-handler sleeps and measure SQLite's back-off instead of
 * its commit path). Each commit appends its frames to the -wal file and
 * fsyncs it; automatic checkpoints (default every 1000 pages) stay on. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "sync_count.h"

typedef struct sdb {
    sqlite3 *db;
    sqlite3_stmt *ins;
    pthread_mutex_t mu;
    int batch;
    _Atomic uint64_t commits;
} sdb;

static int
sdb_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static void *
sdb_open(const bench_args *a)
{
    char path[4096];
    if (bench_mkdirs(a->dir) != 0) {
        perror(a->dir);
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/bench.sqlite", a->dir);
    sdb *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite3_open %s: %s\n", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (sdb_exec(s->db, "PRAGMA journal_mode=WAL") != 0 ||
        sdb_exec(s->db, a->sync ? "PRAGMA synchronous=FULL"
                                : "PRAGMA synchronous=OFF") != 0 ||
        sdb_exec(s->db, "CREATE TABLE IF NOT EXISTS kv("
                        "k INTEGER PRIMARY KEY, v BLOB)") != 0)
        goto fail;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO kv(k, v) VALUES(?, ?)", -1,
                           &s->ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite prepare: %s\n", sqlite3_errmsg(s->db));
        goto fail;
    }
    s->batch = a->batch;
    return s;
fail:
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
}

static int
sdb_commit(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    sdb *s = p;
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    if (s->batch > 1 && sdb_exec(s->db, "BEGIN") != 0)
        rc = -1;
    for (int i = 0; rc == 0 && i < s->batch; i++) {
        uint64_t k =
            s->batch > 1 ? seq * (uint64_t)s->batch + (uint64_t)i : seq;
        sqlite3_bind_int64(s->ins, 1, (sqlite3_int64)(((uint64_t)t << 40) | k));
        sqlite3_bind_blob(s->ins, 2, val, (int)len, SQLITE_STATIC);
        if (sqlite3_step(s->ins) != SQLITE_DONE) {
            fprintf(stderr, "sqlite insert: %s\n", sqlite3_errmsg(s->db));
            rc = -1;
        }
        sqlite3_reset(s->ins);
    }
    if (s->batch > 1 && sdb_exec(s->db, rc == 0 ? "COMMIT" : "ROLLBACK") != 0)
        rc = -1;
    pthread_mutex_unlock(&s->mu);
    if (rc == 0)
        atomic_fetch_add(&s->commits, 1);
    return rc;
}

static void
sdb_close(void *p)
{
    sdb *s = p;
    sqlite3_finalize(s->ins);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static void
sdb_counters(void *p, uint64_t *syncs, uint64_t *commits)
{
    sdb *s = p;
    *syncs = bench_sync_count();
    *commits = atomic_load(&s->commits);
}

static const bench_sys sdb_sys = {
    .name = "sqlite",
    .open = sdb_open,
    .commit = sdb_commit,
    .close = sdb_close,
    .counters = sdb_counters,
};

int
main(int argc, char **argv)
{
    bench_args a;
    bench_result r;
    if (bench_parse_args(&a, argc, argv) != 0)
        return 2;
    if (!a.notes)
        a.notes = "one shared connection, writers serialized by a mutex";
    if (bench_run_commits(&sdb_sys, &a, &r) != 0)
        return 2;
    bench_print_json("sqlite", &a, &r, NULL);
    return 0;
}
