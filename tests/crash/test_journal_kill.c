/* journal_kill: real-kernel process-crash test of wk_journal
 * (kill_harness.h). A forked child commits transactions from KT_THREADS
 * threads; after each SIGKILL the test reopens in-process and checks that
 * every acked transaction is whole, that none is half applied, and that
 * recovery is idempotent. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kill_harness.h"

/* ==== journal_kill ====================================================== */

#define KJ_WRITES 4        /* writes per transaction, one slot each */
#define KJ_SLOT 1024u      /* slot size; each write lies inside one */
#define KJ_TXN_MAX 4096    /* transactions per thread per life */
#define KJ_BASE (1u << 20) /* data offset of slot 0 (after a region) */
#define KJ_NSLOTS (KT_THREADS * KJ_TXN_MAX * KJ_WRITES)
#define KJ_PROBE_OFF (KJ_BASE + (uint64_t)KJ_NSLOTS * KJ_SLOT)

typedef struct kj_geom {
    uint64_t slot_off; /* data file offset of the slot */
    uint32_t sub;      /* write offset inside the slot */
    uint32_t len;      /* write length */
} kj_geom;

typedef struct kj_round {
    uint64_t seed;
    int round;
    int region;
    uint64_t capacity;
    int life;
    char *data_path;
    char *jpath;
    uint32_t *perm; /* slot permutation: disjoint random slots per txn */
    size_t nack[KT_LIVES][KT_THREADS];
    uint64_t *seq[KT_LIVES][KT_THREADS]; /* acked batch seq per txn */
    uint64_t last_seq[KT_LIVES][KT_THREADS];
    uint64_t max_seq;
    int done[KT_LIVES][KT_THREADS];
    size_t present[KT_LIVES][KT_THREADS]; /* txns found, per life */
} kj_round;

/* Write w of transaction (life, thread, k): slot (the same in every life,
 * so a later life overwrites), offset and length inside it. */
static kj_geom
kj_geometry(const kj_round *R, int life, int thread, size_t k, int w)
{
    kj_geom g;
    size_t idx = ((size_t)thread * KJ_TXN_MAX + k) * KJ_WRITES + (size_t)w;
    g.slot_off = KJ_BASE + (uint64_t)R->perm[idx] * KJ_SLOT;
    uint64_t r = kt_mix(R->seed, (uint64_t)life << 8 | (uint64_t)thread, k,
                        (uint64_t)w << 1);
    g.len = 16u + (uint32_t)(r % (KJ_SLOT - 16u + 1u));
    g.sub = (uint32_t)((r >> 32) % (KJ_SLOT - g.len + 1u));
    return g;
}

/* Bytes of write w of (life, thread, k): a header naming the transaction,
 * the write and its version (life + 1), an FNV-1a of the rest, then bytes
 * derived from all of these. */
static void
kj_fill(const kj_round *R, uint8_t *buf, int life, int thread, size_t k, int w,
        uint32_t len)
{
    kt_put32(buf, 0x4B4A0000u | (uint32_t)life << 8 | (uint32_t)thread);
    kt_put32(buf + 4, (uint32_t)k);
    kt_put32(buf + 8, (uint32_t)w | (uint32_t)(life + 1) << 16);
    wkt_fill(buf + 16, len - 16,
             kt_mix(R->seed, (uint64_t)life << 8 | (uint64_t)thread, k,
                    (uint64_t)w << 1 | 1));
    uint32_t h = kt_fnv(buf, 12) ^ kt_fnv(buf + 16, len - 16);
    kt_put32(buf + 12, h);
}

static void
kj_opts(const kj_round *R, wk_journal_opts *o)
{
    wk_journal_opts_init(o);
    o->capacity = R->capacity;
    if (R->region) {
        o->journal_path = NULL;
        o->region_offset = 0;
    } else {
        o->journal_path = R->jpath;
    }
}

typedef struct kj_child {
    kj_round *R;
    wk_journal *j;
    int life;
} kj_child;

typedef struct kj_committer_arg {
    kj_child *c;
    int thread;
} kj_committer_arg;

