/* Files of the simulated disk: the wk_file methods (pread, pwrite,
 * pwritev, sync, allocate, truncate, size, mmap, close) and open. Each
 * write, truncate and allocate is applied to the cached image at once and
 * queued as a pending operation; sync applies the queue to the durable
 * image (whose room was reserved at queue time, so sync never allocates).
 * See vfs_sim.c for the call protocol (counting, freezing, faults, trace).
 */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "io/sim_internal.h"

static const wk_file_methods sim_file_methods;

/* ------------------------------------------------------------------ */
/* File data */

/* Applies op to the file's cache and queues it as pending; takes op
 * (freed on error). -ENOSPC past capacity. */
static int
sim_file_push(wk_sim *s, wk__sim_inode *ino, wk__sim_fop *op)
{
    uint64_t old = ino->cached.len;
    uint64_t len = wk__sim_fop_size(op, old);
    if (len > old && s->total_bytes + (len - old) > s->opts.capacity) {
        wk__free(op);
        return -ENOSPC;
    }
    /* Reserve the durable image too, so that sync never allocates. */
    int rc = wk__sim_buf_reserve(&ino->cached, len);
    if (rc == 0)
        rc = wk__sim_buf_reserve(&ino->durable, wk__sim_fop_size(op, 0));
    if (rc != 0) {
        wk__free(op);
        return rc;
    }
    (void)wk__sim_buf_apply(&ino->cached, op); /* reserved: cannot fail */
    s->total_bytes = s->total_bytes - old + len;
    wk__sim_fop_push(ino, op);
    return 0;
}

static wk__sim_fop *
sim_fop_new(int kind, uint64_t off, uint64_t len, size_t data_len)
{
    wk__sim_fop *op = wk__malloc(sizeof *op + data_len);
    if (op == NULL)
        return NULL;
    op->next = NULL;
    op->kind = kind;
    op->off = off;
    op->len = len;
    return op;
}

/* Queues an operation without data (TRUNC, ALLOC) on the file. */
static int
sim_file_push_op(wk_sim *s, wk__sim_inode *ino, int kind, uint64_t off,
                 uint64_t len)
{
    wk__sim_fop *op = sim_fop_new(kind, off, len, 0);
    return op == NULL ? WK_ENOMEM : sim_file_push(s, ino, op);
}

/* Writes the first n bytes of iov at off. */
static int
sim_file_write(wk_sim *s, wk__sim_inode *ino, const struct iovec *iov,
               int iovcnt, uint64_t off, size_t n)
{
    if (n == 0)
        return 0;
    wk__sim_fop *op = sim_fop_new(WK__SIM_WRITE, off, n, n);
    if (op == NULL)
        return WK_ENOMEM;
    size_t done = 0;
    for (int i = 0; i < iovcnt && done < n; i++) {
        size_t l = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;
        if (l > 0)
            memcpy(op->data + done, iov[i].iov_base, l);
        done += l;
    }
    return sim_file_push(s, ino, op);
}

/* Makes the file's pending operations durable. */
static int
sim_file_sync(wk__sim_inode *ino)
{
    uint64_t len = ino->durable.len, max = len;
    for (const wk__sim_fop *op = ino->fops; op != NULL; op = op->next) {
        len = wk__sim_fop_size(op, len);
        if (len > max)
            max = len;
    }
    int rc = wk__sim_buf_reserve(&ino->durable, max);
    if (rc != 0)
        return rc;
    for (const wk__sim_fop *op = ino->fops; op != NULL; op = op->next)
        (void)wk__sim_buf_apply(&ino->durable, op);
    wk__sim_fops_free(ino->fops);
    ino->fops = ino->fops_tail = NULL;
    return 0;
}

/* ------------------------------------------------------------------ */
/* File methods */

/* Locks the handle's sim and counts a call of kind: returns 1 when the
 * call must end at once returning *rc (WK_ECRASHED for a dead handle, or
 * wk__sim_enter failed; the sim is unlocked again), else 0 with the sim
 * locked, *rc 0 and *fault the fault the call must suffer (or 0). */
static int
sim_file_enter(wk__sim_handle *h, int kind, int mutating, int *fault, int *rc)
{
    pthread_mutex_lock(&h->sim->mu);
    if (h->ino == NULL) {
        pthread_mutex_unlock(&h->sim->mu);
        *rc = WK_ECRASHED;
        return 1;
    }
    *rc = wk__sim_enter(h->sim, kind, mutating, fault);
    if (*rc != 0) {
        *rc = wk__sim_leave(h->sim, 0, *rc);
        return 1;
    }
    return 0;
}

static void
sim_handle_unlist(wk_sim *s, wk__sim_handle *h)
{
    if (h->prev != NULL)
        h->prev->next = h->next;
    else
        s->handles = h->next;
    if (h->next != NULL)
        h->next->prev = h->prev;
}

