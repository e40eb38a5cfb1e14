/* Real-kernel process-crash tests on the posix backend, public API only.
 *
 * A forked child appends to a wk_log (log_kill) or commits wk_journal
 * transactions (journal_kill) from 4 threads and reports every
 * acknowledgement through a pipe (one write() of a 24-byte record per ack,
 * atomic since < PIPE_BUF). The parent SIGKILLs it after a random delay,
 * drains the pipe, reaps it, then reopens in-process and checks that every
 * acked item survived byte for byte, that every item is whole and valid,
 * that what survived is a prefix of each thread's sequence, and that recovery
 * is idempotent. Each round runs three lives in one directory, each child
 * recovering what the previous one left: life 0 and 2 are killed after
 * 50-500 ms, life 1 after 0.1-8 ms (often inside open/recovery). This proves
 * process-crash safety and the real backend, not power-cut safety (the page
 * cache survives a SIGKILL).
 *
 * The file is built twice: log_kill, and journal_kill (WKT_KILL_JOURNAL).
 * WKT_SEED=n reproduces a run's data and kill delays (not its timing). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wkt.h"

#define KT_THREADS 4
#define KT_LIVES 3 /* per round, in one directory; life 1 is a short one */
#define KT_MAX_PRINTED 30      /* violations printed (all are counted) */
#define KT_WATCHDOG_S 60       /* parent: per phase */
#define KT_CHILD_WATCHDOG_S 30 /* child: whole life (killed far sooner) */
#define KT_DELAY_MIN_US 50000
#define KT_DELAY_MAX_US 500000
#define KT_SHORT_DELAY_MAX_US 8000 /* life 1: often inside open/recovery */

/* Pipe record from child to parent. */
enum { KT_ACK = 1, KT_CKPT, KT_CKPT_DONE, KT_DONE, KT_ERR, KT_READY };

typedef struct kt_rec {
    uint16_t type;
    uint8_t life;
    uint8_t thread;
    int32_t aux;      /* KT_ERR: the error code */
    uint64_t counter; /* per (life, thread) sequence number */
    uint64_t lsn;     /* log: LSN; journal: batch sequence */
} kt_rec;

_Static_assert(sizeof(kt_rec) == 24 && sizeof(kt_rec) < PIPE_BUF,
               "ack records must be written atomically");

/* ---- shared helpers ---------------------------------------------------- */

static int kt_wfd = -1;                 /* child: write end of the pipe */
static volatile sig_atomic_t kt_wd_pid; /* parent: child to kill on hang */
static char kt_wd_msg[256];
static volatile sig_atomic_t kt_wd_len;
static char kt_ctx[128]; /* "round 3 (seed 0x...) life 1" for messages */
static long kt_bad;      /* violations found in this process */
static int kt_ready;     /* the current child reported its open done */
static int kt_in_open;   /* lives killed before their open returned */
static char *kt_dir;     /* current temp dir (removed by the teardown) */

static void
kt_watchdog(int sig)
{
    (void)sig;
    if (write(2, kt_wd_msg, (size_t)kt_wd_len) < 0) {
    }
    if (kt_wd_pid > 0)
        kill((pid_t)kt_wd_pid, SIGKILL);
    _exit(2);
}

/* Names the phase being run and (re)arms the watchdog for it. */
static void
kt_phase(const char *what)
{
    int n = snprintf(kt_wd_msg, sizeof kt_wd_msg,
                     "\nWATCHDOG: %s: %s hung for %d s\n", kt_ctx, what,
                     KT_WATCHDOG_S);
    if (n < 0)
        n = 0;
    if (n >= (int)sizeof kt_wd_msg)
        n = (int)sizeof kt_wd_msg - 1;
    kt_wd_len = n;
    signal(SIGALRM, kt_watchdog);
    alarm(KT_WATCHDOG_S);
}

