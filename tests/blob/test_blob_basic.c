/* wk_blob unit tests: API and errors, objects, views, deletes and chunk
 * removal, key/value records, streams, snapshots, concurrency. Most run on
 * the simulated disk; -EBUSY, zero-copy mmap and group commit on the real
 * one. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bt_util.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "wkt.h"

static wk_blob *
open_sim(wk_sim *sim, wk_blob_opts *o)
{
    wk_blob *b = NULL;
    bt_opts(o, sim);
    wkt_assert_ok(wk_blob_open(BT_DIR, o, &b, NULL));
    return b;
}

static int
stat_exists(wk_sim *sim, const char *path)
{
    wk_vfs *v = wk_sim_vfs(sim);
    wk_vfs_stat st;
    return v->stat(v, path, &st) == 0;
}

/* Bad arguments and options are rejected with -EINVAL / -E2BIG, lookups of
 * missing things with WK_ENOTFOUND, and nothing is written on failure. */
static void
test_args_and_errors(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = NULL;
    bt_opts(&o, sim);
    wkt_assert_rc(wk_blob_open(NULL, &o, &b, NULL), -EINVAL);
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, NULL, NULL), -EINVAL);
    o.chunk_bytes = 100;
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, NULL), -EINVAL);
    bt_opts(&o, sim);
    o.max_object_bytes = o.chunk_bytes;
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, NULL), -EINVAL);
    bt_opts(&o, sim);
    o.size = 3;
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, NULL), -EINVAL);
    bt_opts(&o, sim);
    o.create_if_missing = 0;
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, NULL), -ENOENT);
    assert_null(b);

    b = open_sim(sim, &o);
    uint64_t id = 77;
    uint8_t big[16384];
    memset(big, 1, sizeof big);
    wkt_assert_rc(wk_blob_put(b, NULL, 5, 0, 0, &id), -EINVAL);
    wkt_assert_rc(wk_blob_put(b, big, 1, 0, 0x100, &id), -EINVAL);
    wkt_assert_rc(wk_blob_put(b, big, 16384 - 4096 + 1, 0, 0, &id), -E2BIG);
    assert_true(strstr(wk_blob_errmsg(b), "max_object_bytes") != NULL);
    assert_int_equal(id, 77); /* *out untouched on failure */
    wk_blob_view v;
    wkt_assert_rc(wk_blob_get(b, 12345, &v), WK_ENOTFOUND);
    wkt_assert_rc(wk_blob_delete(b, 12345, WK_SYNC), WK_ENOTFOUND);
    wk_blob_info info;
    wkt_assert_rc(wk_blob_stat(b, 12345, &info), WK_ENOTFOUND);
    uint8_t buf[8];
    wkt_assert_rc(wk_blob_read(b, 12345, 0, buf, 1), WK_ENOTFOUND);
    size_t len = 0, got = 0;
    wkt_assert_rc(wk_blob_kv_get(b, "x", 1, buf, sizeof buf, &len),
                  WK_ENOTFOUND);
    wkt_assert_rc(wk_blob_kv_del(b, "x", 1, 0), WK_ENOTFOUND);
    wkt_assert_rc(wk_blob_kv_set(b, "", 0, "v", 1, 0), -EINVAL);
    char key[WK_BLOB_MAX_KEY + 1];
    memset(key, 'k', sizeof key);
    wkt_assert_rc(wk_blob_kv_set(b, key, sizeof key, "v", 1, 0), -E2BIG);
    wkt_assert_rc(wk_blob_stream_read(b, 9, 0, buf, 1, &got), WK_ENOTFOUND);
    uint64_t size = 0;
    wkt_assert_rc(wk_blob_stream_size(b, 9, &size), WK_ENOTFOUND);
    wkt_assert_rc(wk_blob_stream_append(b, 9, buf, 0, 0, NULL), -EINVAL);
    wkt_assert_ok(wk_blob_put(b, "abc", 3, 0, WK_SYNC, &id));
    wkt_assert_rc(wk_blob_read(b, id, 2, buf, 2), -EINVAL);
    wkt_assert_rc(wk_blob_read(b, id, UINT64_MAX, buf, 2), -EINVAL);
    wkt_assert_ok(wk_blob_close(b));
    wkt_assert_ok(wk_blob_close(NULL));
    wk_sim_destroy(sim);
}

typedef struct list_acc {
    uint64_t ids[64];
    int n;
} list_acc;

static int
list_fn(void *arg, const wk_blob_info *info)
{
    list_acc *a = arg;
    a->ids[a->n++] = info->id;
    return 0;
}

/* Objects of every size (0 included) round-trip through put/get/read/stat/
 * list, across chunk rotations and a reopen. */
