/* wk_ring unit tests: API and errors, reads and iteration, wrap-around at
 * every leftover size, reservation order and cancel, concurrent durable
 * appends (group commit), head advance and restart, full ring, recovery
 * policies, and one regression test per prior-art defect of
 * log-structured (libblobd). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/byteorder.h"
#include "wkt.h"

#define SMALL_CAP (12u * 1024u) /* record area of 4096 bytes */

static wk_sim *
sim_new(wk_ring_opts *o, uint64_t cap)
{
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(NULL, &sim));
    wk_ring_opts_init(o);
    o->vfs = wk_sim_vfs(sim);
    o->capacity = cap;
    if (cap != 0) {
        wkt_assert_ok(wk_ring_format("r.img", o));
        o->capacity = 0;
    }
    return sim;
}

static wk_ring *
ring_open(const wk_ring_opts *o)
{
    wk_ring *r = NULL;
    wkt_assert_ok(wk_ring_open("r.img", o, &r, NULL));
    return r;
}

static uint64_t
count_entries(wk_ring *r)
{
    wk_ring_iter *it = NULL;
    wkt_assert_ok(wk_ring_iter_open(r, &it));
    uint64_t n = 0;
    int rc;
    while ((rc = wk_ring_iter_next(it, NULL, NULL, NULL)) == 0)
        n++;
    wkt_assert_rc(rc, WK_ENOTFOUND);
    wk_ring_iter_close(it);
    return n;
}

/* Bad arguments, missing files, double format, wrong geometry, a second
 * opener and read-only handles all get clear error codes. */
static void
test_errors(void **state)
{
    (void)state;
    wk_ring_opts o;
    wk_sim *sim = sim_new(&o, 0);
    wkt_assert_rc(wk_ring_format(NULL, &o), -EINVAL);
    o.capacity = 5000;
    wkt_assert_rc(wk_ring_format("r.img", &o), -EINVAL);
    o.capacity = 8192;
    wkt_assert_rc(wk_ring_format("r.img", &o), -EINVAL);
    o.capacity = SMALL_CAP;
    o.region_offset = 100;
    wkt_assert_rc(wk_ring_format("r.img", &o), -EINVAL);
    o.region_offset = 0;
    wk_ring *r = NULL;
    wkt_assert_rc(wk_ring_open("r.img", &o, &r, NULL), -ENOENT);
    assert_null(r);
    wkt_assert_ok(wk_ring_format("r.img", &o));
    wkt_assert_rc(wk_ring_format("r.img", &o), -EEXIST);
    o.force = 1;
    wkt_assert_ok(wk_ring_format("r.img", &o));
    o.force = 0;
    o.capacity = 16384;
    wkt_assert_rc(wk_ring_open("r.img", &o, &r, NULL), WK_EFORMAT);
    o.capacity = 0;
    r = ring_open(&o);
    wk_ring *r2 = NULL;
    wkt_assert_rc(wk_ring_open("r.img", &o, &r2, NULL), -EBUSY);
    wkt_assert_rc(wk_ring_format("r.img", &o), -EBUSY);
    wkt_assert_rc(wk_ring_append(r, NULL, 3, 0, NULL), -EINVAL);
    wk_ring_stats st;
    wk_ring_stats_get(r, &st);
    char *big = calloc(1, st.max_entry + 1);
    wkt_assert_rc(wk_ring_append(r, big, st.max_entry + 1, 0, NULL), -E2BIG);
    assert_true(strstr(wk_ring_errmsg(r), "max") != NULL);
    wkt_assert_ok(wk_ring_append(r, big, st.max_entry, WK_SYNC, NULL));
    free(big);
    wkt_assert_ok(wk_ring_close(r));
    wkt_assert_ok(wk_ring_close(NULL));
    o.read_only = 1;
    r = ring_open(&o);
    wkt_assert_rc(wk_ring_append(r, "x", 1, 0, NULL), -EROFS);
    wkt_assert_rc(wk_ring_advance_head(r, NULL, NULL, NULL), -EROFS);
    assert_int_equal(count_entries(r), 1);
    wkt_assert_ok(wk_ring_close(r));
    o.read_only = 0;
    /* Not a ring. */
    wk_file *f = NULL;
    wk_vfs *vfs = o.vfs;
    wkt_assert_ok(vfs->open(vfs, "junk", WK_O_CREATE | WK_O_RDWR, &f));
    char junk[20000];
    memset(junk, 0x5a, sizeof junk);
    wkt_assert_ok(wk_file_pwrite(f, junk, sizeof junk, 0));
    wk_file_close(f);
    wkt_assert_rc(wk_ring_open("junk", &o, &r, NULL), WK_EFORMAT);
    wkt_assert_rc(wk_ring_verify("junk", &o, NULL), WK_EFORMAT);
    wk_sim_destroy(sim);
}

