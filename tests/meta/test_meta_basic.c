/* wk_meta basics on the real disk and the sim: the API round trip,
 * argument and size errors, read-only, -EBUSY, corrupt and foreign
 * snapshots, compaction correctness, concurrency with group commit. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/byteorder.h"
#include "common/crc32c.h"
#include "common/alloc.h"
#include "meta/meta_int.h"
#include "mt_work.h"
#include "wkt.h"

typedef struct bt_dump {
    uint64_t n;
    uint64_t sum; /* hash of everything seen, in order */
    uint64_t last;
    int order_ok;
} bt_dump;

static int
bt_dump_fn(void *arg, uint64_t key, uint64_t value, const void *bytes,
           size_t len)
{
    bt_dump *d = arg;
    if (d->n > 0 && key <= d->last)
        d->order_ok = 0;
    d->last = key;
    d->n++;
    uint64_t h = d->sum ^ (key * 0x9E3779B97F4A7C15ULL) ^ (value + 17);
    const uint8_t *p = bytes;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    d->sum = h * 31 + len;
    return 0;
}

static bt_dump
bt_state(wk_meta *m)
{
    bt_dump d = {0, 0, 0, 1};
    wkt_assert_ok(wk_meta_scan(m, 0, bt_dump_fn, &d));
    assert_true(d.order_ok);
    return d;
}

static void
bt_put(wk_meta *m, uint64_t key, uint64_t value, const char *s)
{
    wk_meta_batch *b = NULL;
    wkt_assert_ok(wk_meta_batch_new(m, &b));
    wkt_assert_ok(wk_meta_batch_put(b, key, value, s, s ? strlen(s) : 0));
    wkt_assert_ok(wk_meta_write(m, b, WK_SYNC));
    wk_meta_batch_free(b);
}

/* Puts, deletes, gets and scans round-trip and survive a reopen. */
static void
test_roundtrip(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("meta_roundtrip");
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(dir, NULL, &m, NULL));
    wk_meta_batch *b = NULL;
    wkt_assert_ok(wk_meta_batch_new(m, &b));
    wkt_assert_ok(wk_meta_batch_put(b, 5, 50, "five", 4));
    wkt_assert_ok(wk_meta_batch_put(b, 1, 10, NULL, 0));
    wkt_assert_ok(wk_meta_batch_put(b, 9, 90, "nine", 4));
    wkt_assert_ok(wk_meta_batch_del(b, 1));
    wkt_assert_ok(wk_meta_batch_put(b, UINT64_MAX, 1, "max", 3));
    assert_int_equal(wk_meta_batch_count(b), 5);
    wkt_assert_ok(wk_meta_write(m, b, WK_SYNC));
    wk_meta_batch_clear(b);
    wkt_assert_ok(wk_meta_write(m, b, WK_SYNC)); /* empty: no-op */
    wk_meta_batch_free(b);
    uint64_t v = 0;
    char buf[8];
    size_t len = 0;
    wkt_assert_ok(wk_meta_get(m, 5, &v, buf, sizeof buf, &len));
    assert_int_equal(v, 50);
    assert_int_equal(len, 4);
    assert_memory_equal(buf, "five", 4);
    wkt_assert_rc(wk_meta_get(m, 1, &v, NULL, 0, NULL), WK_ENOTFOUND);
    wkt_assert_rc(wk_meta_get(m, 2, NULL, NULL, 0, NULL), WK_ENOTFOUND);
    /* Truncated copy: len tells the full size. */
    wkt_assert_ok(wk_meta_get(m, 9, NULL, buf, 2, &len));
    assert_int_equal(len, 4);
    assert_memory_equal(buf, "ni", 2);
    bt_dump d = bt_state(m);
    assert_int_equal(d.n, 3);
    wk_meta_stats st;
    wk_meta_stats_get(m, &st);
    assert_int_equal(st.items, 3);
    assert_int_equal(st.bytes, 11);
    assert_int_equal(st.batches, 1);
    wkt_assert_ok(wk_meta_close(m));
    wk_meta_report rep;
    wkt_assert_ok(wk_meta_open(dir, NULL, &m, &rep));
    assert_int_equal(rep.batches, 1);
    assert_int_equal(rep.items, 3);
    bt_dump d2 = bt_state(m);
    assert_int_equal(d2.sum, d.sum);
    wkt_assert_ok(wk_meta_get(m, UINT64_MAX, &v, NULL, 0, &len));
    assert_int_equal(v, 1);
    wkt_assert_ok(wk_meta_close(m));
    wkt_assert_ok(wk_meta_verify(dir, NULL, &rep));
    wkt_tmpdir_remove(dir);
}

