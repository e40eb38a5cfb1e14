/* wk_blob operations: objects (put, get, read, delete, stat, list),
 * key/value records and streams (design: blob.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob_internal.h"
#include "common/alloc.h"
#include "common/crc32c.h"

/* ---- committing a record ---------------------------------------------- */

/* Appends r to the command log (buffered) and applies it to the index, both
 * under mu, so LSN order is apply order. A failed append, or an index that
 * cannot take a record already in the log, poisons the handle. */
static int
blob_commit(wk_blob *b, const wk__brec *r, uint64_t *lsn)
{
    uint8_t small[64];
    uint8_t *buf = small;
    size_t cap = sizeof small;
    if (r->type == WK__BREC_KVSET || r->type == WK__BREC_KVDEL) {
        cap = WK__BREC_KV_HDR + (size_t)r->klen + r->vlen;
        buf = wk__malloc(cap);
        if (buf == NULL)
            return WK_ENOMEM;
    }
    size_t n = wk__brec_encode(r, buf, cap);
    int rc = n == 0 ? -EINVAL : 0;
    if (rc == 0)
        rc = wk_log_append(b->log, buf, n, 0, lsn);
    if (buf != small)
        wk__free(buf);
    if (rc != 0) {
        wk__errmsg_set(&b->msg, rc, "append command record: %s",
                       wk_log_errmsg(b->log));
        if (rc != WK_ENOMEM && rc != -EINVAL && rc != -E2BIG)
            wk__blob_poison(b, rc);
        return rc;
    }
    rc = wk__blob_apply(b, r, *lsn);
    if (rc != 0) {
        wk__errmsg_set(&b->msg, rc,
                       "apply command record (LSN %llu); reopen to recover",
                       (unsigned long long)*lsn);
        wk__blob_poison(b, rc);
    }
    return rc;
}

