/* wk_log regressions: one test per okaywal defect listed in DESIGN.md, plus
 * the generic fail-stop and torn-tail guarantees. Public API only (the log
 * and the simulated disk); the on-disk layout knowledge used to plant torn
 * frames is the documented one (4096-byte segment header, 24-byte frame
 * headers) and frames are found by searching for the test payloads. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../crash/log_oracle.h"
#include "wkt.h"

#define SEG_HDR 4096u
#define FRAME_HDR 24u

static void
watchdog(int sig)
{
    (void)sig;
    static const char m[] = "log_regress: WATCHDOG: a call hung\n";
    ssize_t ignored = write(2, m, sizeof m - 1);
    (void)ignored;
    _exit(3);
}

static int
setup_watchdog(void **state)
{
    (void)state;
    signal(SIGALRM, watchdog);
    alarm(120);
    return 0;
}

static int
teardown_watchdog(void **state)
{
    (void)state;
    alarm(0);
    return 0;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fail_on_violations(wko_run *r, const char *what)
{
    if (wko_failed(r)) {
        wko_print_failures(r, what);
        fail_msg("%s: oracle violations (above)", what);
    }
}

/* Waits until the sim's sync count has been stable for 100 ms (the
 * background thread finished preparing segments). */
static void
settle(wk_sim *sim)
{
    uint64_t last = wk_sim_mutation_count(sim);
    int stable = 0;
    for (int i = 0; i < 300 && stable < 10; i++) {
        usleep(10000);
        uint64_t now = wk_sim_mutation_count(sim);
        stable = now == last ? stable + 1 : 0;
        last = now;
    }
}

/* ---- segment files and payload search --------------------------------- */

typedef struct seg_names {
    char names[64][64];
    int n;
} seg_names;

static int
list_seg(void *arg, const char *name)
{
    seg_names *s = arg;
    if (strncmp(name, "seg-", 4) == 0 && s->n < 64)
        snprintf(s->names[s->n++], sizeof s->names[0], "%s", name);
    return 0;
}

static void
segments_of(wk_vfs *vfs, const char *dir, seg_names *s)
{
    memset(s, 0, sizeof *s);
    int rc = vfs->list(vfs, dir, list_seg, s);
    wkt_assert_ok(rc);
}

/* Finds the test payload (writer w, counter c) in the log's segment files:
 * path and offset of its first byte. Returns 0 when found. */
static int
find_payload(wko_run *r, uint32_t w, uint32_t c, char *path, size_t pn,
             uint64_t *off)
{
    uint8_t hdr[16];
    wko_payload(hdr, w, c, 16);
    const uint8_t *key = hdr; /* magic, writer, counter: 12 bytes */
    const size_t keylen = 12;
    seg_names s;
    segments_of(wko_vfs(r), wko_dir(r), &s);
    for (int i = 0; i < s.n; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", wko_dir(r), s.names[i]);
        size_t cap = 256 << 10, n = 0;
        uint8_t *buf = malloc(cap);
        assert_non_null(buf);
        int rc = wk_sim_peek(wko_sim(r), p, 0, buf, cap, &n);
        wkt_assert_ok(rc);
        for (size_t k = SEG_HDR; k + keylen <= n; k++) {
            if (memcmp(buf + k, key, keylen) == 0) {
                snprintf(path, pn, "%s", p);
                *off = k;
                free(buf);
                return 0;
            }
        }
        free(buf);
    }
    return -1;
}

/* ---- a simple recovered-entry collector ------------------------------- */

typedef struct got_list {
    uint32_t w[256], c[256];
    uint64_t lsn[256];
    int n;
    int bad;
} got_list;

