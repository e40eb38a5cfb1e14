/* wk_log reads: one entry by LSN (segment pinned during the callback),
 * iterators (sequential, with tailing), and reading streamed entries. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "log/log_internal.h"

#define READ_WINDOW (256u * 1024u)

struct wk_log_iter {
    wk_log *log;
    wk__scan sc;
    wk__seg *seg; /* pinned, or NULL before positioning */
    uint64_t off;
    uint64_t pos;     /* lowest seq still wanted */
    uint64_t max_lsn; /* stop after this */
    log_stream_view view;
    wk_log_iter *next, *prev; /* log->iters (under log->mu) */
};

/* Guards it->log against wk_log_close detaching iterators: taken on entry
 * to iter_next and by iter_close, and by close while it detaches them. */
static pthread_mutex_t iter_global = PTHREAD_MUTEX_INITIALIZER;

int
wk__log_entry_from_frame(wk_log *log, const wk__rec *r, const uint8_t *frame,
                         wk_log_entry *e, log_stream_view *view)
{
    memset(e, 0, sizeof *e);
    e->lsn = r->seq;
    if (r->type == LOG_FT_FULL) {
        e->len = r->len;
        e->data = frame + WK__REC_HDR;
        return 0;
    }
    if (r->type != LOG_FT_COMMIT || r->len < LOG_COMMIT_HDR)
        return WK_ECORRUPT;
    const uint8_t *pl = frame + WK__REC_HDR;
    uint32_t n = wk__get32(pl + 16);
    if ((uint64_t)r->len != LOG_COMMIT_HDR + (uint64_t)n * LOG_COMMIT_REF)
        return WK_ECORRUPT;
    view->log = log;
    view->total = wk__get64(pl + 8);
    view->nchunks = n;
    view->refs = pl + LOG_COMMIT_HDR;
    e->len = view->total;
    e->data = NULL;
    e->priv = view;
    return 0;
}

/* The live segment in slot, pinned, or NULL if none is (takes mu). */
static wk__seg *
read_pin_slot(wk_log *log, uint32_t slot)
{
    wk__seg *s = NULL;
    pthread_mutex_lock(&log->mu);
    for (uint32_t k = 0; k < log->nlive; k++)
        if (log->live[k]->slot == slot) {
            s = log->live[k];
            s->pins++;
            break;
        }
    pthread_mutex_unlock(&log->mu);
    return s;
}

/* Checks that every chunk a COMMIT frame names is still there: a live
 * segment with, at that offset, a CHUNK frame header of that stream, index
 * and length, below the commit. 0, WK_ERECYCLED (gone or reused: possible
 * only at or below the checkpoint, after a crash in the middle of a
 * recycle), or -errno. */
static int
read_check_chunks(wk_log *log, const wk__rec *r, const uint8_t *frame)
{
    const uint8_t *pl = frame + WK__REC_HDR;
    uint64_t id = wk__get64(pl);
    uint32_t n = wk__get32(pl + 16);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *ref = pl + LOG_COMMIT_HDR + (size_t)i * LOG_COMMIT_REF;
        uint32_t slot = wk__get32(ref);
        uint64_t foff = wk__get64(ref + 4);
        uint32_t clen = wk__get32(ref + 12);
        wk__seg *s = read_pin_slot(log, slot);
        if (s == NULL)
            return WK_ERECYCLED;
        uint8_t h[WK__REC_HDR + LOG_CHUNK_HDR];
        int rc = wk_file_pread_full(s->f, h, sizeof h, foff);
        wk__rec c;
        wk__rec_peek(h, &c);
        pthread_mutex_lock(&log->mu);
        int ok = c.seq >= s->first_fsn && c.seq < r->seq;
        s->pins--;
        pthread_mutex_unlock(&log->mu);
        if (rc == -ENODATA)
            return WK_ERECYCLED;
        if (rc != 0)
            return rc;
        if (!ok || c.type != LOG_FT_CHUNK ||
            c.len != LOG_CHUNK_HDR + (uint64_t)clen ||
            wk__get64(h + WK__REC_HDR) != id ||
            wk__get32(h + WK__REC_HDR + 8) != i)
            return WK_ERECYCLED;
    }
    return 0;
}

