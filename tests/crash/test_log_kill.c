/* log_kill: real-kernel process-crash test of wk_log (kill_harness.h).
 *
 * A forked child appends to a wk_log from KT_THREADS threads (checkpoints
 * included) and reports every acknowledgement; after each SIGKILL the test
 * reopens in-process and checks that every acked entry survived byte for
 * byte, that every entry is whole and valid, that what survived is a prefix
 * of each thread's sequence, and that recovery is idempotent. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kill_harness.h"

/* ==== log_kill ========================================================== */

#define KL_SEG_BYTES (1u << 20)
#define KL_CKPT_BYTES (384u << 10)
#define KL_MAX_LEN 65535u
#define KL_HDR 16u
#define KL_PROBE 0xFF /* thread id of the parent's probe entries */

/* Length of entry (life, thread, counter): 16 B .. 64 KiB, log-uniform. */
static size_t
kl_len(uint64_t seed, int life, int thread, uint64_t counter)
{
    uint64_t r =
        kt_mix(seed, (uint64_t)life << 8 | (uint64_t)thread, counter, 1);
    unsigned e = (unsigned)(r % 12);
    return ((size_t)16 << e) + (size_t)((r >> 8) % ((uint64_t)16 << e));
}

/* Builds the self-describing payload of (life, thread, counter): magic with
 * life and thread, counter, length, FNV-1a of the rest, then bytes derived
 * from all of these. Returns its length. */
static size_t
kl_payload(uint8_t *buf, uint64_t seed, int life, int thread, uint64_t counter)
{
    size_t len = kl_len(seed, life, thread, counter);
    kt_put32(buf, 0x4B4C0000u | (uint32_t)life << 8 | (uint32_t)thread);
    kt_put32(buf + 4, (uint32_t)counter);
    kt_put32(buf + 8, (uint32_t)len);
    wkt_fill(buf + KL_HDR, len - KL_HDR,
             kt_mix(seed, (uint64_t)life << 8 | (uint64_t)thread, counter, 2));
    uint32_t h = kt_fnv(buf, 12);
    h ^= kt_fnv(buf + KL_HDR, len - KL_HDR);
    kt_put32(buf + 12, h);
    return len;
}

/* Checks an entry against the payload it claims to be; fills its identity.
 * Returns NULL when valid, else why not. scratch holds KL_MAX_LEN bytes. */
static const char *
kl_check(uint64_t seed, const uint8_t *p, uint64_t len, uint8_t *scratch,
         int *life, int *thread, uint64_t *counter)
{
    if (len < KL_HDR || len > KL_MAX_LEN)
        return "bad length";
    uint32_t m = kt_get32(p);
    if ((m & 0xFFFF0000u) != 0x4B4C0000u)
        return "bad magic";
    *life = (int)(m >> 8 & 0xFF);
    *thread = (int)(m & 0xFF);
    *counter = kt_get32(p + 4);
    if (kt_get32(p + 8) != len)
        return "length field differs from the entry length";
    if ((*thread >= KT_THREADS && *thread != KL_PROBE) || *life >= KT_LIVES)
        return "bad life/thread";
    size_t want = kl_payload(scratch, seed, *life, *thread, *counter);
    if (want != len || memcmp(scratch, p, want) != 0)
        return "payload differs from the one appended";
    return NULL;
}

typedef struct kl_child {
    const char *dir;
    uint64_t seed;
    int life;
    int ckpt;
    wk_log *log;
    uint8_t *scratch; /* checkpoint_fn's (one checkpoint at a time) */
} kl_child;

typedef struct kl_writer_arg {
    kl_child *c;
    int thread;
} kl_writer_arg;

static void
kl_opts(wk_log_opts *o)
{
    wk_log_opts_init(o);
    o->segment_bytes = KL_SEG_BYTES;
}

