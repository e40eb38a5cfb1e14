/* wk_log under concurrency: 16 WK_SYNC writers get unique LSNs that all
 * survive a reopen; a tailing iterator wakes up for new durable entries and
 * times out when none come. Small enough to run under TSan. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wkt.h"

#define NTHREADS 16

typedef struct writer {
    wk_log *log;
    int id;
    int n;
    uint64_t *lsns;
    int rc;
} writer;

static void *
writer_main(void *arg)
{
    writer *w = arg;
    for (int i = 0; i < w->n; i++) {
        uint8_t buf[128];
        memset(buf, 0, sizeof buf);
        buf[0] = (uint8_t)w->id;
        memcpy(buf + 1, &i, sizeof i);
        int rc = wk_log_append(w->log, buf, 64 + (size_t)(i % 64), WK_SYNC,
                               &w->lsns[i]);
        if (rc != 0) {
            w->rc = rc;
            return NULL;
        }
        if (wk_log_durable_lsn(w->log) < w->lsns[i]) {
            w->rc = -EPROTO; /* acked before durable */
            return NULL;
        }
    }
    return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct tally {
    uint64_t n;
    uint64_t last;
    int order_ok;
} tally;

static int
tally_fn(void *arg, const wk_log_entry *e)
{
    tally *t = arg;
    if (e->lsn <= t->last)
        t->order_ok = 0;
    t->last = e->lsn;
    t->n++;
    return 0;
}

/* Opens a log with 64 KiB segments, 16 KiB batches and 4 KiB entries (the
 * options in *o) in a fresh temp dir named after tag (returned in *dir). */
static wk_log *
open_small(const char *tag, char **dir, wk_log_opts *o)
{
    *dir = wkt_tmpdir(tag);
    wk_log_opts_init(o);
    o->segment_bytes = 64 * 1024;
    o->batch_bytes = 16 * 1024;
    o->max_entry_bytes = 4096;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(*dir, o, &log, NULL));
    return log;
}

/* 16 writers with WK_SYNC: every LSN unique, acked only once durable,
 * every entry recovered in LSN order after reopen, batches shared. */
static void
test_concurrent_sync_writers(void **state)
{
    (void)state;
    char *dir = NULL;
    wk_log_opts o;
    /* small segments: rotations under contention too */
    wk_log *log = open_small("log_conc", &dir, &o);
    int per = wkt_quick() ? 30 : 150;
    writer w[NTHREADS];
    pthread_t t[NTHREADS];
    uint64_t *all = calloc((size_t)NTHREADS * per, sizeof *all);
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (writer){log, i, per, all + (size_t)i * per, 0};
        assert_int_equal(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        wkt_assert_ok(w[i].rc);
        for (int j = 1; j < per; j++)
            assert_true(w[i].lsns[j] > w[i].lsns[j - 1]);
    }
    size_t total = (size_t)NTHREADS * per;
    qsort(all, total, sizeof *all, cmp_u64);
    for (size_t i = 1; i < total; i++)
        assert_true(all[i] != all[i - 1]);
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    assert_int_equal(st.appends, total);
    assert_true(st.syncs <= total);
    assert_int_equal(st.durable_lsn, all[total - 1]);
    wkt_assert_ok(wk_log_close(log));

    tally tl = {0, 0, 1};
    o.recover_fn = tally_fn;
    o.recover_arg = &tl;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    assert_int_equal(tl.n, total);
    assert_true(tl.order_ok);
    assert_int_equal(tl.last, all[total - 1]);
    wkt_assert_ok(wk_log_close(log));
    free(all);
    wkt_tmpdir_remove(dir);
}

typedef struct big_writer {
    wk_log *log;
    int n;
    size_t len;
    int rc;
} big_writer;

static void *
big_writer_main(void *arg)
{
    big_writer *w = arg;
    uint8_t *buf = calloc(1, w->len);
    for (int i = 0; i < w->n && w->rc == 0 && buf != NULL; i++)
        w->rc = wk_log_append(w->log, buf, w->len, WK_SYNC, NULL);
    free(buf);
    return NULL;
}

/* Many WK_SYNC writers of entries as large as a whole batch buffer, with
 * rotations (okaywal's 1 MiB case at small scale): every append completes
 * (an alarm turns a group-commit deadlock into a failure, not a hang) and
 * every entry is recovered. */
