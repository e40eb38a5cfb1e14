/* wk_log functional tests: append, read, iterate, tail, rotate, recycle,
 * checkpoint, reopen, streams, argument errors, stats, errmsg, verify,
 * torn tails and corruption. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wkt.h"

#define SMALL_SEG (64u * 1024u)

typedef struct collected {
    uint64_t n;
    uint64_t lsns[4096];
    uint64_t lens[4096];
    uint64_t sum; /* checksum of payloads */
} collected;

static uint64_t
sum_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static int
collect_fn(void *arg, const wk_log_entry *e)
{
    collected *c = arg;
    if (c->n < 4096) {
        c->lsns[c->n] = e->lsn;
        c->lens[c->n] = e->len;
    }
    c->n++;
    if (e->data != NULL)
        c->sum += sum_bytes(e->data, e->len);
    return 0;
}

static void
opts_small(wk_log_opts *o)
{
    wk_log_opts_init(o);
    o->segment_bytes = SMALL_SEG;
    o->max_entry_bytes = 16 * 1024;
    o->batch_bytes = 32 * 1024;
}

/* A fresh temp dir named after tag; *o gets opts_small's options. */
static char *
small_dir(const char *tag, wk_log_opts *o)
{
    char *dir = wkt_tmpdir(tag);
    opts_small(o);
    return dir;
}

/* Opens dir with *o collecting the recovered entries (o's recover_fn and
 * recover_arg are set); returns them (the caller frees). */
static collected *
reopen_collect(const char *dir, wk_log_opts *o, wk_log **log,
               wk_log_report *rep)
{
    collected *c = calloc(1, sizeof *c);
    o->recover_fn = collect_fn;
    o->recover_arg = c;
    wkt_assert_ok(wk_log_open(dir, o, log, rep));
    return c;
}

/* Builds payload i of length len deterministically. */
static void
payload(uint8_t *buf, size_t len, uint64_t i)
{
    wkt_fill(buf, len, i * 7919 + 1);
}

typedef struct want {
    const uint8_t *data;
    size_t len;
    int hits;
} want;

static int
check_fn(void *arg, const wk_log_entry *e)
{
    want *w = arg;
    assert_int_equal(e->len, w->len);
    uint8_t *tmp = malloc(w->len + 1);
    assert_non_null(tmp);
    wkt_assert_ok(wk_log_entry_read(e, 0, tmp, w->len));
    assert_memory_equal(tmp, w->data, w->len);
    free(tmp);
    w->hits++;
    return 0;
}

/* Entries appended (sync and not) read back by LSN and by iterator, and
 * survive a reopen, where new LSNs keep increasing. */
