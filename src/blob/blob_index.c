/* wk_blob in-memory index: objects (array sorted by id, deletions as
 * tombstones compacted when they dominate), key/value records (chained
 * hash table), streams (array sorted by id, each an array of extents) and
 * chunks (array sorted by number). All under wk_blob.mu. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "blob/blob_internal.h"
#include "common/alloc.h"

uint64_t
wk__blob_hash(const void *p, size_t n)
{
    const uint8_t *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* ---- objects ------------------------------------------------------------ */

blob_obj *
wk__blob_obj_find(wk_blob *b, uint64_t id)
{
    size_t lo = 0, hi = b->nobj;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->objs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < b->nobj && b->objs[lo].id == id)
        return &b->objs[lo];
    return NULL;
}

/* Appends o (ids arrive in increasing order: LSN order). */
int
wk__blob_obj_add(wk_blob *b, const blob_obj *o)
{
    if (b->nobj > 0 && b->objs[b->nobj - 1].id >= o->id)
        return WK_ECORRUPT;
    if (b->nobj == b->capobj) {
        size_t cap = b->capobj ? b->capobj * 2 : 64;
        blob_obj *n = wk__realloc(b->objs, cap * sizeof *n);
        if (n == NULL)
            return WK_ENOMEM;
        b->objs = n;
        b->capobj = cap;
    }
    b->objs[b->nobj++] = *o;
    return 0;
}

/* Drops tombstones when they are more than half of the array. */
void
wk__blob_obj_compact(wk_blob *b)
{
    if (b->ndead < 64 || b->ndead * 2 < b->nobj)
        return;
    size_t j = 0;
    for (size_t i = 0; i < b->nobj; i++)
        if (!b->objs[i].deleted)
            b->objs[j++] = b->objs[i];
    b->nobj = j;
    b->ndead = 0;
}

/* ---- key/value ------------------------------------------------------------
 */

blob_kv *
wk__blob_kv_find(wk_blob *b, const void *key, size_t klen)
{
    if (b->nkvb == 0)
        return NULL;
    uint64_t h = wk__blob_hash(key, klen);
    for (blob_kv *e = b->kvb[h % b->nkvb]; e != NULL; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->data, key, klen) == 0)
            return e;
    return NULL;
}

static int
kv_grow(wk_blob *b)
{
    size_t n = b->nkvb ? b->nkvb * 2 : 64;
    blob_kv **t = wk__calloc(n, sizeof *t);
    if (t == NULL)
        return WK_ENOMEM;
    for (size_t i = 0; i < b->nkvb; i++) {
        blob_kv *e = b->kvb[i];
        while (e != NULL) {
            blob_kv *next = e->next;
            e->next = t[e->hash % n];
            t[e->hash % n] = e;
            e = next;
        }
    }
    wk__free(b->kvb);
    b->kvb = t;
    b->nkvb = n;
    return 0;
}

int
wk__blob_kv_set(wk_blob *b, const void *key, uint32_t klen, const void *val,
                uint32_t vlen)
{
    if (b->nkv >= b->nkvb) {
        int rc = kv_grow(b);
        if (rc != 0)
            return rc;
    }
    blob_kv *e = wk__malloc(sizeof *e + (size_t)klen + vlen);
    if (e == NULL)
        return WK_ENOMEM;
    e->hash = wk__blob_hash(key, klen);
    e->klen = klen;
    e->vlen = vlen;
    memcpy(e->data, key, klen);
    if (vlen > 0)
        memcpy(e->data + klen, val, vlen);
    blob_kv **pp = &b->kvb[e->hash % b->nkvb];
    for (; *pp != NULL; pp = &(*pp)->next) {
        blob_kv *o = *pp;
        if (o->hash == e->hash && o->klen == klen &&
            memcmp(o->data, key, klen) == 0) {
            e->next = o->next;
            *pp = e;
            wk__free(o);
            return 0;
        }
    }
    e->next = b->kvb[e->hash % b->nkvb];
    b->kvb[e->hash % b->nkvb] = e;
    b->nkv++;
    return 0;
}

int
wk__blob_kv_del(wk_blob *b, const void *key, size_t klen)
{
    if (b->nkvb == 0)
        return WK_ENOTFOUND;
    uint64_t h = wk__blob_hash(key, klen);
    for (blob_kv **pp = &b->kvb[h % b->nkvb]; *pp != NULL; pp = &(*pp)->next) {
        blob_kv *o = *pp;
        if (o->hash == h && o->klen == klen &&
            memcmp(o->data, key, klen) == 0) {
            *pp = o->next;
            wk__free(o);
            b->nkv--;
            return 0;
        }
    }
    return WK_ENOTFOUND;
}

