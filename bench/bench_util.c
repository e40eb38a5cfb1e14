/* Shared benchmark driver: argument parsing, writer threads, latency
 * percentiles, JSON output and machine facts. See bench_util.h. */
#include "bench_util.h"
#include "bench_machine.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

uint64_t
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
bench_fill_random(void *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
}

static void
bu_usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s --workload W --dir D [--writers N] [--size B]\n"
            "       [--seconds S] [--warmup S] [--count N] [--bytes B]\n"
            "       [--mode M] [--batch N] [--no-sync] [--cdf FILE]\n"
            "       [--notes TEXT]\n",
            prog);
}

static uint64_t
bu_parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    switch (*end) {
    case 'k':
    case 'K':
        v *= 1024;
        break;
    case 'm':
    case 'M':
        v *= 1024 * 1024;
        break;
    case 'g':
    case 'G':
        v *= 1024.0 * 1024 * 1024;
        break;
    default:
        break;
    }
    return (uint64_t)v;
}

int
bench_parse_args(bench_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"workload", required_argument, NULL, 'w'},
        {"dir", required_argument, NULL, 'd'},
        {"writers", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},
        {"seconds", required_argument, NULL, 't'},
        {"warmup", required_argument, NULL, 'u'},
        {"count", required_argument, NULL, 'c'},
        {"bytes", required_argument, NULL, 'b'},
        {"mode", required_argument, NULL, 'm'},
        {"no-sync", no_argument, NULL, 'x'},
        {"sync", no_argument, NULL, 'y'},
        {"cdf", required_argument, NULL, 'f'},
        {"notes", required_argument, NULL, 'o'},
        {"batch", required_argument, NULL, 'B'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    a->workload = NULL;
    a->dir = "./bench-data/tmp";
    a->writers = 1;
    a->size = 4096;
    a->seconds = 2.0;
    a->warmup = 0.5;
    a->sync = 1;
    a->mode = "";
    a->bytes = 256u << 20;
    a->batch = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            a->workload = optarg;
            break;
        case 'd':
            a->dir = optarg;
            break;
        case 'n':
            a->writers = atoi(optarg);
            break;
        case 's':
            a->size = (size_t)bu_parse_size(optarg);
            break;
        case 't':
            a->seconds = atof(optarg);
            break;
        case 'u':
            a->warmup = atof(optarg);
            break;
        case 'c':
            a->count = bu_parse_size(optarg);
            break;
        case 'b':
            a->bytes = bu_parse_size(optarg);
            break;
        case 'm':
            a->mode = optarg;
            break;
        case 'x':
            a->sync = 0;
            break;
        case 'y':
            a->sync = 1;
            break;
        case 'f':
            a->cdf = optarg;
            break;
        case 'o':
            a->notes = optarg;
            break;
        case 'B':
            a->batch = atoi(optarg);
            if (a->batch < 1) {
                fprintf(stderr, "%s: --batch must be >= 1\n", argv[0]);
                return -1;
            }
            break;
        default:
            bu_usage(argv[0]);
            return -1;
        }
    }
    if (!a->workload)
        a->workload = a->writers == 1 ? "W1" : "W2";
    if (optind != argc || a->writers < 1 || a->writers > 1024 || a->size < 1 ||
        a->seconds <= 0) {
        bu_usage(argv[0]);
        return -1;
    }
    return 0;
}

void
bench_result_init(bench_result *r)
{
    memset(r, 0, sizeof(*r));
    r->avg_us = r->p50_us = r->p99_us = r->p999_us = -1;
    r->syncs_per_commit = -1;
    r->commits_per_s = r->mb_per_s = -1;
}

/* See bench_util.h. */
int
bench_parse_args_many(bench_args *a, int argc, char **argv, int default_many,
                      int *many)
{
    char *av[64];
    int ac = 0, writers_given = 0;
    for (int i = 0; i < argc && ac < 63; i++) {
        if (strcmp(argv[i], "--json") == 0)
            continue;
        if (strncmp(argv[i], "--writers", 9) == 0)
            writers_given = 1;
        av[ac++] = argv[i];
    }
    av[ac] = NULL;
    if (bench_parse_args(a, ac, av) != 0)
        return -1;
    if (bench_mkdirs(a->dir) != 0) {
        perror(a->dir);
        return -1;
    }
    *many = writers_given ? a->writers : default_many;
    return 0;
}

/* ---- writer threads ---------------------------------------------------- */

