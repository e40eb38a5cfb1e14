/* wk_blob: the blob store (open, recovery, close, compaction, stats).
 *
 * FILES in a blob directory DIR
 *   LOCK                 vfs lock_dir (read-write opens); 2nd opener -EBUSY.
 *   BLOB                 identity, written once with wk_vfs_atomic_replace:
 *                        "WKBLOBST" | u32 format version (1) | u32 0 |
 *                        u64 store id (random) | u32 CRC32C of bytes 0..23.
 *                        Bad magic/CRC/version: WK_EFORMAT.
 *   log/                 the command log: a wk_log (public API only).
 *   chunk-NNNNNNNN.blob  chunk files, N = 1, 2, ... never reused within a
 *                        store. 4096-byte header, then object and stream
 *                        bytes back to back (no framing: each extent is
 *                        located and checksummed by its command record).
 *   SNAPSHOT             index snapshot (atomic_replace), see below.
 *
 * CHUNK HEADER (little-endian; rest of the 4096 bytes zero)
 *    0  8  "WKBLOBCH"     8 4 version (1)     12 4 chunk number N
 *   16  8  chunk bytes    24 8 store id       32 4 CRC32C of bytes 0..31
 * A chunk whose first bytes are all zero (creation cut short) is blank: no
 * record can name it; open removes it. Any other bad header: WK_ECORRUPT
 * (version: WK_EFORMAT). The usable size is min(header size, file size),
 * so a truncated file is never mapped or read past its end.
 *
 * COMMAND RECORDS: one wk_log entry each; byte 0 type, byte 1 zero, then
 * (little-endian):
 *   1 PUT      u32 chunk | u64 off | u64 len | u32 crc32c | u64 tag  (34 B)
 *   2 DEL      u64 object id                                         (10 B)
 *   3 KVSET    u32 klen | u32 vlen | key | value
 *   4 KVDEL    u32 klen | key
 *   5 SAPPEND  u64 stream | u64 stream off | u32 chunk | u64 off |
 *              u64 len | u32 crc32c                                  (42 B)
 *   6 MOVE     u64 object id | u32 chunk | u64 off: the object's bytes
 *              now live there (length and CRC unchanged)             (22 B)
 * An object's id is the LSN of its PUT record (LSNs are never reused, also
 * across crashes, so neither are ids). A RECORD IS VALID when the wk_log
 * entry is (framing, CRC, sequence: wk_log's job) and its length is exactly
 * the one its type implies, klen in 1..1024, vlen <= 64 KiB, extents start
 * at >= 4096 and off + len cannot overflow (len 0: chunk 0, off 0), a DEL
 * names a live object, a KVDEL a present key, and a SAPPEND's stream
 * offset equals the stream's size, a MOVE names a live non-empty object
 * (and its new extent cannot overflow). After replay every live extent must lie
 * inside an existing chunk. Invalid: WK_ECORRUPT (SKIP_CORRUPT drops it).
 * Every object's bytes carry their CRC32C in the record; reads verify it.
 *
 * SNAPSHOT: "WKBLOBSN" | u32 version | u32 0 | u64 store id | u64 LSN |
 * u64 nchunks | u64 nobjects | u64 nkv | u64 nstreams (64 bytes), then
 * chunks (u32 num, u64 end of the highest extent ever placed there),
 * objects (u64 id, u32 chunk, u64 off, u64 len, u32 crc, u64 tag), kv
 * (u32 klen, u32 vlen, key, value), streams (u64 id, u64 nextents, then
 * per extent u32 chunk, u64 off, u64 len, u32 crc), then a u32 CRC32C of
 * everything before. It holds the index after every record with LSN <=
 * its LSN. Counts are bounded by the bytes left before anything is
 * allocated.
 *
 * WRITE PATH AND DURABILITY (put / stream append)
 *  1. Under the mutex: reserve [off, off+len) at the tail of the current
 *     chunk. A full chunk is rotated: a new chunk file is created with
 *     wk_vfs_create_prealloc (create, fallocate, fsync file, fsync dir),
 *     its header written, before anything in it is referenced.
 *  2. Unlocked: ONE pwrite of the bytes; then a group fdatasync of the chunk
 *     (leader/follower: one sync covers every write completed before it
 *     started). This makes the bytes (and the header) durable BEFORE any
 *     record naming them exists (the MemmapFS defect: block data never
 *     synced while the log record pointing at it was).
 *  3. Under the mutex: the record is appended to the wk_log without
 *     WK_SYNC and applied to the index, so LSN order = apply order (a
 *     snapshot of the index is always a prefix of the log) and a stream's
 *     appends get offsets in LSN order.
 *  4. WK_SYNC: wk_log_sync(lsn) (group commit inside wk_log). Only that sync
 *     makes the record durable; non-synced records become durable with the
 *     next sync of anyone, wk_blob_sync or close.
 *  DEL/KVSET/KVDEL are steps 3-4. So one put costs one pwrite + a share of
 *  one chunk fdatasync + a share of one log fdatasync.
 *  The first failed write or sync (chunk or log) poisons the handle: every
 *  later mutation returns WK_EPOISONED; fsync is never retried.
 *
 * READS: wk_blob_get maps a sealed chunk (rotated and no write in flight:
 * its bytes never change again) once, read-only, and returns pointers into
 * the map (zero-copy; the chunk is pinned until the view is released). The
 * chunk being written is read with pread into a buffer the view owns. Every
 * get checks the CRC; wk_blob_read / stream reads check an object or extent
 * in full on their first read since open.
 *
 * SPACE: a chunk is removed (unlink + directory fsync) when it is not the
 * current one, holds no live object (stream extents pin it forever), no
 * view or I/O uses it, and every delete of an object in it is durable in
 * the log. Done after synced deletes, wk_blob_sync, compact and at open.
 * Partly dead chunks: wk_blob_compact moves the live objects of sealed
 * chunks below compact_live_pct (and without stream data) into the current
 * chunk, each move made like a put (bytes written and chunk-synced, then a
 * MOVE record appended only if the object is still where it was); the old
 * chunk's del_lsn becomes the MOVE's LSN, so it is removed only once the
 * move is durable; views of the old place keep it until released.
 * The command log is compacted by snapshots: wk_log's checkpoint callback
 * (every checkpoint_bytes of log, or wk_blob_compact) writes SNAPSHOT with
 * the whole index at applied_lsn (>= the checkpoint LSN) durably, then
 * wk_log recycles the segments it covers. The snapshot may include records
 * not yet durable in the log: their chunk bytes are durable already and
 * their LSNs are never reused, so a crash that loses them from the log
 * still recovers a consistent state (they count as durable).
 *
 * RECOVERY (open)
 *  1. mkdir (+ fsync parent) if allowed; lock; read or create BLOB.
 *  2. Scan chunk files: remove blank ones, check headers.
 *  3. Load SNAPSHOT (if any): index as of its LSN S.
 *  4. Open the wk_log (its own recovery: torn tails truncated durably
 *     before any new append, so nothing is ever appended behind garbage);
 *     replay every entry with LSN > S through the decoder above.
 *  5. Check every live extent lies in an existing chunk (WK_ECORRUPT).
 *  6. The highest-numbered chunk is the current one; appends continue at
 *     the end of the highest extent any record placed there (bytes beyond,
 *     from puts whose records were lost, are overwritten). Every other
 *     chunk is sealed. Remove chunks that hold nothing live.
 *  Each step is idempotent: a crash inside recovery recovers the same.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "blob/blob_internal.h"
#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "io/path.h"

void
wk_blob_opts_init(wk_blob_opts *opts)
{
    if (opts == NULL)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->chunk_bytes = 64u << 20;
    opts->max_object_bytes = 0; /* chunk_bytes - header */
    opts->log_segment_bytes = 64u << 20;
    opts->checkpoint_bytes = 64u << 20;
    opts->log_zero_fill = 1;
    opts->compact_live_pct = 50;
    opts->create_if_missing = 1;
    opts->recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
}