static void
test_objects_roundtrip(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = open_sim(sim, &o);
    uint64_t ids[BT_NOPS];
    uint8_t buf[3000];
    for (int i = 0; i < BT_NOPS; i++) {
        bt_payload(i, buf);
        wkt_assert_ok(wk_blob_put(b, buf, bt_len(i), (uint64_t)(i % 3) + 1,
                                  i % 2 ? WK_SYNC : 0, &ids[i]));
        if (i > 0)
            assert_true(ids[i] > ids[i - 1]);
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < BT_NOPS; i++) {
            wk_blob_view v;
            wkt_assert_ok(wk_blob_get(b, ids[i], &v));
            bt_payload(i, buf);
            assert_int_equal(v.len, bt_len(i));
            assert_int_equal(v.tag, (uint64_t)(i % 3) + 1);
            assert_memory_equal(v.data, buf, v.len);
            wk_blob_view_release(b, &v);
            wk_blob_view_release(b, &v); /* second release: no-op */
            wk_blob_info info;
            wkt_assert_ok(wk_blob_stat(b, ids[i], &info));
            assert_int_equal(info.len, bt_len(i));
            assert_int_equal(info.crc,
                             bt_len(i) ? wk__crc32c(0, buf, bt_len(i)) : 0);
            if (bt_len(i) > 10) {
                uint8_t part[10];
                wkt_assert_ok(wk_blob_read(b, ids[i], 3, part, 7));
                assert_memory_equal(part, buf + 3, 7);
                wkt_assert_ok(wk_blob_read(b, ids[i], 3, part, 7));
                assert_memory_equal(part, buf + 3, 7);
            }
        }
        list_acc all = {0}, two = {0};
        wkt_assert_ok(wk_blob_list(b, 0, list_fn, &all));
        wkt_assert_ok(wk_blob_list(b, 2, list_fn, &two));
        assert_int_equal(all.n, BT_NOPS);
        assert_int_equal(two.n, BT_NOPS / 3);
        for (int i = 0; i < BT_NOPS; i++)
            assert_int_equal(all.ids[i], ids[i]);
        wk_blob_stats st;
        wk_blob_stats_get(b, &st);
        assert_int_equal(st.objects, BT_NOPS);
        assert_true(st.chunks >= 3);
        wkt_assert_ok(wk_blob_close(b));
        wk_blob_report rep;
        wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, &rep));
        assert_int_equal(rep.objects, BT_NOPS);
    }
    wkt_assert_ok(wk_blob_close(b));
    wk_sim_destroy(sim);
}

/* A read-only open sees everything, writes nothing, refuses mutations with
 * -EROFS, and needs no lock. */
static void
test_read_only(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = open_sim(sim, &o);
    uint64_t id;
    wkt_assert_ok(wk_blob_put(b, "hello", 5, 9, WK_SYNC, &id));
    wkt_assert_ok(wk_blob_kv_set(b, "k", 1, "v", 1, WK_SYNC));
    wk_blob_opts ro = o;
    ro.read_only = 1;
    wk_blob *r = NULL;
    wkt_assert_ok(wk_blob_open(BT_DIR, &ro, &r, NULL)); /* no lock needed */
    uint64_t muts = wk_sim_mutation_count(sim);
    wk_blob_view v;
    wkt_assert_ok(wk_blob_get(r, id, &v));
    assert_memory_equal(v.data, "hello", 5);
    wk_blob_view_release(r, &v);
    wkt_assert_rc(wk_blob_put(r, "x", 1, 0, 0, NULL), -EROFS);
    wkt_assert_rc(wk_blob_delete(r, id, 0), -EROFS);
    wkt_assert_rc(wk_blob_kv_set(r, "k", 1, "w", 1, 0), -EROFS);
    wkt_assert_rc(wk_blob_kv_del(r, "k", 1, 0), -EROFS);
    wkt_assert_rc(wk_blob_stream_append(r, 1, "x", 1, 0, NULL), -EROFS);
    wkt_assert_rc(wk_blob_compact(r), -EROFS);
    wkt_assert_ok(wk_blob_close(r));
    assert_int_equal(wk_sim_mutation_count(sim), muts);
    wkt_assert_ok(wk_blob_close(b));
    ro.create_if_missing = 1;
    wkt_assert_rc(wk_blob_open("nothere", &ro, &r, NULL), -ENOENT);
    wk_sim_destroy(sim);
}

/* A second read-write opener of the same directory gets -EBUSY (real
 * disk, flock). */
static void
test_ebusy(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("blob-busy");
    wk_blob *a = NULL, *b = NULL;
    wkt_assert_ok(wk_blob_open(dir, NULL, &a, NULL));
    wkt_assert_rc(wk_blob_open(dir, NULL, &b, NULL), -EBUSY);
    assert_null(b);
    wkt_assert_ok(wk_blob_close(a));
    wkt_assert_ok(wk_blob_open(dir, NULL, &b, NULL));
    wkt_assert_ok(wk_blob_close(b));
    wkt_tmpdir_remove(dir);
}