static void
test_append_read_reopen(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_basic", &o);
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    uint8_t buf[3000];
    uint64_t lsns[200];
    for (int i = 0; i < 200; i++) {
        size_t len = (size_t)(i * 13) % sizeof buf;
        payload(buf, len, (uint64_t)i);
        wkt_assert_ok(
            wk_log_append(log, buf, len, i % 10 == 0 ? WK_SYNC : 0, &lsns[i]));
        if (i > 0)
            assert_true(lsns[i] > lsns[i - 1]);
    }
    wkt_assert_ok(wk_log_sync(log, 0));
    assert_true(wk_log_durable_lsn(log) >= lsns[199]);
    assert_int_equal(wk_log_last_lsn(log), lsns[199]);
    for (int i = 0; i < 200; i += 7) {
        size_t len = (size_t)(i * 13) % sizeof buf;
        payload(buf, len, (uint64_t)i);
        want w = {buf, len, 0};
        wkt_assert_ok(wk_log_read(log, lsns[i], check_fn, &w));
        assert_int_equal(w.hits, 1);
    }
    want none = {buf, 0, 0};
    wkt_assert_rc(wk_log_read(log, lsns[199] + 100, check_fn, &none),
                  WK_ENOTFOUND);
    /* iterate all */
    wk_log_iter *it = NULL;
    wkt_assert_ok(wk_log_iter_open(log, 0, &it));
    wk_log_entry e;
    int n = 0;
    int rc;
    while ((rc = wk_log_iter_next(it, &e, 0)) == 0) {
        assert_int_equal(e.lsn, lsns[n]);
        size_t len = (size_t)(n * 13) % sizeof buf;
        assert_int_equal(e.len, len);
        payload(buf, len, (uint64_t)n);
        assert_memory_equal(e.data, buf, len);
        n++;
    }
    wkt_assert_rc(rc, WK_ENOTFOUND);
    assert_int_equal(n, 200);
    wk_log_iter_close(it);
    /* iterate from the middle */
    wkt_assert_ok(wk_log_iter_open(log, lsns[150], &it));
    wkt_assert_ok(wk_log_iter_next(it, &e, 0));
    assert_int_equal(e.lsn, lsns[150]);
    wk_log_iter_close(it);
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    assert_int_equal(st.appends, 200);
    assert_true(st.batches >= 20);
    assert_true(st.segments >= 2); /* 200 x ~1.5 KiB > 64 KiB */
    wkt_assert_ok(wk_log_close(log));

    wk_log_report rep;
    collected *c = reopen_collect(dir, &o, &log, &rep);
    assert_int_equal(c->n, 200);
    for (int i = 0; i < 200; i++)
        assert_int_equal(c->lsns[i], lsns[i]);
    assert_int_equal(rep.entries, 200);
    assert_int_equal(rep.last_lsn, lsns[199]);
    assert_int_equal(rep.first_lsn, lsns[0]);
    assert_int_equal(rep.torn_bytes, 0);
    assert_int_equal(rep.corruptions, 0);
    uint64_t l2 = 0;
    wkt_assert_ok(wk_log_append(log, "after", 5, WK_SYNC, &l2));
    assert_true(l2 > lsns[199]);
    want w2 = {(const uint8_t *)"after", 5, 0};
    wkt_assert_ok(wk_log_read(log, l2, check_fn, &w2));
    wkt_assert_ok(wk_log_close(log));
    /* and once more: everything, in order */
    memset(c, 0, sizeof *c);
    wkt_assert_ok(wk_log_open(dir, &o, &log, &rep));
    assert_int_equal(c->n, 201);
    assert_int_equal(c->lsns[200], l2);
    wkt_assert_ok(wk_log_close(log));
    free(c);
    wkt_tmpdir_remove(dir);
}

/* appendv concatenates its buffers into one entry. */
static void
test_appendv(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_appendv", &o);
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    struct iovec v[3] = {
        {(void *)"abc", 3}, {(void *)"", 0}, {(void *)"defg", 4}};
    uint64_t lsn = 0;
    wkt_assert_ok(wk_log_appendv(log, v, 3, WK_SYNC, &lsn));
    want w = {(const uint8_t *)"abcdefg", 7, 0};
    wkt_assert_ok(wk_log_read(log, lsn, check_fn, &w));
    assert_int_equal(w.hits, 1);
    /* zero-length entry */
    uint64_t l0 = 0;
    wkt_assert_ok(wk_log_appendv(log, NULL, 0, WK_SYNC, &l0));
    want w0 = {(const uint8_t *)"", 0, 0};
    wkt_assert_ok(wk_log_read(log, l0, check_fn, &w0));
    wkt_assert_ok(wk_log_close(log));
    wkt_tmpdir_remove(dir);
}

/* Bad arguments give -EINVAL, oversize entries -E2BIG, a second opener
 * -EBUSY, a missing directory without create -ENOENT. */