/* Bad arguments, oversize bytes and batches, and bad options get clear
 * codes, and a NULL close is a no-op. */
static void
test_errors(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("meta_errors");
    wk_meta *m = NULL;
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    wkt_assert_rc(wk_meta_open(NULL, &o, &m, NULL), -EINVAL);
    wkt_assert_rc(wk_meta_open(dir, &o, NULL, NULL), -EINVAL);
    o.size = 8;
    wkt_assert_rc(wk_meta_open(dir, &o, &m, NULL), -EINVAL);
    wk_meta_opts_init(&o);
    o.max_bytes = WK_META_MAX_BYTES_LIMIT + 1;
    wkt_assert_rc(wk_meta_open(dir, &o, &m, NULL), -EINVAL);
    wk_meta_opts_init(&o);
    o.compress_level = 99;
    wkt_assert_rc(wk_meta_open(dir, &o, &m, NULL), -EINVAL);
    assert_null(m);
    wk_meta_opts_init(&o);
    o.create_if_missing = 0;
    char *missing = malloc(strlen(dir) + 16);
    sprintf(missing, "%s/nope", dir);
    wkt_assert_rc(wk_meta_open(missing, &o, &m, NULL), -ENOENT);
    free(missing);
    wk_meta_opts_init(&o);
    o.max_bytes = 16;
    o.max_batch_bytes = 1024;
    wkt_assert_ok(wk_meta_open(dir, &o, &m, NULL));
    wk_meta_batch *b = NULL;
    wkt_assert_rc(wk_meta_batch_new(NULL, &b), -EINVAL);
    wkt_assert_ok(wk_meta_batch_new(m, &b));
    char big[32] = {0};
    wkt_assert_rc(wk_meta_batch_put(b, 1, 1, big, 17), -E2BIG);
    wkt_assert_rc(wk_meta_batch_put(b, 1, 1, NULL, 3), -EINVAL);
    wkt_assert_ok(wk_meta_batch_put(b, 1, 1, big, 16));
    int rc = 0;
    int n = 0;
    while ((rc = wk_meta_batch_put(b, (uint64_t)n, 1, big, 16)) == 0)
        n++;
    wkt_assert_rc(rc, -E2BIG);
    assert_true(n > 10);
    wkt_assert_rc(wk_meta_write(m, b, 1 << 7), -EINVAL);
    wkt_assert_rc(wk_meta_write(NULL, b, 0), -EINVAL);
    wkt_assert_rc(wk_meta_get(m, 1, NULL, NULL, 4, NULL), -EINVAL);
    wkt_assert_rc(wk_meta_scan(m, 0, NULL, NULL), -EINVAL);
    wkt_assert_ok(wk_meta_write(m, b, WK_SYNC));
    wk_meta_batch_free(b);
    wk_meta_batch_free(NULL);
    assert_string_equal(wk_meta_errmsg(m), "");
    wkt_assert_ok(wk_meta_close(m));
    wkt_assert_ok(wk_meta_close(NULL));
    wkt_tmpdir_remove(dir);
}

/* A second opener gets -EBUSY; a read-only opener reads but cannot
 * write or compact. */
