/* wk_journal unit tests on the real disk: format, open, transactions,
 * reads, checkpoints, region mode, wrap-around, errors, concurrency. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jt_txn.h"
#include "wkt.h"

typedef struct fx {
    char *dir;
    char data[512];
    char jpath[512];
    wk_journal_opts o;
} fx;

static int
fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = wkt_tmpdir("journal");
    snprintf(f->data, sizeof f->data, "%s/data.img", f->dir);
    snprintf(f->jpath, sizeof f->jpath, "%s/data.jnl", f->dir);
    wk_journal_opts_init(&f->o);
    f->o.journal_path = f->jpath;
    f->o.capacity = 256 * 1024;
    *state = f;
    return 0;
}

static int
fx_teardown(void **state)
{
    fx *f = *state;
    wkt_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* A committed multi-write transaction is readable before and after a
 * checkpoint and after reopen, and lands in the data file. */
static void
test_commit_read_reopen(void **state)
{
    fx *f = *state;
    wk_journal *j = NULL;
    wkt_assert_ok(wk_journal_format(f->data, &f->o));
    wkt_assert_rc(wk_journal_format(f->data, &f->o), -EEXIST);
    wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, NULL));
    wk_journal_txn *t = NULL;
    wkt_assert_ok(wk_journal_begin(j, &t));
    wkt_assert_ok(wk_journal_write(t, 100, "hello", 5));
    wkt_assert_ok(wk_journal_write(t, 10000, "world", 5));
    wkt_assert_ok(wk_journal_write(t, 102, "LL", 2)); /* later wins */
    uint64_t seq = 0;
    wkt_assert_ok(wk_journal_commit(t, &seq));
    assert_int_equal(seq, 1);
    jt_expect(j, 100, "heLLo", 5);
    jt_expect(j, 10000, "world", 5);
    jt_expect(j, 98, "\0\0heLLo\0", 8);
    wk_journal_stats st;
    wk_journal_stats_get(j, &st);
    assert_int_equal(st.commits, 1);
    assert_int_equal(st.writes, 3);
    assert_int_equal(st.batches, 1);
    assert_true(st.overlay_extents >= 2);
    wkt_assert_ok(wk_journal_checkpoint(j));
    wk_journal_stats_get(j, &st);
    assert_int_equal(st.overlay_extents, 0);
    assert_int_equal(st.applied_seq, 1);
    jt_expect(j, 100, "heLLo", 5);
    wkt_assert_ok(wk_journal_close(j));

    FILE *fp = fopen(f->data, "rb");
    char buf[5];
    fseek(fp, 10000, SEEK_SET);
    assert_int_equal(fread(buf, 1, 5, fp), 5);
    fclose(fp);
    assert_memory_equal(buf, "world", 5);

    wk_journal_report rep;
    wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, &rep));
    assert_int_equal(rep.batches, 0);
    jt_expect(j, 100, "heLLo", 5);
    wkt_assert_ok(wk_journal_close(j));
    wkt_assert_ok(wk_journal_verify(f->data, &f->o, &rep));
}

/* Unapplied transactions are replayed at open when the handle was never
 * checkpointed (simulated by a read-only reopen of a live journal). */
static void
test_replay_from_journal(void **state)
{
    fx *f = *state;
    wk_journal *j = NULL, *r = NULL;
    f->o.checkpoint_pct = 0;
    wkt_assert_ok(wk_journal_format(f->data, &f->o));
    wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, NULL));
    for (int i = 0; i < 20; i++) {
        char b[32];
        snprintf(b, sizeof b, "txn-%02d", i);
        jt_commit1(j, (uint64_t)i * 3, b, strlen(b));
    }
    wk_journal_opts ro = f->o;
    ro.read_only = 1;
    wk_journal_report rep;
    wkt_assert_ok(wk_journal_open(f->data, &ro, &r, &rep));
    assert_int_equal(rep.batches, 20);
    assert_int_equal(rep.first_seq, 1);
    assert_int_equal(rep.last_seq, 20);
    uint8_t a[80], b[80];
    wkt_assert_ok(wk_journal_read(j, 0, sizeof a, a));
    wkt_assert_ok(wk_journal_read(r, 0, sizeof b, b));
    assert_memory_equal(a, b, sizeof a);
    wk_journal_txn *t = NULL;
    wkt_assert_rc(wk_journal_begin(r, &t), -EROFS);
    wkt_assert_ok(wk_journal_close(r));
    wkt_assert_ok(wk_journal_close(j));
}

/* Region mode: the journal lives inside the data file, transactions may
 * not touch it, and everything else works the same. */
