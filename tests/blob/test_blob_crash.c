/* Crash loops for wk_blob on the simulated disk: power cut after every I/O
 * operation of a workload (puts of 0..3000 bytes rotating 16 KiB chunks,
 * synced and unsynced; deletes that empty chunks; key/value sets; stream
 * appends; a compaction writing a snapshot), under every crash policy;
 * then power cuts after every I/O operation of the recovery itself. After
 * each: every acknowledged put / delete / kv set / stream append is
 * recovered with the right bytes, nothing unacknowledged is partly
 * visible, and no object or stream returns false bytes (the oracle in
 * bt_util.c). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bt_util.h"
#include "wkt.h"

static uint64_t states_checked;

/* Mutations made by the whole workload with no crash (open to close). */
static int64_t
count_ops(void)
{
    wk_sim *sim = bt_sim();
    wk_blob_opts o;
    bt_opts(&o, sim);
    bt_oracle or ;
    uint64_t before = wk_sim_mutation_count(sim);
    wk_blob *b = NULL;
    wkt_assert_ok(wk_blob_open(BT_DIR, &o, &b, NULL));
    bt_workload(b, & or);
    wkt_assert_ok(or.first_error);
    assert_true(or.chunks_removed > 0); /* the workload empties chunks */
    assert_true(or.relocated > 0);      /* and moves objects */
    wkt_assert_ok(wk_blob_close(b));
    int64_t n = (int64_t)(wk_sim_mutation_count(sim) - before);
    wk_sim_destroy(sim);
    return n;
}

static void
crash_loop(int in_recovery)
{
    int64_t total = count_ops();
    assert_true(total > 100);
    int step = wkt_quick() ? 11 : 1;
    if (in_recovery)
        step *= 3;
    bt_oracle or ;
    for (int policy = 0; policy < WK_SIM_POLICY_COUNT; policy++) {
        for (int64_t n = 0; n <= total + 5; n += step) {
            wk_sim *sim = bt_sim();
            wk_blob_opts o;
            bt_opts(&o, sim);
            wk_blob *b = NULL;
            char what[128];
            snprintf(what, sizeof what, "policy=%d crash after %lld", policy,
                     (long long)n);
            wk_sim_crash_after(sim, n);
            int rc = wk_blob_open(BT_DIR, &o, &b, NULL);
            memset(& or, 0, sizeof or);
            if (rc == 0) {
                bt_workload(b, & or);
                wk_blob_close(b); /* errors expected on the frozen disk */
            }
            uint64_t seed = (uint64_t)n * 31 + (uint64_t)policy;
            wkt_assert_ok(wk_sim_crash(sim, seed, policy));
            if (!in_recovery) {
                bt_check(&o, & or, what);
                bt_check(&o, & or, what); /* recovery is idempotent */
                states_checked += 2;
            } else {
                /* Power cuts at every step of recovery, each recovered in
                 * turn, until a recovery runs to its end. */
                for (int64_t m = 0; m < 1000; m++) {
                    wk_blob *r = NULL;
                    wk_sim_crash_after(sim, m);
                    if (wk_blob_open(BT_DIR, &o, &r, NULL) == 0)
                        wk_blob_close(r);
                    int frozen = wk_sim_frozen(sim);
                    wkt_assert_ok(
                        wk_sim_crash(sim, seed + (uint64_t)m, policy));
                    char w2[160];
                    snprintf(w2, sizeof w2, "%s, recovery crash after %lld",
                             what, (long long)m);
                    bt_check(&o, & or, w2);
                    states_checked++;
                    if (!frozen)
                        break;
                }
            }
            wk_sim_destroy(sim);
        }
    }
}

/* Power cut after every I/O operation of the workload, every policy. */
static void
test_crash_workload(void **state)
{
    (void)state;
    crash_loop(0);
}

/* Power cuts inside recovery after workload crash points. */
static void
test_crash_in_recovery(void **state)
{
    (void)state;
    crash_loop(1);
}

/* ---- concurrent puts: groups sharing chunk and log syncs ------------- */

#define GC_THREADS 4
#define GC_PUTS 6

typedef struct gc_thread {
    wk_blob *b;
    int t;
    uint64_t ids[GC_PUTS];
    int acked;
} gc_thread;