static int
blob_check_opts(wk_blob_opts *o)
{
    if (o->chunk_bytes < BLOB_MIN_CHUNK || o->chunk_bytes > BLOB_MAX_CHUNK)
        return -EINVAL;
    if (o->max_object_bytes == 0)
        o->max_object_bytes = o->chunk_bytes - BLOB_CHUNK_HDR;
    if (o->max_object_bytes > o->chunk_bytes - BLOB_CHUNK_HDR)
        return -EINVAL;
    if ((unsigned)o->recovery > WK_RECOVER_SKIP_CORRUPT ||
        o->compact_live_pct > 100)
        return -EINVAL;
    return 0;
}

/* ---- identity file --------------------------------------------------- */

static int
blob_foreign_entry(void *arg, const char *name)
{
    (void)arg;
    return strcmp(name, "LOCK") != 0 && strcmp(name, "BLOB.tmp") != 0;
}

static int
blob_ident(wk_blob *b)
{
    uint8_t h[BLOB_IDENT_LEN];
    void *data = NULL;
    size_t len = 0;
    char *path = wk__path_join(b->dir, "BLOB");
    if (path == NULL)
        return WK_ENOMEM;
    int rc = wk_vfs_read_all(b->vfs, path, 4096, &data, &len);
    if (rc == -ENOENT) {
        /* A new store only in a directory holding nothing else (a crash
         * may have left LOCK or BLOB.tmp): never adopt another tool's
         * files. */
        int foreign = b->vfs->list(b->vfs, b->dir, blob_foreign_entry, NULL);
        if (foreign != 0) {
            rc = wk__errmsg_set(&b->msg, foreign > 0 ? WK_EFORMAT : foreign,
                                "'%s' has no BLOB file and is not empty: "
                                "not a walkit blob store",
                                b->dir);
            goto out;
        }
        rc = -ENOENT;
    }
    if (rc == -ENOENT && b->o.create_if_missing && !b->o.read_only) {
        uint64_t id = 0;
        rc = b->vfs->random(b->vfs, &id, sizeof id);
        if (rc == 0) {
            memset(h, 0, sizeof h);
            memcpy(h, "WKBLOBST", 8);
            wk__put32(h + 8, BLOB_VERSION);
            wk__put64(h + 16, id);
            wk__put32(h + 24, wk__crc32c(0, h, 24));
            rc = wk_vfs_atomic_replace(b->vfs, path, h, sizeof h);
        }
        if (rc == 0)
            b->store_id = id;
        else
            rc = wk__errmsg_set(&b->msg, rc, "create '%s'", path);
        goto out;
    }
    if (rc != 0) {
        rc = wk__errmsg_set(&b->msg, rc, "read '%s'", path);
        goto out;
    }
    const uint8_t *p = data;
    if (len != BLOB_IDENT_LEN || memcmp(p, "WKBLOBST", 8) != 0 ||
        wk__get32(p + 24) != wk__crc32c(0, p, 24)) {
        rc = wk__errmsg_set(&b->msg, WK_EFORMAT,
                            "'%s' is not a walkit blob store", path);
        goto out;
    }
    if (wk__get32(p + 8) != BLOB_VERSION) {
        rc = wk__errmsg_set(&b->msg, WK_EFORMAT,
                            "'%s': format version %u (expected %u)", path,
                            wk__get32(p + 8), BLOB_VERSION);
        goto out;
    }
    b->store_id = wk__get64(p + 16);
out:
    wk_free(data);
    wk__free(path);
    return rc;
}