static void *
kj_committer(void *arg)
{
    kj_committer_arg *a = arg;
    kj_child *c = a->c;
    const int L = c->life, t = a->thread;
    uint8_t buf[KJ_SLOT];
    for (size_t k = 0; k < KJ_TXN_MAX; k++) {
        wk_journal_txn *txn;
        int rc = wk_journal_begin(c->j, &txn);
        if (rc != 0)
            kt_child_fail(L, t, k, rc);
        for (int w = 0; w < KJ_WRITES; w++) {
            kj_geom g = kj_geometry(c->R, L, t, k, w);
            kj_fill(c->R, buf, L, t, k, w, g.len);
            rc = wk_journal_write(txn, g.slot_off + g.sub, buf, g.len);
            if (rc != 0)
                kt_child_fail(L, t, k, rc);
        }
        uint64_t seq = 0;
        rc = wk_journal_commit(txn, &seq);
        if (rc != 0)
            kt_child_fail(L, t, k, rc);
        kt_send(KT_ACK, L, t, k, seq, 0);
    }
    kt_send(KT_DONE, L, t, KJ_TXN_MAX, 0, 0);
    return NULL;
}

static void
kj_child_main(void *arg)
{
    kj_child *c = arg;
    wk_journal_opts o;
    kj_opts(c->R, &o);
    int rc = wk_journal_open(c->R->data_path, &o, &c->j, NULL);
    if (rc != 0)
        kt_child_fail(c->life, 0xFE, 0, rc);
    kt_send(KT_READY, c->life, 0, 0, 0, 0);
    pthread_t th[KT_THREADS];
    kj_committer_arg ca[KT_THREADS];
    for (int t = 0; t < KT_THREADS; t++) {
        ca[t].c = c;
        ca[t].thread = t;
        if (pthread_create(&th[t], NULL, kj_committer, &ca[t]) != 0)
            kt_child_fail(c->life, t, 0, -EAGAIN);
    }
    for (;;)
        pause();
}

static void
kj_on_rec(void *arg, const kt_rec *r)
{
    kj_round *R = arg;
    if (r->type == KT_ERR) {
        kt_report_child_err(r, r->thread == 0xFE ? "open" : "transaction");
        return;
    }
    if (r->life != R->life || r->thread >= KT_THREADS) {
        kt_violation("record with bad life/thread %d/%d", r->life, r->thread);
        return;
    }
    if (r->type == KT_DONE) {
        R->done[r->life][r->thread] = 1;
        return;
    }
    if (r->type != KT_ACK) {
        kt_violation("unknown record type %d", r->type);
        return;
    }
    size_t *n = &R->nack[r->life][r->thread];
    if (r->counter != *n || *n >= KJ_TXN_MAX) {
        kt_violation("thread %d: ack for txn %" PRIu64 " after %zu acks",
                     r->thread, r->counter, *n);
        return;
    }
    uint64_t *last = &R->last_seq[r->life][r->thread];
    if (r->lsn == 0 || r->lsn <= *last)
        kt_violation("thread %d txn %" PRIu64 ": batch seq %" PRIu64
                     " not above its previous commit's %" PRIu64,
                     r->thread, r->counter, r->lsn, *last);
    *last = r->lsn;
    R->seq[r->life][r->thread][*n] = r->lsn;
    if (r->lsn > R->max_seq)
        R->max_seq = r->lsn;
    (*n)++;
}

/* How the data is read back for checking: through the journal, or the raw
 * data file (after a clean close, which checkpoints). */
typedef struct kj_reader {
    wk_journal *j; /* NULL: raw */
    int fd;
    const char *name;
} kj_reader;

