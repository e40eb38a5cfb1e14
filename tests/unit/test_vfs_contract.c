/* The vfs contract: one suite, run against every backend.
 *
 *   test_vfs_contract posix   each test gets a fresh temp dir on the real disk
 *   test_vfs_contract sim     each test gets a fresh simulated disk, files
 *                             under "/d"
 *
 * Every case checks a sentence of include/walkit/vfs.h. A few cases only make
 * sense on one backend: the exact durable call sequence of the helpers is
 * read from the sim's trace, and the cross-process lock uses a real fork. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/alloc.h"
#include "io/iov.h"
#include "io/path.h"
#include "wkt.h"

enum { VC_POSIX = 0, VC_SIM = 1 };
static int vc_backend = VC_POSIX;

typedef struct vc_fx {
    wk_vfs *vfs;
    char *root; /* directory every test works in */
#ifdef WKT_HAVE_SIM
    wk_sim *sim;
#endif
} vc_fx;

static int
vc_setup(void **state)
{
    vc_fx *fx = calloc(1, sizeof *fx);
    if (fx == NULL)
        return -1;
    if (vc_backend == VC_POSIX) {
        fx->vfs = wk_vfs_posix();
        fx->root = wkt_tmpdir("vfs_contract");
        if (fx->root == NULL)
            return -1;
    } else {
#ifdef WKT_HAVE_SIM
        wk_sim_opts o;
        wk_sim_opts_init(&o);
        o.trace = 1;
        if (wk_sim_create(&o, &fx->sim) != 0)
            return -1;
        fx->vfs = wk_sim_vfs(fx->sim);
        if (fx->vfs->mkdir(fx->vfs, "/d") != 0)
            return -1;
        fx->root = strdup("/d");
#else
        return -1;
#endif
    }
    *state = fx;
    return 0;
}

static int
vc_teardown(void **state)
{
    vc_fx *fx = *state;
    if (fx == NULL)
        return 0;
    if (vc_backend == VC_POSIX) {
        wkt_tmpdir_remove(fx->root);
    } else {
#ifdef WKT_HAVE_SIM
        wk_sim_destroy(fx->sim);
#endif
        free(fx->root);
    }
    free(fx);
    return 0;
}

/* root/name in one of a few rotating static buffers. */
static const char *
vc_path(vc_fx *fx, const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", fx->root, name);
    return b;
}

/* Creates root/name holding len bytes of buf (via the vfs). */
static void
vc_put(vc_fx *fx, const char *name, const void *buf, size_t len)
{
    wk_file *f = NULL;
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, name),
                                WK_O_CREATE | WK_O_TRUNC, &f));
    wkt_assert_ok(wk_file_pwrite(f, buf, len, 0));
    wkt_assert_ok(wk_file_close(f));
}

/* Asserts that f is want bytes long. */
static void
vc_assert_size(wk_file *f, uint64_t want)
{
    uint64_t size = 0;
    wkt_assert_ok(wk_file_size(f, &size));
    assert_int_equal(size, want);
}

/* Asserts that wk_vfs_read_all of path (max_len) gives exactly want. */
static void
vc_assert_read_all(wk_vfs *v, const char *path, size_t max_len,
                   const void *want, size_t want_len)
{
    void *data = NULL;
    size_t len = 0;
    wkt_assert_ok(wk_vfs_read_all(v, path, max_len, &data, &len));
    assert_int_equal(len, want_len);
    assert_memory_equal(data, want, want_len);
    wk_free(data);
}

static void
vc_assert_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0)
            fail_msg("byte %zu is 0x%02x, expected 0", i, p[i]);
}

/* ---- names collected by list ----------------------------------------- */

typedef struct vc_names {
    char names[32][64];
    int n;
    int stop_after; /* return 7 once this many were seen; 0 = never */
} vc_names;

static int
vc_collect(void *arg, const char *name)
{
    vc_names *c = arg;
    if (c->n < 32)
        snprintf(c->names[c->n], sizeof c->names[0], "%s", name);
    c->n++;
    if (c->stop_after > 0 && c->n >= c->stop_after)
        return 7;
    return 0;
}

static int
vc_cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Lists dir and asserts the names are exactly want (any order). */
static void
vc_assert_list(vc_fx *fx, const char *dir, const char *const *want, int nwant)
{
    vc_names c;
    memset(&c, 0, sizeof c);
    wkt_assert_ok(fx->vfs->list(fx->vfs, dir, vc_collect, &c));
    assert_int_equal(c.n, nwant);
    char sorted_want[32][64];
    for (int i = 0; i < nwant; i++)
        snprintf(sorted_want[i], sizeof sorted_want[0], "%s", want[i]);
    qsort(c.names, (size_t)c.n, sizeof c.names[0], vc_cmp_str);
    qsort(sorted_want, (size_t)nwant, sizeof sorted_want[0], vc_cmp_str);
    for (int i = 0; i < nwant; i++)
        assert_string_equal(c.names[i], sorted_want[i]);
}

/* ---- contract cases ---------------------------------------------------- */

/* open honours CREATE, EXCL (-EEXIST), TRUNC, -ENOENT and -EISDIR, and writes
 * *out only on success. */
static void
test_open_flags(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    wk_file *sentinel = (wk_file *)(uintptr_t)0x1;
    wk_file *f = sentinel;

    wkt_assert_rc(v->open(v, vc_path(fx, "a"), WK_O_RDONLY, &f), -ENOENT);
    wkt_assert_rc(v->open(v, vc_path(fx, "a"), WK_O_RDWR, &f), -ENOENT);
    assert_ptr_equal(f, sentinel);

    wkt_assert_ok(v->open(v, vc_path(fx, "a"), WK_O_CREATE | WK_O_EXCL, &f));
    vc_assert_size(f, 0);
    wkt_assert_ok(wk_file_pwrite(f, "0123456789", 10, 0));
    wkt_assert_ok(wk_file_close(f));

    f = sentinel;
    wkt_assert_rc(v->open(v, vc_path(fx, "a"), WK_O_CREATE | WK_O_EXCL, &f),
                  -EEXIST);
    assert_ptr_equal(f, sentinel);

    /* CREATE without EXCL opens the existing file untouched. */
    wkt_assert_ok(v->open(v, vc_path(fx, "a"), WK_O_CREATE, &f));
    vc_assert_size(f, 10);
    wkt_assert_ok(wk_file_close(f));

    /* Read-only open reads. */
    char buf[16];
    wkt_assert_ok(v->open(v, vc_path(fx, "a"), WK_O_RDONLY, &f));
    wkt_assert_ok(wk_file_pread_full(f, buf, 10, 0));
    assert_memory_equal(buf, "0123456789", 10);
    wkt_assert_ok(wk_file_close(f));

    /* TRUNC empties it (alone too: it implies RDWR). */
    wkt_assert_ok(v->open(v, vc_path(fx, "a"), WK_O_RDWR | WK_O_TRUNC, &f));
    vc_assert_size(f, 0);
    wkt_assert_ok(wk_file_pwrite(f, "xy", 2, 0));
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(v->open(v, vc_path(fx, "a"), WK_O_TRUNC, &f));
    vc_assert_size(f, 0);
    wkt_assert_ok(wk_file_close(f));

    /* A directory is not a file. */
    wkt_assert_ok(v->mkdir(v, vc_path(fx, "sub")));
    f = sentinel;
    wkt_assert_rc(v->open(v, vc_path(fx, "sub"), WK_O_RDONLY, &f), -EISDIR);
    assert_ptr_equal(f, sentinel);
}

