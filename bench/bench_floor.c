/* The device floor, measured with plain system calls (no walkit).
 *
 *   --mode sync : pwrite(size bytes) + fdatasync per commit, sequentially
 *                 through a 64 MiB file that was fully written and synced
 *                 beforehand (no allocation or size change on the commit
 *                 path). This is the best a durable log can do per sync.
 *   --mode seq  : sequential write bandwidth: --bytes in 1 MiB pwrites to a
 *                 new file, one fdatasync at the end (W3's yardstick).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

#define FLOOR_CHUNK (1u << 20)

/* Sequential bandwidth: --bytes into a new file, one fdatasync at the end. */
static int
floor_seq(bench_args *a)
{
    char path[4096];
    bench_result r;
    bench_result_init(&r);
    if (bench_mkdirs(a->dir) != 0) {
        perror(a->dir);
        return 2;
    }
    snprintf(path, sizeof(path), "%s/floor-seq.dat", a->dir);
    unlink(path);
    char *buf = malloc(FLOOR_CHUNK);
    if (!buf)
        return 2;
    bench_fill_random(buf, FLOOR_CHUNK, 11);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        free(buf);
        return 2;
    }
    uint64_t t0 = bench_now_ns();
    uint64_t off = 0;
    for (; off < a->bytes; off += FLOOR_CHUNK) {
        buf[0] = (char)(off >> 20);
        if (bench_write_all(fd, buf, FLOOR_CHUNK, off) != 0) {
            perror("pwrite");
            close(fd);
            free(buf);
            return 2;
        }
    }
    if (fdatasync(fd) != 0) {
        perror("fdatasync");
        close(fd);
        free(buf);
        return 2;
    }
    uint64_t t1 = bench_now_ns();
    close(fd);
    unlink(path);
    free(buf);
    r.seconds = (double)(t1 - t0) / 1e9;
    r.commits = off / FLOOR_CHUNK;
    r.bytes = off;
    r.commits_per_s = (double)r.commits / r.seconds;
    r.mb_per_s = (double)off / 1e6 / r.seconds;
    r.syncs_per_commit = 1.0 / (double)r.commits;
    a->size = FLOOR_CHUNK;
    a->workload = "floor";
    char extra[128];
    snprintf(extra, sizeof(extra), "\"kind\":\"seq\",\"total_bytes\":%llu",
             (unsigned long long)off);
    bench_print_json("floor", a, &r, extra);
    return 0;
}

int
main(int argc, char **argv)
{
    bench_args a;
    if (bench_parse_args(&a, argc, argv) != 0)
        return 2;
    a.workload = "floor";
    if (strcmp(a.mode, "seq") == 0)
        return floor_seq(&a);
    bench_result r;
    if (bench_run_commits(&bench_floor_sys, &a, &r) != 0)
        return 2;
    bench_print_json("floor", &a, &r, "\"kind\":\"sync\"");
    return 0;
}
