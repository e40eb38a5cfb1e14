/* Step 3 of `walkit demo`: the four other primitives, one small round trip
 * each, in DIR/tour (removed afterwards by the caller). Each round trip
 * writes durably, closes, reopens (recovery) and checks every byte:
 *   journal  a transaction of 3 writes read back through the overlay, then
 *            checkpointed into the data file and read from the file;
 *   ring     1,000 entries appended, 600 freed from the head, reopened:
 *            400 left, in order;
 *   meta     10 batches of 100 items, a compaction, reopened: 1,000 items;
 *   blob     8 objects of 64 KiB put, one deleted, reopened: 7 read back
 *            (zero-copy views) and wk_blob_verify clean.
 * Uses only the public API. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_util.h"
#include "demo_tour.h"
#include "walkit.h"

#define TOUR_RING_N 1000
#define TOUR_RING_FREE 600
#define TOUR_META_BATCHES 10
#define TOUR_META_ITEMS 100
#define TOUR_BLOB_N 8
#define TOUR_BLOB_LEN (64u << 10)

/* Deterministic bytes for item i. */
static void
tour_fill(uint8_t *p, size_t n, uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
    for (size_t k = 0; k < n; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[k] = (uint8_t)x;
    }
}

static void
tour_ok_line(const char *name, const char *what)
{
    printf("  %-8s %-62s ok\n", name, what);
    fflush(stdout);
}

static int
tour_fail(const char *what, int rc, const char *detail)
{
    wk_cli_error(what, rc, detail);
    return -1;
}

static int
tour_journal(const char *dir)
{
    char data[4096], jnl[4096];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(jnl, sizeof jnl, "%s/data.jnl", dir);
    wk_journal_opts o;
    wk_journal_opts_init(&o);
    o.journal_path = jnl;
    o.capacity = 1u << 20;
    int rc = wk_journal_format(data, &o);
    if (rc != 0)
        return tour_fail("demo: journal format", rc, NULL);
    wk_journal *j = NULL;
    if ((rc = wk_journal_open(data, &o, &j, NULL)) != 0)
        return tour_fail("demo: journal open", rc, NULL);
    static const uint64_t offs[3] = {0, 100000, 5000};
    uint8_t buf[3][700], got[700];
    wk_journal_txn *t = NULL;
    rc = wk_journal_begin(j, &t);
    for (int i = 0; i < 3 && rc == 0; i++) {
        tour_fill(buf[i], sizeof buf[i], 10 + (uint64_t)i);
        rc = wk_journal_write(t, offs[i], buf[i], sizeof buf[i]);
    }
    if (rc == 0)
        rc = wk_journal_commit(t, NULL);
    else
        wk_journal_abort(t);
    for (int i = 0; i < 3 && rc == 0; i++) {
        rc = wk_journal_read(j, offs[i], sizeof got, got);
        if (rc == 0 && memcmp(got, buf[i], sizeof got) != 0)
            rc = WK_ECORRUPT;
    }
    if (rc != 0) {
        tour_fail("demo: journal transaction", rc, wk_journal_errmsg(j));
        wk_journal_close(j);
        return -1;
    }
    if ((rc = wk_journal_checkpoint(j)) != 0 || (rc = wk_journal_close(j)) != 0)
        return tour_fail("demo: journal checkpoint/close", rc, NULL);
    if ((rc = wk_journal_open(data, &o, &j, NULL)) != 0)
        return tour_fail("demo: journal reopen", rc, NULL);
    for (int i = 0; i < 3 && rc == 0; i++) {
        rc = wk_journal_read(j, offs[i], sizeof got, got);
        if (rc == 0 && memcmp(got, buf[i], sizeof got) != 0)
            rc = WK_ECORRUPT;
    }
    int rc2 = wk_journal_close(j);
    if (rc != 0 || rc2 != 0)
        return tour_fail("demo: journal read after reopen", rc ? rc : rc2,
                         NULL);
    tour_ok_line("journal", "a 3-write transaction, overlay reads, checkpoint, "
                            "reopen");
    return 0;
}

typedef struct tour_ring_gc {
    int left;
} tour_ring_gc;

