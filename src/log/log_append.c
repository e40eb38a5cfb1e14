/* wk_log write path: reservation in the open batch buffer under a short
 * lock, frame encoding and payload copy outside it, and the group commit.
 *
 * Group commit, pipelined. Two turns, each held by at most one thread:
 * the write turn (log->leader: gather, seal the open buffer, wait for the
 * copies into it, pwrite it; released right after the pwrite) and the sync
 * turn (log->syncing: one fdatasync covering every batch written so far;
 * then those batches are durable, durable_fsn moves and their waiters are
 * woken). So batch N+1 is gathered and written while batch N syncs, and
 * its sync starts as soon as N's returns. A WK_SYNC appender whose frame
 * is not durable takes the write turn if its frame is not written and the
 * turn is free, else the sync turn if written batches wait for a sync and
 * nobody syncs, else waits on its buffer's condition variable (woken when
 * that buffer is durable or a turn passes). A syncer whose own frame is
 * durable hands the sync turn to a waiter of a written batch (the one
 * still to sync) rather than syncing for it. Syncs never overlap: after a
 * failed one, no other is issued (and none could be trusted: the kernel
 * may report the error to only one of two concurrent fdatasyncs). Each
 * frame records how many FSNs before its batch its writer did not know
 * durable (undurable), so recovery tells a later batch written ahead of an
 * unsynced one from corruption.
 *
 * Batch gathering. Before sealing, the leader waits while a sync is in
 * flight (the batch could only be synced after it anyway; the syncer wakes
 * it when done), then (condition variable, bounded by twice the last
 * sync's duration, at most 400 us) until every WK_SYNC appender already
 * inside an append call, or just acked and on its way back (sync_transit),
 * has reserved its frame. Without it, writers split into cohorts that
 * alternate between batches; with one writer nothing waits.
 *
 * Rules: log.c, "Write path". */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "log/log_internal.h"

static uint64_t
app_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Waits on durable_cv (mu held), counted so that wakers can skip the
 * broadcast when nobody waits there. */
static void
app_wait_durable_cv(wk_log *log)
{
    log->durable_waiters++;
    pthread_cond_wait(&log->durable_cv, &log->mu);
    log->durable_waiters--;
}

/* Seals the open buffer and opens the next one (free: the caller checked),
 * targeting the current segment right after it. (mu held) */
static void
app_seal(wk_log *log)
{
    log_buf *b = &log->bufs[log->oseq % LOG_NBUF];
    log_buf *nb = &log->bufs[(log->oseq + 1) % LOG_NBUF];
    b->state = LOG_BUF_SEALED;
    nb->state = LOG_BUF_OPEN;
    nb->seg = b->seg;
    nb->off = b->off + b->len;
    nb->len = 0;
    nb->first_fsn = 0;
    nb->last_fsn = 0;
    nb->nframes = 0;
    nb->nentries = 0;
    nb->writers = 0;
    log->oseq++;
}

/* The ring is full: every buffer but the open one is sealed or in flight. */
#define APP_RING_FULL(log) ((log)->oseq + 1 - (log)->dseq >= LOG_NBUF)

static int app_write(wk_log *log, uint64_t *q);
static int app_sync_run(wk_log *log, uint64_t target);

/* Seals the open buffer and opens the next one. Returns 0, or -EAGAIN
 * after waiting, writing or syncing because the ring was full (the caller
 * re-evaluates), or an error. */
static int
app_open_next(wk_log *log)
{
    if (APP_RING_FULL(log)) {
        int rc = -EAGAIN;
        if (!log->leader && log->wseq < log->oseq) {
            uint64_t q = 0;
            log->leader = 1;
            rc = app_write(log, &q);
        } else if (!log->syncing && log->dseq < log->wseq) {
            rc = app_sync_run(log, 0);
        } else {
            app_wait_durable_cv(log);
        }
        return rc == 0 ? -EAGAIN : rc;
    }
    app_seal(log);
    return 0;
}

/* An fdatasync of the segment of buffers [dseq, upto] (all written before
 * it began) returned 0: frees them, oldest first, and moves durable_fsn.
 * (mu held) */
