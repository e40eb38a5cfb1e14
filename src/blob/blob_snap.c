/* wk_blob index snapshots: the compaction of the command log (design:
 * blob.c, "SNAPSHOT"). Written by the wk_log checkpoint callback with
 * wk_vfs_atomic_replace, loaded at open before the log replay. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "blob/blob_internal.h"
#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"

#define SNAP_HDR 64u
#define SNAP_CHUNK 12u
#define SNAP_OBJ 40u
#define SNAP_KV 8u
#define SNAP_STREAM 16u
#define SNAP_EXT 24u
#define SNAP_MAX ((size_t)1 << 40)

/* Serializes the index (mu held) into a new buffer. */
static int
snap_build(wk_blob *b, uint64_t lsn, uint8_t **out, size_t *outlen)
{
    uint64_t n = SNAP_HDR + 4;
    n += (uint64_t)b->nchunks * SNAP_CHUNK;
    n += (uint64_t)b->live_objs * SNAP_OBJ;
    for (size_t i = 0; i < b->nkvb; i++)
        for (blob_kv *e = b->kvb[i]; e != NULL; e = e->next)
            n += SNAP_KV + (uint64_t)e->klen + e->vlen;
    for (size_t i = 0; i < b->nstreams; i++)
        n += SNAP_STREAM + (uint64_t)b->streams[i]->next * SNAP_EXT;
    if (n > SNAP_MAX)
        return -EFBIG;
    uint8_t *p = wk__malloc((size_t)n);
    if (p == NULL)
        return WK_ENOMEM;
    memcpy(p, "WKBLOBSN", 8);
    wk__put32(p + 8, BLOB_VERSION);
    wk__put32(p + 12, 0);
    wk__put64(p + 16, b->store_id);
    wk__put64(p + 24, lsn);
    wk__put64(p + 32, b->nchunks);
    wk__put64(p + 40, b->live_objs);
    wk__put64(p + 48, b->nkv);
    wk__put64(p + 56, b->nstreams);
    uint8_t *q = p + SNAP_HDR;
    for (size_t i = 0; i < b->nchunks; i++) {
        wk__put32(q, b->chunks[i]->num);
        wk__put64(q + 4, b->chunks[i]->ref_end);
        q += SNAP_CHUNK;
    }
    for (size_t i = 0; i < b->nobj; i++) {
        const blob_obj *o = &b->objs[i];
        if (o->deleted)
            continue;
        wk__put64(q, o->id);
        wk__put32(q + 8, o->chunk);
        wk__put64(q + 12, o->off);
        wk__put64(q + 20, o->len);
        wk__put32(q + 28, o->crc);
        wk__put64(q + 32, o->tag);
        q += SNAP_OBJ;
    }
    for (size_t i = 0; i < b->nkvb; i++)
        for (blob_kv *e = b->kvb[i]; e != NULL; e = e->next) {
            wk__put32(q, e->klen);
            wk__put32(q + 4, e->vlen);
            memcpy(q + 8, e->data, (size_t)e->klen + e->vlen);
            q += SNAP_KV + (size_t)e->klen + e->vlen;
        }
    for (size_t i = 0; i < b->nstreams; i++) {
        const blob_stream *s = b->streams[i];
        wk__put64(q, s->id);
        wk__put64(q + 8, s->next);
        q += SNAP_STREAM;
        for (size_t j = 0; j < s->next; j++) {
            wk__put32(q, s->ext[j].chunk);
            wk__put64(q + 4, s->ext[j].off);
            wk__put64(q + 12, s->ext[j].len);
            wk__put32(q + 20, s->ext[j].crc);
            q += SNAP_EXT;
        }
    }
    wk__put32(q, wk__crc32c(0, p, (size_t)(q - p)));
    *out = p;
    *outlen = (size_t)n;
    return 0;
}