static int
kj_read(const kj_reader *rd, uint64_t off, uint8_t *buf)
{
    if (rd->j != NULL)
        return wk_journal_read(rd->j, off, KJ_SLOT, buf);
    size_t done = 0;
    while (done < KJ_SLOT) {
        ssize_t n =
            pread(rd->fd, buf + done, KJ_SLOT - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    memset(buf + done, 0, KJ_SLOT - done); /* past EOF reads as zero */
    return 0;
}

/* Expected image of the slot of write w of thread t's txn k after lives
 * 0..upto, given which transactions were present in each (present[l]: txns
 * of life l present; for l == upto, whether this one is, via with_top). */
static void
kj_expect(const kj_round *R, int t, size_t k, int w, int upto, int with_top,
          uint8_t *img)
{
    memset(img, 0, KJ_SLOT);
    for (int l = 0; l <= upto; l++) {
        int here = l < upto ? k < R->present[l][t] : with_top;
        if (!here)
            continue;
        kj_geom g = kj_geometry(R, l, t, k, w);
        kj_fill(R, img + g.sub, l, t, k, w, g.len);
    }
}

static size_t
kj_first_diff(const uint8_t *a, const uint8_t *b)
{
    size_t i = 0;
    while (i < KJ_SLOT && a[i] == b[i])
        i++;
    return i;
}

/* Classifies every transaction of life L that may exist (up to two past the
 * last ack) as present or absent through rd, and checks atomicity, the
 * per-thread prefix and the acks. Fills present[t]. Returns acked txns
 * verified. */
static size_t
kj_check_view(kj_round *R, const kj_reader *rd, size_t present[KT_THREADS])
{
    const int L = R->life;
    uint8_t buf[KJ_SLOT], with[KJ_SLOT], without[KJ_SLOT];
    size_t verified = 0;
    for (int t = 0; t < KT_THREADS; t++) {
        size_t nack = R->nack[L][t];
        size_t limit = nack + 2;
        for (int l = 0; l < L; l++) /* recheck earlier lives' slots too */
            if (R->present[l][t] > limit)
                limit = R->present[l][t];
        if (limit > KJ_TXN_MAX)
            limit = KJ_TXN_MAX;
        size_t n_present = 0;
        int gap = 0; /* an absent txn was seen */
        for (size_t k = 0; k < limit; k++) {
            int n_new = 0, n_old = 0;
            for (int w = 0; w < KJ_WRITES; w++) {
                kj_geom g = kj_geometry(R, L, t, k, w);
                int rc = kj_read(rd, g.slot_off, buf);
                if (rc != 0) {
                    kt_violation("%s read at %" PRIu64 " failed: %d %s",
                                 rd->name, g.slot_off, rc, wk_errname(rc));
                    return verified;
                }
                kj_expect(R, t, k, w, L, 1, with);
                kj_expect(R, t, k, w, L, 0, without);
                if (memcmp(buf, with, KJ_SLOT) == 0) {
                    n_new++;
                } else if (memcmp(buf, without, KJ_SLOT) == 0) {
                    n_old++;
                } else {
                    size_t d1 = kj_first_diff(buf, with);
                    size_t d0 = kj_first_diff(buf, without);
                    kt_violation(
                        "%s: thread %d txn %zu write %d: slot at %" PRIu64
                        " holds neither the old nor the new "
                        "bytes (write at +%u len %u; first diff "
                        "new +%zu old +%zu)",
                        rd->name, t, k, w, g.slot_off, g.sub, g.len, d1, d0);
                }
            }
            if (n_new != 0 && n_old != 0)
                kt_violation("%s: NOT ATOMIC: thread %d txn %zu: %d of %d "
                             "writes visible",
                             rd->name, t, k, n_new, KJ_WRITES);
            int here = n_new == KJ_WRITES;
            if (here) {
                if (gap)
                    kt_violation("%s: thread %d txn %zu present after an "
                                 "absent one: not a prefix",
                                 rd->name, t, k);
                n_present = k + 1;
            } else {
                gap = 1;
            }
            if (k < nack) {
                if (!here)
                    kt_violation("%s: LOST ACK: thread %d txn %zu (batch seq "
                                 "%" PRIu64 ", %zu acks of this thread) not "
                                 "visible",
                                 rd->name, t, k, R->seq[L][t][k], nack);
                else
                    verified++;
            } else if (here && k > nack) {
                kt_violation("%s: thread %d txn %zu visible but only %zu "
                             "acked (at most one can be in flight)",
                             rd->name, t, k, nack);
            }
        }
        present[t] = n_present;
    }
    return verified;
}

/* Checks the probe slot of life L through rd. */
static void
kj_check_probe(kj_round *R, const kj_reader *rd)
{
    uint8_t buf[KJ_SLOT], want[KJ_SLOT];
    memset(want, 0, sizeof want);
    kj_fill(R, want, R->life, 0xFF, 0, 0, KJ_SLOT);
    uint64_t off = KJ_PROBE_OFF + (uint64_t)R->life * KJ_SLOT;
    int rc = kj_read(rd, off, buf);
    if (rc != 0 || memcmp(buf, want, KJ_SLOT) != 0)
        kt_violation("%s: probe transaction of life %d not visible (rc %d)",
                     rd->name, R->life, rc);
}

static int
kj_open(kj_round *R, wk_journal **j, wk_journal_report *rep, const char *what)
{
    wk_journal_opts o;
    kj_opts(R, &o);
    memset(rep, 0, sizeof *rep);
    kt_phase(what);
    int rc = wk_journal_open(R->data_path, &o, j, rep);
    if (rc != 0)
        kt_violation("%s failed: %d %s (%s), corruptions %u", what, rc,
                     wk_errname(rc), wk_strerror(rc), rep->corruptions);
    return rc;
}

static int
kj_same_present(size_t a[KT_THREADS], size_t b[KT_THREADS])
{
    for (int t = 0; t < KT_THREADS; t++)
        if (a[t] != b[t])
            return 0;
    return 1;
}

/* Checks the journal after life R->life was killed: through the journal,
 * then (after a clean close) in the raw data file, then after a second
 * open. Returns acked transactions verified. */
static size_t
kj_verify(kj_round *R)
{
    const int L = R->life;
    wk_journal *j = NULL;
    wk_journal_report rep;
    if (kj_open(R, &j, &rep, "reopening the journal") != 0)
        return 0;
    kt_phase("checking through wk_journal_read");
    kj_reader rd = {j, -1, "journal"};
    size_t pa[KT_THREADS];
    size_t verified = kj_check_view(R, &rd, pa);
    for (int l = 0; l < L; l++)
        kj_check_probe(&(kj_round){.seed = R->seed, .life = l}, &rd);

    /* One more transaction; its batch follows every replayed one. */
    kt_phase("committing the probe transaction");
    uint8_t buf[KJ_SLOT];
    memset(buf, 0, sizeof buf);
    kj_fill(R, buf, L, 0xFF, 0, 0, KJ_SLOT);
    wk_journal_txn *txn;
    uint64_t seq = 0;
    int rc = wk_journal_begin(j, &txn);
    if (rc == 0)
        rc = wk_journal_write(txn, KJ_PROBE_OFF + (uint64_t)L * KJ_SLOT, buf,
                              KJ_SLOT);
    if (rc == 0)
        rc = wk_journal_commit(txn, &seq);
    else
        wk_journal_abort(txn);
    if (rc != 0)
        kt_violation("probe commit failed: %d %s", rc, wk_errname(rc));
    else if (seq <= R->max_seq || seq <= rep.last_seq)
        kt_violation("probe batch seq %" PRIu64 " not above acked %" PRIu64
                     " / replayed %" PRIu64,
                     seq, R->max_seq, rep.last_seq);
    if (seq > R->max_seq)
        R->max_seq = seq;
    kj_check_probe(R, &rd);
    kt_phase("closing the journal");
    rc = wk_journal_close(j);
    if (rc != 0)
        kt_violation("close failed: %d %s", rc, wk_errname(rc));

    /* A clean close checkpoints: the data file itself holds it all. */
    kt_phase("checking the raw data file");
    kj_reader raw = {NULL, open(R->data_path, O_RDONLY | O_CLOEXEC), "raw"};
    if (raw.fd < 0) {
        kt_violation("open %s: %s", R->data_path, strerror(errno));
    } else {
        size_t pb[KT_THREADS];
        kj_check_view(R, &raw, pb);
        if (!kj_same_present(pa, pb))
            kt_violation("raw data file differs from the journal's view");
        kj_check_probe(R, &raw);
        close(raw.fd);
    }

    /* Recovery again: the same view. */
    wk_journal_report rep2;
    if (kj_open(R, &j, &rep2, "reopening the journal a second time") == 0) {
        kt_phase("checking through wk_journal_read again");
        kj_reader rd2 = {j, -1, "journal (2nd open)"};
        size_t pc[KT_THREADS];
        kj_check_view(R, &rd2, pc);
        if (!kj_same_present(pa, pc))
            kt_violation("second recovery differs from the first");
        kj_check_probe(R, &rd2);
        kt_phase("closing the journal");
        rc = wk_journal_close(j);
        if (rc != 0)
            kt_violation("close failed: %d %s", rc, wk_errname(rc));
    }

    size_t present = 0;
    for (int t = 0; t < KT_THREADS; t++) {
        R->present[L][t] = pa[t];
        present += pa[t];
    }
    printf("journal_kill round %d life %d (%s, %" PRIu64 " KiB): %zu acked "
           "txns of this life verified (%zu visible; replayed %" PRIu64
           " batches, "
           "torn %" PRIu64 " B)\n",
           R->round, L, R->region ? "region" : "file", R->capacity >> 10,
           verified, present, rep.batches, rep.torn_bytes);
    return verified;
}

/* Committing 4-write transactions from 4 threads and killing the committer
 * at random moments never loses an acked transaction, never shows part of
 * one, keeps each thread's transactions a prefix, and the data file holds
 * the same after a clean reopen and close. */
static void
test_journal_kill(void **state)
{
    (void)state;
    uint64_t base = kt_base_seed("journal_kill");
    int rounds = wkt_quick() ? 3 : 8;
    size_t total = 0;
    for (int r = 0; r < rounds; r++) {
        kj_round R;
        memset(&R, 0, sizeof R);
        R.round = r;
        R.seed = kt_mix(base, (uint64_t)r, 0x10a, 0);
        R.region = r % 2 == 1;
        R.capacity = (r / 2) % 2 == 0 ? 256u << 10 : 1u << 20;
        R.perm = malloc(sizeof *R.perm * KJ_NSLOTS);
        assert_non_null(R.perm);
        for (int l = 0; l < KT_LIVES; l++) {
            for (int t = 0; t < KT_THREADS; t++) {
                R.seq[l][t] = calloc(KJ_TXN_MAX, sizeof *R.seq[l][t]);
                assert_non_null(R.seq[l][t]);
            }
        }
        uint64_t s = R.seed;
        for (uint32_t i = 0; i < KJ_NSLOTS; i++)
            R.perm[i] = i;
        for (uint32_t i = KJ_NSLOTS - 1; i > 0; i--) {
            uint32_t x = (uint32_t)(wkt_rand(&s) % (i + 1));
            uint32_t tmp = R.perm[i];
            R.perm[i] = R.perm[x];
            R.perm[x] = tmp;
        }
        kt_dir = wkt_tmpdir("journal_kill");
        assert_non_null(kt_dir);
        size_t n = strlen(kt_dir) + 16;
        R.data_path = malloc(n);
        R.jpath = malloc(n);
        assert_non_null(R.data_path);
        assert_non_null(R.jpath);
        snprintf(R.data_path, n, "%s/data", kt_dir);
        snprintf(R.jpath, n, "%s/data.jnl", kt_dir);
        snprintf(kt_ctx, sizeof kt_ctx, "journal_kill round %d seed 0x%" PRIx64,
                 r, R.seed);
        wk_journal_opts o;
        kj_opts(&R, &o);
        kt_phase("formatting the journal");
        wkt_assert_ok(wk_journal_format(R.data_path, &o));
        for (int L = 0; L < KT_LIVES; L++) {
            R.life = L;
            snprintf(kt_ctx, sizeof kt_ctx,
                     "journal_kill round %d seed 0x%" PRIx64 " life %d %s", r,
                     R.seed, L, R.region ? "region" : "file");
            kj_child c = {&R, NULL, L};
            if (kt_life(kj_child_main, &c, R.seed, L, kj_on_rec, &R) != 0)
                break;
            total += kj_verify(&R);
        }
        alarm(0);
        for (int l = 0; l < KT_LIVES; l++)
            for (int t = 0; t < KT_THREADS; t++)
                free(R.seq[l][t]);
        free(R.perm);
        free(R.data_path);
        free(R.jpath);
        wkt_tmpdir_remove(kt_dir);
        kt_dir = NULL;
    }
    kt_summary("journal_kill", "transactions", total, rounds, base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_journal_kill, kt_teardown),
    };
    return cmocka_run_group_tests_name("journal_kill", tests, NULL, NULL);
}
