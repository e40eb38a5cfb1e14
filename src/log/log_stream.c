/* wk_log streaming entries: chunks are appended as CHUNK frames as they
 * fill (no lock held between chunks), and a COMMIT frame naming every
 * chunk completes the entry and gives it its LSN. Segments holding chunks
 * stay pinned until commit or rollback; after commit each keeps the commit
 * LSN as the highest LSN that needs it (so a checkpoint below it cannot
 * recycle it). */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "log/log_internal.h"

struct wk_log_stream {
    wk_log *log;
    uint64_t id;
    uint8_t *buf;
    size_t len;
    size_t cap;
    uint64_t total;
    uint32_t n, capref;
    log_chunk_ref *refs;
    wk__seg **segs; /* pinned, one per chunk */
    int err;
};

/* Starts a streamed entry. See log.h. */
int
wk_log_stream_begin(wk_log *log, wk_log_stream **out)
{
    if (log == NULL || out == NULL)
        return -EINVAL;
    pthread_mutex_lock(&log->mu);
    int rc = wk__log_check_writable(log);
    pthread_mutex_unlock(&log->mu);
    if (rc != 0)
        return rc;
    wk_log_stream *s = wk__calloc(1, sizeof *s);
    if (s == NULL)
        return WK_ENOMEM;
    s->log = log;
    s->cap = log->chunk_bytes;
    s->buf = wk__malloc(s->cap);
    if (s->buf == NULL) {
        wk__free(s);
        return WK_ENOMEM;
    }
    rc = log->vfs->random(log->vfs, &s->id, sizeof s->id);
    if (rc != 0) {
        wk__free(s->buf);
        wk__free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Appends the buffered bytes as one CHUNK frame. */
static int
stream_flush(wk_log_stream *s)
{
    if (s->n == UINT32_MAX)
        return -E2BIG;
    if (s->n == s->capref) {
        uint32_t ncap = s->capref ? s->capref * 2 : 16;
        log_chunk_ref *r = wk__realloc(s->refs, ncap * sizeof *r);
        if (r == NULL)
            return WK_ENOMEM;
        s->refs = r;
        wk__seg **g = wk__realloc(s->segs, ncap * sizeof *g);
        if (g == NULL)
            return WK_ENOMEM;
        s->segs = g;
        s->capref = ncap;
    }
    uint8_t pre[LOG_CHUNK_HDR];
    wk__put64(pre, s->id);
    wk__put32(pre + 8, s->n);
    struct iovec v = {.iov_base = s->buf, .iov_len = s->len};
    wk__seg *seg = NULL;
    uint64_t off = 0;
    int rc = wk__log_append_frame(s->log, LOG_FT_CHUNK, pre, sizeof pre, &v, 1,
                                  sizeof pre + s->len, 0, NULL, &seg, &off);
    if (rc != 0)
        return rc;
    s->refs[s->n].slot = seg->slot;
    s->refs[s->n].off = off;
    s->refs[s->n].len = (uint32_t)s->len;
    s->segs[s->n] = seg;
    s->n++;
    s->total += s->len;
    s->len = 0;
    return 0;
}

/* Appends len bytes to the stream's entry. See log.h. */
int
wk_log_stream_write(wk_log_stream *s, const void *data, size_t len)
{
    if (s == NULL || (data == NULL && len > 0))
        return -EINVAL;
    if (s->err != 0)
        return s->err;
    const uint8_t *p = data;
    while (len > 0) {
        size_t n = s->cap - s->len < len ? s->cap - s->len : len;
        memcpy(s->buf + s->len, p, n);
        s->len += n;
        p += n;
        len -= n;
        if (s->len == s->cap) {
            int rc = stream_flush(s);
            if (rc != 0) {
                s->err = rc;
                return rc;
            }
        }
    }
    return 0;
}

/* Drops the pins and frees s; raises max_needed to lsn when lsn != 0. */
static void
stream_release(wk_log_stream *s, uint64_t lsn)
{
    wk_log *log = s->log;
    pthread_mutex_lock(&log->mu);
    for (uint32_t i = 0; i < s->n; i++) {
        wk__seg *g = s->segs[i];
        if (lsn != 0 && g->max_needed < lsn)
            g->max_needed = lsn;
        g->pins--;
    }
    pthread_mutex_unlock(&log->mu);
    wk__free(s->refs);
    wk__free(s->segs);
    wk__free(s->buf);
    wk__free(s);
}

/* Completes the entry; frees s. See log.h. */
int
wk_log_stream_commit(wk_log_stream *s, int flags, uint64_t *lsn)
{
    if (s == NULL)
        return -EINVAL;
    int rc = s->err;
    if (rc == 0 && (flags & ~WK_SYNC) != 0)
        rc = -EINVAL;
    if (rc == 0 && s->len > 0)
        rc = stream_flush(s);
    uint8_t *pl = NULL;
    size_t plen = LOG_COMMIT_HDR + (size_t)s->n * LOG_COMMIT_REF;
    uint64_t got = 0;
    if (rc == 0 && plen > s->log->o.batch_bytes)
        rc = -E2BIG;
    if (rc == 0 && (pl = wk__malloc(plen)) == NULL)
        rc = WK_ENOMEM;
    if (rc == 0) {
        wk__put64(pl, s->id);
        wk__put64(pl + 8, s->total);
        wk__put32(pl + 16, s->n);
        for (uint32_t i = 0; i < s->n; i++) {
            uint8_t *r = pl + LOG_COMMIT_HDR + (size_t)i * LOG_COMMIT_REF;
            wk__put32(r, s->refs[i].slot);
            wk__put64(r + 4, s->refs[i].off);
            wk__put32(r + 12, s->refs[i].len);
        }
        struct iovec v = {.iov_base = pl, .iov_len = plen};
        rc = wk__log_append_frame(s->log, LOG_FT_COMMIT, NULL, 0, &v, 1, plen,
                                  flags, &got, NULL, NULL);
        wk__free(pl);
    }
    if (rc == 0) {
        pthread_mutex_lock(&s->log->mu);
        s->log->st_bytes += s->total;
        pthread_mutex_unlock(&s->log->mu);
        if (lsn != NULL)
            *lsn = got;
    }
    stream_release(s, rc == 0 ? got : 0);
    return rc;
}

/* Abandons the entry; frees s. See log.h. */
void
wk_log_stream_rollback(wk_log_stream *s)
{
    if (s == NULL)
        return;
    stream_release(s, 0);
}