/* pwrite then pread returns the bytes, and writing past EOF leaves a gap
 * that reads as zeros. */
static void
test_pwrite_pread_round_trip(void **state)
{
    vc_fx *fx = *state;
    wk_file *f = NULL;
    enum { N = 5000, GAP_AT = 10000, M = 100 };
    uint8_t w[N], r[GAP_AT + M];
    wkt_fill(w, sizeof w, 42);

    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_pwrite(f, w, N, 0));
    wkt_assert_ok(wk_file_pread_full(f, r, N, 0));
    assert_memory_equal(r, w, N);

    /* Overwrite in the middle. */
    wkt_assert_ok(wk_file_pwrite(f, "xyz", 3, 777));
    memcpy(w + 777, "xyz", 3);
    wkt_assert_ok(wk_file_pread_full(f, r, N, 0));
    assert_memory_equal(r, w, N);

    /* Past EOF: the gap is zeros. */
    wkt_assert_ok(wk_file_pwrite(f, w, M, GAP_AT));
    vc_assert_size(f, GAP_AT + M);
    wkt_assert_ok(wk_file_pread_full(f, r, GAP_AT + M, 0));
    assert_memory_equal(r, w, N);
    vc_assert_zero(r + N, GAP_AT - N);
    assert_memory_equal(r + GAP_AT, w, M);

    /* A zero-length write is a no-op. */
    wkt_assert_ok(wk_file_pwrite(f, w, 0, 50000));
    vc_assert_size(f, GAP_AT + M);
    wkt_assert_ok(wk_file_close(f));
}

/* pread returns fewer bytes than asked only at end of file. */
static void
test_pread_short_only_at_eof(void **state)
{
    vc_fx *fx = *state;
    enum { N = 10000 };
    static uint8_t w[N], r[4096];
    wkt_fill(w, sizeof w, 7);
    vc_put(fx, "f", w, N);

    wk_file *f = NULL;
    size_t n = 0;
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_RDONLY, &f));
    for (uint64_t off = 0; off + 4096 <= N; off += 1000) {
        wkt_assert_ok(wk_file_pread(f, r, 4096, off, &n));
        assert_int_equal(n, 4096);
        assert_memory_equal(r, w + off, 4096);
    }
    wkt_assert_ok(wk_file_pread(f, r, 4096, 8192, &n));
    assert_int_equal(n, N - 8192);
    assert_memory_equal(r, w + 8192, N - 8192);
    wkt_assert_ok(wk_file_pread(f, r, 4096, N, &n));
    assert_int_equal(n, 0);
    wkt_assert_ok(wk_file_pread(f, r, 4096, 3 * N, &n));
    assert_int_equal(n, 0);
    wkt_assert_ok(wk_file_pread(f, r, 0, 0, &n));
    assert_int_equal(n, 0);

    wkt_assert_ok(wk_file_pread_full(f, r, 100, N - 100));
    wkt_assert_rc(wk_file_pread_full(f, r, 100, N - 99), -ENODATA);
    wkt_assert_ok(wk_file_close(f));
}

/* pwritev lays many iovecs (empty ones and large ones included) end to end
 * at the offset. */
static void
test_pwritev_many_iovecs(void **state)
{
    vc_fx *fx = *state;
    enum { NIOV = 300, BIG = 200 * 1024, OFF = 123 };
    struct iovec iov[NIOV];
    size_t total = 0;
    uint64_t seed = 99;
    for (int i = 0; i < NIOV; i++) {
        size_t len = (size_t)(wkt_rand(&seed) % 97);
        if (i % 50 == 0)
            len = 0;
        if (i == 150)
            len = BIG;
        iov[i].iov_len = len;
        total += len;
    }
    uint8_t *src = malloc(total + 1), *back = malloc(OFF + total + 1);
    assert_non_null(src);
    assert_non_null(back);
    wkt_fill(src, total, 5);
    size_t at = 0;
    for (int i = 0; i < NIOV; i++) {
        iov[i].iov_base = src + at;
        at += iov[i].iov_len;
    }

    wk_file *f = NULL;
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_pwritev(f, iov, NIOV, OFF));
    vc_assert_size(f, OFF + total);
    wkt_assert_ok(wk_file_pread_full(f, back, OFF + total, 0));
    vc_assert_zero(back, OFF);
    assert_memory_equal(back + OFF, src, total);

    /* Zero iovecs: nothing happens. */
    wkt_assert_ok(wk_file_pwritev(f, iov, 0, 1 << 20));
    vc_assert_size(f, OFF + total);
    wkt_assert_ok(wk_file_close(f));
    free(src);
    free(back);
}

/* truncate shrinks (bytes past the new end are gone) and extends with
 * zeros; size follows. */
static void
test_size_truncate(void **state)
{
    vc_fx *fx = *state;
    uint8_t w[1000], r[5000];
    wkt_fill(w, sizeof w, 3);
    vc_put(fx, "f", w, sizeof w);

    wk_file *f = NULL;
    size_t n = 0;
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_RDWR, &f));
    vc_assert_size(f, 1000);
    wkt_assert_ok(wk_file_truncate(f, 100));
    vc_assert_size(f, 100);
    wkt_assert_ok(wk_file_pread(f, r, 1000, 0, &n));
    assert_int_equal(n, 100);
    assert_memory_equal(r, w, 100);

    wkt_assert_ok(wk_file_truncate(f, 5000));
    vc_assert_size(f, 5000);
    wkt_assert_ok(wk_file_pread_full(f, r, 5000, 0));
    assert_memory_equal(r, w, 100);
    vc_assert_zero(r + 100, 4900);

    wkt_assert_ok(wk_file_truncate(f, 0));
    vc_assert_size(f, 0);
    wkt_assert_ok(wk_file_close(f));
}

