/* Fault injection of the sim backend: every fault kind at every call index
 * of a fixed workload, kind-filtered faults, capacity ENOSPC, a failing
 * allocator at every allocation, the operation counters and the trace. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "wkt.h"

/* The workload: one vfs call per step, each of a known kind. */
enum { WL_STEPS = 22 };

static const int wl_kind[WL_STEPS + 1] = {
    0,
    WK_SIM_OP_MKDIR,    /* 1 mkdir d */
    WK_SIM_OP_OPEN,     /* 2 open d/f.tmp CREATE|EXCL */
    WK_SIM_OP_PWRITE,   /* 3 pwrite 0+1000 */
    WK_SIM_OP_PWRITE,   /* 4 pwritev 1000+600 */
    WK_SIM_OP_ALLOCATE, /* 5 allocate 0+8192 */
    WK_SIM_OP_TRUNCATE, /* 6 truncate 6000 */
    WK_SIM_OP_SYNC,     /* 7 datasync */
    WK_SIM_OP_SIZE,     /* 8 size */
    WK_SIM_OP_PREAD,    /* 9 pread */
    WK_SIM_OP_MMAP,     /* 10 mmap (+ unmap, not counted) */
    WK_SIM_OP_SYNC,     /* 11 sync */
    WK_SIM_OP_CLOSE,    /* 12 close */
    WK_SIM_OP_RENAME,   /* 13 rename d/f.tmp d/f */
    WK_SIM_OP_SYNC_DIR, /* 14 sync_dir d */
    WK_SIM_OP_STAT,     /* 15 stat d/f */
    WK_SIM_OP_LIST,     /* 16 list d */
    WK_SIM_OP_LOCK,     /* 17 lock_dir d (+ unlock, not counted) */
    WK_SIM_OP_OPEN,     /* 18 open d/g CREATE */
    WK_SIM_OP_CLOSE,    /* 19 close */
    WK_SIM_OP_UNLINK,   /* 20 unlink d/g */
    WK_SIM_OP_MKDIR,    /* 21 mkdir d/e */
    WK_SIM_OP_RMDIR,    /* 22 rmdir d/e */
};

typedef struct wl {
    wk_vfs *vfs;
    wk_file *f;
    wk_vfs_lock *lock;
    int failed_step; /* 0: none */
    int failed_rc;
} wl;

static int
wl_count(void *arg, const char *name)
{
    (void)name;
    (*(int *)arg)++;
    return 0;
}

static int
wl_step(wl *w, int step)
{
    wk_vfs *vfs = w->vfs;
    static unsigned char buf[1000];
    uint64_t size;
    size_t n;
    wk_vfs_stat st;
    int rc, count = 0;
    switch (step) {
    case 1:
        return vfs->mkdir(vfs, "d");
    case 2:
        return vfs->open(vfs, "d/f.tmp", WK_O_CREATE | WK_O_EXCL, &w->f);
    case 3:
        memset(buf, 0xAB, sizeof buf);
        return wk_file_pwrite(w->f, buf, sizeof buf, 0);
    case 4: {
        struct iovec iov[3] = {{buf, 100}, {buf, 200}, {buf, 300}};
        return wk_file_pwritev(w->f, iov, 3, 1000);
    }
    case 5:
        return wk_file_allocate(w->f, 0, 8192);
    case 6:
        return wk_file_truncate(w->f, 6000);
    case 7:
        return wk_file_sync(w->f, WK_SYNC_DATA);
    case 8:
        rc = wk_file_size(w->f, &size);
        if (rc == 0)
            assert_int_equal(size, 6000);
        return rc;
    case 9:
        rc = wk_file_pread(w->f, buf, sizeof buf, 5500, &n);
        if (rc == 0)
            assert_int_equal(n, 500);
        return rc;
    case 10: {
        const void *map = NULL;
        rc = wk_file_mmap(w->f, 0, 4096, &map);
        if (rc == 0) {
            assert_int_equal(((const unsigned char *)map)[999], 0xAB);
            wkt_assert_ok(wk_file_unmap(w->f, map, 4096));
        }
        return rc;
    }
    case 11:
        return wk_file_sync(w->f, WK_SYNC_FULL);
    case 12:
    case 19:
        rc = wk_file_close(w->f);
        w->f = NULL; /* freed even on error */
        return rc;
    case 13:
        return vfs->rename(vfs, "d/f.tmp", "d/f");
    case 14:
        return vfs->sync_dir(vfs, "d");
    case 15:
        rc = vfs->stat(vfs, "d/f", &st);
        if (rc == 0)
            assert_int_equal(st.size, 6000);
        return rc;
    case 16:
        rc = vfs->list(vfs, "d", wl_count, &count);
        if (rc == 0)
            assert_int_equal(count, 1);
        return rc;
    case 17:
        rc = vfs->lock_dir(vfs, "d", &w->lock);
        if (rc == 0) {
            wkt_assert_ok(vfs->unlock_dir(vfs, w->lock));
            w->lock = NULL;
        }
        return rc;
    case 18:
        return vfs->open(vfs, "d/g", WK_O_CREATE, &w->f);
    case 20:
        return vfs->unlink(vfs, "d/g");
    case 21:
        return vfs->mkdir(vfs, "d/e");
    case 22:
        return vfs->rmdir(vfs, "d/e");
    }
    return -EINVAL;
}