static void *
kl_writer(void *arg)
{
    kl_writer_arg *a = arg;
    kl_child *c = a->c;
    uint8_t *buf = malloc(KL_MAX_LEN);
    if (buf == NULL)
        kt_child_fail(c->life, a->thread, 0, WK_ENOMEM);
    for (uint64_t k = 0;; k++) {
        size_t len = kl_payload(buf, c->seed, c->life, a->thread, k);
        uint64_t lsn = 0;
        int rc = wk_log_append(c->log, buf, len, WK_SYNC, &lsn);
        if (rc != 0)
            kt_child_fail(c->life, a->thread, k, rc);
        kt_send(KT_ACK, c->life, a->thread, k, lsn, 0);
    }
    return NULL;
}

/* The child's "store": every checkpointed entry is validated and reported
 * to the parent (whose memory survives the kill) before returning 0. */
static int
kl_child_checkpoint(void *arg, wk_log_iter *it, uint64_t upto)
{
    kl_child *c = arg;
    static uint8_t data[KL_MAX_LEN];
    wk_log_entry e;
    int rc;
    while ((rc = wk_log_iter_next(it, &e, 0)) == 0) {
        if (e.lsn > upto)
            break;
        const uint8_t *p = e.data;
        if (p == NULL) {
            if (e.len > KL_MAX_LEN ||
                wk_log_entry_read(&e, 0, data, (size_t)e.len) != 0)
                kt_child_fail(c->life, 0, e.lsn, WK_ECORRUPT);
            p = data;
        }
        int life, thread;
        uint64_t counter;
        if (kl_check(c->seed, p, e.len, c->scratch, &life, &thread, &counter) !=
            NULL) {
            kt_send(KT_ERR, c->life, 0xFE, e.lsn, e.lsn, WK_ECORRUPT);
            _exit(3);
        }
        kt_send(KT_CKPT, life, thread, counter, e.lsn, 0);
    }
    if (rc != 0 && rc != WK_ENOTFOUND)
        kt_child_fail(c->life, 0xFE, upto, rc);
    kt_send(KT_CKPT_DONE, c->life, 0, 0, upto, 0);
    return 0;
}

static void
kl_child_main(void *arg)
{
    kl_child *c = arg;
    wk_log_opts o;
    kl_opts(&o);
    c->scratch = malloc(KL_MAX_LEN);
    if (c->scratch == NULL)
        kt_child_fail(c->life, 0xFE, 0, WK_ENOMEM);
    if (c->ckpt) {
        o.checkpoint_fn = kl_child_checkpoint;
        o.checkpoint_arg = c;
        o.checkpoint_bytes = KL_CKPT_BYTES;
    }
    int rc = wk_log_open(c->dir, &o, &c->log, NULL);
    if (rc != 0)
        kt_child_fail(c->life, 0xFE, 0, rc);
    kt_send(KT_READY, c->life, 0, 0, 0, 0);
    pthread_t th[KT_THREADS];
    kl_writer_arg wa[KT_THREADS];
    for (int t = 0; t < KT_THREADS; t++) {
        wa[t].c = c;
        wa[t].thread = t;
        if (pthread_create(&th[t], NULL, kl_writer, &wa[t]) != 0)
            kt_child_fail(c->life, t, 0, -EAGAIN);
    }
    for (;;)
        pause();
}

/* ---- parent side ---- */

typedef struct kl_ent {
    uint64_t lsn;
    uint64_t counter;
    int life;
    int thread;
} kl_ent;

typedef struct kl_vec {
    kl_ent *v;
    size_t n, cap;
} kl_vec;

static void
kl_push(kl_vec *v, uint64_t lsn, int life, int thread, uint64_t counter)
{
    v->v = kt_grow(v->v, &v->cap, v->n + 1, sizeof *v->v);
    v->v[v->n++] = (kl_ent){lsn, counter, life, thread};
}

typedef struct kl_u64vec {
    uint64_t *v;
    size_t n, cap;
} kl_u64vec;