/* allocate grows the size to at least off+len, the new bytes read as zero,
 * and existing bytes are untouched. */
static void
test_allocate(void **state)
{
    vc_fx *fx = *state;
    enum { LEN = 1 << 20 };
    uint8_t *r = malloc(LEN);
    assert_non_null(r);
    wk_file *f = NULL;
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_pwrite(f, "abc", 3, 0));
    int rc = wk_file_allocate(f, 0, LEN);
    if (rc == -EOPNOTSUPP) {
        /* Allowed by the contract; nothing more to check here. */
        wkt_assert_ok(wk_file_close(f));
        free(r);
        skip();
    }
    wkt_assert_ok(rc);
    vc_assert_size(f, LEN);
    wkt_assert_ok(wk_file_pread_full(f, r, LEN, 0));
    assert_memory_equal(r, "abc", 3);
    vc_assert_zero(r + 3, LEN - 3);

    /* Allocating inside the file does not shrink or change it. */
    wkt_assert_ok(wk_file_allocate(f, 4096, 4096));
    vc_assert_size(f, LEN);
    /* At an offset past EOF: grows to off+len. */
    wkt_assert_ok(wk_file_allocate(f, LEN + 4096, 4096));
    vc_assert_size(f, LEN + 8192);
    wkt_assert_ok(wk_file_pread_full(f, r, 8192, LEN));
    vc_assert_zero(r, 8192);
    wkt_assert_ok(wk_file_close(f));
    free(r);
}

/* sync (both flags) and sync_dir succeed; sync_dir of a missing directory
 * is -ENOENT. */
static void
test_sync_and_sync_dir(void **state)
{
    vc_fx *fx = *state;
    wk_file *f = NULL;
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_pwrite(f, "x", 1, 0));
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_DATA));
    wkt_assert_ok(wk_file_pwrite(f, "y", 1, 1));
    wkt_assert_ok(wk_file_sync(f, WK_SYNC_FULL));
    wkt_assert_rc(wk_file_sync(f, 42), -EINVAL);
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_ok(fx->vfs->sync_dir(fx->vfs, fx->root));
    wkt_assert_rc(fx->vfs->sync_dir(fx->vfs, vc_path(fx, "nodir")), -ENOENT);
}

