/* wk_ring: a circular log over a fixed region.
 *
 * REGION. A ring occupies [region_off, region_off + cap) of one file (the
 * whole file by default). cap is a multiple of 4096, >= 12 KiB:
 *
 *   region_off + 0      superblock slot 0 (4096 bytes; 512 written)
 *   region_off + 4096   superblock slot 1
 *   region_off + 8192   record area: D = cap - 8192 bytes
 *
 * POSITIONS. Logical byte positions since format (u64, never wrap);
 * position p lives at file offset region_off + 8192 + p % D, in lap p / D.
 * Records never straddle the end of the area. A record starts only where
 * at least 24 bytes (a header) remain in the lap: when fewer remain, the
 * next record starts at the next lap without any marker (so no padding
 * write can ever overrun the region). When a record does not fit in what
 * remains (>= 24 bytes), a WRAP record (header only) is written there and
 * the record goes to the next lap.
 *
 * SUPERBLOCK (little-endian, 128 bytes used of 512 written):
 *    0 magic "WKRING\0\0"   8 version u32 (1)   12 flags u32 (0)
 *   16 gen u64   24 salt u64   32 region_off u64   40 region_len u64
 *   48 head_pos u64   56 head_seq u64   64 tail_pos u64   72 tail_seq u64
 *   80..123 zero   124 crc u32 = CRC32C of bytes 0..123.
 * gen lives in slot gen % 2; the valid copy (magic, CRC, version, slot,
 * sane positions) with the highest gen wins. head = first live record;
 * tail = a durable-tail HINT: every record in [head, tail) was durable when
 * the superblock was written. Format writes gen 1 (head = tail = 0, seq 1)
 * and a fresh random salt into slot 1 and zeroes slot 0; the salt never
 * changes. Why an A/B superblock rather than wk_journal: the state is two
 * positions; one 512-byte write + fdatasync into the slot not holding the
 * newest copy is atomic enough (a torn write leaves the other copy), needs
 * no second file or journal region, and keeps the ring usable on a raw
 * region of a device.
 *
 * RECORD. The common framing (src/common/record.h), salt = the ring's:
 *   type: 1 DATA (an entry), 2 WRAP (len 0: skip to the lap's end),
 *         3 FILL (a cancelled reservation: len zero bytes),
 *         4 JUMP (written by skip-corrupt recovery: payload next_pos u64,
 *         next_seq u64: the chain continues there)
 *   flags 0; aux = lap (p / D, low 32 bits); seq = record sequence number
 *   (1, 2, 3, ... consecutive over every type for the life of the ring);
 *   aux16 = seq - d (capped at 65535), where d is the first sequence number
 *   that was NOT yet durable when the record was sealed ("sealed-durable").
 * A record is valid at normalized position p with expected seq s iff the
 * CRC (salt included) passes, type/flags are known, aux == lap(p), seq ==
 * s, 24 + len fits in the lap, len <= D/2 - 24, and it ends by head + D.
 * Stale records of earlier laps (other lap, lower seq), zeroed space and
 * other rings' records (other salt) never validate.
 *
 * WRITE PATH. reserve takes the next position and seq under the mutex
 * (WRAP pad first if needed) after checking free space (WK_EFULL at once
 * when tail + need - head > D: nothing is lost, nothing blocks); the
 * reservation holds a private buffer. commit seals the record (CRC computed
 * by the committing thread, outside the lock), marks it ready, and waits;
 * the first waiter finding no writer active becomes leader, takes the ready
 * prefix of the reservation queue (up to max_batch_bytes), writes it with
 * pwritev (one per contiguous run: at most two, around a wrap) and, when
 * any waiter asked WK_SYNC, one fdatasync; then publishes the new written /
 * durable tails and wakes everyone. Commits thus become written and durable
 * strictly in reservation order; a cancelled reservation becomes a FILL
 * record in its turn. Only the leader writes, one batch at a time, and a
 * batch starts after the previous batch's sync returned.
 *
 * HEAD. advance_head walks durable records from the head (never past the
 * durable tail), asks the user's fn about each entry, then writes a
 * superblock (gen + 1, other slot) with the new head and the durable tail
 * and fdatasyncs it; only then is the space freed in memory. A crash during
 * that write leaves the previous superblock, whose head is still intact.
 *
 * RECOVERY (open). Take the newest valid superblock; follow the chain from
 * (head_pos, head_seq): each valid record gives the next position and seq
 * (WRAP: next lap; JUMP: its target), until an invalid record at p or the
 * head + D limit. Then scan every byte position after p (to head + D) for
 * records that validate with a higher seq. Such a record R is classified
 * by its sealed-durable d: d <= s means R was sealed while record s was not
 * yet durable, so R and s belong to an unacknowledged window (torn tail:
 * R is dead); d > s means s had been acknowledged durable before R was
 * written, so the invalid record at p is CORRUPTION. A chain that ends
 * before the superblock's durable-tail hint is corruption too. Policies:
 * tolerate torn tail (default: corruption fails open with WK_ECORRUPT),
 * absolute (a torn record fails too), point-in-time (keep the prefix,
 * invalidate everything after), skip-corrupt (bridge the hole with a JUMP
 * record to the first later record, once; a second hole is cut as
 * point-in-time). Repair (not read-only): rewrite the records after the
 * hint in place (they may sit in the page cache after a failed fsync),
 * zero the torn header and every dead or discarded record's header,
 * fdatasync, then write a superblock whose hint is the recovered tail.
 * Everything recovery writes is idempotent, so a crash inside it is
 * recovered the same way.
 *
 * DURABILITY. fdatasync after a batch makes its records durable (WK_SYNC
 * acks). The superblock's fdatasync makes a new head durable (and the tail
 * hint). Any failed write or sync poisons the handle (fail-stop, never
 * retried): waiters get the error, later mutations WK_EPOISONED; reopen
 * recovers.
 *
 * SOURCES. ring.c: handle, write path, sync, stats; ring_read.c: reads,
 * iterator, head advance; ring_disk.c: superblocks, validation, format
 * helpers, recovery, verify. Format doc: docs/format/ring.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "ring/ring_int.h"

void
wk_ring_opts_init(wk_ring_opts *opts)
{
    if (opts == NULL)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->max_batch_bytes = 4u << 20;
    opts->recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
}

static int
rg_opts(const wk_ring_opts *in, wk_ring_opts *o)
{
    wk_ring_opts_init(o);
    if (in != NULL) {
        if (in->size < sizeof *o)
            return -EINVAL;
        *o = *in;
    }
    if (o->vfs == NULL)
        o->vfs = wk_vfs_posix();
    if (o->max_batch_bytes == 0)
        o->max_batch_bytes = 4u << 20;
    if (o->region_offset % 4096 != 0 || o->capacity % 4096 != 0 ||
        (o->capacity != 0 && o->capacity < RG_MIN_CAP) ||
        o->region_offset > UINT64_MAX / 4 || o->capacity > UINT64_MAX / 4 ||
        (int)o->recovery < 0 || o->recovery > WK_RECOVER_SKIP_CORRUPT)
        return -EINVAL;
    return 0;
}

int
wk__rg_poison(wk_ring *r, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wk__errmsg_vset(&r->msg, rc, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&r->mu);
    if (r->poison == 0)
        r->poison = rc;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* Writes a superblock with this head and the current durable tail (call
 * with adv_mu held, mu not held). Poisons on failure. */