static void
test_region_mode(void **state)
{
    fx *f = *state;
    wk_journal *j = NULL;
    f->o.journal_path = NULL;
    f->o.region_offset = 1 << 20;
    f->o.capacity = 128 * 1024;
    wkt_assert_ok(wk_journal_format(f->data, &f->o));
    wkt_assert_rc(wk_journal_format(f->data, &f->o), -EEXIST);
    wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, NULL));
    wk_journal_txn *t = NULL;
    wkt_assert_ok(wk_journal_begin(j, &t));
    wkt_assert_rc(wk_journal_write(t, (1 << 20) - 2, "abcd", 4), -EINVAL);
    wkt_assert_rc(wk_journal_write(t, (1 << 20) + 5000, "abcd", 4), -EINVAL);
    wkt_assert_ok(wk_journal_write(t, (1 << 20) + 128 * 1024, "tail", 4));
    wkt_assert_ok(wk_journal_write(t, 0, "head", 4));
    wkt_assert_ok(wk_journal_commit(t, NULL));
    jt_expect(j, 0, "head", 4);
    uint8_t b[4];
    wkt_assert_rc(wk_journal_read(j, 1 << 20, 4, b), -EINVAL);
    wkt_assert_ok(wk_journal_close(j));
    wk_journal_opts o2 = f->o;
    o2.capacity = 0; /* read from the superblock */
    wkt_assert_ok(wk_journal_open(f->data, &o2, &j, NULL));
    jt_expect(j, (1 << 20) + 128 * 1024, "tail", 4);
    jt_expect(j, 0, "head", 4);
    wkt_assert_ok(wk_journal_close(j));
    o2.region_offset = 4096; /* wrong place: no superblock there */
    wkt_assert_rc(wk_journal_open(f->data, &o2, &j, NULL), WK_EFORMAT);
}

/* Abort, empty commit, zero-length writes and bad arguments. */
static void
test_abort_and_arguments(void **state)
{
    fx *f = *state;
    wk_journal *j = NULL;
    wkt_assert_rc(wk_journal_open(f->data, &f->o, &j, NULL), -ENOENT);
    wkt_assert_ok(wk_journal_format(f->data, &f->o));
    wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, NULL));
    wk_journal_txn *t = NULL;
    wkt_assert_ok(wk_journal_begin(j, &t));
    wkt_assert_ok(wk_journal_write(t, 0, "gone", 4));
    wk_journal_abort(t);
    wk_journal_abort(NULL);
    uint8_t z[4] = {1, 1, 1, 1};
    wkt_assert_ok(wk_journal_read(j, 0, 4, z));
    assert_memory_equal(z, "\0\0\0\0", 4);
    wkt_assert_ok(wk_journal_begin(j, &t));
    wkt_assert_ok(wk_journal_write(t, 5, "", 0));
    wkt_assert_rc(wk_journal_write(t, UINT64_MAX - 1, "ab", 2), -EINVAL);
    wkt_assert_rc(wk_journal_write(t, 0, NULL, 2), -EINVAL);
    uint64_t seq = 7;
    wkt_assert_ok(wk_journal_commit(t, &seq));
    assert_int_equal(seq, 0);
    wkt_assert_rc(wk_journal_read(j, 0, 4, NULL), -EINVAL);
    wkt_assert_ok(wk_journal_close(j));
    wkt_assert_ok(wk_journal_close(NULL));

    wk_journal_opts bad = f->o;
    bad.capacity = 1000;
    wkt_assert_rc(wk_journal_format(f->data, &bad), -EINVAL);
    /* A file that is not a journal. */
    char other[600];
    snprintf(other, sizeof other, "%s/other", f->dir);
    FILE *fp = fopen(other, "wb");
    for (int i = 0; i < 70000; i++)
        fputc('x', fp);
    fclose(fp);
    bad = f->o;
    bad.journal_path = other;
    wkt_assert_rc(wk_journal_open(f->data, &bad, &j, NULL), WK_EFORMAT);
}

/* Many commits through a small journal wrap around the ring (with inline
 * checkpoints and with the background thread) and stay readable. */
