/* wk_log: the segmented write-ahead log (open, close, lifecycle).
 *
 * FILES in a log directory
 *   LOCK             vfs lock_dir; a second opener gets -EBUSY.
 *   seg-NNNNNN.wal   segment files. N is a slot number, not an order:
 *                    recycled segments keep their name; the order of the
 *                    live segments comes from their headers (first_fsn).
 *   CHECKPOINT       written with wk_vfs_atomic_replace (tmp, fsync,
 *                    rename, fsync dir): "WKLOGCKP" | u32 version (1) |
 *                    u64 checkpointed LSN | u32 CRC32C of bytes 0..19.
 *
 * SEGMENT HEADER (block 0, 4096 bytes, little-endian; the rest is zero)
 *    0  8  magic "WKLOGSEG"
 *    8  4  format version (1; anything else: WK_EFORMAT)
 *   12  4  state: 1 FREE (prepared or recycled: no live frames), 2 ACTIVE
 *   16  8  salt (random, new each time the segment is prepared/recycled)
 *   24  8  first_fsn: seq of the segment's first frame (0 while FREE)
 *   32  8  segment bytes (file size when prepared)
 *   40  4  CRC32C of bytes 0..39
 * Frames start at offset 4096 and follow each other without padding. A
 * frame that does not fit in the rest of a segment goes to the next one;
 * the tail of the segment is left as it was.
 *
 * FRAMES: the common record framing (src/common/record.h): 24-byte header
 * (crc, type, flags, aux16, len, aux, seq) + len payload bytes; CRC32C over
 * header bytes 4..23 and the payload, seeded with the CRC of the segment's
 * salt, so zeros, stale frames of an earlier use of the file, and frames
 * copied from another segment never validate.
 *   seq   FSN, the frame sequence number: dense over the whole log (+1 per
 *         frame, also across segments).
 *   type  1 FULL (one whole entry), 2 CHUNK (part of a streamed entry;
 *         payload u64 stream id, u32 chunk index, data), 3 COMMIT
 *         (completes a streamed entry; payload u64 stream id, u64 total
 *         length, u32 nchunks, then per chunk u32 segment slot, u64 frame
 *         offset, u32 data length), 4 SKIP (payload u64 T: the next frame's
 *         seq is T, not seq + 1; seq < T <= 2^62), 5 CLOSE (clean close;
 *         no payload). SKIP and CLOSE frames are never entries.
 *   aux   seq - aux = seq of the first frame of the frame's batch (group-
 *         commit write), i.e. the index in the batch. Exception: a CLOSE
 *         frame alone in its batch names the previous batch of its segment,
 *         so it is no evidence that that batch was durable (damage there
 *         stays a torn tail, as it would be without the CLOSE).
 *   flags, aux16: undurable = flags | aux16 << 8 (24 bits) = (seq - aux)
 *         - 1 - (durable FSN known when the frame was reserved), clamped
 *         to [0, 2^24 - 1]: its writer knew every FSN up to D = (seq -
 *         aux) - 1 - undurable durable. 0: everything before its batch was
 *         (always so before batches were pipelined).
 * An entry's LSN is the FSN of the frame that completes it (FULL or
 * COMMIT): strictly increasing, never reused (also across crashes), not
 * dense (chunks, SKIP and CLOSE frames use FSNs too).
 *
 * A FRAME IS VALID when its type is 1..5, aux < seq,
 * len fits in the file, the CRC matches with the segment's salt, and a
 * SKIP's target / a CLOSE's empty payload are as above.
 *
 * LSNs NEVER REUSED ACROSS RESTARTS. FSNs handed out but not durable all
 * sit in the LOG_NBUF batch buffers (chunks of streams too), >= 24 bytes a
 * frame, so there are fewer than LOG_NBUF * (batch_bytes + 24) / 24, which
 * the cap batch_bytes <= 64 MiB keeps below LOG_SKIP_DELTA = 2^24 (above
 * the cap: -EINVAL). wk_log_close (not poisoned) writes a CLOSE frame with
 * the last batch and syncs it. At open, if the last valid frame of the log
 * is that CLOSE (nothing torn or corrupt, no higher FSN seen anywhere),
 * the log continues densely: the CLOSE is zeroed and fdatasync'd (before
 * any LSN is handed out, so a session that crashes with nothing durable
 * does not find the CLOSE again) and its FSN is the next one. Otherwise (a
 * crash; a directory that never held a segment or a checkpoint starts at
 * 1 instead), the open writes and fdatasyncs a SKIP frame at E (the FSN
 * where the log continues) with T = max(E, highest FSN seen in any valid
 * frame or header + 1, checkpoint + 1) + 2^24, alone in its batch, before
 * it returns: so the SKIP is durable before any LSN of the session is
 * handed out, and every LSN the crashed session can have returned is
 * below T. A crash that leaves only the SKIP: the next open finds no CLOSE
 * and skips again from T. (A point-in-time recovery first scans what it
 * discards for its highest FSN.)
 *
 * WRITE PATH AND DURABILITY: appenders reserve space in the open batch
 * buffer under the mutex, copy outside it; a leader (write turn) seals the
 * buffer and issues ONE pwrite of it at its segment offset (plus the
 * segment's ACTIVE header if this is the segment's first batch); pwrites
 * are in FSN order. fdatasyncs (sync turn) are one at a time, each covering
 * every batch written before it began: only that makes them durable;
 * durable_lsn moves only after it returns 0 (and nothing moves once the log
 * is poisoned), and WK_SYNC appenders are acked in LSN order. The next
 * batch is gathered and written while the previous one syncs (at most
 * LOG_NBUF - 1 = 2 batches written and not durable), so a crash can leave
 * a later batch on disk without an earlier one: its frames say so
 * (undurable > 0). Never across segments: the first batch of a segment is
 * written only once every earlier batch is durable. Segments are created
 * (create_prealloc without zero-fill: create, allocate, fsync file, fsync
 * dir) and given a FREE header (pwrite + fdatasync) by the background
 * thread, never on the commit path, and are READY at once. With
 * opts.zero_fill the background thread then zero-fills READY segments in
 * 1 MiB writes and one final fdatasync, so that commits of slow, sync-heavy
 * workloads write into written space; the fill pauses while appends are
 * bulk (the last batch filled half its buffer: the fill would only compete
 * with them and be overwritten). Rotation takes a READY segment whether its
 * fill finished or not: it sets the segment's abort flag (no zero write
 * starts after it) and waits only for the zero write in progress, so no
 * zero lands after a frame. Recycled segments are written space already. The
 * CHECKPOINT file is made durable (atomic_replace) before any segment it covers
 * is recycled; recycling takes a prefix of the live segments, oldest first,
 * each step durable before the next (header rewritten FREE with a new salt +
 * fdatasync, or unlink + directory fsync), so the ACTIVE segments left on disk
 * are always contiguous. A segment holding chunks of a streamed entry is
 * recycled only together with the segment holding its COMMIT frame. The first
 * failed write or sync poisons the handle (never retried).
 *
 * RECOVERY (wk__log_recover, log_recover.c)
 *  1. List seg-*.wal. Blank files (all-zero header or shorter than a
 *     header: a creation cut short) are removed. A header with a bad
 *     magic/CRC is corruption (a header is 44 bytes inside one sector and
 *     is written whole or not at all, so a torn header cannot happen). FREE
 *     segments go to the pool; they are re-salted before reuse. ACTIVE ones
 *     are sorted by first_fsn. Read CHECKPOINT (missing: 0).
 *  2. E = first_fsn of the first segment (must be <= checkpoint + 1, else
 *     WK_EGAP). Walk each segment from 4096: a valid frame with seq == E is
 *     accepted (E++). (A COMMIT is accepted only if each chunk it names is
 *     a valid CHUNK frame with its stream id and index in a live segment.)
 *     The walk stops at offset X. Classify:
 *       - search forward (byte by byte, cheap pre-filter, then CRC) for
 *         valid frames after X. One whose writer knew E durable (E <= D,
 *         i.e. seq - aux > E + undurable): CORRUPTION at X (X had been
 *         durable). Any other (the same unsynced batch, or a later one
 *         written while X's was not durable yet) is part of the torn tail.
 *         (undurable = 0: "batch start > E", the rule before pipelining.)
 *       - nothing valid after X and the frame at X is not a plausible torn
 *         frame (seq == E): a clean end. The next segment must start at
 *         first_fsn == E (WK_EGAP if greater, WK_ECORRUPT if less).
 *       - otherwise (torn frame at X or same-batch frames after it): if a
 *         later segment holds valid frames -> CORRUPTION; else a TORN TAIL.
 *     ACTIVE segments with no valid frame at all (an activation whose
 *     batch never became durable) are freed. A valid SKIP frame with
 *     seq == E is accepted and sets E to its target; a CLOSE is accepted
 *     (E++); neither is handed to recover_fn, readers or iterators.
 *  3. Policies: TOLERATE_TORN_TAIL: torn tail truncated, corruption fails
 *     open. ABSOLUTE: torn tail fails too. POINT_IN_TIME: stop at the first
 *     problem; the rest is discarded. SKIP_CORRUPT: resume at the next
 *     valid frame (holes reported).
 *  4. Read-write opens then make it durable before any append: later
 *     segments to discard are re-salted FREE (last first), then the torn
 *     region [X, end of the farthest frame of the torn batch) is zeroed
 *     and fdatasync'd. Then the frames of the last segment not known
 *     durable by the writer of its last frame (the batches in flight then)
 *     are read and written back unchanged and fdatasync'd: a batch whose
 *     fdatasync failed stays readable in the page cache but is not durable
 *     (pages marked clean), and a same-boot reopen must not build on it.
 *     Appends continue in the last segment at X with FSN E. A crash in the
 *     middle leaves a state that recovers to the same result (recovery is
 *     idempotent). (Before recovery, a read-write open fsyncs the log
 *     directory and its parent: names a failed earlier session created may
 *     not be durable yet.)
 *  Entries with LSN <= the checkpoint are not handed to recover_fn.
 *  5. Next FSN: see "LSNs never reused across restarts" (the CLOSE zeroed
 *     with the torn region, or the SKIP frame written at E right after).
 *     Read-only opens: E (the CLOSE's FSN after a clean close).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "io/path.h"
#include "log/log_internal.h"

/* Fills opts with defaults. */
void
wk_log_opts_init(wk_log_opts *opts)
{
    if (opts == NULL)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->segment_bytes = 64u << 20;
    opts->max_entry_bytes = 4u << 20;
    opts->batch_bytes = 4u << 20;
    opts->max_batch_wait_us = 0;
    opts->recycle_pool = 4;
    opts->zero_fill = 1;
    opts->create_if_missing = 1;
    opts->recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
}