/* Copies len bytes of an entry from off. See log.h. */
int
wk_log_entry_read(const wk_log_entry *e, uint64_t off, void *buf, size_t len)
{
    if (e == NULL || (buf == NULL && len > 0) || off > e->len ||
        len > e->len - off)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (e->data != NULL) {
        memcpy(buf, (const uint8_t *)e->data + off, len);
        return 0;
    }
    const log_stream_view *v = e->priv;
    if (v == NULL || v->log == NULL)
        return -EINVAL;
    wk_log *log = v->log;
    uint8_t *out = buf;
    uint64_t pos = 0; /* entry offset of the current chunk */
    for (uint32_t i = 0; i < v->nchunks && len > 0; i++) {
        const uint8_t *ref = v->refs + (size_t)i * LOG_COMMIT_REF;
        uint32_t slot = wk__get32(ref);
        uint64_t foff = wk__get64(ref + 4);
        uint32_t clen = wk__get32(ref + 12);
        if (off >= pos + clen) {
            pos += clen;
            continue;
        }
        uint64_t in = off - pos;
        size_t n = clen - in < len ? (size_t)(clen - in) : len;
        wk__seg *s = read_pin_slot(log, slot);
        if (s == NULL)
            return WK_ERECYCLED;
        int rc = wk_file_pread_full(s->f, out, n,
                                    foff + WK__REC_HDR + LOG_CHUNK_HDR + in);
        pthread_mutex_lock(&log->mu);
        s->pins--;
        pthread_mutex_unlock(&log->mu);
        if (rc != 0)
            return rc == -ENODATA ? WK_ECORRUPT : rc;
        out += n;
        off += n;
        len -= n;
        pos += clen;
    }
    return len == 0 ? 0 : WK_ECORRUPT;
}

/* Reads the entry with LSN lsn and hands it to fn. See log.h. */
int
wk_log_read(wk_log *log, uint64_t lsn,
            int (*fn)(void *arg, const wk_log_entry *e), void *arg)
{
    if (log == NULL || fn == NULL)
        return -EINVAL;
    pthread_mutex_lock(&log->mu);
    if (lsn == 0 || lsn > log->durable_fsn) {
        pthread_mutex_unlock(&log->mu);
        return WK_ENOTFOUND;
    }
    int i = wk__seg_find_live(log, lsn);
    if (i < 0) {
        int rc = lsn <= log->ckpt_lsn ? WK_ERECYCLED : WK_ENOTFOUND;
        pthread_mutex_unlock(&log->mu);
        return rc;
    }
    wk__seg *s = log->live[i];
    s->pins++;
    log_idx ix;
    wk__seg_idx_find(s, lsn, &ix);
    uint64_t limit = s->durable_end;
    pthread_mutex_unlock(&log->mu);

    wk__scan sc;
    int rc = wk__scan_init(&sc, s->f, s->salt_crc, LOG_IDX_EVERY + 4096);
    if (rc == 0) {
        uint64_t off = ix.off;
        for (;;) {
            wk__rec r;
            const uint8_t *fr = NULL;
            /* Hop over the frames before the wanted one by their headers
             * (durable, written or verified already); verify the target. */
            rc = wk__scan_need(&sc, off, WK__REC_HDR, limit, &fr);
            if (rc == 0) {
                wk__rec_peek(fr, &r);
                if (r.seq < lsn && r.type != 0 &&
                    (uint64_t)r.len <= limit - off - WK__REC_HDR) {
                    off += WK__REC_HDR + (uint64_t)r.len;
                    continue;
                }
            }
            rc = wk__scan_frame(&sc, off, limit, &r, &fr);
            if (rc == WK_ECORRUPT || rc == -EAGAIN ||
                (rc == 0 && r.seq > lsn)) {
                rc = WK_ENOTFOUND;
                break;
            }
            if (rc != 0)
                break;
            if (r.seq == lsn) {
                if (!LOG_FT_IS_ENTRY(r.type)) { /* chunk, SKIP, CLOSE */
                    rc = WK_ENOTFOUND;
                    break;
                }
                wk_log_entry e;
                log_stream_view view;
                rc = wk__log_entry_from_frame(log, &r, fr, &e, &view);
                if (rc == 0 && r.type == LOG_FT_COMMIT) {
                    rc = read_check_chunks(log, &r, fr);
                    pthread_mutex_lock(&log->mu);
                    if (rc == WK_ERECYCLED && lsn > log->ckpt_lsn)
                        rc = WK_ECORRUPT;
                    pthread_mutex_unlock(&log->mu);
                }
                if (rc == 0)
                    rc = fn(arg, &e);
                break;
            }
            off += WK__REC_HDR + (uint64_t)r.len;
        }
        wk__scan_free(&sc);
    }
    pthread_mutex_lock(&log->mu);
    s->pins--;
    pthread_mutex_unlock(&log->mu);
    return rc;
}