static int
blob_prepare_dir(wk_blob *b)
{
    wk_vfs_stat st;
    int rc = b->vfs->stat(b->vfs, b->dir, &st);
    if (rc == 0)
        return st.type == WK_VFS_DIR ? 0 : -ENOTDIR;
    if (rc != -ENOENT)
        return wk__errmsg_set(&b->msg, rc, "stat '%s'", b->dir);
    if (!b->o.create_if_missing || b->o.read_only)
        return wk__errmsg_set(&b->msg, -ENOENT, "open blob store '%s'", b->dir);
    rc = b->vfs->mkdir(b->vfs, b->dir);
    if (rc != 0 && rc != -EEXIST)
        return wk__errmsg_set(&b->msg, rc, "mkdir '%s'", b->dir);
    char *parent = wk__path_dirname(b->dir);
    if (parent == NULL)
        return WK_ENOMEM;
    rc = b->vfs->sync_dir(b->vfs, parent);
    wk__free(parent);
    if (rc != 0)
        return wk__errmsg_set(&b->msg, rc, "fsync parent of '%s'", b->dir);
    return 0;
}

/* ---- replay ------------------------------------------------------------ */

static void
blob_note(wk_blob *b, const char *what)
{
    if (b->rep != NULL && b->rep->problem[0] == '\0')
        snprintf(b->rep->problem, sizeof b->rep->problem, "%s", what);
}

/* An invalid record: dropped under SKIP_CORRUPT, fatal otherwise. */
static int
blob_bad_record(wk_blob *b, int rc)
{
    if (b->rep != NULL)
        b->rep->bad_records++;
    blob_note(b, wk__errmsg_get(&b->msg));
    if (b->o.recovery == WK_RECOVER_SKIP_CORRUPT)
        return 0;
    b->replay_rc = rc;
    return rc;
}

