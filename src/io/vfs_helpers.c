/* Durable-file idioms, each written once, on top of any wk_vfs (they only
 * call its methods, so they run the same on the posix and the sim backend).
 *
 * Atomic replace:  open path.tmp (CREATE|TRUNC), pwrite, sync, close,
 *                  rename path.tmp -> path, sync_dir(parent).
 *   The rename is atomic, and the tmp file's data is durable before it, so
 *   after a crash path holds either the old or the new bytes. The final
 *   sync_dir makes the new name durable before we report success. A stale
 *   path.tmp left by an earlier crash is simply truncated and reused. On
 *   failure before the rename completes, path.tmp is unlinked (best effort).
 *
 * Create preallocated: open (CREATE|EXCL), allocate [0, size) (or write
 *   zeros when the filesystem says -EOPNOTSUPP), optionally overwrite with
 *   zeros (zero_fill: turns unwritten extents into written ones so later
 *   fdatasyncs into that space carry no extent metadata), sync (full),
 *   sync_dir(parent). On failure the half-made file is closed and unlinked
 *   (best effort; we created it, EXCL guarantees it was not someone else's).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/alloc.h"
#include "io/path.h"
#include "walkit/vfs.h"

/* Zeros are written in pieces of this size. */
#define HELPERS_ZERO_CHUNK ((size_t)1 << 20)

/* Writes zeros over [0, size) in HELPERS_ZERO_CHUNK pwrites. */
static int
helpers_write_zeros(wk_file *f, uint64_t size)
{
    size_t chunk =
        size < HELPERS_ZERO_CHUNK ? (size_t)size : HELPERS_ZERO_CHUNK;
    void *zeros = wk__calloc(1, chunk);
    if (zeros == NULL)
        return WK_ENOMEM;
    int rc = 0;
    for (uint64_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
        rc = wk_file_pwrite(f, zeros, n, off);
        if (rc != 0)
            break;
    }
    wk__free(zeros);
    return rc;
}

/* Checks the parts of a vfs the helpers use. */
static int
helpers_vfs_ok(const wk_vfs *vfs)
{
    return vfs != NULL && vfs->open != NULL && vfs->rename != NULL &&
           vfs->unlink != NULL && vfs->sync_dir != NULL;
}

int
wk_vfs_atomic_replace(wk_vfs *vfs, const char *path, const void *data,
                      size_t len)
{
    if (!helpers_vfs_ok(vfs) || path == NULL || (data == NULL && len > 0))
        return -EINVAL;
    int rc;
    wk_file *f = NULL;
    char *tmp = NULL;
    char *dir = wk__path_dirname(path);
    size_t pl = strlen(path);
    tmp = wk__malloc(pl + sizeof ".tmp");
    if (dir == NULL || tmp == NULL) {
        rc = WK_ENOMEM;
        goto out_free;
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", sizeof ".tmp");

    rc = vfs->open(vfs, tmp, WK_O_RDWR | WK_O_CREATE | WK_O_TRUNC, &f);
    if (rc != 0)
        goto out_free;
    if (len > 0) {
        rc = wk_file_pwrite(f, data, len, 0);
        if (rc != 0)
            goto out_close;
    }
    rc = wk_file_sync(f, WK_SYNC_FULL);
    if (rc != 0)
        goto out_close;
    rc = wk_file_close(f);
    f = NULL;
    if (rc != 0)
        goto out_unlink;
    rc = vfs->rename(vfs, tmp, path);
    if (rc != 0)
        goto out_unlink;
    rc = vfs->sync_dir(vfs, dir);
    goto out_free; /* tmp is gone: nothing to unlink */

out_close:
    wk_file_close(f);
out_unlink:
    vfs->unlink(vfs, tmp);
out_free:
    wk__free(tmp);
    wk__free(dir);
    return rc;
}

int
wk_vfs_create_prealloc(wk_vfs *vfs, const char *path, uint64_t size,
                       int zero_fill, wk_file **out)
{
    if (!helpers_vfs_ok(vfs) || path == NULL)
        return -EINVAL;
    int rc;
    wk_file *f = NULL;
    char *dir = wk__path_dirname(path);
    if (dir == NULL)
        return WK_ENOMEM;

    rc = vfs->open(vfs, path, WK_O_RDWR | WK_O_CREATE | WK_O_EXCL, &f);
    if (rc != 0)
        goto out_free;
    if (size > 0) {
        int zeroed = 0;
        rc = wk_file_allocate(f, 0, size);
        if (rc == -EOPNOTSUPP) {
            rc = helpers_write_zeros(f, size);
            zeroed = 1;
        }
        if (rc == 0 && zero_fill && !zeroed)
            rc = helpers_write_zeros(f, size);
        if (rc != 0)
            goto out_remove;
    }
    rc = wk_file_sync(f, WK_SYNC_FULL);
    if (rc != 0)
        goto out_remove;
    rc = vfs->sync_dir(vfs, dir);
    if (rc != 0)
        goto out_remove;

    if (out != NULL)
        *out = f;
    else
        rc = wk_file_close(f);
    goto out_free;

out_remove:
    wk_file_close(f);
    vfs->unlink(vfs, path);
out_free:
    wk__free(dir);
    return rc;
}

int
wk_vfs_read_all(wk_vfs *vfs, const char *path, size_t max_len, void **data,
                size_t *len)
{
    if (vfs == NULL || vfs->open == NULL || path == NULL || data == NULL ||
        len == NULL)
        return -EINVAL;
    int rc;
    wk_file *f = NULL;
    void *buf = NULL;
    uint64_t size = 0;
    size_t n = 0;

    rc = vfs->open(vfs, path, WK_O_RDONLY, &f);
    if (rc != 0)
        return rc;
    rc = wk_file_size(f, &size);
    if (rc != 0)
        goto out_close;
    if (size > max_len) {
        rc = -EFBIG;
        goto out_close;
    }
    buf = wk__malloc((size_t)size);
    if (buf == NULL) {
        rc = WK_ENOMEM;
        goto out_close;
    }
    /* The file may shrink between size and pread: keep what was read. */
    rc = wk_file_pread(f, buf, (size_t)size, 0, &n);
    if (rc != 0) {
        wk__free(buf);
        goto out_close;
    }
    *data = buf;
    *len = n;

out_close:
    wk_file_close(f);
    return rc;
}