int
wk__log_poison(wk_log *log, int rc)
{
    if (log->poisoned == 0)
        log->poisoned = rc;
    pthread_cond_broadcast(&log->durable_cv);
    pthread_cond_broadcast(&log->writers_cv);
    pthread_cond_broadcast(&log->seg_cv);
    pthread_cond_broadcast(&log->ckpt_cv);
    pthread_cond_broadcast(&log->bg_cv);
    for (int i = 0; i < LOG_NBUF; i++)
        pthread_cond_broadcast(&log->bufs[i].cv);
    return rc;
}

int
wk__log_check_writable(wk_log *log)
{
    if (log->closing)
        return WK_ECLOSED;
    if (log->poisoned)
        return WK_EPOISONED;
    if (log->o.read_only)
        return -EROFS;
    return 0;
}

static int
log_check_opts(const wk_log_opts *o)
{
    if (o->segment_bytes < (64u << 10) || o->segment_bytes > (1ull << 40))
        return -EINVAL;
    if (o->batch_bytes < 4096 || o->batch_bytes > LOG_MAX_BATCH)
        return -EINVAL; /* the cap keeps unsynced FSNs < LOG_SKIP_DELTA */
    if (o->max_entry_bytes == 0 || o->max_entry_bytes > o->batch_bytes)
        return -EINVAL;
    if ((unsigned)o->recovery > WK_RECOVER_SKIP_CORRUPT)
        return -EINVAL;
    return 0;
}