static int
blob_recover_fn(void *arg, const wk_log_entry *e)
{
    wk_blob *b = arg;
    if (e->lsn <= b->snap_lsn)
        return 0;
    if (b->rep != NULL)
        b->rep->records++;
    wk__brec r;
    if (e->data == NULL || e->len > WK__BREC_MAX ||
        wk__brec_decode(e->data, (size_t)e->len, &r) != 0) {
        wk__errmsg_set(&b->msg, WK_ECORRUPT,
                       "invalid command record at LSN %llu (%llu bytes)",
                       (unsigned long long)e->lsn, (unsigned long long)e->len);
        return blob_bad_record(b, WK_ECORRUPT);
    }
    int rc = wk__blob_apply(b, &r, e->lsn);
    if (rc == WK_ECORRUPT)
        return blob_bad_record(b, rc);
    return rc;
}

/* Checks every live extent against the chunks (step 5). */
static int
blob_check_extents(wk_blob *b)
{
    char what[160];
    for (size_t i = 0; i < b->nobj; i++) {
        blob_obj *o = &b->objs[i];
        if (o->deleted || o->len == 0)
            continue;
        blob_chunk *c = wk__blob_chunk_find(b, o->chunk);
        if (c != NULL && o->off <= c->size && o->len <= c->size - o->off)
            continue;
        snprintf(what, sizeof what,
                 "object %llu: extent %llu+%llu of chunk %u %s",
                 (unsigned long long)o->id, (unsigned long long)o->off,
                 (unsigned long long)o->len, o->chunk,
                 c == NULL ? "(chunk file missing)" : "outside the file");
        wk__errmsg_set(&b->msg, WK_ECORRUPT, "%s", what);
        int rc = blob_bad_record(b, WK_ECORRUPT);
        if (rc != 0)
            return rc;
        o->deleted = 1; /* SKIP_CORRUPT: dropped from the index */
        b->ndead++;
        b->live_objs--;
        b->live_bytes -= o->len;
        if (c != NULL) {
            c->live--;
            c->live_bytes -= o->len;
        }
    }
    for (size_t i = 0; i < b->nstreams; i++) {
        blob_stream *s = b->streams[i];
        for (size_t j = 0; j < s->next; j++) {
            blob_ext *e = &s->ext[j];
            blob_chunk *c = wk__blob_chunk_find(b, e->chunk);
            if (c != NULL && e->off <= c->size && e->len <= c->size - e->off)
                continue;
            wk__errmsg_set(&b->msg, WK_ECORRUPT,
                           "stream %llu: extent at %llu in chunk %u is "
                           "missing",
                           (unsigned long long)s->id,
                           (unsigned long long)e->soff, e->chunk);
            int rc = blob_bad_record(b, WK_ECORRUPT);
            if (rc != 0)
                return rc;
            s->next = j; /* SKIP_CORRUPT: the stream ends before it */
            s->size = e->soff;
            break;
        }
    }
    return 0;
}

/* ---- open / close ------------------------------------------------------ */

static void
blob_free(wk_blob *b)
{
    for (size_t i = 0; i < b->nchunks; i++)
        wk__blob_chunk_free(b, b->chunks[i]);
    wk__free(b->chunks);
    wk__blob_index_free(b);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    wk__errmsg_destroy(&b->msg);
    wk__free(b->log_dir);
    wk__free(b->dir);
    wk__free(b);
}

static void
blob_fill_report(wk_blob *b, wk_blob_report *rep)
{
    rep->snapshot_lsn = b->snap_lsn;
    rep->objects = b->live_objs;
    rep->object_bytes = b->live_bytes;
    rep->kv = b->nkv;
    rep->streams = b->nstreams;
    rep->chunks = (uint32_t)b->nchunks;
}

