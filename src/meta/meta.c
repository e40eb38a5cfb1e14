/* wk_meta: the metadata store (u64 key -> u64 value + small bytes).
 *
 * FILES in a store directory DIR
 *   LOCK                  vfs lock_dir(DIR): a second read-write opener gets
 *                         -EBUSY. Taken before anything else is read.
 *   wal/                  a wk_log (its own LOCK, seg-*.wal, CHECKPOINT).
 *                         One log entry per batch.
 *   snap-<16 hex>.wks     snapshots; the hex number is the generation,
 *                         strictly increasing: a new one is always
 *                         1 + the highest generation ever seen in DIR
 *                         (snapshots and temporaries), so a fresh snapshot
 *                         never takes an existing name.
 *   snap-<16 hex>.wks.tmp a snapshot being written (removed at open).
 * Files are always named by full path (DIR + "/" + name), never relative
 * to the working directory.
 *
 * BATCH ENTRY (the payload of one wk_log entry; little-endian)
 *    0  1  kind 1 (BATCH)         anything else: WK_EFORMAT
 *    1  1  version 1              anything else: WK_EFORMAT
 *    2  1  codec: 0 raw, 1 zstd   anything else: WK_EFORMAT
 *    3  1  0
 *    4  4  nops
 *    8  4  raw_len: bytes of the uncompressed body (<= max_batch_bytes)
 *   12  4  0
 *   16  .. body (raw_len bytes, or one zstd frame whose content size is
 *          raw_len): nops operations laid end to end:
 *          PUT 1 | u64 key | u64 value | u32 len | len bytes (len <= 1 MiB)
 *          DEL 2 | u64 key
 * The log's CRC covers the entry; a batch is valid when every op decodes,
 * lengths are in bounds and the ops use exactly raw_len bytes. A batch is
 * checked whole before any op of it is applied.
 *
 * SNAPSHOT FILE: a 64-byte header, then frames in the common record
 * framing (src/common/record.h) seeded with the file's salt:
 *   header:  0 magic "WKMETASN" | 8 u32 version (1; else WK_EFORMAT) |
 *           12 u32 flags (0) | 16 u64 salt | 24 u64 generation (must match
 *           the name) | 32 u64 lsn (the log LSN the snapshot covers) |
 *           40 u64 items | 48 u64 item frames | 56 u32 CRC32C of 0..55 |
 *           60 u32 0
 *   ITEMS frame: type 1, aux16 codec (0 raw, 1 zstd), aux = item count
 *           (> 0), seq = 1, 2, ... ; payload u32 raw_len (<= 1.25 MiB +
 *           1 MiB) then the items (raw, or a zstd frame of raw_len bytes):
 *           u64 key | u64 value | u32 len | len bytes, keys strictly
 *           increasing over the whole file.
 *   END frame: type 2, seq = frames + 1, payload u64 items | u64 frames |
 *           u64 lsn, equal to the header's; it must end the file exactly.
 * Every length is bounded before anything is allocated; a snapshot that
 * fails any check is WK_ECORRUPT (WK_EFORMAT for a valid header with
 * another version).
 *
 * IN MEMORY every item lives in a hash map (map.c: linear probing,
 * incremental resize, so no write pays for a full rehash); gets are
 * lookups under a read lock; scans sort the matching keys under it.
 *
 * WRITE PATH. wk_meta_write copies the batch's bytes and reserves map room
 * first (so applying can no longer fail), then, under a short mutex,
 * appends the entry to the log without sync and takes a ticket (ticket
 * order = LSN order). With WK_SYNC it then calls wk_log_sync(lsn): every
 * concurrent writer waits on the same group-commit write + fdatasync of the
 * log, which is what makes the batch durable. Finally, in ticket order,
 * the batch is applied to the in-memory map (so readers see batches in
 * log order, and only once durable when written with WK_SYNC). The first
 * failed log write or sync latches the error (an int in the handle: no
 * allocation, nothing to free); later writes return WK_EPOISONED.
 *
 * COMPACTION runs on the log's background thread as its checkpoint_fn
 * (triggered every compact_log_bytes of log, or by wk_meta_compact), off
 * the commit path and without touching the live map: the entries since
 * the log's last checkpoint are applied to a delta map (puts and
 * tombstones), which is merged in key order with the current snapshot
 * (read one frame at a time) into snap-<G+1>.wks.tmp; that is fsync'd,
 * renamed to snap-<G+1>.wks and the directory fsync'd. Only then does the
 * callback return 0, so the log records its checkpoint (durably) and
 * recycles the covered segments; and only then is the previous snapshot
 * unlinked (by full path, + directory fsync). Its lsn is
 * max(previous snapshot lsn, checkpoint LSN). A failed compaction removes
 * its temporary and changes nothing (the next one retries); it does not
 * poison the store, since acknowledged batches are still in the log.
 *
 * RECOVERY (open). Lock DIR. List it: the snapshot with the highest
 * generation is loaded and fully validated (a corrupt newest snapshot
 * fails open with WK_ECORRUPT: older ones are never used silently, since
 * the log may already be recycled past them). The log is opened with the
 * chosen recovery policy; its recover_fn decodes and applies each batch
 * with LSN > the snapshot's lsn, in order. If the log's durable checkpoint
 * is above the snapshot's lsn (the snapshot covering the recycled entries
 * is missing) open fails with WK_ECORRUPT; wal/ missing while a snapshot
 * exists likewise. A log corruption (an invalid entry followed by valid
 * ones) fails open by default, so batches are never applied over a gap.
 * Then (read-write) temporaries and superseded snapshots are unlinked by
 * full path and the directory fsync'd. Recovery writes nothing but the
 * log's own repairs and these unlinks, so a crash inside it is harmless.
 *
 * DURABILITY SUMMARY: a batch is durable when the log's fdatasync covering
 * its entry returned (WK_SYNC, wk_meta_compact, wk_meta_close); a snapshot
 * when its rename's directory fsync returned; nothing is acknowledged on
 * the strength of a snapshot alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "io/path.h"
#include "meta/meta_int.h"

#define META_MAX_BATCH_LIMIT (64ull << 20)

struct wk_meta {
    char *dir;
    char *waldir;
    wk_vfs *vfs;
    wk_meta_opts o;
    wk_vfs_lock *lock;
    wk_log *log;
    wk__errmsg msg;
    wk__zpool z;

    pthread_rwlock_t maplock;
    wk__map map;

    pthread_mutex_t wmu; /* append + ticket */
    uint64_t tickets;
    pthread_mutex_t amu; /* apply turn */
    pthread_cond_t acv;
    uint64_t applied;

    int poisoned;     /* __atomic */
    uint64_t batches; /* __atomic */

    pthread_mutex_t smu; /* snapshot state */
    uint64_t snap_gen, snap_lsn, snap_bytes, snap_items, max_gen;
    uint64_t compactions, compact_errors;
    char cmsg[300]; /* why the last compaction failed ("" after success) */

    /* open-time replay */
    uint64_t replay_batches, replay_ops;
};

