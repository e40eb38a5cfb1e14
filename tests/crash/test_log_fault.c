/* wk_log fault loops. For every N, the N-th vfs call (of any kind, or the
 * N-th sync, or the N-th pwrite) fails with EIO, ENOSPC or a short write
 * while a workload opens the log, appends, syncs, checkpoints, rotates and
 * streams. Checks: no hang (watchdog), the error reaches a caller, the log
 * is poisoned after a failed write/sync (later appends: WK_EPOISONED), close
 * frees everything (no leak), and after a power cut (KEEP_ALL and DROP_ALL)
 * reopening recovers a valid prefix holding every acknowledged entry; also
 * when the log was first reopened and appended to in the same boot (a
 * batch whose sync failed is then still in the page cache).
 * Then the N-th allocation fails, for every N, over open + appends + close
 * and over a recovering open: errors, no crash, no leak. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log_oracle.h"
#include "wkt.h"

static char fault_ctx[256];

typedef struct fault_stats {
    uint64_t runs;     /* workload runs */
    uint64_t fired;    /* runs where the fault fired */
    uint64_t reported; /* ... and some call returned an error */
    uint64_t absorbed; /* ... and no call saw an error (checked by crash) */
    uint64_t poisoned; /* runs where an append/sync error poisoned the log */
    uint64_t failed;   /* runs with violations */
} fault_stats;

typedef struct child_job {
    void (*fn)(void *, fault_stats *);
    void *arg;
} child_job;

static int
child_run(void *arg, void *out)
{
    child_job *job = arg;
    fault_stats *s = out;
    job->fn(job->arg, s);
    alarm(0);
    return s->failed ? 1 : 0;
}

/* Runs fn(arg, stats) in a child with a watchdog; returns 0 when the child
 * exited 0; stats come back through a pipe. */