static void
test_wraparound(void **state)
{
    fx *f = *state;
    for (int bg = 0; bg < 2; bg++) {
        wk_journal *j = NULL;
        char jp[600];
        snprintf(jp, sizeof jp, "%s/wrap%d.jnl", f->dir, bg);
        f->o.journal_path = jp;
        f->o.capacity = 64 * 1024;
        f->o.checkpoint_pct = bg ? 50 : 0;
        wkt_assert_ok(wk_journal_format(f->data, &f->o));
        wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, NULL));
        uint8_t page[3000];
        for (int i = 0; i < 200; i++) {
            memset(page, 'a' + i % 26, sizeof page);
            jt_commit1(j, (uint64_t)(i % 7) * 3000, page, sizeof page);
        }
        for (int i = 193; i < 200; i++) {
            memset(page, 'a' + i % 26, sizeof page);
            jt_expect(j, (uint64_t)(i % 7) * 3000, page, sizeof page);
        }
        wk_journal_stats st;
        wk_journal_stats_get(j, &st);
        assert_true(st.checkpoints > 0);
        assert_true(st.last_seq == 200);
        wkt_assert_ok(wk_journal_close(j));
        wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, NULL));
        for (int i = 193; i < 200; i++) {
            memset(page, 'a' + i % 26, sizeof page);
            jt_expect(j, (uint64_t)(i % 7) * 3000, page, sizeof page);
        }
        wkt_assert_ok(wk_journal_close(j));
        wkt_assert_ok(wk_journal_verify(f->data, &f->o, NULL));
    }
}

typedef struct thr_arg {
    wk_journal *j;
    int id;
    int n;
} thr_arg;

static void *
thr_commit(void *p)
{
    thr_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        wk_journal_txn *t = NULL;
        uint64_t v[2] = {(uint64_t)a->id, (uint64_t)i};
        if (wk_journal_begin(a->j, &t) != 0)
            return (void *)1;
        if (wk_journal_write(t, (uint64_t)a->id * 64, v, sizeof v) != 0 ||
            wk_journal_write(t, 4096 + (uint64_t)a->id * 64, v, sizeof v) !=
                0) {
            wk_journal_abort(t);
            return (void *)1;
        }
        if (wk_journal_commit(t, NULL) != 0)
            return (void *)1;
    }
    return NULL;
}

/* Concurrent committers all succeed, both halves of each transaction agree,
 * and commits share batches. */
static void
test_concurrent_commits(void **state)
{
    fx *f = *state;
    wk_journal *j = NULL;
    f->o.capacity = 1 << 20;
    f->o.max_batch_wait_us = 200; /* leaders wait a little for followers */
    wkt_assert_ok(wk_journal_format(f->data, &f->o));
    wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, NULL));
    enum { T = 8, N = 50 };
    pthread_t th[T];
    thr_arg a[T];
    for (int i = 0; i < T; i++) {
        a[i] = (thr_arg){j, i, N};
        pthread_create(&th[i], NULL, thr_commit, &a[i]);
    }
    for (int i = 0; i < T; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_null(r);
    }
    for (int i = 0; i < T; i++) {
        uint64_t v[2], w[2];
        wkt_assert_ok(wk_journal_read(j, (uint64_t)i * 64, sizeof v, v));
        wkt_assert_ok(wk_journal_read(j, 4096 + (uint64_t)i * 64, sizeof w, w));
        assert_int_equal(v[0], (uint64_t)i);
        assert_int_equal(v[1], N - 1);
        assert_memory_equal(v, w, sizeof v);
    }
    wk_journal_stats st;
    wk_journal_stats_get(j, &st);
    assert_int_equal(st.commits, T * N);
    assert_true(st.batches <= st.commits);
    assert_int_equal(st.syncs, st.batches);
    wkt_assert_ok(wk_journal_close(j));
}

typedef struct rw_arg {
    wk_journal *j;
    int id;
    int n;
    int *stop;
    int bad;
} rw_arg;

static void *
rw_writer(void *p)
{
    rw_arg *a = p;
    for (int i = 1; i <= a->n; i++) {
        wk_journal_txn *t = NULL;
        uint64_t v[2] = {(uint64_t)a->id, (uint64_t)i};
        if (wk_journal_begin(a->j, &t) != 0)
            return (void *)1;
        /* Two halves of one 32-byte slot in one transaction, plus a page
         * elsewhere to fill the journal and force checkpoints. */
        static const uint8_t page[2048];
        if (wk_journal_write(t, (uint64_t)a->id * 128, v, 16) != 0 ||
            wk_journal_write(t, (uint64_t)a->id * 128 + 16, v, 16) != 0 ||
            wk_journal_write(t, 65536 + (uint64_t)(i % 50) * 2048, page,
                             sizeof page) != 0) {
            wk_journal_abort(t);
            return (void *)1;
        }
        if (wk_journal_commit(t, NULL) != 0)
            return (void *)1;
    }
    return NULL;
}

static void *
rw_reader(void *p)
{
    rw_arg *a = p;
    while (!__atomic_load_n(a->stop, __ATOMIC_ACQUIRE)) {
        uint8_t b[4 * 128];
        if (wk_journal_read(a->j, 0, sizeof b, b) != 0) {
            a->bad = 1;
            break;
        }
        for (int k = 0; k < 4; k++)
            if (memcmp(b + k * 128, b + k * 128 + 16, 16) != 0)
                a->bad = 1;
    }
    return NULL;
}