static int
collect_fn(void *arg, const wk_log_entry *e)
{
    got_list *g = arg;
    uint8_t *buf = malloc(e->len ? e->len : 1);
    if (buf == NULL || wk_log_entry_read(e, 0, buf, e->len) != 0 ||
        e->len < 16) {
        g->bad++;
        free(buf);
        return 0;
    }
    uint32_t w = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 |
                 (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
    uint32_t c = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 |
                 (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
    uint8_t *exp = malloc(e->len);
    assert_non_null(exp);
    wko_payload(exp, w, c, (uint32_t)e->len);
    if (memcmp(exp, buf, e->len) != 0)
        g->bad++;
    free(exp);
    free(buf);
    if (g->n < 256) {
        g->w[g->n] = w;
        g->c[g->n] = c;
        g->lsn[g->n] = e->lsn;
        g->n++;
    }
    return 0;
}

static int
open_collect(wko_run *r, wk_recovery_policy pol, got_list *g, wk_log **out,
             wk_log_report *rep)
{
    wk_log_opts o;
    wko_opts(r, &o);
    o.recovery = pol;
    o.recover_fn = collect_fn;
    o.recover_arg = g;
    memset(g, 0, sizeof *g);
    memset(rep, 0, sizeof *rep);
    return wk_log_open(wko_dir(r), &o, out, rep);
}

/* ---- trace parsing ---------------------------------------------------- */

typedef struct tline {
    char op[16];
    char path[128];
    char path2[128];
    uint64_t off, len;
    int failed;
} tline;

/* Parses one trace line ("pwrite a/x 0+4096", "datasync a/x -> EIO"). */
static void
parse_line(const char *s, size_t n, tline *t)
{
    char line[512];
    if (n >= sizeof line)
        n = sizeof line - 1;
    memcpy(line, s, n);
    line[n] = '\0';
    memset(t, 0, sizeof *t);
    t->failed = strstr(line, " -> ") != NULL;
    char *arrow = strstr(line, " -> ");
    if (arrow != NULL)
        *arrow = '\0';
    char a[128] = "", b[128] = "";
    int k = sscanf(line, "%15s %127s %127s", t->op, a, b);
    if (k >= 2)
        snprintf(t->path, sizeof t->path, "%s", a);
    if (k >= 3) {
        unsigned long long o = 0, l = 0;
        if (sscanf(b, "%llu+%llu", &o, &l) == 2) {
            t->off = o;
            t->len = l;
        } else if (strcmp(t->op, "truncate") == 0) {
            t->off = strtoull(b, NULL, 10);
        } else {
            snprintf(t->path2, sizeof t->path2, "%s", b);
        }
    }
}

/* Calls fn for each line of the trace. */
static void
each_line(const char *trace, void (*fn)(void *, const tline *), void *arg)
{
    const char *p = trace;
    while (p != NULL && *p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        tline t;
        parse_line(p, n, &t);
        fn(arg, &t);
        p = e ? e + 1 : NULL;
    }
}

static int
is_seg(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    return strncmp(b, "seg-", 4) == 0;
}

/* ---- okaywal defect 1: an fsync error leaves every writer hanging ----- */

typedef struct eio_shared {
    wko_run *r;
    wk_log *log;
    pthread_barrier_t barrier;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int rc1[16], rc2[16];
    double dt[16];
} eio_shared;

typedef struct eio_arg {
    eio_shared *sh;
    int i;
} eio_arg;

static void *
eio_writer(void *p)
{
    eio_arg *a = p;
    eio_shared *sh = a->sh;
    int w = wko_writer(sh->r);
    pthread_barrier_wait(&sh->barrier);
    double t0 = now_s();
    sh->rc1[a->i] = wko_append(sh->r, sh->log, w, 64, WK_SYNC, NULL);
    sh->dt[a->i] = now_s() - t0;
    sh->rc2[a->i] = wko_append(sh->r, sh->log, w, 64, WK_SYNC, NULL);
    pthread_mutex_lock(&sh->mu);
    sh->done++;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

/* 16 writers waiting on a group commit whose fdatasync fails all return the
 * error promptly, and the log is poisoned afterwards. */
static void
test_sync_eio_wakes_every_writer(void **state)
{
    (void)state;
    static const wko_scenario sc = {
        .name = "eio_wakes", .segment_bytes = 1 << 20, .zero_fill = 1};
    wko_run *r = wko_run_new(&sc, 11);
    assert_non_null(r);
    wk_log_opts o;
    wko_opts(r, &o);
    o.max_batch_wait_us = 20000;
    wk_log *log = NULL;
    wkt_assert_ok(wko_open_opts(r, &o, &log));
    int w0 = wko_writer(r);
    wkt_assert_ok(wko_append(r, log, w0, 100, WK_SYNC, NULL));
    settle(wko_sim(r));
    wk_sim_fault(wko_sim(r), WK_SIM_OP_SYNC, 1, WK_SIM_FAULT_EIO);

    eio_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.r = r;
    sh.log = log;
    pthread_barrier_init(&sh.barrier, NULL, 16);
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.cv, NULL);
    pthread_t th[16];
    eio_arg args[16];
    for (int i = 0; i < 16; i++) {
        args[i] = (eio_arg){&sh, i};
        assert_int_equal(pthread_create(&th[i], NULL, eio_writer, &args[i]), 0);
    }
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    pthread_mutex_lock(&sh.mu);
    while (sh.done < 16)
        if (pthread_cond_timedwait(&sh.cv, &sh.mu, &dl) != 0)
            break;
    int done = sh.done;
    pthread_mutex_unlock(&sh.mu);
    if (done < 16) {
        fprintf(stderr,
                "log_regress: %d of 16 writers still hang 10 s after "
                "a failed fdatasync\n",
                16 - done);
        _exit(1);
    }
    for (int i = 0; i < 16; i++)
        pthread_join(th[i], NULL);
    assert_true(wk_sim_fault_fired(wko_sim(r)));
    int eio = 0;
    for (int i = 0; i < 16; i++) {
        if (sh.rc1[i] != -EIO && sh.rc1[i] != WK_EPOISONED)
            fail_msg("writer %d: first append returned %s, expected EIO or "
                     "WK_EPOISONED",
                     i, wk_errname(sh.rc1[i]));
        eio += sh.rc1[i] == -EIO;
        wkt_assert_rc(sh.rc2[i], WK_EPOISONED);
        if (sh.dt[i] > 5.0)
            fail_msg("writer %d waited %.1f s for its error", i, sh.dt[i]);
    }
    assert_true(eio >= 1);
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    assert_true(st.poisoned != 0);
    assert_true(wk_log_sync(log, 0) != 0);
    assert_true(strlen(wk_log_errmsg(log)) > 0);
    wko_close(r, log); /* returns the error; must free everything */
    pthread_barrier_destroy(&sh.barrier);
    pthread_mutex_destroy(&sh.mu);
    pthread_cond_destroy(&sh.cv);
    wkt_assert_ok(wk_sim_crash(wko_sim(r), 1, WK_SIM_KEEP_ALL));
    wkt_assert_ok(wko_recover_check(r, WK_RECOVER_TOLERATE_TORN_TAIL));
    fail_on_violations(r, "eio_wakes");
    wko_run_free(r);
}

/* ---- okaywal defect 2: recycled segment reused, no dir fsync before acks */

typedef struct dir_check {
    char pending[64][128]; /* names created/renamed since the last sync_dir */
    int npending;
    char framed[64][128]; /* segment files that got frame writes */
    int nframed;
    char bad[256];
    int renames;
} dir_check;

static int
in_set(char set[][128], int n, const char *p)
{
    for (int i = 0; i < n; i++)
        if (strcmp(set[i], p) == 0)
            return 1;
    return 0;
}

static void
dir_line(void *arg, const tline *t)
{
    dir_check *d = arg;
    if (t->failed)
        return;
    if (strcmp(t->op, "create") == 0 || strcmp(t->op, "rename") == 0) {
        const char *p = strcmp(t->op, "rename") == 0 ? t->path2 : t->path;
        if (strcmp(t->op, "rename") == 0 && is_seg(p))
            d->renames++;
        if (is_seg(p) && d->npending < 64 &&
            !in_set(d->pending, d->npending, p))
            snprintf(d->pending[d->npending++], 128, "%s", p);
    } else if (strcmp(t->op, "sync_dir") == 0) {
        d->npending = 0;
    } else if (strcmp(t->op, "pwrite") == 0 && is_seg(t->path) &&
               t->off >= SEG_HDR) {
        if (d->nframed < 64 && !in_set(d->framed, d->nframed, t->path))
            snprintf(d->framed[d->nframed++], 128, "%s", t->path);
    } else if ((strcmp(t->op, "datasync") == 0 || strcmp(t->op, "sync") == 0) &&
               is_seg(t->path)) {
        if (d->bad[0] == '\0' && in_set(d->framed, d->nframed, t->path) &&
            in_set(d->pending, d->npending, t->path))
            snprintf(d->bad, sizeof d->bad,
                     "%s synced with frames (an ack) while its directory "
                     "entry was not yet durable (no sync_dir since its "
                     "create/rename)",
                     t->path);
    }
}

/* A new run of sc (seeded) with its log opened in *log. */
static wko_run *
open_run(const wko_scenario *sc, uint64_t seed, wk_log **log)
{
    wko_run *r = wko_run_new(sc, seed);
    assert_non_null(r);
    wkt_assert_ok(wko_open(r, log));
    return r;
}

/* Opens the log, runs body(r, log, a new writer), then cuts the power at
 * once, the log still open (its close meets a frozen disk); returns the
 * open's or body's error. */
static int
run_then_cut(wko_run *r, int (*body)(wko_run *, wk_log *, int))
{
    wk_log *log = NULL;
    int rc = wko_open(r, &log);
    if (rc != 0)
        return rc;
    rc = body(r, log, wko_writer(r));
    wk_sim_crash_after(wko_sim(r), 0);
    wko_close(r, log);
    return rc;
}

static int
recycle_workload(wko_run *r, wk_log *log, int w)
{
    int rc = 0;
    uint64_t lsn = 0;
    for (int phase = 0; phase < 3 && rc == 0; phase++) {
        for (int i = 0; i < 24 && rc == 0; i++)
            rc = wko_append(r, log, w, 6000 + (size_t)i * 10, WK_SYNC, &lsn);
        if (rc == 0 && phase < 2) {
            rc = wk_log_checkpoint(log);
            if (rc == 0)
                rc = wk_log_wait_checkpointed(log, lsn, 5000);
        }
    }
    /* (run_then_cut cuts the power right after the last ack.) */
    return rc;
}

/* Recycled and new segments get their directory entries made durable before
 * any entry in them is acknowledged: losing every unsynced name operation at
 * a crash loses no acknowledged entry. */
static void
test_recycled_segment_dir_synced_before_ack(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "recycle_dirsync",
                                    .zero_fill = 1,
                                    .checkpoint = 1,
                                    .recycle_pool = 2,
                                    .trace = 1};
    static const int pols[] = {WK_SIM_LOSE_DIR_OPS, WK_SIM_DROP_ALL,
                               WK_SIM_TEAR};
    for (int k = 0; k < 3; k++) {
        wko_run *r = wko_run_new(&sc, 21 + (uint64_t)k);
        assert_non_null(r);
        wkt_assert_ok(run_then_cut(r, recycle_workload));
        dir_check d;
        memset(&d, 0, sizeof d);
        each_line(wk_sim_trace(wko_sim(r)), dir_line, &d);
        if (d.bad[0])
            fail_msg("%s", d.bad);
        assert_true(d.nframed >= 3); /* the workload did rotate */
        wkt_assert_ok(wk_sim_crash(wko_sim(r), 5, pols[k]));
        wko_check_after_crash(r, WK_SIM_KEEP_RANDOM, 77);
        fail_on_violations(r, "recycle_dirsync");
        wko_run_free(r);
    }
}

/* ---- okaywal defect 3: a torn entry whose end survived ----------------- */

typedef enum torn_kind {
    TORN_GARBAGE_MID,  /* middle frame's payload garbage, last frame intact */
    TORN_ZERO_HEADER,  /* middle frame's first sector never written */
    TORN_STREAM_CHUNK, /* a streamed entry's chunk torn, its COMMIT intact */
} torn_kind;

/* Builds: 3 durable single-entry batches, then one batch A, B, C (or A,
 * stream S, C); plants the tear in B (or S); returns the writer. */
static int
torn_setup(wko_run *r, torn_kind kind, int *writer)
{
    wk_log *log = NULL;
    wkt_assert_ok(wko_open(r, &log));
    int w = wko_writer(r);
    *writer = w;
    for (int i = 0; i < 3; i++)
        wkt_assert_ok(wko_append(r, log, w, 300 + (size_t)i, WK_SYNC, NULL));
    wkt_assert_ok(wko_append(r, log, w, 800, 0, NULL)); /* A: c3 */
    if (kind == TORN_STREAM_CHUNK)
        wkt_assert_ok(wko_stream(r, log, w, 20000, 4000, 0, 0, NULL, NULL,
                                 NULL)); /* S: c4 */
    else
        wkt_assert_ok(wko_append(r, log, w, 800, 0, NULL)); /* B: c4 */
    wkt_assert_ok(wko_append(r, log, w, 800, 0, NULL));     /* C: c5 */
    wkt_assert_ok(wko_sync(r, log, 0));
    wkt_assert_ok(wko_close(r, log));

    char path[128];
    uint64_t off = 0;
    wkt_assert_ok(find_payload(r, (uint32_t)w, 4, path, sizeof path, &off));
    uint8_t junk[512];
    if (kind == TORN_ZERO_HEADER) {
        memset(junk, 0, sizeof junk);
        /* The frame header (24 bytes before a FULL frame's payload) and the
         * start of the payload read as zeros: a sector never written. */
        wkt_assert_ok(wk_sim_poke(wko_sim(r), path, off - FRAME_HDR, junk,
                                  FRAME_HDR + 200));
    } else {
        wkt_fill(junk, sizeof junk, 99);
        wkt_assert_ok(wk_sim_poke(wko_sim(r), path, off + 200, junk, 64));
    }
    return 0;
}

/* A torn middle entry whose later frames of the same (unacknowledged) batch
 * survived opens as a torn tail, not as corruption, recovers exactly the
 * entries before it, and accepts new appends that survive a reopen. */
static void
test_torn_entry_with_surviving_end_opens(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "torn_end", .zero_fill = 1};
    static const torn_kind kinds[] = {TORN_GARBAGE_MID, TORN_ZERO_HEADER,
                                      TORN_STREAM_CHUNK};
    static const char *const kname[] = {"garbage mid-frame", "zeroed header",
                                        "torn stream chunk"};
    for (int k = 0; k < 3; k++) {
        wko_run *r = wko_run_new(&sc, 31 + (uint64_t)k);
        assert_non_null(r);
        int w = 0;
        torn_setup(r, kinds[k], &w);
        /* verify: a torn tail is not corruption. */
        wk_log_report rep;
        int rc = wk_log_verify(wko_dir(r), wko_vfs(r), &rep);
        if (rc != 0)
            fail_msg("%s: verify = %s (%u corruptions), expected 0 (torn "
                     "tail)",
                     kname[k], wk_errname(rc), rep.corruptions);
        got_list g;
        wk_log *log = NULL;
        rc = open_collect(r, WK_RECOVER_TOLERATE_TORN_TAIL, &g, &log, &rep);
        if (rc != 0)
            fail_msg("%s: open = %s: the log is unopenable (okaywal defect)",
                     kname[k], wk_errname(rc));
        assert_int_equal(g.bad, 0);
        if (g.n != 4)
            fail_msg("%s: recovered %d entries, expected the 4 before the "
                     "torn one",
                     kname[k], g.n);
        for (int i = 0; i < 4; i++)
            assert_int_equal(g.c[i], i);
        assert_true(rep.torn_bytes > 0);
        /* A new entry after the truncated tail survives a reopen. */
        uint8_t buf[200];
        wko_payload(buf, (uint32_t)w, 1000, sizeof buf);
        uint64_t lsn = 0;
        wkt_assert_ok(wk_log_append(log, buf, sizeof buf, WK_SYNC, &lsn));
        assert_true(lsn > g.lsn[3]);
        wkt_assert_ok(wk_log_close(log));
        wkt_assert_ok(wk_sim_crash(wko_sim(r), 3, WK_SIM_DROP_ALL));
        rc = open_collect(r, WK_RECOVER_ABSOLUTE, &g, &log, &rep);
        if (rc != 0)
            fail_msg("%s: reopen after the new append = %s (even ABSOLUTE "
                     "must open: the torn tail was truncated)",
                     kname[k], wk_errname(rc));
        assert_int_equal(g.n, 5);
        assert_int_equal(g.c[4], 1000);
        assert_int_equal(g.lsn[4], lsn);
        wkt_assert_ok(wk_log_close(log));
        wko_run_free(r);
    }
}

