/* The posix vfs backend: the only code in walkit that calls the operating
 * system for files.
 *
 * Design.
 *  - Every method returns 0 or -errno; errno is read right after the failing
 *    call and never leaks out as the way of reporting.
 *  - EINTR is retried, and short reads/writes are continued, in exactly one
 *    place each: posix_pread_all, posix_pwrite_all and posix_pwritev_all.
 *    A read stops short only at end of file (the kernel returned 0). A write
 *    that makes no progress (returns 0) is reported as -EIO instead of
 *    looping forever.
 *  - fsync/fdatasync are retried only on EINTR (the call was interrupted
 *    before it ran). Any other failure is returned once: after a writeback
 *    error Linux marks the pages clean, so a retry would falsely succeed.
 *    The caller poisons its handle.
 *  - allocate uses fallocate(fd, 0, ...) directly, not posix_fallocate:
 *    glibc's posix_fallocate silently emulates an unsupported filesystem by
 *    writing one byte per block; we pass -EOPNOTSUPP up so the caller (see
 *    wk_vfs_create_prealloc) can choose to write real zeros.
 *  - Every descriptor is opened O_CLOEXEC.
 *  - Directory locks: flock(LOCK_EX|LOCK_NB) on dir/LOCK (or on the file
 *    itself when lock_dir is given a regular file) through a fresh
 *    open file description per lock_dir call. flock locks belong to the open
 *    file description, so a second lock_dir on the same directory fails with
 *    -EBUSY from this process too, and the lock dies with the process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/alloc.h"
#include "io/iov.h"
#include "walkit/vfs.h"

/* Largest file offset we hand to the kernel (off_t is signed 64-bit). */
#define POSIX_OFF_MAX ((uint64_t)INT64_MAX)
/* iovecs handed to one pwritev call (a window over the caller's array). */
#define POSIX_IOV_WINDOW 64

typedef struct posix_file {
    wk_file base; /* must stay first */
    int fd;
} posix_file;

struct wk_vfs_lock {
    int fd;
};

static int
posix_fd(wk_file *f)
{
    return ((posix_file *)f)->fd;
}

/* Checks that [off, off + len) is addressable as off_t. */
static int
posix_check_range(uint64_t off, uint64_t len)
{
    if (off > POSIX_OFF_MAX || len > POSIX_OFF_MAX - off)
        return -EINVAL;
    return 0;
}

/* ---- file methods ---------------------------------------------------- */

static int
posix_close(wk_file *f)
{
    int fd = posix_fd(f);
    wk__free(f);
    /* On Linux the descriptor is released even when close fails (EINTR
     * included), so close is never retried. */
    if (close(fd) != 0 && errno != EINTR)
        return -errno;
    return 0;
}

/* The one read loop: retries EINTR, continues short reads, stops at EOF. */
static int
posix_pread_all(int fd, void *buf, size_t len, uint64_t off, size_t *nread)
{
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done;
        if (chunk > (size_t)SSIZE_MAX)
            chunk = (size_t)SSIZE_MAX;
        ssize_t n = pread(fd, (char *)buf + done, chunk, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *nread = done;
            return -errno;
        }
        if (n == 0)
            break; /* end of file */
        done += (size_t)n;
    }
    *nread = done;
    return 0;
}

static int
posix_pread(wk_file *f, void *buf, size_t len, uint64_t off, size_t *nread)
{
    int rc = posix_check_range(off, len);
    if (rc != 0)
        return rc;
    return posix_pread_all(posix_fd(f), buf, len, off, nread);
}

/* The one write loop: retries EINTR, continues short writes. */
static int
posix_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done;
        if (chunk > (size_t)SSIZE_MAX)
            chunk = (size_t)SSIZE_MAX;
        ssize_t n =
            pwrite(fd, (const char *)buf + done, chunk, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO; /* no progress: never spin */
        done += (size_t)n;
    }
    return 0;
}

static int
posix_pwrite(wk_file *f, const void *buf, size_t len, uint64_t off)
{
    int rc = posix_check_range(off, len);
    if (rc != 0)
        return rc;
    return posix_pwrite_all(posix_fd(f), buf, len, off);
}

/* The one vectored write loop. Each round hands the kernel a window over
 * the remaining iovecs (the first one advanced past the bytes already
 * written), so partial progress can end anywhere, even inside an iovec, and
 * iovcnt may exceed IOV_MAX. */