/* Entries read back by position and by iteration, with exact bytes and
 * clear errors for bad positions and small buffers. */
static void
test_append_read(void **state)
{
    (void)state;
    wk_ring_opts o;
    wk_sim *sim = sim_new(&o, 64 * 1024);
    wk_ring *r = ring_open(&o);
    uint64_t pos[20];
    char buf[200];
    for (int i = 0; i < 20; i++) {
        snprintf(buf, sizeof buf, "entry number %d", i);
        wkt_assert_ok(wk_ring_append(r, buf, strlen(buf) + (size_t)i,
                                     i % 2 ? WK_SYNC : 0, &pos[i]));
    }
    wkt_assert_ok(wk_ring_append(r, NULL, 0, 0, NULL)); /* empty entry */
    for (int i = 0; i < 20; i++) {
        char want[200];
        size_t len = 0;
        snprintf(want, sizeof want, "entry number %d", i);
        memset(buf, 0, sizeof buf);
        wkt_assert_ok(wk_ring_read(r, pos[i], buf, sizeof buf, &len));
        assert_int_equal(len, strlen(want) + (size_t)i);
        assert_memory_equal(buf, want, strlen(want));
    }
    size_t len = 0;
    wkt_assert_rc(wk_ring_read(r, pos[5], buf, 3, &len), -ENOBUFS);
    assert_int_equal(len, 14 + 5);
    wkt_assert_rc(wk_ring_read(r, pos[5] + 1, buf, sizeof buf, &len),
                  WK_ENOTFOUND);
    wkt_assert_rc(wk_ring_read(r, 1u << 30, buf, sizeof buf, &len),
                  WK_ENOTFOUND);
    wk_ring_iter *it = NULL;
    wkt_assert_ok(wk_ring_iter_open(r, &it));
    for (int i = 0; i < 21; i++) {
        uint64_t p;
        const void *d;
        wkt_assert_ok(wk_ring_iter_next(it, &p, &d, &len));
        if (i < 20)
            assert_int_equal(p, pos[i]);
        else
            assert_int_equal(len, 0);
    }
    wkt_assert_rc(wk_ring_iter_next(it, NULL, NULL, NULL), WK_ENOTFOUND);
    wkt_assert_ok(wk_ring_append(r, "later", 5, 0, NULL));
    wkt_assert_ok(wk_ring_iter_next(it, NULL, NULL, &len)); /* sees it */
    assert_int_equal(len, 5);
    wk_ring_iter_close(it);
    /* Freed entries: WK_ERECYCLED. */
    wkt_assert_ok(wk_ring_sync(r));
    uint64_t freed = 0;
    wkt_assert_ok(wk_ring_advance_head(r, NULL, NULL, &freed));
    assert_int_equal(freed, 22);
    wkt_assert_rc(wk_ring_read(r, pos[3], buf, sizeof buf, &len), WK_ERECYCLED);
    wkt_assert_ok(wk_ring_close(r));
    wkt_assert_ok(wk_ring_verify("r.img", &o, NULL));
    wk_sim_destroy(sim);
}

static int
gc_all(void *arg, uint64_t pos, const void *data, size_t len)
{
    (void)arg;
    (void)pos;
    (void)data;
    (void)len;
    return 1;
}

/* Regression (log-structured: the padding write overruns the region when
 * the leftover at the wrap is smaller than the pad marker): for every
 * leftover size 0..25 (and a few more), the next entry goes to the next lap
 * with a pad only when >= 24 bytes remain, no byte outside the region is
 * written, and everything reads back after a reopen. */