static int
in_child(void (*fn)(void *, fault_stats *), void *arg, fault_stats *st)
{
    memset(st, 0, sizeof *st);
    child_job job = {fn, arg};
    int status = 0;
    int got = wko_fork_child("log_fault", fault_ctx, sizeof fault_ctx,
                             child_run, &job, st, sizeof *st, &status);
    if (got < 0)
        return -1;
    if (WIFSIGNALED(status))
        fprintf(stderr, "log_fault: child killed by signal %d\n",
                WTERMSIG(status));
    return got == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- the vfs fault workload ------------------------------------------ */

static const wko_scenario fault_sc = {.name = "fault",
                                      .zero_fill = 1,
                                      .checkpoint = 1,
                                      .recycle_pool = 2,
                                      .trace = 1};

/* If the failed call was a sync of file F, counts later syncs of F in the
 * trace (a failed fsync must never be retried). Stores F in file. */
static int
syncs_after_failed_sync(const char *t, char *file, size_t fn)
{
    file[0] = '\0';
    const char *p = t ? strstr(t, " -> ") : NULL;
    if (p == NULL)
        return 0;
    const char *b = p;
    while (b > t && b[-1] != '\n')
        b--;
    char op[16] = "", path[256] = "";
    if (sscanf(b, "%15s %255s", op, path) != 2 ||
        (strcmp(op, "datasync") != 0 && strcmp(op, "sync") != 0))
        return 0;
    snprintf(file, fn, "%s", path);
    int n = 0;
    const char *q = strchr(p, '\n');
    while (q != NULL && q[1] != '\0') {
        q++;
        char op2[16] = "", path2[256] = "";
        if (sscanf(q, "%15s %255s", op2, path2) == 2 &&
            (strcmp(op2, "datasync") == 0 || strcmp(op2, "sync") == 0) &&
            strcmp(path2, path) == 0)
            n++;
        q = strchr(q, '\n');
    }
    return n;
}

/* Prints the trace line of the failed call (the one with " -> "). */
static void
print_failed_call(wko_run *r)
{
    const char *t = wk_sim_trace(wko_sim(r));
    const char *p = t ? strstr(t, " -> ") : NULL;
    if (p == NULL) {
        fprintf(stderr, "    failed call: not a mutating one (untraced)\n");
        return;
    }
    const char *b = p;
    while (b > t && b[-1] != '\n')
        b--;
    const char *e = strchr(p, '\n');
    fprintf(stderr, "    failed call: %.*s\n",
            (int)(e ? e - b : (long)strlen(b)), b);
}

typedef struct wl_result {
    int errors; /* calls that returned an error */
    int first_rc;
    const char *first_call;
    int io_failed; /* an append/sync/stream call failed */
} wl_result;

static void
note(wl_result *res, int rc, const char *call)
{
    if (rc == 0)
        return;
    if (res->errors++ == 0) {
        res->first_rc = rc;
        res->first_call = call;
    }
}

/* After an append/sync failure: the log must be poisoned. */
static void
check_poisoned(wko_run *r, wk_log *log, int rc, const char *call)
{
    if (rc == WK_EPOISONED)
        return;
    int w = wko_writer(r);
    int rc2 = wko_append(r, log, w, 64, WK_SYNC, NULL);
    if (rc2 != WK_EPOISONED)
        wko_fail(r,
                 "after %s failed with %s, the next append returned %s, "
                 "expected WK_EPOISONED",
                 call, wk_errname(rc), wk_errname(rc2));
    wk_log_stats st;
    wk_log_stats_get(log, &st);
    if (st.poisoned == 0)
        wko_fail(r, "after %s failed with %s, stats.poisoned is 0", call,
                 wk_errname(rc));
    if (wk_log_errmsg(log)[0] == '\0')
        wko_fail(r, "after %s failed with %s, wk_log_errmsg is empty", call,
                 wk_errname(rc));
}

#define STEP(call_expr, name)                                                  \
    do {                                                                       \
        rc = (call_expr);                                                      \
        if (rc != 0) {                                                         \
            note(res, rc, name);                                               \
            res->io_failed = 1;                                                \
            check_poisoned(r, log, rc, name);                                  \
            goto done;                                                         \
        }                                                                      \
    } while (0)

static void
workload(wko_run *r, wl_result *res)
{
    wk_log *log = NULL;
    int rc = wko_open(r, &log);
    if (rc != 0) {
        note(res, rc, "open");
        return;
    }
    int w = wko_writer(r);
    uint64_t lsn = 0;
    for (int i = 0; i < 5; i++)
        STEP(wko_append(r, log, w, 3000 + (size_t)i, WK_SYNC, &lsn),
             "WK_SYNC append");
    for (int i = 0; i < 4; i++)
        STEP(wko_append(r, log, w, 2000 + (size_t)i, 0, &lsn),
             "buffered append");
    STEP(wko_sync(r, log, 0), "wk_log_sync");
    rc = wk_log_checkpoint(log);
    if (rc == 0)
        rc = wk_log_wait_checkpointed(log, lsn, 3000);
    if (rc == WK_ETIMEDOUT)
        wko_fail(r, "wait_checkpointed timed out (3 s): a failed checkpoint "
                    "was not reported to its waiter");
    note(res, rc, "checkpoint");
    for (int i = 0; i < 12; i++)
        STEP(wko_append(r, log, w, 6000 + (size_t)i, WK_SYNC, NULL),
             "WK_SYNC append (rotation)");
    STEP(wko_stream(r, log, w, 130000, 40000, WK_SYNC, 0, NULL, NULL, NULL),
         "stream");
done:
    rc = wko_close(r, log);
    note(res, rc, "close");
}

typedef struct thr_res {
    int errors;
} thr_res;

/* Concurrent writers: each appends WK_SYNC until an error; after its
 * first error the log must be poisoned for it too. */
static int
thr_fault_writer(wko_run *r, wk_log *log, int index, void *arg)
{
    thr_res *tr = arg;
    int w = wko_writer(r);
    for (int i = 0; i < 8; i++) {
        int rc = wko_append(r, log, w, 700 + (size_t)(index * 900 + i * 31),
                            i % 3 == 2 ? 0 : WK_SYNC, NULL);
        if (rc != 0) {
            __atomic_fetch_add(&tr->errors, 1, __ATOMIC_RELAXED);
            if (rc != WK_EPOISONED)
                check_poisoned(r, log, rc, "concurrent append");
            return rc;
        }
    }
    int rc = wko_sync(r, log, 0);
    if (rc != 0) {
        __atomic_fetch_add(&tr->errors, 1, __ATOMIC_RELAXED);
        if (rc != WK_EPOISONED)
            check_poisoned(r, log, rc, "concurrent sync");
    }
    return rc;
}

static void
workload_threads(wko_run *r, wl_result *res)
{
    wk_log *log = NULL;
    int rc = wko_open(r, &log);
    if (rc != 0) {
        note(res, rc, "open");
        return;
    }
    thr_res tr = {0};
    rc = wko_threads(r, log, 4, thr_fault_writer, &tr);
    note(res, rc, "concurrent appends");
    if (tr.errors)
        res->io_failed = 1;
    rc = wko_close(r, log);
    note(res, rc, "close");
}

/* Setup (no fault): a log whose last entry is planted torn (its payload
 * garbled), so the open under test has a tail to truncate. */
static void
setup_torn_log(wko_run *r)
{
    wk_log *log = NULL;
    if (wko_open(r, &log) != 0) {
        wko_fail(r, "setup: open failed");
        return;
    }
    int w = wko_writer(r);
    for (int i = 0; i < 3; i++)
        wko_append(r, log, w, 400 + (size_t)i, WK_SYNC, NULL);
    for (int i = 0; i < 3; i++)
        wko_append(r, log, w, 900, 0, NULL);
    wko_sync(r, log, 0);
    wko_close(r, log);
    /* Find entry (w, 5) and garble the middle of its payload. */
    uint8_t key[16];
    wko_payload(key, (uint32_t)w, 5, 16);
    static uint8_t buf[64 << 10];
    size_t n = 0;
    char path[64];
    snprintf(path, sizeof path, "%s/seg-000001.wal", wko_dir(r));
    if (wk_sim_peek(wko_sim(r), path, 0, buf, sizeof buf, &n) != 0) {
        wko_fail(r, "setup: %s missing", path);
        return;
    }
    for (size_t k = 4096; k + 12 <= n; k++) {
        if (memcmp(buf + k, key, 12) == 0) {
            uint8_t junk[32];
            memset(junk, 0xA5, sizeof junk);
            wk_sim_poke(wko_sim(r), path, k + 300, junk, sizeof junk);
            wko_unack(r, w, 5);
            return;
        }
    }
    wko_fail(r, "setup: entry not found in %s", path);
}

static void
workload_recovery(wko_run *r, wl_result *res)
{
    wk_log *log = NULL;
    int rc = wko_open(r, &log);
    if (rc != 0) {
        note(res, rc, "recovering open");
        return;
    }
    int w = wko_writer(r);
    for (int i = 0; i < 3; i++)
        STEP(wko_append(r, log, w, 500 + (size_t)i, WK_SYNC, NULL),
             "WK_SYNC append after recovery");
done:
    rc = wko_close(r, log);
    note(res, rc, "close");
}

enum { WL_BASIC, WL_THREADS, WL_RECOVERY };

typedef struct vfs_loop {
    int op;
    int fault;
    const char *name;
    int kind; /* WL_* */
} vfs_loop;

static const char *const fault_names[] = {"", "EIO", "ENOSPC", "SHORT_WRITE"};

/* pol for vfs_run: before the power cut (DROP_ALL), reopen in the same
 * boot and append durably: a batch whose sync failed is still in the page
 * cache, and recovery must not build on it without making it durable. */
#define VFS_REOPEN_THEN_DROP 100

/* Same boot, after the faulty run: reopen (recovery), two durable appends,
 * close. (The fault fired already: nothing fails here.) */
static void
reopen_and_append(wko_run *r)
{
    wk_log *log = NULL;
    int rc = wko_open(r, &log);
    if (rc != 0) {
        wko_fail(r, "same-boot reopen after the fault: %s", wk_errname(rc));
        return;
    }
    int w = wko_writer(r);
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = wko_append(r, log, w, 300 + (size_t)i, WK_SYNC, NULL);
        if (rc != 0)
            wko_fail(r, "append after the same-boot reopen: %s",
                     wk_errname(rc));
    }
    rc = wko_close(r, log);
    if (rc != 0)
        wko_fail(r, "close after the same-boot reopen: %s", wk_errname(rc));
}

