/* wk_blob chunk files: naming, header, scan at open, creation, space
 * reservation and rotation, the group sync of object bytes, reads, and
 * removal of chunks that hold nothing live (design: blob.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "blob/blob_internal.h"
#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"

int
wk__blob_chunk_name(char *buf, size_t cap, uint32_t num)
{
    int n = snprintf(buf, cap, "chunk-%08u.blob", num);
    return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

int
wk__blob_chunk_parse_name(const char *name, uint32_t *num)
{
    /* "chunk-" 8+ digits ".blob" */
    if (strncmp(name, "chunk-", 6) != 0)
        return -1;
    const char *p = name + 6;
    uint64_t v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT32_MAX)
            return -1;
        p++;
        digits++;
    }
    if (digits < 8 || strcmp(p, ".blob") != 0 || v == 0)
        return -1;
    *num = (uint32_t)v;
    return 0;
}

static char *
chunk_path(wk_blob *b, uint32_t num)
{
    char name[32];
    if (wk__blob_chunk_name(name, sizeof name, num) != 0)
        return NULL;
    return wk__path_join(b->dir, name);
}

static void
chunk_put_header(uint8_t *h, uint32_t num, uint64_t size, uint64_t store_id)
{
    memset(h, 0, BLOB_CHUNK_HDR);
    memcpy(h, "WKBLOBCH", 8);
    wk__put32(h + 8, BLOB_VERSION);
    wk__put32(h + 12, num);
    wk__put64(h + 16, size);
    wk__put64(h + 24, store_id);
    wk__put32(h + 32, wk__crc32c(0, h, 32));
}

int
wk__blob_poison(wk_blob *b, int rc)
{
    if (b->poisoned == 0)
        b->poisoned = rc;
    pthread_cond_broadcast(&b->cv);
    return rc;
}

void
wk__blob_chunk_free(wk_blob *b, blob_chunk *c)
{
    if (c == NULL)
        return;
    if (c->map != NULL)
        (void)wk_file_unmap(c->f, c->map, (size_t)c->size);
    if (c->f != NULL)
        (void)wk_file_close(c->f);
    (void)b;
    wk__free(c);
}

/* ---- scan at open ------------------------------------------------------- */

typedef struct scan_ctx {
    wk_blob *b;
    uint32_t *nums;
    size_t n, cap;
    int rc;
} scan_ctx;

static int
scan_one(void *arg, const char *name)
{
    scan_ctx *s = arg;
    uint32_t num;
    if (wk__blob_chunk_parse_name(name, &num) != 0)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        uint32_t *n = wk__realloc(s->nums, cap * sizeof *n);
        if (n == NULL) {
            s->rc = WK_ENOMEM;
            return 1;
        }
        s->nums = n;
        s->cap = cap;
    }
    s->nums[s->n++] = num;
    return 0;
}

/* Opens chunk num and checks its header. Blank files (creation cut short:
 * no record can name them) are removed (read-write) or skipped. */
