/* `walkit demo [DIR]`: what wk_log promises, shown on this machine in
 * seconds (run by `make run`; DIR defaults to ./walkit-demo).
 *
 * 1. Durable appends: 8 threads append with WK_SYNC, first 128 B then
 *    4 KiB entries, for a fixed time each; prints commits/s, p50 and p99
 *    latency, and fdatasyncs per commit (wk_log_stats: group commit makes it
 *    well below 1). The log lives in DIR/bench and is removed afterwards.
 * 2. Crash test, DEMO_ROUNDS rounds on the log in DIR/crash: a forked child
 *    appends entries with WK_SYNC from several threads and, after each
 *    append returns, writes (LSN, tag, length, checksum) to a pipe. The
 *    parent SIGKILLs it at a random moment mid-stream, reopens the log
 *    (recovery), and checks that every acknowledged entry is there, intact;
 *    that every recovered entry is intact (each payload carries its own
 *    checksum); and that each child thread's entries form a gap-free prefix
 *    in LSN order. Finally wk_log_verify must find the log clean.
 * 3. The other primitives (demo_tour.c): a durable round trip through the
 *    journal, the ring, the meta store and the blob store in DIR/tour
 *    (removed afterwards), each reopened and checked byte for byte.
 *
 * Exit 0 only when the verdict is PASS; 1 on FAIL; 2 on usage or I/O errors.
 *
 * DIR is cleared at start: only when it is empty, missing, or marked as a
 * demo directory by an earlier run (file .walkit-demo), and then only the
 * demo's own subdirectories. The hidden option --seconds S scales the run
 * (default 10: about 10 s in all); --seed N fixes the random choices. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "demo_tour.h"
#include "walkit.h"

#define DEMO_THREADS 8
#define DEMO_CHILD_THREADS 4
#define DEMO_ROUNDS 3
#define DEMO_MAX_PAYLOAD 4096
#define DEMO_MARKER ".walkit-demo"

static const char demo_usage[] =
    "usage: walkit demo [DIR]\n"
    "\n"
    "Shows wk_log at work in about 10 seconds, in DIR (default "
    "./walkit-demo;\n"
    "cleared at start if it is empty or was made by an earlier demo):\n"
    "  1. 8 threads append durably (WK_SYNC), 128 B then 4 KiB entries:\n"
    "     commits/s, p50/p99 latency, fdatasyncs per commit.\n"
    "  2. A child process appends durably and reports each acknowledged "
    "LSN;\n"
    "     it is killed with SIGKILL at a random moment, the log is reopened,\n"
    "     and every acknowledged entry must be there, intact (3 rounds).\n"
    "Exit 0 when the verdict is PASS, 1 on FAIL, 2 on errors.\n";

typedef struct demo_cfg {
    const char *dir;
    double seconds; /* time scale; default 10 */
    uint64_t seed;
} demo_cfg;

/* ---- small helpers ---------------------------------------------------- */

static uint64_t
demo_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void
demo_sleep(double seconds)
{
    struct timespec ts;

    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int
demo_path(char *buf, size_t size, const char *dir, const char *name)
{
    if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size) {
        fprintf(stderr, "walkit: demo: path too long: %s/%s\n", dir, name);
        return -1;
    }
    return 0;
}

/* Removes the files in dir/sub, then dir/sub itself (a log directory holds
 * only files). Missing: fine. */
