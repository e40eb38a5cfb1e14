/* The device floor as a bench_sys: pwrite(size bytes) + fdatasync per
 * commit, sequentially through a file that was fully written and synced
 * beforehand (no allocation or size change on the commit path). Shared by
 * bench_floor (floor/sync) and bench_j1 (its floor in the same run), plus
 * the two file helpers they both need. Plain system calls, no walkit. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_util.h"

#define FLOOR_FILE_BYTES (64ull << 20)
#define FLOOR_CHUNK (1u << 20)

int
bench_write_all(int fd, const void *buf, size_t len, uint64_t off)
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

int
bench_fill_file(const char *path, uint64_t size, uint64_t seed)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    char *buf = malloc(FLOOR_CHUNK);
    int rc = buf ? 0 : -1;
    if (buf)
        bench_fill_random(buf, FLOOR_CHUNK, seed);
    for (uint64_t off = 0; rc == 0 && off < size; off += FLOOR_CHUNK)
        rc = bench_write_all(fd, buf, FLOOR_CHUNK, off);
    if (rc == 0)
        rc = fsync(fd);
    free(buf);
    close(fd);
    return rc;
}

typedef struct floor_db {
    int fd;
    _Atomic uint64_t off;
    _Atomic uint64_t commits;
} floor_db;

static void *
floor_open(const bench_args *a)
{
    char path[4096];
    if (bench_mkdirs(a->dir) != 0) {
        perror(a->dir);
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/%s", a->dir, BENCH_FLOOR_FILE);
    if (bench_fill_file(path, FLOOR_FILE_BYTES, 7) != 0) {
        perror(path);
        return NULL;
    }
    floor_db *db = calloc(1, sizeof(*db));
    if (db == NULL)
        return NULL;
    db->fd = open(path, O_RDWR);
    if (db->fd < 0) {
        perror(path);
        free(db);
        return NULL;
    }
    return db;
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
    if (bench_write_all(db->fd, val, len, off) != 0 || fdatasync(db->fd) != 0) {
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

const bench_sys bench_floor_sys = {
    .name = "floor",
    .open = floor_open,
    .commit = floor_commit,
    .close = floor_close,
    .counters = floor_counters,
};