static void
app_advance(wk_log *log, uint64_t upto)
{
    int moved = 0;
    while (log->dseq <= upto && log->dseq < log->wseq) {
        log_buf *b = &log->bufs[log->dseq % LOG_NBUF];
        wk__seg *s = b->seg;
        log->durable_fsn = b->last_fsn;
        log->last_batch_first = b->first_fsn;
        /* Bulk appends (batches that fill their buffer) pause the
         * background zero-fill: the segment would be taken before the fill
         * ends, and the fill only competes with the batches for the disk. */
        int bulk = b->len >= b->cap / 2;
        if (log->bulk && !bulk)
            pthread_cond_signal(&log->bg_cv);
        log->bulk = bulk;
        s->durable_end = b->off + b->len;
        log->st_batches++;
        log->st_entries_batched += b->nentries;
        b->state = LOG_BUF_FREE;
        b->len = 0;
        log->dseq++;
        moved = 1;
        if (b->waiters > 0)
            pthread_cond_broadcast(&b->cv);
    }
    if (moved && log->durable_waiters > 0)
        pthread_cond_broadcast(&log->durable_cv);
}

/* Write turn holder waiting for buffers to become durable: syncs them
 * itself if nobody does. (mu held) */
static void
app_wait_or_sync(wk_log *log)
{
    if (!log->syncing && log->dseq < log->wseq)
        (void)app_sync_run(log, 0); /* a failure poisons */
    else
        app_wait_durable_cv(log);
}

/* With the write turn (log->leader) held: seals the open buffer if it is
 * the next one to write, waits for the copies into buffer wseq, and
 * pwrites it (plus its segment's ACTIVE header for the segment's first
 * batch), while the batches before it may still be syncing. The first
 * batch of a segment is written only once every earlier batch is durable:
 * a segment never holds durable frames while the one before it holds
 * batches that are not (and one fdatasync covers every batch in flight).
 * Releases the turn in every case. *q = the buffer written; -EAGAIN:
 * nothing to write. (mu held) */
static int
app_write(wk_log *log, uint64_t *q)
{
    int rc = 0;
    log_buf *b = &log->bufs[log->wseq % LOG_NBUF];
    if (log->wseq == log->oseq) {
        if (b->len == 0) {
            rc = -EAGAIN;
            goto release;
        }
        /* Appenders may seal buffer wseq themselves meanwhile (when a
         * sync frees a buffer, they can be first to the lock): then it is
         * simply written. */
        while (!log->poisoned && log->wseq == log->oseq && APP_RING_FULL(log))
            app_wait_or_sync(log);
        if (log->poisoned) {
            rc = log->poisoned;
            goto release;
        }
        if (log->wseq == log->oseq)
            app_seal(log);
    }
    while (b->writers > 0)
        pthread_cond_wait(&log->writers_cv, &log->mu);
    wk__seg *s = b->seg;
    while (!log->poisoned && log->dseq < log->wseq &&
           log->bufs[log->dseq % LOG_NBUF].seg != s)
        app_wait_or_sync(log);
    if (log->poisoned) {
        rc = log->poisoned;
        goto release;
    }
    int activate = !s->activated;
    s->activated = 1; /* in flight: later batches do not rewrite it */
    uint64_t first = s->first_fsn;
    pthread_mutex_unlock(&log->mu);

    if (activate) {
        uint8_t hdr[LOG_HDR_BYTES];
        wk__seg_encode_header(s, LOG_SEG_ACTIVE, first, hdr);
        rc = wk_file_pwrite(s->f, hdr, sizeof hdr, 0);
    }
    if (rc == 0)
        rc = wk_file_pwrite(s->f, b->data, b->len, b->off);
    pthread_mutex_lock(&log->mu);
    if (rc != 0) {
        wk__errmsg_set(&log->msg, rc, "write segment '%s'", s->name);
        wk__log_poison(log, rc);
        goto release;
    }
    s->state = LOG_SEG_ACTIVE;
    log->written_fsn = b->last_fsn;
    *q = log->wseq++;
release:
    log->leader = 0;
    wk__log_wake_next_leader(log);
    return rc;
}

/* With the sync turn held: one fdatasync covering every buffer written so
 * far (mu held, released meanwhile: the next batch is gathered and
 * written meanwhile). A failure poisons the log (never retried: the sync
 * turn is never taken again). */