static void
test_large_entries_many_writers(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("log_big");
    wk_log_opts o;
    wk_log_opts_init(&o);
    o.segment_bytes = 1024 * 1024;
    o.batch_bytes = 128 * 1024;
    o.max_entry_bytes = 128 * 1024;
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    enum { NBIG = 8 };
    int per = wkt_quick() ? 10 : 40;
    big_writer w[NBIG];
    pthread_t t[NBIG];
    alarm(120);
    for (int i = 0; i < NBIG; i++) {
        /* half of them fill a whole batch buffer, half a third of one */
        w[i] = (big_writer){log, per, i % 2 ? o.max_entry_bytes : 40000, 0};
        assert_int_equal(pthread_create(&t[i], NULL, big_writer_main, &w[i]),
                         0);
    }
    for (int i = 0; i < NBIG; i++) {
        pthread_join(t[i], NULL);
        wkt_assert_ok(w[i].rc);
    }
    alarm(0);
    wkt_assert_ok(wk_log_close(log));
    tally tl = {0, 0, 1};
    o.recover_fn = tally_fn;
    o.recover_arg = &tl;
    wkt_assert_ok(wk_log_open(dir, &o, &log, NULL));
    assert_int_equal(tl.n, (uint64_t)NBIG * per);
    assert_true(tl.order_ok);
    wkt_assert_ok(wk_log_close(log));
    wkt_tmpdir_remove(dir);
}

typedef struct tailer {
    wk_log *log;
    int want;
    int got;
    int rc;
} tailer;

static void *
tailer_main(void *arg)
{
    tailer *t = arg;
    wk_log_iter *it = NULL;
    t->rc = wk_log_iter_open(t->log, 0, &it);
    if (t->rc != 0)
        return NULL;
    wk_log_entry e;
    while (t->got < t->want) {
        int rc = wk_log_iter_next(it, &e, 5000);
        if (rc != 0) {
            t->rc = rc;
            break;
        }
        if (e.len < 8 || memcmp(e.data, "tailtail", 8) != 0) {
            t->rc = -EPROTO;
            break;
        }
        t->got++;
    }
    wk_log_iter_close(it);
    return NULL;
}

/* A tailing iterator returns entries as they become durable (across
 * segment rotations) and times out when nothing comes. */
static void
test_tail(void **state)
{
    (void)state;
    char *dir = NULL;
    wk_log_opts o;
    wk_log *log = open_small("log_tail", &dir, &o);
    /* empty log: ENOTFOUND without timeout, ETIMEDOUT with one */
    wk_log_iter *it = NULL;
    wk_log_entry e;
    wkt_assert_ok(wk_log_iter_open(log, 0, &it));
    wkt_assert_rc(wk_log_iter_next(it, &e, 0), WK_ENOTFOUND);
    wkt_assert_rc(wk_log_iter_next(it, &e, 30), WK_ETIMEDOUT);
    /* a non-synced append is not visible yet */
    wkt_assert_ok(wk_log_append(log, "tailtail", 8, 0, NULL));
    wkt_assert_rc(wk_log_iter_next(it, &e, 0), WK_ENOTFOUND);
    wkt_assert_ok(wk_log_sync(log, 0));
    wkt_assert_ok(wk_log_iter_next(it, &e, 0));
    wk_log_iter_close(it);

    tailer tl = {log, 400, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, tailer_main, &tl), 0);
    static char big[600] = "tailtail"; /* 400 x 600 B: crosses segments */
    for (int i = 0; i < 399; i++)
        wkt_assert_ok(wk_log_append(log, big, sizeof big,
                                    i % 3 == 0 ? WK_SYNC : 0, NULL));
    wkt_assert_ok(wk_log_sync(log, 0));
    pthread_join(t, NULL);
    wkt_assert_ok(tl.rc);
    assert_int_equal(tl.got, 400);
    wkt_assert_ok(wk_log_close(log));
    wkt_tmpdir_remove(dir);
}

typedef struct blocked {
    wk_log_iter *it;
    int rc;
} blocked;

static void *
blocked_main(void *arg)
{
    blocked *b = arg;
    wk_log_entry e;
    b->rc = wk_log_iter_next(b->it, &e, -1);
    return NULL;
}

/* A tailer blocked forever is woken with WK_ECLOSED when the log closes,
 * and its iterator can still be used (WK_ECLOSED) and closed afterwards. */
static void
test_tail_woken_by_close(void **state)
{
    (void)state;
    char *dir = NULL;
    wk_log_opts o;
    wk_log *log = open_small("log_tail_close", &dir, &o);
    wkt_assert_ok(wk_log_append(log, "x", 1, WK_SYNC, NULL));
    blocked b = {NULL, 0};
    wkt_assert_ok(wk_log_iter_open(log, 0, &b.it));
    wk_log_entry e;
    wkt_assert_ok(wk_log_iter_next(b.it, &e, 0));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, blocked_main, &b), 0);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL); /* let it block (if it did not yet, it sees
                             the closed log) */
    wkt_assert_ok(wk_log_close(log));
    pthread_join(t, NULL);
    wkt_assert_rc(b.rc, WK_ECLOSED);
    wkt_assert_rc(wk_log_iter_next(b.it, &e, 0), WK_ECLOSED);
    wk_log_iter_close(b.it);
    wkt_tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_sync_writers),
        cmocka_unit_test(test_large_entries_many_writers),
        cmocka_unit_test(test_tail),
        cmocka_unit_test(test_tail_woken_by_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