/* One run: fault at call n (0: none); crash with pol (or
 * VFS_REOPEN_THEN_DROP); check. Returns the number of calls of the loop's
 * kind (for the first, fault-free, run). */
static uint64_t
vfs_run(const vfs_loop *vl, uint64_t n, int pol, fault_stats *st, int *printed)
{
    uint64_t seed = 1000003u * n + (uint64_t)pol * 7 + (uint64_t)vl->op;
    snprintf(fault_ctx, sizeof fault_ctx,
             "%s: fault %s on call %llu, then "
             "crash policy %d",
             vl->name, fault_names[vl->fault], (unsigned long long)n, pol);
    alarm(60);
    int64_t base = wkt_alloc_live();
    wko_run *r = wko_run_new(&fault_sc, seed);
    if (r == NULL) {
        st->failed++;
        return 0;
    }
    if (vl->kind == WL_RECOVERY) {
        setup_torn_log(r);
        wk_sim_trace_clear(wko_sim(r));
    }
    uint64_t calls0 = wk_sim_op_count(wko_sim(r), vl->op);
    if (n > 0)
        wk_sim_fault(wko_sim(r), vl->op, n, vl->fault);
    wl_result res;
    memset(&res, 0, sizeof res);
    if (vl->kind == WL_THREADS)
        workload_threads(r, &res);
    else if (vl->kind == WL_RECOVERY)
        workload_recovery(r, &res);
    else
        workload(r, &res);
    uint64_t calls = wk_sim_op_count(wko_sim(r), vl->op) - calls0;
    int fired = n > 0 && wk_sim_fault_fired(wko_sim(r));
    char synced[256];
    int resync = syncs_after_failed_sync(wk_sim_trace(wko_sim(r)), synced,
                                         sizeof synced);
    if (resync > 0)
        wko_fail(r,
                 "%s was synced %d more time(s) after its sync failed "
                 "(fsync retried)",
                 synced, resync);
    if (fired && res.errors == 0 &&
        (st->absorbed < 3 || getenv("WKT_VERBOSE"))) {
        fprintf(stderr, "  note [%s]: absorbed (no call saw an error);",
                fault_ctx);
        print_failed_call(r);
    }
    st->runs++;
    if (n == 0 && res.errors != 0)
        wko_fail(r, "fault-free run: %s returned %s", res.first_call,
                 wk_errname(res.first_rc));
    if (fired) {
        st->fired++;
        if (res.errors)
            st->reported++;
        else
            st->absorbed++;
        if (res.io_failed)
            st->poisoned++;
    }
    if (pol == VFS_REOPEN_THEN_DROP) {
        if (!wk_sim_fault_fired(wko_sim(r)))
            wk_sim_fault(wko_sim(r), vl->op, 0, 0); /* disarm */
        reopen_and_append(r);
        pol = WK_SIM_DROP_ALL;
    }
    int rc = wk_sim_crash(wko_sim(r), seed, pol);
    if (rc != 0)
        wko_fail(r, "wk_sim_crash = %s", wk_errname(rc));
    else
        wko_check_after_crash(r, WK_SIM_KEEP_RANDOM, seed);
    int bad = wko_failed(r);
    if (bad && *printed < 6) {
        (*printed)++;
        char ctx[300];
        snprintf(ctx, sizeof ctx, "%s (first error seen: %s in %s)", fault_ctx,
                 wk_errname(res.first_rc),
                 res.first_call ? res.first_call : "-");
        wko_print_failures(r, ctx);
        print_failed_call(r);
    }
    wko_run_free(r);
    int64_t live = wkt_alloc_live();
    if (live != base) {
        bad = 1;
        if (*printed < 6) {
            (*printed)++;
            fprintf(stderr, "  VIOLATION [%s]: %lld allocations leaked\n",
                    fault_ctx, (long long)(live - base));
        }
    }
    if (bad)
        st->failed++;
    return calls;
}