static int
app_sync(wk_log *log)
{
    uint64_t upto = log->wseq - 1;
    wk__seg *s = log->bufs[upto % LOG_NBUF].seg;
    pthread_mutex_unlock(&log->mu);
    uint64_t t0 = app_now_ns();
    int rc = wk_file_sync(s->f, WK_SYNC_DATA);
    uint64_t t1 = app_now_ns();
    pthread_mutex_lock(&log->mu);
    if (rc != 0) {
        wk__errmsg_set(&log->msg, rc, "fdatasync segment '%s'", s->name);
        return wk__log_poison(log, rc);
    }
    if (log->poisoned)
        return log->poisoned;
    log->last_sync_ns = t1 - t0;
    log->st_syncs++;
    app_advance(log, upto);
    return 0;
}

/* Hands the sync turn to a thread waiting for a written batch: returns 1
 * if one was woken. (mu held) */
static int
app_sync_handoff(wk_log *log)
{
    for (uint64_t q = log->dseq; q < log->wseq; q++) {
        log_buf *b = &log->bufs[q % LOG_NBUF];
        if (b->waiters > 0) {
            pthread_cond_signal(&b->cv);
            return 1;
        }
    }
    return 0;
}

/* Takes the sync turn (free: the caller checked) and syncs while written
 * batches are not durable: until target is durable, then at most
 * LOG_SYNC_EXTRA more times before handing the turn to a waiter (one of
 * them would otherwise be late: this thread's own append is done). */
#define LOG_SYNC_EXTRA 0
static int
app_sync_run(wk_log *log, uint64_t target)
{
    int rc = 0, extra = LOG_SYNC_EXTRA, done = 0;
    log->syncing = 1;
    while (!log->poisoned && log->dseq < log->wseq) {
        if (done && log->durable_fsn >= target && extra-- <= 0 &&
            app_sync_handoff(log))
            break;
        rc = app_sync(log);
        if (rc != 0)
            break;
        done = 1;
    }
    log->syncing = 0;
    pthread_cond_signal(&log->gather_cv); /* a leader may gather for it */
    return log->poisoned ? log->poisoned : rc;
}