/* Prior-art defect (MemmapFS: no checksums): a flipped byte in an object's
 * chunk bytes makes get/read fail with WK_ECORRUPT and a message naming the
 * object and chunk, never return false bytes; verify reports it. */
static void
test_regress_corrupt_object(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = open_sim(sim, &o);
    uint64_t id, id2;
    uint8_t buf[1000];
    wkt_fill(buf, sizeof buf, 3);
    wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 1, WK_SYNC, &id));
    wkt_assert_ok(wk_blob_put(b, buf, 10, 1, WK_SYNC, &id2));
    wk_blob_info info;
    wkt_assert_ok(wk_blob_stat(b, id, &info));
    wkt_assert_ok(wk_blob_close(b));
    char path[64];
    snprintf(path, sizeof path, BT_DIR "/chunk-%08u.blob", info.chunk);
    uint8_t x = buf[500] ^ 0x40;
    wkt_assert_ok(wk_sim_poke(sim, path, info.offset + 500, &x, 1));
    wk_blob_report rep;
    wkt_assert_rc(wk_blob_verify(BT_DIR, wk_sim_vfs(sim), &rep), WK_ECORRUPT);
    assert_int_equal(rep.bad_objects, 1);
    assert_true(strstr(rep.problem, "CRC mismatch") != NULL);
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
    wk_blob_view v;
    memset(&v, 0, sizeof v);
    wkt_assert_rc(wk_blob_get(b, id, &v), WK_ECORRUPT);
    assert_null(v.data);
    assert_true(strstr(wk_blob_errmsg(b), "CRC mismatch") != NULL);
    char want[32];
    snprintf(want, sizeof want, "object %llu", (unsigned long long)id);
    assert_true(strstr(wk_blob_errmsg(b), want) != NULL);
    uint8_t part[4];
    wkt_assert_rc(wk_blob_read(b, id, 0, part, 4), WK_ECORRUPT);
    wkt_assert_ok(wk_blob_get(b, id2, &v)); /* the neighbour is fine */
    wk_blob_view_release(b, &v);
    wkt_assert_ok(wk_blob_close(b));
    wk_sim_destroy(sim);
}

/* Another format version in the identity file or a chunk header: open
 * fails with WK_EFORMAT; garbage in the identity file too. */
static void
test_wrong_version(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = open_sim(sim, &o);
    wkt_assert_ok(wk_blob_put(b, "abc", 3, 1, WK_SYNC, NULL));
    wkt_assert_ok(wk_blob_close(b));
    uint8_t h[36];
    size_t n = 0;
    const char *chunk = BT_DIR "/chunk-00000001.blob";
    wkt_assert_ok(wk_sim_peek(sim, chunk, 0, h, sizeof h, &n));
    uint8_t saved[36];
    memcpy(saved, h, sizeof h);
    wk__put32(h + 8, 2);
    wk__put32(h + 32, wk__crc32c(0, h, 32));
    wkt_assert_ok(wk_sim_poke(sim, chunk, 0, h, sizeof h));
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, NULL), WK_EFORMAT);
    wkt_assert_ok(wk_sim_poke(sim, chunk, 0, saved, sizeof saved));
    h[0] = 'X';
    wkt_assert_ok(wk_sim_poke(sim, chunk, 0, h, 4));
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, NULL), WK_ECORRUPT);
    wkt_assert_ok(wk_sim_poke(sim, chunk, 0, saved, sizeof saved));

    uint8_t id[28];
    wkt_assert_ok(wk_sim_peek(sim, BT_DIR "/BLOB", 0, id, sizeof id, &n));
    wk__put32(id + 8, 7);
    wk__put32(id + 24, wk__crc32c(0, id, 24));
    wkt_assert_ok(wk_sim_poke(sim, BT_DIR "/BLOB", 0, id, sizeof id));
    wk_blob_report rep;
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, &rep), WK_EFORMAT);
    assert_true(strstr(rep.problem, "version 7") != NULL);
    id[0] = 'Z';
    wkt_assert_ok(wk_sim_poke(sim, BT_DIR "/BLOB", 0, id, sizeof id));
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, NULL), WK_EFORMAT);
    /* A directory of someone else's files is never adopted. */
    wk_vfs *v = wk_sim_vfs(sim);
    wk_file *f = NULL;
    wkt_assert_ok(v->mkdir(v, "other"));
    wkt_assert_ok(v->open(v, "other/data", WK_O_CREATE, &f));
    wkt_assert_ok(wk_file_close(f));
    wkt_assert_rc(wk_blob_open("other", &o, &b, &rep), WK_EFORMAT);
    assert_true(strstr(rep.problem, "not a walkit blob store") != NULL);
    wk_sim_destroy(sim);
}

/* Objects in sealed chunks are read zero-copy from one shared mapping
 * (two gets return the same address), objects of the chunk being written
 * from a private copy; views pin their chunk. Real disk. */