static void
kt_violation(const char *fmt, ...)
{
    kt_bad++;
    if (kt_bad > KT_MAX_PRINTED) {
        if (kt_bad == KT_MAX_PRINTED + 1)
            fprintf(stderr, "VIOLATION: (further violations not printed)\n");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "VIOLATION [%s]: ", kt_ctx);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static uint64_t
kt_mix(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t s = seed;
    s = wkt_rand(&s) ^ a;
    s = wkt_rand(&s) ^ b;
    s = wkt_rand(&s) ^ c;
    return wkt_rand(&s);
}

static uint64_t
kt_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
kt_base_seed(const char *name)
{
    static uint64_t seed;
    if (seed != 0)
        return seed;
    const char *s = getenv("WKT_SEED");
    if (s != NULL && *s != '\0')
        seed = strtoull(s, NULL, 0);
    else
        seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
    if (seed == 0)
        seed = 1;
    printf("%s: seed 0x%" PRIx64 " (set WKT_SEED to reproduce the data)\n",
           name, seed);
    return seed;
}

static void
kt_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#ifndef WKT_KILL_JOURNAL
static uint32_t
kt_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
#endif

/* FNV-1a: the payloads' own checksum (independent of the library's). */
static uint32_t
kt_fnv(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

#ifndef WKT_KILL_JOURNAL
static void *
kt_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap != 0 ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    p = realloc(p, c * elem);
    assert_non_null(p);
    *cap = c;
    return p;
}
#endif

/* Child: sends one record (one atomic write); exits if the parent is gone. */
static void
kt_send(int type, int life, int thread, uint64_t counter, uint64_t lsn, int aux)
{
    kt_rec r;
    memset(&r, 0, sizeof r);
    r.type = (uint16_t)type;
    r.life = (uint8_t)life;
    r.thread = (uint8_t)thread;
    r.aux = aux;
    r.counter = counter;
    r.lsn = lsn;
    for (;;) {
        ssize_t n = write(kt_wfd, &r, sizeof r);
        if (n == (ssize_t)sizeof r)
            return;
        if (n < 0 && errno == EINTR)
            continue;
        _exit(4);
    }
}

/* Child: reports a failed library call and dies (the parent fails the
 * test: the child must only ever die of the parent's SIGKILL). */
static void
kt_child_fail(int life, int thread, uint64_t counter, int rc)
{
    kt_send(KT_ERR, life, thread, counter, 0, rc);
    _exit(3);
}

/* Forks a child running fn(arg) (which must not return) with a pipe to us.
 * Returns the child's pid; *rfd gets the read end. */
static pid_t
kt_spawn(void (*fn)(void *), void *arg, int *rfd)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        kt_wfd = p[1];
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGALRM, SIG_DFL);
        alarm(KT_CHILD_WATCHDOG_S);
        fn(arg);
        _exit(5);
    }
    close(p[1]);
    *rfd = p[0];
    kt_wd_pid = pid;
    return pid;
}

typedef void (*kt_rec_fn)(void *arg, const kt_rec *r);

/* Parent: hands every record to fn until delay_us after the fork, SIGKILLs
 * the child, drains the pipe (acks sent before the kill count), reaps the
 * child. Returns 0 when the child died of our SIGKILL; otherwise prints how
 * it died and returns -1. */