void
wk_meta_opts_init(wk_meta_opts *opts)
{
    if (opts == NULL)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->log_segment_bytes = 64u << 20;
    opts->compact_log_bytes = 64u << 20;
    opts->compress_level = 1;
    opts->max_bytes = 4096;
    opts->max_batch_bytes = 4u << 20;
    opts->create_if_missing = 1;
    opts->recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
}

uint32_t
wk__meta_max_bytes(const wk_meta *m)
{
    return m->o.max_bytes;
}

uint64_t
wk__meta_max_batch(const wk_meta *m)
{
    return m->o.max_batch_bytes;
}

int
wk__meta_fail(wk_meta *m, int rc, const char *what)
{
    return wk__errmsg_set(&m->msg, rc, "%s", what);
}

static void
meta_latch(wk_meta *m, int rc)
{
    int zero = 0;
    __atomic_compare_exchange_n(&m->poisoned, &zero, rc, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
}

static int
meta_poisoned(wk_meta *m)
{
    return __atomic_load_n(&m->poisoned, __ATOMIC_SEQ_CST);
}

/* ---- open ------------------------------------------------------------ */

typedef struct meta_scan_dir {
    uint64_t newest;  /* highest snapshot generation (0: none) */
    uint64_t max_gen; /* highest generation of any snapshot or tmp */
    int nstale;
} meta_scan_dir;

static int
meta_list_fn(void *arg, const char *name)
{
    meta_scan_dir *d = arg;
    uint64_t gen;
    int kind = wk__snap_parse_name(name, &gen);
    if (kind == 0)
        return 0;
    if (gen > d->max_gen)
        d->max_gen = gen;
    if (kind == 1 && gen > d->newest)
        d->newest = gen;
    d->nstale++;
    return 0;
}

typedef struct meta_unlink_ctx {
    wk_meta *m;
    uint64_t keep;
    int removed;
    int rc;
} meta_unlink_ctx;

/* Unlinks temporaries and snapshots older than keep, by full path. */
static int
meta_unlink_fn(void *arg, const char *name)
{
    meta_unlink_ctx *c = arg;
    uint64_t gen;
    int kind = wk__snap_parse_name(name, &gen);
    if (kind == 0 || (kind == 1 && gen >= c->keep))
        return 0;
    char *path = wk__path_join(c->m->dir, name);
    if (path == NULL) {
        c->rc = WK_ENOMEM;
        return 1;
    }
    int rc = c->m->vfs->unlink(c->m->vfs, path);
    if (rc != 0 && rc != -ENOENT) {
        c->rc = wk__errmsg_set(&c->m->msg, rc, "unlink '%s'", path);
        wk__free(path);
        return 1;
    }
    wk__free(path);
    c->removed++;
    return 0;
}

static int
meta_remove_stale(wk_meta *m, uint64_t keep)
{
    meta_unlink_ctx c = {.m = m, .keep = keep};
    int rc = m->vfs->list(m->vfs, m->dir, meta_unlink_fn, &c);
    if (c.rc != 0)
        return c.rc;
    if (rc != 0)
        return wk__errmsg_set(&m->msg, rc, "list '%s'", m->dir);
    if (c.removed > 0) {
        rc = m->vfs->sync_dir(m->vfs, m->dir);
        if (rc != 0)
            return wk__errmsg_set(&m->msg, rc, "fsync directory '%s'", m->dir);
    }
    return 0;
}

typedef struct meta_load {
    wk__map *map;
    wk__snap_info *info;
} meta_load;

static int
meta_load_fn(void *arg, uint64_t key, uint64_t value, const uint8_t *bytes,
             uint32_t len)
{
    meta_load *l = arg;
    if (l->map->cap == 0 && l->info->items > 0) {
        /* Pre-size from the header (bounded: a lying count only costs a
         * bigger table, capped here). */
        uint64_t n = l->info->items < (1ull << 28) ? l->info->items : 0;
        if (n > 0 && wk__map_reserve(l->map, n) != 0)
            return WK_ENOMEM;
    }
    return wk__map_put(l->map, key, value, bytes, len);
}

static int
meta_apply_op(void *arg, const wk__mop *op)
{
    wk__map *map = arg;
    if (op->op == META_OP_DEL) {
        wk__map_del(map, op->key);
        return 0;
    }
    return wk__map_put(map, op->key, op->value, op->bytes, op->len);
}

static int
meta_delta_op(void *arg, const wk__mop *op)
{
    wk__map *map = arg;
    if (op->op == META_OP_DEL)
        return wk__map_put_dead(map, op->key);
    return wk__map_put(map, op->key, op->value, op->bytes, op->len);
}

/* Decodes entry e (reading it whole if it was streamed) and calls fn per
 * op. */
static int
meta_entry_ops(wk_meta *m, const wk_log_entry *e, wk__mop_fn fn, void *arg,
               uint32_t *nops)
{
    const void *data = e->data;
    uint8_t *tmp = NULL;
    if (e->len > META_MAX_BATCH_LIMIT + META_ENTRY_HDR)
        return WK_ECORRUPT;
    if (data == NULL) {
        tmp = wk__malloc(e->len ? e->len : 1);
        if (tmp == NULL)
            return WK_ENOMEM;
        int rc = wk_log_entry_read(e, 0, tmp, e->len);
        if (rc != 0) {
            wk__free(tmp);
            return rc;
        }
        data = tmp;
    }
    int rc = wk__batch_decode(&m->z, data, e->len, WK_META_MAX_BYTES_LIMIT,
                              META_MAX_BATCH_LIMIT, fn, arg, nops);
    wk__free(tmp);
    return rc;
}

static int
meta_recover_fn(void *arg, const wk_log_entry *e)
{
    wk_meta *m = arg;
    if (e->lsn <= m->snap_lsn)
        return 0;
    uint32_t nops = 0;
    int rc = meta_entry_ops(m, e, meta_apply_op, &m->map, &nops);
    if (rc != 0)
        return wk__errmsg_set(&m->msg, rc,
                              "replay batch at LSN %" PRIu64 " in '%s'", e->lsn,
                              m->waldir);
    m->replay_batches++;
    m->replay_ops += nops;
    return 0;
}

static int meta_checkpoint_fn(void *arg, wk_log_iter *it, uint64_t upto);

static int
meta_check_opts(const wk_meta_opts *o)
{
    if (o->size < sizeof *o)
        return -EINVAL;
    if (o->max_bytes > WK_META_MAX_BYTES_LIMIT || o->compress_level < 0 ||
        o->compress_level > 22 || o->max_batch_bytes < 64 ||
        o->max_batch_bytes > META_MAX_BATCH_LIMIT ||
        (unsigned)o->recovery > WK_RECOVER_SKIP_CORRUPT)
        return -EINVAL;
    return 0;
}

static int
meta_prepare_dir(wk_meta *m)
{
    wk_vfs_stat st;
    int rc = m->vfs->stat(m->vfs, m->dir, &st);
    if (rc == 0)
        return st.type == WK_VFS_DIR
                   ? 0
                   : wk__errmsg_set(&m->msg, -ENOTDIR, "open '%s'", m->dir);
    if (rc != -ENOENT)
        return wk__errmsg_set(&m->msg, rc, "stat '%s'", m->dir);
    if (!m->o.create_if_missing || m->o.read_only)
        return wk__errmsg_set(&m->msg, -ENOENT, "open store '%s'", m->dir);
    rc = m->vfs->mkdir(m->vfs, m->dir);
    if (rc != 0 && rc != -EEXIST)
        return wk__errmsg_set(&m->msg, rc, "mkdir '%s'", m->dir);
    char *parent = wk__path_dirname(m->dir);
    if (parent == NULL)
        return WK_ENOMEM;
    rc = m->vfs->sync_dir(m->vfs, parent);
    wk__free(parent);
    if (rc != 0)
        return wk__errmsg_set(&m->msg, rc, "fsync parent of '%s'", m->dir);
    return 0;
}

static void
meta_free(wk_meta *m)
{
    wk__map_free(&m->map);
    wk__zpool_destroy(&m->z);
    pthread_rwlock_destroy(&m->maplock);
    pthread_mutex_destroy(&m->wmu);
    pthread_mutex_destroy(&m->amu);
    pthread_cond_destroy(&m->acv);
    pthread_mutex_destroy(&m->smu);
    wk__errmsg_destroy(&m->msg);
    wk__free(m->dir);
    wk__free(m->waldir);
    wk__free(m);
}

static void
meta_report_msg(wk_meta_report *r, wk_meta *m)
{
    if (r != NULL)
        snprintf(r->errmsg, sizeof r->errmsg, "%s", wk__errmsg_get(&m->msg));
}

int
wk_meta_open(const char *dir, const wk_meta_opts *opts, wk_meta **out,
             wk_meta_report *report)
{
    wk_meta_opts o;
    wk_meta_report rep_local;
    wk_meta_report *rep = report != NULL ? report : &rep_local;
    memset(rep, 0, sizeof *rep);
    if (dir == NULL || out == NULL || dir[0] == '\0') {
        snprintf(rep->errmsg, sizeof rep->errmsg, "open store: bad arguments");
        return -EINVAL;
    }
    if (opts == NULL)
        wk_meta_opts_init(&o);
    else
        o = *opts;
    int rc = meta_check_opts(&o);
    if (rc != 0) {
        snprintf(rep->errmsg, sizeof rep->errmsg,
                 "open store '%s': bad options", dir);
        return rc;
    }
    if (o.vfs == NULL)
        o.vfs = wk_vfs_posix();

    wk_meta *m = wk__calloc(1, sizeof *m);
    if (m == NULL) {
        snprintf(rep->errmsg, sizeof rep->errmsg, "open store '%s': %s", dir,
                 wk_strerror(WK_ENOMEM));
        return WK_ENOMEM;
    }
    m->o = o;
    m->vfs = o.vfs;
    wk__errmsg_init(&m->msg);
    wk__zpool_init(&m->z);
    pthread_rwlock_init(&m->maplock, NULL);
    pthread_mutex_init(&m->wmu, NULL);
    pthread_mutex_init(&m->amu, NULL);
    pthread_cond_init(&m->acv, NULL);
    pthread_mutex_init(&m->smu, NULL);
    wk__map_init(&m->map);
    m->dir = wk__strdup(dir);
    m->waldir = wk__path_join(dir, "wal");
    if (m->dir == NULL || m->waldir == NULL) {
        rc = WK_ENOMEM;
        goto out_free;
    }
    rc = meta_prepare_dir(m);
    if (rc != 0)
        goto out_free;
    if (!o.read_only) {
        rc = m->vfs->lock_dir(m->vfs, m->dir, &m->lock);
        if (rc != 0) {
            m->lock = NULL;
            wk__errmsg_set(&m->msg, rc, "lock store '%s'", m->dir);
            goto out_free;
        }
    }

    /* Newest snapshot. */
    meta_scan_dir sd;
    memset(&sd, 0, sizeof sd);
    rc = m->vfs->list(m->vfs, m->dir, meta_list_fn, &sd);
    if (rc != 0) {
        wk__errmsg_set(&m->msg, rc, "list '%s'", m->dir);
        goto out_unlock;
    }
    m->max_gen = sd.max_gen;
    if (sd.newest > 0) {
        char name[40];
        wk__snap_name(name, sizeof name, sd.newest);
        snprintf(rep->snap_file, sizeof rep->snap_file, "%s", name);
        char *path = wk__path_join(m->dir, name);
        if (path == NULL) {
            rc = WK_ENOMEM;
            goto out_unlock;
        }
        wk__snap_info info;
        memset(&info, 0, sizeof info);
        meta_load l = {.map = &m->map, .info = &info};
        char why[200] = "";
        rc = wk__snap_read(m->vfs, path, sd.newest, &m->z, meta_load_fn, &l,
                           &info, why, sizeof why);
        if (rc != 0) {
            wk__errmsg_set(&m->msg, rc, "load snapshot '%s': %s", path,
                           why[0] ? why : "read failed");
            wk__free(path);
            goto out_unlock;
        }
        wk__free(path);
        m->snap_gen = info.gen;
        m->snap_lsn = info.lsn;
        m->snap_bytes = info.file_bytes;
        m->snap_items = info.items;
        rep->snap_gen = info.gen;
        rep->snap_lsn = info.lsn;
        rep->snap_items = info.items;
        rep->snap_bytes = info.file_bytes;
    }

    /* The log. */
    wk_vfs_stat st;
    rc = m->vfs->stat(m->vfs, m->waldir, &st);
    if (rc == -ENOENT && m->snap_gen > 0) {
        rc = wk__errmsg_set(&m->msg, WK_ECORRUPT,
                            "log directory '%s' missing next to snapshot %s",
                            m->waldir, rep->snap_file);
        goto out_unlock;
    }
    wk_log_opts lo;
    wk_log_opts_init(&lo);
    lo.vfs = m->vfs;
    lo.segment_bytes = o.log_segment_bytes;
    lo.max_entry_bytes = o.max_batch_bytes;
    if (lo.batch_bytes < o.max_batch_bytes)
        lo.batch_bytes = o.max_batch_bytes;
    lo.create_if_missing = o.create_if_missing && m->snap_gen == 0;
    lo.read_only = o.read_only;
    lo.recovery = o.recovery;
    lo.recover_fn = meta_recover_fn;
    lo.recover_arg = m;
    if (!o.read_only) {
        lo.checkpoint_fn = meta_checkpoint_fn;
        lo.checkpoint_arg = m;
        lo.checkpoint_bytes = o.compact_log_bytes;
    }
    rc = wk_log_open(m->waldir, &lo, &m->log, &rep->log);
    if (rc != 0) {
        m->log = NULL;
        /* A message set by recover_fn (naming the batch) is kept. */
        const wk_log_corruption *c = &rep->log.corruption[0];
        int have_msg = wk__errmsg_get(&m->msg)[0] != '\0';
        if (!have_msg && rep->log.corruptions > 0)
            wk__errmsg_set(&m->msg, rc,
                           "open log '%s': invalid record in %s at offset "
                           "%" PRIu64 " (LSN %" PRIu64 ") with valid ones "
                           "after it",
                           m->waldir, c->file, c->offset, c->lsn);
        else if (!have_msg)
            wk__errmsg_set(&m->msg, rc, "open log '%s'", m->waldir);
        goto out_unlock;
    }
    if (rep->log.checkpoint_lsn > m->snap_lsn) {
        rc = wk__errmsg_set(&m->msg, WK_ECORRUPT,
                            "log '%s' checkpointed to LSN %" PRIu64
                            " but the newest snapshot covers only %" PRIu64,
                            m->waldir, rep->log.checkpoint_lsn, m->snap_lsn);
        goto out_log;
    }
    if (!o.read_only) {
        rc = meta_remove_stale(m, m->snap_gen);
        if (rc != 0)
            goto out_log;
    }
    rep->batches = m->replay_batches;
    rep->ops = m->replay_ops;
    rep->items = m->map.live;
    *out = m;
    return 0;

out_log:
    wk_log_close(m->log);
out_unlock:
    if (m->lock != NULL)
        m->vfs->unlock_dir(m->vfs, m->lock);
out_free:
    if (wk__errmsg_get(&m->msg)[0] == '\0')
        wk__errmsg_set(&m->msg, rc, "open store '%s'", dir);
    meta_report_msg(rep, m);
    meta_free(m);
    return rc;
}

int
wk_meta_close(wk_meta *m)
{
    if (m == NULL)
        return 0;
    int rc = 0;
    if (m->log != NULL)
        rc = wk_log_close(m->log);
    if (m->lock != NULL) {
        int rc2 = m->vfs->unlock_dir(m->vfs, m->lock);
        if (rc == 0)
            rc = rc2;
    }
    meta_free(m);
    return rc;
}

/* ---- write ------------------------------------------------------------ */

int
wk_meta_write(wk_meta *m, const wk_meta_batch *b, int flags)
{
    if (m == NULL || b == NULL || b->m != m || (flags & ~WK_SYNC) != 0)
        return -EINVAL;
    if (m->o.read_only)
        return -EROFS;
    if (meta_poisoned(m))
        return WK_EPOISONED;
    if (b->nops == 0)
        return 0;
    int rc, io_msg = 0;
    uint32_t n = b->nops;
    /* 1. Copies of every put's bytes, made now so applying cannot fail. */
    uint8_t **copies = wk__calloc(n, sizeof *copies);
    if (copies == NULL)
        return wk__errmsg_set(&m->msg, WK_ENOMEM, "write batch to '%s'",
                              m->dir);
    size_t off = META_ENTRY_HDR;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p = b->buf + off;
        if (p[0] == META_OP_PUT) {
            uint32_t len = wk__get32(p + 17);
            if (len > 0) {
                copies[i] = wk__malloc(len);
                if (copies[i] == NULL) {
                    rc = WK_ENOMEM;
                    goto out_copies;
                }
                memcpy(copies[i], p + META_PUT_HDR, len);
            }
            off += META_PUT_HDR + len;
        } else {
            off += META_DEL_HDR;
        }
    }
    /* 2. Encode (compress outside any lock). */
    uint8_t hdr[META_ENTRY_HDR];
    const uint8_t *body = NULL;
    size_t blen = 0;
    int owned = 0;
    rc = wk__batch_encode(b, &m->z, m->o.compress_level, hdr, &body, &blen,
                          &owned);
    if (rc != 0)
        goto out_copies;
    /* 3. Map room for every key the batch may add. */
    pthread_rwlock_wrlock(&m->maplock);
    rc = wk__map_reserve(&m->map, n);
    if (rc == 0)
        m->map.reserved += n;
    pthread_rwlock_unlock(&m->maplock);
    if (rc != 0)
        goto out_body;
    /* 4. Log it; ticket order = LSN order. */
    struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)body, blen}};
    uint64_t lsn = 0, ticket = 0;
    pthread_mutex_lock(&m->wmu);
    rc = wk_log_appendv(m->log, iov, 2, 0, &lsn);
    if (rc == 0)
        ticket = ++m->tickets;
    pthread_mutex_unlock(&m->wmu);
    if (rc != 0) {
        pthread_rwlock_wrlock(&m->maplock);
        m->map.reserved -= n;
        pthread_rwlock_unlock(&m->maplock);
        if (rc != -E2BIG && rc != -EINVAL && rc != WK_ENOMEM) {
            meta_latch(m, rc);
            wk__errmsg_set(&m->msg, rc, "append batch to '%s': %s", m->waldir,
                           wk_log_errmsg(m->log));
            io_msg = 1;
        }
        goto out_body;
    }
    /* 5. Durable (group commit in the log). */
    if (flags & WK_SYNC) {
        rc = wk_log_sync(m->log, lsn);
        if (rc != 0) {
            meta_latch(m, rc);
            wk__errmsg_set(&m->msg, rc, "sync batch at LSN %" PRIu64 ": %s",
                           lsn, wk_log_errmsg(m->log));
            io_msg = 1;
        }
    }
    /* 6. Apply in ticket order. */
    pthread_mutex_lock(&m->amu);
    while (m->applied != ticket - 1)
        pthread_cond_wait(&m->acv, &m->amu);
    if (rc == 0 && meta_poisoned(m))
        rc = WK_EPOISONED;
    pthread_rwlock_wrlock(&m->maplock);
    m->map.reserved -= n;
    if (rc == 0) {
        off = META_ENTRY_HDR;
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *p = b->buf + off;
            uint64_t key = wk__get64(p + 1);
            if (p[0] == META_OP_PUT) {
                uint32_t len = wk__get32(p + 17);
                /* Cannot fail: room reserved, bytes copied. */
                int r2 = wk__map_put_owned(&m->map, key, wk__get64(p + 9),
                                           copies[i], len);
                if (r2 == 0)
                    copies[i] = NULL;
                off += META_PUT_HDR + len;
            } else {
                wk__map_del(&m->map, key);
                off += META_DEL_HDR;
            }
        }
    }
    pthread_rwlock_unlock(&m->maplock);
    m->applied = ticket;
    pthread_cond_broadcast(&m->acv);
    pthread_mutex_unlock(&m->amu);
    if (rc == 0)
        __atomic_add_fetch(&m->batches, 1, __ATOMIC_RELAXED);