static int
posix_pwritev_all(int fd, const struct iovec *iov, int iovcnt, uint64_t off)
{
    int idx = 0;     /* first iovec not fully written */
    size_t skip = 0; /* bytes of iov[idx] already written */
    for (;;) {
        struct iovec win[POSIX_IOV_WINDOW];
        size_t total = 0;
        int n = wk__iov_window(iov, iovcnt, idx, skip, win, POSIX_IOV_WINDOW,
                               (size_t)SSIZE_MAX, &total);
        if (n == 0)
            return 0; /* nothing (or only empty iovecs) left */
        ssize_t w = pwritev(fd, win, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (w == 0)
            return -EIO; /* no progress: never spin */
        off += (uint64_t)w;
        wk__iov_advance(iov, iovcnt, &idx, &skip, (size_t)w);
    }
}

static int
posix_pwritev(wk_file *f, const struct iovec *iov, int iovcnt, uint64_t off)
{
    if (iovcnt < 0 || (iovcnt > 0 && iov == NULL))
        return -EINVAL;
    uint64_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > 0 && iov[i].iov_base == NULL)
            return -EINVAL;
        if (iov[i].iov_len > POSIX_OFF_MAX - total)
            return -EINVAL;
        total += iov[i].iov_len;
    }
    int rc = posix_check_range(off, total);
    if (rc != 0)
        return rc;
    return posix_pwritev_all(posix_fd(f), iov, iovcnt, off);
}

static int
posix_sync(wk_file *f, int flags)
{
    int fd = posix_fd(f);
    int r;
    if (flags != WK_SYNC_DATA && flags != WK_SYNC_FULL)
        return -EINVAL;
    do {
        r = flags == WK_SYNC_FULL ? fsync(fd) : fdatasync(fd);
    } while (r != 0 && errno == EINTR);
    return r == 0 ? 0 : -errno;
}

static int
posix_allocate(wk_file *f, uint64_t off, uint64_t len)
{
    int rc = posix_check_range(off, len);
    if (rc != 0)
        return rc;
    if (len == 0)
        return 0;
    int r;
    do {
        r = fallocate(posix_fd(f), 0, (off_t)off, (off_t)len);
    } while (r != 0 && errno == EINTR);
    if (r != 0)
        return errno == ENOTSUP ? -EOPNOTSUPP : -errno;
    return 0;
}

static int
posix_truncate(wk_file *f, uint64_t size)
{
    if (size > POSIX_OFF_MAX)
        return -EINVAL;
    int r;
    do {
        r = ftruncate(posix_fd(f), (off_t)size);
    } while (r != 0 && errno == EINTR);
    return r == 0 ? 0 : -errno;
}

static int
posix_size(wk_file *f, uint64_t *size)
{
    struct stat st;
    if (fstat(posix_fd(f), &st) != 0)
        return -errno;
    *size = (uint64_t)st.st_size;
    return 0;
}

static int
posix_mmap(wk_file *f, uint64_t off, size_t len, const void **addr)
{
    if (len == 0 || off % 4096 != 0)
        return -EINVAL;
    int rc = posix_check_range(off, len);
    if (rc != 0)
        return rc;
    void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, posix_fd(f), (off_t)off);
    if (p == MAP_FAILED)
        return -errno;
    *addr = p;
    return 0;
}

static int
posix_unmap(wk_file *f, const void *addr, size_t len)
{
    (void)f;
    if (munmap((void *)(uintptr_t)addr, len) != 0)
        return -errno;
    return 0;
}

static const wk_file_methods posix_file_methods = {
    .version = WK_VFS_VERSION,
    .close = posix_close,
    .pread = posix_pread,
    .pwrite = posix_pwrite,
    .pwritev = posix_pwritev,
    .sync = posix_sync,
    .allocate = posix_allocate,
    .truncate = posix_truncate,
    .size = posix_size,
    .mmap = posix_mmap,
    .unmap = posix_unmap,
};

/* ---- vfs methods ----------------------------------------------------- */

