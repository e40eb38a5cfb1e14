/* `walkit bench`: walkit's log under a durable-commit workload, on this
 * machine, from the command line (W1/W2 of DESIGN.md when --sync).
 *
 * N writer threads append --size byte entries to the log in --dir with
 * WK_SYNC (or without, --no-sync) for --warmup seconds (not measured), then
 * for --seconds measured; every append's latency is recorded. Prints
 * commits/s, MB/s, p50/p99/p999 latency, fdatasyncs per commit (from
 * wk_log_stats) and peak RSS; with --json, one JSON object with the fields
 * of bench/run.sh's results/bench.json (docs/bench.md). Self-contained: the
 * full suite with peers and the device floor is `make bench`. */
#include <errno.h>
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

#include "bench_machine.h"
#include "cli.h"
#include "cli_util.h"
#include "walkit.h"

static const char bench_usage[] =
    "usage: walkit bench --dir DIR [--writers N] [--size BYTES] "
    "[--seconds S]\n"
    "                    [--warmup S] [--sync | --no-sync] [--json]\n"
    "\n"
    "Runs N writer threads (default 1) appending BYTES-byte entries "
    "(default 4096;\n"
    "K/M suffixes) to the wk_log in DIR (created if missing; the log stays "
    "there)\n"
    "for S seconds (default 5) after a warm-up (default 0.5 s). --sync "
    "(default)\n"
    "appends with WK_SYNC (durable commits); --no-sync buffers them.\n"
    "Reports commits/s, MB/s (10^6 bytes of payload), p50/p99/p999 "
    "latency,\n"
    "fdatasyncs per commit and peak RSS; --json prints one JSON object "
    "with\n"
    "the fields of results/bench.json (docs/bench.md).\n";

typedef struct bench_thread {
    pthread_t tid;
    wk_log *log;
    size_t size;
    int flags;
    _Atomic int *phase; /* 0 warm-up, 1 measure, 2 stop */
    wk_cli_samples lat;
    int rc;
    unsigned seed;
} bench_thread;

static void *
bench_writer(void *arg)
{
    bench_thread *t = arg;
    unsigned char *buf = malloc(t->size);
    if (!buf) {
        t->rc = WK_ENOMEM;
        return NULL;
    }
    uint64_t x = 0x9E3779B97F4A7C15ull * (t->seed + 1);
    for (size_t i = 0; i < t->size; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)(x >> 24);
    }
    for (uint64_t seq = 0;; seq++) {
        int phase = atomic_load(t->phase);
        if (phase == 2)
            break;
        memcpy(buf, &seq, t->size < sizeof(seq) ? t->size : sizeof(seq));
        uint64_t t0 = wk_cli_now_ns();
        int rc = wk_log_append(t->log, buf, t->size, t->flags, NULL);
        uint64_t t1 = wk_cli_now_ns();
        if (rc != 0) {
            t->rc = rc;
            break;
        }
        if (phase == 1 && wk_cli_samples_add(&t->lat, t1 - t0) != 0) {
            t->rc = WK_ENOMEM;
            break;
        }
    }
    free(buf);
    return NULL;
}