static void
app_ts(struct timespec *ts, uint64_t ns)
{
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

/* Before sealing a batch, the leader first waits while a sync is in
 * flight (woken by the syncer when it is done; bounded as below, or until
 * the buffer is half full). Then it lets the batch take in every WK_SYNC
 * appender that is already inside an append call (typically the writers
 * the previous batch just acked, on their way back): it waits on
 * gather_cv, signalled each time such an appender starts waiting or
 * leaves, until all of them wait, the buffer is half full, or a bound
 * (twice the last sync's duration, at most 400 us) passes. With one writer
 * nothing waits. Then the optional max_batch_wait_us. (mu held) */
static void
app_gather(wk_log *log)
{
    log_buf *b = &log->bufs[log->oseq % LOG_NBUF];
    if (log->syncing) {
        /* A sync is in flight: this batch could only be synced after it
         * anyway; let it grow until that sync returns. */
        uint64_t bound =
            2 * log->last_sync_ns < 400000u ? 2 * log->last_sync_ns : 400000u;
        struct timespec ts;
        app_ts(&ts, app_now_ns() + bound);
        while (log->syncing && !log->poisoned && b->len < b->cap / 2) {
            if (pthread_cond_timedwait(&log->gather_cv, &log->mu, &ts) != 0)
                break;
            b = &log->bufs[log->oseq % LOG_NBUF];
        }
    }
    if (log->sync_waiting > 0 &&
        log->sync_inside - log->sync_waiting + log->sync_transit > 0) {
        uint64_t bound =
            2 * log->last_sync_ns < 400000u ? 2 * log->last_sync_ns : 400000u;
        struct timespec ts;
        app_ts(&ts, app_now_ns() + bound);
        while (log->sync_inside - log->sync_waiting + log->sync_transit > 0 &&
               !log->poisoned && b->len < b->cap / 2) {
            if (pthread_cond_timedwait(&log->gather_cv, &log->mu, &ts) != 0) {
                log->sync_transit = 0; /* they are not coming back soon */
                break;
            }
            b = &log->bufs[log->oseq % LOG_NBUF];
        }
    }
    if (log->o.max_batch_wait_us > 0) {
        struct timespec ts;
        app_ts(&ts, app_now_ns() + (uint64_t)log->o.max_batch_wait_us * 1000u);
        while (!log->poisoned &&
               pthread_cond_timedwait(&log->gather_cv, &log->mu, &ts) == 0)
            ;
    }
}

void
wk__log_wake_next_leader(wk_log *log)
{
    for (uint64_t q = log->wseq; q <= log->oseq; q++) {
        log_buf *b = &log->bufs[q % LOG_NBUF];
        if (b->waiters > 0)
            pthread_cond_signal(&b->cv);
    }
    if (log->durable_waiters > 0)
        pthread_cond_broadcast(&log->durable_cv);
}

/* Makes FSNs up to target durable: takes the write turn when target is
 * not written and nobody holds it (gathering first when it writes the
 * open buffer), the sync turn when written batches wait for a sync and
 * nobody syncs, and otherwise waits (on b's condition variable: woken when
 * b is durable or a turn passes; b NULL: durable_cv). (mu held) */
int
wk__log_wait_durable(wk_log *log, uint64_t target, log_buf *b)
{
    while (log->durable_fsn < target) {
        if (log->poisoned)
            return log->poisoned;
        if (!log->leader && log->written_fsn < target) {
            if (target >= log->next_fsn)
                return WK_ENOTFOUND; /* target never reserved: a bug */
            log->leader = 1;
            if (log->wseq == log->oseq)
                app_gather(log);
            uint64_t q = 0;
            int rc = app_write(log, &q);
            if (rc != 0 && rc != -EAGAIN)
                return rc;
        } else if (!log->syncing && log->dseq < log->wseq) {
            int rc = app_sync_run(log, target);
            if (rc != 0)
                return rc;
        } else if (b != NULL) {
            b->waiters++;
            pthread_cond_wait(&b->cv, &log->mu);
            b->waiters--;
        } else {
            app_wait_durable_cv(log);
        }
    }
    return 0;
}

/* Reserves n bytes for one frame in the open buffer (mu held); rotates
 * segments and opens buffers as needed. */
static int
app_reserve(wk_log *log, size_t n, uint8_t type, log_buf **bout, size_t *boff,
            uint64_t *fsn, uint32_t *aux, uint32_t *und, int *sealed)
{
    int waited = 0;
    for (;;) {
        int rc = wk__log_check_writable(log);
        if (rc != 0)
            return rc;
        log_buf *b = &log->bufs[log->oseq % LOG_NBUF];
        wk__seg *cur = log->cur;
        int seg_full = cur == NULL || b->off + b->len + n > cur->size;
        /* Seal the open buffer when the frame does not fit in its segment
         * (if it holds frames: an empty one takes a new segment below) or
         * in the buffer itself. */
        if (seg_full ? b->len > 0 : b->len + n > b->cap) {
            rc = app_open_next(log);
            if (rc == -EAGAIN)
                continue;
            if (rc != 0)
                return rc;
            *sealed = 1;
            continue;
        }
        if (seg_full) {
            wk__seg *s = NULL;
            rc = wk__seg_take_ready(log, &s, &waited);
            if (rc == -EAGAIN)
                continue;
            if (rc != 0)
                return rc;
            rc = wk__seg_push(&log->live, &log->nlive, &log->caplive, s);
            if (rc != 0) {
                wk__seg_free(s); /* stays FREE on disk */
                return rc;
            }
            if (LOG_HDR_BYTES + n > s->size)
                return -E2BIG; /* cannot happen: checked at open */
            s->first_fsn = log->next_fsn;
            s->last_fsn = 0;
            s->end = LOG_HDR_BYTES;
            s->durable_end = LOG_HDR_BYTES;
            s->activated = 0;
            s->state = LOG_SEG_ACTIVE;
            log->cur = s;
            b->seg = s;
            b->off = LOG_HDR_BYTES;
            continue;
        }
        uint64_t f = log->next_fsn++;
        uint64_t last = f;
        if (type == LOG_FT_SKIP) {
            /* The FSNs up to skip_to - 1 are used up by the jump. */
            log->next_fsn = log->skip_to;
            last = log->skip_to - 1;
            log->skip_to = 0;
        }
        uint64_t off = b->off + b->len;
        if (cur->nidx == 0 ||
            off - cur->idx[cur->nidx - 1].off >= LOG_IDX_EVERY)
            (void)wk__seg_idx_add(cur, f, off); /* best effort: a hint */
        if (b->nframes == 0)
            b->first_fsn = f;
        /* aux: seq - aux = first FSN of the frame's batch. A CLOSE frame
         * alone in its batch names the previous batch of its segment
         * instead: it adds no evidence that the batch before it was
         * durable (damage there stays a torn tail, as without it). */
        *aux = (uint32_t)(f - b->first_fsn);
        if (type == LOG_FT_CLOSE && b->nframes == 0 &&
            cur->durable_end > LOG_HDR_BYTES && log->last_batch_first != 0 &&
            log->last_batch_first >= cur->first_fsn &&
            f - log->last_batch_first <= UINT32_MAX / 2)
            *aux = (uint32_t)(f - log->last_batch_first);
        /* undurable: FSNs before the batch (as aux names it) that are not
         * known durable now (durable_fsn only grows: a safe bound). */
        uint64_t start = f - *aux;
        uint64_t u =
            start - 1 > log->durable_fsn ? start - 1 - log->durable_fsn : 0;
        *und = u > LOG_UND_MAX ? LOG_UND_MAX : (uint32_t)u;
        b->last_fsn = last;
        b->nframes++;
        if (LOG_FT_IS_ENTRY(type))
            b->nentries++;
        *boff = b->len;
        b->len += n;
        b->writers++;
        cur->end = off + n;
        cur->last_fsn = last;
        *bout = b;
        *fsn = f;
        return 0;
    }
}

int
wk__log_append_frame(wk_log *log, uint8_t type, const uint8_t *pre,
                     size_t prelen, const struct iovec *iov, int iovcnt,
                     size_t len, int flags, uint64_t *lsn, wk__seg **seg_out,
                     uint64_t *off_out)
{
    size_t n = WK__REC_HDR + len;
    int entry = LOG_FT_IS_ENTRY(type);
    log_buf *b = NULL;
    size_t boff = 0;
    uint64_t fsn = 0;
    uint32_t aux = 0, und = 0;
    int sealed = 0;

    int sync = (flags & WK_SYNC) != 0;
    pthread_mutex_lock(&log->mu);
    if (sync) {
        log->sync_inside++;
        if (log->sync_transit > 0)
            log->sync_transit--;
    }
    int rc = app_reserve(log, n, type, &b, &boff, &fsn, &aux, &und, &sealed);
    if (rc != 0) {
        if (sync && --log->sync_inside <= log->sync_waiting)
            pthread_cond_signal(&log->gather_cv);
        pthread_mutex_unlock(&log->mu);
        return rc;
    }
    wk__seg *seg = b->seg;
    uint64_t off = b->off + boff;
    if (entry) {
        if (fsn > log->last_lsn)
            log->last_lsn = fsn;
        log->st_appends++;
        if (type == LOG_FT_FULL)
            log->st_bytes += len;
    }
    if (seg_out != NULL) {
        seg->pins++; /* stream chunk: pinned until commit or rollback */
        *seg_out = seg;
        *off_out = off;
    }
    int want_ckpt = 0;
    if (log->o.checkpoint_fn != NULL && log->o.checkpoint_bytes > 0) {
        log->bytes_since_ckpt += n;
        if (log->bytes_since_ckpt >= log->o.checkpoint_bytes) {
            log->bytes_since_ckpt = 0;
            log->ckpt_req++;
            want_ckpt = 1;
        }
    }
    pthread_mutex_unlock(&log->mu);

    /* Encode and copy outside the lock. */
    uint8_t *p = b->data + boff;
    wk__rec r = {.type = type,
                 .flags = (uint8_t)(und & 0xffu),
                 .aux16 = (uint16_t)(und >> 8),
                 .len = (uint32_t)len,
                 .aux = aux,
                 .seq = fsn};
    wk__rec_put_header(p, &r);
    uint8_t *q = p + WK__REC_HDR;
    if (prelen > 0) {
        memcpy(q, pre, prelen);
        q += prelen;
    }
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len == 0)
            continue;
        memcpy(q, iov[i].iov_base, iov[i].iov_len);
        q += iov[i].iov_len;
    }
    wk__rec_seal(p, seg->salt_crc);

    pthread_mutex_lock(&log->mu);
    if (--b->writers == 0)
        pthread_cond_broadcast(&log->writers_cv);
    if (want_ckpt)
        pthread_cond_signal(&log->bg_cv);
    rc = 0;
    if (sync) {
        log->sync_waiting++;
        if (log->sync_waiting >= log->sync_inside && log->sync_transit == 0)
            pthread_cond_signal(&log->gather_cv);
        rc = wk__log_wait_durable(log, fsn, b);
        log->sync_waiting--;
        log->sync_inside--;
        if (rc == 0 && log->sync_inside + log->sync_transit < 1024)
            log->sync_transit++;
    } else if (sealed && !log->leader && log->wseq < log->oseq &&
               !log->poisoned) {
        /* This appender filled a buffer: write the sealed ones out. */
        rc = wk__log_wait_durable(
            log, log->bufs[(log->oseq - 1) % LOG_NBUF].last_fsn, NULL);
        if (rc != 0 && fsn <= log->durable_fsn)
            rc = 0; /* our entry made it; the error is the next caller's */
    }
    pthread_mutex_unlock(&log->mu);
    if (rc == 0 && lsn != NULL)
        *lsn = fsn;
    return rc;
}