/* Waits for the command log to be durable up to lsn; a failure poisons. */
int
wk__blob_log_sync(wk_blob *b, uint64_t lsn)
{
    int rc = wk_log_sync(b->log, lsn);
    pthread_mutex_lock(&b->mu);
    if (rc != 0) {
        wk__errmsg_set(&b->msg, rc, "sync command log: %s",
                       wk_log_errmsg(b->log));
        wk__blob_poison(b, rc);
    } else if (b->reclaim_pending) {
        b->reclaim_pending = 0;
        rc = wk__blob_reclaim(b);
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

static int
blob_writable(wk_blob *b)
{
    if (b->o.read_only)
        return -EROFS;
    if (b->poisoned)
        return WK_EPOISONED;
    return 0;
}

int
wk_blob_sync(wk_blob *b)
{
    if (b == NULL)
        return -EINVAL;
    if (b->o.read_only)
        return 0;
    return wk__blob_log_sync(b, 0);
}

/* Writes len bytes into chunk space and commits the record made by mk. */
static int
blob_store(wk_blob *b, const void *data, size_t len, wk__brec *r, int flags,
           uint64_t *lsn_out, uint64_t *soff_out)
{
    int rc;
    uint64_t lsn = 0, off = 0;
    blob_chunk *c = NULL;
    uint32_t crc = len > 0 ? wk__crc32c(0, data, len) : 0;

    pthread_mutex_lock(&b->mu);
    rc = blob_writable(b);
    if (rc == 0 && len > 0)
        rc = wk__blob_reserve(b, len, &c, &off);
    pthread_mutex_unlock(&b->mu);
    if (rc != 0)
        return rc;
    if (c != NULL) {
        /* Object bytes durable before the record exists. */
        rc = wk__blob_write_sync(b, c, data, len, off);
    }
    pthread_mutex_lock(&b->mu);
    if (rc == 0) {
        r->chunk = c != NULL ? c->num : 0;
        r->off = off;
        r->len = len;
        r->crc = crc;
        if (r->type == WK__BREC_SAPPEND) {
            blob_stream *s = wk__blob_stream_find(b, r->stream);
            r->soff = s != NULL ? s->size : 0;
        }
        rc = b->poisoned ? WK_EPOISONED : blob_commit(b, r, &lsn);
        if (rc == 0)
            b->puts++;
    }
    if (c != NULL)
        wk__blob_chunk_unref(b, c);
    pthread_mutex_unlock(&b->mu);
    if (rc == 0 && (flags & WK_SYNC))
        rc = wk__blob_log_sync(b, lsn);
    if (rc == 0) {
        *lsn_out = lsn;
        if (soff_out != NULL)
            *soff_out = r->soff;
    }
    return rc;
}

/* ---- objects ----------------------------------------------------------- */

int
wk_blob_put(wk_blob *b, const void *data, size_t len, uint64_t tag, int flags,
            uint64_t *id)
{
    if (b == NULL || (data == NULL && len > 0) || (flags & ~WK_SYNC))
        return -EINVAL;
    if ((uint64_t)len > b->o.max_object_bytes)
        return wk__errmsg_set(&b->msg, -E2BIG,
                              "object of %zu bytes (max_object_bytes %llu)",
                              len, (unsigned long long)b->o.max_object_bytes);
    wk__brec r = {.type = WK__BREC_PUT, .tag = tag};
    uint64_t lsn = 0;
    int rc = blob_store(b, data, len, &r, flags, &lsn, NULL);
    if (rc == 0 && id != NULL)
        *id = lsn;
    return rc;
}

/* Looks up live object id and pins its chunk (mu held). */
static int
obj_pin(wk_blob *b, uint64_t id, blob_obj *copy, blob_chunk **cp)
{
    blob_obj *o = wk__blob_obj_find(b, id);
    if (o == NULL || o->deleted)
        return wk__errmsg_set(&b->msg, WK_ENOTFOUND, "object %llu",
                              (unsigned long long)id);
    *copy = *o;
    *cp = NULL;
    if (o->len == 0)
        return 0;
    blob_chunk *c = wk__blob_chunk_find(b, o->chunk);
    if (c == NULL)
        return wk__errmsg_set(&b->msg, WK_ECORRUPT,
                              "object %llu: chunk %u is missing",
                              (unsigned long long)id, o->chunk);
    c->refs++;
    *cp = c;
    return 0;
}

static void
obj_mark_verified(wk_blob *b, uint64_t id)
{
    blob_obj *o = wk__blob_obj_find(b, id);
    if (o != NULL)
        o->verified = 1;
}

int
wk_blob_get(wk_blob *b, uint64_t id, wk_blob_view *view)
{
    if (b == NULL || view == NULL)
        return -EINVAL;
    blob_obj o = {0};
    blob_chunk *c = NULL;
    const uint8_t *data = NULL;
    uint8_t *own = NULL;
    static const uint8_t empty[1];

    pthread_mutex_lock(&b->mu);
    int rc = obj_pin(b, id, &o, &c);
    if (rc == 0 && c != NULL && wk__blob_chunk_sealed(b, c)) {
        if (c->map == NULL) {
            const void *m = NULL;
            if (wk_file_mmap(c->f, 0, (size_t)c->size, &m) == 0)
                c->map = m; /* else: copy below */
        }
        if (c->map != NULL) {
            if (o.off > c->size || o.len > c->size - o.off)
                rc = wk__errmsg_set(&b->msg, WK_ECORRUPT,
                                    "object %llu lies outside chunk %u",
                                    (unsigned long long)id, c->num);
            else
                data = (const uint8_t *)c->map + o.off;
        }
    }
    pthread_mutex_unlock(&b->mu);
    if (rc != 0)
        goto fail;
    if (o.len == 0) {
        data = empty;
    } else if (data == NULL) {
        if (o.len > SIZE_MAX || (own = wk__malloc((size_t)o.len)) == NULL) {
            rc = WK_ENOMEM;
            goto fail;
        }
        rc = wk__blob_chunk_read(b, c, o.off, own, (size_t)o.len);
        if (rc != 0)
            goto fail;
        data = own;
    }
    if (o.len > 0 && wk__crc32c(0, data, (size_t)o.len) != o.crc) {
        rc = wk__errmsg_set(&b->msg, WK_ECORRUPT,
                            "object %llu: CRC mismatch in chunk-%08u.blob at "
                            "%llu+%llu",
                            (unsigned long long)id, o.chunk,
                            (unsigned long long)o.off,
                            (unsigned long long)o.len);
        goto fail;
    }
    pthread_mutex_lock(&b->mu);
    obj_mark_verified(b, id);
    pthread_mutex_unlock(&b->mu);
    view->data = data;
    view->len = (size_t)o.len;
    view->id = id;
    view->tag = o.tag;
    view->priv[0] = c;
    view->priv[1] = own;
    view->priv[2] = b;
    return 0;
fail:
    wk__free(own);
    if (c != NULL) {
        pthread_mutex_lock(&b->mu);
        wk__blob_chunk_unref(b, c);
        pthread_mutex_unlock(&b->mu);
    }
    return rc;
}

void
wk_blob_view_release(wk_blob *b, wk_blob_view *view)
{
    if (b == NULL || view == NULL || view->priv[2] != b)
        return;
    blob_chunk *c = view->priv[0];
    wk__free(view->priv[1]);
    if (c != NULL) {
        pthread_mutex_lock(&b->mu);
        wk__blob_chunk_unref(b, c);
        pthread_mutex_unlock(&b->mu);
    }
    memset(view, 0, sizeof *view);
}

int
wk_blob_read(wk_blob *b, uint64_t id, uint64_t off, void *buf, size_t len)
{
    if (b == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    blob_obj o = {0};
    blob_chunk *c = NULL;
    pthread_mutex_lock(&b->mu);
    int rc = obj_pin(b, id, &o, &c);
    pthread_mutex_unlock(&b->mu);
    if (rc != 0)
        return rc;
    if (off > o.len || len > o.len - off) {
        rc = -EINVAL;
    } else if (len == 0) {
        rc = 0;
    } else if (!o.verified) {
        wk_blob_view v;
        rc = wk_blob_get(b, id, &v);
        if (rc == 0) {
            memcpy(buf, (const uint8_t *)v.data + off, len);
            wk_blob_view_release(b, &v);
        }
    } else {
        rc = wk__blob_chunk_read(b, c, o.off + off, buf, len);
    }
    if (c != NULL) {
        pthread_mutex_lock(&b->mu);
        wk__blob_chunk_unref(b, c);
        pthread_mutex_unlock(&b->mu);
    }
    return rc;
}

int
wk_blob_delete(wk_blob *b, uint64_t id, int flags)
{
    if (b == NULL || (flags & ~WK_SYNC))
        return -EINVAL;
    uint64_t lsn = 0;
    pthread_mutex_lock(&b->mu);
    int rc = blob_writable(b);
    if (rc == 0) {
        blob_obj *o = wk__blob_obj_find(b, id);
        if (o == NULL || o->deleted)
            rc = wk__errmsg_set(&b->msg, WK_ENOTFOUND, "delete object %llu",
                                (unsigned long long)id);
    }
    if (rc == 0) {
        wk__brec r = {.type = WK__BREC_DEL, .id = id};
        rc = blob_commit(b, &r, &lsn);
        if (rc == 0)
            b->reclaim_pending = 1;
    }
    pthread_mutex_unlock(&b->mu);
    if (rc == 0 && (flags & WK_SYNC))
        rc = wk__blob_log_sync(b, lsn);
    return rc;
}

static void
obj_info(const blob_obj *o, wk_blob_info *info)
{
    info->id = o->id;
    info->len = o->len;
    info->tag = o->tag;
    info->crc = o->crc;
    info->chunk = o->chunk;
    info->offset = o->off;
}

int
wk_blob_stat(wk_blob *b, uint64_t id, wk_blob_info *info)
{
    if (b == NULL || info == NULL)
        return -EINVAL;
    pthread_mutex_lock(&b->mu);
    blob_obj *o = wk__blob_obj_find(b, id);
    int rc = 0;
    if (o == NULL || o->deleted)
        rc = WK_ENOTFOUND;
    else
        obj_info(o, info);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

#define LIST_BATCH 256

int
wk_blob_list(wk_blob *b, uint64_t tag,
             int (*fn)(void *arg, const wk_blob_info *info), void *arg)
{
    if (b == NULL || fn == NULL)
        return -EINVAL;
    wk_blob_info *batch = wk__malloc(LIST_BATCH * sizeof *batch);
    if (batch == NULL)
        return WK_ENOMEM;
    uint64_t next = 0; /* list ids >= next */
    int rc = 0;
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&b->mu);
        size_t lo = 0, hi = b->nobj;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (b->objs[mid].id < next)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i < b->nobj && n < LIST_BATCH; i++) {
            const blob_obj *o = &b->objs[i];
            next = o->id + 1;
            if (o->deleted || (tag != 0 && o->tag != tag))
                continue;
            obj_info(o, &batch[n++]);
        }
        int more = lo < b->nobj && b->objs[b->nobj - 1].id >= next;
        pthread_mutex_unlock(&b->mu);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = fn(arg, &batch[i]);
        if (rc != 0 || !more)
            break;
    }
    wk__free(batch);
    return rc;
}

/* ---- key/value --------------------------------------------------------- */

static int
kv_args(wk_blob *b, const void *key, size_t klen)
{
    if (b == NULL || key == NULL || klen == 0)
        return -EINVAL;
    if (klen > WK_BLOB_MAX_KEY)
        return -E2BIG;
    return 0;
}

int
wk_blob_kv_set(wk_blob *b, const void *key, size_t klen, const void *val,
               size_t vlen, int flags)
{
    int rc = kv_args(b, key, klen);
    if (rc != 0)
        return rc;
    if ((val == NULL && vlen > 0) || (flags & ~WK_SYNC))
        return -EINVAL;
    if (vlen > WK_BLOB_MAX_VALUE)
        return -E2BIG;
    uint64_t lsn = 0;
    wk__brec r = {.type = WK__BREC_KVSET,
                  .key = key,
                  .klen = (uint32_t)klen,
                  .val = val,
                  .vlen = (uint32_t)vlen};
    pthread_mutex_lock(&b->mu);
    rc = blob_writable(b);
    if (rc == 0)
        rc = blob_commit(b, &r, &lsn);
    pthread_mutex_unlock(&b->mu);
    if (rc == 0 && (flags & WK_SYNC))
        rc = wk__blob_log_sync(b, lsn);
    return rc;
}

int
wk_blob_kv_get(wk_blob *b, const void *key, size_t klen, void *buf, size_t cap,
               size_t *len)
{
    int rc = kv_args(b, key, klen);
    if (rc != 0)
        return rc;
    if (len == NULL || (buf == NULL && cap > 0))
        return -EINVAL;
    pthread_mutex_lock(&b->mu);
    blob_kv *e = wk__blob_kv_find(b, key, klen);
    if (e == NULL) {
        rc = WK_ENOTFOUND;
    } else {
        if (cap > 0)
            memcpy(buf, e->data + e->klen, cap < e->vlen ? cap : e->vlen);
        *len = e->vlen;
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

int
wk_blob_kv_del(wk_blob *b, const void *key, size_t klen, int flags)
{
    int rc = kv_args(b, key, klen);
    if (rc != 0)
        return rc;
    if (flags & ~WK_SYNC)
        return -EINVAL;
    uint64_t lsn = 0;
    wk__brec r = {.type = WK__BREC_KVDEL, .key = key, .klen = (uint32_t)klen};
    pthread_mutex_lock(&b->mu);
    rc = blob_writable(b);
    if (rc == 0 && wk__blob_kv_find(b, key, klen) == NULL)
        rc = WK_ENOTFOUND;
    if (rc == 0)
        rc = blob_commit(b, &r, &lsn);
    pthread_mutex_unlock(&b->mu);
    if (rc == 0 && (flags & WK_SYNC))
        rc = wk__blob_log_sync(b, lsn);
    return rc;
}

/* ---- streams ------------------------------------------------------------ */

int
wk_blob_stream_append(wk_blob *b, uint64_t stream_id, const void *data,
                      size_t len, int flags, uint64_t *offset)
{
    if (b == NULL || data == NULL || len == 0 || (flags & ~WK_SYNC))
        return -EINVAL;
    if ((uint64_t)len > b->o.max_object_bytes)
        return -E2BIG;
    wk__brec r = {.type = WK__BREC_SAPPEND, .stream = stream_id};
    uint64_t lsn = 0, soff = 0;
    int rc = blob_store(b, data, len, &r, flags, &lsn, &soff);
    if (rc == 0 && offset != NULL)
        *offset = soff;
    return rc;
}

int
wk_blob_stream_size(wk_blob *b, uint64_t stream_id, uint64_t *size)
{
    if (b == NULL || size == NULL)
        return -EINVAL;
    pthread_mutex_lock(&b->mu);
    blob_stream *s = wk__blob_stream_find(b, stream_id);
    int rc = s == NULL ? WK_ENOTFOUND : 0;
    if (s != NULL)
        *size = s->size;
    pthread_mutex_unlock(&b->mu);
    return rc;
}

/* Index of the extent holding stream offset off (s->ext sorted by soff). */
static size_t
ext_find(const blob_stream *s, uint64_t off)
{
    size_t lo = 0, hi = s->next;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ext[mid].soff <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Copies part of extent e (index i of stream s) into out, checking the
 * whole extent's CRC the first time. mu held on entry and exit. */
static int
ext_copy(wk_blob *b, blob_stream *s, size_t i, uint64_t from, uint8_t *out,
         size_t n)
{
    blob_ext e = s->ext[i];
    blob_chunk *c = wk__blob_chunk_find(b, e.chunk);
    if (c == NULL)
        return wk__errmsg_set(&b->msg, WK_ECORRUPT,
                              "stream %llu: chunk %u is missing",
                              (unsigned long long)s->id, e.chunk);
    c->refs++;
    pthread_mutex_unlock(&b->mu);
    int rc = 0;
    if (!e.verified) {
        uint8_t *tmp = e.len <= SIZE_MAX ? wk__malloc((size_t)e.len) : NULL;
        if (tmp == NULL) {
            rc = WK_ENOMEM;
        } else {
            rc = wk__blob_chunk_read(b, c, e.off, tmp, (size_t)e.len);
            if (rc == 0 && wk__crc32c(0, tmp, (size_t)e.len) != e.crc)
                rc = wk__errmsg_set(&b->msg, WK_ECORRUPT,
                                    "stream %llu: CRC mismatch in "
                                    "chunk-%08u.blob at %llu+%llu",
                                    (unsigned long long)s->id, e.chunk,
                                    (unsigned long long)e.off,
                                    (unsigned long long)e.len);
            if (rc == 0)
                memcpy(out, tmp + from, n);
            wk__free(tmp);
        }
    } else {
        rc = wk__blob_chunk_read(b, c, e.off + from, out, n);
    }
    pthread_mutex_lock(&b->mu);
    if (rc == 0 && !e.verified)
        s->ext[i].verified = 1;
    wk__blob_chunk_unref(b, c);
    return rc;
}

int
wk_blob_stream_read(wk_blob *b, uint64_t stream_id, uint64_t off, void *buf,
                    size_t len, size_t *got)
{
    if (b == NULL || got == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    size_t done = 0;
    int rc = 0;
    pthread_mutex_lock(&b->mu);
    blob_stream *s = wk__blob_stream_find(b, stream_id);
    if (s == NULL)
        rc = WK_ENOTFOUND;
    while (rc == 0 && done < len && off < s->size) {
        size_t i = ext_find(s, off);
        const blob_ext *e = &s->ext[i];
        uint64_t from = off - e->soff;
        uint64_t n = e->len - from;
        if (n > len - done)
            n = len - done;
        rc = ext_copy(b, s, i, from, (uint8_t *)buf + done, (size_t)n);
        done += (size_t)n;
        off += n;
    }
    pthread_mutex_unlock(&b->mu);
    if (rc == 0)
        *got = done;
    return rc;
}

/* ---- relocation (wk_blob_compact) ------------------------------------- */

/* Moves live object id out of chunk from into the current chunk: read and
 * check its bytes, write them at a new place and sync the chunk (as a
 * put), then commit a MOVE record if the object is still where it was.
 * A corrupt object is left in place (verify reports it). mu NOT held. */
static int
blob_move_one(wk_blob *b, uint64_t id, uint32_t from)
{
    blob_obj cp;
    blob_chunk *old = NULL, *c = NULL;
    uint8_t *buf = NULL;
    uint64_t off = 0, lsn = 0;
    int rc = 0;

    pthread_mutex_lock(&b->mu);
    blob_obj *o = wk__blob_obj_find(b, id);
    if (o != NULL && !o->deleted && o->chunk == from && o->len > 0)
        old = wk__blob_chunk_find(b, from);
    if (old != NULL) {
        cp = *o;
        old->refs++;
    }
    pthread_mutex_unlock(&b->mu);
    if (old == NULL)
        return 0;
    if (cp.len > SIZE_MAX || (buf = wk__malloc((size_t)cp.len)) == NULL) {
        rc = WK_ENOMEM;
        goto out;
    }
    rc = wk__blob_chunk_read(b, old, cp.off, buf, (size_t)cp.len);
    if (rc != 0 || wk__crc32c(0, buf, (size_t)cp.len) != cp.crc)
        goto out; /* corrupt: stays where it is */
    pthread_mutex_lock(&b->mu);
    rc = blob_writable(b);
    if (rc == 0)
        rc = wk__blob_reserve(b, cp.len, &c, &off);
    pthread_mutex_unlock(&b->mu);
    if (rc != 0)
        goto out;
    rc = wk__blob_write_sync(b, c, buf, (size_t)cp.len, off);
    pthread_mutex_lock(&b->mu);
    o = wk__blob_obj_find(b, id);
    if (rc == 0 && o != NULL && !o->deleted && o->chunk == from &&
        o->off == cp.off) {
        wk__brec r = {
            .type = WK__BREC_MOVE, .id = id, .chunk = c->num, .off = off};
        rc = b->poisoned ? WK_EPOISONED : blob_commit(b, &r, &lsn);
        if (rc == 0)
            b->relocated++;
    }
    wk__blob_chunk_unref(b, c);
    pthread_mutex_unlock(&b->mu);
out:
    wk__free(buf);
    pthread_mutex_lock(&b->mu);
    wk__blob_chunk_unref(b, old);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

static int
blob_num_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

#define MOVE_BATCH 256

int
wk__blob_relocate(wk_blob *b)
{
    if (b->o.compact_live_pct == 0)
        return 0;
    uint32_t *nums = NULL;
    size_t nn = 0;
    int rc = 0;
    pthread_mutex_lock(&b->mu);
    nums = wk__malloc((b->nchunks + 1) * sizeof *nums);
    for (size_t i = 0; nums != NULL && i < b->nchunks; i++) {
        blob_chunk *c = b->chunks[i];
        uint64_t room = c->size > BLOB_CHUNK_HDR ? c->size - BLOB_CHUNK_HDR : 0;
        /* Both sides below 2^47: no overflow. */
        if (wk__blob_chunk_sealed(b, c) && c->nstream == 0 && c->live > 0 &&
            c->live_bytes * 100 < room * b->o.compact_live_pct)
            nums[nn++] = c->num;
    }
    pthread_mutex_unlock(&b->mu);
    if (nums == NULL)
        return WK_ENOMEM;
    /* nums is sorted: b->chunks is. */
    uint64_t next = 0;
    struct {
        uint64_t id;
        uint32_t chunk;
    } batch[MOVE_BATCH];
    while (rc == 0 && nn > 0) {
        size_t n = 0;
        pthread_mutex_lock(&b->mu);
        const blob_obj *end = b->objs + b->nobj;
        size_t lo = 0, hi = b->nobj; /* first id >= next */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (b->objs[mid].id < next)
                lo = mid + 1;
            else
                hi = mid;
        }
        const blob_obj *o = b->objs + lo;
        for (; o < end && n < MOVE_BATCH; o++) {
            next = o->id + 1;
            if (o->deleted || o->len == 0 ||
                bsearch(&o->chunk, nums, nn, sizeof *nums, blob_num_cmp) ==
                    NULL)
                continue;
            batch[n].id = o->id;
            batch[n].chunk = o->chunk;
            n++;
        }
        int more = o < end;
        pthread_mutex_unlock(&b->mu);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = blob_move_one(b, batch[i].id, batch[i].chunk);
        if (!more)
            break;
    }
    wk__free(nums);
    return rc;
}