typedef struct bu_thread {
    pthread_t tid;
    int id;
    const bench_sys *sys;
    const bench_args *args;
    void *db;
    struct bu_run *run;
    uint64_t *lat; /* measured latencies, ns */
    size_t nlat, caplat;
    uint64_t bytes;
    int failed;
} bu_thread;

typedef struct bu_run {
    _Atomic int phase; /* 0 warm-up, 1 measure, 2 stop */
    pthread_barrier_t start;
} bu_run;

static int
bu_push(bu_thread *t, uint64_t ns)
{
    if (t->nlat == t->caplat) {
        size_t cap = t->caplat ? t->caplat * 2 : 4096;
        uint64_t *p = realloc(t->lat, cap * sizeof(*p));
        if (!p)
            return -1;
        t->lat = p;
        t->caplat = cap;
    }
    t->lat[t->nlat++] = ns;
    return 0;
}

static void *
bu_writer(void *arg)
{
    bu_thread *t = arg;
    const bench_args *a = t->args;
    unsigned char *val = malloc(a->size);
    if (!val) {
        t->failed = 1;
        pthread_barrier_wait(&t->run->start);
        return NULL;
    }
    bench_fill_random(val, a->size, (uint64_t)t->id + 1);
    pthread_barrier_wait(&t->run->start);
    for (uint64_t seq = 0;; seq++) {
        int phase = atomic_load_explicit(&t->run->phase, memory_order_acquire);
        if (phase == 2 || (a->count && seq >= a->count))
            break;
        /* vary the payload a little so no two commits are identical */
        memcpy(val, &seq, a->size < sizeof(seq) ? a->size : sizeof(seq));
        uint64_t t0 = bench_now_ns();
        if (t->sys->commit(t->db, t->id, seq, val, a->size) != 0) {
            t->failed = 1;
            break;
        }
        uint64_t t1 = bench_now_ns();
        if (phase == 1) {
            if (bu_push(t, t1 - t0) != 0) {
                t->failed = 1;
                break;
            }
            t->bytes += a->size * (size_t)a->batch;
        }
    }
    free(val);
    return NULL;
}

static int
bu_cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static double
bu_quantile_us(const uint64_t *v, size_t n, double q)
{
    if (n == 0)
        return -1;
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    if (i >= n)
        i = n - 1;
    return (double)v[i] / 1000.0;
}

static void
bu_write_cdf(const char *path, const uint64_t *v, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    fprintf(f, "# latency_us quantile (n=%zu)\n", n);
    for (int i = 0; i <= 200 && n; i++) {
        double q = i / 200.0;
        fprintf(f, "%.3f %.6f\n", bu_quantile_us(v, n, q), q);
    }
    static const double tail[] = {0.995, 0.999, 0.9995, 0.9999, 0.99999};
    for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]) && n; i++)
        fprintf(f, "%.3f %.6f\n", bu_quantile_us(v, n, tail[i]), tail[i]);
    if (n)
        fprintf(f, "%.3f 1.000000\n", (double)v[n - 1] / 1000.0);
    fclose(f);
}