static void
test_wrap_every_leftover(void **state)
{
    (void)state;
    int sizes[40], ns = 0;
    for (int l = 0; l <= 25; l++)
        sizes[ns++] = l;
    sizes[ns++] = 100;
    sizes[ns++] = 123;
    sizes[ns++] = 124;
    sizes[ns++] = 125;
    sizes[ns++] = 600;
    for (int k = 0; k < ns; k++) {
        int left = sizes[k];
        wk_sim *sim = NULL;
        wkt_assert_ok(wk_sim_create(NULL, &sim));
        wk_vfs *vfs = wk_sim_vfs(sim);
        /* A file with sentinels around the region [4096, 4096 + 12 KiB). */
        uint8_t sent[4096];
        memset(sent, 0xee, sizeof sent);
        wk_file *f = NULL;
        wkt_assert_ok(vfs->open(vfs, "r.img", WK_O_CREATE | WK_O_RDWR, &f));
        wkt_assert_ok(wk_file_pwrite(f, sent, sizeof sent, 0));
        wkt_assert_ok(wk_file_pwrite(f, sent, sizeof sent, 4096 + SMALL_CAP));
        wkt_assert_ok(wk_file_sync(f, WK_SYNC_FULL));
        wk_file_close(f);
        wk_ring_opts o;
        wk_ring_opts_init(&o);
        o.vfs = vfs;
        o.region_offset = 4096;
        o.capacity = SMALL_CAP;
        wkt_assert_ok(wk_ring_format("r.img", &o));
        wk_ring *r = ring_open(&o);
        const uint64_t D = 4096;
        /* Three entries end exactly `left` bytes before the lap's end. */
        uint8_t buf[2048];
        memset(buf, 'a', sizeof buf);
        size_t c = (size_t)(D - (uint64_t)left - 72 - 2800);
        wkt_assert_ok(wk_ring_append(r, buf, 1400, 0, NULL));
        wkt_assert_ok(wk_ring_append(r, buf, 1400, 0, NULL));
        wkt_assert_ok(wk_ring_append(r, buf, c, WK_SYNC, NULL));
        wk_ring_stats st;
        wk_ring_stats_get(r, &st);
        assert_int_equal(st.tail, D - (uint64_t)left);
        wkt_assert_ok(wk_ring_advance_head(r, gc_all, NULL, NULL));
        uint64_t pos;
        memset(buf, 'z', 100);
        wkt_assert_ok(wk_ring_append(r, buf, 100, WK_SYNC, &pos));
        if (left >= 124)
            assert_int_equal(pos, D - (uint64_t)left);
        else
            assert_int_equal(pos, D); /* next lap */
        wkt_assert_ok(wk_ring_append(r, "tail", 4, WK_SYNC, NULL));
        wkt_assert_ok(wk_ring_close(r));
        uint64_t size = 0;
        wkt_assert_ok(vfs->open(vfs, "r.img", WK_O_RDWR, &f));
        wkt_assert_ok(wk_file_size(f, &size));
        assert_int_equal(size, 4096 + SMALL_CAP + 4096);
        uint8_t got[4096];
        wkt_assert_ok(wk_file_pread_full(f, got, sizeof got, 0));
        assert_memory_equal(got, sent, sizeof got);
        wkt_assert_ok(wk_file_pread_full(f, got, sizeof got, 4096 + SMALL_CAP));
        assert_memory_equal(got, sent, sizeof got);
        wk_file_close(f);
        r = ring_open(&o);
        assert_int_equal(count_entries(r), 2);
        size_t len = 0;
        wkt_assert_ok(wk_ring_read(r, pos, buf, sizeof buf, &len));
        assert_int_equal(len, 100);
        assert_int_equal(buf[99], 'z');
        wkt_assert_ok(wk_ring_close(r));
        wkt_assert_ok(wk_ring_verify("r.img", &o, NULL));
        wk_sim_destroy(sim);
    }
}

/* Regression (log-structured: panics when full): a full ring returns
 * WK_EFULL, changes nothing and loses nothing; after a head advance the
 * append succeeds. */