static int
demo_remove_sub(const char *dir, const char *sub)
{
    char path[4096];
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (demo_path(path, sizeof(path), dir, sub))
        return -1;
    d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        fprintf(stderr, "walkit: demo: open directory '%s': %s\n", path,
                strerror(errno));
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) != 0) {
            fprintf(stderr, "walkit: demo: remove '%s/%s': %s\n", path,
                    de->d_name, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    if (rc == 0 && rmdir(path) != 0) {
        fprintf(stderr, "walkit: demo: remove '%s': %s\n", path,
                strerror(errno));
        rc = -1;
    }
    return rc;
}

/* Creates dir if missing; clears the demo's subdirectories if dir is a demo
 * directory; refuses a non-empty directory without the marker. */
static int
demo_prepare_dir(const char *dir)
{
    char marker[4096];
    DIR *d;
    struct dirent *de;
    int empty = 1, marked;
    int fd;

    if (demo_path(marker, sizeof(marker), dir, DEMO_MARKER))
        return -1;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "walkit: demo: create directory '%s': %s\n", dir,
                strerror(errno));
        return -1;
    }
    d = opendir(dir);
    if (!d) {
        fprintf(stderr, "walkit: demo: open directory '%s': %s\n", dir,
                strerror(errno));
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = 0;
    }
    closedir(d);
    marked = access(marker, F_OK) == 0;
    if (!empty && !marked) {
        fprintf(stderr,
                "walkit: demo: '%s' is not empty and was not made by walkit "
                "demo (no %s file): not clearing it; give another DIR\n",
                dir, DEMO_MARKER);
        return -1;
    }
    if (demo_remove_sub(dir, "bench") || demo_remove_sub(dir, "crash"))
        return -1;
    fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        fprintf(stderr, "walkit: demo: create '%s': %s\n", marker,
                strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

static int
demo_open(const char *path, const wk_log_opts *opts, wk_log **log,
          wk_log_report *rep)
{
    char what[4200];
    int rc;

    memset(rep, 0, sizeof(*rep));
    rc = wk_log_open(path, opts, log, rep);
    if (rc) {
        snprintf(what, sizeof(what), "demo: open log '%s'", path);
        wk_cli_error(what, rc, NULL);
        for (uint32_t i = 0; i < rep->corruptions && i < WK_LOG_MAX_REPORTED;
             i++)
            fprintf(stderr,
                    "walkit: demo: corruption: file %s offset %llu LSN "
                    "%llu\n",
                    rep->corruption[i].file,
                    (unsigned long long)rep->corruption[i].offset,
                    (unsigned long long)rep->corruption[i].lsn);
    }
    return rc;
}

/* ---- 1. durable appends ----------------------------------------------- */

typedef struct demo_tput {
    double commits_per_s;
    uint64_t p50_ns, p99_ns;
    double syncs_per_commit;
    double mean_batch;
    uint64_t commits;
} demo_tput;

typedef struct demo_worker {
    pthread_t tid;
    wk_log *log;
    size_t size;
    atomic_int *stop;
    wk_cli_samples lat;
    int rc;
} demo_worker;

static void *
demo_worker_main(void *arg)
{
    demo_worker *w = arg;
    unsigned char buf[4096];

    memset(buf, 'w', sizeof(buf));
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        uint64_t t0 = wk_cli_now_ns();
        uint64_t lsn;
        int rc = wk_log_append(w->log, buf, w->size, WK_SYNC, &lsn);

        if (rc) {
            w->rc = rc;
            break;
        }
        if (wk_cli_samples_add(&w->lat, wk_cli_now_ns() - t0)) {
            w->rc = WK_ENOMEM;
            break;
        }
    }
    return NULL;
}

static int
demo_throughput(wk_log *log, size_t size, double seconds, demo_tput *out)
{
    demo_worker w[DEMO_THREADS];
    atomic_int stop = 0;
    wk_cli_samples all = {0};
    wk_log_stats st0, st1;
    uint64_t t0, t1;
    int started = 0, rc = 0;

    memset(w, 0, sizeof(w));
    wk_log_stats_get(log, &st0);
    t0 = wk_cli_now_ns();
    for (; started < DEMO_THREADS; started++) {
        w[started].log = log;
        w[started].size = size;
        w[started].stop = &stop;
        if (pthread_create(&w[started].tid, NULL, demo_worker_main,
                           &w[started]) != 0) {
            rc = -EAGAIN;
            break;
        }
    }
    if (rc == 0)
        demo_sleep(seconds);
    atomic_store(&stop, 1);
    for (int i = 0; i < started; i++) {
        pthread_join(w[i].tid, NULL);
        if (!rc && w[i].rc)
            rc = w[i].rc;
        if (!rc && wk_cli_samples_merge(&all, &w[i].lat))
            rc = WK_ENOMEM;
        wk_cli_samples_free(&w[i].lat);
    }
    t1 = wk_cli_now_ns();
    wk_log_stats_get(log, &st1);
    if (rc) {
        wk_cli_error("demo: durable append", rc, wk_log_errmsg(log));
        goto out;
    }
    out->commits = all.n;
    out->commits_per_s = (double)all.n / ((double)(t1 - t0) / 1e9);
    out->p50_ns = wk_cli_samples_pct(&all, 50);
    out->p99_ns = wk_cli_samples_pct(&all, 99);
    out->syncs_per_commit = st1.appends > st0.appends
                                ? (double)(st1.syncs - st0.syncs) /
                                      (double)(st1.appends - st0.appends)
                                : 0;
    out->mean_batch = st1.batches > st0.batches
                          ? (double)(st1.appends - st0.appends) /
                                (double)(st1.batches - st0.batches)
                          : 0;
out:
    wk_cli_samples_free(&all);
    return rc;
}