/* rename moves a file and atomically replaces an existing target. */
static void
test_rename_replaces(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    wk_vfs_stat st;
    char buf[8];
    vc_put(fx, "a", "AAAA", 4);
    vc_put(fx, "b", "BB", 2);

    wkt_assert_ok(v->rename(v, vc_path(fx, "a"), vc_path(fx, "b")));
    wkt_assert_rc(v->stat(v, vc_path(fx, "a"), &st), -ENOENT);
    wk_file *f = NULL;
    wkt_assert_ok(v->open(v, vc_path(fx, "b"), WK_O_RDONLY, &f));
    size_t n = 0;
    wkt_assert_ok(wk_file_pread(f, buf, sizeof buf, 0, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "AAAA", 4);
    wkt_assert_ok(wk_file_close(f));

    /* To a new name. */
    wkt_assert_ok(v->rename(v, vc_path(fx, "b"), vc_path(fx, "c")));
    const char *want[] = {"c"};
    vc_assert_list(fx, fx->root, want, 1);
    wkt_assert_rc(v->rename(v, vc_path(fx, "nope"), vc_path(fx, "d")), -ENOENT);
}

/* unlink removes a name; a missing name is -ENOENT. */
static void
test_unlink(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    wk_vfs_stat st;
    vc_put(fx, "a", "1", 1);
    wkt_assert_ok(v->unlink(v, vc_path(fx, "a")));
    wkt_assert_rc(v->stat(v, vc_path(fx, "a"), &st), -ENOENT);
    wkt_assert_rc(v->unlink(v, vc_path(fx, "a")), -ENOENT);
    wk_file *f = NULL;
    wkt_assert_rc(v->open(v, vc_path(fx, "a"), WK_O_RDONLY, &f), -ENOENT);
}

/* mkdir creates a usable directory; a second mkdir is -EEXIST. */
static void
test_mkdir(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    wk_vfs_stat st;
    wkt_assert_ok(v->mkdir(v, vc_path(fx, "sub")));
    wkt_assert_rc(v->mkdir(v, vc_path(fx, "sub")), -EEXIST);
    wkt_assert_ok(v->stat(v, vc_path(fx, "sub"), &st));
    assert_int_equal(st.type, WK_VFS_DIR);
    vc_put(fx, "sub/x", "x", 1);
    wkt_assert_ok(v->stat(v, vc_path(fx, "sub/x"), &st));
    assert_int_equal(st.type, WK_VFS_FILE);
    wkt_assert_ok(v->sync_dir(v, vc_path(fx, "sub")));
    wkt_assert_rc(v->mkdir(v, vc_path(fx, "missing/sub")), -ENOENT);
}

/* rmdir refuses a non-empty directory (-ENOTEMPTY), removes an empty one,
 * and a missing one is -ENOENT. */
static void
test_rmdir(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    wk_vfs_stat st;
    wkt_assert_ok(v->mkdir(v, vc_path(fx, "sub")));
    vc_put(fx, "sub/x", "x", 1);
    wkt_assert_rc(v->rmdir(v, vc_path(fx, "sub")), -ENOTEMPTY);
    wkt_assert_ok(v->unlink(v, vc_path(fx, "sub/x")));
    wkt_assert_ok(v->rmdir(v, vc_path(fx, "sub")));
    wkt_assert_rc(v->stat(v, vc_path(fx, "sub"), &st), -ENOENT);
    wkt_assert_rc(v->rmdir(v, vc_path(fx, "sub")), -ENOENT);
}

/* list reports exactly the entries (files and directories, not . and ..),
 * and a non-zero callback return stops it and is returned. */
static void
test_list(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    const char *want[] = {"a", "b.wal", "00000001.seg", "c", "sub"};
    vc_assert_list(fx, fx->root, want, 0);
    for (int i = 0; i < 4; i++)
        vc_put(fx, want[i], "z", 1);
    wkt_assert_ok(v->mkdir(v, vc_path(fx, "sub")));
    vc_put(fx, "sub/inner", "z", 1); /* not listed: one level only */
    vc_assert_list(fx, fx->root, want, 5);

    vc_names c;
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_int_equal(v->list(v, fx->root, vc_collect, &c), 7);
    assert_int_equal(c.n, 2);

    memset(&c, 0, sizeof c);
    wkt_assert_rc(v->list(v, vc_path(fx, "nodir"), vc_collect, &c), -ENOENT);
    assert_int_equal(c.n, 0);
}

/* stat tells files (with their size) from directories; missing is -ENOENT. */
static void
test_stat_types(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    wk_vfs_stat st;
    vc_put(fx, "f", "hello", 5);
    wkt_assert_ok(v->stat(v, vc_path(fx, "f"), &st));
    assert_int_equal(st.type, WK_VFS_FILE);
    assert_int_equal(st.size, 5);
    wkt_assert_ok(v->stat(v, fx->root, &st));
    assert_int_equal(st.type, WK_VFS_DIR);
    wkt_assert_rc(v->stat(v, vc_path(fx, "missing"), &st), -ENOENT);
}

/* A second lock_dir on a locked directory (or file) is -EBUSY until unlock;
 * then the lock can be taken again, and the LOCK file stays. */
static void
test_lock_dir(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    wk_vfs_lock *a = NULL, *b = NULL;
    wk_vfs_stat st;
    wkt_assert_ok(v->lock_dir(v, fx->root, &a));
    assert_non_null(a);
    wkt_assert_rc(v->lock_dir(v, fx->root, &b), -EBUSY);
    assert_null(b);
    wkt_assert_ok(v->unlock_dir(v, a));
    wkt_assert_ok(v->lock_dir(v, fx->root, &b));
    wkt_assert_ok(v->unlock_dir(v, b));
    wkt_assert_ok(v->stat(v, vc_path(fx, "LOCK"), &st));
    assert_int_equal(st.type, WK_VFS_FILE);

    /* Locks on different directories are independent. */
    wkt_assert_ok(v->mkdir(v, vc_path(fx, "other")));
    wkt_assert_ok(v->lock_dir(v, fx->root, &a));
    wkt_assert_ok(v->lock_dir(v, vc_path(fx, "other"), &b));
    wkt_assert_ok(v->unlock_dir(v, b));
    wkt_assert_ok(v->unlock_dir(v, a));
    wkt_assert_rc(v->lock_dir(v, vc_path(fx, "nodir"), &a), -ENOENT);

    /* A regular file is locked itself (single-file components). */
    vc_put(fx, "data", "x", 1);
    wkt_assert_ok(v->lock_dir(v, vc_path(fx, "data"), &a));
    wkt_assert_rc(v->lock_dir(v, vc_path(fx, "data"), &b), -EBUSY);
    wkt_assert_ok(v->lock_dir(v, fx->root, &b)); /* independent */
    wkt_assert_ok(v->unlock_dir(v, b));
    wkt_assert_ok(v->unlock_dir(v, a));
    wkt_assert_ok(v->lock_dir(v, vc_path(fx, "data"), &a));
    wkt_assert_ok(v->unlock_dir(v, a));
}

/* mmap shows the file's bytes, at offset 0 and at a 4096-aligned offset,
 * and stays valid after close. */
static void
test_mmap(void **state)
{
    vc_fx *fx = *state;
    enum { N = 3 * 4096 + 100 };
    static uint8_t w[N];
    wkt_fill(w, N, 11);
    vc_put(fx, "f", w, N);

    wk_file *f = NULL;
    const void *p = NULL, *q = NULL;
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_RDONLY, &f));
    wkt_assert_ok(wk_file_mmap(f, 0, N, &p));
    assert_non_null(p);
    assert_memory_equal(p, w, N);
    wkt_assert_ok(wk_file_mmap(f, 4096, N - 4096, &q));
    assert_memory_equal(q, w + 4096, N - 4096);
    wkt_assert_ok(wk_file_close(f));
    assert_memory_equal(p, w, N); /* valid until unmap, even after close */
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_RDONLY, &f));
    wkt_assert_ok(wk_file_unmap(f, p, N));
    wkt_assert_ok(wk_file_unmap(f, q, N - 4096));
    wkt_assert_ok(wk_file_close(f));
}