static void
test_zero_copy_sealed(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("blob-mmap");
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    o.chunk_bytes = 64 * 1024;
    o.log_segment_bytes = 64 * 1024;
    wk_blob *b = NULL;
    wkt_assert_ok(wk_blob_open(dir, &o, &b, NULL));
    uint8_t buf[20000];
    uint64_t ids[8];
    for (int i = 0; i < 8; i++) {
        wkt_fill(buf, sizeof buf, (uint64_t)i);
        wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 1, WK_SYNC, &ids[i]));
    }
    wk_blob_info first, last;
    wkt_assert_ok(wk_blob_stat(b, ids[0], &first));
    wkt_assert_ok(wk_blob_stat(b, ids[7], &last));
    assert_true(last.chunk > first.chunk);
    wk_blob_view v1, v2, c1, c2;
    wkt_assert_ok(wk_blob_get(b, ids[0], &v1));
    wkt_assert_ok(wk_blob_get(b, ids[0], &v2));
    assert_ptr_equal(v1.data, v2.data); /* the chunk's mapping */
    wkt_assert_ok(wk_blob_get(b, ids[1], &c1));
    assert_ptr_equal((const uint8_t *)c1.data,
                     (const uint8_t *)v1.data + sizeof buf);
    wkt_assert_ok(wk_blob_get(b, ids[7], &c2)); /* current chunk: a copy */
    wkt_fill(buf, sizeof buf, 7);
    assert_memory_equal(c2.data, buf, sizeof buf);
    wkt_fill(buf, sizeof buf, 0);
    assert_memory_equal(v1.data, buf, sizeof buf);
    /* Delete everything in the first chunk: pinned by the views. */
    char path[600];
    snprintf(path, sizeof path, "%s/chunk-%08u.blob", dir, first.chunk);
    for (int i = 0; i < 8; i++) {
        wk_blob_info in;
        wkt_assert_ok(wk_blob_stat(b, ids[i], &in));
        if (in.chunk == first.chunk)
            wkt_assert_ok(wk_blob_delete(b, ids[i], WK_SYNC));
    }
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_memory_equal(v1.data, buf, sizeof buf); /* still mapped */
    wk_blob_view_release(b, &v1);
    wk_blob_view_release(b, &v2);
    assert_int_equal(stat(path, &st), 0);
    wk_blob_view_release(b, &c1); /* last view: the chunk goes */
    assert_int_equal(stat(path, &st), -1);
    wk_blob_view_release(b, &c2);
    wkt_assert_ok(wk_blob_close(b));
    wkt_tmpdir_remove(dir);
}

/* Deleting every object of a chunk removes its file once the deletes are
 * durable (synced delete, or a later sync), never the current chunk; the
 * state survives reopen and a power cut. */
static void
test_delete_reclaims_chunks(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = open_sim(sim, &o);
    uint8_t buf[9000];
    uint64_t ids[12];
    for (int i = 0; i < 12; i++) {
        wkt_fill(buf, 5000, (uint64_t)i);
        wkt_assert_ok(wk_blob_put(b, buf, 5000, 1, WK_SYNC, &ids[i]));
    }
    /* 2 objects per 16 KiB chunk: chunks 1..6. */
    assert_true(stat_exists(sim, BT_DIR "/chunk-00000001.blob"));
    wkt_assert_ok(wk_blob_delete(b, ids[0], 0));
    wkt_assert_ok(wk_blob_delete(b, ids[1], 0));
    assert_true(stat_exists(sim, BT_DIR "/chunk-00000001.blob"));
    wkt_assert_ok(wk_blob_sync(b));
    assert_false(stat_exists(sim, BT_DIR "/chunk-00000001.blob"));
    wkt_assert_ok(wk_blob_delete(b, ids[2], WK_SYNC));
    assert_true(stat_exists(sim, BT_DIR "/chunk-00000002.blob"));
    wkt_assert_ok(wk_blob_delete(b, ids[3], WK_SYNC));
    assert_false(stat_exists(sim, BT_DIR "/chunk-00000002.blob"));
    /* The current chunk stays even when empty. */
    wk_blob_stats st;
    wk_blob_stats_get(b, &st);
    uint32_t cur = st.current_chunk;
    for (int i = 4; i < 12; i++)
        wkt_assert_ok(wk_blob_delete(b, ids[i], WK_SYNC));
    wk_blob_stats_get(b, &st);
    assert_int_equal(st.chunks, 1);
    assert_int_equal(st.current_chunk, cur);
    assert_int_equal(st.objects, 0);
    assert_int_equal(st.chunks_removed, 5);
    wkt_assert_ok(wk_blob_put(b, "new", 3, 1, WK_SYNC, &ids[0]));
    wkt_assert_ok(wk_blob_close(b));
    wkt_assert_ok(wk_sim_crash(sim, 1, WK_SIM_DROP_ALL));

    /* A chunk emptied by a delete that is not durable yet stays, whatever
     * releases its last reference (a view, a rotation); after a power cut
     * the object is back and readable. */
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
    uint64_t lone, other;
    wkt_fill(buf, sizeof buf, 42);
    wkt_assert_ok(wk_blob_put(b, buf, 9000, 1, WK_SYNC, &lone));
    wkt_assert_ok(wk_blob_put(b, buf, 9000, 1, WK_SYNC, &other)); /* rotates */
    wk_blob_info li;
    wkt_assert_ok(wk_blob_stat(b, lone, &li));
    char lpath[64];
    snprintf(lpath, sizeof lpath, BT_DIR "/chunk-%08u.blob", li.chunk);
    wk_blob_view lv;
    wkt_assert_ok(wk_blob_get(b, lone, &lv));
    wkt_assert_ok(wk_blob_delete(b, lone, 0));
    wk_blob_view_release(b, &lv);
    wkt_assert_ok(wk_blob_put(b, buf, 9000, 1, 0, NULL)); /* rotates again */
    assert_true(stat_exists(sim, lpath));
    wk_blob_close(b);
    wkt_assert_ok(wk_sim_crash(sim, 2, WK_SIM_DROP_ALL));
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
    wk_blob_view v;
    if (wk_blob_get(b, lone, &v) == 0) {
        assert_memory_equal(v.data, buf, 9000);
        wk_blob_view_release(b, &v);
    }
    wkt_assert_ok(wk_blob_close(b));
    wk_blob_report rep;
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, &rep));
    assert_int_equal(rep.objects, 3);
    wkt_assert_ok(wk_blob_get(b, ids[0], &v));
    assert_memory_equal(v.data, "new", 3);
    wk_blob_view_release(b, &v);
    wkt_assert_ok(wk_blob_close(b));
    wk_sim_destroy(sim);
}