static void
test_errors(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_errors", &o);
    wk_log *log = NULL, *log2 = NULL;
    wkt_assert_rc(wk_log_open(NULL, &o, &log, NULL), -EINVAL);
    wkt_assert_rc(wk_log_open(dir, &o, NULL, NULL), -EINVAL);
    wk_log_opts bad = o;
    bad.segment_bytes = 4096;
    wkt_assert_rc(wk_log_open(dir, &bad, &log, NULL), -EINVAL);
    bad = o;
    bad.max_entry_bytes = bad.batch_bytes + 1;
    wkt_assert_rc(wk_log_open(dir, &bad, &log, NULL), -EINVAL);
    bad = o;
    bad.size = 3;
    wkt_assert_rc(wk_log_open(dir, &bad, &log, NULL), -EINVAL);
    bad = o;
    bad.create_if_missing = 0;
    char missing[1024];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    wkt_assert_rc(wk_log_open(missing, &bad, &log, NULL), -ENOENT);
    assert_null(log);

    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    wkt_assert_rc(wk_log_open(dir, &o, &log2, NULL), -EBUSY);
    assert_null(log2);
    static uint8_t big[16 * 1024 + 1];
    wkt_assert_rc(wk_log_append(log, big, sizeof big, 0, NULL), -E2BIG);
    wkt_assert_ok(wk_log_append(log, big, sizeof big - 1, 0, NULL));
    wkt_assert_rc(wk_log_append(NULL, big, 1, 0, NULL), -EINVAL);
    wkt_assert_rc(wk_log_append(log, NULL, 1, 0, NULL), -EINVAL);
    wkt_assert_rc(wk_log_append(log, big, 1, 0x100, NULL), -EINVAL);
    wkt_assert_rc(wk_log_appendv(log, NULL, -1, 0, NULL), -EINVAL);
    wkt_assert_rc(wk_log_appendv(log, NULL, 2, 0, NULL), -EINVAL);
    wkt_assert_rc(wk_log_read(log, 1, NULL, NULL), -EINVAL);
    wkt_assert_rc(wk_log_checkpoint(log), -EINVAL); /* no checkpoint_fn */
    wkt_assert_rc(wk_log_wait_checkpointed(log, 1, 10), WK_ETIMEDOUT);
    wkt_assert_rc(wk_log_iter_open(log, 0, NULL), -EINVAL);
    wkt_assert_rc(wk_log_stream_begin(log, NULL), -EINVAL);
    wk_log_entry e = {0};
    char b[4];
    wkt_assert_rc(wk_log_entry_read(&e, 0, b, 1), -EINVAL);
    assert_string_equal(wk_log_errmsg(NULL), "");
    assert_int_equal(wk_log_close(NULL), 0);
    wk_log_iter_close(NULL);
    wk_log_stream_rollback(NULL);
    wkt_assert_ok(wk_log_close(log));
    /* after close the directory can be opened again */
    wkt_assert_ok(wk_log_open(dir, &o, &log2, NULL));
    wkt_assert_ok(wk_log_close(log2));
    wkt_tmpdir_remove(dir);
}

typedef struct ckpt_state {
    uint64_t calls;
    uint64_t entries;
    uint64_t last_seen;
    uint64_t upto;
    int fail;
} ckpt_state;

static int
ckpt_fn(void *arg, wk_log_iter *it, uint64_t upto)
{
    ckpt_state *c = arg;
    c->calls++;
    if (c->fail)
        return -EIO;
    wk_log_entry e;
    int rc;
    while ((rc = wk_log_iter_next(it, &e, 0)) == 0) {
        if (e.lsn <= c->last_seen || e.lsn > upto)
            return -EPROTO;
        c->last_seen = e.lsn;
        c->entries++;
    }
    if (rc != WK_ENOTFOUND)
        return rc;
    c->upto = upto;
    return 0;
}

/* Small segments rotate; a checkpoint hands every entry once, records the
 * LSN durably, recycles covered segments (reads there say ERECYCLED), and
 * a reopen only replays entries above it. */