/* random fills the buffer, and two calls give different bytes. */
static void
test_random(void **state)
{
    vc_fx *fx = *state;
    uint8_t a[32], b[32], zero[32];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memset(zero, 0, sizeof zero);
    wkt_assert_ok(fx->vfs->random(fx->vfs, a, sizeof a));
    wkt_assert_ok(fx->vfs->random(fx->vfs, b, sizeof b));
    assert_memory_not_equal(a, zero, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
    static uint8_t big[100000];
    wkt_assert_ok(fx->vfs->random(fx->vfs, big, sizeof big));
    assert_memory_not_equal(big + sizeof big - 32, zero, 32);
    wkt_assert_ok(fx->vfs->random(fx->vfs, big, 0));
}

/* atomic_replace creates, then replaces, the content, and leaves no .tmp. */
static void
test_atomic_replace(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    const char *cfg = vc_path(fx, "cfg");

    wkt_assert_ok(wk_vfs_atomic_replace(v, cfg, "one", 3));
    vc_assert_read_all(v, cfg, 100, "one", 3);

    wkt_assert_ok(wk_vfs_atomic_replace(v, cfg, "two, longer", 11));
    vc_assert_read_all(v, cfg, 100, "two, longer", 11);

    /* A stale tmp from an earlier crash is overwritten, not appended to. */
    vc_put(fx, "cfg.tmp", "garbage garbage garbage", 23);
    wkt_assert_ok(wk_vfs_atomic_replace(v, cfg, "3", 1));
    vc_assert_read_all(v, cfg, 100, "3", 1);

    wkt_assert_ok(wk_vfs_atomic_replace(v, cfg, NULL, 0));
    vc_assert_read_all(v, cfg, 100, "", 0);

    const char *want[] = {"cfg"};
    vc_assert_list(fx, fx->root, want, 1);
    wkt_assert_rc(wk_vfs_atomic_replace(v, vc_path(fx, "nodir/cfg"), "x", 1),
                  -ENOENT);
    wkt_assert_rc(wk_vfs_atomic_replace(NULL, cfg, "x", 1), -EINVAL);
    wkt_assert_rc(wk_vfs_atomic_replace(v, cfg, NULL, 1), -EINVAL);
}

/* create_prealloc gives a file of exactly size zero bytes (with and without
 * zero_fill, handle returned or closed) and -EEXIST when the name exists. */
static void
test_create_prealloc(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    enum { SIZE = 3 * (1 << 20) + 5 };
    uint8_t *r = malloc(SIZE);
    assert_non_null(r);
    wk_file *f = NULL;

    for (int zero_fill = 0; zero_fill <= 1; zero_fill++) {
        const char *p = vc_path(fx, zero_fill ? "z1" : "z0");
        wkt_assert_ok(wk_vfs_create_prealloc(v, p, SIZE, zero_fill, &f));
        vc_assert_size(f, SIZE);
        wkt_assert_ok(wk_file_pread_full(f, r, SIZE, 0));
        vc_assert_zero(r, SIZE);
        wkt_assert_ok(wk_file_pwrite(f, "data", 4, 0)); /* handle writable */
        wkt_assert_ok(wk_file_close(f));
        f = NULL;
        wkt_assert_rc(wk_vfs_create_prealloc(v, p, SIZE, zero_fill, &f),
                      -EEXIST);
        assert_null(f);
    }

    wk_vfs_stat st;
    wkt_assert_ok(wk_vfs_create_prealloc(v, vc_path(fx, "n"), 4096, 1, NULL));
    wkt_assert_ok(v->stat(v, vc_path(fx, "n"), &st));
    assert_int_equal(st.size, 4096);
    wkt_assert_ok(wk_vfs_create_prealloc(v, vc_path(fx, "e"), 0, 0, NULL));
    wkt_assert_ok(v->stat(v, vc_path(fx, "e"), &st));
    assert_int_equal(st.size, 0);
    /* -EEXIST left the existing file alone. */
    wkt_assert_rc(wk_vfs_create_prealloc(v, vc_path(fx, "n"), 100, 0, NULL),
                  -EEXIST);
    wkt_assert_ok(v->stat(v, vc_path(fx, "n"), &st));
    assert_int_equal(st.size, 4096);
    free(r);
}

/* read_all returns the whole file, or -EFBIG above max_len, or -ENOENT. */
static void
test_read_all(void **state)
{
    vc_fx *fx = *state;
    uint8_t w[1000];
    void *data = (void *)(uintptr_t)0x1;
    size_t len = 0;
    wkt_fill(w, sizeof w, 9);
    vc_put(fx, "f", w, sizeof w);
    wkt_assert_rc(wk_vfs_read_all(fx->vfs, vc_path(fx, "f"), 999, &data, &len),
                  -EFBIG);
    assert_ptr_equal(data, (void *)(uintptr_t)0x1);
    vc_assert_read_all(fx->vfs, vc_path(fx, "f"), 1000, w, 1000);
    wkt_assert_rc(
        wk_vfs_read_all(fx->vfs, vc_path(fx, "missing"), 1000, &data, &len),
        -ENOENT);
}

/* The helpers fail cleanly with WK_ENOMEM at every allocation, leaving no
 * tmp file behind (and, on posix, no leak). */
static void
test_helpers_alloc_failure(void **state)
{
    vc_fx *fx = *state;
    wkt_alloc_install();
    int64_t live = wkt_alloc_live();
    int done = 0;
    for (int64_t n = 1; n < 100 && !done; n++) {
        wkt_alloc_fail_after(n);
        int rc = wk_vfs_atomic_replace(fx->vfs, vc_path(fx, "cfg"), "v", 1);
        wkt_alloc_reset();
        if (rc == 0) {
            done = 1;
            break;
        }
        if (rc != WK_ENOMEM && rc != -ENOMEM)
            fail_msg("allocation %lld: atomic_replace returned %s",
                     (long long)n, wk_errname(rc));
        const char *want[] = {"cfg"};
        vc_assert_list(fx, fx->root, want, 0);
        if (vc_backend == VC_POSIX)
            assert_int_equal(wkt_alloc_live(), live);
    }
    assert_true(done);
    done = 0;
    for (int64_t n = 1; n < 100 && !done; n++) {
        wkt_alloc_fail_after(n);
        int rc =
            wk_vfs_create_prealloc(fx->vfs, vc_path(fx, "p"), 8192, 1, NULL);
        wkt_alloc_reset();
        if (rc == 0) {
            done = 1;
            break;
        }
        if (rc != WK_ENOMEM && rc != -ENOMEM)
            fail_msg("allocation %lld: create_prealloc returned %s",
                     (long long)n, wk_errname(rc));
        wk_vfs_stat st;
        wkt_assert_rc(fx->vfs->stat(fx->vfs, vc_path(fx, "p"), &st), -ENOENT);
    }
    assert_true(done);
    wk_set_allocator(NULL);
}

/* Every wk_file_* wrapper refuses a NULL handle (and NULL out-pointers)
 * with -EINVAL instead of crashing. */
static void
test_null_wrappers(void **state)
{
    vc_fx *fx = *state;
    char buf[4];
    size_t n;
    uint64_t size;
    const void *addr;
    struct iovec iov = {buf, 1};
    wkt_assert_rc(wk_file_close(NULL), -EINVAL);
    wkt_assert_rc(wk_file_pread(NULL, buf, 1, 0, &n), -EINVAL);
    wkt_assert_rc(wk_file_pread_full(NULL, buf, 1, 0), -EINVAL);
    wkt_assert_rc(wk_file_pwrite(NULL, buf, 1, 0), -EINVAL);
    wkt_assert_rc(wk_file_pwritev(NULL, &iov, 1, 0), -EINVAL);
    wkt_assert_rc(wk_file_sync(NULL, WK_SYNC_DATA), -EINVAL);
    wkt_assert_rc(wk_file_allocate(NULL, 0, 1), -EINVAL);
    wkt_assert_rc(wk_file_truncate(NULL, 0), -EINVAL);
    wkt_assert_rc(wk_file_size(NULL, &size), -EINVAL);
    wkt_assert_rc(wk_file_mmap(NULL, 0, 4096, &addr), -EINVAL);
    wkt_assert_rc(wk_file_unmap(NULL, buf, 4096), -EINVAL);

    wk_file *f = NULL;
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_CREATE, &f));
    wkt_assert_rc(wk_file_pread(f, buf, 1, 0, NULL), -EINVAL);
    wkt_assert_rc(wk_file_pread(f, NULL, 1, 0, &n), -EINVAL);
    wkt_assert_rc(wk_file_pwrite(f, NULL, 1, 0), -EINVAL);
    wkt_assert_rc(wk_file_pwritev(f, NULL, 1, 0), -EINVAL);
    wkt_assert_rc(wk_file_pwritev(f, &iov, -1, 0), -EINVAL);
    wkt_assert_rc(wk_file_size(f, NULL), -EINVAL);
    wkt_assert_rc(wk_file_mmap(f, 0, 4096, NULL), -EINVAL);
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_rc(wk_vfs_read_all(NULL, "x", 1, (void **)&addr, &n), -EINVAL);
    wkt_assert_rc(wk_vfs_create_prealloc(NULL, "x", 1, 0, NULL), -EINVAL);
}