/* ---- okaywal defect 4: bytes left by rollback / recycling come back --- */

static int
rollback_recycle_workload(wko_run *r, wk_log *log, int w)
{
    uint64_t lsn = 0;
    int rc = wko_stream(r, log, w, 40000, 9000, WK_SYNC, 1, NULL, NULL, NULL);
    for (int i = 0; i < 14 && rc == 0; i++)
        rc = wko_append(r, log, w, 5000 + (size_t)i, WK_SYNC, &lsn);
    if (rc == 0)
        rc = wko_stream(r, log, w, 30000, 7000, 0, 1, NULL, NULL, NULL);
    if (rc == 0)
        rc = wko_sync(r, log, 0);
    if (rc == 0)
        rc = wk_log_checkpoint(log);
    if (rc == 0)
        rc = wk_log_wait_checkpointed(log, lsn, 5000);
    /* New lap: a few small entries at the start of recycled segments. */
    for (int i = 0; i < 8 && rc == 0; i++)
        rc = wko_append(r, log, w, 9000 + (size_t)i, WK_SYNC, NULL);
    if (rc == 0)
        rc = wko_stream(r, log, w, 20000, 5000, WK_SYNC, 1, NULL, NULL, NULL);
    return rc;
}

/* Frames of rolled-back streams and of a recycled segment's previous lap
 * never come back as entries, whatever the crash. */