out_body:
    if (owned)
        wk__free((void *)body);
out_copies:
    if (rc != 0 && !io_msg)
        wk__errmsg_set(&m->msg, rc, "write batch to '%s'", m->dir);
    for (uint32_t i = 0; i < n; i++)
        wk__free(copies[i]);
    wk__free(copies);
    return rc;
}

/* ---- reads ------------------------------------------------------------ */

int
wk_meta_get(wk_meta *m, uint64_t key, uint64_t *value, void *buf, size_t cap,
            size_t *len)
{
    if (m == NULL || (buf == NULL && cap > 0))
        return -EINVAL;
    pthread_rwlock_rdlock(&m->maplock);
    const wk__mslot *s = wk__map_find(&m->map, key);
    int rc = WK_ENOTFOUND;
    if (s != NULL && s->state == MAP_LIVE) {
        if (value != NULL)
            *value = s->value;
        if (len != NULL)
            *len = s->len;
        if (cap > 0 && s->len > 0)
            memcpy(buf, s->bytes, cap < s->len ? cap : s->len);
        rc = 0;
    }
    pthread_rwlock_unlock(&m->maplock);
    return rc;
}

int
wk_meta_scan(wk_meta *m, uint64_t from_key, wk_meta_scan_fn fn, void *arg)
{
    if (m == NULL || fn == NULL)
        return -EINVAL;
    pthread_rwlock_rdlock(&m->maplock);
    uint64_t *keys = NULL, n = 0;
    int rc = wk__map_sorted_keys(&m->map, from_key, &keys, &n);
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        const wk__mslot *s = wk__map_find(&m->map, keys[i]);
        rc = fn(arg, s->key, s->value, s->bytes, s->len);
    }
    pthread_rwlock_unlock(&m->maplock);
    wk__free(keys);
    return rc;
}