/* Runs the workload until a step fails; releases what it holds. */
static void
wl_run(wl *w, wk_vfs *vfs)
{
    memset(w, 0, sizeof *w);
    w->vfs = vfs;
    for (int step = 1; step <= WL_STEPS; step++) {
        int rc = wl_step(w, step);
        if (rc != 0) {
            w->failed_step = step;
            w->failed_rc = rc;
            break;
        }
    }
    if (w->f != NULL)
        wk_file_close(w->f);
    if (w->lock != NULL)
        vfs->unlock_dir(vfs, w->lock);
}

/* A new simulated disk (opts NULL: the defaults). */
static wk_sim *
sim_new(const wk_sim_opts *o)
{
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(o, &sim));
    return sim;
}

static int
expected_rc(int kind, int fault)
{
    if (fault == WK_SIM_FAULT_ENOSPC)
        return -ENOSPC;
    if (fault == WK_SIM_FAULT_SHORT_WRITE && kind == WK_SIM_OP_PWRITE)
        return -ENOSPC;
    return -EIO;
}

static uint64_t
cached_size(wk_sim *sim, const char *path)
{
    static unsigned char buf[16384];
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, path, 0, buf, sizeof buf, &n));
    return n;
}

/* The workload runs clean, makes one call per step, and counts each kind. */
static void
test_workload_clean_and_counted(void **state)
{
    (void)state;
    wk_sim *sim = sim_new(NULL);
    wl w;
    wl_run(&w, wk_sim_vfs(sim));
    assert_int_equal(w.failed_step, 0);
    assert_int_equal(wk_sim_op_count(sim, WK_SIM_OP_ANY), WL_STEPS);
    uint64_t per_kind[WK_SIM_OP_KIND_COUNT] = {0};
    for (int s = 1; s <= WL_STEPS; s++)
        per_kind[wl_kind[s]]++;
    for (int k = 1; k < WK_SIM_OP_KIND_COUNT; k++)
        assert_int_equal(wk_sim_op_count(sim, k), per_kind[k]);
    /* mkdir, open CREATE, pwrite x2, allocate, truncate, sync x2, rename,
     * sync_dir, open CREATE, unlink, mkdir, rmdir */
    assert_int_equal(wk_sim_mutation_count(sim), 14);
    assert_false(wk_sim_fault_fired(sim));
    wk_sim_destroy(sim);
}

/* For each fault kind and each call index N, the N-th call fails with the
 * fault's error, every earlier call succeeds, the fault reports fired, and
 * the failed call had no effect (a short write: half its bytes). */