static void
test_busy_readonly(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("meta_busy");
    wk_meta *m = NULL, *m2 = NULL;
    wkt_assert_ok(wk_meta_open(dir, NULL, &m, NULL));
    bt_put(m, 3, 33, "x");
    wkt_assert_rc(wk_meta_open(dir, NULL, &m2, NULL), -EBUSY);
    assert_null(m2);
    assert_non_null(strstr(wk_meta_errmsg(m), ""));
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.read_only = 1;
    wkt_assert_ok(wk_meta_open(dir, &o, &m2, NULL)); /* no lock needed */
    uint64_t v = 0;
    wkt_assert_ok(wk_meta_get(m2, 3, &v, NULL, 0, NULL));
    assert_int_equal(v, 33);
    wk_meta_batch *b = NULL;
    wkt_assert_ok(wk_meta_batch_new(m2, &b));
    wkt_assert_ok(wk_meta_batch_put(b, 4, 4, NULL, 0));
    wkt_assert_rc(wk_meta_write(m2, b, WK_SYNC), -EROFS);
    wkt_assert_rc(wk_meta_write(m, b, WK_SYNC), -EINVAL); /* other handle */
    wk_meta_batch_free(b);
    wkt_assert_rc(wk_meta_compact(m2), -EROFS);
    wkt_assert_ok(wk_meta_close(m2));
    wkt_assert_ok(wk_meta_close(m));
    wkt_assert_ok(wk_meta_open(dir, NULL, &m2, NULL)); /* lock released */
    wkt_assert_ok(wk_meta_close(m2));
    wkt_tmpdir_remove(dir);
}

static char bt_snap_path[128];

static int
bt_find_snap(void *arg, const char *name)
{
    (void)arg;
    if (strncmp(name, "snap-", 5) == 0 && strstr(name, ".tmp") == NULL)
        snprintf(bt_snap_path, sizeof bt_snap_path, MT_DIR "/%s", name);
    return 0;
}

static wk_sim *
bt_sim_store(void)
{
    wk_sim *sim = mt_sim(7);
    wk_meta_opts o;
    mt_opts(&o, sim);
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(MT_DIR, &o, &m, NULL));
    for (int i = 1; i <= 6; i++)
        wkt_assert_ok(mt_batch(m, i, WK_SYNC));
    wkt_assert_ok(wk_meta_compact(m));
    wkt_assert_ok(wk_meta_close(m));
    bt_snap_path[0] = '\0';
    wk_vfs *vfs = wk_sim_vfs(sim);
    vfs->list(vfs, MT_DIR, bt_find_snap, NULL);
    assert_true(bt_snap_path[0] != '\0');
    return sim;
}

/* A flipped byte anywhere in the snapshot fails open with WK_ECORRUPT and
 * a message naming the snapshot; verify says the same. */
static void
test_corrupt_snapshot(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim_store();
    size_t size = 0;
    uint8_t img[4096];
    wkt_assert_ok(wk_sim_peek(sim, bt_snap_path, 0, img, sizeof img, &size));
    for (size_t off = 0; off < size; off += (off < 64 ? 7 : 13)) {
        uint8_t c = img[off] ^ 0x20;
        wkt_assert_ok(wk_sim_poke(sim, bt_snap_path, off, &c, 1));
        wk_meta_opts o;
        mt_opts(&o, sim);
        wk_meta *m = NULL;
        wk_meta_report rep;
        int rc = wk_meta_open(MT_DIR, &o, &m, &rep);
        if (rc != WK_ECORRUPT)
            fail_msg("flip at %zu: open gave %s", off, wk_errname(rc));
        assert_non_null(strstr(rep.errmsg, "snapshot"));
        assert_non_null(strstr(wk_strerror(rc), "corrupt"));
        wkt_assert_rc(wk_meta_verify(MT_DIR, wk_sim_vfs(sim), &rep),
                      WK_ECORRUPT);
        wkt_assert_ok(wk_sim_poke(sim, bt_snap_path, off, &img[off], 1));
    }
    mt_oracle orc = {6, 6, 0};
    mt_check(wk_sim_vfs(sim), &orc, "restored");
    wk_sim_destroy(sim);
}

/* A snapshot with a valid header of another format version fails open
 * with WK_EFORMAT (and a batch of an unknown version likewise). */
static void
test_wrong_version(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim_store();
    uint8_t h[64];
    size_t n = 0;
    wkt_assert_ok(wk_sim_peek(sim, bt_snap_path, 0, h, sizeof h, &n));
    wk__put32(h + 8, 2);
    wk__put32(h + 56, wk__crc32c(0, h, 56));
    wkt_assert_ok(wk_sim_poke(sim, bt_snap_path, 0, h, sizeof h));
    wk_meta_opts o;
    mt_opts(&o, sim);
    wk_meta *m = NULL;
    wk_meta_report rep;
    wkt_assert_rc(wk_meta_open(MT_DIR, &o, &m, &rep), WK_EFORMAT);
    assert_non_null(strstr(rep.errmsg, "version"));
    wk_sim_destroy(sim);
}