/* open(2) with EINTR retried. */
static int
posix_open_fd(const char *path, int oflags, mode_t mode)
{
    int fd;
    do {
        fd = open(path, oflags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

static int
posix_open(wk_vfs *vfs, const char *path, int flags, wk_file **out)
{
    (void)vfs;
    if (path == NULL || out == NULL)
        return -EINVAL;
    if (flags & ~(WK_O_RDWR | WK_O_CREATE | WK_O_EXCL | WK_O_TRUNC))
        return -EINVAL;
    /* CREATE and TRUNC imply RDWR (O_RDONLY|O_TRUNC is unspecified). */
    int oflags =
        (flags & (WK_O_RDWR | WK_O_CREATE | WK_O_TRUNC)) ? O_RDWR : O_RDONLY;
    if (flags & WK_O_CREATE) {
        oflags |= O_CREAT;
        if (flags & WK_O_EXCL)
            oflags |= O_EXCL;
    }
    if (flags & WK_O_TRUNC)
        oflags |= O_TRUNC;

    posix_file *pf = wk__malloc(sizeof *pf);
    if (pf == NULL)
        return WK_ENOMEM;
    int fd = posix_open_fd(path, oflags, 0644);
    if (fd < 0) {
        wk__free(pf);
        return fd;
    }
    /* A read-only open of a directory succeeds on Linux: refuse it. */
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = -errno;
    else if (S_ISDIR(st.st_mode))
        rc = -EISDIR;
    if (rc != 0) {
        close(fd);
        wk__free(pf);
        return rc;
    }
    pf->base.methods = &posix_file_methods;
    pf->fd = fd;
    *out = &pf->base;
    return 0;
}

static int
posix_rename(wk_vfs *vfs, const char *from, const char *to)
{
    (void)vfs;
    if (from == NULL || to == NULL)
        return -EINVAL;
    return rename(from, to) == 0 ? 0 : -errno;
}

static int
posix_unlink(wk_vfs *vfs, const char *path)
{
    (void)vfs;
    if (path == NULL)
        return -EINVAL;
    return unlink(path) == 0 ? 0 : -errno;
}

static int
posix_mkdir(wk_vfs *vfs, const char *path)
{
    (void)vfs;
    if (path == NULL)
        return -EINVAL;
    return mkdir(path, 0755) == 0 ? 0 : -errno;
}

static int
posix_rmdir(wk_vfs *vfs, const char *path)
{
    (void)vfs;
    if (path == NULL)
        return -EINVAL;
    if (rmdir(path) == 0)
        return 0;
    return errno == EEXIST ? -ENOTEMPTY : -errno; /* POSIX allows either */
}

static int
posix_list(wk_vfs *vfs, const char *dir, wk_vfs_list_fn fn, void *arg)
{
    (void)vfs;
    if (dir == NULL || fn == NULL)
        return -EINVAL;
    DIR *d = opendir(dir);
    if (d == NULL)
        return -errno;
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL) {
            if (errno != 0)
                rc = -errno;
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rc = fn(arg, de->d_name);
        if (rc != 0)
            break;
    }
    closedir(d);
    return rc;
}

static int
posix_stat(wk_vfs *vfs, const char *path, wk_vfs_stat *st)
{
    (void)vfs;
    if (path == NULL || st == NULL)
        return -EINVAL;
    struct stat s;
    if (stat(path, &s) != 0)
        return -errno;
    if (S_ISREG(s.st_mode))
        st->type = WK_VFS_FILE;
    else if (S_ISDIR(s.st_mode))
        st->type = WK_VFS_DIR;
    else
        st->type = WK_VFS_OTHER;
    st->size = S_ISREG(s.st_mode) ? (uint64_t)s.st_size : 0;
    return 0;
}

static int
posix_sync_dir(wk_vfs *vfs, const char *dir)
{
    (void)vfs;
    if (dir == NULL)
        return -EINVAL;
    int fd = posix_open_fd(dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
        return fd;
    int r, rc = 0;
    do {
        r = fsync(fd);
    } while (r != 0 && errno == EINTR);
    if (r != 0)
        rc = -errno;
    close(fd);
    return rc;
}

static int
posix_lock_dir(wk_vfs *vfs, const char *dir, wk_vfs_lock **out)
{
    (void)vfs;
    if (dir == NULL || out == NULL)
        return -EINVAL;
    int rc;
    struct stat st;
    if (stat(dir, &st) != 0)
        return -errno;
    wk_vfs_lock *lock = wk__malloc(sizeof *lock);
    /* A directory is locked through dir/LOCK, a regular file itself. */
    char *path =
        S_ISDIR(st.st_mode) ? wk__path_join(dir, "LOCK") : wk__strdup(dir);
    if (lock == NULL || path == NULL) {
        rc = WK_ENOMEM;
        goto fail_alloc;
    }
    int fd = posix_open_fd(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        rc = fd;
        goto fail_alloc;
    }
    int r;
    do {
        r = flock(fd, LOCK_EX | LOCK_NB);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
        rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
        goto fail_open;
    }
    lock->fd = fd;
    wk__free(path);
    *out = lock;
    return 0;

fail_open:
    close(fd);
fail_alloc:
    wk__free(path);
    wk__free(lock);
    return rc;
}

static int
posix_unlock_dir(wk_vfs *vfs, wk_vfs_lock *lock)
{
    (void)vfs;
    if (lock == NULL)
        return -EINVAL;
    int rc = 0;
    if (flock(lock->fd, LOCK_UN) != 0)
        rc = -errno;
    /* Closing the only descriptor of the open file description releases
     * the lock in any case. */
    if (close(lock->fd) != 0 && errno != EINTR && rc == 0)
        rc = -errno;
    wk__free(lock);
    return rc;
}

static int
posix_random(wk_vfs *vfs, void *buf, size_t len)
{
    (void)vfs;
    if (buf == NULL && len > 0)
        return -EINVAL;
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom((char *)buf + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += (size_t)n;
    }
    return 0;
}

static wk_vfs posix_vfs = {
    .version = WK_VFS_VERSION,
    .name = "posix",
    .ctx = NULL,
    .open = posix_open,
    .rename = posix_rename,
    .unlink = posix_unlink,
    .mkdir = posix_mkdir,
    .rmdir = posix_rmdir,
    .list = posix_list,
    .stat = posix_stat,
    .sync_dir = posix_sync_dir,
    .lock_dir = posix_lock_dir,
    .unlock_dir = posix_unlock_dir,
    .random = posix_random,
};

wk_vfs *
wk_vfs_posix(void)
{
    return &posix_vfs;
}