/* wk__path_dirname matches dirname(3): "x" and "" give ".", "/x" gives "/",
 * trailing and repeated slashes are ignored. */
static void
test_path_dirname(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"x", "."},           {"", "."},    {"a/b", "a"}, {"a/b/", "a"},
        {"a//b", "a"},        {"/a", "/"},  {"/", "/"},   {"/d/x", "/d"},
        {"a/b/c.tmp", "a/b"}, {"./x", "."}, {"//a", "/"}, {"../x", ".."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *d = wk__path_dirname(cases[i][0]);
        assert_non_null(d);
        if (strcmp(d, cases[i][1]) != 0)
            fail_msg("dirname(\"%s\") = \"%s\", expected \"%s\"", cases[i][0],
                     d, cases[i][1]);
        wk__free(d);
    }
}

/* Partial-write bookkeeping: after advancing by any byte count, the next
 * window starts at exactly the next unwritten byte of the concatenated
 * iovecs, across empty iovecs, window limits and byte limits. */
static void
test_iov_partial_progress(void **state)
{
    (void)state;
    enum { NIOV = 40, WIN = 5 };
    struct iovec iov[NIOV];
    static uint8_t src[NIOV * 64];
    uint8_t out[sizeof src];
    wkt_fill(src, sizeof src, 23);
    uint64_t seed = 77;
    for (int round = 0; round < 200; round++) {
        size_t total = 0;
        for (int i = 0; i < NIOV; i++) {
            size_t len = (size_t)(wkt_rand(&seed) % 65);
            if (wkt_rand(&seed) % 5 == 0)
                len = 0;
            iov[i].iov_base = src + total;
            iov[i].iov_len = len;
            total += len;
        }
        /* "Write" with random short counts, copying what each window
         * covers, and check the result is the source. */
        int idx = 0;
        size_t skip = 0, done = 0;
        for (;;) {
            struct iovec win[WIN];
            size_t wtotal = 0;
            size_t limit = 1 + (size_t)(wkt_rand(&seed) % 300);
            int n =
                wk__iov_window(iov, NIOV, idx, skip, win, WIN, limit, &wtotal);
            if (n == 0)
                break;
            assert_true(wtotal <= limit);
            size_t w = 1 + (size_t)(wkt_rand(&seed) % wtotal); /* short */
            size_t left = w, o = done;
            for (int k = 0; k < n && left > 0; k++) {
                assert_true(win[k].iov_len > 0);
                size_t c = win[k].iov_len < left ? win[k].iov_len : left;
                memcpy(out + o, win[k].iov_base, c);
                o += c;
                left -= c;
            }
            done += w;
            wk__iov_advance(iov, NIOV, &idx, &skip, w);
        }
        assert_int_equal(done, total);
        assert_memory_equal(out, src, total);
    }
}

/* Two handles on one file see each other's writes and size changes at once
 * (one cache per file, not per handle). */
static void
test_handles_share_cache(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    wk_file *a = NULL, *b = NULL;
    char buf[8];
    wkt_assert_ok(v->open(v, vc_path(fx, "f"), WK_O_CREATE, &a));
    wkt_assert_ok(v->open(v, vc_path(fx, "f"), WK_O_RDONLY, &b));
    wkt_assert_ok(wk_file_pwrite(a, "abcdef", 6, 0));
    wkt_assert_ok(wk_file_pread_full(b, buf, 6, 0));
    assert_memory_equal(buf, "abcdef", 6);
    wkt_assert_ok(wk_file_truncate(a, 2));
    vc_assert_size(b, 2);
    wkt_assert_ok(wk_file_close(a));
    wkt_assert_ok(wk_file_pread_full(b, buf, 2, 0));
    assert_memory_equal(buf, "ab", 2);
    wkt_assert_ok(wk_file_close(b));
}

/* Misuse comes back as errors: writing through a read-only handle, creating
 * in a missing directory (-ENOENT), listing a file (-ENOTDIR), unlinking a
 * directory. */
static void
test_misuse_errors(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    wk_file *f = NULL;
    vc_names c;
    memset(&c, 0, sizeof c);
    vc_put(fx, "f", "abc", 3);
    wkt_assert_ok(v->open(v, vc_path(fx, "f"), WK_O_RDONLY, &f));
    int rc = wk_file_pwrite(f, "x", 1, 0);
    if (rc >= 0)
        fail_msg("pwrite on a read-only handle returned %d", rc);
    wkt_assert_ok(wk_file_close(f));
    vc_assert_read_all(v, vc_path(fx, "f"), 10, "abc", 3);

    wkt_assert_rc(v->open(v, vc_path(fx, "nodir/f"), WK_O_CREATE, &f), -ENOENT);
    wkt_assert_rc(v->list(v, vc_path(fx, "f"), vc_collect, &c), -ENOTDIR);
    wkt_assert_ok(v->mkdir(v, vc_path(fx, "sub")));
    rc = v->unlink(v, vc_path(fx, "sub"));
    if (rc >= 0)
        fail_msg("unlink of a directory returned %d", rc);
    wk_vfs_stat st;
    wkt_assert_ok(v->stat(v, vc_path(fx, "sub"), &st));
    assert_int_equal(st.type, WK_VFS_DIR);
}

/* ---- a wrapping vfs whose allocate is unsupported ----------------------- */

/* Delegates every call to the fixture's vfs, except file allocate, which
 * answers -EOPNOTSUPP like a filesystem without fallocate. Shows that the
 * helpers work on any wk_vfs and exercises their zero-writing fallback. */
typedef struct vc_nofalloc_file {
    wk_file base;
    wk_file *inner;
} vc_nofalloc_file;

static wk_file *
vc_inner(wk_file *f)
{
    return ((vc_nofalloc_file *)f)->inner;
}

static int
vc_nf_close(wk_file *f)
{
    int rc = wk_file_close(vc_inner(f));
    free(f);
    return rc;
}