static void
vfs_loop_child(void *arg, fault_stats *st)
{
    const vfs_loop *vl = arg;
    wkt_alloc_install();
    int printed = 0;
    uint64_t total = vfs_run(vl, 0, WK_SIM_KEEP_ALL, st, &printed);
    uint64_t stride = 1;
    if (wkt_quick())
        stride = vl->op == WK_SIM_OP_ANY ? 7 : 3;
    for (uint64_t n = 1; n <= total + 1; n += stride) {
        vfs_run(vl, n, WK_SIM_KEEP_ALL, st, &printed);
        vfs_run(vl, n, WK_SIM_DROP_ALL, st, &printed);
        vfs_run(vl, n, VFS_REOPEN_THEN_DROP, st, &printed);
    }
    printf("log_fault: %-22s %4llu calls, %5llu runs, fired %llu (error "
           "returned %llu, absorbed %llu, poisoned %llu), %llu failed\n",
           vl->name, (unsigned long long)total, (unsigned long long)st->runs,
           (unsigned long long)st->fired, (unsigned long long)st->reported,
           (unsigned long long)st->absorbed, (unsigned long long)st->poisoned,
           (unsigned long long)st->failed);
}

/* One vfs fault loop test: its cmocka name, its intent (the comment above
 * it) and its loop. */