/* ---- compaction --------------------------------------------------------- */

static int
meta_checkpoint_fn(void *arg, wk_log_iter *it, uint64_t upto)
{
    wk_meta *m = arg;
    wk__map delta;
    wk__map_init(&delta);
    int rc;
    for (;;) {
        wk_log_entry e;
        rc = wk_log_iter_next(it, &e, 0);
        if (rc == WK_ENOTFOUND) {
            rc = 0;
            break;
        }
        if (rc != 0) {
            wk__errmsg_set(&m->msg, rc, "compaction: read log '%s'", m->waldir);
            goto out;
        }
        rc = meta_entry_ops(m, &e, meta_delta_op, &delta, NULL);
        if (rc != 0) {
            wk__errmsg_set(&m->msg, rc, "compaction: batch at LSN %" PRIu64,
                           e.lsn);
            goto out;
        }
    }
    pthread_mutex_lock(&m->smu);
    uint64_t old_gen = m->snap_gen;
    uint64_t gen = m->max_gen + 1;
    uint64_t lsn = m->snap_lsn > upto ? m->snap_lsn : upto;
    m->max_gen = gen; /* never reuse a name, even after a failure */
    pthread_mutex_unlock(&m->smu);
    char oname[40];
    char *old_path = NULL;
    if (old_gen > 0) {
        wk__snap_name(oname, sizeof oname, old_gen);
        old_path = wk__path_join(m->dir, oname);
        if (old_path == NULL) {
            rc = WK_ENOMEM;
            goto out;
        }
    }
    wk__snap_info info;
    char why[256] = "";
    rc = wk__snap_write(m->vfs, m->dir, gen, lsn, old_path, old_gen, &delta,
                        &m->z, m->o.compress_level, &info, why, sizeof why);
    if (rc != 0) {
        wk__errmsg_set(&m->msg, rc, "compaction: snapshot %" PRIu64 ": %s", gen,
                       why);
        wk__free(old_path);
        goto out;
    }
    pthread_mutex_lock(&m->smu);
    m->snap_gen = gen;
    m->snap_lsn = lsn;
    m->snap_bytes = info.file_bytes;
    m->snap_items = info.items;
    m->compactions++;
    pthread_mutex_unlock(&m->smu);
    /* The new snapshot is durable: the old one may go (by full path). */
    if (old_path != NULL) {
        int r2 = m->vfs->unlink(m->vfs, old_path);
        if (r2 == 0)
            r2 = m->vfs->sync_dir(m->vfs, m->dir);
        if (r2 != 0 && r2 != -ENOENT)
            wk__errmsg_set(&m->msg, r2, "remove old snapshot '%s'", old_path);
        wk__free(old_path);
    }
out:
    pthread_mutex_lock(&m->smu);
    if (rc != 0) {
        m->compact_errors++;
        snprintf(m->cmsg, sizeof m->cmsg, "%s", wk__errmsg_get(&m->msg));
    } else {
        m->cmsg[0] = '\0';
    }
    pthread_mutex_unlock(&m->smu);
    wk__map_free(&delta);
    return rc;
}