static int
tour_ring_garbage(void *arg, uint64_t pos, const void *data, size_t len)
{
    (void)pos, (void)data, (void)len;
    tour_ring_gc *g = arg;
    return g->left-- > 0 ? 1 : 0;
}

static int
tour_ring(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/ring", dir);
    wk_ring_opts o;
    wk_ring_opts_init(&o);
    o.capacity = 1u << 20;
    int rc = wk_ring_format(path, &o);
    wk_ring *r = NULL;
    if (rc == 0)
        rc = wk_ring_open(path, &o, &r, NULL);
    if (rc != 0)
        return tour_fail("demo: ring format/open", rc, NULL);
    uint8_t buf[200];
    for (uint64_t i = 0; i < TOUR_RING_N && rc == 0; i++) {
        tour_fill(buf, sizeof buf, i);
        rc = wk_ring_append(r, buf, 8 + (size_t)(i % 192),
                            i + 1 == TOUR_RING_N ? WK_SYNC : 0, NULL);
    }
    tour_ring_gc g = {TOUR_RING_FREE};
    uint64_t freed = 0;
    if (rc == 0)
        rc = wk_ring_advance_head(r, tour_ring_garbage, &g, &freed);
    int rc2 = wk_ring_close(r);
    if (rc != 0 || rc2 != 0 || freed != TOUR_RING_FREE)
        return tour_fail("demo: ring append/advance", rc ? rc : rc2, NULL);
    if ((rc = wk_ring_open(path, &o, &r, NULL)) != 0)
        return tour_fail("demo: ring reopen", rc, NULL);
    wk_ring_iter *it = NULL;
    uint64_t i = TOUR_RING_FREE;
    if ((rc = wk_ring_iter_open(r, &it)) == 0) {
        const void *d;
        size_t len;
        uint64_t pos;
        while ((rc = wk_ring_iter_next(it, &pos, &d, &len)) == 0) {
            tour_fill(buf, sizeof buf, i);
            if (len != 8 + i % 192 || memcmp(d, buf, len) != 0)
                break;
            i++;
        }
        wk_ring_iter_close(it);
    }
    rc2 = wk_ring_close(r);
    if (rc != WK_ENOTFOUND || i != TOUR_RING_N || rc2 != 0)
        return tour_fail("demo: ring entries after reopen",
                         rc == WK_ENOTFOUND ? WK_ECORRUPT : rc, NULL);
    tour_ok_line("ring", "1,000 appends, 600 freed from the head, reopen: "
                         "400 left");
    return 0;
}

static int
tour_meta(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/meta", dir);
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.log_segment_bytes = 1u << 20;
    wk_meta *m = NULL;
    int rc = wk_meta_open(path, &o, &m, NULL);
    if (rc != 0)
        return tour_fail("demo: meta open", rc, NULL);
    wk_meta_batch *b = NULL;
    rc = wk_meta_batch_new(m, &b);
    uint8_t bytes[24];
    for (uint64_t k = 0; k < TOUR_META_BATCHES && rc == 0; k++) {
        wk_meta_batch_clear(b);
        for (uint64_t i = 0; i < TOUR_META_ITEMS && rc == 0; i++) {
            uint64_t key = k * TOUR_META_ITEMS + i;
            tour_fill(bytes, sizeof bytes, key);
            rc = wk_meta_batch_put(b, key, key * 3, bytes, sizeof bytes);
        }
        if (rc == 0)
            rc = wk_meta_write(m, b, WK_SYNC);
    }
    wk_meta_batch_free(b);
    if (rc == 0)
        rc = wk_meta_compact(m);
    int rc2 = wk_meta_close(m);
    if (rc != 0 || rc2 != 0)
        return tour_fail("demo: meta batches/compaction", rc ? rc : rc2, NULL);
    if ((rc = wk_meta_open(path, &o, &m, NULL)) != 0)
        return tour_fail("demo: meta reopen", rc, NULL);
    uint64_t n = TOUR_META_BATCHES * TOUR_META_ITEMS;
    for (uint64_t key = 0; key < n && rc == 0; key++) {
        uint64_t v = 0;
        uint8_t got[sizeof bytes];
        size_t len = 0;
        rc = wk_meta_get(m, key, &v, got, sizeof got, &len);
        tour_fill(bytes, sizeof bytes, key);
        if (rc == 0 && (v != key * 3 || len != sizeof bytes ||
                        memcmp(got, bytes, len) != 0))
            rc = WK_ECORRUPT;
    }
    rc2 = wk_meta_close(m);
    if (rc != 0 || rc2 != 0)
        return tour_fail("demo: meta items after reopen", rc ? rc : rc2, NULL);
    tour_ok_line("meta", "10 batches of 100 items, compaction, reopen: "
                         "1,000 items");
    return 0;
}