static void
test_every_fault_at_every_call(void **state)
{
    (void)state;
    static const int faults[] = {WK_SIM_FAULT_EIO, WK_SIM_FAULT_ENOSPC,
                                 WK_SIM_FAULT_SHORT_WRITE};
    for (size_t fk = 0; fk < 3; fk++) {
        for (int n = 1; n <= WL_STEPS; n++) {
            wk_sim *sim = sim_new(NULL);
            wk_vfs *vfs = wk_sim_vfs(sim);
            wk_sim_fault(sim, WK_SIM_OP_ANY, (uint64_t)n, faults[fk]);
            wl w;
            wl_run(&w, vfs);
            if (w.failed_step != n)
                fail_msg("fault %d at call %d: failed at step %d (%s)",
                         faults[fk], n, w.failed_step, wk_errname(w.failed_rc));
            wkt_assert_rc(w.failed_rc, expected_rc(wl_kind[n], faults[fk]));
            assert_true(wk_sim_fault_fired(sim));
            wk_vfs_stat st;
            switch (n) {
            case 1:
                wkt_assert_rc(vfs->stat(vfs, "d", &st), -ENOENT);
                break;
            case 2:
                wkt_assert_rc(vfs->stat(vfs, "d/f.tmp", &st), -ENOENT);
                break;
            case 3:
                assert_int_equal(cached_size(sim, "d/f.tmp"),
                                 faults[fk] == WK_SIM_FAULT_SHORT_WRITE ? 500
                                                                        : 0);
                break;
            case 4:
                assert_int_equal(cached_size(sim, "d/f.tmp"),
                                 faults[fk] == WK_SIM_FAULT_SHORT_WRITE ? 1300
                                                                        : 1000);
                break;
            case 5:
                assert_int_equal(cached_size(sim, "d/f.tmp"), 1600);
                break;
            case 13:
                wkt_assert_rc(vfs->stat(vfs, "d/f", &st), -ENOENT);
                wkt_assert_ok(vfs->stat(vfs, "d/f.tmp", &st));
                break;
            case 20:
                wkt_assert_ok(vfs->stat(vfs, "d/g", &st));
                break;
            case 21:
                wkt_assert_rc(vfs->stat(vfs, "d/e", &st), -ENOENT);
                break;
            case 22:
                wkt_assert_ok(vfs->stat(vfs, "d/e", &st));
                break;
            }
            /* One shot: the same calls now succeed. */
            wk_sim_destroy(sim);
        }
    }
}

/* A fault aimed at one kind skips every other kind and hits the m-th call
 * of its own kind. */
static void
test_kind_filtered_faults(void **state)
{
    (void)state;
    for (int s = 1; s <= WL_STEPS; s++) {
        int kind = wl_kind[s];
        uint64_t m = 0; /* occurrence of kind at step s */
        for (int t = 1; t <= s; t++)
            m += wl_kind[t] == kind;
        wk_sim *sim = sim_new(NULL);
        wk_sim_fault(sim, kind, m, WK_SIM_FAULT_EIO);
        wl w;
        wl_run(&w, wk_sim_vfs(sim));
        if (w.failed_step != s)
            fail_msg("kind %d #%llu: failed at step %d, expected %d", kind,
                     (unsigned long long)m, w.failed_step, s);
        wkt_assert_rc(w.failed_rc, -EIO);
        wk_sim_destroy(sim);
    }
    /* Disarming (n = 0) and a fault that never comes. */
    wk_sim *sim = sim_new(NULL);
    wk_sim_fault(sim, WK_SIM_OP_PWRITE, 1, WK_SIM_FAULT_EIO);
    wk_sim_fault(sim, WK_SIM_OP_PWRITE, 0, WK_SIM_FAULT_EIO);
    wl w;
    wl_run(&w, wk_sim_vfs(sim));
    assert_int_equal(w.failed_step, 0);
    wk_sim_fault(sim, WK_SIM_OP_PWRITE, 99, WK_SIM_FAULT_EIO);
    assert_false(wk_sim_fault_fired(sim));
    wk_sim_destroy(sim);
}