/* Key/value records: set, overwrite, get with short buffers, empty value,
 * delete, limits, and reopen. */
static void
test_kv(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = open_sim(sim, &o);
    char key[16], val[64];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "key%d", i);
        snprintf(val, sizeof val, "value-%d", i);
        wkt_assert_ok(wk_blob_kv_set(b, key, strlen(key), val, strlen(val),
                                     i % 50 == 0 ? WK_SYNC : 0));
    }
    wkt_assert_ok(wk_blob_kv_set(b, "key7", 4, "seven", 5, 0));
    /* A value too large for this store's 64 KiB log segments: refused,
     * nothing written, the handle stays usable. */
    char *bigv = calloc(1, WK_BLOB_MAX_VALUE);
    wkt_assert_rc(wk_blob_kv_set(b, "big", 3, bigv, WK_BLOB_MAX_VALUE, 0),
                  -E2BIG);
    free(bigv);
    wkt_assert_ok(wk_blob_kv_set(b, "empty", 5, NULL, 0, 0));
    wkt_assert_ok(wk_blob_kv_del(b, "key8", 4, WK_SYNC));
    for (int pass = 0; pass < 2; pass++) {
        size_t len = 0;
        char out[64];
        wkt_assert_ok(wk_blob_kv_get(b, "key7", 4, out, sizeof out, &len));
        assert_int_equal(len, 5);
        assert_memory_equal(out, "seven", 5);
        wkt_assert_ok(wk_blob_kv_get(b, "key123", 6, out, 3, &len));
        assert_int_equal(len, 9);
        assert_memory_equal(out, "val", 3);
        wkt_assert_ok(wk_blob_kv_get(b, "key123", 6, NULL, 0, &len));
        assert_int_equal(len, 9);
        wkt_assert_ok(wk_blob_kv_get(b, "empty", 5, out, sizeof out, &len));
        assert_int_equal(len, 0);
        wkt_assert_rc(wk_blob_kv_get(b, "key8", 4, out, sizeof out, &len),
                      WK_ENOTFOUND);
        wk_blob_stats st;
        wk_blob_stats_get(b, &st);
        assert_int_equal(st.kv, 300);
        wkt_assert_ok(wk_blob_close(b));
        wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
    }
    wkt_assert_ok(wk_blob_close(b));
    wk_sim_destroy(sim);
}

/* Streams: appends of varied sizes get consecutive offsets; reads across
 * extent and chunk boundaries, short reads at the end; reopen. */