static int
log_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return -rc;
}

static void
log_free_segs(wk__seg **a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        wk__seg_free(a[i]);
    wk__free(a);
}

/* Frees everything (threads stopped, lock released by the caller). */
static void
log_destroy(wk_log *log)
{
    log_free_segs(log->live, log->nlive);
    log_free_segs(log->ready, log->nready);
    log_free_segs(log->prep, log->nprep);
    for (int i = 0; i < LOG_NBUF; i++) {
        wk__free(log->bufs[i].data);
        pthread_cond_destroy(&log->bufs[i].cv);
    }
    pthread_cond_destroy(&log->durable_cv);
    pthread_cond_destroy(&log->writers_cv);
    pthread_cond_destroy(&log->seg_cv);
    pthread_cond_destroy(&log->bg_cv);
    pthread_cond_destroy(&log->ckpt_cv);
    pthread_cond_destroy(&log->gather_cv);
    pthread_cond_destroy(&log->close_cv);
    pthread_mutex_destroy(&log->mu);
    wk__errmsg_destroy(&log->msg);
    wk__free(log->dir);
    wk__free(log);
}

/* Creates the directory if allowed. A read-write open then makes the
 * directory's name and its entries durable (fsync of the parent and of the
 * directory) whether it created it or not: a previous session in this boot
 * may have created them and failed (or died) before their fsync, and
 * nothing may be acknowledged inside a name that a power cut can undo. */