static void
bu_sleep(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int
bench_run_commits(const bench_sys *sys, const bench_args *a, bench_result *r)
{
    int rc = -1;
    bench_result_init(r);
    void *db = sys->open(a);
    if (!db)
        return -1;
    bu_run run;
    atomic_init(&run.phase, a->count ? 1 : 0);
    pthread_barrier_init(&run.start, NULL, (unsigned)a->writers + 1);
    bu_thread *th = calloc((size_t)a->writers, sizeof(*th));
    if (!th)
        goto close_db;
    int started = 0;
    for (int i = 0; i < a->writers; i++) {
        th[i].id = i;
        th[i].sys = sys;
        th[i].args = a;
        th[i].db = db;
        th[i].run = &run;
        if (pthread_create(&th[i].tid, NULL, bu_writer, &th[i]) != 0) {
            fprintf(stderr, "bench: pthread_create failed\n");
            abort(); /* the barrier would never open */
        }
        started++;
    }
    uint64_t s0 = 0, c0 = 0, s1 = 0, c1 = 0;
    pthread_barrier_wait(&run.start);
    uint64_t t_start, t_end;
    if (a->count) {
        t_start = bench_now_ns();
        if (sys->counters)
            sys->counters(db, &s0, &c0);
    } else {
        bu_sleep(a->warmup);
        if (sys->counters)
            sys->counters(db, &s0, &c0);
        t_start = bench_now_ns();
        atomic_store_explicit(&run.phase, 1, memory_order_release);
        bu_sleep(a->seconds);
        atomic_store_explicit(&run.phase, 2, memory_order_release);
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i].tid, NULL);
    t_end = bench_now_ns();
    if (sys->counters)
        sys->counters(db, &s1, &c1);

    size_t total = 0;
    int failed = 0;
    for (int i = 0; i < a->writers; i++) {
        total += th[i].nlat;
        r->bytes += th[i].bytes;
        failed |= th[i].failed;
    }
    uint64_t *all = malloc((total ? total : 1) * sizeof(*all));
    if (!all)
        goto free_threads;
    size_t k = 0;
    double sum = 0;
    for (int i = 0; i < a->writers; i++) {
        memcpy(all + k, th[i].lat, th[i].nlat * sizeof(*all));
        k += th[i].nlat;
    }
    qsort(all, total, sizeof(*all), bu_cmp_u64);
    for (size_t i = 0; i < total; i++)
        sum += (double)all[i];
    r->commits = total;
    r->seconds = (double)(t_end - t_start) / 1e9;
    r->commits_per_s = (double)total / r->seconds;
    r->mb_per_s = (double)r->bytes / 1e6 / r->seconds;
    if (total) {
        r->avg_us = sum / (double)total / 1000.0;
        r->p50_us = bu_quantile_us(all, total, 0.50);
        r->p99_us = bu_quantile_us(all, total, 0.99);
        r->p999_us = bu_quantile_us(all, total, 0.999);
    }
    if (sys->counters && c1 > c0)
        r->syncs_per_commit = (double)(s1 - s0) / (double)(c1 - c0);
    if (a->cdf)
        bu_write_cdf(a->cdf, all, total);
    free(all);
    rc = failed ? -1 : 0;
free_threads:
    for (int i = 0; i < a->writers; i++)
        free(th[i].lat);
    free(th);
close_db:
    sys->close(db);
    pthread_barrier_destroy(&run.start);
    return rc;
}

/* ---- JSON output ------------------------------------------------------- */

static void
bu_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void
bu_json_num(FILE *f, const char *key, double v, int decimals)
{
    fprintf(f, ",\"%s\":", key);
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%.*f", decimals, v);
}

void
bench_print_json(const char *system, const bench_args *a, const bench_result *r,
                 const char *extra)
{
    FILE *f = stdout;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    char cpu[256], fsbuf[32], date[64];
    bench_cpu_model(cpu, sizeof(cpu));
    struct utsname un;
    if (uname(&un) != 0)
        snprintf(un.release, sizeof(un.release), "unknown");
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);

    fputs("{\"system\":", f);
    bu_json_str(f, system);
    fputs(",\"workload\":", f);
    bu_json_str(f, a->workload);
    fprintf(f, ",\"writers\":%d,\"size\":%zu", a->writers, a->size);
    if (a->batch > 1)
        fprintf(f, ",\"batch\":%d", a->batch);
    bu_json_num(f, "commits_per_s", r->commits_per_s, 1);
    bu_json_num(f, "mb_per_s", r->mb_per_s, 2);
    bu_json_num(f, "p50_us", r->p50_us, 1);
    bu_json_num(f, "p99_us", r->p99_us, 1);
    bu_json_num(f, "p999_us", r->p999_us, 1);
    bu_json_num(f, "avg_us", r->avg_us, 1);
    bu_json_num(f, "syncs_per_commit", r->syncs_per_commit, 4);
    fprintf(f, ",\"peak_rss_kb\":%ld", ru.ru_maxrss);
    fprintf(f, ",\"commits\":%llu,\"seconds\":%.3f,\"sync\":%s",
            (unsigned long long)r->commits, r->seconds,
            a->sync ? "true" : "false");
    if (extra && *extra)
        fprintf(f, ",%s", extra);
    fputs(",\"notes\":", f);
    bu_json_str(f, a->notes ? a->notes : "");
    fputs(",\"cpu\":", f);
    bu_json_str(f, cpu);
    fprintf(f, ",\"cores\":%ld", sysconf(_SC_NPROCESSORS_ONLN));
    fputs(",\"kernel\":", f);
    bu_json_str(f, un.release);
    fputs(",\"fs\":", f);
    bu_json_str(f, bench_fs_name(a->dir, fsbuf, sizeof(fsbuf)));
    fputs(",\"date\":", f);
    bu_json_str(f, date);
    fputs("}\n", f);
    fflush(f);
}
