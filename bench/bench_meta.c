/* M1 (DESIGN.md): wk_meta, durable batch inserts and open time.
 *
 *   bench_meta --dir D [--writers 4] [--batch 100] [--size 32]
 *              [--seconds S] [--warmup S] [--cdf F] [--json]
 *       W threads each commit batches of N puts (unique u64 keys, u64
 *       value, --size bytes of small bytes per item); each batch is one
 *       wk_meta_write(WK_SYNC). commits_per_s = batches/s; latency per
 *       batch; syncs_per_commit from the log's sync counter.
 *   bench_meta --dir D --mode open [--count 1000000] [--size 32]
 *       Builds a store of --count items (batches of 1000, one sync at the
 *       end), then times wk_meta_open replaying the whole log ("from log"),
 *       compacts, and times wk_meta_open from the snapshot. Each step runs
 *       in a fresh child process so peak RSS is the open's own. Extra JSON
 *       fields: open_ms_log, open_ms_snapshot, rss_kb_log, rss_kb_snapshot,
 *       log_bytes, snapshot_bytes, compact_ms.
 *
 * Prints one JSON object per measurement (docs/bench.md); --json is
 * accepted for run.sh (output is always JSON). Public API only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "walkit.h"

#define M1_MAX_THREADS 1024

/* ---- M1 commits ---------------------------------------------------------- */

typedef struct m1_db {
    wk_meta *m;
    int batch;
    wk_meta_batch *b[M1_MAX_THREADS];
} m1_db;

static wk_meta_stats m1_final;

static void *
m1_open(const bench_args *a)
{
    m1_db *db = calloc(1, sizeof *db);
    if (db == NULL)
        return NULL;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/meta", a->dir);
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    wk_meta_report rep;
    int rc = wk_meta_open(dir, &o, &db->m, &rep);
    if (rc != 0) {
        fprintf(stderr, "bench_meta: open %s: %s (%s)\n", dir, wk_strerror(rc),
                rep.errmsg);
        free(db);
        return NULL;
    }
    db->batch = a->batch;
    for (int t = 0; t < a->writers && t < M1_MAX_THREADS; t++) {
        if (wk_meta_batch_new(db->m, &db->b[t]) != 0) {
            fprintf(stderr, "bench_meta: batch_new failed\n");
            return NULL;
        }
    }
    return db;
}

static int
m1_commit(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    m1_db *db = p;
    wk_meta_batch *b = db->b[t];
    wk_meta_batch_clear(b);
    for (int i = 0; i < db->batch; i++) {
        uint64_t key =
            ((uint64_t)t << 48) | (seq * (uint64_t)db->batch + (uint64_t)i);
        int rc = wk_meta_batch_put(b, key, seq, val, len);
        if (rc != 0) {
            fprintf(stderr, "bench_meta: put: %s\n", wk_strerror(rc));
            return -1;
        }
    }
    int rc = wk_meta_write(db->m, b, WK_SYNC);
    if (rc != 0) {
        fprintf(stderr, "bench_meta: write: %s (%s)\n", wk_strerror(rc),
                wk_meta_errmsg(db->m));
        return -1;
    }
    return 0;
}

static void
m1_close(void *p)
{
    m1_db *db = p;
    wk_meta_stats_get(db->m, &m1_final);
    for (int t = 0; t < M1_MAX_THREADS; t++)
        wk_meta_batch_free(db->b[t]);
    int rc = wk_meta_close(db->m);
    if (rc != 0)
        fprintf(stderr, "bench_meta: close: %s\n", wk_strerror(rc));
    free(db);
}

static void
m1_counters(void *p, uint64_t *syncs, uint64_t *commits)
{
    m1_db *db = p;
    wk_meta_stats st;
    wk_meta_stats_get(db->m, &st);
    *syncs = st.log_syncs;
    *commits = st.batches;
}

static const bench_sys m1_sys = {
    .name = "walkit",
    .open = m1_open,
    .commit = m1_commit,
    .close = m1_close,
    .counters = m1_counters,
};

/* ---- open time ------------------------------------------------------------
 */

typedef struct m1_open_res {
    double ms;      /* the timed step */
    long rss_kb;    /* peak RSS of the child */
    uint64_t items; /* items after the step */
    uint64_t log_bytes, snap_bytes;
    int rc;
} m1_open_res;

enum { STEP_BUILD, STEP_OPEN, STEP_COMPACT };

static void
m1_step(const char *dir, int step, uint64_t count, size_t size, m1_open_res *r)
{
    memset(r, 0, sizeof *r);
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.compact_log_bytes = 0; /* the "from log" open must replay it all */
    wk_meta *m = NULL;
    uint64_t t0 = bench_now_ns();
    r->rc = wk_meta_open(dir, &o, &m, NULL);
    if (r->rc != 0)
        return;
    if (step == STEP_OPEN)
        r->ms = (double)(bench_now_ns() - t0) / 1e6;
    if (step == STEP_BUILD) {
        wk_meta_batch *b = NULL;
        uint8_t *val = malloc(size + 1);
        bench_fill_random(val, size, 5);
        r->rc = wk_meta_batch_new(m, &b);
        for (uint64_t i = 0; r->rc == 0 && i < count;) {
            wk_meta_batch_clear(b);
            for (int k = 0; k < 1000 && i < count && r->rc == 0; k++, i++) {
                uint64_t key = i * 0x9E3779B97F4A7C15ULL; /* unique, spread */
                val[0] = (uint8_t)i;
                r->rc = wk_meta_batch_put(b, key, i, val, size);
            }
            if (r->rc == 0)
                r->rc = wk_meta_write(m, b, 0);
        }
        wk_meta_batch_free(b);
        free(val);
    } else if (step == STEP_COMPACT) {
        t0 = bench_now_ns();
        r->rc = wk_meta_compact(m);
        r->ms = (double)(bench_now_ns() - t0) / 1e6;
    }
    wk_meta_stats st;
    wk_meta_stats_get(m, &st);
    r->items = st.items;
    r->log_bytes = st.log_bytes;
    r->snap_bytes = st.snap_bytes;
    int rc = wk_meta_close(m);
    if (r->rc == 0)
        r->rc = rc;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->rss_kb = ru.ru_maxrss;
}