/* Past opts.capacity, growing writes, allocates and truncates fail with
 * -ENOSPC and change nothing; overwrites still work; freeing a file frees
 * its space. */
static void
test_capacity_enospc(void **state)
{
    (void)state;
    wk_sim_opts o;
    wk_sim_opts_init(&o);
    o.capacity = 10000;
    wk_sim *sim = sim_new(&o);
    wk_vfs *vfs = wk_sim_vfs(sim);
    static unsigned char buf[8000];
    wk_file *f = NULL, *g = NULL;
    wkt_assert_ok(vfs->open(vfs, "f", WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_pwrite(f, buf, 8000, 0));
    wkt_assert_rc(wk_file_pwrite(f, buf, 4000, 8000), -ENOSPC);
    wkt_assert_rc(wk_file_allocate(f, 0, 20000), -ENOSPC);
    wkt_assert_rc(wk_file_truncate(f, 20000), -ENOSPC);
    assert_int_equal(cached_size(sim, "f"), 8000);
    wkt_assert_ok(wk_file_pwrite(f, buf, 4000, 4000));
    wkt_assert_ok(vfs->open(vfs, "g", WK_O_CREATE, &g));
    wkt_assert_rc(wk_file_pwrite(g, buf, 3000, 0), -ENOSPC);
    wkt_assert_ok(wk_file_pwrite(g, buf, 2000, 0));
    wkt_assert_ok(wk_file_truncate(f, 1000));
    wkt_assert_ok(wk_file_pwrite(g, buf, 7000, 0));
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(vfs->unlink(vfs, "g"));
    wkt_assert_ok(wk_file_close(g)); /* g's 7000 bytes are freed now */
    wkt_assert_ok(vfs->open(vfs, "h", WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_pwrite(f, buf, 8000, 0));
    wkt_assert_ok(wk_file_close(f));
    wk_sim_destroy(sim);
}

/* With a failing allocator at every allocation index, the workload fails
 * only with WK_ENOMEM, and destroying the disk frees everything. */
static void
test_failing_allocator(void **state)
{
    (void)state;
    wkt_alloc_install();
    int64_t live = wkt_alloc_live();
    int done = 0;
    for (int64_t n = 1; n < 400 && !done; n++) {
        wk_sim *sim = NULL;
        wkt_alloc_fail_after(n);
        int rc = wk_sim_create(NULL, &sim);
        if (rc == 0) {
            wl w;
            wl_run(&w, wk_sim_vfs(sim));
            if (w.failed_step == 0)
                done = 1;
            else if (w.failed_rc != WK_ENOMEM)
                fail_msg("allocation %lld: step %d returned %s", (long long)n,
                         w.failed_step, wk_errname(w.failed_rc));
            /* A crash either works or changes nothing. */
            rc = wk_sim_crash(sim, 1, WK_SIM_KEEP_ALL);
            assert_true(rc == 0 || rc == WK_ENOMEM);
        } else {
            wkt_assert_rc(rc, WK_ENOMEM);
        }
        wkt_alloc_reset();
        wk_sim_destroy(sim);
        assert_int_equal(wkt_alloc_live(), live);
    }
    assert_true(done);
    wk_set_allocator(NULL);
}

/* The trace holds one line per mutating call in the documented format,
 * failures marked, and can be cleared; it is NULL when off. */
static void
test_trace_format(void **state)
{
    (void)state;
    wk_sim_opts o;
    wk_sim_opts_init(&o);
    o.trace = 1;
    wk_sim *sim = sim_new(&o);
    wk_vfs *vfs = wk_sim_vfs(sim);
    wk_file *f = NULL;
    static unsigned char buf[4096];
    assert_string_equal(wk_sim_trace(sim), "");
    wkt_assert_ok(vfs->mkdir(vfs, "a"));
    wkt_assert_ok(vfs->open(vfs, "a//x.tmp", WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_allocate(f, 0, 65536));
    wkt_assert_ok(wk_file_pwrite(f, buf, 4096, 0));
    wkt_assert_ok(wk_file_truncate(f, 100));
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_DATA));
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_FULL));
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(vfs->rename(vfs, "a/x.tmp", "a/x"));
    wkt_assert_ok(vfs->sync_dir(vfs, "a"));
    wkt_assert_rc(vfs->open(vfs, "a/x", WK_O_CREATE | WK_O_EXCL, &f), -EEXIST);
    wkt_assert_ok(vfs->unlink(vfs, "a/x"));
    wkt_assert_ok(vfs->mkdir(vfs, "a/b"));
    wkt_assert_ok(vfs->rmdir(vfs, "a/b"));
    assert_string_equal(wk_sim_trace(sim), "mkdir a\n"
                                           "create a//x.tmp\n"
                                           "allocate a//x.tmp 0+65536\n"
                                           "pwrite a//x.tmp 0+4096\n"
                                           "truncate a//x.tmp 100\n"
                                           "datasync a//x.tmp\n"
                                           "sync a//x.tmp\n"
                                           "rename a/x.tmp a/x\n"
                                           "sync_dir a\n"
                                           "create a/x -> EEXIST\n"
                                           "unlink a/x\n"
                                           "mkdir a/b\n"
                                           "rmdir a/b\n");
    assert_int_equal(wk_sim_mutation_count(sim), 13);
    wk_sim_trace_clear(sim);
    assert_string_equal(wk_sim_trace(sim), "");
    wk_sim_destroy(sim);
    sim = sim_new(NULL);
    assert_null(wk_sim_trace(sim));
    wk_sim_destroy(sim);
}