static void
test_rotate_checkpoint_recycle(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_ckpt", &o);
    ckpt_state cs = {0};
    o.checkpoint_fn = ckpt_fn;
    o.checkpoint_arg = &cs;
    o.recycle_pool = 2;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    uint8_t buf[2000];
    uint64_t first = 0, lsn = 0;
    for (int i = 0; i < 300; i++) {
        payload(buf, sizeof buf, (uint64_t)i);
        wkt_assert_ok(wk_log_append(log, buf, sizeof buf, 0, &lsn));
        if (i == 0)
            first = lsn;
    }
    wkt_assert_ok(wk_log_sync(log, 0));
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    assert_true(st.segments >= 8); /* 300 x 2 KiB over 64 KiB segments */
    uint32_t before = st.segments;
    wkt_assert_ok(wk_log_checkpoint(log));
    wkt_assert_ok(wk_log_wait_checkpointed(log, lsn, 10000));
    assert_int_equal(cs.entries, 300);
    assert_int_equal(cs.upto, lsn);
    wk_log_stats_get(log, &st);
    assert_int_equal(st.checkpointed_lsn, lsn);
    assert_int_equal(st.checkpoints, 1);
    assert_true(st.segments < before);
    assert_true(st.recycled >= 1);
    want w = {buf, sizeof buf, 0};
    wkt_assert_rc(wk_log_read(log, first, check_fn, &w), WK_ERECYCLED);
    wk_log_iter *it = NULL;
    wkt_assert_rc(wk_log_iter_open(log, first, &it), WK_ERECYCLED);
    /* more entries reuse the recycled segments; LSNs keep growing */
    uint64_t lsn2 = 0;
    for (int i = 0; i < 100; i++) {
        payload(buf, sizeof buf, (uint64_t)(1000 + i));
        wkt_assert_ok(wk_log_append(log, buf, sizeof buf, WK_SYNC, &lsn2));
    }
    assert_true(lsn2 > lsn);
    payload(buf, sizeof buf, 1099);
    wkt_assert_ok(wk_log_read(log, lsn2, check_fn, &w));
    /* a failing checkpoint leaves everything and reports its error */
    cs.fail = 1;
    wkt_assert_ok(wk_log_checkpoint(log));
    wkt_assert_rc(wk_log_wait_checkpointed(log, lsn2, 10000), -EIO);
    cs.fail = 0;
    wkt_assert_ok(wk_log_close(log));

    wk_log_report rep;
    collected *c = reopen_collect(dir, &o, &log, &rep);
    assert_int_equal(rep.checkpoint_lsn, lsn);
    assert_int_equal(c->n, 100);
    assert_true(c->lsns[0] > lsn);
    assert_int_equal(c->lsns[99], lsn2);
    /* checkpoint again after reopen: only the new entries */
    cs.entries = 0;
    cs.last_seen = lsn;
    wkt_assert_ok(wk_log_checkpoint(log));
    wkt_assert_ok(wk_log_wait_checkpointed(log, lsn2, 10000));
    assert_int_equal(cs.entries, 100);
    wkt_assert_ok(wk_log_close(log));
    free(c);
    wkt_tmpdir_remove(dir);
}

/* checkpoint_bytes triggers checkpoints by growth. */
static void
test_checkpoint_by_growth(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_ckpt_growth", &o);
    ckpt_state cs = {0};
    o.checkpoint_fn = ckpt_fn;
    o.checkpoint_arg = &cs;
    o.checkpoint_bytes = 100 * 1024;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    uint8_t buf[1000];
    uint64_t lsn = 0;
    for (int i = 0; i < 400; i++)
        wkt_assert_ok(wk_log_append(log, buf, sizeof buf,
                                    i % 50 == 49 ? WK_SYNC : 0, &lsn));
    wkt_assert_ok(wk_log_wait_checkpointed(log, 1, 10000));
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    assert_true(st.checkpoints >= 1);
    wkt_assert_ok(wk_log_close(log));
    wkt_tmpdir_remove(dir);
}