static void
test_full(void **state)
{
    (void)state;
    wk_ring_opts o;
    wk_sim *sim = sim_new(&o, SMALL_CAP);
    wk_ring *r = ring_open(&o);
    uint8_t buf[300];
    uint64_t n = 0;
    int rc;
    for (;;) {
        memset(buf, (int)n, sizeof buf);
        rc = wk_ring_append(r, buf, sizeof buf, WK_SYNC, NULL);
        if (rc != 0)
            break;
        n++;
    }
    wkt_assert_rc(rc, WK_EFULL);
    assert_true(n >= 12);
    wk_ring_stats a, b;
    wk_ring_stats_get(r, &a);
    wkt_assert_rc(wk_ring_append(r, buf, sizeof buf, WK_SYNC, NULL), WK_EFULL);
    wk_ring_res *res = NULL;
    wkt_assert_rc(wk_ring_reserve(r, sizeof buf, &res), WK_EFULL);
    wk_ring_stats_get(r, &b);
    assert_int_equal(a.used, b.used);
    assert_int_equal(a.tail, b.tail);
    assert_int_equal(b.entries, n);
    assert_int_equal(a.poisoned, 0);
    wkt_assert_ok(wk_ring_append(r, buf, 10, WK_SYNC, NULL)); /* fits */
    wkt_assert_ok(wk_ring_close(r));
    r = ring_open(&o);
    assert_int_equal(count_entries(r), n + 1);
    uint64_t freed = 0;
    int one = 0;
    wkt_assert_ok(wk_ring_advance_head(r, NULL, &one, &freed));
    assert_int_equal(freed, n + 1);
    wkt_assert_ok(wk_ring_append(r, buf, sizeof buf, WK_SYNC, NULL));
    wkt_assert_ok(wk_ring_close(r));
    wk_sim_destroy(sim);
}

/* Regression (log-structured: its free-space gauge stored used space):
 * stats report used and free separately and correctly. */
static void
test_stats_used_free(void **state)
{
    (void)state;
    wk_ring_opts o;
    wk_sim *sim = sim_new(&o, SMALL_CAP);
    wk_ring *r = ring_open(&o);
    wk_ring_stats st;
    wk_ring_stats_get(r, &st);
    assert_int_equal(st.capacity, 4096);
    assert_int_equal(st.used, 0);
    assert_int_equal(st.free, 4096);
    wkt_assert_ok(wk_ring_append(r, "0123456789", 10, WK_SYNC, NULL));
    wkt_assert_ok(wk_ring_append(r, "abc", 3, 0, NULL));
    wk_ring_stats_get(r, &st);
    assert_int_equal(st.used, 24 + 10 + 24 + 3);
    assert_int_equal(st.free, 4096 - (24 + 10 + 24 + 3));
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.tail, 61);
    assert_int_equal(st.durable_tail, 34);
    wk_ring_res *res = NULL;
    wkt_assert_ok(wk_ring_reserve(r, 100, &res));
    wk_ring_stats_get(r, &st);
    assert_int_equal(st.used, 61 + 124); /* a reservation holds space */
    assert_int_equal(st.free, 4096 - 61 - 124);
    wk_ring_cancel(res);
    wkt_assert_ok(wk_ring_sync(r));
    wkt_assert_ok(wk_ring_advance_head(r, NULL, NULL, NULL));
    wk_ring_stats_get(r, &st);
    assert_int_equal(st.used, 0);
    assert_int_equal(st.free, 4096);
    assert_int_equal(st.entries, 0);
    wkt_assert_ok(wk_ring_close(r));
    wk_sim_destroy(sim);
}

static int
gc_below(void *arg, uint64_t pos, const void *data, size_t len)
{
    (void)pos;
    assert_true(len >= 1);
    return ((const uint8_t *)data)[0] < *(int *)arg ? 1 : 0;
}

/* Regression (log-structured: the tail on disk was not restored at load,
 * so GC stalled after a restart): head and tail survive reopen, appends
 * continue after the old tail, and head advance keeps freeing. */