/* The random source is reproducible for a seed and differs across seeds. */
static void
test_random_seeded(void **state)
{
    (void)state;
    unsigned char a[37], b[37], c[37];
    wk_sim_opts o;
    wk_sim_opts_init(&o);
    o.seed = 42;
    wk_sim *s1 = sim_new(&o), *s2 = sim_new(&o);
    o.seed = 43;
    wk_sim *s3 = sim_new(&o);
    wk_vfs *v1 = wk_sim_vfs(s1), *v2 = wk_sim_vfs(s2), *v3 = wk_sim_vfs(s3);
    wkt_assert_ok(v1->random(v1, a, sizeof a));
    wkt_assert_ok(v2->random(v2, b, sizeof b));
    wkt_assert_ok(v3->random(v3, c, sizeof c));
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    wk_sim_destroy(s1);
    wk_sim_destroy(s2);
    wk_sim_destroy(s3);
}

/* Paths are normalized ("a//b", "./a", "a/"), parents must exist, "/"
 * and "." exist from the start and are separate trees. */
static void
test_paths_normalized(void **state)
{
    (void)state;
    wk_sim *sim = sim_new(NULL);
    wk_vfs *vfs = wk_sim_vfs(sim);
    wk_vfs_stat st;
    wk_file *f = NULL;
    wkt_assert_ok(vfs->stat(vfs, "/", &st));
    assert_int_equal(st.type, WK_VFS_DIR);
    wkt_assert_ok(vfs->stat(vfs, ".", &st));
    assert_int_equal(st.type, WK_VFS_DIR);
    wkt_assert_rc(vfs->mkdir(vfs, "x/y"), -ENOENT);
    wkt_assert_ok(vfs->mkdir(vfs, "./a/"));
    wkt_assert_rc(vfs->mkdir(vfs, "a"), -EEXIST);
    wkt_assert_ok(vfs->open(vfs, "a//f", WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(vfs->stat(vfs, "./a/./f", &st));
    assert_int_equal(st.type, WK_VFS_FILE);
    wkt_assert_rc(vfs->stat(vfs, "/a/f", &st), -ENOENT);
    wkt_assert_rc(vfs->open(vfs, "a/f/g", WK_O_CREATE, &f), -ENOTDIR);
    wkt_assert_rc(vfs->open(vfs, "a", WK_O_RDONLY, &f), -EISDIR);
    wkt_assert_rc(vfs->rmdir(vfs, "a"), -ENOTEMPTY);
    wkt_assert_rc(vfs->rename(vfs, "a", "a/b"), -EINVAL);
    wkt_assert_rc(vfs->unlink(vfs, "a"), -EISDIR);
    wkt_assert_rc(vfs->lock_dir(vfs, "nope", &(wk_vfs_lock *){NULL}), -ENOENT);
    wk_sim_destroy(sim);
}

/* poke changes cached and durable bytes alike without counting calls, so
 * a planted byte survives a crash; peek reads the cached image. */
static void
test_poke_peek(void **state)
{
    (void)state;
    wk_sim *sim = sim_new(NULL);
    wk_vfs *vfs = wk_sim_vfs(sim);
    wk_file *f = NULL;
    wkt_assert_ok(vfs->open(vfs, "f", WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_pwrite(f, "hello", 5, 0));
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_DATA));
    wkt_assert_ok(vfs->sync_dir(vfs, "."));
    uint64_t calls = wk_sim_op_count(sim, WK_SIM_OP_ANY);
    wkt_assert_ok(wk_sim_poke(sim, "f", 1, "A", 1));
    char buf[8];
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, "f", 0, buf, sizeof buf, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "hAllo", 5);
    assert_int_equal(wk_sim_op_count(sim, WK_SIM_OP_ANY), calls);
    wkt_assert_ok(wk_file_pread_full(f, buf, 5, 0));
    assert_memory_equal(buf, "hAllo", 5);
    wkt_assert_rc(wk_sim_poke(sim, "g", 0, "A", 1), -ENOENT);
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_DROP_ALL));
    wkt_assert_ok(wk_sim_peek(sim, "f", 0, buf, sizeof buf, &n));
    assert_memory_equal(buf, "hAllo", 5);
    /* destroy frees handles and locks left open */
    wkt_assert_ok(vfs->open(vfs, "f", WK_O_RDWR, &f));
    wk_vfs_lock *lk = NULL;
    wkt_assert_ok(vfs->lock_dir(vfs, ".", &lk));
    wk_sim_destroy(sim);
}