int
wk_meta_compact(wk_meta *m)
{
    if (m == NULL)
        return -EINVAL;
    if (m->o.read_only)
        return -EROFS;
    if (meta_poisoned(m))
        return WK_EPOISONED;
    int rc = wk_log_sync(m->log, 0);
    if (rc != 0) {
        meta_latch(m, rc);
        return wk__errmsg_set(&m->msg, rc, "compact: sync log: %s",
                              wk_log_errmsg(m->log));
    }
    uint64_t target = wk_log_durable_lsn(m->log);
    if (target == 0)
        return 0;
    rc = wk_log_checkpoint(m->log);
    if (rc == 0)
        rc = wk_log_wait_checkpointed(m->log, target, -1);
    if (rc != 0) {
        char why[300];
        pthread_mutex_lock(&m->smu);
        snprintf(why, sizeof why, "%s", m->cmsg);
        pthread_mutex_unlock(&m->smu);
        wk_log_stats ls;
        wk_log_stats_get(m->log, &ls);
        if (ls.poisoned)
            meta_latch(m, WK_EPOISONED);
        if (why[0] == '\0')
            snprintf(why, sizeof why, "%s", wk_log_errmsg(m->log));
        wk__errmsg_set(&m->msg, rc, "compact '%s' (%s)", m->dir, why);
    }
    return rc;
}