int
wk__log_iter_open_bounded(wk_log *log, uint64_t from, uint64_t max_lsn,
                          wk_log_iter **out)
{
    if (log == NULL || out == NULL)
        return -EINVAL;
    pthread_mutex_lock(&log->mu);
    int recycled = from != 0 && from <= log->ckpt_lsn &&
                   (log->nlive == 0 || from < log->live[0]->first_fsn);
    pthread_mutex_unlock(&log->mu);
    if (recycled)
        return WK_ERECYCLED;
    wk_log_iter *it = wk__calloc(1, sizeof *it);
    if (it == NULL)
        return WK_ENOMEM;
    int rc = wk__scan_init(&it->sc, NULL, 0, READ_WINDOW);
    if (rc != 0) {
        wk__free(it);
        return rc;
    }
    it->log = log;
    it->pos = from;
    it->max_lsn = max_lsn;
    pthread_mutex_lock(&log->mu);
    if (log->closing) {
        pthread_mutex_unlock(&log->mu);
        wk__scan_free(&it->sc);
        wk__free(it);
        return WK_ECLOSED;
    }
    it->next = log->iters;
    if (log->iters != NULL)
        log->iters->prev = it;
    log->iters = it;
    pthread_mutex_unlock(&log->mu);
    *out = it;
    return 0;
}

void
wk__log_iters_orphan(wk_log *log)
{
    pthread_mutex_lock(&iter_global);
    pthread_mutex_lock(&log->mu);
    while (log->iter_busy > 0)
        pthread_cond_wait(&log->close_cv, &log->mu);
    for (wk_log_iter *it = log->iters; it != NULL; it = it->next) {
        it->log = NULL;
        it->seg = NULL;
    }
    log->iters = NULL;
    pthread_mutex_unlock(&log->mu);
    pthread_mutex_unlock(&iter_global);
}

/* Opens an iterator over entries with LSN >= from_lsn. See log.h. */
int
wk_log_iter_open(wk_log *log, uint64_t from_lsn, wk_log_iter **out)
{
    return wk__log_iter_open_bounded(log, from_lsn, UINT64_MAX, out);
}