/* Checks an iovec and sums it; -EINVAL / -E2BIG. */
static int
app_iov_len(wk_log *log, const struct iovec *iov, int iovcnt, size_t *len)
{
    if (iovcnt < 0 || (iovcnt > 0 && iov == NULL) || iovcnt > 1024)
        return -EINVAL;
    uint64_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_base == NULL && iov[i].iov_len > 0)
            return -EINVAL;
        total += iov[i].iov_len;
        if (total > log->max_entry)
            return -E2BIG;
    }
    *len = (size_t)total;
    return 0;
}

/* Appends one entry given as iovcnt buffers laid end to end (copied).
 * WK_SYNC: returns once durable. See log.h. */
int
wk_log_appendv(wk_log *log, const struct iovec *iov, int iovcnt, int flags,
               uint64_t *lsn)
{
    if (log == NULL || (flags & ~WK_SYNC) != 0)
        return -EINVAL;
    size_t len = 0;
    int rc = app_iov_len(log, iov, iovcnt, &len);
    if (rc != 0)
        return rc;
    return wk__log_append_frame(log, LOG_FT_FULL, NULL, 0, iov, iovcnt, len,
                                flags, lsn, NULL, NULL);
}

/* Appends one entry of len bytes (copied). See log.h. */
int
wk_log_append(wk_log *log, const void *data, size_t len, int flags,
              uint64_t *lsn)
{
    if (data == NULL && len > 0)
        return -EINVAL;
    struct iovec v = {.iov_base = (void *)data, .iov_len = len};
    return wk_log_appendv(log, &v, 1, flags, lsn);
}