static void
test_rollback_and_recycled_bytes_never_return(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "stale_bytes",
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .recycle_pool = 4};
    for (int p = 0; p < WK_SIM_POLICY_COUNT; p++) {
        wko_run *r = wko_run_new(&sc, 41 + (uint64_t)p);
        assert_non_null(r);
        wkt_assert_ok(run_then_cut(r, rollback_recycle_workload));
        wkt_assert_ok(wk_sim_crash(wko_sim(r), 9 + (uint64_t)p, p));
        wko_check_after_crash(r, (p + 2) % WK_SIM_POLICY_COUNT, 5);
        fail_on_violations(r, "stale_bytes");
        wko_run_free(r);
    }
}

/* ---- okaywal defect 5: writers hold the file for a whole entry -------- */

typedef struct side_append {
    wko_run *r;
    wk_log *log;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int rc;
} side_append;

static void *
side_thread(void *p)
{
    side_append *s = p;
    int w = wko_writer(s->r);
    int rc = wko_append(s->r, s->log, w, 500, WK_SYNC, NULL);
    pthread_mutex_lock(&s->mu);
    s->rc = rc;
    s->done = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* A stream left open between chunks does not block another thread's
 * WK_SYNC append: it completes while the stream is still open. */
static void
test_open_stream_does_not_block_writers(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "stream_nonblocking",
                                    .zero_fill = 1};
    wk_log *log = NULL;
    wko_run *r = open_run(&sc, 51, &log);
    wk_log_stream *s = NULL;
    wkt_assert_ok(wk_log_stream_begin(log, &s));
    uint8_t buf[40000];
    wko_payload(buf, 9999, 0, sizeof buf);
    wkt_assert_ok(wk_log_stream_write(s, buf, 20000)); /* a chunk out */

    side_append sa;
    memset(&sa, 0, sizeof sa);
    sa.r = r;
    sa.log = log;
    pthread_mutex_init(&sa.mu, NULL);
    pthread_cond_init(&sa.cv, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, side_thread, &sa), 0);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 3;
    pthread_mutex_lock(&sa.mu);
    while (!sa.done)
        if (pthread_cond_timedwait(&sa.cv, &sa.mu, &dl) != 0)
            break;
    int done = sa.done;
    pthread_mutex_unlock(&sa.mu);
    if (!done) {
        fprintf(stderr, "log_regress: a WK_SYNC append is blocked by an open "
                        "stream for 3 s\n");
        _exit(1);
    }
    pthread_join(th, NULL);
    wkt_assert_ok(sa.rc);
    wkt_assert_ok(wk_log_stream_write(s, buf + 20000, 20000));
    wk_log_stream_rollback(s);
    wkt_assert_ok(wko_close(r, log));
    wkt_assert_ok(wk_sim_crash(wko_sim(r), 2, WK_SIM_DROP_ALL));
    wkt_assert_ok(wko_recover_check(r, WK_RECOVER_TOLERATE_TORN_TAIL));
    assert_int_equal(wko_acked(r), 1);
    fail_on_violations(r, "stream_nonblocking");
    pthread_mutex_destroy(&sa.mu);
    pthread_cond_destroy(&sa.cv);
    wko_run_free(r);
}