static void
test_streams(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = open_sim(sim, &o);
    uint64_t total = 0;
    uint8_t buf[3000];
    for (int i = 0; i < 30; i++) {
        size_t n = 1 + ((size_t)i * 997u) % 2999u;
        for (size_t x = 0; x < n; x++)
            buf[x] = bt_stream_byte(total + x);
        uint64_t off = 99;
        wkt_assert_ok(
            wk_blob_stream_append(b, 5, buf, n, i % 4 ? 0 : WK_SYNC, &off));
        assert_int_equal(off, total);
        total += n;
        wkt_assert_ok(wk_blob_stream_append(b, 6, "x", 1, 0, NULL));
    }
    for (int pass = 0; pass < 2; pass++) {
        uint64_t size = 0;
        wkt_assert_ok(wk_blob_stream_size(b, 5, &size));
        assert_int_equal(size, total);
        uint8_t *all = malloc((size_t)total + 10);
        size_t got = 0;
        wkt_assert_ok(
            wk_blob_stream_read(b, 5, 0, all, (size_t)total + 10, &got));
        assert_int_equal(got, total);
        for (uint64_t x = 0; x < total; x++)
            assert_int_equal(all[x], bt_stream_byte(x));
        wkt_assert_ok(wk_blob_stream_read(b, 5, 1234, all, 5000, &got));
        assert_int_equal(got, 5000);
        for (uint64_t x = 0; x < 5000; x++)
            assert_int_equal(all[x], bt_stream_byte(1234 + x));
        wkt_assert_ok(wk_blob_stream_read(b, 5, total, all, 10, &got));
        assert_int_equal(got, 0);
        wkt_assert_ok(wk_blob_stream_size(b, 6, &size));
        assert_int_equal(size, 30);
        free(all);
        wkt_assert_ok(wk_blob_close(b));
        wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
    }
    wkt_assert_ok(wk_blob_close(b));
    wk_sim_destroy(sim);
}

/* Compaction: a snapshot of the index lets the command log drop old
 * segments; the store reopens to the same state from snapshot + log, and
 * a damaged snapshot is reported as WK_ECORRUPT, not silently ignored. */
static void
test_compact_snapshot(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = open_sim(sim, &o);
    uint8_t buf[200];
    uint64_t keep[16];
    int nkeep = 0;
    for (int i = 0; i < 1500; i++) {
        uint64_t id;
        wkt_fill(buf, sizeof buf, (uint64_t)i);
        wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 1, 0, &id));
        if (i % 150 == 0)
            keep[nkeep++] = id;
        else
            wkt_assert_ok(wk_blob_delete(b, id, 0));
        char key[16];
        snprintf(key, sizeof key, "k%d", i % 20);
        wkt_assert_ok(wk_blob_kv_set(b, key, strlen(key), &i, sizeof i, 0));
    }
    wkt_assert_ok(wk_blob_stream_append(b, 3, "stream", 6, WK_SYNC, NULL));
    wkt_assert_ok(wk_blob_compact(b));
    wk_blob_stats st;
    wk_blob_stats_get(b, &st);
    assert_true(st.snapshots >= 1);
    wkt_assert_ok(wk_blob_put(b, "after", 5, 2, WK_SYNC, &keep[nkeep++]));
    wkt_assert_ok(wk_blob_close(b));
    wk_blob_report rep;
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, &rep));
    assert_true(rep.snapshot_lsn > 0);
    assert_true(rep.records < 100); /* the log was compacted */
    assert_int_equal(rep.objects, (uint64_t)nkeep);
    for (int i = 0; i < nkeep; i++) {
        wk_blob_view v;
        wkt_assert_ok(wk_blob_get(b, keep[i], &v));
        wk_blob_view_release(b, &v);
    }
    int val = 0;
    size_t len;
    wkt_assert_ok(wk_blob_kv_get(b, "k19", 3, &val, sizeof val, &len));
    assert_int_equal(val, 1499);
    size_t got;
    char s[8];
    wkt_assert_ok(wk_blob_stream_read(b, 3, 0, s, sizeof s, &got));
    assert_int_equal(got, 6);
    wkt_assert_ok(wk_blob_close(b));
    uint8_t x = 0xee;
    /* Compacting right after a reopen, with nothing new in the log. */
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, &rep));
    wkt_assert_ok(wk_blob_compact(b));
    wkt_assert_ok(wk_blob_close(b));
    wkt_assert_ok(wk_sim_crash(sim, 3, WK_SIM_DROP_ALL));
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, &rep));
    assert_int_equal(rep.objects, (uint64_t)nkeep);
    wkt_assert_ok(wk_blob_compact(b));
    wkt_assert_ok(wk_blob_put(b, "more", 4, 2, WK_SYNC, &keep[nkeep++]));
    wkt_assert_ok(wk_blob_close(b));
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, &rep));
    assert_int_equal(rep.objects, (uint64_t)nkeep);
    wkt_assert_ok(wk_blob_close(b));
    wkt_assert_ok(wk_sim_poke(sim, BT_DIR "/SNAPSHOT", 70, &x, 1));
    wkt_assert_rc(wk_blob_open(BT_DIR, &o, &b, &rep), WK_ECORRUPT);
    assert_true(strstr(rep.problem, "snapshot") != NULL);
    wk_sim_destroy(sim);
}

/* wk_blob_compact moves the live objects of sparse sealed chunks into the
 * current one (ids unchanged, bytes intact), removes the emptied chunks
 * once the moves are durable (not while a view still uses one), and the
 * result survives reopen and a power cut. */