/* Waits until every entry up to lsn (0: all appended) is durable. */
int
wk_log_sync(wk_log *log, uint64_t lsn)
{
    if (log == NULL)
        return -EINVAL;
    pthread_mutex_lock(&log->mu);
    int rc = 0;
    if (log->poisoned)
        rc = WK_EPOISONED;
    else if (log->o.read_only)
        rc = 0;
    else {
        uint64_t last = log->next_fsn - 1;
        rc = wk__log_wait_durable(log, lsn == 0 || lsn > last ? last : lsn,
                                  NULL);
    }
    pthread_mutex_unlock(&log->mu);
    return rc;
}

/* Reads one counter of log under mu. */
static uint64_t
append_get_locked(wk_log *log, const uint64_t *field)
{
    pthread_mutex_lock(&log->mu);
    uint64_t v = *field;
    pthread_mutex_unlock(&log->mu);
    return v;
}

/* Highest LSN up to which everything is durable. */
uint64_t
wk_log_durable_lsn(wk_log *log)
{
    return log == NULL ? 0 : append_get_locked(log, &log->durable_fsn);
}

/* Highest LSN handed out so far. */
uint64_t
wk_log_last_lsn(wk_log *log)
{
    return log == NULL ? 0 : append_get_locked(log, &log->last_lsn);
}