/* ---- okaywal defect 6: 1 MiB entries force a rotation each ------------ */

static int
count_segs_posix(void *arg, const char *name)
{
    int *n = arg;
    if (strncmp(name, "seg-", 4) == 0)
        (*n)++;
    return 0;
}

static int
count_fn(void *arg, const wk_log_entry *e)
{
    int *n = arg;
    if (e->len == 1 << 20)
        (*n)++;
    return 0;
}

/* With default 64 MiB segments, 100 durable 1 MiB entries use about two
 * segments (not one rotation per entry). Real disk, posix backend. */
static void
test_1mib_entries_share_segments(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("log1mib");
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/log", dir);
    wk_log_opts o;
    wk_log_opts_init(&o);
    o.zero_fill = 0; /* keep the test's disk traffic at ~100 MiB */
    wk_log *log = NULL;
    wkt_assert_ok(wk_log_open(path, &o, &log, NULL));
    size_t len = 1 << 20;
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    wkt_fill(buf, len, 5);
    int n = 100;
    for (int i = 0; i < n; i++) {
        buf[0] = (uint8_t)i;
        wkt_assert_ok(wk_log_append(log, buf, len, WK_SYNC, NULL));
    }
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    free(buf);
    int files = 0;
    wk_vfs *vfs = wk_vfs_posix();
    wkt_assert_ok(vfs->list(vfs, path, count_segs_posix, &files));
    printf("log_regress: 100 x 1 MiB entries: %u live segments, %d segment "
           "files, %llu batches\n",
           st.segments, files, (unsigned long long)st.batches);
    if (st.segments > 3 || files > 4)
        fail_msg("100 x 1 MiB entries used %u live segments / %d files; "
                 "expected ~2 (100 MiB in 64 MiB segments)",
                 st.segments, files);
    assert_true(st.segments >= 2);
    wkt_assert_ok(wk_log_close(log));
    /* Everything reads back. */
    int count = 0;
    o.recover_fn = count_fn;
    o.recover_arg = &count;
    wkt_assert_ok(wk_log_open(path, &o, &log, NULL));
    wkt_assert_ok(wk_log_close(log));
    assert_int_equal(count, n);
    wkt_tmpdir_remove(dir);
}

/* ---- generic: fsync never retried after EIO --------------------------- */

typedef struct retry_check {
    char failed[128];
    int after_fail_syncs;
} retry_check;

static void
retry_line(void *arg, const tline *t)
{
    retry_check *c = arg;
    int is_sync = strcmp(t->op, "datasync") == 0 || strcmp(t->op, "sync") == 0;
    if (!is_sync)
        return;
    if (c->failed[0] == '\0') {
        if (t->failed)
            snprintf(c->failed, sizeof c->failed, "%s", t->path);
        return;
    }
    if (strcmp(t->path, c->failed) == 0)
        c->after_fail_syncs++;
}

/* After an fdatasync of a segment fails with EIO the log never syncs that
 * file again (a retry would falsely succeed), and every later mutation
 * returns WK_EPOISONED; reopening recovers every acknowledged entry. */
static void
test_fsync_never_retried_after_eio(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "no_fsync_retry",
                                    .segment_bytes = 1 << 20,
                                    .zero_fill = 1,
                                    .trace = 1};
    wk_log *log = NULL;
    wko_run *r = open_run(&sc, 61, &log);
    int w = wko_writer(r);
    for (int i = 0; i < 3; i++)
        wkt_assert_ok(wko_append(r, log, w, 200, WK_SYNC, NULL));
    settle(wko_sim(r));
    wk_sim_trace_clear(wko_sim(r));
    wk_sim_fault(wko_sim(r), WK_SIM_OP_SYNC, 1, WK_SIM_FAULT_EIO);
    int rc = wko_append(r, log, w, 200, WK_SYNC, NULL);
    wkt_assert_rc(rc, -EIO);
    wkt_assert_rc(wko_append(r, log, w, 200, WK_SYNC, NULL), WK_EPOISONED);
    wkt_assert_rc(wko_append(r, log, w, 200, 0, NULL), WK_EPOISONED);
    rc = wk_log_sync(log, 0);
    assert_true(rc == WK_EPOISONED || rc == -EIO);
    wk_log_stream *s = NULL;
    rc = wk_log_stream_begin(log, &s);
    if (rc == 0) {
        uint8_t b[100] = {0};
        rc = wk_log_stream_write(s, b, sizeof b);
        if (rc == 0)
            rc = wk_log_stream_commit(s, WK_SYNC, NULL);
        else
            wk_log_stream_rollback(s);
    }
    wkt_assert_rc(rc, WK_EPOISONED);
    usleep(50000); /* let the background thread do whatever it would */
    assert_true(wko_close(r, log) != 0);
    retry_check c;
    memset(&c, 0, sizeof c);
    each_line(wk_sim_trace(wko_sim(r)), retry_line, &c);
    assert_true(c.failed[0] != '\0');
    if (c.after_fail_syncs != 0)
        fail_msg("%s was synced %d more time(s) after its fdatasync failed "
                 "with EIO (fsync retried)",
                 c.failed, c.after_fail_syncs);
    wkt_assert_ok(wk_sim_crash(wko_sim(r), 4, WK_SIM_KEEP_ALL));
    wkt_assert_ok(wko_recover_check(r, WK_RECOVER_TOLERATE_TORN_TAIL));
    fail_on_violations(r, "no_fsync_retry");
    wko_run_free(r);
}

/* A batch whose fdatasync failed (EIO) stays readable in the page cache
 * but is not durable (its pages were marked clean). A reopen in the same
 * boot recovers it, so it must make it durable before writing anything
 * after it: otherwise a later power cut loses the batch but keeps what
 * follows, and the log no longer opens (WK_ECORRUPT). */