typedef struct writer_arg {
    wk_file *f;
    int id;
} writer_arg;

static void *
writer_main(void *p)
{
    writer_arg *a = p;
    unsigned char buf[64];
    memset(buf, a->id + 1, sizeof buf);
    for (uint64_t i = 0; i < 500; i++) {
        uint64_t off = (i * 4 + (uint64_t)a->id) * sizeof buf;
        if (wk_file_pwrite(a->f, buf, sizeof buf, off) != 0)
            return p;
        if (i % 50 == 0 && wk_file_sync(a->f, WK_SYNC_DATA) != 0)
            return p;
    }
    return NULL;
}

/* Four threads writing distinct ranges of one file and syncing it at once
 * leave every range intact (one mutex serializes the disk). */
static void
test_concurrent_writers(void **state)
{
    (void)state;
    wk_sim *sim = sim_new(NULL);
    wk_vfs *vfs = wk_sim_vfs(sim);
    wk_file *f = NULL;
    wkt_assert_ok(vfs->open(vfs, "f", WK_O_CREATE, &f));
    pthread_t th[4];
    writer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].f = f;
        args[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &args[i]),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_DATA));
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(vfs->sync_dir(vfs, "."));
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_DROP_ALL));
    static unsigned char img[2000 * 64];
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, "f", 0, img, sizeof img, &n));
    assert_int_equal(n, sizeof img);
    for (size_t i = 0; i < n; i++)
        if (img[i] != (unsigned char)((i / 64) % 4 + 1))
            fail_msg("byte %zu is %d", i, img[i]);
    wk_sim_destroy(sim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workload_clean_and_counted),
        cmocka_unit_test(test_every_fault_at_every_call),
        cmocka_unit_test(test_kind_filtered_faults),
        cmocka_unit_test(test_capacity_enospc),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_trace_format),
        cmocka_unit_test(test_random_seeded),
        cmocka_unit_test(test_paths_normalized),
        cmocka_unit_test(test_poke_peek),
        cmocka_unit_test(test_concurrent_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