/* Compaction leaves the state identical (live and after reopen), moves
 * the snapshot generation on and lets the log shrink. */
static void
test_compaction(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("meta_compact");
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.log_segment_bytes = 64 << 10;
    o.compact_log_bytes = 0;
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(dir, &o, &m, NULL));
    uint64_t seed = 1;
    wk_meta_batch *b = NULL;
    wkt_assert_ok(wk_meta_batch_new(m, &b));
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 40; i++) {
            wk_meta_batch_clear(b);
            for (int k = 0; k < 50; k++) {
                uint64_t key = wkt_rand(&seed) % 3000;
                if (wkt_rand(&seed) % 5 == 0) {
                    wkt_assert_ok(wk_meta_batch_del(b, key));
                } else {
                    char s[40];
                    size_t len = (size_t)(wkt_rand(&seed) % 40);
                    wkt_fill(s, len, key);
                    wkt_assert_ok(wk_meta_batch_put(b, key, key * 3, s, len));
                }
            }
            wkt_assert_ok(wk_meta_write(m, b, i % 8 == 0 ? WK_SYNC : 0));
        }
        bt_dump before = bt_state(m);
        wkt_assert_ok(wk_meta_compact(m));
        bt_dump after = bt_state(m);
        assert_int_equal(before.sum, after.sum);
        wk_meta_stats st;
        wk_meta_stats_get(m, &st);
        assert_int_equal(st.snap_gen, (uint64_t)round + 1);
        assert_int_equal(st.compactions, 1); /* since open */
        assert_int_equal(st.snap_items, st.items);
        wkt_assert_ok(wk_meta_close(m));
        wk_meta_report rep;
        wkt_assert_ok(wk_meta_open(dir, &o, &m, &rep));
        assert_int_equal(rep.snap_gen, (uint64_t)round + 1);
        assert_int_equal(rep.batches, 0);
        bt_dump reopened = bt_state(m);
        assert_int_equal(reopened.sum, before.sum);
        wk_meta_batch_free(b);
        wkt_assert_ok(wk_meta_batch_new(m, &b));
    }
    /* Compacting with nothing new is harmless. */
    wkt_assert_ok(wk_meta_compact(m));
    wk_meta_batch_free(b);
    wkt_assert_ok(wk_meta_close(m));
    wkt_assert_ok(wk_meta_verify(dir, NULL, NULL));
    wkt_tmpdir_remove(dir);
}

typedef struct bt_thr {
    wk_meta *m;
    int id;
    int batches;
    int rc;
} bt_thr;

static void *
bt_writer(void *arg)
{
    bt_thr *t = arg;
    wk_meta_batch *b = NULL;
    t->rc = wk_meta_batch_new(t->m, &b);
    for (int i = 0; t->rc == 0 && i < t->batches; i++) {
        wk_meta_batch_clear(b);
        for (int k = 0; k < 10 && t->rc == 0; k++) {
            uint64_t key = ((uint64_t)t->id << 32) | (uint64_t)(i * 10 + k);
            t->rc = wk_meta_batch_put(b, key, key, &key, sizeof key);
        }
        if (t->rc == 0)
            t->rc = wk_meta_write(t->m, b, WK_SYNC);
    }
    wk_meta_batch_free(b);
    return NULL;
}

/* Several threads writing durable batches share fdatasyncs (group commit:
 * syncs < batches) and every item lands; background compaction runs
 * meanwhile without disturbing them. */
