/* Regression tests for the defects of sled's metadata store, one each:
 * stale snapshots deleted by bare name relative to the cwd (taking the
 * newer one with them); a fresh snapshot taking the old one's name and
 * deleting itself; no directory fsync after creating a log or snapshot;
 * an error latch that is a use-after-free; recovery that stops a log at
 * a bad frame but applies later entries over the gap; one fsync per batch
 * with no group commit. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt_work.h"
#include "wkt.h"

typedef struct rg_names {
    int snaps;
    char last[64];
} rg_names;

static int
rg_list_fn(void *arg, const char *name)
{
    rg_names *n = arg;
    if (strncmp(name, "snap-", 5) == 0) {
        n->snaps++;
        snprintf(n->last, sizeof n->last, "%s", name);
    }
    return 0;
}

static rg_names
rg_snaps(wk_vfs *vfs, const char *dir)
{
    rg_names n;
    memset(&n, 0, sizeof n);
    wkt_assert_ok(vfs->list(vfs, dir, rg_list_fn, &n));
    return n;
}

/* Old snapshots are deleted by their full path inside the store: a file
 * with the same bare name in the working directory survives, and the
 * newest snapshot stays. */
static void
test_stale_snapshot_full_path(void **state)
{
    (void)state;
    char *root = wkt_tmpdir("meta_fullpath");
    char cwd_dir[512], store[512], decoy[600], saved[512];
    snprintf(cwd_dir, sizeof cwd_dir, "%s/cwd", root);
    snprintf(store, sizeof store, "%s/store", root);
    assert_int_equal(mkdir(cwd_dir, 0755), 0);
    assert_non_null(getcwd(saved, sizeof saved));
    assert_int_equal(chdir(cwd_dir), 0);
    /* Decoys named like the snapshots the store will write and delete. */
    for (int g = 1; g <= 3; g++) {
        snprintf(decoy, sizeof decoy, "snap-%016x.wks", g);
        FILE *f = fopen(decoy, "w");
        assert_non_null(f);
        fputs("decoy", f);
        fclose(f);
    }
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(store, NULL, &m, NULL));
    for (int i = 1; i <= 3; i++) {
        wkt_assert_ok(mt_batch(m, i, WK_SYNC));
        wkt_assert_ok(wk_meta_compact(m));
    }
    wkt_assert_ok(wk_meta_close(m));
    for (int g = 1; g <= 3; g++) {
        snprintf(decoy, sizeof decoy, "snap-%016x.wks", g);
        assert_int_equal(access(decoy, F_OK), 0);
    }
    rg_names n = rg_snaps(wk_vfs_posix(), store);
    assert_int_equal(n.snaps, 1);
    assert_string_equal(n.last, "snap-0000000000000003.wks");
    assert_int_equal(chdir(saved), 0);
    mt_oracle orc = {3, 3, 0};
    wkt_assert_ok(wk_meta_open(store, NULL, &m, NULL));
    char why[200];
    if (mt_check_store(m, &orc, why, sizeof why) != 0)
        fail_msg("%s", why);
    wkt_assert_ok(wk_meta_close(m));
    wkt_tmpdir_remove(root);
}

/* A new snapshot never reuses an existing name, even with nothing new to
 * write or with a leftover temporary of a higher generation: it never
 * deletes itself, and the store reopens with its data. */
