/* Calling helpers for wk_file: wk_file_x(f, ...) is f->methods->x(f, ...)
 * with argument checks, so components never dereference a method table by
 * hand and a NULL handle or buffer comes back as -EINVAL instead of a
 * crash. The backends themselves live in vfs_posix.c and vfs_sim.c; the
 * durable-file idioms built on top of any backend live in vfs_helpers.c. */
#include <errno.h>
#include <stddef.h>

#include "walkit/vfs.h"

/* A usable handle: non-NULL with a method table. */
static int
file_ok(const wk_file *f)
{
    return f != NULL && f->methods != NULL;
}

int
wk_file_close(wk_file *f)
{
    if (!file_ok(f) || f->methods->close == NULL)
        return -EINVAL;
    return f->methods->close(f);
}

int
wk_file_pread(wk_file *f, void *buf, size_t len, uint64_t off, size_t *nread)
{
    if (!file_ok(f) || f->methods->pread == NULL || nread == NULL ||
        (buf == NULL && len > 0))
        return -EINVAL;
    return f->methods->pread(f, buf, len, off, nread);
}

int
wk_file_pread_full(wk_file *f, void *buf, size_t len, uint64_t off)
{
    size_t n = 0;
    int rc = wk_file_pread(f, buf, len, off, &n);
    if (rc != 0)
        return rc;
    return n == len ? 0 : -ENODATA;
}

int
wk_file_pwrite(wk_file *f, const void *buf, size_t len, uint64_t off)
{
    if (!file_ok(f) || f->methods->pwrite == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    return f->methods->pwrite(f, buf, len, off);
}

int
wk_file_pwritev(wk_file *f, const struct iovec *iov, int iovcnt, uint64_t off)
{
    if (!file_ok(f) || f->methods->pwritev == NULL || iovcnt < 0 ||
        (iov == NULL && iovcnt > 0))
        return -EINVAL;
    return f->methods->pwritev(f, iov, iovcnt, off);
}

int
wk_file_sync(wk_file *f, int flags)
{
    if (!file_ok(f) || f->methods->sync == NULL ||
        (flags != WK_SYNC_DATA && flags != WK_SYNC_FULL))
        return -EINVAL;
    return f->methods->sync(f, flags);
}

int
wk_file_allocate(wk_file *f, uint64_t off, uint64_t len)
{
    if (!file_ok(f) || f->methods->allocate == NULL)
        return -EINVAL;
    return f->methods->allocate(f, off, len);
}

int
wk_file_truncate(wk_file *f, uint64_t size)
{
    if (!file_ok(f) || f->methods->truncate == NULL)
        return -EINVAL;
    return f->methods->truncate(f, size);
}

int
wk_file_size(wk_file *f, uint64_t *size)
{
    if (!file_ok(f) || f->methods->size == NULL || size == NULL)
        return -EINVAL;
    return f->methods->size(f, size);
}

int
wk_file_mmap(wk_file *f, uint64_t off, size_t len, const void **addr)
{
    if (!file_ok(f) || f->methods->mmap == NULL || addr == NULL)
        return -EINVAL;
    return f->methods->mmap(f, off, len, addr);
}

int
wk_file_unmap(wk_file *f, const void *addr, size_t len)
{
    if (!file_ok(f) || f->methods->unmap == NULL || addr == NULL)
        return -EINVAL;
    return f->methods->unmap(f, addr, len);
}