/* ---- 2. crash test: the child ----------------------------------------- */

/* What the child reports for each acknowledged entry (one atomic pipe
 * write each: smaller than PIPE_BUF). */
typedef struct demo_ack {
    uint64_t lsn;
    uint64_t tag;  /* round << 56 | thread << 48 | seq (from 1) */
    uint64_t hash; /* wk_cli_hash64 of the whole payload */
    uint64_t len;
} demo_ack;

/* Payload: tag (8 bytes), hash of the body (8 bytes), body (pseudo-random
 * bytes derived from the tag). */
static size_t
demo_make_payload(unsigned char *buf, uint64_t tag, uint64_t *rnd)
{
    size_t len = 16 + (size_t)(demo_rand(rnd) % (DEMO_MAX_PAYLOAD - 16 + 1));
    uint64_t st = tag, h;

    for (size_t i = 16; i < len; i += 8) {
        uint64_t r = demo_rand(&st);
        memcpy(buf + i, &r, len - i < 8 ? len - i : 8);
    }
    h = wk_cli_hash64(buf + 16, len - 16);
    memcpy(buf, &tag, 8);
    memcpy(buf + 8, &h, 8);
    return len;
}

typedef struct demo_child_arg {
    pthread_t tid;
    wk_log *log;
    int fd;
    uint64_t round, thread, seed;
} demo_child_arg;

static void *
demo_child_main(void *arg)
{
    demo_child_arg *a = arg;
    unsigned char buf[DEMO_MAX_PAYLOAD];
    uint64_t rnd = a->seed;

    for (uint64_t seq = 1;; seq++) {
        demo_ack ack;
        int rc;

        ack.tag = a->round << 56 | a->thread << 48 | seq;
        ack.len = demo_make_payload(buf, ack.tag, &rnd);
        ack.hash = wk_cli_hash64(buf, ack.len);
        rc = wk_log_append(a->log, buf, ack.len, WK_SYNC, &ack.lsn);
        if (rc) {
            wk_cli_error("demo child: append", rc, wk_log_errmsg(a->log));
            _exit(3);
        }
        if (write(a->fd, &ack, sizeof(ack)) != (ssize_t)sizeof(ack))
            _exit(4); /* the parent went away */
    }
    return NULL;
}

static void
demo_child(const char *path, uint64_t round, int fd, uint64_t seed,
           pid_t parent)
{
    demo_child_arg a[DEMO_CHILD_THREADS];
    wk_log_opts opts;
    wk_log_report rep;
    wk_log *log;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(5);
    wk_log_opts_init(&opts);
    opts.segment_bytes = 1 << 20; /* rotate often: rotation under SIGKILL */
    if (demo_open(path, &opts, &log, &rep))
        _exit(2);
    for (int i = 0; i < DEMO_CHILD_THREADS; i++) {
        a[i].log = log;
        a[i].fd = fd;
        a[i].round = round;
        a[i].thread = (uint64_t)i;
        a[i].seed = seed * 31 + (uint64_t)i;
        if (pthread_create(&a[i].tid, NULL, demo_child_main, &a[i]) != 0)
            _exit(6);
    }
    /* Runs until killed; a safety net if the parent never does. */
    demo_sleep(120);
    _exit(7);
}