int
wk_blob_open(const char *dir, const wk_blob_opts *opts, wk_blob **out,
             wk_blob_report *report)
{
    wk_blob_report rep_local;
    wk_blob_report *rep = report != NULL ? report : &rep_local;
    memset(rep, 0, sizeof *rep);
    if (dir == NULL || dir[0] == '\0' || out == NULL)
        return -EINVAL;
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    if (opts != NULL) {
        if (opts->size < offsetof(wk_blob_opts, recovery) ||
            opts->size > sizeof o)
            return -EINVAL;
        memcpy(&o, opts, opts->size);
        o.size = sizeof o;
    }
    int rc = blob_check_opts(&o);
    if (rc != 0)
        return rc;
    if (o.vfs == NULL)
        o.vfs = wk_vfs_posix();

    wk_blob *b = wk__calloc(1, sizeof *b);
    if (b == NULL)
        return WK_ENOMEM;
    b->o = o;
    b->vfs = o.vfs;
    b->next_chunk = 1;
    b->rep = rep;
    wk__errmsg_init(&b->msg);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->dir = wk__strdup(dir);
    b->log_dir = wk__path_join(dir, "log");
    if (b->dir == NULL || b->log_dir == NULL) {
        rc = WK_ENOMEM;
        goto out_free;
    }
    rc = blob_prepare_dir(b);
    if (rc != 0)
        goto out_free;
    if (!o.read_only) {
        rc = b->vfs->lock_dir(b->vfs, b->dir, &b->lock);
        if (rc != 0) {
            rc = wk__errmsg_set(&b->msg, rc, "lock '%s'", b->dir);
            goto out_free;
        }
    }
    rc = blob_ident(b);
    if (rc != 0)
        goto out_unlock;
    rc = wk__blob_chunks_scan(b);
    if (rc != 0)
        goto out_unlock;

    b->recovering = 1;
    rc = wk__blob_snap_load(b);
    if (rc != 0)
        goto out_unlock;
    wk_log_opts lo;
    wk_log_opts_init(&lo);
    lo.vfs = b->vfs;
    lo.segment_bytes = o.log_segment_bytes;
    lo.zero_fill = o.log_zero_fill;
    lo.create_if_missing = !o.read_only;
    lo.read_only = o.read_only;
    lo.recovery = o.recovery;
    lo.recover_fn = blob_recover_fn;
    lo.recover_arg = b;
    if (!o.read_only) {
        lo.checkpoint_fn = wk__blob_checkpoint_fn;
        lo.checkpoint_arg = b;
        lo.checkpoint_bytes = o.checkpoint_bytes;
    }
    rc = wk_log_open(b->log_dir, &lo, &b->log, &rep->log);
    if (rc == -ENOENT && o.read_only) {
        rc = 0; /* a store that never logged anything */
        b->log = NULL;
    }
    if (rc != 0) {
        if (b->replay_rc == 0)
            wk__errmsg_set(&b->msg, rc, "open command log: %s",
                           b->log == NULL ? "" : wk_log_errmsg(b->log));
        blob_note(b, wk__errmsg_get(&b->msg));
        goto out_unlock;
    }
    b->recovering = 0;
    rc = blob_check_extents(b);
    if (rc != 0)
        goto out_log;

    /* The highest-numbered chunk takes the next writes (read-write). */
    if (!o.read_only && b->nchunks > 0) {
        blob_chunk *c = b->chunks[b->nchunks - 1];
        c->rotated = 0;
        c->wtail = c->ref_end < BLOB_CHUNK_HDR ? BLOB_CHUNK_HDR : c->ref_end;
        b->cur = c;
    }
    pthread_mutex_lock(&b->mu);
    rc = wk__blob_reclaim(b);
    pthread_mutex_unlock(&b->mu);
    if (rc != 0)
        goto out_log;
    blob_fill_report(b, rep);
    b->rep = NULL;
    *out = b;
    return 0;

out_log:
    blob_note(b, wk__errmsg_get(&b->msg));
    wk_log_close(b->log);
out_unlock:
    if (b->lock != NULL)
        b->vfs->unlock_dir(b->vfs, b->lock);
out_free:
    blob_fill_report(b, rep);
    if (rc != 0 && rep->problem[0] == '\0' && b->msg.text[0] != '\0')
        blob_note(b, wk__errmsg_get(&b->msg));
    blob_free(b);
    return rc;
}

int
wk_blob_close(wk_blob *b)
{
    if (b == NULL)
        return 0;
    int rc = 0;
    if (b->log != NULL && !b->o.read_only && !b->poisoned) {
        rc = wk_log_sync(b->log, 0);
        if (rc == 0) {
            pthread_mutex_lock(&b->mu);
            rc = wk__blob_reclaim(b);
            pthread_mutex_unlock(&b->mu);
        }
    }
    int r = wk_log_close(b->log);
    if (rc == 0)
        rc = r;
    if (rc == 0 && b->poisoned)
        rc = WK_EPOISONED;
    if (b->lock != NULL) {
        r = b->vfs->unlock_dir(b->vfs, b->lock);
        if (rc == 0)
            rc = r;
    }
    blob_free(b);
    return rc;
}