/* Runs one step in a child process; 0 or -1. */
static int
m1_child(const char *dir, int step, uint64_t count, size_t size, m1_open_res *r)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fd[0]);
        m1_step(dir, step, count, size, r);
        ssize_t w = write(fd[1], r, sizeof *r);
        _exit(w == (ssize_t)sizeof *r ? 0 : 1);
    }
    close(fd[1]);
    ssize_t n = read(fd[0], r, sizeof *r);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (n != (ssize_t)sizeof *r || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0 || r->rc != 0) {
        fprintf(stderr, "bench_meta: step %d failed: %s\n", step,
                n == (ssize_t)sizeof *r ? wk_strerror(r->rc) : "child died");
        return -1;
    }
    return 0;
}

static int
m1_open_mode(const bench_args *a)
{
    uint64_t count = a->count > 0 ? a->count : 1000000;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/meta-open", a->dir);
    m1_open_res build, from_log, compact, from_snap;
    uint64_t t0 = bench_now_ns();
    if (m1_child(dir, STEP_BUILD, count, a->size, &build) != 0)
        return -1;
    double build_s = (double)(bench_now_ns() - t0) / 1e9;
    if (m1_child(dir, STEP_OPEN, count, a->size, &from_log) != 0 ||
        m1_child(dir, STEP_COMPACT, count, a->size, &compact) != 0 ||
        m1_child(dir, STEP_OPEN, count, a->size, &from_snap) != 0)
        return -1;
    if (from_log.items != count || from_snap.items != count) {
        fprintf(stderr, "bench_meta: %llu/%llu items after open, want %llu\n",
                (unsigned long long)from_log.items,
                (unsigned long long)from_snap.items, (unsigned long long)count);
        return -1;
    }
    bench_result r;
    bench_result_init(&r);
    r.commits = count;
    r.seconds = build_s;
    char extra[768];
    snprintf(extra, sizeof extra,
             "\"mode\":\"open\",\"items\":%llu,\"open_ms_log\":%.1f,"
             "\"rss_kb_log\":%ld,\"log_bytes\":%llu,\"compact_ms\":%.1f,"
             "\"open_ms_snapshot\":%.1f,\"rss_kb_snapshot\":%ld,"
             "\"snapshot_bytes\":%llu,\"build_s\":%.2f",
             (unsigned long long)count, from_log.ms, from_log.rss_kb,
             (unsigned long long)from_log.log_bytes, compact.ms, from_snap.ms,
             from_snap.rss_kb, (unsigned long long)from_snap.snap_bytes,
             build_s);
    bench_args oa = *a;
    oa.workload = "M1";
    bench_print_json("walkit", &oa, &r, extra);
    return 0;
}

int
main(int argc, char **argv)
{
    bench_args a;
    char *av[64];
    int ac = 0, writers_given = 0, size_given = 0, batch_given = 0;
    for (int i = 0; i < argc && ac < 63; i++) {
        if (strcmp(argv[i], "--json") == 0)
            continue;
        if (strncmp(argv[i], "--writers", 9) == 0)
            writers_given = 1;
        if (strncmp(argv[i], "--size", 6) == 0)
            size_given = 1;
        if (strncmp(argv[i], "--batch", 7) == 0)
            batch_given = 1;
        av[ac++] = argv[i];
    }
    av[ac] = NULL;
    if (bench_parse_args(&a, ac, av) != 0)
        return 2;
    if (!writers_given)
        a.writers = 4;
    if (!size_given)
        a.size = 32;
    if (!batch_given)
        a.batch = 100;
    if (a.writers > M1_MAX_THREADS || a.batch < 1) {
        fprintf(stderr, "bench_meta: bad --writers or --batch\n");
        return 2;
    }
    a.workload = "M1";
    if (bench_mkdirs(a.dir) != 0) {
        perror(a.dir);
        return 2;
    }
    if (strcmp(a.mode, "open") == 0)
        return m1_open_mode(&a) == 0 ? 0 : 2;
    bench_result r;
    if (bench_run_commits(&m1_sys, &a, &r) != 0)
        return 2;
    char extra[512];
    snprintf(extra, sizeof extra,
             "\"mode\":\"commit\",\"items_per_batch\":%d,"
             "\"items_per_s\":%.0f,\"log_batches\":%llu,\"compactions\":%llu,"
             "\"items\":%llu",
             a.batch, r.commits_per_s > 0 ? r.commits_per_s * a.batch : -1.0,
             (unsigned long long)m1_final.log_batches,
             (unsigned long long)m1_final.compactions,
             (unsigned long long)m1_final.items);
    bench_print_json("walkit", &a, &r, extra);
    return 0;
}