/* ---- 2. crash test: the parent ---------------------------------------- */

typedef struct demo_acks {
    demo_ack *v;
    size_t n, cap;
} demo_acks;

static int
demo_acks_add(demo_acks *a, const demo_ack *x)
{
    demo_ack *v = wk_cli_grow(a->v, a->n, &a->cap, sizeof(*v));
    if (!v)
        return -1;
    a->v = v;
    a->v[a->n++] = *x;
    return 0;
}

/* Reads whatever acks are ready on fd (waiting up to timeout_ms). Returns
 * 1 when some were read or none came in time, 0 at EOF, -1 on error. */
static int
demo_read_acks(int fd, demo_acks *acks, int timeout_ms)
{
    static unsigned char buf[64 * sizeof(demo_ack)];
    static size_t have;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n;

    if (poll(&p, 1, timeout_ms) < 0)
        return errno == EINTR ? 1 : -1;
    if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
        return 1;
    n = read(fd, buf + have, sizeof(buf) - have);
    if (n < 0)
        return errno == EINTR ? 1 : -1;
    if (n == 0) {
        have = 0;
        return 0;
    }
    have += (size_t)n;
    size_t whole = have / sizeof(demo_ack) * sizeof(demo_ack);
    for (size_t off = 0; off < whole; off += sizeof(demo_ack)) {
        demo_ack a;
        memcpy(&a, buf + off, sizeof(a));
        if (demo_acks_add(acks, &a))
            return -1;
    }
    memmove(buf, buf + whole, have - whole);
    have -= whole;
    return 1;
}

/* One recovered entry, as seen by the checker. */
typedef struct demo_seen {
    uint64_t lsn, tag, hash, len;
} demo_seen;

typedef struct demo_check {
    demo_seen *v;
    size_t n, cap;
    uint64_t damaged;  /* payload fails its own checksum */
    uint64_t holes;    /* a child thread's sequence skips */
    uint64_t disorder; /* LSNs not increasing, or rounds out of order */
    uint64_t last_seq[DEMO_ROUNDS + 1][DEMO_CHILD_THREADS];
    unsigned char buf[DEMO_MAX_PAYLOAD];
} demo_check;

static int
demo_recover_cb(void *arg, const wk_log_entry *e)
{
    demo_check *c = arg;
    const unsigned char *p = e->data;
    demo_seen s = {.lsn = e->lsn, .len = e->len};
    uint64_t body_hash, round, thread, seq;

    if (e->len < 16 || e->len > DEMO_MAX_PAYLOAD) {
        c->damaged++;
        return 0;
    }
    if (!p) {
        if (wk_log_entry_read(e, 0, c->buf, (size_t)e->len)) {
            c->damaged++;
            return 0;
        }
        p = c->buf;
    }
    memcpy(&s.tag, p, 8);
    memcpy(&body_hash, p + 8, 8);
    s.hash = wk_cli_hash64(p, (size_t)e->len);
    round = s.tag >> 56;
    thread = (s.tag >> 48) & 0xff;
    seq = s.tag & 0xffffffffffffull;
    if (body_hash != wk_cli_hash64(p + 16, (size_t)e->len - 16) || round < 1 ||
        round > DEMO_ROUNDS || thread >= DEMO_CHILD_THREADS) {
        c->damaged++;
        return 0;
    }
    if (c->n &&
        (s.lsn <= c->v[c->n - 1].lsn || round < c->v[c->n - 1].tag >> 56))
        c->disorder++;
    if (seq != c->last_seq[round][thread] + 1)
        c->holes++;
    c->last_seq[round][thread] = seq;
    demo_seen *v = wk_cli_grow(c->v, c->n, &c->cap, sizeof(*v));
    if (!v)
        return WK_ENOMEM;
    c->v = v;
    c->v[c->n++] = s;
    return 0;
}