int
wk_blob_compact(wk_blob *b)
{
    if (b == NULL)
        return -EINVAL;
    if (b->o.read_only)
        return -EROFS;
    pthread_mutex_lock(&b->mu);
    int poisoned = b->poisoned;
    pthread_mutex_unlock(&b->mu);
    if (poisoned)
        return WK_EPOISONED;
    int rc = wk__blob_relocate(b);
    if (rc != 0)
        return rc;
    uint64_t lsn = wk_log_last_lsn(b->log);
    rc = wk__blob_log_sync(b, 0);
    if (rc != 0)
        return rc;
    for (int tries = 0; rc == 0 && lsn > 0 && tries < 20; tries++) {
        rc = wk_log_checkpoint(b->log);
        if (rc == 0)
            rc = wk_log_wait_checkpointed(b->log, lsn, 60000);
        if (rc != -EAGAIN)
            break;
    }
    if (rc != 0)
        return wk__errmsg_set(&b->msg, rc, "compact: %s",
                              wk_log_errmsg(b->log));
    pthread_mutex_lock(&b->mu);
    rc = wk__blob_reclaim(b);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

void
wk_blob_stats_get(wk_blob *b, wk_blob_stats *st)
{
    if (st == NULL)
        return;
    memset(st, 0, sizeof *st);
    if (b == NULL)
        return;
    pthread_mutex_lock(&b->mu);
    st->objects = b->live_objs;
    st->object_bytes = b->live_bytes;
    st->kv = b->nkv;
    st->streams = b->nstreams;
    for (size_t i = 0; i < b->nstreams; i++)
        st->stream_bytes += b->streams[i]->size;
    st->chunks = (uint32_t)b->nchunks;
    st->current_chunk = b->cur != NULL ? b->cur->num : 0;
    for (size_t i = 0; i < b->nchunks; i++)
        st->chunk_file_bytes += b->chunks[i]->size;
    st->chunks_removed = b->chunks_removed;
    st->puts = b->puts;
    st->chunk_syncs = b->chunk_syncs;
    st->snapshots = b->snapshots;
    st->relocated = b->relocated;
    st->poisoned = b->poisoned;
    pthread_mutex_unlock(&b->mu);
    if (b->log != NULL) {
        wk_log_stats ls;
        wk_log_stats_get(b->log, &ls);
        st->log_syncs = ls.syncs;
        st->last_lsn = ls.last_lsn;
        st->durable_lsn = ls.durable_lsn;
        if (st->poisoned == 0)
            st->poisoned = ls.poisoned;
    }
}

const char *
wk_blob_errmsg(wk_blob *b)
{
    if (b == NULL)
        return "";
    return wk__errmsg_get(&b->msg);
}

/* ---- offline verify ----------------------------------------------------- */

int
wk_blob_verify(const char *dir, wk_vfs *vfs, wk_blob_report *report)
{
    wk_blob_report rep_local;
    wk_blob_report *rep = report != NULL ? report : &rep_local;
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    o.vfs = vfs;
    o.read_only = 1;
    o.create_if_missing = 0;
    wk_blob *b = NULL;
    int rc = wk_blob_open(dir, &o, &b, rep);
    if (rc != 0)
        return rc;
    uint64_t bad = 0;
    for (size_t i = 0; i < b->nobj; i++) {
        blob_obj ob = b->objs[i];
        if (ob.deleted)
            continue;
        wk_blob_view v;
        int r = wk_blob_get(b, ob.id, &v);
        if (r == 0) {
            wk_blob_view_release(b, &v);
            continue;
        }
        if (r != WK_ECORRUPT) {
            rc = r;
            break;
        }
        bad++;
        if (rep->problem[0] == '\0')
            snprintf(rep->problem, sizeof rep->problem, "%s",
                     wk_blob_errmsg(b));
    }
    for (size_t i = 0; rc == 0 && i < b->nstreams; i++) {
        blob_stream *s = b->streams[i];
        uint8_t tmp[1];
        for (size_t j = 0; j < s->next; j++) {
            size_t got = 0;
            int r = wk_blob_stream_read(b, s->id, s->ext[j].soff, tmp, 1, &got);
            if (r == 0)
                continue;
            if (r != WK_ECORRUPT) {
                rc = r;
                break;
            }
            bad++;
            if (rep->problem[0] == '\0')
                snprintf(rep->problem, sizeof rep->problem, "%s",
                         wk_blob_errmsg(b));
        }
    }
    rep->bad_objects = bad;
    wk_blob_close(b);
    if (rc == 0 && bad > 0)
        rc = WK_ECORRUPT;
    return rc;
}