static void
gc_payload(int t, int i, uint8_t *buf, size_t *len)
{
    *len = 200 + (size_t)(t * 331 + i * 97) % 1800;
    wkt_fill(buf, *len, (uint64_t)t * 100 + (uint64_t)i);
}

static void *
gc_run(void *p)
{
    gc_thread *g = p;
    uint8_t buf[2000];
    size_t len;
    for (int i = 0; i < GC_PUTS; i++) {
        gc_payload(g->t, i, buf, &len);
        if (wk_blob_put(g->b, buf, len, (uint64_t)g->t + 1, WK_SYNC,
                        &g->ids[i]) != 0)
            break;
        g->acked = i + 1;
    }
    return NULL;
}

static uint64_t gc_shared;

static int64_t
gc_workload(wk_sim *sim, const wk_blob_opts *o, int64_t crash_after,
            gc_thread *g)
{
    wk_blob *b = NULL;
    uint64_t before = wk_sim_mutation_count(sim);
    wkt_assert_ok(wk_blob_open(BT_DIR, o, &b, NULL));
    if (crash_after >= 0)
        wk_sim_crash_after(sim, crash_after);
    pthread_t th[GC_THREADS];
    for (int t = 0; t < GC_THREADS; t++) {
        g[t] = (gc_thread){.b = b, .t = t};
        pthread_create(&th[t], NULL, gc_run, &g[t]);
    }
    for (int t = 0; t < GC_THREADS; t++)
        pthread_join(th[t], NULL);
    wk_blob_stats st;
    wk_blob_stats_get(b, &st);
    if (st.puts > st.chunk_syncs)
        gc_shared += st.puts - st.chunk_syncs;
    wk_blob_close(b);
    return (int64_t)(wk_sim_mutation_count(sim) - before);
}

/* Power cuts at every I/O operation while 4 threads put durable objects
 * at once (groups share chunk and log syncs): every acknowledged object
 * is there with its bytes, and verify finds nothing pointing at lost
 * bytes. */
static void
test_crash_group_commit(void **state)
{
    (void)state;
    gc_thread g[GC_THREADS];
    wk_blob_opts o;
    wk_sim *sim = bt_sim();
    bt_opts(&o, sim);
    int64_t total = gc_workload(sim, &o, -1, g);
    wk_sim_destroy(sim);
    int step = wkt_quick() ? 9 : 1;
    for (int policy = 0; policy < WK_SIM_POLICY_COUNT; policy++) {
        for (int64_t n = 0; n <= total + 5; n += step) {
            sim = bt_sim();
            bt_opts(&o, sim);
            gc_workload(sim, &o, n, g);
            wkt_assert_ok(
                wk_sim_crash(sim, (uint64_t)n * 17 + (uint64_t)policy, policy));
            wk_blob *b = NULL;
            wk_blob_report rep;
            int rc = wk_blob_open(BT_DIR, &o, &b, &rep);
            if (rc != 0)
                fail_msg("policy %d crash after %lld: reopen: %s (%s)", policy,
                         (long long)n, wk_errname(rc), rep.problem);
            for (int t = 0; t < GC_THREADS; t++)
                for (int i = 0; i < g[t].acked; i++) {
                    uint8_t want[2000];
                    size_t len;
                    wk_blob_view v;
                    gc_payload(t, i, want, &len);
                    rc = wk_blob_get(b, g[t].ids[i], &v);
                    if (rc != 0 || v.len != len ||
                        memcmp(v.data, want, len) != 0)
                        fail_msg("policy %d crash after %lld: thread %d put "
                                 "%d acked, then %s",
                                 policy, (long long)n, t, i,
                                 rc ? wk_errname(rc) : "false bytes");
                    wk_blob_view_release(b, &v);
                }
            wkt_assert_ok(wk_blob_close(b));
            rc = wk_blob_verify(BT_DIR, o.vfs, &rep);
            if (rc != 0)
                fail_msg("policy %d crash after %lld: verify: %s (%s)", policy,
                         (long long)n, wk_errname(rc), rep.problem);
            wk_sim_destroy(sim);
            states_checked++;
        }
    }
}

/* ---- real kernel: SIGKILL a writer ------------------------------------ */

