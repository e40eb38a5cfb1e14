/* The kill-test harness: see kill_harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

#include "kill_harness.h"

static int kt_wfd = -1;                 /* child: write end of the pipe */
static volatile sig_atomic_t kt_wd_pid; /* parent: child to kill on hang */
static char kt_wd_msg[256];
static volatile sig_atomic_t kt_wd_len;
char kt_ctx[128];      /* "round 3 (seed 0x...) life 1" for messages */
static long kt_bad;    /* violations found in this process */
static int kt_ready;   /* the current child reported its open done */
static int kt_in_open; /* lives killed before their open returned */
char *kt_dir;          /* current temp dir (removed by the teardown) */

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
void
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

void
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

uint64_t
kt_mix(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t s = seed;
    s = wkt_rand(&s) ^ a;
    s = wkt_rand(&s) ^ b;
    s = wkt_rand(&s) ^ c;
    return wkt_rand(&s);
}

uint64_t
kt_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
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

void
kt_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

uint32_t
kt_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* FNV-1a: the payloads' own checksum (independent of the library's). */
uint32_t
kt_fnv(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

void *
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

/* Child: sends one record (one atomic write); exits if the parent is gone. */
void
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
void
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

void
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
int
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
void
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

int
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

void
kt_child_threads(int life, void *(*fn)(void *), void *args, size_t arg_size)
{
    pthread_t th[KT_THREADS];
    for (int t = 0; t < KT_THREADS; t++)
        if (pthread_create(&th[t], NULL, fn, (char *)args + arg_size * t) != 0)
            kt_child_fail(life, t, 0, -EAGAIN);
    for (;;)
        pause();
}

int
kt_rec_ok(const kt_rec *r, int type, const char *what)
{
    if (r->type == KT_ERR) {
        kt_report_child_err(r, what);
        return 0;
    }
    if (r->type != type)
        return 0;
    if (r->life >= KT_LIVES || r->thread >= KT_THREADS) {
        kt_violation("bad record (type %d life %d thread %d)", r->type,
                     r->life, r->thread);
        return 0;
    }
    return 1;
}

void
kt_ack_next(uint64_t *acked, const kt_rec *r)
{
    if (r->counter != *acked)
        kt_violation("thread %d acked %" PRIu64 " after %" PRIu64, r->thread,
                     r->counter, *acked);
    *acked = r->counter + 1;
}