static void
test_restart_restores_head_tail(void **state)
{
    (void)state;
    wk_ring_opts o;
    wk_sim *sim = sim_new(&o, SMALL_CAP);
    wk_ring *r = ring_open(&o);
    uint8_t buf[200];
    for (int i = 0; i < 10; i++) {
        memset(buf, i, sizeof buf);
        wkt_assert_ok(wk_ring_append(r, buf, sizeof buf, WK_SYNC, NULL));
    }
    int lim = 3;
    uint64_t freed = 0;
    wkt_assert_ok(wk_ring_advance_head(r, gc_below, &lim, &freed));
    assert_int_equal(freed, 3);
    wk_ring_stats a;
    wk_ring_stats_get(r, &a);
    /* A power cut without close: the tail is found by the scan. */
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_DROP_ALL));
    wk_ring_close(r);
    r = ring_open(&o);
    wk_ring_stats b;
    wk_ring_stats_get(r, &b);
    assert_int_equal(b.head, a.head);
    assert_int_equal(b.tail, a.tail);
    assert_int_equal(b.durable_tail, a.tail);
    assert_int_equal(b.entries, 7);
    for (int i = 10; i < 25; i++) { /* wraps: needs GC to go on */
        memset(buf, i, sizeof buf);
        int rc = wk_ring_append(r, buf, sizeof buf, WK_SYNC, NULL);
        if (rc == WK_EFULL) {
            lim = i - 4;
            wkt_assert_ok(wk_ring_advance_head(r, gc_below, &lim, &freed));
            assert_true(freed > 0);
            rc = wk_ring_append(r, buf, sizeof buf, WK_SYNC, NULL);
        }
        wkt_assert_ok(rc);
    }
    wkt_assert_ok(wk_ring_close(r));
    r = ring_open(&o);
    wk_ring_iter *it = NULL;
    wkt_assert_ok(wk_ring_iter_open(r, &it));
    const void *d;
    size_t len;
    int prev = -1, rc;
    while ((rc = wk_ring_iter_next(it, NULL, &d, &len)) == 0) {
        int v = ((const uint8_t *)d)[0];
        if (prev >= 0)
            assert_int_equal(v, prev + 1);
        prev = v;
    }
    assert_int_equal(prev, 24);
    wk_ring_iter_close(it);
    wkt_assert_ok(wk_ring_close(r));
    wk_sim_destroy(sim);
}

/* Regression (log-structured: the head could be persisted past the
 * durable tail): advance only frees durable entries; after a power cut the
 * ring opens with head <= tail and the synced entries. */
static void
test_head_not_past_durable_tail(void **state)
{
    (void)state;
    wk_ring_opts o;
    wk_sim *sim = sim_new(&o, SMALL_CAP);
    wk_ring *r = ring_open(&o);
    wkt_assert_ok(wk_ring_append(r, "a", 1, WK_SYNC, NULL));
    wkt_assert_ok(wk_ring_append(r, "b", 1, 0, NULL));
    wkt_assert_ok(wk_ring_append(r, "c", 1, 0, NULL));
    uint64_t freed = 0;
    wkt_assert_ok(wk_ring_advance_head(r, NULL, NULL, &freed));
    assert_int_equal(freed, 1); /* only the durable one */
    wk_ring_stats st;
    wk_ring_stats_get(r, &st);
    assert_true(st.head <= st.durable_tail);
    assert_int_equal(st.head, 25);
    assert_int_equal(st.entries, 2);
    wkt_assert_ok(wk_sim_crash(sim, 3, WK_SIM_DROP_ALL));
    wk_ring_close(r);
    r = ring_open(&o);
    wk_ring_stats_get(r, &st);
    assert_int_equal(st.head, 25);
    assert_true(st.head <= st.tail);
    /* b and c may have become durable with the superblock's fdatasync. */
    uint64_t n = count_entries(r);
    assert_true(n == 0 || n == 2);
    wkt_assert_ok(wk_ring_append(r, "d", 1, WK_SYNC, NULL));
    wkt_assert_ok(wk_ring_sync(r));
    wkt_assert_ok(wk_ring_advance_head(r, NULL, NULL, &freed));
    assert_int_equal(freed, n + 1);
    wkt_assert_ok(wk_ring_close(r));
    wk_sim_destroy(sim);
}

typedef struct commit_arg {
    wk_ring_res *res;
    int rc;
    int done;
    pthread_mutex_t mu;
} commit_arg;