typedef struct stream_check {
    uint64_t len;
    uint64_t seed;
    int hits;
    int streamed;
} stream_check;

static int
stream_fn(void *arg, const wk_log_entry *e)
{
    stream_check *sc = arg;
    if (e->len != sc->len)
        return 0;
    uint8_t *exp = malloc(sc->len), *got = malloc(sc->len);
    wkt_fill(exp, sc->len, sc->seed);
    wkt_assert_ok(wk_log_entry_read(e, 0, got, sc->len));
    assert_memory_equal(exp, got, sc->len);
    /* partial reads across chunk boundaries */
    wkt_assert_ok(wk_log_entry_read(e, 40000, got, 1000));
    assert_memory_equal(exp + 40000, got, 1000);
    wkt_assert_rc(wk_log_entry_read(e, sc->len - 1, got, 2), -EINVAL);
    sc->streamed += e->data == NULL;
    sc->hits++;
    free(exp);
    free(got);
    return 0;
}

/* A streamed entry larger than max_entry_bytes commits atomically, reads
 * back whole (by LSN, by iterator, in recovery); a rolled-back one is
 * never seen. */
static void
test_streams(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_stream", &o);
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    size_t total = 200000; /* ~7 chunks, spans several 64 KiB segments */
    uint8_t *data = malloc(total);
    wkt_fill(data, total, 77);
    uint64_t before = 0, lsn = 0, after = 0;
    wkt_assert_ok(wk_log_append(log, "x", 1, 0, &before));
    wk_log_stream *s = NULL, *r = NULL;
    wkt_assert_ok(wk_log_stream_begin(log, &s));
    wkt_assert_ok(wk_log_stream_begin(log, &r));
    for (size_t off = 0; off < total; off += 7000) {
        size_t n = total - off < 7000 ? total - off : 7000;
        wkt_assert_ok(wk_log_stream_write(s, data + off, n));
        wkt_assert_ok(wk_log_stream_write(r, data, 5000));
        wkt_assert_ok(wk_log_append(log, "y", 1, 0, NULL));
    }
    wk_log_stream_rollback(r);
    wkt_assert_ok(wk_log_stream_commit(s, WK_SYNC, &lsn));
    assert_true(lsn > before);
    wkt_assert_ok(wk_log_append(log, "z", 1, WK_SYNC, &after));
    assert_true(after > lsn);
    stream_check sc = {total, 77, 0, 0};
    wkt_assert_ok(wk_log_read(log, lsn, stream_fn, &sc));
    assert_int_equal(sc.hits, 1);
    assert_int_equal(sc.streamed, 1);
    /* the iterator sees 1 + 29 + 1 + 1 entries, no chunks */
    wk_log_iter *it = NULL;
    wkt_assert_ok(wk_log_iter_open(log, 0, &it));
    wk_log_entry e;
    int n = 0, big = 0;
    while (wk_log_iter_next(it, &e, 0) == 0) {
        n++;
        if (e.len == total) {
            big++;
            assert_int_equal(e.lsn, lsn);
            assert_null(e.data);
            stream_fn(&sc, &e);
        }
    }
    wk_log_iter_close(it);
    assert_int_equal(big, 1);
    assert_int_equal(n, 1 + 29 + 1 + 1);
    /* an empty stream is an empty entry */
    wkt_assert_ok(wk_log_stream_begin(log, &s));
    uint64_t le = 0;
    wkt_assert_ok(wk_log_stream_commit(s, WK_SYNC, &le));
    wkt_assert_ok(wk_log_close(log));

    collected *c = calloc(1, sizeof *c);
    sc.hits = 0;
    o.recover_fn = stream_fn;
    o.recover_arg = &sc;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    assert_int_equal(sc.hits, 1);
    wkt_assert_ok(wk_log_close(log));
    o.recover_fn = collect_fn;
    o.recover_arg = c;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    assert_int_equal(c->n, 1 + 29 + 1 + 1 + 1);
    wkt_assert_ok(wk_log_close(log));
    free(c);
    free(data);
    wkt_tmpdir_remove(dir);
}