static int
scan_open(wk_blob *b, uint32_t num)
{
    int rc;
    uint8_t h[BLOB_CHUNK_HDR_USED];
    uint64_t fsize = 0;
    size_t got = 0;
    wk_file *f = NULL;
    blob_chunk *c = NULL;
    char name[32];
    char *path = chunk_path(b, num);
    if (path == NULL)
        return WK_ENOMEM;
    (void)wk__blob_chunk_name(name, sizeof name, num);
    rc = b->vfs->open(b->vfs, path, b->o.read_only ? WK_O_RDONLY : WK_O_RDWR,
                      &f);
    if (rc != 0) {
        rc = wk__errmsg_set(&b->msg, rc, "open chunk '%s'", name);
        goto out;
    }
    rc = wk_file_size(f, &fsize);
    if (rc == 0)
        rc = wk_file_pread(f, h, sizeof h, 0, &got);
    if (rc != 0) {
        rc = wk__errmsg_set(&b->msg, rc, "read chunk header '%s'", name);
        goto out_close;
    }
    int blank = 1;
    for (size_t i = 0; i < got; i++)
        if (h[i] != 0)
            blank = 0;
    if (blank || fsize < BLOB_CHUNK_HDR) {
        if (!blank)
            goto bad;
        wk_file_close(f);
        f = NULL;
        if (!b->o.read_only) {
            rc = b->vfs->unlink(b->vfs, path);
            if (rc == 0)
                rc = b->vfs->sync_dir(b->vfs, b->dir);
            if (rc != 0) {
                rc = wk__errmsg_set(&b->msg, rc, "remove blank chunk '%s'",
                                    name);
                goto out;
            }
        }
        if (b->rep != NULL)
            b->rep->chunks_removed++;
        goto out;
    }
    if (memcmp(h, "WKBLOBCH", 8) != 0 ||
        wk__get32(h + 32) != wk__crc32c(0, h, 32))
        goto bad;
    if (wk__get32(h + 8) != BLOB_VERSION) {
        rc = wk__errmsg_set(&b->msg, WK_EFORMAT,
                            "chunk '%s': format version %u (expected %u)", name,
                            wk__get32(h + 8), BLOB_VERSION);
        goto out_close;
    }
    if (wk__get32(h + 12) != num || wk__get64(h + 24) != b->store_id)
        goto bad;
    c = wk__calloc(1, sizeof *c);
    if (c == NULL) {
        rc = WK_ENOMEM;
        goto out_close;
    }
    c->num = num;
    c->f = f;
    c->size = wk__get64(h + 16);
    if (c->size > fsize)
        c->size = fsize; /* bounded by what exists: never map past EOF */
    c->ref_end = BLOB_CHUNK_HDR;
    c->rotated = 1;
    rc = wk__blob_chunk_insert(b, c);
    if (rc != 0) {
        wk__free(c);
        goto out_close;
    }
    if (num >= b->next_chunk)
        b->next_chunk = num + 1;
    goto out;
bad:
    rc = wk__errmsg_set(&b->msg, WK_ECORRUPT,
                        "chunk '%s': invalid header (magic, CRC, number or "
                        "store id)",
                        name);
out_close:
    wk_file_close(f);
out:
    wk__free(path);
    return rc;
}

int
wk__blob_chunks_scan(wk_blob *b)
{
    scan_ctx s = {.b = b};
    int rc = b->vfs->list(b->vfs, b->dir, scan_one, &s);
    if (rc == 1 && s.rc != 0)
        rc = s.rc;
    if (rc != 0) {
        rc = wk__errmsg_set(&b->msg, rc, "list '%s'", b->dir);
        goto out;
    }
    for (size_t i = 0; i < s.n && rc == 0; i++)
        rc = scan_open(b, s.nums[i]);
out:
    wk__free(s.nums);
    return rc;
}

/* ---- creation and reservation ------------------------------------------ */

/* Creates chunk num: a preallocated file whose name is durable (file and
 * directory fsynced by wk_vfs_create_prealloc) and its header written. The
 * header becomes durable with the first chunk sync, which precedes any
 * record naming the chunk. mu NOT held. */
int
wk__blob_chunk_create(wk_blob *b, uint32_t num, blob_chunk **out)
{
    int rc;
    wk_file *f = NULL;
    uint8_t *h = NULL;
    char *path = chunk_path(b, num);
    blob_chunk *c = wk__calloc(1, sizeof *c);
    if (path == NULL || c == NULL) {
        rc = WK_ENOMEM;
        goto out_free;
    }
    h = wk__malloc(BLOB_CHUNK_HDR);
    if (h == NULL) {
        rc = WK_ENOMEM;
        goto out_free;
    }
    rc = wk_vfs_create_prealloc(b->vfs, path, b->o.chunk_bytes, 0, &f);
    if (rc != 0) {
        rc = wk__errmsg_set(&b->msg, rc, "create chunk '%s'", path);
        goto out_free;
    }
    chunk_put_header(h, num, b->o.chunk_bytes, b->store_id);
    rc = wk_file_pwrite(f, h, BLOB_CHUNK_HDR, 0);
    if (rc != 0) {
        rc = wk__errmsg_set(&b->msg, rc, "write chunk header '%s'", path);
        wk_file_close(f);
        goto out_free;
    }
    c->num = num;
    c->f = f;
    c->size = b->o.chunk_bytes;
    c->ref_end = BLOB_CHUNK_HDR;
    c->wtail = BLOB_CHUNK_HDR;
    *out = c;
    c = NULL;
out_free:
    wk__free(h);
    wk__free(c);
    wk__free(path);
    return rc;
}