int
wk__blob_snap_write(wk_blob *b, uint64_t lsn)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = snap_build(b, lsn, &buf, &len);
    if (rc != 0)
        return rc;
    char *path = wk__path_join(b->dir, "SNAPSHOT");
    pthread_mutex_unlock(&b->mu);
    rc = path == NULL ? WK_ENOMEM
                      : wk_vfs_atomic_replace(b->vfs, path, buf, len);
    pthread_mutex_lock(&b->mu);
    wk__free(path);
    wk__free(buf);
    if (rc != 0)
        return wk__errmsg_set(&b->msg, rc, "write index snapshot");
    b->snapshots++;
    return 0;
}

/* wk_log checkpoint callback (log's background thread): snapshot the whole
 * index, which covers every entry up to applied_lsn >= upto_lsn (records
 * are appended and applied under mu, in LSN order). mu is taken with
 * trylock: an appender holding mu may be waiting inside wk_log_append for
 * this very thread (segment preparation); after ~200 ms the checkpoint
 * gives up and the next one retries. */
int
wk__blob_checkpoint_fn(void *arg, wk_log_iter *it, uint64_t upto_lsn)
{
    wk_blob *b = arg;
    (void)it;
    int tries = 0;
    while (pthread_mutex_trylock(&b->mu) != 0) {
        if (++tries > 200)
            return -EAGAIN;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    /* Every entry <= upto_lsn went through the index (replayed or
     * appended under mu); upto_lsn may exceed applied_lsn only by frame
     * numbers that are not entries (wk_log SKIP/CLOSE frames). */
    int rc;
    if (b->poisoned)
        rc = WK_EPOISONED;
    else
        rc = wk__blob_snap_write(b, b->applied_lsn > upto_lsn ? b->applied_lsn
                                                              : upto_lsn);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

/* ---- loading ------------------------------------------------------------ */

typedef struct snap_rd {
    const uint8_t *p;
    size_t left;
} snap_rd;

static const uint8_t *
snap_take(snap_rd *r, size_t n)
{
    if (r->left < n)
        return NULL;
    const uint8_t *q = r->p;
    r->p += n;
    r->left -= n;
    return q;
}

static int
snap_parse(wk_blob *b, const uint8_t *p, size_t len)
{
    if (len < SNAP_HDR + 4 || memcmp(p, "WKBLOBSN", 8) != 0)
        return WK_ECORRUPT;
    if (wk__get32(p + len - 4) != wk__crc32c(0, p, len - 4))
        return WK_ECORRUPT;
    if (wk__get32(p + 8) != BLOB_VERSION)
        return WK_EFORMAT;
    if (wk__get64(p + 16) != b->store_id)
        return WK_ECORRUPT;
    uint64_t lsn = wk__get64(p + 24);
    uint64_t nchunks = wk__get64(p + 32), nobjs = wk__get64(p + 40);
    uint64_t nkv = wk__get64(p + 48), nstreams = wk__get64(p + 56);
    snap_rd r = {p + SNAP_HDR, len - SNAP_HDR - 4};
    /* Each count is bounded by the bytes left before anything is
     * allocated (a garbage count cannot overflow or over-allocate). */
    if (nchunks > r.left / SNAP_CHUNK)
        return WK_ECORRUPT;
    for (uint64_t i = 0; i < nchunks; i++) {
        const uint8_t *q = snap_take(&r, SNAP_CHUNK);
        if (q == NULL)
            return WK_ECORRUPT;
        blob_chunk *c = wk__blob_chunk_find(b, wk__get32(q));
        uint64_t end = wk__get64(q + 4);
        if (c != NULL && end > c->ref_end)
            c->ref_end = end;
        if (wk__get32(q) >= b->next_chunk && wk__get32(q) != UINT32_MAX)
            b->next_chunk = wk__get32(q) + 1;
    }
    if (nobjs > r.left / SNAP_OBJ)
        return WK_ECORRUPT;
    for (uint64_t i = 0; i < nobjs; i++) {
        const uint8_t *q = snap_take(&r, SNAP_OBJ);
        if (q == NULL)
            return WK_ECORRUPT;
        uint8_t rec[WK__BREC_PUT_LEN];
        rec[0] = WK__BREC_PUT;
        rec[1] = 0;
        memcpy(rec + 2, q + 8, 32); /* chunk, off, len, crc, tag */
        wk__brec d;
        uint64_t id = wk__get64(q);
        if (wk__brec_decode(rec, sizeof rec, &d) != 0 || id == 0 || id > lsn)
            return WK_ECORRUPT;
        int rc = wk__blob_apply(b, &d, id);
        if (rc != 0)
            return rc;
    }
    if (nkv > r.left / SNAP_KV)
        return WK_ECORRUPT;
    for (uint64_t i = 0; i < nkv; i++) {
        const uint8_t *q = snap_take(&r, SNAP_KV);
        if (q == NULL)
            return WK_ECORRUPT;
        uint32_t klen = wk__get32(q), vlen = wk__get32(q + 4);
        if (klen == 0 || klen > WK_BLOB_MAX_KEY || vlen > WK_BLOB_MAX_VALUE)
            return WK_ECORRUPT;
        const uint8_t *kv = snap_take(&r, (size_t)klen + vlen);
        if (kv == NULL)
            return WK_ECORRUPT;
        int rc = wk__blob_kv_set(b, kv, klen, kv + klen, vlen);
        if (rc != 0)
            return rc;
    }
    if (nstreams > r.left / SNAP_STREAM)
        return WK_ECORRUPT;
    for (uint64_t i = 0; i < nstreams; i++) {
        const uint8_t *q = snap_take(&r, SNAP_STREAM);
        if (q == NULL)
            return WK_ECORRUPT;
        uint64_t id = wk__get64(q), next = wk__get64(q + 8);
        if (next == 0 || next > r.left / SNAP_EXT ||
            wk__blob_stream_find(b, id) != NULL)
            return WK_ECORRUPT;
        uint64_t soff = 0;
        for (uint64_t j = 0; j < next; j++) {
            const uint8_t *e = snap_take(&r, SNAP_EXT);
            if (e == NULL)
                return WK_ECORRUPT;
            wk__brec d = {.type = WK__BREC_SAPPEND,
                          .stream = id,
                          .soff = soff,
                          .chunk = wk__get32(e),
                          .off = wk__get64(e + 4),
                          .len = wk__get64(e + 12),
                          .crc = wk__get32(e + 20)};
            uint8_t rec[WK__BREC_SAPPEND_LEN];
            if (wk__brec_encode(&d, rec, sizeof rec) != sizeof rec ||
                wk__brec_decode(rec, sizeof rec, &d) != 0)
                return WK_ECORRUPT;
            int rc = wk__blob_apply(b, &d, lsn);
            if (rc != 0)
                return rc;
            soff += d.len;
        }
    }
    if (r.left != 0)
        return WK_ECORRUPT;
    b->snap_lsn = lsn;
    b->applied_lsn = lsn;
    return 0;
}

int
wk__blob_snap_load(wk_blob *b)
{
    void *data = NULL;
    size_t len = 0;
    char *path = wk__path_join(b->dir, "SNAPSHOT");
    if (path == NULL)
        return WK_ENOMEM;
    int rc = wk_vfs_read_all(b->vfs, path, SNAP_MAX, &data, &len);
    wk__free(path);
    if (rc == -ENOENT)
        return 0;
    if (rc != 0)
        return wk__errmsg_set(&b->msg, rc, "read index snapshot");
    rc = snap_parse(b, data, len);
    wk_free(data);
    if (rc == WK_ECORRUPT || rc == WK_EFORMAT)
        return wk__errmsg_set(&b->msg, rc,
                              "index snapshot 'SNAPSHOT' is invalid");
    if (rc != 0)
        return wk__errmsg_set(&b->msg, rc, "load index snapshot");
    return 0;
}