static int
sim_close(wk_file *f)
{
    wk__sim_handle *h = (wk__sim_handle *)f;
    wk_sim *s = h->sim;
    int rc = 0, fault = 0;
    pthread_mutex_lock(&s->mu);
    if (h->ino != NULL) {
        if (wk__sim_enter(s, WK_SIM_OP_CLOSE, 0, &fault) == 0 && fault != 0)
            rc = wk__sim_fault_rc(fault);
        wk__sim_cunref(s, h->ino);
    }
    sim_handle_unlist(s, h);
    wk__free(h->path);
    wk__free(h);
    return wk__sim_leave(s, 0, rc);
}

static int
sim_pread(wk_file *f, void *buf, size_t len, uint64_t off, size_t *nread)
{
    wk__sim_handle *h = (wk__sim_handle *)f;
    wk_sim *s = h->sim;
    int fault, rc;
    if (sim_file_enter(h, WK_SIM_OP_PREAD, 0, &fault, &rc))
        return rc;
    if (fault != 0)
        rc = wk__sim_fault_rc(fault);
    if (rc == 0) {
        const wk__sim_buf *b = &h->ino->cached;
        size_t n = 0;
        if (off < b->len) {
            n = b->len - off < len ? (size_t)(b->len - off) : len;
            memcpy(buf, b->data + off, n);
        }
        *nread = n;
    }
    return wk__sim_leave(s, 0, rc);
}

static int
sim_pwritev(wk_file *f, const struct iovec *iov, int iovcnt, uint64_t off)
{
    wk__sim_handle *h = (wk__sim_handle *)f;
    wk_sim *s = h->sim;
    size_t total = 0;
    int overflow = iovcnt < 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > SIZE_MAX - total)
            overflow = 1;
        else
            total += iov[i].iov_len;
    }
    int fault, rc;
    if (sim_file_enter(h, WK_SIM_OP_PWRITE, 1, &fault, &rc))
        return rc;
    if (overflow)
        rc = -EINVAL;
    else if (!h->writable)
        rc = -EBADF;
    else if (off > WK__SIM_MAX_OFFSET || total > WK__SIM_MAX_OFFSET - off)
        rc = -EFBIG;
    else if (fault == WK_SIM_FAULT_SHORT_WRITE) {
        rc = sim_file_write(s, h->ino, iov, iovcnt, off, total / 2);
        if (rc == 0)
            rc = -ENOSPC;
    } else if (fault != 0)
        rc = wk__sim_fault_rc(fault);
    else
        rc = sim_file_write(s, h->ino, iov, iovcnt, off, total);
    wk__sim_trace(s, rc, "pwrite %s %llu+%llu", h->path,
                  (unsigned long long)off, (unsigned long long)total);
    return wk__sim_leave(s, 1, rc);
}

static int
sim_pwrite(wk_file *f, const void *buf, size_t len, uint64_t off)
{
    struct iovec iov = {(void *)buf, len};
    return sim_pwritev(f, &iov, 1, off);
}

static int
sim_sync(wk_file *f, int flags)
{
    wk__sim_handle *h = (wk__sim_handle *)f;
    wk_sim *s = h->sim;
    int fault, rc;
    if (sim_file_enter(h, WK_SIM_OP_SYNC, 1, &fault, &rc))
        return rc;
    if (flags != WK_SYNC_DATA && flags != WK_SYNC_FULL) {
        rc = -EINVAL;
    } else if (fault != 0) {
        /* Writeback failed: the pages are marked clean anyway. */
        wk__sim_fops_free(h->ino->fops);
        h->ino->fops = h->ino->fops_tail = NULL;
        rc = wk__sim_fault_rc(fault);
    } else {
        rc = sim_file_sync(h->ino);
    }
    wk__sim_trace(s, rc, "%s %s", flags == WK_SYNC_FULL ? "sync" : "datasync",
                  h->path);
    return wk__sim_leave(s, 1, rc);
}

static int
sim_allocate(wk_file *f, uint64_t off, uint64_t len)
{
    wk__sim_handle *h = (wk__sim_handle *)f;
    wk_sim *s = h->sim;
    int fault, rc;
    if (sim_file_enter(h, WK_SIM_OP_ALLOCATE, 1, &fault, &rc))
        return rc;
    if (len == 0)
        rc = -EINVAL;
    else if (!h->writable)
        rc = -EBADF;
    else if (off > WK__SIM_MAX_OFFSET || len > WK__SIM_MAX_OFFSET - off)
        rc = -EFBIG;
    else if (fault != 0)
        rc = wk__sim_fault_rc(fault);
    else
        rc = sim_file_push_op(s, h->ino, WK__SIM_ALLOC, off, len);
    wk__sim_trace(s, rc, "allocate %s %llu+%llu", h->path,
                  (unsigned long long)off, (unsigned long long)len);
    return wk__sim_leave(s, 1, rc);
}

static int
sim_truncate(wk_file *f, uint64_t size)
{
    wk__sim_handle *h = (wk__sim_handle *)f;
    wk_sim *s = h->sim;
    int fault, rc;
    if (sim_file_enter(h, WK_SIM_OP_TRUNCATE, 1, &fault, &rc))
        return rc;
    if (!h->writable)
        rc = -EBADF;
    else if (size > WK__SIM_MAX_OFFSET)
        rc = -EFBIG;
    else if (fault != 0)
        rc = wk__sim_fault_rc(fault);
    else
        rc = sim_file_push_op(s, h->ino, WK__SIM_TRUNC, size, 0);
    wk__sim_trace(s, rc, "truncate %s %llu", h->path, (unsigned long long)size);
    return wk__sim_leave(s, 1, rc);
}