int
wk__blob_reserve(wk_blob *b, uint64_t len, blob_chunk **cp, uint64_t *off)
{
    for (;;) {
        if (b->poisoned)
            return WK_EPOISONED;
        blob_chunk *c = b->cur;
        if (c != NULL && c->wtail <= c->size && len <= c->size - c->wtail) {
            *off = c->wtail;
            c->wtail += len;
            c->refs++;
            c->inflight++;
            *cp = c;
            return 0;
        }
        if (b->rotating) {
            pthread_cond_wait(&b->cv, &b->mu);
            continue;
        }
        b->rotating = 1;
        uint32_t num = b->next_chunk;
        if (num == UINT32_MAX) {
            b->rotating = 0;
            return wk__errmsg_set(&b->msg, WK_EFULL, "chunk numbers used up");
        }
        b->next_chunk++;
        blob_chunk *nc = NULL;
        pthread_mutex_unlock(&b->mu);
        int rc = wk__blob_chunk_create(b, num, &nc);
        pthread_mutex_lock(&b->mu);
        b->rotating = 0;
        pthread_cond_broadcast(&b->cv);
        if (rc == 0 && (rc = wk__blob_chunk_insert(b, nc)) != 0) {
            /* The file stays: blank-ish and unreferenced, removed at the
             * next open. */
            wk__blob_chunk_free(b, nc);
        }
        if (rc != 0)
            return rc;
        blob_chunk *old = b->cur;
        b->cur = nc;
        if (old != NULL) {
            old->rotated = 1;
            old->refs++;
            wk__blob_chunk_unref(b, old); /* removes it if reclaimable */
        }
    }
}

int
wk__blob_write_sync(wk_blob *b, blob_chunk *c, const void *data, size_t len,
                    uint64_t off)
{
    char name[32];
    int rc = wk_file_pwrite(c->f, data, len, off);
    pthread_mutex_lock(&b->mu);
    if (rc != 0) {
        (void)wk__blob_chunk_name(name, sizeof name, c->num);
        wk__errmsg_set(&b->msg, rc, "write %zu bytes at %llu to '%s'", len,
                       (unsigned long long)off, name);
        wk__blob_poison(b, rc);
        goto out;
    }
    uint64_t gen = ++c->done_gen;
    while (c->synced_gen < gen) {
        if (b->poisoned) {
            rc = WK_EPOISONED;
            break;
        }
        if (c->syncing) {
            pthread_cond_wait(&b->cv, &b->mu);
            continue;
        }
        c->syncing = 1;
        uint64_t target = c->done_gen;
        pthread_mutex_unlock(&b->mu);
        rc = wk_file_sync(c->f, WK_SYNC_DATA);
        pthread_mutex_lock(&b->mu);
        c->syncing = 0;
        b->chunk_syncs++;
        if (rc != 0) {
            (void)wk__blob_chunk_name(name, sizeof name, c->num);
            wk__errmsg_set(&b->msg, rc, "fdatasync chunk '%s'", name);
            wk__blob_poison(b, rc);
            break;
        }
        c->synced_gen = target;
        pthread_cond_broadcast(&b->cv);
    }
out:
    c->inflight--;
    pthread_mutex_unlock(&b->mu);
    return rc;
}

