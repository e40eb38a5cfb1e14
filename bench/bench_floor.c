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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

#define FLOOR_FILE_BYTES (64u << 20)
#define FLOOR_CHUNK (1u << 20)

typedef struct floor_db {
    int fd;
    _Atomic uint64_t off;
    _Atomic uint64_t commits;
} floor_db;

static int
floor_write_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static void *
floor_open(const bench_args *a)
{
    char path[4096];
    if (bench_mkdirs(a->dir) != 0) {
        perror(a->dir);
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/floor.dat", a->dir);
    floor_db *db = calloc(1, sizeof(*db));
    char *buf = malloc(FLOOR_CHUNK);
    if (!db || !buf)
        goto fail;
    db->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (db->fd < 0) {
        perror(path);
        goto fail;
    }
    bench_fill_random(buf, FLOOR_CHUNK, 7);
    for (uint64_t off = 0; off < FLOOR_FILE_BYTES; off += FLOOR_CHUNK) {
        if (floor_write_all(db->fd, buf, FLOOR_CHUNK, off) != 0) {
            perror("pwrite");
            goto fail;
        }
    }
    if (fsync(db->fd) != 0) {
        perror("fsync");
        goto fail;
    }
    free(buf);
    return db;
fail:
    if (db && db->fd > 0)
        close(db->fd);
    free(db);
    free(buf);
    return NULL;
}

static int
floor_commit(void *p, int t, uint64_t seq, const void *val, size_t len)
{
    floor_db *db = p;
    (void)t;
    (void)seq;
    uint64_t off = atomic_fetch_add(&db->off, len) % FLOOR_FILE_BYTES;
    if (off + len > FLOOR_FILE_BYTES)
        off = 0;
    if (floor_write_all(db->fd, val, len, off) != 0 || fdatasync(db->fd) != 0) {
        perror("floor");
        return -1;
    }
    atomic_fetch_add(&db->commits, 1);
    return 0;
}

static void
floor_counters(void *p, uint64_t *syncs, uint64_t *commits)
{
    floor_db *db = p;
    *commits = *syncs = atomic_load(&db->commits);
}

static void
floor_close(void *p)
{
    floor_db *db = p;
    close(db->fd);
    free(db);
}

static const bench_sys floor_sys = {
    .name = "floor",
    .open = floor_open,
    .commit = floor_commit,
    .close = floor_close,
    .counters = floor_counters,
};

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
        if (floor_write_all(fd, buf, FLOOR_CHUNK, off) != 0) {
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
    if (bench_run_commits(&floor_sys, &a, &r) != 0)
        return 2;
    bench_print_json("floor", &a, &r, "\"kind\":\"sync\"");
    return 0;
}