int
wk__rg_write_sb(wk_ring *r, uint64_t head_pos, uint64_t head_seq)
{
    rg_sb sb = r->sb;
    pthread_mutex_lock(&r->mu);
    sb.tail_pos = r->dur_pos;
    sb.tail_seq = atomic_load(&r->dur_seq);
    pthread_mutex_unlock(&r->mu);
    sb.gen++;
    sb.head_pos = head_pos;
    sb.head_seq = head_seq;
    int rc = wk__rg_sb_write(&r->g, &sb);
    if (rc != 0)
        return wk__rg_poison(r, rc, "write superblock of ring '%s'", r->path);
    r->sb = sb;
    pthread_mutex_lock(&r->mu);
    r->st.superblock_gen = sb.gen;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

/* ---- format ----------------------------------------------------------- */

int
wk_ring_format(const char *path, const wk_ring_opts *opts)
{
    wk_ring_opts o;
    if (path == NULL || rg_opts(opts, &o) != 0)
        return -EINVAL;
    if (o.capacity == 0)
        o.capacity = 64ull << 20;
    wk_vfs *vfs = o.vfs;
    wk_file *f = NULL;
    wk_vfs_lock *lock = NULL;
    wk_vfs_stat st;
    uint64_t end = o.region_offset + o.capacity;
    int rc = vfs->stat(vfs, path, &st);
    if (rc == -ENOENT) {
        rc = wk_vfs_create_prealloc(vfs, path, end, 1, &f);
        if (rc != 0)
            return rc;
        rc = vfs->lock_dir(vfs, path, &lock);
        if (rc != 0)
            goto close_file;
    } else if (rc != 0) {
        return rc;
    } else {
        if (st.type == WK_VFS_DIR)
            return -EISDIR;
        rc = vfs->lock_dir(vfs, path, &lock);
        if (rc != 0)
            return rc;
        rc = vfs->open(vfs, path, WK_O_RDWR, &f);
        if (rc != 0)
            goto unlock;
        rg_geo g = {vfs, f, path, 0, 0, 0, 0, 0};
        rg_sb old;
        if (!o.force &&
            wk__rg_read_sbs(&g, o.region_offset, 0, &old, NULL) == 0) {
            rc = -EEXIST;
            goto close_file;
        }
        uint64_t size = 0;
        rc = wk_file_size(f, &size);
        if (rc != 0)
            goto close_file;
        if (size < end) {
            rc = wk_file_allocate(f, size, end - size);
            if (rc == -EOPNOTSUPP)
                rc = wk_file_truncate(f, end);
            if (rc != 0)
                goto close_file;
        }
    }
    rg_sb sb;
    memset(&sb, 0, sizeof sb);
    rc = vfs->random(vfs, &sb.salt, sizeof sb.salt);
    if (rc != 0)
        goto close_file;
    sb.gen = 1;
    sb.region_off = o.region_offset;
    sb.region_len = o.capacity;
    sb.head_seq = sb.tail_seq = 1;
    uint8_t buf[RG_SB_BYTES];
    memset(buf, 0, sizeof buf);
    rc = wk_file_pwrite(f, buf, sizeof buf, o.region_offset);
    if (rc != 0)
        goto close_file;
    wk__rg_sb_encode(buf, &sb);
    rc = wk_file_pwrite(f, buf, sizeof buf, o.region_offset + RG_SB_SLOT);
    if (rc != 0)
        goto close_file;
    rc = wk_file_sync(f, WK_SYNC_FULL);
close_file:
    wk_file_close(f);
unlock:
    if (lock != NULL)
        vfs->unlock_dir(vfs, lock);
    return rc;
}

/* ---- open / close ----------------------------------------------------- */

static void
rg_free(wk_ring *r)
{
    wk_ring_res *x = r->q_first;
    while (x != NULL) {
        wk_ring_res *n = x->next;
        wk__free(x);
        x = n;
    }
    if (r->g.f != NULL)
        wk_file_close(r->g.f);
    if (r->lock != NULL)
        r->g.vfs->unlock_dir(r->g.vfs, r->lock);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->adv_mu);
    pthread_cond_destroy(&r->cv);
    wk__errmsg_destroy(&r->msg);
    wk__free(r->path);
    wk__free(r);
}