static int
log_prepare_dir(wk_log *log)
{
    wk_vfs_stat st;
    int rc = log->vfs->stat(log->vfs, log->dir, &st);
    if (rc == 0 && st.type != WK_VFS_DIR)
        return -ENOTDIR;
    if (rc != 0 && rc != -ENOENT)
        return wk__errmsg_set(&log->msg, rc, "stat '%s'", log->dir);
    if (rc == -ENOENT) {
        if (!log->o.create_if_missing || log->o.read_only)
            return wk__errmsg_set(&log->msg, -ENOENT, "open log '%s'",
                                  log->dir);
        rc = log->vfs->mkdir(log->vfs, log->dir);
        if (rc != 0 && rc != -EEXIST)
            return wk__errmsg_set(&log->msg, rc, "mkdir '%s'", log->dir);
    }
    if (log->o.read_only)
        return 0;
    char *parent = wk__path_dirname(log->dir);
    if (parent == NULL)
        return WK_ENOMEM;
    rc = log->vfs->sync_dir(log->vfs, parent);
    wk__free(parent);
    if (rc != 0)
        return wk__errmsg_set(&log->msg, rc, "fsync parent of '%s'", log->dir);
    rc = log->vfs->sync_dir(log->vfs, log->dir);
    if (rc != 0)
        return wk__errmsg_set(&log->msg, rc, "fsync directory '%s'", log->dir);
    return 0;
}