static void
iter_deadline(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    uint64_t ns = (uint64_t)ts->tv_nsec + (uint64_t)timeout_ms * 1000000u;
    ts->tv_sec += (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

/* Positions it on a segment (mu held); 0, or WK_ENOTFOUND if none yet. */
static int
iter_position(wk_log_iter *it)
{
    wk_log *log = it->log;
    if (log->nlive == 0)
        return WK_ENOTFOUND;
    int i = wk__seg_find_live(log, it->pos);
    if (i < 0)
        i = 0;
    wk__seg *s = log->live[i];
    if (s->first_fsn > log->durable_fsn && i > 0)
        s = log->live[--i];
    s->pins++;
    it->seg = s;
    log_idx ix;
    wk__seg_idx_find(s, it->pos, &ix);
    it->off = ix.off;
    wk__scan_reset(&it->sc, s->f, s->salt_crc);
    return 0;
}

/* Moves to the next entry. See log.h. */
int
wk_log_iter_next(wk_log_iter *it, wk_log_entry *e, int timeout_ms)
{
    if (it == NULL || e == NULL)
        return -EINVAL;
    pthread_mutex_lock(&iter_global);
    wk_log *log = it->log;
    if (log == NULL) {
        pthread_mutex_unlock(&iter_global);
        return WK_ECLOSED;
    }
    pthread_mutex_lock(&log->mu);
    log->iter_busy++;
    pthread_mutex_unlock(&iter_global);
    struct timespec deadline;
    int have_deadline = 0;
    int rc = 0;
    for (;;) {
        if (it->pos > it->max_lsn) {
            rc = WK_ENOTFOUND;
            break;
        }
        int at_end = 0;
        if (it->seg == NULL && iter_position(it) != 0)
            at_end = 1;
        wk__seg *s = it->seg;
        uint64_t limit = s != NULL ? s->durable_end : 0;
        if (!at_end && it->off >= limit) {
            int i = wk__seg_find_live(log, s->first_fsn);
            if (i >= 0 && (uint32_t)i + 1 < log->nlive &&
                log->live[i + 1]->first_fsn <= log->durable_fsn) {
                wk__seg *n = log->live[i + 1];
                s->pins--;
                n->pins++;
                it->seg = n;
                log_idx ix;
                wk__seg_idx_find(n, n->first_fsn, &ix);
                it->off = ix.off;
                wk__scan_reset(&it->sc, n->f, n->salt_crc);
                continue;
            }
            at_end = 1;
        }
        if (at_end) {
            if (timeout_ms == 0 || it->max_lsn != UINT64_MAX) {
                rc = WK_ENOTFOUND;
                break;
            }
            if (log->closing) {
                rc = WK_ECLOSED;
                break;
            }
            if (log->poisoned) {
                rc = WK_EPOISONED;
                break;
            }
            if (timeout_ms < 0) {
                log->durable_waiters++;
                pthread_cond_wait(&log->durable_cv, &log->mu);
                log->durable_waiters--;
            } else {
                if (!have_deadline) {
                    iter_deadline(&deadline, timeout_ms);
                    have_deadline = 1;
                }
                log->durable_waiters++;
                int trc = pthread_cond_timedwait(&log->durable_cv, &log->mu,
                                                 &deadline);
                log->durable_waiters--;
                if (trc != 0) {
                    /* timed out: one last look */
                    if (log->closing) {
                        rc = WK_ECLOSED;
                        break;
                    }
                    have_deadline = 2;
                }
            }
            if (log->closing) {
                rc = WK_ECLOSED;
                break;
            }
            if (have_deadline == 2) {
                int more = it->seg == NULL ? log->nlive > 0
                                           : it->off < it->seg->durable_end;
                if (!more) {
                    int i = it->seg ? wk__seg_find_live(log, it->seg->first_fsn)
                                    : -1;
                    more = i >= 0 && (uint32_t)i + 1 < log->nlive &&
                           log->live[i + 1]->first_fsn <= log->durable_fsn;
                }
                if (!more) {
                    rc = WK_ETIMEDOUT;
                    break;
                }
            }
            continue;
        }
        pthread_mutex_unlock(&log->mu);
        wk__rec r;
        const uint8_t *fr = NULL;
        rc = wk__scan_frame(&it->sc, it->off, limit, &r, &fr);
        pthread_mutex_lock(&log->mu);
        if (rc == WK_ECORRUPT || rc == -EAGAIN) {
            /* A hole (skip-corrupt recovery): jump to the next index point
             * past it, or to the end of the segment. */
            uint64_t next = limit;
            for (uint32_t k = 0; k < s->nidx; k++)
                if (s->idx[k].off > it->off) {
                    next = s->idx[k].off;
                    break;
                }
            it->off = next;
            rc = 0;
            continue;
        }
        if (rc != 0)
            break;
        it->off += WK__REC_HDR + (uint64_t)r.len;
        if (r.seq < it->pos || !LOG_FT_IS_ENTRY(r.type)) {
            if (r.seq >= it->pos)
                it->pos = r.seq + 1;
            continue;
        }
        if (r.seq > it->max_lsn) {
            it->pos = r.seq;
            rc = WK_ENOTFOUND;
            break;
        }
        it->pos = r.seq + 1;
        rc = wk__log_entry_from_frame(log, &r, fr, e, &it->view);
        if (rc == 0 && r.type == LOG_FT_COMMIT) {
            pthread_mutex_unlock(&log->mu);
            rc = read_check_chunks(log, &r, fr);
            pthread_mutex_lock(&log->mu);
            if (rc == WK_ERECYCLED && r.seq <= log->ckpt_lsn)
                continue; /* checkpointed; its chunks were reclaimed */
            if (rc == WK_ERECYCLED)
                rc = WK_ECORRUPT;
        }
        break;
    }
    if (--log->iter_busy == 0 && log->closing)
        pthread_cond_broadcast(&log->close_cv);
    pthread_mutex_unlock(&log->mu);
    return rc;
}

/* Closes an iterator (also after its log was closed). */
void
wk_log_iter_close(wk_log_iter *it)
{
    if (it == NULL)
        return;
    pthread_mutex_lock(&iter_global);
    wk_log *log = it->log;
    if (log != NULL) {
        pthread_mutex_lock(&log->mu);
        if (it->seg != NULL)
            it->seg->pins--;
        if (it->prev != NULL)
            it->prev->next = it->next;
        else
            log->iters = it->next;
        if (it->next != NULL)
            it->next->prev = it->prev;
        pthread_mutex_unlock(&log->mu);
    }
    pthread_mutex_unlock(&iter_global);
    wk__scan_free(&it->sc);
    wk__free(it);
}