static void
test_concurrency(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("meta_conc");
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.log_segment_bytes = 64 << 10;
    o.compact_log_bytes = 16 << 10;
    wk_meta *m = NULL;
    wkt_assert_ok(wk_meta_open(dir, &o, &m, NULL));
    enum { NT = 6 };
    int per = wkt_quick() ? 40 : 150;
    pthread_t th[NT];
    bt_thr t[NT];
    for (int i = 0; i < NT; i++) {
        t[i] = (bt_thr){m, i + 1, per, 0};
        pthread_create(&th[i], NULL, bt_writer, &t[i]);
    }
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        wkt_assert_ok(t[i].rc);
    }
    wk_meta_stats st;
    wk_meta_stats_get(m, &st);
    assert_int_equal(st.items, (uint64_t)NT * (uint64_t)per * 10);
    assert_int_equal(st.batches, (uint64_t)NT * (uint64_t)per);
    printf("meta concurrency: %llu batches, %llu log syncs, %llu "
           "compactions\n",
           (unsigned long long)st.batches, (unsigned long long)st.log_syncs,
           (unsigned long long)st.compactions);
    assert_true(st.log_syncs < st.batches);
    /* The log crossed compact_log_bytes several times, so the background
     * thread has compactions to run; under a sanitizer it may still be at
     * the first one when the writers finish: wait for it (bounded). */
    for (int i = 0; i < 2000 && st.compactions == 0; i++) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        wk_meta_stats_get(m, &st);
    }
    assert_true(st.compactions > 0);
    bt_dump d = bt_state(m);
    wkt_assert_ok(wk_meta_close(m));
    wkt_assert_ok(wk_meta_open(dir, &o, &m, NULL));
    bt_dump d2 = bt_state(m);
    assert_int_equal(d.sum, d2.sum);
    assert_int_equal(d2.n, (uint64_t)NT * (uint64_t)per * 10);
    wkt_assert_ok(wk_meta_close(m));
    wkt_tmpdir_remove(dir);
}

/* The in-memory map agrees with a plain array model through random puts,
 * deletes and tombstones across many incremental resizes (growth from 16
 * slots past the pre-zeroed threshold), in lookups, counts and key order. */
static void
test_map_model(void **state)
{
    (void)state;
    enum { NK = 60000 };
    static uint8_t present[NK]; /* 0 absent, 1 live, 2 dead */
    static uint64_t val[NK];
    memset(present, 0, sizeof present);
    wk__map m;
    wk__map_init(&m);
    uint64_t seed = 9, live = 0, used = 0;
    int ops = wkt_quick() ? 150000 : 600000;
    for (int i = 0; i < ops; i++) {
        uint64_t r = wkt_rand(&seed);
        /* Mostly inserts early (to grow), a mix later. */
        uint64_t k = (r >> 8) % (i < ops / 3 ? (uint64_t)NK : (uint64_t)NK / 2);
        int op = (int)(r % 10);
        uint8_t b = (uint8_t)k;
        if (op < 6 || i < ops / 3) {
            wkt_assert_ok(wk__map_put(&m, k, r, &b, 1));
            live += present[k] != 1;
            used += present[k] == 0;
            present[k] = 1;
            val[k] = r;
        } else if (op < 9) {
            wk__map_del(&m, k);
            live -= present[k] == 1;
            used -= present[k] != 0;
            present[k] = 0;
        } else {
            wkt_assert_ok(wk__map_put_dead(&m, k));
            live -= present[k] == 1;
            used += present[k] == 0;
            present[k] = 2;
        }
        if (i % 50000 == 0 || i == ops - 1) {
            assert_int_equal(m.live, live);
            assert_int_equal(m.used, used);
            for (uint64_t q = 0; q < NK; q++) {
                const wk__mslot *sl = wk__map_find(&m, q);
                if (present[q] == 0) {
                    assert_null(sl);
                    continue;
                }
                assert_non_null(sl);
                assert_int_equal(sl->state,
                                 present[q] == 1 ? MAP_LIVE : MAP_DEAD);
                if (present[q] == 1) {
                    assert_int_equal(sl->value, val[q]);
                    assert_int_equal(sl->bytes[0], (uint8_t)q);
                }
            }
            uint64_t *keys = NULL, n = 0;
            wkt_assert_ok(wk__map_sorted_keys(&m, 100, &keys, &n));
            uint64_t want = 0;
            for (uint64_t q = 100; q < NK; q++)
                want += present[q] != 0;
            assert_int_equal(n, want);
            for (uint64_t q = 1; q < n; q++)
                assert_true(keys[q - 1] < keys[q]);
            wk__free(keys);
        }
    }
    assert_true(m.cap >= 65536);
    wk__map_free(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_model),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_busy_readonly),
        cmocka_unit_test(test_corrupt_snapshot),
        cmocka_unit_test(test_wrong_version),
        cmocka_unit_test(test_compaction),
        cmocka_unit_test(test_concurrency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