int
wk_ring_open(const char *path, const wk_ring_opts *opts, wk_ring **out,
             wk_ring_report *report)
{
    wk_ring_opts o;
    if (report != NULL)
        memset(report, 0, sizeof *report);
    if (path == NULL || out == NULL || rg_opts(opts, &o) != 0)
        return -EINVAL;
    wk_ring *r = wk__calloc(1, sizeof *r);
    if (r == NULL)
        return WK_ENOMEM;
    r->path = wk__strdup(path);
    if (r->path == NULL) {
        wk__free(r);
        return WK_ENOMEM;
    }
    wk__errmsg_init(&r->msg);
    pthread_mutex_init(&r->mu, NULL);
    pthread_mutex_init(&r->adv_mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->g.vfs = o.vfs;
    r->g.path = r->path;
    r->read_only = o.read_only;
    r->max_batch = o.max_batch_bytes;
    int rc;
    if (!r->read_only) {
        rc = o.vfs->lock_dir(o.vfs, path, &r->lock);
        if (rc != 0)
            goto fail;
    }
    rc = o.vfs->open(o.vfs, path, r->read_only ? WK_O_RDONLY : WK_O_RDWR,
                     &r->g.f);
    if (rc != 0)
        goto fail;
    rc = wk__rg_read_sbs(&r->g, o.region_offset, o.capacity, &r->sb, report);
    if (rc != 0) {
        wk__errmsg_set(&r->msg, rc, "read superblocks of ring '%s'", path);
        goto fail;
    }
    rg_scan sc;
    rc = wk__rg_recover(&r->g, &r->sb, (int)o.recovery, !r->read_only, report,
                        &sc, &r->msg);
    if (rc != 0)
        goto fail;
    if (!r->read_only)
        r->sb.gen++; /* recovery wrote gen + 1 */
    r->head_pos = r->sb.head_pos;
    r->head_seq = r->sb.head_seq;
    r->res_pos = r->wr_pos = r->dur_pos = sc.tail_pos;
    r->res_seq = r->wr_seq = sc.tail_seq;
    atomic_store(&r->dur_seq, sc.tail_seq);
    if (!r->read_only) {
        r->sb.tail_pos = sc.tail_pos;
        r->sb.tail_seq = sc.tail_seq;
    }
    r->entries = sc.entries;
    r->st.superblock_gen = r->sb.gen;
    *out = r;
    return 0;
fail:
    rg_free(r);
    return rc;
}

static int rg_drive(wk_ring *r, uint64_t target, int want_sync);

/* Seq after the ready prefix of the queue (mu held). */
static uint64_t
rg_ready_end(wk_ring *r)
{
    uint64_t t = r->wr_seq;
    for (wk_ring_res *x = r->q_first; x != NULL && x->ready; x = x->next)
        t = x->seq + 1;
    return t;
}

static void
rg_fill(wk_ring_res *x)
{
    memset(x->rec + WK__REC_HDR, 0, x->len);
    wk__rg_seal(&x->r->g, x->rec, RG_T_FILL, x->len, x->pos, x->seq,
                atomic_load(&x->r->dur_seq));
    x->type = RG_T_FILL;
    x->ready = 1;
}

int
wk_ring_close(wk_ring *r)
{
    if (r == NULL)
        return 0;
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    for (wk_ring_res *x = r->q_first; x != NULL; x = x->next)
        if (!x->ready)
            rg_fill(x);
    if (!r->read_only && r->poison == 0) {
        rc = rg_drive(r, rg_ready_end(r), 1);
    }
    int write_sb =
        !r->read_only && r->poison == 0 && (r->dur_pos != r->sb.tail_pos);
    uint64_t hp = r->head_pos, hs = r->head_seq;
    pthread_mutex_unlock(&r->mu);
    if (write_sb) {
        pthread_mutex_lock(&r->adv_mu);
        int rc2 = wk__rg_write_sb(r, hp, hs);
        pthread_mutex_unlock(&r->adv_mu);
        if (rc == 0)
            rc = rc2;
    }
    rg_free(r);
    return rc;
}

/* ---- write path -------------------------------------------------------- */

/* Allocates a queue item with a record buffer of 24 + len bytes. */
static wk_ring_res *
rg_item(wk_ring *r, uint32_t len)
{
    wk_ring_res *x = wk__malloc(sizeof *x + WK__REC_HDR + (size_t)len);
    if (x == NULL)
        return NULL;
    memset(x, 0, sizeof *x);
    x->r = r;
    x->len = len;
    x->rec = (uint8_t *)(x + 1);
    return x;
}

static void
rg_enqueue(wk_ring *r, wk_ring_res *x)
{
    x->next = NULL;
    if (r->q_last != NULL)
        r->q_last->next = x;
    else
        r->q_first = x;
    r->q_last = x;
}

int
wk_ring_reserve(wk_ring *r, size_t len, wk_ring_res **out)
{
    if (r == NULL || out == NULL)
        return -EINVAL;
    if (r->read_only)
        return -EROFS;
    if (len > r->g.max_len)
        return wk__errmsg_set(&r->msg, -E2BIG,
                              "append of %zu bytes to ring '%s' (max %u)", len,
                              r->path, r->g.max_len);
    const rg_geo *g = &r->g;
    uint64_t need = WK__REC_HDR + (uint64_t)len;
    /* Allocate before taking the lock: a WRAP pad may be needed too. */
    wk_ring_res *x = rg_item(r, (uint32_t)len);
    wk_ring_res *pad = rg_item(r, 0);
    if (x == NULL || pad == NULL) {
        wk__free(x);
        wk__free(pad);
        return wk__errmsg_set(&r->msg, WK_ENOMEM, "reserve in ring '%s'",
                              r->path);
    }
    pthread_mutex_lock(&r->mu);
    if (r->poison != 0) {
        pthread_mutex_unlock(&r->mu);
        wk__free(x);
        wk__free(pad);
        return WK_EPOISONED;
    }
    uint64_t p = wk__rg_norm(g, r->res_pos);
    int use_pad = 0;
    if (need > g->D - p % g->D) {
        use_pad = 1;
        p = p - p % g->D + g->D;
    }
    if (p + need - r->head_pos > g->D) {
        uint64_t free_bytes = g->D - (r->res_pos - r->head_pos);
        pthread_mutex_unlock(&r->mu);
        wk__free(x);
        wk__free(pad);
        return wk__errmsg_set(
            &r->msg, WK_EFULL, "ring '%s' full: %llu bytes needed, %llu free",
            r->path, (unsigned long long)need, (unsigned long long)free_bytes);
    }
    uint64_t dur = atomic_load(&r->dur_seq);
    if (use_pad) {
        uint64_t pp = wk__rg_norm(g, r->res_pos);
        pad->pos = pp;
        pad->end = p;
        pad->seq = r->res_seq++;
        pad->type = RG_T_WRAP;
        pad->ready = 1;
        wk__rg_seal(g, pad->rec, RG_T_WRAP, 0, pp, pad->seq, dur);
        rg_enqueue(r, pad);
        pad = NULL;
    }
    x->pos = p;
    x->end = p + need;
    x->seq = r->res_seq++;
    x->type = RG_T_DATA;
    r->res_pos = x->end;
    rg_enqueue(r, x);
    pthread_mutex_unlock(&r->mu);
    wk__free(pad);
    *out = x;
    return 0;
}

void *
wk_ring_res_data(wk_ring_res *res)
{
    return res == NULL ? NULL : res->rec + WK__REC_HDR;
}

uint64_t
wk_ring_res_pos(const wk_ring_res *res)
{
    return res == NULL ? 0 : res->pos;
}

/* Writes a batch (a detached list of n items) with one pwritev per
 * contiguous run. */
static int
rg_write_batch(wk_ring *r, wk_ring_res *first, size_t n)
{
    struct iovec iov[64];
    int cnt = 0;
    uint64_t run_start = 0, run_end = 0;
    wk_ring_res *x = first;
    for (size_t i = 0; i <= n; i++, x = i < n ? x->next : NULL) {
        uint64_t len = 0;
        if (x != NULL)
            len = WK__REC_HDR + (x->type == RG_T_WRAP ? 0 : x->len);
        if (cnt > 0 && (x == NULL || x->pos != run_end || cnt == 64 ||
                        x->pos % r->g.D == 0)) {
            int rc = wk_file_pwritev(r->g.f, iov, cnt,
                                     r->g.base + run_start % r->g.D);
            if (rc != 0)
                return rc;
            cnt = 0;
        }
        if (x == NULL)
            break;
        if (cnt == 0)
            run_start = x->pos;
        iov[cnt].iov_base = x->rec;
        iov[cnt].iov_len = (size_t)len;
        cnt++;
        run_end = x->pos + len;
    }
    return 0;
}

/* Waits (mu held) until every record before seq target is written, and
 * durable if want_sync, taking the leader's role when no writer is active
 * and there is work. Returns 0 or the poisoning error. */
static int
rg_drive(wk_ring *r, uint64_t target, int want_sync)
{
    if (want_sync && r->sync_want < target)
        r->sync_want = target;
    for (;;) {
        uint64_t dur = atomic_load(&r->dur_seq);
        if (r->wr_seq >= target && (!want_sync || dur >= target))
            return 0;
        if (r->poison != 0)
            return r->poison;
        int have_ready = r->q_first != NULL && r->q_first->ready;
        int need_sync = r->sync_want > dur && r->wr_seq > dur;
        if (r->leader || (!have_ready && !need_sync)) {
            pthread_cond_wait(&r->cv, &r->mu);
            continue;
        }
        /* Lead: take the ready prefix. */
        r->leader = 1;
        wk_ring_res *first = r->q_first, *last = NULL;
        size_t n = 0;
        uint64_t bytes = 0, data = 0;
        for (wk_ring_res *x = first; x != NULL && x->ready; x = x->next) {
            if (n > 0 && (bytes + x->len > r->max_batch || n >= 65535))
                break;
            bytes += WK__REC_HDR + x->len;
            data += x->type == RG_T_DATA;
            last = x;
            n++;
        }
        if (last != NULL) {
            r->q_first = last->next;
            if (r->q_first == NULL)
                r->q_last = NULL;
            last->next = NULL;
        }
        uint64_t end_pos = last != NULL ? last->end : r->wr_pos;
        uint64_t end_seq = last != NULL ? last->seq + 1 : r->wr_seq;
        int do_sync = r->sync_want > dur;
        pthread_mutex_unlock(&r->mu);
        int rc = 0;
        const char *what = "write";
        if (n > 0)
            rc = rg_write_batch(r, first, n);
        if (rc == 0 && do_sync) {
            what = "fdatasync";
            rc = wk_file_sync(r->g.f, WK_SYNC_DATA);
        }
        while (first != NULL) {
            wk_ring_res *nx = first->next;
            wk__free(first);
            first = nx;
        }
        if (rc != 0)
            wk__errmsg_set(&r->msg, rc, "%s ring '%s'", what, r->path);
        pthread_mutex_lock(&r->mu);
        if (rc != 0) {
            if (r->poison == 0)
                r->poison = rc;
        } else {
            r->wr_pos = end_pos;
            r->wr_seq = end_seq;
            r->entries += data;
            if (n > 0)
                r->st.batches++;
            if (do_sync) {
                r->dur_pos = end_pos;
                atomic_store(&r->dur_seq, end_seq);
                r->st.syncs++;
            }
        }
        r->leader = 0;
        pthread_cond_broadcast(&r->cv);
    }
}

int
wk_ring_commit(wk_ring_res *res, int flags)
{
    if (res == NULL)
        return -EINVAL;
    wk_ring *r = res->r;
    uint64_t seq = res->seq;
    wk__rg_seal(&r->g, res->rec, RG_T_DATA, res->len, res->pos, seq,
                atomic_load(&r->dur_seq));
    pthread_mutex_lock(&r->mu);
    int was_poisoned = r->poison != 0;
    res->ready = 1;
    r->st.appends++;
    int rc = was_poisoned ? WK_EPOISONED
                          : rg_drive(r, seq + 1, (flags & WK_SYNC) != 0);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void
wk_ring_cancel(wk_ring_res *res)
{
    if (res == NULL)
        return;
    wk_ring *r = res->r;
    pthread_mutex_lock(&r->mu);
    rg_fill(res);
    r->st.cancels++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int
wk_ring_append(wk_ring *r, const void *data, size_t len, int flags,
               uint64_t *pos)
{
    if (r == NULL || (data == NULL && len > 0))
        return -EINVAL;
    wk_ring_res *res = NULL;
    int rc = wk_ring_reserve(r, len, &res);
    if (rc != 0)
        return rc;
    if (len > 0)
        memcpy(res->rec + WK__REC_HDR, data, len);
    uint64_t p = res->pos;
    rc = wk_ring_commit(res, flags);
    if (rc == 0 && pos != NULL)
        *pos = p;
    return rc;
}

int
wk_ring_sync(wk_ring *r)
{
    if (r == NULL)
        return -EINVAL;
    if (r->read_only)
        return -EROFS;
    pthread_mutex_lock(&r->mu);
    int rc = r->poison != 0 ? WK_EPOISONED : rg_drive(r, rg_ready_end(r), 1);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void
wk_ring_stats_get(wk_ring *r, wk_ring_stats *st)
{
    if (r == NULL || st == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    *st = r->st;
    st->capacity = r->g.D;
    st->used = r->res_pos - r->head_pos;
    st->free = r->g.D - st->used;
    st->head = r->head_pos;
    st->tail = r->wr_pos;
    st->durable_tail = r->dur_pos;
    st->reserved_tail = r->res_pos;
    st->head_seq = r->head_seq;
    st->tail_seq = r->wr_seq;
    st->entries = r->entries;
    st->max_entry = r->g.max_len;
    st->poisoned = r->poison;
    pthread_mutex_unlock(&r->mu);
}

const char *
wk_ring_errmsg(wk_ring *r)
{
    if (r == NULL)
        return "";
    return wk__errmsg_get(&r->msg);
}

int
wk_ring_verify(const char *path, const wk_ring_opts *opts,
               wk_ring_report *report)
{
    wk_ring_opts o;
    if (report != NULL)
        memset(report, 0, sizeof *report);
    if (path == NULL || rg_opts(opts, &o) != 0)
        return -EINVAL;
    rg_geo g;
    memset(&g, 0, sizeof g);
    g.vfs = o.vfs;
    g.path = path;
    int rc = o.vfs->open(o.vfs, path, WK_O_RDONLY, &g.f);
    if (rc != 0)
        return rc;
    rg_sb sb;
    wk__errmsg msg;
    wk__errmsg_init(&msg);
    rc = wk__rg_read_sbs(&g, o.region_offset, o.capacity, &sb, report);
    if (rc == 0) {
        rg_scan sc;
        rc = wk__rg_recover(&g, &sb, WK_RECOVER_TOLERATE_TORN_TAIL, 0, report,
                            &sc, &msg);
    }
    wk__errmsg_destroy(&msg);
    wk_file_close(g.f);
    return rc;
}
