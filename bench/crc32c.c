/* bench_crc32c: throughput of the CRC32C table path (sw) and the SSE4.2
 * path (hw) on 64 B, 4 KiB and 1 MiB buffers, in GB/s (10^9 bytes/s).
 *
 * Each figure is the best of 3 runs of about 0.3 s each (the iteration count
 * is calibrated first). The buffer is reused, so it is cache-resident: this
 * measures the CRC code, not memory bandwidth. This benchmark reaches the
 * internal functions of src/common/crc32c.h (it links wk_common), because
 * the CRC is not public API.
 *
 * Usage: bench_crc32c [--json] [--time SECONDS]
 * Output: a table on stdout, or with --json one JSON object. Exit 0, or 2
 * on a usage error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/crc32c.h"

typedef uint32_t (*bcrc_fn)(uint32_t crc, const void *buf, size_t len);

static volatile uint32_t bcrc_sink;

static double
bcrc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds taken by iters calls of fn over len bytes of buf. */
static double
bcrc_run(bcrc_fn fn, const uint8_t *buf, size_t len, uint64_t iters)
{
    uint32_t acc = 0;
    double t0 = bcrc_now();
    for (uint64_t i = 0; i < iters; i++)
        acc ^= fn(0, buf, len);
    double t = bcrc_now() - t0;
    bcrc_sink ^= acc;
    return t;
}

/* Best throughput in GB/s over 3 runs of about secs seconds each. */
static double
bcrc_measure(bcrc_fn fn, const uint8_t *buf, size_t len, double secs)
{
    uint64_t iters = 1;
    double t;
    /* Calibrate: grow until one run takes a tenth of the target. */
    while ((t = bcrc_run(fn, buf, len, iters)) < secs / 10)
        iters *= 2;
    iters = (uint64_t)((double)iters * secs / t) + 1;
    double best = 0;
    for (int r = 0; r < 3; r++) {
        t = bcrc_run(fn, buf, len, iters);
        double gbps = (double)len * (double)iters / t / 1e9;
        if (gbps > best)
            best = gbps;
    }
    return best;
}

int
main(int argc, char **argv)
{
    int json = 0;
    double secs = 0.3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
            secs = atof(argv[++i]);
            if (secs <= 0)
                goto usage;
        } else {
            goto usage;
        }
    }

    static const size_t sizes[] = {64, 4096, 1 << 20};
    enum { NSIZES = sizeof sizes / sizeof sizes[0] };
    const struct {
        const char *name;
        bcrc_fn fn;
    } paths[] = {{"sw", wk__crc32c_sw}, {"hw", wk__crc32c_hw}};
    int hw = wk__crc32c_hw_available();
    int npaths = hw ? 2 : 1;
    double gbps[2][NSIZES];

    uint8_t *buf = malloc(sizes[NSIZES - 1]);
    if (buf == NULL) {
        fprintf(stderr, "bench_crc32c: out of memory\n");
        return 2;
    }
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizes[NSIZES - 1]; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    for (int p = 0; p < npaths; p++)
        for (int s = 0; s < NSIZES; s++)
            gbps[p][s] = bcrc_measure(paths[p].fn, buf, sizes[s], secs);
    free(buf);

    if (json) {
        printf("{\"bench\":\"crc32c\",\"unit\":\"GB/s\",\"hw_available\":%s,"
               "\"results\":[",
               hw ? "true" : "false");
        for (int p = 0; p < npaths; p++)
            for (int s = 0; s < NSIZES; s++)
                printf("%s{\"path\":\"%s\",\"bytes\":%zu,\"gbps\":%.3f}",
                       p + s ? "," : "", paths[p].name, sizes[s], gbps[p][s]);
        printf("]}\n");
    } else {
        printf("CRC32C throughput, GB/s (best of 3, ~%.2f s each)\n", secs);
        printf("%-6s %10s %10s %10s\n", "path", "64 B", "4 KiB", "1 MiB");
        for (int p = 0; p < npaths; p++)
            printf("%-6s %10.2f %10.2f %10.2f\n", paths[p].name, gbps[p][0],
                   gbps[p][1], gbps[p][2]);
        if (!hw)
            printf("hw     (not available: CPU lacks SSE4.2)\n");
    }
    return 0;

usage:
    fprintf(stderr, "usage: bench_crc32c [--json] [--time SECONDS]\n");
    return 2;
}