typedef struct vfs_test {
    const char *test;
    vfs_loop vl;
} vfs_test;

static const vfs_test vfs_tests[] = {
    /* Any vfs call failing with EIO: no hang, error reported, valid
     * recovery. */
    {"test_any_call_eio",
     {WK_SIM_OP_ANY, WK_SIM_FAULT_EIO, "any call EIO", WL_BASIC}},
    /* Any vfs call failing with ENOSPC. */
    {"test_any_call_enospc",
     {WK_SIM_OP_ANY, WK_SIM_FAULT_ENOSPC, "any call ENOSPC", WL_BASIC}},
    /* Any vfs call failing, pwrites short (half the bytes land, then
     * ENOSPC). */
    {"test_any_call_short_write",
     {WK_SIM_OP_ANY, WK_SIM_FAULT_SHORT_WRITE, "any call SHORT", WL_BASIC}},
    /* The N-th fsync/fdatasync fails with EIO: poisoned, never retried. */
    {"test_sync_eio", {WK_SIM_OP_SYNC, WK_SIM_FAULT_EIO, "sync EIO", WL_BASIC}},
    /* The N-th fsync/fdatasync fails with ENOSPC. */
    {"test_sync_enospc",
     {WK_SIM_OP_SYNC, WK_SIM_FAULT_ENOSPC, "sync ENOSPC", WL_BASIC}},
    /* The N-th pwrite fails with EIO. */
    {"test_pwrite_eio",
     {WK_SIM_OP_PWRITE, WK_SIM_FAULT_EIO, "pwrite EIO", WL_BASIC}},
    /* The N-th pwrite fails with ENOSPC. */
    {"test_pwrite_enospc",
     {WK_SIM_OP_PWRITE, WK_SIM_FAULT_ENOSPC, "pwrite ENOSPC", WL_BASIC}},
    /* The N-th pwrite is short. */
    {"test_pwrite_short",
     {WK_SIM_OP_PWRITE, WK_SIM_FAULT_SHORT_WRITE, "pwrite SHORT", WL_BASIC}},
    /* Four concurrent writers, any call failing with EIO: every waiter wakes
     * with an error, none hangs, recovery is valid. */
    {"test_threads_any_eio",
     {WK_SIM_OP_ANY, WK_SIM_FAULT_EIO, "threads any EIO", WL_THREADS}},
    /* Four concurrent writers, the N-th sync failing. */
    {"test_threads_sync_eio",
     {WK_SIM_OP_SYNC, WK_SIM_FAULT_EIO, "threads sync EIO", WL_THREADS}},
    /* Opening a log with a torn tail while any call fails: the truncation is
     * never skipped silently (open fails or the log recovers correctly). */
    {"test_recovery_any_eio",
     {WK_SIM_OP_ANY, WK_SIM_FAULT_EIO, "recovery any EIO", WL_RECOVERY}},
    /* Opening a log with a torn tail while a pwrite is short. */
    {"test_recovery_pwrite_short",
     {WK_SIM_OP_PWRITE, WK_SIM_FAULT_SHORT_WRITE, "recovery pwrite SHORT",
      WL_RECOVERY}},
};

/* Runs one vfs_tests entry's loop in a child: no violation, and the fault
 * fired at least once. */
static void
test_vfs_loop(void **state)
{
    const vfs_test *t = *state;
    fault_stats st;
    if (in_child(vfs_loop_child, (void *)&t->vl, &st) != 0)
        fail_msg("%s: %llu of %llu runs violated a guarantee (details "
                 "above)",
                 t->vl.name, (unsigned long long)st.failed,
                 (unsigned long long)st.runs);
    assert_true(st.fired > 0);
}