int
wk__blob_chunk_sealed(wk_blob *b, const blob_chunk *c)
{
    return c != b->cur && c->rotated && c->inflight == 0;
}

int
wk__blob_chunk_read(wk_blob *b, blob_chunk *c, uint64_t off, void *buf,
                    size_t len)
{
    char name[32];
    if (off > c->size || len > c->size - off) {
        (void)wk__blob_chunk_name(name, sizeof name, c->num);
        return wk__errmsg_set(&b->msg, WK_ECORRUPT,
                              "extent %llu+%zu outside chunk '%s' (%llu "
                              "bytes)",
                              (unsigned long long)off, len, name,
                              (unsigned long long)c->size);
    }
    int rc = wk_file_pread_full(c->f, buf, len, off);
    if (rc != 0) {
        (void)wk__blob_chunk_name(name, sizeof name, c->num);
        if (rc == -ENODATA)
            rc = WK_ECORRUPT;
        return wk__errmsg_set(&b->msg, rc, "read %zu bytes at %llu of '%s'",
                              len, (unsigned long long)off, name);
    }
    return 0;
}

/* ---- removal ------------------------------------------------------------ */

static int
chunk_reclaimable(wk_blob *b, const blob_chunk *c, uint64_t durable)
{
    return c != b->cur && c->rotated && c->live == 0 && c->refs == 0 &&
           c->inflight == 0 && c->del_lsn <= durable && !b->o.read_only &&
           !b->poisoned;
}

/* Removes c (taken out of the index under mu; mu dropped for the I/O):
 * unmap, close, unlink, directory fsync. A failed directory fsync poisons
 * the handle. */
static int
chunk_remove(wk_blob *b, blob_chunk *c)
{
    char name[32];
    wk__blob_chunk_remove(b, c);
    (void)wk__blob_chunk_name(name, sizeof name, c->num);
    char *path = chunk_path(b, c->num);
    pthread_mutex_unlock(&b->mu);
    int rc = path == NULL ? WK_ENOMEM : 0;
    if (c->map != NULL)
        (void)wk_file_unmap(c->f, c->map, (size_t)c->size);
    c->map = NULL;
    (void)wk_file_close(c->f);
    c->f = NULL;
    if (rc == 0) {
        rc = b->vfs->unlink(b->vfs, path);
        if (rc == -ENOENT)
            rc = 0;
        if (rc == 0) {
            rc = b->vfs->sync_dir(b->vfs, b->dir);
            if (rc != 0) {
                pthread_mutex_lock(&b->mu);
                wk__blob_poison(b, rc);
                pthread_mutex_unlock(&b->mu);
            }
        }
    }
    wk__free(path);
    wk__free(c);
    pthread_mutex_lock(&b->mu);
    if (rc != 0)
        return wk__errmsg_set(&b->msg, rc, "remove chunk '%s'", name);
    b->chunks_removed++;
    if (b->rep != NULL)
        b->rep->chunks_removed++;
    return 0;
}

int
wk__blob_reclaim(wk_blob *b)
{
    if (b->o.read_only || b->log == NULL)
        return 0;
    int rc = 0;
    uint64_t durable = wk_log_durable_lsn(b->log);
    for (size_t i = 0; i < b->nchunks;) {
        blob_chunk *c = b->chunks[i];
        if (!chunk_reclaimable(b, c, durable)) {
            i++;
            continue;
        }
        int r = chunk_remove(b, c);
        if (r != 0 && rc == 0)
            rc = r;
        if (r != 0)
            break;
        i = 0; /* the array may have changed while unlocked */
    }
    return rc;
}

void
wk__blob_chunk_unref(wk_blob *b, blob_chunk *c)
{
    c->refs--;
    if (c->refs == 0 && c->live == 0 && b->log != NULL &&
        chunk_reclaimable(b, c, wk_log_durable_lsn(b->log)))
        (void)chunk_remove(b, c);
}