/* A streamed entry covered by a checkpoint whose chunk segments were
 * recycled does not make the next open fail. */
static void
test_stream_checkpointed(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_stream_ckpt", &o);
    ckpt_state cs = {0};
    o.checkpoint_fn = ckpt_fn;
    o.checkpoint_arg = &cs;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    uint8_t *data = calloc(1, 300000);
    wk_log_stream *s = NULL;
    wkt_assert_ok(wk_log_stream_begin(log, &s));
    wkt_assert_ok(wk_log_stream_write(s, data, 300000));
    uint64_t lsn = 0;
    wkt_assert_ok(wk_log_stream_commit(s, WK_SYNC, &lsn));
    wkt_assert_ok(wk_log_checkpoint(log));
    wkt_assert_ok(wk_log_wait_checkpointed(log, lsn, 10000));
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    assert_true(st.recycled >= 1);
    wkt_assert_ok(wk_log_close(log));
    wk_log_report rep;
    wkt_assert_ok(wk_log_open(dir, &o, &log, &rep));
    assert_int_equal(rep.entries, 0);
    uint64_t l2 = 0;
    wkt_assert_ok(wk_log_append(log, "n", 1, WK_SYNC, &l2));
    assert_true(l2 > lsn);
    wkt_assert_ok(wk_log_close(log));
    free(data);
    wkt_tmpdir_remove(dir);
}