/* ---- streams ------------------------------------------------------------ */

static size_t
stream_pos(wk_blob *b, uint64_t id)
{
    size_t lo = 0, hi = b->nstreams;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->streams[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

blob_stream *
wk__blob_stream_find(wk_blob *b, uint64_t id)
{
    size_t i = stream_pos(b, id);
    return i < b->nstreams && b->streams[i]->id == id ? b->streams[i] : NULL;
}

blob_stream *
wk__blob_stream_get(wk_blob *b, uint64_t id)
{
    size_t i = stream_pos(b, id);
    if (i < b->nstreams && b->streams[i]->id == id)
        return b->streams[i];
    if (b->nstreams == b->capstreams) {
        size_t cap = b->capstreams ? b->capstreams * 2 : 16;
        blob_stream **n = wk__realloc(b->streams, cap * sizeof *n);
        if (n == NULL)
            return NULL;
        b->streams = n;
        b->capstreams = cap;
    }
    blob_stream *s = wk__calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->id = id;
    memmove(&b->streams[i + 1], &b->streams[i],
            (b->nstreams - i) * sizeof *b->streams);
    b->streams[i] = s;
    b->nstreams++;
    return s;
}

int
wk__blob_stream_add(blob_stream *s, const blob_ext *e)
{
    if (s->next == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        blob_ext *n = wk__realloc(s->ext, cap * sizeof *n);
        if (n == NULL)
            return WK_ENOMEM;
        s->ext = n;
        s->cap = cap;
    }
    s->ext[s->next++] = *e;
    s->size = e->soff + e->len;
    return 0;
}

/* ---- chunks ------------------------------------------------------------- */

static size_t
chunk_pos(wk_blob *b, uint32_t num)
{
    size_t lo = 0, hi = b->nchunks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->chunks[mid]->num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

blob_chunk *
wk__blob_chunk_find(wk_blob *b, uint32_t num)
{
    size_t i = chunk_pos(b, num);
    return i < b->nchunks && b->chunks[i]->num == num ? b->chunks[i] : NULL;
}

int
wk__blob_chunk_insert(wk_blob *b, blob_chunk *c)
{
    if (b->nchunks == b->capchunks) {
        size_t cap = b->capchunks ? b->capchunks * 2 : 16;
        blob_chunk **n = wk__realloc(b->chunks, cap * sizeof *n);
        if (n == NULL)
            return WK_ENOMEM;
        b->chunks = n;
        b->capchunks = cap;
    }
    size_t i = chunk_pos(b, c->num);
    memmove(&b->chunks[i + 1], &b->chunks[i],
            (b->nchunks - i) * sizeof *b->chunks);
    b->chunks[i] = c;
    b->nchunks++;
    return 0;
}

void
wk__blob_chunk_remove(wk_blob *b, blob_chunk *c)
{
    size_t i = chunk_pos(b, c->num);
    if (i < b->nchunks && b->chunks[i] == c) {
        memmove(&b->chunks[i], &b->chunks[i + 1],
                (b->nchunks - i - 1) * sizeof *b->chunks);
        b->nchunks--;
    }
}

/* ---- applying a record ----------------------------------------------- */

static int
apply_extent(wk_blob *b, uint32_t num, uint64_t off, uint64_t len,
             blob_chunk **out)
{
    *out = NULL;
    if (len == 0)
        return 0;
    if (num >= b->next_chunk && num != UINT32_MAX)
        b->next_chunk = num + 1;
    blob_chunk *c = wk__blob_chunk_find(b, num);
    if (c == NULL) {
        /* During replay, a chunk removed after everything in it was
         * deleted: the later DEL records follow. Checked at the end. */
        if (b->recovering)
            return 0;
        return wk__errmsg_set(&b->msg, WK_ECORRUPT,
                              "record names missing chunk %u", num);
    }
    if (off + len > c->ref_end)
        c->ref_end = off + len;
    *out = c;
    return 0;
}

int
wk__blob_apply(wk_blob *b, const wk__brec *r, uint64_t lsn)
{
    int rc;
    blob_chunk *c = NULL;
    switch (r->type) {
    case WK__BREC_PUT: {
        blob_obj o = {.id = lsn,
                      .off = r->off,
                      .len = r->len,
                      .tag = r->tag,
                      .chunk = r->chunk,
                      .crc = r->crc};
        rc = apply_extent(b, r->chunk, r->off, r->len, &c);
        if (rc != 0)
            return rc;
        rc = wk__blob_obj_add(b, &o);
        if (rc != 0)
            return rc;
        if (c != NULL) {
            c->live++;
            c->live_bytes += r->len;
        }
        b->live_objs++;
        b->live_bytes += r->len;
        break;
    }
    case WK__BREC_DEL: {
        blob_obj *o = wk__blob_obj_find(b, r->id);
        if (o == NULL || o->deleted)
            return wk__errmsg_set(&b->msg, WK_ECORRUPT,
                                  "delete record (LSN %llu) names unknown "
                                  "object %llu",
                                  (unsigned long long)lsn,
                                  (unsigned long long)r->id);
        o->deleted = 1;
        b->ndead++;
        b->live_objs--;
        b->live_bytes -= o->len;
        if (o->len > 0) {
            c = wk__blob_chunk_find(b, o->chunk);
            if (c != NULL) {
                c->live--;
                c->live_bytes -= o->len;
                c->del_lsn = lsn;
            }
        }
        wk__blob_obj_compact(b);
        break;
    }
    case WK__BREC_MOVE: {
        blob_obj *o = wk__blob_obj_find(b, r->id);
        if (o == NULL || o->deleted || o->len == 0 ||
            o->len > BLOB_MAX_CHUNK - r->off)
            return wk__errmsg_set(&b->msg, WK_ECORRUPT,
                                  "move record (LSN %llu) names unknown, "
                                  "empty or oversized object %llu",
                                  (unsigned long long)lsn,
                                  (unsigned long long)r->id);
        rc = apply_extent(b, r->chunk, r->off, o->len, &c);
        if (rc != 0)
            return rc;
        blob_chunk *old = wk__blob_chunk_find(b, o->chunk);
        if (old != NULL) {
            old->live--;
            old->live_bytes -= o->len;
            old->del_lsn = lsn; /* removable once the move is durable */
        }
        if (c != NULL) {
            c->live++;
            c->live_bytes += o->len;
        }
        o->chunk = r->chunk;
        o->off = r->off;
        o->verified = 0;
        break;
    }
    case WK__BREC_KVSET:
        rc = wk__blob_kv_set(b, r->key, r->klen, r->val, r->vlen);
        if (rc != 0)
            return rc;
        break;
    case WK__BREC_KVDEL:
        rc = wk__blob_kv_del(b, r->key, r->klen);
        if (rc != 0)
            return wk__errmsg_set(&b->msg, WK_ECORRUPT,
                                  "key delete record (LSN %llu) names a "
                                  "missing key",
                                  (unsigned long long)lsn);
        break;
    case WK__BREC_SAPPEND: {
        blob_stream *s = wk__blob_stream_find(b, r->stream);
        uint64_t size = s != NULL ? s->size : 0;
        if (r->soff != size)
            return wk__errmsg_set(
                &b->msg, WK_ECORRUPT,
                "stream %llu: append at %llu, size %llu "
                "(LSN %llu)",
                (unsigned long long)r->stream, (unsigned long long)r->soff,
                (unsigned long long)size, (unsigned long long)lsn);
        rc = apply_extent(b, r->chunk, r->off, r->len, &c);
        if (rc != 0)
            return rc;
        if (s == NULL && (s = wk__blob_stream_get(b, r->stream)) == NULL)
            return WK_ENOMEM;
        blob_ext e = {.soff = r->soff,
                      .off = r->off,
                      .len = r->len,
                      .chunk = r->chunk,
                      .crc = r->crc};
        rc = wk__blob_stream_add(s, &e);
        if (rc != 0)
            return rc;
        if (c != NULL) {
            c->live++;
            c->nstream++;
        }
        break;
    }
    default:
        return WK_ECORRUPT;
    }
    if (lsn > b->applied_lsn)
        b->applied_lsn = lsn;
    return 0;
}

void
wk__blob_index_free(wk_blob *b)
{
    wk__free(b->objs);
    b->objs = NULL;
    b->nobj = b->capobj = b->ndead = 0;
    for (size_t i = 0; i < b->nkvb; i++) {
        blob_kv *e = b->kvb[i];
        while (e != NULL) {
            blob_kv *n = e->next;
            wk__free(e);
            e = n;
        }
    }
    wk__free(b->kvb);
    b->kvb = NULL;
    b->nkvb = b->nkv = 0;
    for (size_t i = 0; i < b->nstreams; i++) {
        wk__free(b->streams[i]->ext);
        wk__free(b->streams[i]);
    }
    wk__free(b->streams);
    b->streams = NULL;
    b->nstreams = b->capstreams = 0;
}