static void
test_fresh_snapshot_new_name(void **state)
{
    (void)state;
    wk_sim *sim = mt_sim(3);
    wk_vfs *vfs = wk_sim_vfs(sim);
    wk_meta_opts o;
    mt_opts(&o, sim);
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(MT_DIR, &o, &m, NULL));
    wkt_assert_ok(mt_batch(m, 1, WK_SYNC));
    wkt_assert_ok(wk_meta_compact(m));
    wkt_assert_ok(wk_meta_compact(m)); /* nothing new */
    wkt_assert_ok(mt_batch(m, 2, WK_SYNC));
    wkt_assert_ok(wk_meta_compact(m));
    wk_meta_stats st;
    wk_meta_stats_get(m, &st);
    assert_int_equal(st.snap_gen, 2);
    wkt_assert_ok(wk_meta_close(m));
    /* A crashed compaction left generation 9's temporary behind. */
    wk_file *f = NULL;
    wkt_assert_ok(vfs->open(vfs, MT_DIR "/snap-0000000000000009.wks.tmp",
                            WK_O_CREATE | WK_O_RDWR, &f));
    wk_file_close(f);
    wkt_assert_ok(wk_meta_open(MT_DIR, &o, &m, NULL));
    wkt_assert_ok(mt_batch(m, 3, WK_SYNC));
    wkt_assert_ok(wk_meta_compact(m));
    wk_meta_stats_get(m, &st);
    assert_int_equal(st.snap_gen, 10);
    wkt_assert_ok(wk_meta_close(m));
    rg_names n = rg_snaps(vfs, MT_DIR);
    assert_int_equal(n.snaps, 1);
    assert_string_equal(n.last, "snap-000000000000000a.wks");
    mt_oracle orc = {3, 3, 0};
    mt_check(vfs, &orc, "after compactions");
    wk_sim_destroy(sim);
}

/* The store directory, the log directory and every snapshot are made
 * durable with a directory fsync before anything depends on them: the
 * trace shows the sync_dir, and losing every unsynced name operation
 * loses nothing acknowledged. */
static void
test_dir_fsync(void **state)
{
    (void)state;
    wk_sim_opts so;
    wk_sim_opts_init(&so);
    so.trace = 1;
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(&so, &sim));
    wk_meta_opts o;
    mt_opts(&o, sim);
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(MT_DIR, &o, &m, NULL));
    wkt_assert_ok(mt_batch(m, 1, WK_SYNC));
    wkt_assert_ok(wk_meta_compact(m));
    const char *tr = wk_sim_trace(sim);
    const char *mk = strstr(tr, "mkdir " MT_DIR "\n");
    assert_non_null(mk);
    assert_non_null(strstr(mk, "sync_dir ."));
    const char *mkw = strstr(tr, "mkdir " MT_DIR "/wal\n");
    assert_non_null(mkw);
    assert_true(strstr(mkw, "sync_dir " MT_DIR "\n") != NULL);
    const char *ren =
        strstr(tr, "rename " MT_DIR "/snap-0000000000000001.wks.tmp " MT_DIR
                   "/snap-0000000000000001.wks");
    assert_non_null(ren);
    const char *sd = strstr(ren, "sync_dir " MT_DIR "\n");
    const char *ck = strstr(ren, "CHECKPOINT");
    assert_non_null(sd);
    assert_non_null(ck);
    assert_true(sd < ck); /* snapshot name durable before the log moves on */
    wkt_assert_ok(mt_batch(m, 2, WK_SYNC));
    /* Power cut losing every name operation not fsync'd. */
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_LOSE_DIR_OPS));
    wk_meta_close(m);
    mt_oracle orc = {2, 2, 0};
    mt_check(wk_sim_vfs(sim), &orc, "lose dir ops");
    wk_sim_destroy(sim);
}

typedef struct rg_thr {
    wk_meta *m;
    int rc;
} rg_thr;

static void *
rg_poisoned_writer(void *arg)
{
    rg_thr *t = arg;
    for (int i = 0; i < 200; i++) {
        int rc = mt_batch(t->m, 1000 + i, WK_SYNC);
        if (rc != WK_EPOISONED && rc != -EIO) {
            t->rc = rc == 0 ? -1 : rc;
            return NULL;
        }
        uint64_t v;
        wk_meta_get(t->m, 0, &v, NULL, 0, NULL);
        (void)wk_meta_errmsg(t->m);
    }
    return NULL;
}

/* After a failed fsync the handle stays poisoned and safe: every later
 * write and compaction gets WK_EPOISONED from any thread, reads, stats and
 * the error message keep working, close frees everything, and a reopen
 * recovers the acknowledged batches. */