/* Readers running alongside committers and background checkpoints always
 * see whole transactions, and the final view holds every last write. */
static void
test_concurrent_readers_and_checkpoints(void **state)
{
    fx *f = *state;
    wk_journal *j = NULL;
    f->o.capacity = 128 * 1024;
    f->o.overlay_max_bytes = 48 * 1024;
    f->o.checkpoint_pct = 30;
    wkt_assert_ok(wk_journal_format(f->data, &f->o));
    wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, NULL));
    int stop = 0, n = wkt_quick() ? 100 : 300;
    pthread_t wt[4], rt[2];
    rw_arg wa[4], ra[2];
    for (int i = 0; i < 2; i++) {
        ra[i] = (rw_arg){j, i, 0, &stop, 0};
        pthread_create(&rt[i], NULL, rw_reader, &ra[i]);
    }
    for (int i = 0; i < 4; i++) {
        wa[i] = (rw_arg){j, i, n, &stop, 0};
        pthread_create(&wt[i], NULL, rw_writer, &wa[i]);
    }
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(wt[i], &r);
        assert_null(r);
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++) {
        pthread_join(rt[i], NULL);
        assert_int_equal(ra[i].bad, 0);
    }
    wk_journal_stats st;
    wk_journal_stats_get(j, &st);
    assert_true(st.checkpoints > 0);
    for (int i = 0; i < 4; i++) {
        uint64_t v[4];
        wkt_assert_ok(wk_journal_read(j, (uint64_t)i * 128, sizeof v, v));
        assert_int_equal(v[0], (uint64_t)i);
        assert_int_equal(v[1], (uint64_t)n);
        assert_int_equal(v[3], (uint64_t)n);
    }
    wkt_assert_ok(wk_journal_close(j));
}

/* A transaction larger than the journal fails at once with -E2BIG and the
 * journal keeps working. */
static void
test_oversize(void **state)
{
    fx *f = *state;
    wk_journal *j = NULL;
    f->o.capacity = 64 * 1024;
    wkt_assert_ok(wk_journal_format(f->data, &f->o));
    wkt_assert_ok(wk_journal_open(f->data, &f->o, &j, NULL));
    size_t big = 60 * 1024;
    uint8_t *p = calloc(1, big);
    wk_journal_txn *t = NULL;
    wkt_assert_ok(wk_journal_begin(j, &t));
    wkt_assert_rc(wk_journal_write(t, 0, p, big), -E2BIG);
    wkt_assert_ok(wk_journal_write(t, 0, p, 20000));
    wkt_assert_ok(wk_journal_write(t, 0, p, 20000));
    wkt_assert_rc(wk_journal_write(t, 0, p, 20000), -E2BIG);
    wkt_assert_ok(wk_journal_commit(t, NULL));
    /* Just under the limit commits (after the journal makes room). */
    wkt_assert_ok(wk_journal_begin(j, &t));
    wkt_assert_ok(wk_journal_write(t, 0, p, 55 * 1024 - 24));
    wkt_assert_ok(wk_journal_commit(t, NULL));
    free(p);
    wkt_assert_ok(wk_journal_close(j));
}

/* Allocation failures at every point of format/open/commit/close come back
 * as errors without leaks. */
static void
test_alloc_failures(void **state)
{
    fx *f = *state;
    wkt_alloc_install();
    wkt_assert_ok(wk_journal_format(f->data, &f->o));
    int ok = 0;
    for (int64_t n = 1; n < 200 && !ok; n++) {
        wk_journal *j = NULL;
        wkt_alloc_fail_after(n);
        int rc = wk_journal_open(f->data, &f->o, &j, NULL);
        if (rc == 0) {
            wk_journal_txn *t = NULL;
            rc = wk_journal_begin(j, &t);
            if (rc == 0) {
                rc = wk_journal_write(t, 7, "x", 1);
                if (rc == 0)
                    rc = wk_journal_commit(t, NULL);
                else
                    wk_journal_abort(t);
            }
            int rc2 = wk_journal_close(j);
            if (rc == 0 && rc2 == 0)
                ok = 1;
        }
        if (!ok)
            assert_true(rc == WK_ENOMEM || rc == 0);
        wkt_alloc_reset();
        assert_int_equal(wkt_alloc_live(), 0);
    }
    assert_true(ok);
    wk_set_allocator(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_read_reopen, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_replay_from_journal, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_region_mode, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_abort_and_arguments, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_wraparound, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_commits, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_readers_and_checkpoints,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_oversize, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