static void
test_eio_batch_made_durable_before_reuse(void **state)
{
    (void)state;
    static const wko_scenario sc = {
        .name = "eio_then_reopen", .segment_bytes = 1 << 20, .zero_fill = 1};
    wk_log *log = NULL;
    wko_run *r = open_run(&sc, 62, &log);
    int w = wko_writer(r);
    for (int i = 0; i < 3; i++)
        wkt_assert_ok(wko_append(r, log, w, 200, WK_SYNC, NULL));
    settle(wko_sim(r));
    wk_sim_fault(wko_sim(r), WK_SIM_OP_SYNC, 1, WK_SIM_FAULT_EIO);
    wkt_assert_rc(wko_append(r, log, w, 200, WK_SYNC, NULL), -EIO);
    assert_true(wko_close(r, log) != 0);
    /* The same boot: reopen, append durably, close cleanly. */
    wkt_assert_ok(wko_open(r, &log));
    for (int i = 0; i < 3; i++)
        wkt_assert_ok(wko_append(r, log, w, 200, WK_SYNC, NULL));
    wkt_assert_ok(wko_close(r, log));
    /* Then a power cut. */
    wkt_assert_ok(wk_sim_crash(wko_sim(r), 5, WK_SIM_DROP_ALL));
    wkt_assert_ok(wko_recover_check(r, WK_RECOVER_TOLERATE_TORN_TAIL));
    fail_on_violations(r, "eio_then_reopen");
    wko_run_free(r);
}

/* ---- generic: torn tail truncated durably before the next append ------ */

typedef struct trunc_check {
    char created[16][128]; /* files created during the trace: not the tail */
    int ncreated;
    char file[128];
    uint64_t torn_off, torn_end;
    int stage;        /* 0: before invalidation, 1: invalidated, 2: synced */
    int frame_before; /* a frame write before the invalidation was durable */
    int new_frames;   /* frame writes after it */
    char first_bad[200];
} trunc_check;

static void
trunc_line(void *arg, const tline *t)
{
    trunc_check *c = arg;
    if (t->failed)
        return;
    int on_file = strcmp(t->path, c->file) == 0;
    if (strcmp(t->op, "create") == 0 && c->ncreated < 16) {
        snprintf(c->created[c->ncreated++], 128, "%s", t->path);
        return;
    }
    if (in_set(c->created, c->ncreated, t->path))
        return; /* a new segment being prepared (zero-fill) */
    if (strcmp(t->op, "pwrite") == 0 && is_seg(t->path) && t->off >= SEG_HDR) {
        int overlaps =
            on_file && t->off < c->torn_end && t->off + t->len > c->torn_off;
        if (c->stage == 0 && overlaps) {
            c->stage = 1; /* the invalidating write */
        } else if (c->stage < 2) {
            if (!(on_file && overlaps) && !c->frame_before) {
                c->frame_before = 1;
                snprintf(c->first_bad, sizeof c->first_bad,
                         "pwrite %s %llu+%llu", t->path,
                         (unsigned long long)t->off,
                         (unsigned long long)t->len);
            }
        } else {
            c->new_frames++;
        }
    } else if (strcmp(t->op, "truncate") == 0 && on_file &&
               t->off <= c->torn_off && c->stage == 0) {
        c->stage = 1;
    } else if ((strcmp(t->op, "datasync") == 0 || strcmp(t->op, "sync") == 0) &&
               on_file && c->stage == 1) {
        c->stage = 2;
    }
}

/* Recovery invalidates a torn tail (zeroing write or truncate, then an
 * fdatasync of that segment) before the first new frame is written. */
static void
test_torn_tail_truncated_before_next_append(void **state)
{
    (void)state;
    static const wko_scenario sc = {
        .name = "torn_truncate", .zero_fill = 1, .trace = 1};
    wko_run *r = wko_run_new(&sc, 71);
    assert_non_null(r);
    int w = 0;
    torn_setup(r, TORN_GARBAGE_MID, &w);
    wk_sim_trace_clear(wko_sim(r));
    got_list g;
    wk_log *log = NULL;
    wk_log_report rep;
    int rc = open_collect(r, WK_RECOVER_TOLERATE_TORN_TAIL, &g, &log, &rep);
    wkt_assert_ok(rc);
    assert_true(rep.torn_bytes > 0);
    uint8_t buf[300];
    wko_payload(buf, (uint32_t)w, 2000, sizeof buf);
    wkt_assert_ok(wk_log_append(log, buf, sizeof buf, WK_SYNC, NULL));
    trunc_check c;
    memset(&c, 0, sizeof c);
    snprintf(c.file, sizeof c.file, "%s/%s", wko_dir(r), rep.torn_file);
    c.torn_off = rep.torn_offset;
    c.torn_end = rep.torn_offset + (rep.torn_bytes ? rep.torn_bytes : 1);
    each_line(wk_sim_trace(wko_sim(r)), trunc_line, &c);
    if (c.stage < 2)
        fail_msg("torn tail at %s+%llu (%llu bytes) was %s before the new "
                 "append was acknowledged",
                 c.file, (unsigned long long)c.torn_off,
                 (unsigned long long)rep.torn_bytes,
                 c.stage == 0 ? "never invalidated"
                              : "invalidated but never synced");
    if (c.frame_before)
        fail_msg("a frame was written (%s) before the torn tail's "
                 "invalidation was durable",
                 c.first_bad);
    assert_true(c.new_frames >= 1);
    wkt_assert_ok(wk_log_close(log));
    wko_run_free(r);
}

/* ---- reads: the iterator never yields an entry it cannot read -------- */

static int
fill_between(wko_run *r, void *arg, int chunk)
{
    wko_between_arg *f = arg;
    int rc = 0;
    for (int i = 0; chunk == 0 && i < 4 && rc == 0; i++) {
        rc = wko_append(r, f->log, f->writer, 15000, WK_SYNC, &f->lsn);
    }
    return rc;
}

/* Streams 130000 bytes in 65000-byte chunks (a new writer), fill_between
 * appending writer w's entries between the chunks; returns the COMMIT's
 * LSN. */
static uint64_t
spanning_stream(wko_run *r, wk_log *log, int w)
{
    wko_between_arg fa = {log, w, 0};
    uint64_t commit = 0;
    wkt_assert_ok(wko_stream(r, log, wko_writer(r), 130000, 65000, WK_SYNC, 0,
                             fill_between, &fa, &commit));
    return commit;
}

/* Iterates from 0 reading and checking every entry's bytes; describes the
 * first problem in why. */