static void
test_error_latch(void **state)
{
    (void)state;
    wk_sim *sim = mt_sim(4);
    wk_meta_opts o;
    mt_opts(&o, sim);
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(MT_DIR, &o, &m, NULL));
    wkt_assert_ok(mt_batch(m, 1, WK_SYNC));
    wkt_assert_ok(mt_batch(m, 2, WK_SYNC));
    /* The next file sync (the log's fdatasync of batch 3) fails. */
    wk_sim_fault(sim, WK_SIM_OP_SYNC, 1, WK_SIM_FAULT_EIO);
    int rc = mt_batch(m, 3, WK_SYNC);
    assert_true(rc == -EIO || rc == WK_EPOISONED);
    wk_meta_stats st;
    wk_meta_stats_get(m, &st);
    assert_int_not_equal(st.poisoned, 0);
    assert_true(wk_meta_errmsg(m)[0] != '\0');
    enum { NT = 4 };
    pthread_t th[NT];
    rg_thr t[NT];
    for (int i = 0; i < NT; i++) {
        t[i] = (rg_thr){m, 0};
        pthread_create(&th[i], NULL, rg_poisoned_writer, &t[i]);
    }
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        wkt_assert_ok(t[i].rc);
    }
    wkt_assert_rc(mt_batch(m, 4, 0), WK_EPOISONED);
    wkt_assert_rc(wk_meta_compact(m), WK_EPOISONED);
    uint64_t v = 0;
    wkt_assert_ok(wk_meta_get(m, 0, &v, NULL, 0, NULL));
    assert_int_equal(v, 2); /* the failed batch never became visible */
    wk_meta_close(m);
    wk_sim_fault(sim, WK_SIM_OP_ANY, 0, 0);
    mt_oracle orc = {3, 2, 0};
    mt_check(wk_sim_vfs(sim), &orc, "after poison");
    wk_sim_destroy(sim);
}

/* Finds the log offset of batch i's unique key (uncompressed entries);
 * 0 if not in seg. */
static uint64_t
rg_find_batch(wk_sim *sim, const char *seg, int i)
{
    static uint8_t img[64 << 10];
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, seg, 0, img, sizeof img, &n));
    uint8_t pat[9];
    pat[0] = 1; /* PUT */
    uint64_t key = 100 + (uint64_t)i;
    for (int k = 0; k < 8; k++)
        pat[1 + k] = (uint8_t)(key >> (8 * k));
    for (size_t off = 4096; off + sizeof pat <= n; off++)
        if (memcmp(img + off, pat, sizeof pat) == 0)
            return off;
    return 0;
}

static char rg_segs[8][128];
static int rg_nsegs;

static int
rg_seg_fn(void *arg, const char *name)
{
    (void)arg;
    if (strncmp(name, "seg-", 4) == 0 && rg_nsegs < 8)
        snprintf(rg_segs[rg_nsegs++], 128, MT_DIR "/wal/%s", name);
    return 0;
}

/* A bad batch in the middle of the log, with valid batches after it,
 * fails open with WK_ECORRUPT (and verify says so) instead of applying
 * the later batches over the gap; with point-in-time recovery only the
 * prefix before it comes back. A log checkpointed past the newest
 * snapshot (snapshot lost) is corruption too. */