typedef struct kl_round {
    uint64_t seed;
    int round;
    int ckpt;
    int life;                            /* current */
    kl_u64vec ack[KT_LIVES][KT_THREADS]; /* acked LSN, index = counter */
    kl_vec store; /* entries handed to a checkpoint_fn (the user's store) */
    kl_vec known; /* everything recovered at the previous verification */
    uint64_t ckpts_done;
    uint8_t *scratch;
    uint8_t *data;
    kl_vec rec; /* recover_fn output */
    int rec_bad;
} kl_round;

static void
kl_on_rec(void *arg, const kt_rec *r)
{
    kl_round *R = arg;
    switch (r->type) {
    case KT_ACK: {
        if (r->life != R->life || r->thread >= KT_THREADS) {
            kt_violation("ack with bad life/thread %d/%d", r->life, r->thread);
            return;
        }
        kl_u64vec *a = &R->ack[r->life][r->thread];
        if (r->counter != a->n) {
            kt_violation("thread %d: ack for counter %" PRIu64
                         " after %zu acks",
                         r->thread, r->counter, a->n);
            return;
        }
        a->v = kt_grow(a->v, &a->cap, a->n + 1, sizeof *a->v);
        a->v[a->n++] = r->lsn;
        break;
    }
    case KT_CKPT:
        kl_push(&R->store, r->lsn, r->life, r->thread, r->counter);
        break;
    case KT_CKPT_DONE:
        R->ckpts_done++;
        break;
    case KT_ERR:
        kt_report_child_err(r,
                            r->thread == 0xFE ? "open/checkpoint" : "append");
        break;
    default:
        kt_violation("unknown record type %d", r->type);
    }
}

static int
kl_recover_cb(void *arg, const wk_log_entry *e)
{
    kl_round *R = arg;
    const uint8_t *p = e->data;
    if (p == NULL) {
        if (e->len > KL_MAX_LEN ||
            wk_log_entry_read(e, 0, R->data, (size_t)e->len) != 0) {
            kt_violation("recovered entry lsn %" PRIu64 " len %" PRIu64
                         " unreadable",
                         e->lsn, e->len);
            R->rec_bad++;
            return 0;
        }
        p = R->data;
    }
    int life, thread;
    uint64_t counter;
    const char *why =
        kl_check(R->seed, p, e->len, R->scratch, &life, &thread, &counter);
    if (why != NULL) {
        kt_violation("recovered entry lsn %" PRIu64 " len %" PRIu64
                     " is invalid: %s",
                     e->lsn, e->len, why);
        R->rec_bad++;
        return 0;
    }
    kl_push(&R->rec, e->lsn, life, thread, counter);
    return 0;
}

static int
kl_cmp_lsn(const void *a, const void *b)
{
    const kl_ent *x = a, *y = b;
    return x->lsn < y->lsn ? -1 : x->lsn > y->lsn;
}

static int
kl_same(const kl_ent *a, const kl_ent *b)
{
    return a->lsn == b->lsn && a->life == b->life && a->thread == b->thread &&
           a->counter == b->counter;
}

/* Opens the log in-process collecting R->rec; returns open's rc. */
static int
kl_open_recover(kl_round *R, wk_log **log, wk_log_report *rep)
{
    wk_log_opts o;
    kl_opts(&o);
    o.recover_fn = kl_recover_cb;
    o.recover_arg = R;
    o.create_if_missing = 0;
    R->rec.n = 0;
    R->rec_bad = 0;
    memset(rep, 0, sizeof *rep);
    return wk_log_open(kt_dir, &o, log, rep);
}

/* Checks the log after life R->life was killed. Returns acked entries
 * verified. */