/* ---- a full disk ----------------------------------------------------- */

static void
disk_full_child(void *arg, fault_stats *st)
{
    (void)arg;
    wkt_alloc_install();
    int printed = 0;
    /* Capacities from "not even one segment" to "a few segments". */
    uint64_t step = wkt_quick() ? 23 << 10 : 7 << 10;
    for (uint64_t cap = 16 << 10; cap <= 420 << 10; cap += step) {
        snprintf(fault_ctx, sizeof fault_ctx, "disk of %llu bytes",
                 (unsigned long long)cap);
        alarm(60);
        int64_t base = wkt_alloc_live();
        wko_scenario sc = fault_sc;
        sc.capacity = cap;
        wko_run *r = wko_run_new(&sc, cap);
        if (r == NULL) {
            st->failed++;
            continue;
        }
        wl_result res;
        memset(&res, 0, sizeof res);
        /* Keep appending until the disk is full (bounded). */
        wk_log *log = NULL;
        int rc = wko_open(r, &log);
        if (rc == 0) {
            int w = wko_writer(r);
            for (int i = 0; i < 200 && rc == 0; i++)
                rc = wko_append(r, log, w, 2000 + (size_t)(i % 7) * 1000,
                                i % 3 ? WK_SYNC : 0, NULL);
            if (rc != 0) {
                res.errors++;
                res.first_rc = rc;
                if (rc != -ENOSPC && rc != WK_EFULL && rc != WK_EPOISONED)
                    wko_fail(r,
                             "disk full: append returned %s, expected "
                             "-ENOSPC or WK_EFULL",
                             wk_errname(rc));
            }
            wko_close(r, log);
        } else if (rc != -ENOSPC && rc != WK_EFULL) {
            wko_fail(r, "disk full: open returned %s", wk_errname(rc));
        }
        st->runs++;
        if (res.errors || rc != 0)
            st->reported++;
        else
            wko_fail(r, "200 appends on a %llu-byte disk all succeeded",
                     (unsigned long long)cap);
        rc = wk_sim_crash(wko_sim(r), cap, WK_SIM_KEEP_ALL);
        /* With nothing acknowledged (the disk cannot hold one segment), a
         * reopen may fail for want of space: nothing to check then. */
        if (rc == 0 && wko_acked(r) > 0)
            wko_recover_check(r, WK_RECOVER_TOLERATE_TORN_TAIL);
        int bad = wko_failed(r);
        if (bad && printed++ < 6)
            wko_print_failures(r, fault_ctx);
        wko_run_free(r);
        if (wkt_alloc_live() != base) {
            bad = 1;
            fprintf(stderr, "  VIOLATION [%s]: allocations leaked\n",
                    fault_ctx);
        }
        if (bad)
            st->failed++;
    }
    printf("log_fault: disk full                 %5llu runs, error returned "
           "%llu, %llu failed\n",
           (unsigned long long)st->runs, (unsigned long long)st->reported,
           (unsigned long long)st->failed);
}

/* A disk that fills up: appends end with -ENOSPC / WK_EFULL (no hang, no
 * crash), and what was acknowledged before is recovered. */
static void
test_disk_full(void **state)
{
    (void)state;
    fault_stats st;
    if (in_child(disk_full_child, NULL, &st) != 0)
        fail_msg("disk full: %llu of %llu runs violated a guarantee",
                 (unsigned long long)st.failed, (unsigned long long)st.runs);
}

/* ---- the failing allocator ------------------------------------------- */

typedef struct alloc_count {
    uint64_t entries;
    int bad;
} alloc_count;