static void
iterate_all(wk_log *log, char *why, size_t wn)
{
    wk_log_iter *it = NULL;
    wkt_assert_ok(wk_log_iter_open(log, 0, &it));
    for (;;) {
        wk_log_entry e;
        int rc = wk_log_iter_next(it, &e, 0);
        if (rc == WK_ENOTFOUND)
            break;
        wkt_assert_ok(rc);
        uint8_t *buf = malloc(e.len ? e.len : 1);
        assert_non_null(buf);
        rc = wk_log_entry_read(&e, 0, buf, e.len);
        int good = 0;
        if (rc == 0 && e.len >= 16) {
            uint32_t w = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 |
                         (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
            uint32_t c = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 |
                         (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
            uint8_t *exp = malloc(e.len);
            assert_non_null(exp);
            wko_payload(exp, w, c, (uint32_t)e.len);
            good = memcmp(exp, buf, e.len) == 0;
            free(exp);
        }
        free(buf);
        if (getenv("WKT_VERBOSE") != NULL)
            printf("  iterator: lsn %llu len %llu%s -> %s%s\n",
                   (unsigned long long)e.lsn, (unsigned long long)e.len,
                   e.data ? "" : " (streamed)", wk_errname(rc),
                   rc == 0 && !good ? " WITH WRONG BYTES" : "");
        if ((rc != 0 || !good) && why[0] == '\0')
            snprintf(why, wn,
                     "returned lsn %llu (len %llu) and reading it gives %s",
                     (unsigned long long)e.lsn, (unsigned long long)e.len,
                     rc != 0 ? wk_errname(rc)
                             : "success with bytes that are not the entry's");
    }
    wk_log_iter_close(it);
}

/* A checkpointed streamed entry whose chunks lived in a since-recycled
 * segment, while its COMMIT frame sits in a live one: an iterator from 0
 * ("the oldest retained") must not hand it out unreadable, nor, once the
 * recycled segment is reused, readable with another entry's bytes. */
static void
test_iterator_from_oldest_yields_readable_entries(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "iter_recycled_chunks",
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .recycle_pool = 8};
    wk_log *log = NULL;
    wko_run *r = open_run(&sc, 81, &log);
    int w = wko_writer(r);
    /* Chunks are ~60 KiB here (a segment's room): chunk 0 fills segment 1;
     * between the chunks four 15000-byte entries fill segment 2; chunk 1
     * and the COMMIT go to segment 3. A checkpoint past the commit then
     * recycles segments 1 and 2 while segment 3 (with the COMMIT) lives. */
    uint64_t commit = spanning_stream(r, log, w), lsn = 0;
    wkt_assert_ok(wko_append(r, log, w, 500, WK_SYNC, &lsn));
    wkt_assert_ok(wk_log_checkpoint(log));
    wkt_assert_ok(wk_log_wait_checkpointed(log, lsn, 5000));
    wkt_assert_ok(wko_append(r, log, w, 500, WK_SYNC, &lsn));
    /* Reopen (the iterator of a recovered handle) and checkpoint again. */
    wkt_assert_ok(wko_close(r, log));
    wkt_assert_ok(wko_open(r, &log));
    wkt_assert_ok(wko_append(r, log, w, 500, WK_SYNC, &lsn));
    wkt_assert_ok(wk_log_checkpoint(log));
    wkt_assert_ok(wk_log_wait_checkpointed(log, lsn, 5000));
    wk_log_stats stt;
    wk_log_stats_get(log, &stt);
    if (getenv("WKT_VERBOSE") != NULL)
        printf("iter_recycled_chunks: commit %llu, checkpointed %llu, %u live "
               "segments, %u recycled\n",
               (unsigned long long)commit,
               (unsigned long long)stt.checkpointed_lsn, stt.segments,
               stt.recycled);
    char why1[300] = "", why2[300] = "";
    iterate_all(log, why1, sizeof why1);
    /* Reuse the recycled segments: the chunk's old slot gets new bytes. */
    for (int i = 0; i < 18; i++)
        wkt_assert_ok(wko_append(r, log, w, 15000, WK_SYNC, NULL));
    iterate_all(log, why2, sizeof why2);
    wkt_assert_ok(wko_close(r, log));
    fail_on_violations(r, "iter_recycled_chunks");
    wko_run_free(r);
    if (why1[0] || why2[0])
        fail_msg("iterator from 0 (checkpointed up to %llu, stream committed "
                 "at %llu): %s%s%s",
                 (unsigned long long)stt.checkpointed_lsn,
                 (unsigned long long)commit, why1, why1[0] ? "; " : "",
                 why2[0] ? why2 : "after reuse: ok");
}

/* A power cut in the middle of recycling the segments a checkpoint freed
 * (the segment holding a stream's chunks already rewritten FREE, the one
 * holding its COMMIT not yet): after recovery, an iterator from 0 must not
 * hand out that entry unreadable or, once the freed segment is reused,
 * with another entry's bytes. */
static void
test_iterator_after_crash_mid_recycling(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "iter_crash_mid_recycle",
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .recycle_pool = 8};
    int found = 0;
    char why[1024] = "";
    /* Cut after 1..12 mutations of the checkpoint: one of them lands
     * between the recycling of the two segments. */
    for (int cut = 1; cut <= 12; cut++) {
        wk_log *log = NULL;
        wko_run *r = open_run(&sc, 91 + (uint64_t)cut, &log);
        int w = wko_writer(r);
        uint64_t commit = spanning_stream(r, log, w), lsn = 0;
        for (int i = 0; i < 6; i++) /* move the tail past the COMMIT's */
            wkt_assert_ok(wko_append(r, log, w, 15000, WK_SYNC, &lsn));
        settle(wko_sim(r));
        wk_sim_crash_after(wko_sim(r), cut);
        if (wk_log_checkpoint(log) == 0)
            (void)wk_log_wait_checkpointed(log, lsn, 2000);
        wk_sim_crash_after(wko_sim(r), 0);
        wko_close(r, log);
        wkt_assert_ok(wk_sim_crash(wko_sim(r), 1, WK_SIM_KEEP_ALL));
        wkt_assert_ok(wko_open(r, &log));
        char w1[300] = "", w2[300] = "";
        iterate_all(log, w1, sizeof w1);
        for (int i = 0; i < 18; i++)
            wkt_assert_ok(wko_append(r, log, w, 15000, WK_SYNC, NULL));
        iterate_all(log, w2, sizeof w2);
        wkt_assert_ok(wko_close(r, log));
        fail_on_violations(r, "iter_crash_mid_recycle");
        wko_run_free(r);
        if ((w1[0] || w2[0]) && !found) {
            found = 1;
            snprintf(why, sizeof why,
                     "cut after %d mutations of the "
                     "checkpoint, stream committed at %llu: %s%s%s",
                     cut, (unsigned long long)commit, w1,
                     w1[0] && w2[0] ? "; after reuse: " : "", w2);
        }
    }
    if (found)
        fail_msg("iterator from 0 after recovery: %s", why);
}