static void *
commit_thread(void *p)
{
    commit_arg *a = p;
    int rc = wk_ring_commit(a->res, WK_SYNC);
    pthread_mutex_lock(&a->mu);
    a->rc = rc;
    a->done = 1;
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

static int
commit_done(commit_arg *a)
{
    pthread_mutex_lock(&a->mu);
    int d = a->done;
    pthread_mutex_unlock(&a->mu);
    return d;
}

/* Commits complete in reservation order: a later commit waits for earlier
 * reservations, and a cancelled one becomes padding without blocking. */
static void
test_reserve_order_cancel(void **state)
{
    (void)state;
    wk_ring_opts o;
    wk_sim *sim = sim_new(&o, 64 * 1024);
    wk_ring *r = ring_open(&o);
    wk_ring_res *a = NULL, *b = NULL, *c = NULL;
    wkt_assert_ok(wk_ring_reserve(r, 3, &a));
    wkt_assert_ok(wk_ring_reserve(r, 50, &b));
    wkt_assert_ok(wk_ring_reserve(r, 3, &c));
    assert_true(wk_ring_res_pos(a) < wk_ring_res_pos(b));
    assert_true(wk_ring_res_pos(b) < wk_ring_res_pos(c));
    memcpy(wk_ring_res_data(a), "AAA", 3);
    memcpy(wk_ring_res_data(b),
           "not this one, it is cancelled....................", 50);
    memcpy(wk_ring_res_data(c), "CCC", 3);
    commit_arg ca = {c, -1, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, commit_thread, &ca), 0);
    usleep(30000);
    assert_false(commit_done(&ca)); /* waits for a and b */
    wkt_assert_ok(wk_ring_commit(a, 0));
    usleep(30000);
    assert_false(commit_done(&ca)); /* still waits for b */
    wk_ring_cancel(b);
    pthread_join(t, NULL);
    wkt_assert_ok(ca.rc);
    wk_ring_stats st;
    wk_ring_stats_get(r, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.cancels, 1);
    assert_int_equal(st.durable_tail, st.tail);
    wkt_assert_ok(wk_ring_close(r));
    r = ring_open(&o);
    wk_ring_iter *it = NULL;
    wkt_assert_ok(wk_ring_iter_open(r, &it));
    const void *d;
    size_t len;
    wkt_assert_ok(wk_ring_iter_next(it, NULL, &d, &len));
    assert_memory_equal(d, "AAA", 3);
    wkt_assert_ok(wk_ring_iter_next(it, NULL, &d, &len));
    assert_memory_equal(d, "CCC", 3);
    wkt_assert_rc(wk_ring_iter_next(it, NULL, NULL, NULL), WK_ENOTFOUND);
    wk_ring_iter_close(it);
    /* A reservation left open at close is cancelled. */
    wkt_assert_ok(wk_ring_reserve(r, 5, &a));
    wkt_assert_ok(wk_ring_close(r));
    r = ring_open(&o);
    assert_int_equal(count_entries(r), 2);
    wkt_assert_ok(wk_ring_close(r));
    wk_sim_destroy(sim);
}

#define CT_THREADS 8
#define CT_APPENDS 150

typedef struct ct_arg {
    wk_ring *r;
    int id;
    int rc;
} ct_arg;

static void *
ct_run(void *p)
{
    ct_arg *a = p;
    uint8_t buf[128];
    for (int i = 0; i < CT_APPENDS && a->rc == 0; i++) {
        memset(buf, 0, sizeof buf);
        buf[0] = (uint8_t)a->id;
        wk__put32(buf + 1, (uint32_t)i);
        a->rc = wk_ring_append(a->r, buf, sizeof buf, WK_SYNC, NULL);
    }
    return NULL;
}

/* Concurrent durable appenders on the real disk share syncs (group commit)
 * and every entry is present, in each thread's order. */