static size_t
kl_verify(kl_round *R)
{
    const int L = R->life;
    wk_log *log = NULL;
    wk_log_report rep;
    kt_phase("reopening the log");
    int rc = kl_open_recover(R, &log, &rep);
    if (rc != 0) {
        kt_violation("reopen failed: %d %s (%s) torn %s@%" PRIu64
                     " corruptions %u",
                     rc, wk_errname(rc), wk_strerror(rc), rep.torn_file,
                     rep.torn_offset, rep.corruptions);
        return 0;
    }
    const uint64_t C = rep.checkpoint_lsn;

    /* Recovery order: strictly increasing LSNs, all above the checkpoint. */
    for (size_t i = 0; i < R->rec.n; i++) {
        if (R->rec.v[i].lsn <= C)
            kt_violation("recovered lsn %" PRIu64 " <= checkpoint lsn %" PRIu64,
                         R->rec.v[i].lsn, C);
        if (i > 0 && R->rec.v[i].lsn <= R->rec.v[i - 1].lsn)
            kt_violation("recovered lsn %" PRIu64 " after %" PRIu64,
                         R->rec.v[i].lsn, R->rec.v[i - 1].lsn);
    }

    /* The whole log as the user sees it: what its store got from
     * checkpoints (<= C) followed by what recovery handed over. */
    if (R->store.n > 1)
        qsort(R->store.v, R->store.n, sizeof *R->store.v, kl_cmp_lsn);
    kl_vec U = {NULL, 0, 0};
    for (size_t i = 0; i < R->store.n; i++) {
        const kl_ent *s = &R->store.v[i];
        if (i > 0 && s->lsn == s[-1].lsn) {
            if (!kl_same(s, s - 1))
                kt_violation("checkpoints handed out lsn %" PRIu64
                             " as two different entries",
                             s->lsn);
            continue;
        }
        if (s->lsn <= C) {
            kl_push(&U, s->lsn, s->life, s->thread, s->counter);
            continue;
        }
        /* Handed to a checkpoint (so durable) but the checkpoint was not
         * recorded: recovery must hand it over again. */
        size_t lo = 0, hi = R->rec.n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (R->rec.v[mid].lsn < s->lsn)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == R->rec.n || !kl_same(&R->rec.v[lo], s))
            kt_violation("entry life %d thread %d counter %" PRIu64
                         " lsn %" PRIu64 " seen by a checkpoint (not "
                         "recorded; ckpt lsn %" PRIu64 ") was not recovered",
                         s->life, s->thread, s->counter, s->lsn, C);
    }
    size_t from_store = U.n;
    for (size_t i = 0; i < R->rec.n; i++)
        kl_push(&U, R->rec.v[i].lsn, R->rec.v[i].life, R->rec.v[i].thread,
                R->rec.v[i].counter);

    /* Walk U in LSN order: each thread's entries must come as counters
     * 0, 1, 2, ... (a prefix, in order, no duplicates); lives and the
     * parent's probes must not interleave. */
    kl_u64vec got[KT_LIVES][KT_THREADS];
    memset(got, 0, sizeof got);
    int probes = 0;
    int epoch = 0;
    uint64_t max_lsn = C;
    for (size_t i = 0; i < U.n; i++) {
        const kl_ent *u = &U.v[i];
        if (u->lsn > max_lsn)
            max_lsn = u->lsn;
        if (i > 0 && u->lsn <= U.v[i - 1].lsn)
            kt_violation("lsn %" PRIu64 " not above %" PRIu64
                         " (store/recovery overlap)",
                         u->lsn, U.v[i - 1].lsn);
        int ep = u->thread == KL_PROBE ? 2 * u->life + 1 : 2 * u->life;
        if (ep < epoch)
            kt_violation("lsn %" PRIu64 " (life %d thread %d counter %" PRIu64
                         ") comes after a later life's entries",
                         u->lsn, u->life, u->thread, u->counter);
        else
            epoch = ep;
        if (u->life > L) {
            kt_violation("entry from a future life %d", u->life);
            continue;
        }
        if (u->thread == KL_PROBE) {
            if (u->life != probes || u->counter != 0)
                kt_violation("unexpected probe entry life %d counter %" PRIu64,
                             u->life, u->counter);
            probes++;
            continue;
        }
        kl_u64vec *g = &got[u->life][u->thread];
        if (u->counter != g->n) {
            kt_violation("life %d thread %d: counter %" PRIu64 " (lsn %" PRIu64
                         ") follows counter %zd: not a prefix in order",
                         u->life, u->thread, u->counter, u->lsn,
                         (ssize_t)g->n - 1);
            if (u->counter < g->n)
                continue;
            while (g->n < u->counter) { /* mark the hole */
                g->v = kt_grow(g->v, &g->cap, g->n + 1, sizeof *g->v);
                g->v[g->n++] = 0;
            }
        }
        g->v = kt_grow(g->v, &g->cap, g->n + 1, sizeof *g->v);
        g->v[g->n++] = u->lsn;
    }
    if (probes != L)
        kt_violation("%d probe entries recovered, expected %d", probes, L);

    /* Every acked entry, with its LSN; nothing past one in-flight append. */
    size_t verified = 0, verified_here = 0;
    for (int l = 0; l <= L; l++) {
        for (int t = 0; t < KT_THREADS; t++) {
            kl_u64vec *a = &R->ack[l][t];
            kl_u64vec *g = &got[l][t];
            for (size_t c = 0; c < a->n; c++) {
                if (c >= g->n || g->v[c] == 0)
                    kt_violation("LOST ACK: life %d thread %d counter %zu "
                                 "lsn %" PRIu64
                                 " not recovered (ckpt lsn %" PRIu64
                                 ", %zu acks of this thread)",
                                 l, t, c, a->v[c], C, a->n);
                else if (g->v[c] != a->v[c])
                    kt_violation("life %d thread %d counter %zu: recovered "
                                 "with lsn %" PRIu64 ", acked with %" PRIu64,
                                 l, t, c, g->v[c], a->v[c]);
                else {
                    verified++;
                    verified_here += l == L;
                }
            }
            if (g->n > a->n + 1)
                kt_violation("life %d thread %d: %zu entries recovered but "
                             "only %zu acked (at most one can be in flight)",
                             l, t, g->n, a->n);
        }
    }

    /* What an earlier verification saw is still exactly there. */
    size_t ki = 0;
    for (size_t i = 0; i < U.n; i++) {
        if (U.v[i].life == L && U.v[i].thread != KL_PROBE)
            continue;
        if (U.v[i].life > L)
            continue;
        if (ki >= R->known.n || !kl_same(&U.v[i], &R->known.v[ki])) {
            kt_violation("entry life %d thread %d counter %" PRIu64
                         " lsn %" PRIu64 " differs from the previous "
                         "recovery",
                         U.v[i].life, U.v[i].thread, U.v[i].counter,
                         U.v[i].lsn);
            break;
        }
        ki++;
    }
    if (ki != R->known.n && ki < R->known.n)
        kt_violation("%zu entries of earlier lives vanished since the "
                     "previous recovery (first: lsn %" PRIu64 ")",
                     R->known.n - ki, R->known.v[ki].lsn);

    /* One more append: its LSN is above everything recovered. */
    uint64_t plsn = 0;
    size_t plen = kl_payload(R->data, R->seed, L, KL_PROBE, 0);
    kt_phase("appending the probe entry");
    rc = wk_log_append(log, R->data, plen, WK_SYNC, &plsn);
    if (rc != 0)
        kt_violation("probe append failed: %d %s", rc, wk_errname(rc));
    else if (plsn <= max_lsn)
        kt_violation("probe lsn %" PRIu64 " not above recovered/checkpointed "
                     "lsn %" PRIu64,
                     plsn, max_lsn);
    kt_phase("closing the log");
    rc = wk_log_close(log);
    if (rc != 0)
        kt_violation("close failed: %d %s", rc, wk_errname(rc));
    kl_push(&U, plsn, L, KL_PROBE, 0);

    /* Idempotent recovery: the same entries again, plus the probe. */
    kl_vec first = R->rec;
    R->rec = (kl_vec){NULL, 0, 0};
    wk_log_report rep2;
    kt_phase("reopening the log a second time");
    rc = kl_open_recover(R, &log, &rep2);
    if (rc != 0) {
        kt_violation("second reopen failed: %d %s", rc, wk_errname(rc));
    } else {
        if (rep2.checkpoint_lsn != C)
            kt_violation("checkpoint lsn changed from %" PRIu64 " to %" PRIu64
                         " without a checkpoint",
                         C, rep2.checkpoint_lsn);
        int same = R->rec.n == first.n + 1;
        for (size_t i = 0; same && i < first.n; i++)
            same = kl_same(&R->rec.v[i], &first.v[i]);
        if (same)
            same = kl_same(&R->rec.v[first.n], &U.v[U.n - 1]);
        if (!same)
            kt_violation("second recovery differs: %zu entries (expected %zu "
                         "+ probe)",
                         R->rec.n, first.n);
        kt_phase("closing the log");
        rc = wk_log_close(log);
        if (rc != 0)
            kt_violation("close failed: %d %s", rc, wk_errname(rc));
    }
    size_t nrec = first.n;
    free(first.v);

    printf(
        "log_kill round %d life %d%s: %zu acked entries verified, %zu "
        "of them from this life (%zu recovered, %zu from checkpoints, %" PRIu64
        " checkpoints, torn %" PRIu64 " B)\n",
        R->round, L, R->ckpt ? " ckpt" : "", verified, verified_here, nrec,
        from_store, R->ckpts_done, rep.torn_bytes);
    free(R->known.v);
    R->known = U;
    for (int l = 0; l < KT_LIVES; l++)
        for (int t = 0; t < KT_THREADS; t++)
            free(got[l][t].v);
    return verified;
}