static void
sk_payload(uint64_t i, uint8_t *buf, size_t *len)
{
    *len = (size_t)(i * 7919) % 60000;
    wkt_fill(buf, *len, 900 + i);
}

/* Child: durable puts, reporting (i, id) of each acknowledged one. */
static void
sk_child(const char *dir, int fd, uint64_t i0)
{
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    o.chunk_bytes = 256 * 1024;
    o.log_segment_bytes = 256 * 1024;
    o.checkpoint_bytes = 128 * 1024;
    wk_blob *b = NULL;
    if (wk_blob_open(dir, &o, &b, NULL) != 0)
        _exit(3);
    static uint8_t buf[60000];
    for (uint64_t i = i0;; i++) {
        size_t len;
        uint64_t id, rec[2];
        sk_payload(i, buf, &len);
        if (wk_blob_put(b, buf, len, i + 1, WK_SYNC, &id) != 0)
            _exit(4);
        if (i % 5 == 0 &&
            wk_blob_kv_set(b, "last", 4, &i, sizeof i, WK_SYNC) != 0)
            _exit(5);
        rec[0] = i;
        rec[1] = id;
        if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec)
            _exit(6);
    }
}

/* A writer process killed with SIGKILL at random moments (real disk,
 * posix vfs): every put it had acknowledged is there with its bytes after
 * each kill, and the store verifies clean. */
static void
test_sigkill_real_disk(void **state)
{
    (void)state;
    char *dir = wkt_tmpdir("blob-kill");
    uint64_t i0 = 0, checked = 0;
    uint64_t seed = (uint64_t)time(NULL);
    int rounds = wkt_quick() ? 2 : 5;
    static uint8_t want[60000];
    for (int r = 0; r < rounds; r++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            sk_child(dir, p[1], i0);
        }
        close(p[1]);
        struct timespec ts = {0, (long)(20 + wkt_rand(&seed) % 150) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status))
            fail_msg("round %d: writer exited with %d before the kill", r,
                     WEXITSTATUS(status));
        uint64_t rec[2];
        uint64_t(*acked)[2] = malloc(sizeof *acked * 100000);
        size_t n = 0;
        while (n < 100000 &&
               read(p[0], rec, sizeof rec) == (ssize_t)sizeof rec) {
            acked[n][0] = rec[0];
            acked[n][1] = rec[1];
            n++;
        }
        close(p[0]);
        wk_blob *b = NULL;
        wk_blob_report rep;
        int rc = wk_blob_open(dir, NULL, &b, &rep);
        if (rc != 0)
            fail_msg("round %d: reopen: %s (%s)", r, wk_errname(rc),
                     rep.problem);
        for (size_t k = 0; k < n; k++) {
            wk_blob_view v;
            size_t len;
            sk_payload(acked[k][0], want, &len);
            rc = wk_blob_get(b, acked[k][1], &v);
            if (rc != 0 || v.len != len || memcmp(v.data, want, len) != 0)
                fail_msg("round %d: acknowledged put %llu (id %llu): %s", r,
                         (unsigned long long)acked[k][0],
                         (unsigned long long)acked[k][1],
                         rc ? wk_errname(rc) : "false bytes");
            wk_blob_view_release(b, &v);
            checked++;
        }
        if (n > 0)
            i0 = acked[n - 1][0] + 2; /* one more may have been in flight */
        free(acked);
        wkt_assert_ok(wk_blob_close(b));
        rc = wk_blob_verify(dir, NULL, &rep);
        if (rc != 0)
            fail_msg("round %d: verify: %s (%s)", r, wk_errname(rc),
                     rep.problem);
    }
    printf("blob_crash: SIGKILL: %d rounds, %llu acknowledged puts checked\n",
           rounds, (unsigned long long)checked);
    wkt_tmpdir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_workload),
        cmocka_unit_test(test_crash_in_recovery),
        cmocka_unit_test(test_crash_group_commit),
        cmocka_unit_test(test_sigkill_real_disk),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    printf("blob_crash: %llu crash states checked (%llu puts shared a "
           "chunk sync in the concurrent loop)\n",
           (unsigned long long)states_checked, (unsigned long long)gc_shared);
    return rc;
}