static int
sim_size(wk_file *f, uint64_t *size)
{
    wk__sim_handle *h = (wk__sim_handle *)f;
    wk_sim *s = h->sim;
    int fault, rc;
    if (sim_file_enter(h, WK_SIM_OP_SIZE, 0, &fault, &rc))
        return rc;
    if (fault != 0)
        rc = wk__sim_fault_rc(fault);
    if (rc == 0)
        *size = h->ino->cached.len;
    return wk__sim_leave(s, 0, rc);
}

static int
sim_mmap(wk_file *f, uint64_t off, size_t len, const void **addr)
{
    wk__sim_handle *h = (wk__sim_handle *)f;
    wk_sim *s = h->sim;
    int fault, rc;
    if (sim_file_enter(h, WK_SIM_OP_MMAP, 0, &fault, &rc))
        return rc;
    if (fault != 0)
        rc = wk__sim_fault_rc(fault);
    if (rc == 0 && len == 0)
        rc = -EINVAL;
    if (rc == 0) {
        uint8_t *p = wk__malloc(len);
        if (p == NULL) {
            rc = WK_ENOMEM;
        } else {
            const wk__sim_buf *b = &h->ino->cached;
            size_t n = 0;
            if (off < b->len)
                n = b->len - off < len ? (size_t)(b->len - off) : len;
            if (n > 0)
                memcpy(p, b->data + off, n);
            memset(p + n, 0, len - n);
            *addr = p;
        }
    }
    return wk__sim_leave(s, 0, rc);
}

static int
sim_unmap(wk_file *f, const void *addr, size_t len)
{
    (void)f;
    (void)len;
    wk__free((void *)addr);
    return 0;
}

static const wk_file_methods sim_file_methods = {
    WK_VFS_VERSION, sim_close,    sim_pread, sim_pwrite, sim_pwritev, sim_sync,
    sim_allocate,   sim_truncate, sim_size,  sim_mmap,   sim_unmap,
};
int
wk__sim_open(wk_vfs *vfs, const char *path, int flags, wk_file **out)
{
    wk_sim *s = vfs->ctx;
    wk__sim_path p;
    int mutating = (flags & (WK_O_CREATE | WK_O_TRUNC)) != 0;
    const char *what = "open";
    int fault, rc;
    wk__sim_handle *h = NULL;
    wk__sim_inode *dir = NULL, *ino = NULL;
    const char *leaf = NULL;
    pthread_mutex_lock(&s->mu);
    rc = wk__sim_enter(s, WK_SIM_OP_OPEN, mutating, &fault);
    if (rc != 0)
        return wk__sim_leave(s, 0, rc);
    if (flags & WK_O_CREATE)
        what = "create";
    else if (flags & WK_O_TRUNC)
        what = "truncate";
    if (fault != 0) {
        rc = wk__sim_fault_rc(fault);
        goto done;
    }
    rc = wk__sim_path_norm(path, &p);
    if (rc == 0)
        rc = wk__sim_lookup(s, &p, &dir, &leaf, &ino);
    if (rc != 0)
        goto done;
    if (dir == NULL || (ino != NULL && ino->type == WK__SIM_DIR)) {
        rc = -EISDIR;
        goto done;
    }
    if (ino != NULL && (flags & WK_O_CREATE) && (flags & WK_O_EXCL)) {
        rc = -EEXIST;
        goto done;
    }
    if (ino == NULL && !(flags & WK_O_CREATE)) {
        rc = -ENOENT;
        goto done;
    }
    h = wk__calloc(1, sizeof *h);
    if (h == NULL || (h->path = wk__strdup(path)) == NULL) {
        rc = WK_ENOMEM;
        goto done;
    }
    if (ino == NULL) {
        rc = wk__sim_create_entry(s, dir, leaf, WK__SIM_FILE, &ino);
        if (rc != 0)
            goto done;
    } else if (flags & WK_O_TRUNC) {
        what = "truncate";
        rc = sim_file_push_op(s, ino, WK__SIM_TRUNC, 0, 0);
        if (rc != 0)
            goto done;
    } else {
        what = "open";
    }
    h->base.methods = &sim_file_methods;
    h->sim = s;
    h->ino = ino;
    wk__sim_cref(ino);
    h->writable = (flags & (WK_O_RDWR | WK_O_CREATE)) != 0;
    h->next = s->handles;
    if (s->handles != NULL)
        s->handles->prev = h;
    s->handles = h;
    *out = &h->base;
    h = NULL;
done:
    if (h != NULL) {
        wk__free(h->path);
        wk__free(h);
    }
    if (mutating) {
        if (strcmp(what, "truncate") == 0)
            wk__sim_trace(s, rc, "truncate %s 0", path);
        else
            wk__sim_trace(s, rc, "%s %s", what, path);
    }
    return wk__sim_leave(s, mutating, rc);
}