/* Appending from 4 threads with WK_SYNC and killing the writer at random
 * moments never loses an acked entry, never recovers a partial or invalid
 * one, recovers a per-thread prefix, and recovers the same thing twice. */
static void
test_log_kill(void **state)
{
    (void)state;
    uint64_t base = kt_base_seed("log_kill");
    int rounds = wkt_quick() ? 3 : 8;
    size_t total = 0;
    for (int r = 0; r < rounds; r++) {
        kl_round R;
        memset(&R, 0, sizeof R);
        R.round = r;
        R.seed = kt_mix(base, (uint64_t)r, 0x106, 0);
        R.ckpt = r % 2 == 1;
        R.scratch = malloc(KL_MAX_LEN);
        R.data = malloc(KL_MAX_LEN);
        assert_non_null(R.scratch);
        assert_non_null(R.data);
        kt_dir = wkt_tmpdir("log_kill");
        assert_non_null(kt_dir);
        for (int L = 0; L < KT_LIVES; L++) {
            R.life = L;
            snprintf(kt_ctx, sizeof kt_ctx,
                     "log_kill round %d seed 0x%" PRIx64 " life %d%s", r,
                     R.seed, L, R.ckpt ? " ckpt" : "");
            kl_child c = {kt_dir, R.seed, L, R.ckpt, NULL, NULL};
            if (kt_life(kl_child_main, &c, R.seed, L, kl_on_rec, &R) != 0)
                break;
            total += kl_verify(&R);
        }
        alarm(0);
        for (int l = 0; l < KT_LIVES; l++)
            for (int t = 0; t < KT_THREADS; t++)
                free(R.ack[l][t].v);
        free(R.store.v);
        free(R.known.v);
        free(R.rec.v);
        free(R.scratch);
        free(R.data);
        wkt_tmpdir_remove(kt_dir);
        kt_dir = NULL;
    }
    kt_summary("log_kill", "entries", total, rounds, base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_log_kill, kt_teardown),
    };
    return cmocka_run_group_tests_name("log_kill", tests, NULL, NULL);
}