static int
tour_blob(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/blob", dir);
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    o.chunk_bytes = 1u << 20;
    o.log_segment_bytes = 1u << 20;
    wk_blob *b = NULL;
    int rc = wk_blob_open(path, &o, &b, NULL);
    if (rc != 0)
        return tour_fail("demo: blob open", rc, NULL);
    uint8_t *buf = malloc(TOUR_BLOB_LEN);
    if (buf == NULL) {
        wk_blob_close(b);
        return tour_fail("demo: blob", WK_ENOMEM, NULL);
    }
    uint64_t ids[TOUR_BLOB_N];
    for (int i = 0; i < TOUR_BLOB_N && rc == 0; i++) {
        tour_fill(buf, TOUR_BLOB_LEN, 100 + (uint64_t)i);
        rc = wk_blob_put(b, buf, TOUR_BLOB_LEN, 7, WK_SYNC, &ids[i]);
    }
    if (rc == 0)
        rc = wk_blob_delete(b, ids[3], WK_SYNC);
    int rc2 = wk_blob_close(b);
    if (rc == 0 && rc2 == 0)
        rc = wk_blob_open(path, &o, &b, NULL);
    if (rc != 0 || rc2 != 0) {
        free(buf);
        return tour_fail("demo: blob puts/reopen", rc ? rc : rc2, NULL);
    }
    for (int i = 0; i < TOUR_BLOB_N && rc == 0; i++) {
        wk_blob_view v;
        rc = wk_blob_get(b, ids[i], &v);
        if (i == 3) {
            rc = rc == WK_ENOTFOUND ? 0 : WK_ECORRUPT;
            continue;
        }
        if (rc != 0)
            break;
        tour_fill(buf, TOUR_BLOB_LEN, 100 + (uint64_t)i);
        if (v.len != TOUR_BLOB_LEN || memcmp(v.data, buf, v.len) != 0)
            rc = WK_ECORRUPT;
        wk_blob_view_release(b, &v);
    }
    free(buf);
    rc2 = wk_blob_close(b);
    wk_blob_report rep;
    int rc3 = rc == 0 && rc2 == 0 ? wk_blob_verify(path, NULL, &rep) : 0;
    if (rc != 0 || rc2 != 0 || rc3 != 0)
        return tour_fail("demo: blob objects after reopen",
                         rc    ? rc
                         : rc2 ? rc2
                               : rc3,
                         NULL);
    tour_ok_line("blob", "8 puts of 64 KiB, 1 delete, reopen: 7 views, "
                         "verify clean");
    return 0;
}

static int
tour_remove_one(const char *path, const struct stat *sb, int flag,
                struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    if (remove(path) != 0 && errno != ENOENT) {
        fprintf(stderr, "walkit: demo: remove '%s': %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

int
wk_demo_tour_clear(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(dir, tour_remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int
wk_demo_tour(const char *dir)
{
    if (wk_demo_tour_clear(dir) != 0)
        return -1;
    if (mkdir(dir, 0777) != 0) {
        fprintf(stderr, "walkit: demo: create directory '%s': %s\n", dir,
                strerror(errno));
        return -1;
    }
    int bad = 0;
    bad |= tour_journal(dir) != 0;
    bad |= tour_ring(dir) != 0;
    bad |= tour_meta(dir) != 0;
    bad |= tour_blob(dir) != 0;
    return bad ? -1 : 0;
}