static void
bench_sleep(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void
bench_json_num(const char *key, double v, int decimals)
{
    if (v < 0)
        printf(",\"%s\":null", key);
    else
        printf(",\"%s\":%.*f", key, decimals, v);
}

static void
bench_json_str(const char *key, const char *s)
{
    printf(",\"%s\":\"", key);
    wk_cli_put_json_str(stdout, s, strlen(s));
    putchar('"');
}

static int
bench_run(int argc, char **argv)
{
    const char *dir = NULL, *writers_s = NULL, *size_s = NULL;
    const char *seconds_s = NULL, *warmup_s = NULL;
    int sync_flag = 0, nosync_flag = 0, json = 0, help = 0;
    const wk_cli_flag flags[] = {
        {"--dir", 1, NULL, &dir},
        {"--writers", 1, NULL, &writers_s},
        {"--size", 1, NULL, &size_s},
        {"--seconds", 1, NULL, &seconds_s},
        {"--warmup", 1, NULL, &warmup_s},
        {"--sync", 0, &sync_flag, NULL},
        {"--no-sync", 0, &nosync_flag, NULL},
        {"--json", 0, &json, NULL},
        {"--help", 0, &help, NULL},
        {NULL, 0, NULL, NULL},
    };
    char *pos[1];
    if (wk_cli_parse_args("bench", argc - 1, argv + 1, flags, pos, 0) < 0) {
        fputs(bench_usage, stderr);
        return WK_CLI_ERROR;
    }
    if (help) {
        fputs(bench_usage, stdout);
        return WK_CLI_OK;
    }
    uint64_t writers = 1, size = 4096;
    double seconds = 5, warmup = 0.5;
    if (!dir)
        return wk_cli_usage_error(bench_usage, "bench: --dir is required");
    if (writers_s && (wk_cli_parse_u64(writers_s, &writers) != 0 ||
                      writers < 1 || writers > 1024))
        return wk_cli_usage_error(bench_usage,
                                  "bench: --writers must be 1..1024");
    if (size_s && (wk_cli_parse_size(size_s, &size) != 0 || size < 1 ||
                   size > (64u << 20)))
        return wk_cli_usage_error(bench_usage,
                                  "bench: --size must be 1..64M bytes");
    if (seconds_s &&
        (wk_cli_parse_seconds(seconds_s, &seconds) != 0 || seconds <= 0))
        return wk_cli_usage_error(bench_usage, "bench: bad --seconds");
    if (warmup_s && wk_cli_parse_seconds(warmup_s, &warmup) != 0)
        return wk_cli_usage_error(bench_usage, "bench: bad --warmup");
    if (sync_flag && nosync_flag)
        return wk_cli_usage_error(bench_usage,
                                  "bench: --sync and --no-sync conflict");
    int sync = !nosync_flag;

    if (bench_mkdirs(dir) != 0) {
        wk_cli_error(dir, -errno, NULL);
        return WK_CLI_ERROR;
    }
    wk_log_opts o;
    wk_log_opts_init(&o);
    if (size > o.max_entry_bytes)
        o.max_entry_bytes = o.batch_bytes = size;
    wk_log *log = NULL;
    int rc = wk_log_open(dir, &o, &log, NULL);
    if (rc != 0) {
        wk_cli_error("open log", rc, NULL);
        return WK_CLI_ERROR;
    }

    _Atomic int phase;
    atomic_init(&phase, 0);
    bench_thread *th = calloc(writers, sizeof(*th));
    if (!th) {
        wk_log_close(log);
        wk_cli_error("bench", WK_ENOMEM, NULL);
        return WK_CLI_ERROR;
    }
    uint64_t started = 0;
    for (uint64_t i = 0; i < writers; i++) {
        th[i].log = log;
        th[i].size = size;
        th[i].flags = sync ? WK_SYNC : 0;
        th[i].phase = &phase;
        th[i].seed = (unsigned)i;
        if (pthread_create(&th[i].tid, NULL, bench_writer, &th[i]) != 0)
            break;
        started++;
    }
    wk_log_stats s0, s1;
    uint64_t t_start = 0, t_end = 0;
    if (started == writers) {
        bench_sleep(warmup);
        wk_log_stats_get(log, &s0);
        t_start = wk_cli_now_ns();
        atomic_store(&phase, 1);
        bench_sleep(seconds);
    }
    atomic_store(&phase, 2);
    for (uint64_t i = 0; i < started; i++)
        pthread_join(th[i].tid, NULL);
    t_end = wk_cli_now_ns();
    if (started == writers && !sync)
        wk_log_sync(log, 0); /* not timed: --no-sync measures buffering */
    wk_log_stats_get(log, &s1);

    int ret = WK_CLI_OK;
    wk_cli_samples all = {0};
    for (uint64_t i = 0; i < started; i++) {
        if (th[i].rc != 0 && ret == WK_CLI_OK) {
            wk_cli_error("append", th[i].rc, wk_log_errmsg(log));
            ret = WK_CLI_ERROR;
        }
        if (wk_cli_samples_merge(&all, &th[i].lat) != 0)
            ret = WK_CLI_ERROR;
        wk_cli_samples_free(&th[i].lat);
    }
    free(th);
    if (started != writers) {
        wk_cli_error("pthread_create", -EAGAIN, NULL);
        ret = WK_CLI_ERROR;
    }
    rc = wk_log_close(log);
    if (rc != 0 && ret == WK_CLI_OK) {
        wk_cli_error("close log", rc, NULL);
        ret = WK_CLI_ERROR;
    }
    if (ret != WK_CLI_OK) {
        wk_cli_samples_free(&all);
        return ret;
    }

    double secs = (double)(t_end - t_start) / 1e9;
    double cps = (double)all.n / secs;
    double mbps = (double)all.n * (double)size / 1e6 / secs;
    double avg = 0;
    for (size_t i = 0; i < all.n; i++)
        avg += (double)all.v[i];
    avg = all.n ? avg / (double)all.n / 1000.0 : -1;
    double p50 = all.n ? (double)wk_cli_samples_pct(&all, 50) / 1000.0 : -1;
    double p99 = all.n ? (double)wk_cli_samples_pct(&all, 99) / 1000.0 : -1;
    double p999 = all.n ? (double)wk_cli_samples_pct(&all, 99.9) / 1000.0 : -1;
    double spc = -1;
    if (s1.appends > s0.appends)
        spc = (double)(s1.syncs - s0.syncs) / (double)(s1.appends - s0.appends);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    if (json) {
        char cpu[256], fsbuf[32], date[64];
        struct utsname un;
        struct tm tm;
        time_t now = time(NULL);
        bench_cpu_model(cpu, sizeof(cpu));
        if (uname(&un) != 0)
            snprintf(un.release, sizeof(un.release), "unknown");
        gmtime_r(&now, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("{\"system\":\"walkit\",\"workload\":\"%s\",\"writers\":%llu,"
               "\"size\":%llu",
               !sync          ? "buffered"
               : writers == 1 ? "W1"
                              : "W2",
               (unsigned long long)writers, (unsigned long long)size);
        bench_json_num("commits_per_s", cps, 1);
        bench_json_num("mb_per_s", mbps, 2);
        bench_json_num("p50_us", p50, 1);
        bench_json_num("p99_us", p99, 1);
        bench_json_num("p999_us", p999, 1);
        bench_json_num("avg_us", avg, 1);
        bench_json_num("syncs_per_commit", spc, 4);
        printf(",\"peak_rss_kb\":%ld,\"commits\":%zu,\"seconds\":%.3f,"
               "\"sync\":%s",
               ru.ru_maxrss, all.n, secs, sync ? "true" : "false");
        bench_json_str("notes", "walkit bench");
        bench_json_str("cpu", cpu);
        printf(",\"cores\":%ld", sysconf(_SC_NPROCESSORS_ONLN));
        bench_json_str("kernel", un.release);
        bench_json_str("fs", bench_fs_name(dir, fsbuf, sizeof(fsbuf)));
        bench_json_str("date", date);
        puts("}");
    } else {
        char b1[32], b2[32], b3[32], b4[32];
        printf("walkit bench: %llu writer(s), %llu B entries, %s, %.1f s "
               "in %s (%s)\n",
               (unsigned long long)writers, (unsigned long long)size,
               sync ? "durable (WK_SYNC)" : "buffered (no sync)", secs, dir,
               bench_fs_name(dir, b1, sizeof(b1)));
        printf("  commits/s      %.0f\n", cps);
        printf("  MB/s           %.2f\n", mbps);
        printf("  latency        p50 %s  p99 %s  p999 %s\n",
               wk_cli_fmt_ns(b2, sizeof(b2), (uint64_t)(p50 * 1000)),
               wk_cli_fmt_ns(b3, sizeof(b3), (uint64_t)(p99 * 1000)),
               wk_cli_fmt_ns(b4, sizeof(b4), (uint64_t)(p999 * 1000)));
        if (spc >= 0)
            printf("  syncs/commit   %.3f (%.1f commits per sync)\n", spc,
                   spc > 0 ? 1 / spc : 0.0);
        printf("  peak RSS       %ld KiB\n", ru.ru_maxrss);
    }
    wk_cli_samples_free(&all);
    return ret;
}

static const wk_cli_cmd bench_cmd = {
    .name = "bench",
    .summary = "measure durable appends (commits/s, latency, syncs/commit)",
    .usage = bench_usage,
    .run = bench_run,
};
WK_CLI_COMMAND(bench_cmd)