/* Opens the log (running recovery), collects every entry, closes it. */
static int
demo_recover(const char *path, demo_check *c)
{
    wk_log_opts opts;
    wk_log_report rep;
    wk_log *log;
    int rc;

    free(c->v);
    memset(c, 0, sizeof(*c));
    wk_log_opts_init(&opts);
    opts.segment_bytes = 1 << 20;
    opts.recover_fn = demo_recover_cb;
    opts.recover_arg = c;
    rc = demo_open(path, &opts, &log, &rep);
    if (rc)
        return rc;
    rc = wk_log_close(log);
    if (rc)
        wk_cli_error("demo: close log", rc, NULL);
    return rc;
}

/* Acknowledged entries missing from the recovered ones, or different. */
static uint64_t
demo_count_lost(const demo_acks *acks, const demo_check *c)
{
    uint64_t lost = 0;

    for (size_t i = 0; i < acks->n; i++) {
        const demo_ack *a = &acks->v[i];
        size_t lo = 0, hi = c->n;

        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (c->v[mid].lsn < a->lsn)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == c->n || c->v[lo].lsn != a->lsn || c->v[lo].tag != a->tag ||
            c->v[lo].hash != a->hash || c->v[lo].len != a->len)
            lost++;
    }
    return lost;
}

typedef struct demo_crash {
    uint64_t acked, recovered, lost, damaged, holes, disorder;
    int verify_rc;
    int pass;
} demo_crash;

/* Runs one round: fork, let the child append, SIGKILL it after delay
 * seconds counted from its first ack. Returns 0, or -1 when the round could
 * not run (child failed, no acks). */