static void
test_compact_relocates(void **state)
{
    (void)state;
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    wk_blob *b = open_sim(sim, &o);
    uint8_t buf[1500];
    uint64_t ids[48];
    for (int i = 0; i < 48; i++) {
        wkt_fill(buf, sizeof buf, 300 + (uint64_t)i);
        wkt_assert_ok(wk_blob_put(b, buf, sizeof buf, 1, 0, &ids[i]));
    }
    for (int i = 0; i < 48; i++)
        if (i % 8 != 3)
            wkt_assert_ok(wk_blob_delete(b, ids[i], 0));
    wkt_assert_ok(wk_blob_sync(b));
    wk_blob_stats before, after;
    wk_blob_stats_get(b, &before);
    assert_true(before.chunks >= 6);
    wk_blob_view held;
    wkt_assert_ok(wk_blob_get(b, ids[3], &held));
    wkt_assert_ok(wk_blob_compact(b));
    wk_blob_stats_get(b, &after);
    assert_true(after.relocated >= 5);
    assert_int_equal(after.objects, 6);
    assert_true(after.chunks <= 3); /* + the one pinned by the view */
    wkt_fill(buf, sizeof buf, 303);
    assert_memory_equal(held.data, buf, sizeof buf); /* old place, valid */
    wk_blob_view_release(b, &held);
    wkt_assert_ok(wk_blob_compact(b));
    wk_blob_stats_get(b, &after);
    assert_true(after.chunks <= 2);
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 3; i < 48; i += 8) {
            wk_blob_view v;
            wkt_assert_ok(wk_blob_get(b, ids[i], &v));
            wkt_fill(buf, sizeof buf, 300 + (uint64_t)i);
            assert_int_equal(v.len, sizeof buf);
            assert_memory_equal(v.data, buf, sizeof buf);
            wk_blob_view_release(b, &v);
        }
        wkt_assert_ok(wk_blob_close(b));
        if (pass == 1)
            wkt_assert_ok(wk_sim_crash(sim, 5, WK_SIM_DROP_ALL));
        wk_blob_report rep;
        wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, &rep));
        assert_int_equal(rep.objects, 6);
        assert_true(rep.chunks <= 2);
    }
    wkt_assert_ok(wk_blob_close(b));
    wkt_assert_ok(wk_blob_verify(BT_DIR, wk_sim_vfs(sim), NULL));
    wk_sim_destroy(sim);
}

/* ---- concurrency ------------------------------------------------------ */

typedef struct cc_arg {
    wk_blob *b;
    int t;
    int n;
    uint64_t ids[64];
    int rc;
} cc_arg;

static void *
cc_run(void *p)
{
    cc_arg *a = p;
    uint8_t buf[4096];
    for (int i = 0; i < a->n && a->rc == 0; i++) {
        wkt_fill(buf, sizeof buf, (uint64_t)a->t * 1000 + (uint64_t)i);
        a->rc = wk_blob_put(a->b, buf, sizeof buf, (uint64_t)a->t + 1, WK_SYNC,
                            &a->ids[i]);
    }
    return NULL;
}

/* Threads putting durable objects at once share chunk syncs and log syncs
 * (fewer syncs than puts), and every object reads back. Real disk. */
static void
test_concurrent_group_commit(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("blob-cc");
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    o.chunk_bytes = 1 << 20;
    o.log_segment_bytes = 1 << 20;
    wk_blob *b = NULL;
    wkt_assert_ok(wk_blob_open(dir, &o, &b, NULL));
    enum { T = 8 };
    cc_arg a[T];
    pthread_t th[T];
    for (int t = 0; t < T; t++) {
        a[t] = (cc_arg){.b = b, .t = t, .n = wkt_quick() ? 10 : 40};
        pthread_create(&th[t], NULL, cc_run, &a[t]);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        wkt_assert_ok(a[t].rc);
    }
    wk_blob_stats st;
    wk_blob_stats_get(b, &st);
    uint64_t puts = (uint64_t)T * (uint64_t)a[0].n;
    assert_int_equal(st.puts, puts);
    printf("blob_basic: %llu puts, %llu chunk syncs, %llu log syncs\n",
           (unsigned long long)puts, (unsigned long long)st.chunk_syncs,
           (unsigned long long)st.log_syncs);
    assert_true(st.chunk_syncs < puts);
    assert_true(st.log_syncs < puts);
    wkt_assert_ok(wk_blob_close(b));
    wkt_assert_ok(wk_blob_open(dir, &o, &b, NULL));
    uint8_t buf[4096];
    for (int t = 0; t < T; t++)
        for (int i = 0; i < a[t].n; i++) {
            wk_blob_view v;
            wkt_assert_ok(wk_blob_get(b, a[t].ids[i], &v));
            wkt_fill(buf, sizeof buf, (uint64_t)t * 1000 + (uint64_t)i);
            assert_memory_equal(v.data, buf, sizeof buf);
            wk_blob_view_release(b, &v);
        }
    wkt_assert_ok(wk_blob_close(b));
    wkt_assert_ok(wk_blob_verify(dir, NULL, NULL));
    wkt_tmpdir_remove(dir);
}