static int
alloc_recover_fn(void *arg, const wk_log_entry *e)
{
    alloc_count *c = arg;
    uint8_t buf[4096];
    if (e->len < 16 || e->len > sizeof buf ||
        wk_log_entry_read(e, 0, buf, (size_t)e->len) != 0) {
        c->bad++;
        return 0;
    }
    uint8_t exp[4096];
    uint32_t w = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 |
                 (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
    uint32_t k = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 |
                 (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
    wko_payload(exp, w, k, (uint32_t)e->len);
    if (memcmp(exp, buf, (size_t)e->len) != 0)
        c->bad++;
    if (w == 1) { /* the counted sequence: dense counters from 0 */
        if (k != c->entries)
            c->bad++;
        c->entries++;
    }
    return 0;
}

static void
alloc_opts(wk_log_opts *o, alloc_count *c)
{
    wk_log_opts_init(o);
    o->segment_bytes = 64 << 10;
    o->batch_bytes = 64 << 10;
    o->max_entry_bytes = 16 << 10;
    o->zero_fill = 0;
    o->recover_fn = alloc_recover_fn;
    o->recover_arg = c;
}

/* Appends entries counter first..first+n-1 (sync every other); returns how
 * many were acknowledged, stops at the first error. */
static int
alloc_appends(wk_log *log, uint32_t first, int n, int *acked)
{
    uint8_t buf[3000];
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        uint32_t len = 500 + 400 * (uint32_t)i;
        wko_payload(buf, 1, first + (uint32_t)i, len);
        rc = wk_log_append(log, buf, len, i % 2 ? 0 : WK_SYNC, NULL);
        if (rc == 0 && i % 2 == 0)
            *acked = (int)(first + (uint32_t)i) + 1;
    }
    if (rc == 0) {
        rc = wk_log_sync(log, 0);
        if (rc == 0)
            *acked = (int)first + n;
    }
    return rc;
}

/* Reopens with a working allocator; every acked entry must be there. */
static void
alloc_verify(const char *path, int acked, const char *ctx, fault_stats *st)
{
    alloc_count c = {0, 0};
    wk_log_opts o;
    alloc_opts(&o, &c);
    wk_log *log = NULL;
    int rc = wk_log_open(path, &o, &log, NULL);
    if (rc != 0) {
        fprintf(stderr, "  VIOLATION [%s]: reopen = %s\n", ctx, wk_errname(rc));
        st->failed++;
        return;
    }
    wk_log_close(log);
    if (c.bad || c.entries < (uint64_t)acked) {
        fprintf(stderr,
                "  VIOLATION [%s]: recovered %llu entries (%d bad), "
                "%d acknowledged\n",
                ctx, (unsigned long long)c.entries, c.bad, acked);
        st->failed++;
    }
}

/* One run of the allocator loop: its options (recovered entries counted
 * in c) and what to compare with after it. */
typedef struct alloc_run {
    alloc_count c;
    wk_log_opts o;
    int64_t base;    /* live allocations at the start (leak check) */
    uint64_t before; /* allocation count at the start */
} alloc_run;

/* Starts run n (the caller set fault_ctx): watchdog, options, and the
 * n-th allocation from now failing. */
static void
alloc_run_start(alloc_run *ar, int64_t n)
{
    alarm(60);
    ar->base = wkt_alloc_live();
    ar->c = (alloc_count){0, 0};
    alloc_opts(&ar->o, &ar->c);
    ar->before = wkt_alloc_count();
    wkt_alloc_fail_after(n);
}

/* After run n: resets the allocator, counts the run, reports a leak, and
 * returns whether allocation n was reached. */
static int
alloc_tally(fault_stats *st, const alloc_run *ar, int64_t n, int errors)
{
    int64_t base = ar->base;
    int hit = wkt_alloc_count() - ar->before >= (uint64_t)n;
    wkt_alloc_reset();
    st->runs++;
    int64_t live = wkt_alloc_live();
    if (live != base) {
        fprintf(stderr, "  VIOLATION [%s]: %lld allocations leaked\n",
                fault_ctx, (long long)(live - base));
        st->failed++;
    }
    if (hit) {
        st->fired++;
        if (errors)
            st->reported++;
        else
            st->absorbed++;
    }
    return hit;
}

static void
alloc_loop_child(void *arg, fault_stats *st)
{
    (void)arg;
    wkt_alloc_install();
    char *root = wkt_tmpdir("logalloc");
    if (root == NULL) {
        st->failed++;
        return;
    }
    int stride = wkt_quick() ? 3 : 1;
    /* Phase 1: open (create) + appends + close. */
    for (int64_t n = 1; n < 100000; n += stride) {
        char path[512];
        snprintf(path, sizeof path, "%s/a%lld", root, (long long)n);
        snprintf(fault_ctx, sizeof fault_ctx,
                 "allocation %lld failing over create+append+close",
                 (long long)n);
        alloc_run ar;
        alloc_run_start(&ar, n);
        wk_log *log = NULL;
        int acked = 0, errors = 0;
        int rc = wk_log_open(path, &ar.o, &log, NULL);
        if (rc == 0) {
            rc = alloc_appends(log, 0, 6, &acked);
            errors += rc != 0;
            if (rc != 0 && rc != WK_ENOMEM && rc != WK_EPOISONED &&
                rc != -ENOMEM) {
                fprintf(stderr, "  note [%s]: append error %s\n", fault_ctx,
                        wk_errname(rc));
            }
            rc = wk_log_close(log);
            errors += rc != 0;
        } else {
            errors++;
        }
        int hit = alloc_tally(st, &ar, n, errors);
        if (errors || hit)
            alloc_verify(path, acked, fault_ctx, st);
        if (!hit)
            break;
    }
    /* Phase 2: a recovering open (two segments of entries) + append. */
    char path[512];
    snprintf(path, sizeof path, "%s/rec", root);
    {
        alloc_count c = {0, 0};
        wk_log_opts o;
        alloc_opts(&o, &c);
        wk_log *log = NULL;
        int acked = 0;
        int rc = wk_log_open(path, &o, &log, NULL);
        if (rc == 0) {
            for (uint32_t k = 0; k < 40 && rc == 0; k += 6)
                rc = alloc_appends(log, k, 6, &acked);
            rc |= wk_log_close(log);
        }
        if (rc != 0) {
            fprintf(stderr, "log_fault: setup of the recovery loop: %s\n",
                    wk_errname(rc));
            st->failed++;
            goto out;
        }
    }
    for (int64_t n = 1; n < 100000; n += stride) {
        snprintf(fault_ctx, sizeof fault_ctx,
                 "allocation %lld failing over a recovering open + append",
                 (long long)n);
        alloc_run ar;
        alloc_run_start(&ar, n);
        wk_log *log = NULL;
        int errors = 0;
        int rc = wk_log_open(path, &ar.o, &log, NULL);
        if (rc == 0) {
            uint8_t buf[100];
            /* not a counted entry: a different writer id */
            wko_payload(buf, 2, (uint32_t)n, sizeof buf);
            errors += wk_log_append(log, buf, sizeof buf, WK_SYNC, NULL) != 0;
            errors += wk_log_close(log) != 0;
        } else {
            errors++;
        }
        int hit = alloc_tally(st, &ar, n, errors);
        /* The 42 entries of writer 1 are all still there. */
        alloc_verify(path, 42, fault_ctx, st);
        if (!hit)
            break;
    }
out:
    printf("log_fault: allocator                %5llu runs, fired %llu "
           "(error returned %llu, absorbed %llu), %llu failed\n",
           (unsigned long long)st->runs, (unsigned long long)st->fired,
           (unsigned long long)st->reported, (unsigned long long)st->absorbed,
           (unsigned long long)st->failed);
    wkt_tmpdir_remove(root);
}

/* Every allocation failing in turn over create + appends + close, and over
 * a recovering open: clean errors, no crash, no leak, acked data intact. */
static void
test_failing_allocator(void **state)
{
    (void)state;
    fault_stats st;
    if (in_child(alloc_loop_child, NULL, &st) != 0)
        fail_msg("failing allocator: %llu of %llu runs violated a guarantee "
                 "(details above)",
                 (unsigned long long)st.failed, (unsigned long long)st.runs);
    assert_true(st.fired > 0);
}

int
main(void)
{
    static const struct CMUnitTest others[] = {
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_failing_allocator),
    };
    enum { NV = sizeof vfs_tests / sizeof vfs_tests[0] };
    struct CMUnitTest tests[NV + sizeof others / sizeof others[0]];
    for (size_t i = 0; i < NV; i++)
        tests[i] = (struct CMUnitTest){
            .name = vfs_tests[i].test,
            .test_func = test_vfs_loop,
            .initial_state = (void *)&vfs_tests[i],
        };
    memcpy(tests + NV, others, sizeof others);
    return cmocka_run_group_tests_name("log_fault", tests, NULL, NULL);
}