static int
kt_collect(pid_t pid, int rfd, uint64_t start_us, uint64_t delay_us,
           kt_rec_fn fn, void *arg)
{
    uint8_t buf[sizeof(kt_rec) * 256];
    size_t have = 0;
    int killed = 0;
    uint64_t deadline = start_us + delay_us;
    kt_ready = 0;
    kt_phase("collecting acks / killing the child");
    for (;;) {
        struct timespec ts, *timeout = NULL;
        if (!killed) {
            uint64_t now = kt_now_us();
            if (now >= deadline) {
                kill(pid, SIGKILL);
                killed = 1;
            } else {
                ts.tv_sec = (time_t)((deadline - now) / 1000000u);
                ts.tv_nsec = (long)((deadline - now) % 1000000u * 1000u);
                timeout = &ts;
            }
        }
        struct pollfd pfd = {.fd = rfd, .events = POLLIN, .revents = 0};
        int n = ppoll(&pfd, 1, timeout, NULL);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            continue;
        ssize_t got = read(rfd, buf + have, sizeof buf - have);
        if (got < 0 && errno == EINTR)
            continue;
        assert_true(got >= 0);
        if (got == 0)
            break; /* every thread of the child is gone */
        have += (size_t)got;
        size_t i = 0;
        for (; i + sizeof(kt_rec) <= have; i += sizeof(kt_rec)) {
            kt_rec r;
            memcpy(&r, buf + i, sizeof r);
            if (r.type == KT_READY)
                kt_ready = 1;
            else
                fn(arg, &r);
        }
        memmove(buf, buf + i, have - i);
        have -= i;
    }
    close(rfd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    kt_wd_pid = 0;
    if (have != 0)
        kt_violation("pipe ended with %zu bytes of a partial record", have);
    if (killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        kt_in_open += !kt_ready;
        return 0;
    }
    if (WIFSIGNALED(status))
        kt_violation("child died of signal %d (%s) before the kill",
                     WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        kt_violation("child exited with status %d before the kill",
                     WEXITSTATUS(status));
    return -1;
}

static void
kt_report_child_err(const kt_rec *r, const char *what)
{
    kt_violation("child: %s failed in thread %d at counter %" PRIu64
                 " (lsn/seq %" PRIu64 "): %d %s (%s)",
                 what, r->thread, r->counter, r->lsn, r->aux,
                 wk_errname(r->aux), wk_strerror(r->aux));
}

/* Kill delay of a life in microseconds: 50-500 ms; up to 8 ms for life 1,
 * which then often dies while recovering what life 0 left. */
static uint64_t
kt_delay(uint64_t seed, int life)
{
    uint64_t r = kt_mix(seed, 0xde1a, (uint64_t)life, 0);
    if (life == 1)
        return 100 + r % KT_SHORT_DELAY_MAX_US;
    return KT_DELAY_MIN_US + r % (KT_DELAY_MAX_US - KT_DELAY_MIN_US + 1);
}

/* One life: forks fn(arg) and hands its records to on_rec(rec_arg) until
 * the seeded delay of this life kills it (see kt_collect: 0 when our kill
 * ended it). */
static int
kt_life(void (*fn)(void *), void *arg, uint64_t seed, int life,
        kt_rec_fn on_rec, void *rec_arg)
{
    int rfd;
    uint64_t t0 = kt_now_us();
    pid_t pid = kt_spawn(fn, arg, &rfd);
    return kt_collect(pid, rfd, t0, kt_delay(seed, life), on_rec, rec_arg);
}

/* Prints the suite's summary line (what: the acked items); fails on any
 * violation, or when nothing was verified. */
static void
kt_summary(const char *suite, const char *what, size_t total, int rounds,
           uint64_t base)
{
    printf("%s: %zu acked %s verified in %d rounds (%d kills of %d inside "
           "open/recovery), %ld violations\n",
           suite, total, what, rounds, kt_in_open, rounds * KT_LIVES, kt_bad);
    if (kt_bad != 0)
        fail_msg("%ld violations (see VIOLATION lines; seed 0x%" PRIx64 ")",
                 kt_bad, base);
    assert_true(total > 0);
}

static int
kt_teardown(void **state)
{
    (void)state;
    alarm(0);
    if (kt_wd_pid > 0) { /* a failed assertion left a child behind */
        kill((pid_t)kt_wd_pid, SIGKILL);
        waitpid((pid_t)kt_wd_pid, NULL, 0);
        kt_wd_pid = 0;
    }
    if (kt_dir != NULL) {
        wkt_tmpdir_remove(kt_dir);
        kt_dir = NULL;
    }
    return 0;
}

#ifndef WKT_KILL_JOURNAL
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

#else /* WKT_KILL_JOURNAL */
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
#endif