static int
demo_round(const char *path, uint64_t round, double delay, uint64_t seed,
           demo_acks *acks, double *killed_after)
{
    int fds[2];
    pid_t pid, parent = getpid();
    uint64_t start, first = 0, deadline = 0;
    size_t before = acks->n;
    int status, rc, eof = 0;

    if (pipe2(fds, O_CLOEXEC) != 0) {
        fprintf(stderr, "walkit: demo: pipe: %s\n", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "walkit: demo: fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        demo_child(path, round, fds[1], seed, parent);
        _exit(7);
    }
    close(fds[1]);
    start = wk_cli_now_ns();
    for (;;) {
        uint64_t now = wk_cli_now_ns();

        if (!first && acks->n > before) {
            first = now;
            deadline = now + (uint64_t)(delay * 1e9);
        }
        if (first && now >= deadline)
            break;
        if (!first && now - start > 20ull * 1000000000u) {
            fprintf(stderr, "walkit: demo: child acknowledged nothing in "
                            "20 s\n");
            break;
        }
        rc = demo_read_acks(fds[0], acks, 5);
        if (rc < 0) {
            fprintf(stderr, "walkit: demo: reading acks: %s\n",
                    strerror(errno));
            break;
        }
        if (rc == 0) {
            eof = 1; /* the child died on its own */
            break;
        }
    }
    kill(pid, SIGKILL);
    *killed_after = (double)(wk_cli_now_ns() - (first ? first : start)) / 1e9;
    while (!eof && (rc = demo_read_acks(fds[0], acks, -1)) != 0) {
        if (rc < 0) {
            fprintf(stderr, "walkit: demo: reading acks: %s\n",
                    strerror(errno));
            break;
        }
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
        fprintf(stderr, "walkit: demo: child exited on its own (status %d)\n",
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return acks->n > before ? 0 : -1;
}

static int
demo_crash_test(const demo_cfg *cfg, const char *path, demo_crash *out)
{
    demo_acks acks = {0};
    demo_check *c;
    char buf[4][32];
    uint64_t rnd = cfg->seed ^ 0x5eed;
    int rc = 0;

    c = calloc(1, sizeof(*c));
    if (!c) {
        wk_cli_error("demo", WK_ENOMEM, NULL);
        return WK_ENOMEM;
    }
    memset(out, 0, sizeof(*out));
    out->pass = 1;
    printf("  round  killed after     acked  recovered  lost  damaged  "
           "holes\n");
    for (uint64_t round = 1; round <= DEMO_ROUNDS; round++) {
        double lo = cfg->seconds * 0.05, hi = cfg->seconds * 0.15;
        double delay = lo + (hi - lo) * (double)(demo_rand(&rnd) % 1001) / 1000;
        double killed_after = 0;

        if (demo_round(path, round, delay, demo_rand(&rnd), &acks,
                       &killed_after)) {
            out->pass = 0;
            rc = -1;
            break;
        }
        rc = demo_recover(path, c);
        if (rc) {
            out->pass = 0;
            break;
        }
        out->acked = acks.n;
        out->recovered = c->n;
        out->lost = demo_count_lost(&acks, c);
        out->damaged = c->damaged;
        out->holes = c->holes;
        out->disorder = c->disorder;
        if (out->lost || out->damaged || out->holes || out->disorder)
            out->pass = 0;
        printf("  %5llu  %10.2f s  %8s  %9s  %4llu  %7llu  %5llu%s\n",
               (unsigned long long)round, killed_after,
               wk_cli_fmt_count(buf[0], sizeof(buf[0]), acks.n),
               wk_cli_fmt_count(buf[1], sizeof(buf[1]), c->n),
               (unsigned long long)out->lost, (unsigned long long)out->damaged,
               (unsigned long long)out->holes,
               out->disorder ? "  LSN order broken" : "");
        fflush(stdout);
    }
    if (rc == 0) {
        wk_log_report rep;

        memset(&rep, 0, sizeof(rep));
        out->verify_rc = wk_log_verify(path, NULL, &rep);
        printf("  wk_log_verify after the last round: %s\n",
               out->verify_rc == 0 ? "clean" : wk_strerror(out->verify_rc));
        if (out->verify_rc)
            out->pass = 0;
    }
    free(c->v);
    free(c);
    free(acks.v);
    return rc;
}

/* ---- the group -------------------------------------------------------- */

static int
demo_run(int argc, char **argv)
{
    const char *seconds_arg = NULL, *seed_arg = NULL;
    int help = 0;
    const wk_cli_flag flags[] = {{"--seconds", 1, NULL, &seconds_arg},
                                 {"--seed", 1, NULL, &seed_arg},
                                 {"--help", 0, &help, NULL},
                                 {"-h", 0, &help, NULL},
                                 {NULL, 0, 0, 0}};
    static const size_t sizes[2] = {128, 4096};
    demo_cfg cfg = {.dir = "./walkit-demo", .seconds = 10};
    char *pos[1];
    char bench[4096], crash[4096], tour[4096], b[6][32];
    demo_tput tput[2];
    demo_crash cr;
    wk_log_opts opts;
    wk_log_report rep;
    wk_log *log;
    int n, rc;

    n = wk_cli_parse_args("demo", argc - 1, argv + 1, flags, pos, 1);
    if (n < 0) {
        fputs("usage: walkit demo [DIR]\n", stderr);
        return WK_CLI_ERROR;
    }
    if (help) {
        fputs(demo_usage, stdout);
        return WK_CLI_OK;
    }
    if (n == 1)
        cfg.dir = pos[0];
    if (seconds_arg && (wk_cli_parse_seconds(seconds_arg, &cfg.seconds) ||
                        cfg.seconds < 1 || cfg.seconds > 50))
        return wk_cli_usage_error("usage: walkit demo [DIR]\n",
                                  "demo: --seconds wants 1..50, not '%s'",
                                  seconds_arg);
    if (seed_arg) {
        if (wk_cli_parse_u64(seed_arg, &cfg.seed))
            return wk_cli_usage_error("usage: walkit demo [DIR]\n",
                                      "demo: --seed wants a number, not '%s'",
                                      seed_arg);
    } else {
        cfg.seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
    }
    if (demo_path(bench, sizeof(bench), cfg.dir, "bench") ||
        demo_path(crash, sizeof(crash), cfg.dir, "crash") ||
        demo_path(tour, sizeof(tour), cfg.dir, "tour") ||
        wk_demo_tour_clear(tour) || demo_prepare_dir(cfg.dir))
        return WK_CLI_ERROR;

    printf("walkit %s demo in %s (seed %llu)\n\n", wk_version(), cfg.dir,
           (unsigned long long)cfg.seed);
    printf("1. durable appends: %d threads, WK_SYNC, %.1f s per entry size\n",
           DEMO_THREADS, cfg.seconds * 0.2);
    printf("  entry      commits/s       p50       p99  syncs/commit  "
           "entries/batch\n");
    fflush(stdout);
    wk_log_opts_init(&opts);
    if (demo_open(bench, &opts, &log, &rep))
        return WK_CLI_ERROR;
    for (int i = 0; i < 2; i++) {
        rc = demo_throughput(log, sizes[i], cfg.seconds * 0.2, &tput[i]);
        if (rc) {
            wk_log_close(log);
            return WK_CLI_ERROR;
        }
        printf("  %-7s  %12s  %8s  %8s  %12.3f  %13.1f\n",
               sizes[i] == 128 ? "128 B" : "4 KiB",
               wk_cli_fmt_count(b[0], sizeof(b[0]),
                                (uint64_t)(tput[i].commits_per_s + 0.5)),
               wk_cli_fmt_ns(b[1], sizeof(b[1]), tput[i].p50_ns),
               wk_cli_fmt_ns(b[2], sizeof(b[2]), tput[i].p99_ns),
               tput[i].syncs_per_commit, tput[i].mean_batch);
        fflush(stdout);
    }
    rc = wk_log_close(log);
    if (rc) {
        wk_cli_error("demo: close log", rc, NULL);
        return WK_CLI_ERROR;
    }
    if (demo_remove_sub(cfg.dir, "bench"))
        return WK_CLI_ERROR;

    printf("\n2. crash test: a child process appends with WK_SYNC (%d threads, "
           "1 MiB segments)\n   and reports each acknowledged LSN; SIGKILL at "
           "a random moment, reopen, check\n",
           DEMO_CHILD_THREADS);
    fflush(stdout);
    rc = demo_crash_test(&cfg, crash, &cr);

    printf("\n3. the other primitives: a durable round trip through each "
           "(write, close,\n   reopen with recovery, check every byte)\n");
    fflush(stdout);
    int tour_ok = wk_demo_tour(tour) == 0;
    if (wk_demo_tour_clear(tour) != 0)
        tour_ok = 0;

    printf("\nsummary\n");
    printf("  commits/s (8 threads, 128 B / 4 KiB)  %s / %s\n",
           wk_cli_fmt_count(b[0], sizeof(b[0]),
                            (uint64_t)(tput[0].commits_per_s + 0.5)),
           wk_cli_fmt_count(b[1], sizeof(b[1]),
                            (uint64_t)(tput[1].commits_per_s + 0.5)));
    printf("  p50 / p99 latency (128 B)             %s / %s\n",
           wk_cli_fmt_ns(b[2], sizeof(b[2]), tput[0].p50_ns),
           wk_cli_fmt_ns(b[3], sizeof(b[3]), tput[0].p99_ns));
    printf("  syncs per commit (128 B / 4 KiB)      %.3f / %.3f\n",
           tput[0].syncs_per_commit, tput[1].syncs_per_commit);
    printf("  entries recovered                     %s (%s acknowledged, "
           "%llu lost)\n",
           wk_cli_fmt_count(b[4], sizeof(b[4]), cr.recovered),
           wk_cli_fmt_count(b[5], sizeof(b[5]), cr.acked),
           (unsigned long long)cr.lost);
    printf("  journal, ring, meta, blob round trips %s\n",
           tour_ok ? "ok" : "FAILED");
    printf("  verdict                               %s\n",
           cr.pass && rc == 0 && tour_ok ? "PASS" : "FAIL");
    printf("\nThe crash-tested log is left in %s (try: walkit log stat %s)\n",
           crash, crash);
    return cr.pass && rc == 0 && tour_ok ? WK_CLI_OK : WK_CLI_PROBLEM;
}

static const wk_cli_cmd demo_cmd = {
    .name = "demo",
    .summary = "durable appends and a SIGKILL crash test, in ~10 s",
    .usage = demo_usage,
    .run = demo_run,
};

WK_CLI_COMMAND(demo_cmd)