/* Reopening with a smaller max_entry_bytes than the log was written with
 * never discards (or truncates as a torn tail) the larger entries already
 * acknowledged: either they are all recovered or the open fails without
 * destroying them. */
static void
test_reopen_with_smaller_max_entry_keeps_entries(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "smaller_max_entry",
                                    .zero_fill = 1,
                                    .max_entry_bytes = 16 << 10};
    wk_log *log = NULL;
    wko_run *r = open_run(&sc, 101, &log);
    int w = wko_writer(r);
    for (int i = 0; i < 3; i++)
        wkt_assert_ok(wko_append(r, log, w, 15000, WK_SYNC, NULL));
    wkt_assert_ok(wko_append(r, log, w, 300, WK_SYNC, NULL));
    wkt_assert_ok(wko_close(r, log));
    wk_log_opts o;
    wko_opts(r, &o);
    o.max_entry_bytes = 4096;
    got_list g;
    memset(&g, 0, sizeof g);
    o.recover_fn = collect_fn;
    o.recover_arg = &g;
    wk_log_report rep;
    int rc = wk_log_open(wko_dir(r), &o, &log, &rep);
    if (rc == 0) {
        wk_log_close(log);
        if (g.n != 4 || g.bad)
            fail_msg("reopen with max_entry_bytes 4096 recovered %d of the 4 "
                     "acknowledged entries (%d bad; torn bytes %llu)",
                     g.n, g.bad, (unsigned long long)rep.torn_bytes);
    }
    /* Whatever that open did, the entries are still all there. */
    got_list g2;
    wk_log *l2 = NULL;
    wkt_assert_ok(
        open_collect(r, WK_RECOVER_TOLERATE_TORN_TAIL, &g2, &l2, &rep));
    wk_log_close(l2);
    if (g2.n != 4)
        fail_msg("after an open with max_entry_bytes 4096 (%s), %d of the 4 "
                 "acknowledged entries are left",
                 wk_errname(rc), g2.n);
    wko_run_free(r);
}

/* A log reopened with another segment_bytes (segments of both sizes, then
 * recycled across sizes) keeps every acknowledged entry, across crashes. */
static void
test_reopen_with_other_segment_size(void **state)
{
    (void)state;
    static const wko_scenario sc = {.name = "segment_sizes",
                                    .zero_fill = 0,
                                    .checkpoint = 1,
                                    .recycle_pool = 4};
    static const uint64_t sizes[] = {64 << 10, 192 << 10, 64 << 10, 128 << 10};
    for (int p = 0; p < WK_SIM_POLICY_COUNT; p++) {
        wko_run *r = wko_run_new(&sc, 111 + (uint64_t)p);
        assert_non_null(r);
        for (int round = 0; round < 4; round++) {
            wk_log_opts o;
            wko_opts(r, &o);
            o.segment_bytes = sizes[round];
            wk_log *log = NULL;
            wkt_assert_ok(wko_open_opts(r, &o, &log));
            int w = wko_writer(r);
            uint64_t lsn = 0;
            for (int i = 0; i < 24; i++)
                wkt_assert_ok(wko_append(r, log, w, 5000 + (size_t)i * 37,
                                         i % 3 ? WK_SYNC : 0, &lsn));
            wkt_assert_ok(wko_sync(r, log, 0));
            if (round == 1 || round == 3) {
                wkt_assert_ok(wk_log_checkpoint(log));
                wkt_assert_ok(wk_log_wait_checkpointed(log, lsn, 5000));
            }
            wkt_assert_ok(wko_close(r, log));
        }
        wkt_assert_ok(wk_sim_crash(wko_sim(r), 3, p));
        wko_check_after_crash(r, (p + 3) % WK_SIM_POLICY_COUNT, 17);
        fail_on_violations(r, "segment_sizes");
        wko_run_free(r);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync_eio_wakes_every_writer,
                                        setup_watchdog, teardown_watchdog),
        cmocka_unit_test_setup_teardown(
            test_recycled_segment_dir_synced_before_ack, setup_watchdog,
            teardown_watchdog),
        cmocka_unit_test_setup_teardown(
            test_torn_entry_with_surviving_end_opens, setup_watchdog,
            teardown_watchdog),
        cmocka_unit_test_setup_teardown(
            test_rollback_and_recycled_bytes_never_return, setup_watchdog,
            teardown_watchdog),
        cmocka_unit_test_setup_teardown(test_open_stream_does_not_block_writers,
                                        setup_watchdog, teardown_watchdog),
        cmocka_unit_test_setup_teardown(test_1mib_entries_share_segments,
                                        setup_watchdog, teardown_watchdog),
        cmocka_unit_test_setup_teardown(
            test_eio_batch_made_durable_before_reuse, setup_watchdog,
            teardown_watchdog),
        cmocka_unit_test_setup_teardown(test_fsync_never_retried_after_eio,
                                        setup_watchdog, teardown_watchdog),
        cmocka_unit_test_setup_teardown(
            test_torn_tail_truncated_before_next_append, setup_watchdog,
            teardown_watchdog),
        cmocka_unit_test_setup_teardown(
            test_iterator_from_oldest_yields_readable_entries, setup_watchdog,
            teardown_watchdog),
        cmocka_unit_test_setup_teardown(test_iterator_after_crash_mid_recycling,
                                        setup_watchdog, teardown_watchdog),
        cmocka_unit_test_setup_teardown(
            test_reopen_with_smaller_max_entry_keeps_entries, setup_watchdog,
            teardown_watchdog),
        cmocka_unit_test_setup_teardown(test_reopen_with_other_segment_size,
                                        setup_watchdog, teardown_watchdog),
    };
    return cmocka_run_group_tests_name("log_regress", tests, NULL, NULL);
}