/* ---- stats, errors ------------------------------------------------------ */

void
wk_meta_stats_get(wk_meta *m, wk_meta_stats *st)
{
    if (st == NULL)
        return;
    memset(st, 0, sizeof *st);
    if (m == NULL)
        return;
    pthread_rwlock_rdlock(&m->maplock);
    st->items = m->map.live;
    st->bytes = m->map.bytes;
    pthread_rwlock_unlock(&m->maplock);
    st->batches = __atomic_load_n(&m->batches, __ATOMIC_RELAXED);
    wk_log_stats ls;
    wk_log_stats_get(m->log, &ls);
    st->log_bytes = (uint64_t)ls.segments * ls.segment_bytes;
    st->log_syncs = ls.syncs;
    st->log_batches = ls.batches;
    pthread_mutex_lock(&m->smu);
    st->snap_gen = m->snap_gen;
    st->snap_lsn = m->snap_lsn;
    st->snap_bytes = m->snap_bytes;
    st->snap_items = m->snap_items;
    st->compactions = m->compactions;
    st->compact_errors = m->compact_errors;
    pthread_mutex_unlock(&m->smu);
    st->poisoned = meta_poisoned(m);
}

const char *
wk_meta_errmsg(wk_meta *m)
{
    if (m == NULL)
        return "";
    return wk__errmsg_get(&m->msg);
}