static int
ckpt_append_fn(void *arg, wk_log_iter *it, uint64_t upto)
{
    (void)it;
    (void)upto;
    wk_log *log = *(wk_log **)arg;
    uint8_t buf[2000] = {0};
    for (int i = 0; i < 200; i++) {
        int rc = wk_log_append(log, buf, sizeof buf, i % 50 == 0 ? WK_SYNC : 0,
                               NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* A checkpoint callback may append (rotating segments) without
 * deadlocking the background thread it runs on. */
static void
test_checkpoint_fn_appends(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_ckpt_append", &o);
    wk_log *log = NULL;
    o.checkpoint_fn = ckpt_append_fn;
    o.checkpoint_arg = &log;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    uint64_t lsn = 0;
    wkt_assert_ok(wk_log_append(log, "a", 1, WK_SYNC, &lsn));
    wkt_assert_ok(wk_log_checkpoint(log));
    wkt_assert_ok(wk_log_wait_checkpointed(log, lsn, 20000));
    wkt_assert_ok(wk_log_sync(log, 0));
    assert_int_equal(wk_log_last_lsn(log), lsn + 200);
    wkt_assert_ok(wk_log_close(log));
    wkt_tmpdir_remove(dir);
}

/* max_batch_wait_us makes a leader wait for followers before its write. */
static void
test_max_batch_wait(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_batch_wait", &o);
    o.max_batch_wait_us = 20000;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    wkt_assert_ok(wk_log_append(log, "w", 1, WK_SYNC, NULL));
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
                (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    assert_true(ms >= 15.0);
    wkt_assert_ok(wk_log_close(log));
    wkt_tmpdir_remove(dir);
}

/* Read-only opens see durable entries and refuse mutations; verify on a
 * clean log reports every entry and no problem. */
static void
test_read_only_and_verify(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_ro", &o);
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    uint64_t lsn = 0;
    for (int i = 0; i < 50; i++)
        wkt_assert_ok(wk_log_append(log, "hello", 5, 0, &lsn));
    wkt_assert_ok(wk_log_close(log));
    wk_log_report rep;
    wkt_assert_ok(wk_log_verify(dir, NULL, &rep));
    assert_int_equal(rep.entries, 50);
    assert_int_equal(rep.last_lsn, lsn);
    assert_int_equal(rep.corruptions, 0);
    assert_int_equal(rep.torn_bytes, 0);
    o.read_only = 1;
    wkt_assert_ok(wk_log_open(dir, &o, &log, &rep));
    assert_int_equal(rep.entries, 50);
    wkt_assert_rc(wk_log_append(log, "x", 1, 0, NULL), -EROFS);
    want w = {(const uint8_t *)"hello", 5, 0};
    wkt_assert_ok(wk_log_read(log, lsn, check_fn, &w));
    assert_int_equal(wk_log_durable_lsn(log), lsn);
    wkt_assert_ok(wk_log_close(log));
    wkt_assert_rc(wk_log_verify("/nonexistent/walkit-log", NULL, &rep),
                  -ENOENT);
    wkt_tmpdir_remove(dir);
}

static int
abort_fn(void *arg, const wk_log_entry *e)
{
    int *n = arg;
    (void)e;
    return ++*n == 3 ? 4242 : 0;
}

/* recover_fn sees entries in LSN order and can abort the open. */
static void
test_recover_fn_abort(void **state)
{
    (void)state;
    wk_log_opts o;
    char *dir = small_dir("log_abort", &o);
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    for (int i = 0; i < 5; i++)
        wkt_assert_ok(wk_log_append(log, "e", 1, 0, NULL));
    wkt_assert_ok(wk_log_close(log));
    int n = 0;
    o.recover_fn = abort_fn;
    o.recover_arg = &n;
    wkt_assert_rc(wk_log_open(dir, &o, &log, NULL), 4242);
    assert_int_equal(n, 3);
    /* the lock was released: a plain open works */
    o.recover_fn = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    wkt_assert_ok(wk_log_close(log));
    wkt_tmpdir_remove(dir);
}

/* A failed fdatasync poisons the log: the caller gets the error, later
 * mutations WK_EPOISONED, errmsg names the file, stats show it; reopening
 * recovers every entry acked before. */
static void
test_poison_on_sync_error(void **state)
{
    (void)state;
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(NULL, &sim));
    wk_log_opts o;
    opts_small(&o);
    o.vfs = wk_sim_vfs(sim);
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open("log", &o, &log, NULL));
    uint64_t lsn = 0;
    wkt_assert_ok(wk_log_append(log, "one", 3, WK_SYNC, &lsn));
    assert_string_equal(wk_log_errmsg(log), "");
    wk_sim_fault(sim, WK_SIM_OP_SYNC, 1, WK_SIM_FAULT_EIO);
    wkt_assert_rc(wk_log_append(log, "two", 3, WK_SYNC, NULL), -EIO);
    assert_non_null(strstr(wk_log_errmsg(log), "fdatasync segment 'seg-"));
    wkt_assert_rc(wk_log_append(log, "three", 5, 0, NULL), WK_EPOISONED);
    wkt_assert_rc(wk_log_sync(log, 0), WK_EPOISONED);
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    assert_int_equal(st.poisoned, -EIO);
    assert_int_not_equal(wk_log_close(log), 0);
    collected *c = reopen_collect("log", &o, &log, NULL);
    assert_true(c->n >= 1);
    assert_int_equal(c->lsns[0], lsn);
    wkt_assert_ok(wk_log_close(log));
    free(c);
    wk_sim_destroy(sim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_read_reopen),
        cmocka_unit_test(test_appendv),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_rotate_checkpoint_recycle),
        cmocka_unit_test(test_checkpoint_by_growth),
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_stream_checkpointed),
        cmocka_unit_test(test_checkpoint_fn_appends),
        cmocka_unit_test(test_max_batch_wait),
        cmocka_unit_test(test_read_only_and_verify),
        cmocka_unit_test(test_recover_fn_abort),
        cmocka_unit_test(test_poison_on_sync_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