static int
vc_nf_pread(wk_file *f, void *buf, size_t len, uint64_t off, size_t *nread)
{
    return wk_file_pread(vc_inner(f), buf, len, off, nread);
}

static int
vc_nf_pwrite(wk_file *f, const void *buf, size_t len, uint64_t off)
{
    return wk_file_pwrite(vc_inner(f), buf, len, off);
}

static int
vc_nf_pwritev(wk_file *f, const struct iovec *iov, int cnt, uint64_t off)
{
    return wk_file_pwritev(vc_inner(f), iov, cnt, off);
}

static int
vc_nf_sync(wk_file *f, int flags)
{
    return wk_file_sync(vc_inner(f), flags);
}

static int
vc_nf_allocate(wk_file *f, uint64_t off, uint64_t len)
{
    (void)f;
    (void)off;
    (void)len;
    return -EOPNOTSUPP;
}

static int
vc_nf_truncate(wk_file *f, uint64_t size)
{
    return wk_file_truncate(vc_inner(f), size);
}

static int
vc_nf_size(wk_file *f, uint64_t *size)
{
    return wk_file_size(vc_inner(f), size);
}

static int
vc_nf_mmap(wk_file *f, uint64_t off, size_t len, const void **addr)
{
    return wk_file_mmap(vc_inner(f), off, len, addr);
}

static int
vc_nf_unmap(wk_file *f, const void *addr, size_t len)
{
    return wk_file_unmap(vc_inner(f), addr, len);
}

static const wk_file_methods vc_nf_methods = {
    .version = WK_VFS_VERSION,
    .close = vc_nf_close,
    .pread = vc_nf_pread,
    .pwrite = vc_nf_pwrite,
    .pwritev = vc_nf_pwritev,
    .sync = vc_nf_sync,
    .allocate = vc_nf_allocate,
    .truncate = vc_nf_truncate,
    .size = vc_nf_size,
    .mmap = vc_nf_mmap,
    .unmap = vc_nf_unmap,
};

static int
vc_nf_open(wk_vfs *vfs, const char *path, int flags, wk_file **out)
{
    wk_vfs *inner = vfs->ctx;
    vc_nofalloc_file *nf = malloc(sizeof *nf);
    if (nf == NULL)
        return -ENOMEM;
    int rc = inner->open(inner, path, flags, &nf->inner);
    if (rc != 0) {
        free(nf);
        return rc;
    }
    nf->base.methods = &vc_nf_methods;
    *out = &nf->base;
    return 0;
}

static int
vc_nf_rename(wk_vfs *vfs, const char *from, const char *to)
{
    wk_vfs *inner = vfs->ctx;
    return inner->rename(inner, from, to);
}

static int
vc_nf_unlink(wk_vfs *vfs, const char *path)
{
    wk_vfs *inner = vfs->ctx;
    return inner->unlink(inner, path);
}

static int
vc_nf_sync_dir(wk_vfs *vfs, const char *dir)
{
    wk_vfs *inner = vfs->ctx;
    return inner->sync_dir(inner, dir);
}

/* create_prealloc on a filesystem without fallocate writes real zeros (once,
 * even with zero_fill) and still gives a durable file of the right size. */
static void
test_create_prealloc_fallback(void **state)
{
    vc_fx *fx = *state;
    wk_vfs w = {
        .version = WK_VFS_VERSION,
        .name = "nofalloc",
        .ctx = fx->vfs,
        .open = vc_nf_open,
        .rename = vc_nf_rename,
        .unlink = vc_nf_unlink,
        .sync_dir = vc_nf_sync_dir,
    };
    enum { SIZE = (1 << 20) + 10 };
    uint8_t *r = malloc(SIZE);
    assert_non_null(r);
    for (int zero_fill = 0; zero_fill <= 1; zero_fill++) {
#ifdef WKT_HAVE_SIM
        if (fx->sim != NULL)
            wk_sim_trace_clear(fx->sim);
#endif
        const char *p = vc_path(fx, zero_fill ? "z1" : "z0");
        wk_file *f = NULL;
        wkt_assert_ok(wk_vfs_create_prealloc(&w, p, SIZE, zero_fill, &f));
        vc_assert_size(f, SIZE);
        wkt_assert_ok(wk_file_pread_full(f, r, SIZE, 0));
        vc_assert_zero(r, SIZE);
        wkt_assert_ok(wk_file_close(f));
#ifdef WKT_HAVE_SIM
        if (fx->sim != NULL) {
            char want[512];
            snprintf(want, sizeof want,
                     "create %s\n"
                     "pwrite %s 0+1048576\n"
                     "pwrite %s 1048576+10\n"
                     "sync %s\n"
                     "sync_dir /d\n",
                     p, p, p, p);
            const char *got = wk_sim_trace(fx->sim);
            if (strcmp(got, want) != 0)
                fail_msg("trace:\n%s\nexpected:\n%s", got, want);
        }
#endif
    }
    /* atomic_replace needs no allocate: it works through the wrapper too. */
    wkt_assert_ok(wk_vfs_atomic_replace(&w, vc_path(fx, "cfg"), "abc", 3));
    free(r);
}

/* ---- sim only: exact durable sequences from the trace ------------------ */

#ifdef WKT_HAVE_SIM
static void
vc_assert_trace(vc_fx *fx, const char *want)
{
    const char *got = wk_sim_trace(fx->sim);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("trace:\n%s\nexpected:\n%s", got, want);
}

/* atomic_replace does exactly: write tmp, sync tmp, rename over, sync dir. */
static void
test_sim_trace_atomic_replace(void **state)
{
    vc_fx *fx = *state;
    wk_sim_trace_clear(fx->sim);
    wkt_assert_ok(wk_vfs_atomic_replace(fx->vfs, "/d/cfg", "hello", 5));
    vc_assert_trace(fx, "create /d/cfg.tmp\n"
                        "pwrite /d/cfg.tmp 0+5\n"
                        "sync /d/cfg.tmp\n"
                        "rename /d/cfg.tmp /d/cfg\n"
                        "sync_dir /d\n");
}

/* create_prealloc does exactly: create, allocate, (zeros when zero_fill),
 * sync, sync dir. */