static int
mx_count(void *arg, const wk_blob_info *info)
{
    (void)arg;
    (void)info;
    return 0;
}

typedef struct mx_arg {
    wk_blob *b;
    int t;
    int iters;
    int rc;
} mx_arg;

static void *
mx_run(void *p)
{
    mx_arg *a = p;
    uint8_t buf[6000];
    uint64_t mine[8] = {0};
    uint64_t rs = (uint64_t)a->t + 1;
    for (int i = 0; i < a->iters && a->rc == 0; i++) {
        int op = (int)(wkt_rand(&rs) % 8);
        size_t len = (size_t)(wkt_rand(&rs) % sizeof buf);
        wkt_fill(buf, len, (uint64_t)a->t * 7919 + (uint64_t)i);
        int slot = i % 8;
        int rc = 0;
        switch (op) {
        case 0:
        case 1:
            if (mine[slot] != 0)
                rc = wk_blob_delete(a->b, mine[slot], op ? WK_SYNC : 0);
            mine[slot] = 0;
            if (rc == 0)
                rc = wk_blob_put(a->b, buf, len, (uint64_t)a->t + 1,
                                 i % 3 ? WK_SYNC : 0, &mine[slot]);
            break;
        case 2:
        case 3: {
            if (mine[slot] == 0)
                break;
            wk_blob_view v;
            rc = wk_blob_get(a->b, mine[slot], &v);
            if (rc == 0)
                wk_blob_view_release(a->b, &v);
            break;
        }
        case 4: {
            char key[16];
            snprintf(key, sizeof key, "t%d-%d", a->t, i % 5);
            rc = wk_blob_kv_set(a->b, key, strlen(key), buf, len % 300,
                                i % 2 ? WK_SYNC : 0);
            break;
        }
        case 5:
            rc = wk_blob_stream_append(a->b, (uint64_t)a->t, buf, len + 1, 0,
                                       NULL);
            break;
        case 6: {
            size_t got;
            rc = wk_blob_stream_read(a->b, (uint64_t)a->t, 0, buf, 100, &got);
            if (rc == WK_ENOTFOUND)
                rc = 0;
            break;
        }
        default:
            rc = wk_blob_list(a->b, (uint64_t)a->t + 1, mx_count, NULL);
            break;
        }
        if (rc == 0 && a->t == 0 && i % 40 == 39)
            rc = wk_blob_compact(a->b);
        a->rc = rc;
    }
    return NULL;
}

/* Threads mixing every operation (puts, deletes emptying chunks, views,
 * key/value sets, stream appends and reads, lists, compactions) on small
 * chunks: no error, no race (TSan build), a consistent store after
 * reopen. */
static void
test_concurrent_mixed(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("blob-mixed");
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    o.chunk_bytes = 32 * 1024;
    o.log_segment_bytes = 128 * 1024;
    o.checkpoint_bytes = 64 * 1024;
    wk_blob *b = NULL;
    wkt_assert_ok(wk_blob_open(dir, &o, &b, NULL));
    enum { T = 4 };
    mx_arg a[T];
    pthread_t th[T];
    for (int t = 0; t < T; t++) {
        a[t] = (mx_arg){.b = b, .t = t, .iters = wkt_quick() ? 100 : 300};
        pthread_create(&th[t], NULL, mx_run, &a[t]);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        if (a[t].rc != 0)
            fail_msg("thread %d: %s (%s)", t, wk_errname(a[t].rc),
                     wk_blob_errmsg(b));
    }
    wk_blob_stats st;
    wk_blob_stats_get(b, &st);
    printf("blob_basic: mixed: %llu objects, %u chunks, %llu removed, %llu "
           "snapshots\n",
           (unsigned long long)st.objects, st.chunks,
           (unsigned long long)st.chunks_removed,
           (unsigned long long)st.snapshots);
    wkt_assert_ok(wk_blob_close(b));
    wk_blob_report rep;
    wkt_assert_ok(wk_blob_verify(dir, NULL, &rep));
    assert_int_equal(rep.objects, st.objects);
    assert_int_equal(rep.kv, st.kv);
    wkt_tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args_and_errors),
        cmocka_unit_test(test_objects_roundtrip),
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_ebusy),
        cmocka_unit_test(test_regress_corrupt_object),
        cmocka_unit_test(test_wrong_version),
        cmocka_unit_test(test_zero_copy_sealed),
        cmocka_unit_test(test_delete_reclaims_chunks),
        cmocka_unit_test(test_kv),
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_compact_snapshot),
        cmocka_unit_test(test_compact_relocates),
        cmocka_unit_test(test_concurrent_group_commit),
        cmocka_unit_test(test_concurrent_mixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