static void
test_no_apply_over_gap(void **state)
{
    (void)state;
    wk_sim *sim = mt_sim(5);
    wk_meta_opts o;
    mt_opts(&o, sim);
    o.compress_level = 0;
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(MT_DIR, &o, &m, NULL));
    for (int i = 1; i <= 10; i++)
        wkt_assert_ok(mt_batch(m, i, WK_SYNC));
    wkt_assert_ok(wk_meta_close(m));
    wk_vfs *vfs = wk_sim_vfs(sim);
    rg_nsegs = 0;
    vfs->list(vfs, MT_DIR "/wal", rg_seg_fn, NULL);
    const char *seg = NULL;
    uint64_t off = 0;
    for (int k = 0; k < rg_nsegs && off == 0; k++)
        if ((off = rg_find_batch(sim, rg_segs[k], 5)) != 0)
            seg = rg_segs[k];
    assert_non_null(seg);
    uint8_t c;
    size_t n;
    wkt_assert_ok(wk_sim_peek(sim, seg, off + 12, &c, 1, &n));
    c ^= 0xff;
    wkt_assert_ok(wk_sim_poke(sim, seg, off + 12, &c, 1));
    wk_meta_report rep;
    wkt_assert_rc(wk_meta_open(MT_DIR, &o, &m, &rep), WK_ECORRUPT);
    assert_true(rep.log.corruptions > 0);
    wkt_assert_rc(wk_meta_verify(MT_DIR, vfs, &rep), WK_ECORRUPT);
    assert_non_null(strstr(rep.errmsg, "seg-"));
    o.recovery = WK_RECOVER_POINT_IN_TIME;
    wkt_assert_ok(wk_meta_open(MT_DIR, &o, &m, &rep));
    uint64_t v = 0;
    wkt_assert_ok(wk_meta_get(m, 0, &v, NULL, 0, NULL));
    assert_int_equal(v, 4);
    wkt_assert_rc(wk_meta_get(m, 106, NULL, NULL, 0, NULL), WK_ENOTFOUND);
    mt_oracle orc = {4, 4, 0};
    char why[200];
    if (mt_check_store(m, &orc, why, sizeof why) != 0)
        fail_msg("point in time: %s", why);
    /* Compact, then lose the snapshot: the log alone must not be trusted. */
    wkt_assert_ok(wk_meta_compact(m));
    wkt_assert_ok(wk_meta_close(m));
    wkt_assert_ok(vfs->unlink(vfs, MT_DIR "/snap-0000000000000001.wks"));
    o.recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
    wkt_assert_rc(wk_meta_open(MT_DIR, &o, &m, &rep), WK_ECORRUPT);
    assert_non_null(strstr(rep.errmsg, "checkpointed"));
    wk_sim_destroy(sim);
}

typedef struct rg_gc {
    wk_meta *m;
    int id;
    int rc;
} rg_gc;

static void *
rg_gc_writer(void *arg)
{
    rg_gc *t = arg;
    for (int i = 0; i < 100 && t->rc == 0; i++) {
        wk_meta_batch *b = NULL;
        t->rc = wk_meta_batch_new(t->m, &b);
        uint64_t key = (uint64_t)t->id * 1000000 + (uint64_t)i;
        if (t->rc == 0)
            t->rc = wk_meta_batch_put(b, key, key, NULL, 0);
        if (t->rc == 0)
            t->rc = wk_meta_write(t->m, b, WK_SYNC);
        wk_meta_batch_free(b);
    }
    return NULL;
}

/* Concurrent durable writers share fdatasyncs: fewer log syncs than
 * batches (group commit), every batch acknowledged durable. */
static void
test_group_commit(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("meta_gc");
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(dir, NULL, &m, NULL));
    enum { NT = 8 };
    pthread_t th[NT];
    rg_gc t[NT];
    for (int i = 0; i < NT; i++) {
        t[i] = (rg_gc){m, i, 0};
        pthread_create(&th[i], NULL, rg_gc_writer, &t[i]);
    }
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        wkt_assert_ok(t[i].rc);
    }
    wk_meta_stats st;
    wk_meta_stats_get(m, &st);
    printf("group commit: %llu batches, %llu syncs\n",
           (unsigned long long)st.batches, (unsigned long long)st.log_syncs);
    assert_int_equal(st.batches, NT * 100);
    assert_true(st.log_syncs < st.batches * 3 / 4);
    wkt_assert_ok(wk_meta_close(m));
    wkt_tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stale_snapshot_full_path),
        cmocka_unit_test(test_fresh_snapshot_new_name),
        cmocka_unit_test(test_dir_fsync),
        cmocka_unit_test(test_error_latch),
        cmocka_unit_test(test_no_apply_over_gap),
        cmocka_unit_test(test_group_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