static void
test_concurrent_appends(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("ring_conc");
    char path[512];
    snprintf(path, sizeof path, "%s/ring.img", dir);
    wk_ring_opts o;
    wk_ring_opts_init(&o);
    o.capacity = 4u << 20;
    wkt_assert_ok(wk_ring_format(path, &o));
    o.capacity = 0;
    wk_ring *r = NULL;
    wkt_assert_ok(wk_ring_open(path, &o, &r, NULL));
    ct_arg args[CT_THREADS];
    pthread_t th[CT_THREADS];
    int nt = wkt_quick() ? 4 : CT_THREADS;
    for (int i = 0; i < nt; i++) {
        args[i] = (ct_arg){r, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, ct_run, &args[i]), 0);
    }
    for (int i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        wkt_assert_ok(args[i].rc);
    }
    wk_ring_stats st;
    wk_ring_stats_get(r, &st);
    uint64_t total = (uint64_t)nt * CT_APPENDS;
    assert_int_equal(st.entries, total);
    printf("ring concurrency: %llu appends, %llu syncs, %llu batches\n",
           (unsigned long long)total, (unsigned long long)st.syncs,
           (unsigned long long)st.batches);
    assert_true(st.syncs < total);
    wkt_assert_ok(wk_ring_close(r));
    wkt_assert_ok(wk_ring_open(path, &o, &r, NULL));
    wk_ring_iter *it = NULL;
    wkt_assert_ok(wk_ring_iter_open(r, &it));
    uint32_t next[CT_THREADS] = {0};
    const void *d;
    size_t len;
    uint64_t n = 0;
    while (wk_ring_iter_next(it, NULL, &d, &len) == 0) {
        const uint8_t *b = d;
        assert_int_equal(len, 128);
        assert_true(b[0] < nt);
        assert_int_equal(wk__get32(b + 1), next[b[0]]);
        next[b[0]]++;
        n++;
    }
    assert_int_equal(n, total);
    wk_ring_iter_close(it);
    wkt_assert_ok(wk_ring_close(r));
    wkt_tmpdir_remove(dir);
}

/* Appends three durable entries each in its own batch and returns their
 * positions; the power is then cut (KEEP_ALL) without close. */
static wk_sim *
three_entries(wk_ring_opts *o, uint64_t pos[3])
{
    wk_sim *sim = sim_new(o, SMALL_CAP);
    wk_ring *r = ring_open(o);
    wkt_assert_ok(wk_ring_append(r, "first entry", 11, WK_SYNC, &pos[0]));
    wkt_assert_ok(wk_ring_append(r, "second entry", 12, WK_SYNC, &pos[1]));
    wkt_assert_ok(wk_ring_append(r, "third entry", 11, WK_SYNC, &pos[2]));
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_KEEP_ALL));
    wk_ring_close(r);
    return sim;
}

/* A flipped byte in an acknowledged entry followed by a later one is
 * corruption: open fails with WK_ECORRUPT and a report by default; verify
 * finds it; point-in-time keeps the prefix; skip-corrupt bridges it. */
static void
test_corruption_policies(void **state)
{
    (void)state;
    for (int policy = 0; policy < 4; policy++) {
        wk_ring_opts o;
        uint64_t pos[3];
        wk_sim *sim = three_entries(&o, pos);
        uint8_t x = 0xff;
        wkt_assert_ok(wk_sim_poke(sim, "r.img", 8192 + pos[1] + 30, &x, 1));
        wk_ring_report rep;
        wk_ring *r = NULL;
        wkt_assert_rc(wk_ring_verify("r.img", &o, &rep), WK_ECORRUPT);
        assert_int_equal(rep.corruptions, 1);
        assert_int_equal(rep.corruption[0].pos, pos[1]);
        assert_int_equal(rep.corruption[0].seq, 2);
        o.recovery = (wk_recovery_policy)policy;
        int rc = wk_ring_open("r.img", &o, &r, &rep);
        if (policy == WK_RECOVER_TOLERATE_TORN_TAIL ||
            policy == WK_RECOVER_ABSOLUTE) {
            wkt_assert_rc(rc, WK_ECORRUPT);
            assert_int_equal(rep.corruptions, 1);
            assert_int_equal(rep.corruption[0].offset, 8192 + pos[1]);
        } else {
            wkt_assert_ok(rc);
            uint64_t want = policy == WK_RECOVER_POINT_IN_TIME ? 1 : 2;
            assert_int_equal(count_entries(r), want);
            wkt_assert_ok(wk_ring_append(r, "after", 5, WK_SYNC, NULL));
            wkt_assert_ok(wk_ring_close(r));
            o.recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
            r = ring_open(&o); /* the repair is durable */
            assert_int_equal(count_entries(r), want + 1);
            wkt_assert_ok(wk_ring_close(r));
            wkt_assert_ok(wk_ring_verify("r.img", &o, NULL));
        }
        wk_sim_destroy(sim);
    }
}