static void
test_sim_trace_create_prealloc(void **state)
{
    vc_fx *fx = *state;
    wk_sim_trace_clear(fx->sim);
    wkt_assert_ok(wk_vfs_create_prealloc(fx->vfs, "/d/s1", 65536, 0, NULL));
    vc_assert_trace(fx, "create /d/s1\n"
                        "allocate /d/s1 0+65536\n"
                        "sync /d/s1\n"
                        "sync_dir /d\n");
    wk_sim_trace_clear(fx->sim);
    wkt_assert_ok(
        wk_vfs_create_prealloc(fx->vfs, "/d/s2", (1 << 20) + 10, 1, NULL));
    vc_assert_trace(fx, "create /d/s2\n"
                        "allocate /d/s2 0+1048586\n"
                        "pwrite /d/s2 0+1048576\n"
                        "pwrite /d/s2 1048576+10\n"
                        "sync /d/s2\n"
                        "sync_dir /d\n");
}
#endif

/* ---- posix only: a real second process --------------------------------- */

/* A lock held by another process makes lock_dir -EBUSY; once that process
 * is killed the lock is free. */
static void
test_posix_lock_across_processes(void **state)
{
    vc_fx *fx = *state;
    wk_vfs *v = fx->vfs;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        wk_vfs_lock *l = NULL;
        char c = v->lock_dir(v, fx->root, &l) == 0 ? 'L' : 'E';
        if (write(pfd[1], &c, 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    close(pfd[1]);
    char c = 0;
    assert_int_equal(read(pfd[0], &c, 1), 1);
    close(pfd[0]);
    wk_vfs_lock *l = NULL;
    int rc = v->lock_dir(v, fx->root, &l);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_int_equal(c, 'L');
    wkt_assert_rc(rc, -EBUSY);
    wkt_assert_ok(v->lock_dir(v, fx->root, &l));
    wkt_assert_ok(v->unlock_dir(v, l));
}

/* A write that the kernel cuts short (here: RLIMIT_FSIZE ends it inside an
 * iovec) is continued from exactly where it stopped, and the error that
 * follows is returned instead of looping: the bytes before the limit are
 * the caller's bytes in order. */
static void
test_posix_pwritev_partial_progress(void **state)
{
    vc_fx *fx = *state;
    enum { NIOV = 100, LIMIT = 10007 };
    struct iovec iov[NIOV];
    static uint8_t src[NIOV * 300];
    wkt_fill(src, sizeof src, 17);
    for (int i = 0; i < NIOV; i++) {
        iov[i].iov_base = src + i * 300;
        iov[i].iov_len = 300;
    }
    wk_file *f = NULL;
    wkt_assert_ok(fx->vfs->open(fx->vfs, vc_path(fx, "f"), WK_O_CREATE, &f));

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = LIMIT;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    wk_file *g = NULL;
    int rcg = fx->vfs->open(fx->vfs, vc_path(fx, "g"), WK_O_CREATE, &g);
    int rc = wk_file_pwritev(f, iov, NIOV, 7);
    int rc1 = rcg == 0 ? wk_file_pwrite(g, src, sizeof src, 0) : rcg;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);

    wkt_assert_rc(rc, -EFBIG);
    wkt_assert_rc(rc1, -EFBIG);
    static uint8_t back[LIMIT];
    vc_assert_size(f, LIMIT);
    wkt_assert_ok(wk_file_pread_full(f, back, LIMIT, 0));
    vc_assert_zero(back, 7);
    assert_memory_equal(back + 7, src, LIMIT - 7);
    vc_assert_size(g, LIMIT);
    wkt_assert_ok(wk_file_pread_full(g, back, LIMIT, 0));
    assert_memory_equal(back, src, LIMIT);
    wkt_assert_ok(wk_file_close(g));
    wkt_assert_ok(wk_file_close(f));
}

#define VC_TEST(fn) cmocka_unit_test_setup_teardown(fn, vc_setup, vc_teardown)

int
main(int argc, char **argv)
{
    const char *backend = argc > 1 ? argv[1] : "posix";
    if (strcmp(backend, "posix") == 0) {
        vc_backend = VC_POSIX;
    } else if (strcmp(backend, "sim") == 0) {
#ifndef WKT_HAVE_SIM
        fprintf(stderr, "sim backend not built\n");
        return 2;
#endif
        vc_backend = VC_SIM;
    } else {
        fprintf(stderr, "usage: %s posix|sim\n", argv[0]);
        return 2;
    }

    const struct CMUnitTest common[] = {
        VC_TEST(test_open_flags),
        VC_TEST(test_pwrite_pread_round_trip),
        VC_TEST(test_pread_short_only_at_eof),
        VC_TEST(test_pwritev_many_iovecs),
        VC_TEST(test_size_truncate),
        VC_TEST(test_allocate),
        VC_TEST(test_sync_and_sync_dir),
        VC_TEST(test_rename_replaces),
        VC_TEST(test_unlink),
        VC_TEST(test_mkdir),
        VC_TEST(test_rmdir),
        VC_TEST(test_list),
        VC_TEST(test_stat_types),
        VC_TEST(test_lock_dir),
        VC_TEST(test_mmap),
        VC_TEST(test_random),
        VC_TEST(test_atomic_replace),
        VC_TEST(test_create_prealloc),
        VC_TEST(test_create_prealloc_fallback),
        VC_TEST(test_read_all),
        VC_TEST(test_helpers_alloc_failure),
        VC_TEST(test_null_wrappers),
        VC_TEST(test_handles_share_cache),
        VC_TEST(test_misuse_errors),
        cmocka_unit_test(test_path_dirname),
        cmocka_unit_test(test_iov_partial_progress),
    };
    const struct CMUnitTest posix_only[] = {
        VC_TEST(test_posix_lock_across_processes),
        VC_TEST(test_posix_pwritev_partial_progress),
    };
#ifdef WKT_HAVE_SIM
    const struct CMUnitTest sim_only[] = {
        VC_TEST(test_sim_trace_atomic_replace),
        VC_TEST(test_sim_trace_create_prealloc),
    };
#endif

    int failed = 0;
    if (vc_backend == VC_POSIX) {
        failed += cmocka_run_group_tests_name("vfs_contract_posix", common,
                                              NULL, NULL);
        failed += cmocka_run_group_tests_name("vfs_contract_posix_only",
                                              posix_only, NULL, NULL);
    } else {
#ifdef WKT_HAVE_SIM
        failed +=
            cmocka_run_group_tests_name("vfs_contract_sim", common, NULL, NULL);
        failed += cmocka_run_group_tests_name("vfs_contract_sim_only", sim_only,
                                              NULL, NULL);
#endif
    }
    return failed == 0 ? 0 : 1;
}