/* Opens (creating if allowed) the log in dir and recovers it. See log.h. */
int
wk_log_open(const char *dir, const wk_log_opts *opts, wk_log **out,
            wk_log_report *report)
{
    wk_log_report rep_local;
    wk_log_report *rep = report != NULL ? report : &rep_local;
    memset(rep, 0, sizeof *rep);
    if (dir == NULL || out == NULL || dir[0] == '\0')
        return -EINVAL;
    wk_log_opts o;
    wk_log_opts_init(&o);
    if (opts != NULL) {
        if (opts->size < offsetof(wk_log_opts, checkpoint_bytes) ||
            opts->size > sizeof o)
            return -EINVAL;
        memcpy(&o, opts, opts->size);
        o.size = sizeof o;
    }
    int rc = log_check_opts(&o);
    if (rc != 0)
        return rc;
    if (o.vfs == NULL)
        o.vfs = wk_vfs_posix();

    wk_log *log = wk__calloc(1, sizeof *log);
    if (log == NULL)
        return WK_ENOMEM;
    log->o = o;
    log->vfs = o.vfs;
    wk__errmsg_init(&log->msg);
    pthread_mutex_init(&log->mu, NULL);
    log_cond_init(&log->durable_cv);
    log_cond_init(&log->writers_cv);
    log_cond_init(&log->seg_cv);
    log_cond_init(&log->bg_cv);
    log_cond_init(&log->ckpt_cv);
    log_cond_init(&log->gather_cv);
    log_cond_init(&log->close_cv);
    for (int i = 0; i < LOG_NBUF; i++)
        log_cond_init(&log->bufs[i].cv);
    log->max_entry = o.max_entry_bytes;
    if (log->max_entry > o.segment_bytes - LOG_HDR_BYTES - WK__REC_HDR)
        log->max_entry = o.segment_bytes - LOG_HDR_BYTES - WK__REC_HDR;
    log->chunk_bytes = 1u << 20;
    if (log->chunk_bytes > o.batch_bytes)
        log->chunk_bytes = o.batch_bytes;
    if (log->chunk_bytes > o.segment_bytes - LOG_HDR_BYTES - WK__REC_HDR)
        log->chunk_bytes = o.segment_bytes - LOG_HDR_BYTES - WK__REC_HDR;
    log->chunk_bytes -= LOG_CHUNK_HDR;
    log->dir = wk__strdup(dir);
    if (log->dir == NULL) {
        rc = WK_ENOMEM;
        goto out_log;
    }
    rc = log_prepare_dir(log);
    if (rc != 0)
        goto out_log;
    if (!o.read_only) {
        rc = log->vfs->lock_dir(log->vfs, log->dir, &log->lock);
        if (rc != 0) {
            wk__errmsg_set(&log->msg, rc, "lock log '%s'", log->dir);
            goto out_log;
        }
        for (int i = 0; i < LOG_NBUF; i++) {
            log->bufs[i].cap = o.batch_bytes + WK__REC_HDR;
            log->bufs[i].data = wk__malloc(log->bufs[i].cap);
            if (log->bufs[i].data == NULL) {
                rc = WK_ENOMEM;
                goto out_lock;
            }
        }
    }
    rc = wk__log_recover(log, log->vfs, log->dir, &log->o, rep);
    if (rc != 0)
        goto out_lock;
    if (!o.read_only) {
        log_buf *b = &log->bufs[0];
        b->state = LOG_BUF_OPEN;
        b->seg = log->cur;
        b->off = log->cur != NULL ? log->cur->end : LOG_HDR_BYTES;
        log->dseq = log->wseq = log->oseq = 0;
        log->written_fsn = log->durable_fsn;
        /* Prepare the segments the first appends will need now, at open,
         * rather than on the first commit or (background) during the
         * first commits: the current one and one ready. */
        uint32_t target = log->cur == NULL ? 2 : 1;
        while (rc == 0 && log->nready + log->nprep < target) {
            wk__seg *s = NULL;
            rc = wk__seg_create(log, &s);
            if (rc == 0) {
                rc = wk__seg_push(&log->ready, &log->nready, &log->capready, s);
                if (rc != 0)
                    wk__seg_free(s);
            }
            if (rc != 0 && (log->cur != NULL || log->nready > 0)) {
                rc = 0; /* the spare is best effort: the background thread
                           retries, a rotation without one fails then */
                break;
            }
        }
        if (rc != 0)
            goto out_lock;
        if (log->skip_to != 0) {
            /* After a crash: the SKIP frame is durable before any LSN is
             * handed out (so a crash before this session's first batch
             * cannot make it hand out the same LSNs again). */
            uint8_t pl[LOG_SKIP_LEN];
            wk__put64(pl, log->skip_to);
            rc = wk__log_append_frame(log, LOG_FT_SKIP, pl, sizeof pl, NULL, 0,
                                      sizeof pl, WK_SYNC, NULL, NULL, NULL);
            if (rc != 0)
                goto out_lock;
        }
        rc = wk__log_bg_start(log);
        if (rc != 0)
            goto out_lock;
    }
    *out = log;
    return 0;
out_lock:
    if (log->lock != NULL)
        log->vfs->unlock_dir(log->vfs, log->lock);
out_log:
    if (report != NULL && rc != 0 && rep->corruptions == 0 &&
        log->msg.text[0] == '\0')
        wk__errmsg_set(&log->msg, rc, "open log '%s'", dir);
    log_destroy(log);
    return rc;
}