/* ---- verify ------------------------------------------------------------- */

int
wk_meta_verify(const char *dir, wk_vfs *vfs, wk_meta_report *report)
{
    if (dir == NULL)
        return -EINVAL;
    if (vfs == NULL)
        vfs = wk_vfs_posix();
    wk_meta_report local;
    wk_meta_report *rep = report != NULL ? report : &local;
    memset(rep, 0, sizeof *rep);
    wk_vfs_stat st;
    int rc = vfs->stat(vfs, dir, &st);
    if (rc != 0 || st.type != WK_VFS_DIR) {
        rc = rc != 0 ? rc : -ENOTDIR;
        snprintf(rep->errmsg, sizeof rep->errmsg, "stat '%s': %s", dir,
                 wk_strerror(rc));
        return rc;
    }
    /* The log's own scan first: it lists every corruption. */
    char *waldir = wk__path_join(dir, "wal");
    if (waldir == NULL)
        return WK_ENOMEM;
    rc = vfs->stat(vfs, waldir, &st);
    if (rc == 0) {
        rc = wk_log_verify(waldir, vfs, &rep->log);
        if (rc != 0) {
            const wk_log_corruption *c = &rep->log.corruption[0];
            if (rep->log.corruptions > 0)
                snprintf(rep->errmsg, sizeof rep->errmsg,
                         "log '%s': %s in %s at offset %" PRIu64
                         " (LSN %" PRIu64 ")",
                         waldir, wk_strerror(c->error), c->file, c->offset,
                         c->lsn);
            else
                snprintf(rep->errmsg, sizeof rep->errmsg, "log '%s': %s",
                         waldir, wk_strerror(rc));
            wk__free(waldir);
            return rc;
        }
    }
    wk__free(waldir);
    /* Then a read-only open: newest snapshot, every batch decoded. */
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.vfs = vfs;
    o.read_only = 1;
    o.create_if_missing = 0;
    wk_log_report lr = rep->log;
    wk_meta *m = NULL;
    rc = wk_meta_open(dir, &o, &m, rep);
    if (rc == 0)
        rep->log = lr;
    wk_meta_close(m);
    return rc;
}