/* A damaged last entry with nothing after it is a torn tail: tolerated
 * (and repaired) by default, refused under absolute consistency. */
static void
test_torn_tail(void **state)
{
    (void)state;
    wk_ring_opts o;
    uint64_t pos[3];
    wk_sim *sim = three_entries(&o, pos);
    uint8_t x = 0xff;
    wkt_assert_ok(wk_sim_poke(sim, "r.img", 8192 + pos[2] + 26, &x, 1));
    wk_ring_report rep;
    wk_ring *r = NULL;
    wkt_assert_ok(wk_ring_verify("r.img", &o, &rep));
    assert_true(rep.torn_records > 0);
    o.recovery = WK_RECOVER_ABSOLUTE;
    wkt_assert_rc(wk_ring_open("r.img", &o, &r, &rep), WK_ECORRUPT);
    o.recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
    wkt_assert_ok(wk_ring_open("r.img", &o, &r, &rep));
    assert_int_equal(rep.entries, 2);
    assert_int_equal(rep.torn_offset, 8192 + pos[2]);
    assert_int_equal(count_entries(r), 2);
    wkt_assert_ok(wk_ring_close(r));
    wkt_assert_ok(wk_ring_verify("r.img", &o, &rep));
    assert_int_equal(rep.torn_records, 0); /* repaired */
    wk_sim_destroy(sim);
}

/* Records of an unacknowledged window that survive after a torn one (here
 * C after a damaged B, both written but never synced) are dead: recovery
 * reports and invalidates them durably, so they never resurface behind
 * later, shorter appends (the okaywal defect: bytes left behind are never
 * invalidated). */
static void
test_dead_records_invalidated(void **state)
{
    (void)state;
    wk_ring_opts o;
    wk_sim *sim = sim_new(&o, SMALL_CAP);
    wk_ring *r = ring_open(&o);
    uint64_t pa, pb, pc;
    wkt_assert_ok(wk_ring_append(r, "AAAA", 4, WK_SYNC, &pa));
    wkt_assert_ok(wk_ring_append(r, "BBBBBBBBBBBBBBBBBBBB", 20, 0, &pb));
    wkt_assert_ok(wk_ring_append(r, "CCCCCCCCCCCCCCCCCCCC", 20, 0, &pc));
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_KEEP_ALL));
    wk_ring_close(r);
    uint8_t x = 0;
    wkt_assert_ok(wk_sim_poke(sim, "r.img", 8192 + pb + 30, &x, 1));
    wk_ring_report rep;
    wkt_assert_ok(wk_ring_verify("r.img", &o, &rep));
    assert_int_equal(rep.dead_records, 1);
    assert_int_equal(rep.corruptions, 0);
    wkt_assert_ok(wk_ring_open("r.img", &o, &r, &rep));
    assert_int_equal(rep.entries, 1);
    assert_int_equal(rep.dead_records, 1);
    assert_int_equal(rep.torn_offset, 8192 + pb);
    wkt_assert_ok(wk_ring_append(r, "D", 1, WK_SYNC, NULL)); /* shorter */
    wkt_assert_ok(wk_sim_crash(sim, 2, WK_SIM_DROP_ALL));
    wk_ring_close(r);
    wkt_assert_ok(wk_ring_verify("r.img", &o, &rep));
    assert_int_equal(rep.dead_records, 0);
    assert_int_equal(rep.entries, 2);
    r = ring_open(&o);
    assert_int_equal(count_entries(r), 2);
    char buf[64];
    size_t len;
    wkt_assert_rc(wk_ring_read(r, pc, buf, sizeof buf, &len), WK_ENOTFOUND);
    wkt_assert_ok(wk_ring_close(r));
    wk_sim_destroy(sim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_append_read),
        cmocka_unit_test(test_wrap_every_leftover),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_stats_used_free),
        cmocka_unit_test(test_restart_restores_head_tail),
        cmocka_unit_test(test_head_not_past_durable_tail),
        cmocka_unit_test(test_reserve_order_cancel),
        cmocka_unit_test(test_concurrent_appends),
        cmocka_unit_test(test_corruption_policies),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_dead_records_invalidated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