/* Flushes, stops the background thread, releases the lock, frees. */
int
wk_log_close(wk_log *log)
{
    if (log == NULL)
        return 0;
    int rc = 0;
    /* The background thread first (a checkpoint never covers the CLOSE
     * frame; a zero-fill in progress stops after its chunk). */
    wk__log_bg_stop(log);
    if (!log->o.read_only) {
        /* Flush everything together with a CLOSE frame (one batch when
         * entries are pending), durably: the next open continues densely
         * only after a CLOSE that ends the log. Poisoned: no CLOSE (the
         * next open then jumps its FSNs). */
        pthread_mutex_lock(&log->mu);
        int poisoned = log->poisoned;
        pthread_mutex_unlock(&log->mu);
        if (!poisoned)
            rc = wk__log_append_frame(log, LOG_FT_CLOSE, NULL, 0, NULL, 0, 0,
                                      WK_SYNC, NULL, NULL, NULL);
    }
    pthread_mutex_lock(&log->mu);
    log->closing = 1;
    pthread_cond_broadcast(&log->durable_cv);
    pthread_cond_broadcast(&log->ckpt_cv);
    pthread_cond_broadcast(&log->seg_cv);
    if (rc == 0 && log->poisoned)
        rc = log->poisoned;
    pthread_mutex_unlock(&log->mu);
    wk__log_iters_orphan(log);
    if (log->lock != NULL) {
        int urc = log->vfs->unlock_dir(log->vfs, log->lock);
        if (rc == 0)
            rc = urc;
    }
    log_destroy(log);
    return rc;
}

/* Statistics snapshot. */
void
wk_log_stats_get(wk_log *log, wk_log_stats *st)
{
    if (st == NULL)
        return;
    memset(st, 0, sizeof *st);
    if (log == NULL)
        return;
    pthread_mutex_lock(&log->mu);
    st->appends = log->st_appends;
    st->bytes = log->st_bytes;
    st->batches = log->st_batches;
    st->syncs = log->st_syncs;
    st->mean_batch = log->st_batches ? (double)log->st_entries_batched /
                                           (double)log->st_batches
                                     : 0.0;
    st->durable_lsn = log->durable_fsn;
    st->last_lsn = log->last_lsn;
    st->checkpointed_lsn = log->ckpt_lsn;
    st->checkpoints = log->st_checkpoints;
    st->segments = log->nlive;
    st->recycled = log->nready + log->nprep;
    /* The size of the existing segments (from their headers): the one
     * being written, else the newest live one, else a ready one. */
    const wk__seg *sg = log->cur;
    if (sg == NULL && log->nlive > 0)
        sg = log->live[log->nlive - 1];
    if (sg == NULL && log->nready > 0)
        sg = log->ready[0];
    st->segment_bytes =
        sg != NULL && sg->hdr_bytes != 0 ? sg->hdr_bytes : log->o.segment_bytes;
    st->rotation_waits = log->st_rotate_waits;
    st->poisoned = log->poisoned;
    pthread_mutex_unlock(&log->mu);
}

/* Last error description on this handle. */
const char *
wk_log_errmsg(wk_log *log)
{
    if (log == NULL)
        return "";
    return wk__errmsg_get(&log->msg);
}

/* Verifies a log directory read-only. See log.h. */
int
wk_log_verify(const char *dir, wk_vfs *vfs, wk_log_report *report)
{
    wk_log_report local;
    wk_log_report *rep = report != NULL ? report : &local;
    memset(rep, 0, sizeof *rep);
    if (dir == NULL)
        return -EINVAL;
    if (vfs == NULL)
        vfs = wk_vfs_posix();
    wk_vfs_stat st;
    int rc = vfs->stat(vfs, dir, &st);
    if (rc != 0)
        return rc;
    if (st.type != WK_VFS_DIR)
        return -ENOTDIR;
    wk_log_opts o;
    wk_log_opts_init(&o);
    o.read_only = 1;
    o.vfs = vfs;
    o.recovery = WK_RECOVER_SKIP_CORRUPT;
    return wk__log_recover(NULL, vfs, dir, &o, rep);
}
