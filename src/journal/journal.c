/* wk_journal: atomic multi-offset write transactions on one file.
 *
 * FILES. A data file (the "device"), and its journal: either a separate
 * file (journal area = the whole file, joff = 0) or the region
 * [joff, joff + jcap) of the data file itself, which transactions may not
 * write to. The journal area is:
 *
 *   joff + 0      superblock slot 0 (4096 bytes; 512 written)
 *   joff + 4096   superblock slot 1
 *   joff + 8192   record ring: R = jcap - 8192 bytes, multiple of 512
 *
 * SUPERBLOCK (little-endian, 128 bytes used):
 *    0 magic "WKJOURNL"   8 version u32 (1)    12 flags u32 (1 = region)
 *   16 gen u64            24 salt u64          32 joff u64     40 jcap u64
 *   48 next_seq u64       56 next_pos u64      64..123 zero
 *  124 crc u32 = CRC32C of bytes 0..123.
 * Superblock gen lives in slot gen % 2; a copy is valid when magic,
 * version, CRC and slot agree; the valid copy with the highest gen wins.
 * It says: every batch before next_seq is applied to the data file and
 * durable there; recovery starts at logical ring position next_pos with
 * batch next_seq. Format writes gen 1 (next_seq 1, next_pos 0) and a fresh
 * random salt; the salt never changes afterwards.
 *
 * RING. Positions are logical byte counts since format (u64, never wrap);
 * position p lives at file offset ring_off + p % R, so a record may be cut
 * in two at the end of the ring. Records start and end on 512-byte
 * boundaries. Space below free_pos may be reused, where free_pos is the
 * next_pos of the OLDER of the two superblock copies: whichever copy
 * survives a crash in the middle of a superblock write, the batches after
 * it are still there.
 *
 * BATCH RECORD: the common framing (src/common/record.h) with the
 * journal's salt: type 1, flags 0, aux16 0, aux = number of transactions,
 * seq = batch sequence (1, 2, 3, ... strictly increasing for the life of
 * the journal), len = payload bytes. Payload:
 *    0 lpos u64 (the record's own logical position)   8 nwrites u32
 *   12 used u32 (bytes of entries that follow)
 *   16 entries: off u64, len u32, reserved u32 (0), len bytes, zero pad
 *      to 8; then zeros so that 24 + len is a multiple of 512.
 * A batch is valid at position p with expected sequence s iff the header
 * and payload pass the CRC (salt included), type is 1, seq == s, lpos ==
 * p, and the entries parse exactly: nwrites entries fill `used`, every
 * off + len fits in 64 bits and (region mode) misses the journal region.
 * Requiring seq == s exactly means stale records of an earlier lap (lower
 * seq), zeroed space and other files' records (other salt) never validate.
 * Transactions of one batch are atomic together: a batch is one record.
 *
 * COMMIT PATH (group commit). begin/write build a transaction in memory
 * only (encoded entries, plus two preallocated overlay nodes per write so
 * that applying it to the overlay cannot fail). commit reserves journal
 * and overlay space (waiting up to full_wait_ms for a checkpoint, else
 * WK_EFULL), queues the transaction and waits; the first waiter finding no
 * batch in flight becomes leader, takes every queued transaction (up to
 * max_batch_bytes), and writes them as one record with one pwritev (two at
 * the ring's end) and one fdatasync of the journal; then inserts their
 * writes into the overlay, publishes the new durable sequence and wakes
 * everyone. Committers that arrived meanwhile form the next batch. No
 * other I/O is on this path: the data file is not touched.
 *
 * OVERLAY AND READS. Durable-but-unapplied writes live in an interval map
 * (overlay.c). wk_journal_read reads the data file and lays the overlay over
 * it, under the overlay's read lock (so a checkpoint cannot drop an extent
 * between the two).
 *
 * CHECKPOINT (background thread, wk_journal_checkpoint, a full journal,
 * close): S = last durable batch, P = its end position; write every
 * overlay extent to the data file in place; fdatasync the data file; write
 * superblock gen+1 (next_seq S+1, next_pos P) into the other slot and
 * fdatasync the journal; drop extents with seq <= S from the overlay; the
 * old superblock's position becomes free_pos. When a committer waits for
 * space, a second superblock (same position) follows at once, so P itself
 * becomes free.
 *
 * RECOVERY (open). Take the newest valid superblock; from (next_pos,
 * next_seq) read batches while valid; write each back in place (a batch
 * whose fdatasync failed may be visible in the page cache yet not durable)
 * and load it into the overlay; sync the journal before anything is applied
 * to the data file; then checkpoint. Then classify the end: an invalid
 * record followed (at any 512-byte position of the ring) by a valid batch
 * seq s+1 is corruption (policy: fail open with WK_ECORRUPT, stop there,
 * or skip it); otherwise a record there with the expected seq is a torn
 * tail: its first sector is zeroed. Recovery only re-does idempotent
 * writes (absolute bytes at absolute offsets) and alternates superblock
 * slots, so a crash inside it is recovered the same way.
 *
 * SOURCES. journal.c: handle, transactions, commit path, reads, stats;
 * jckpt.c: checkpoint and overlay loading; jsuper.c: format, superblocks,
 * ring I/O, recovery, verify; overlay.c: the interval map.
 *
 * DURABILITY. fdatasync(journal) after a batch makes its transactions
 * durable (acked). fdatasync(data) in a checkpoint makes applied writes
 * durable; only then does a superblock move past them, and only the
 * superblock's fdatasync lets their journal space be reused (one
 * checkpoint later). Any failed write or sync poisons the handle
 * (fail-stop, never retried): waiters get the error, later mutations
 * WK_EPOISONED; reopen recovers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "journal/jrnl.h"

#define JR_TXN_INIT 256u

static const uint8_t jr_zeros[JR_ALIGN];

void
wk_journal_opts_init(wk_journal_opts *opts)
{
    if (opts == NULL)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->capacity = 64ull << 20;
    opts->overlay_max_bytes = 64ull << 20;
    opts->max_batch_bytes = 4ull << 20;
    opts->full_wait_ms = 10000;
    opts->checkpoint_pct = 50;
    opts->recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
}

int
wk__jr_poison(wk_journal *j, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wk__errmsg_vset(&j->msg, rc, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&j->mu);
    if (j->poison == 0)
        j->poison = rc;
    pthread_cond_broadcast(&j->done_cv);
    pthread_cond_broadcast(&j->space_cv);
    pthread_cond_broadcast(&j->lead_cv);
    pthread_mutex_unlock(&j->mu);
    return rc;
}

static const char *
jr_jname(const wk_journal *j)
{
    return j->region ? j->path : j->jpath;
}

/* ---- transactions ---------------------------------------------------- */

int
wk_journal_begin(wk_journal *j, wk_journal_txn **out)
{
    if (j == NULL || out == NULL)
        return -EINVAL;
    if (j->read_only)
        return -EROFS;
    pthread_mutex_lock(&j->mu);
    int poison = j->poison;
    pthread_mutex_unlock(&j->mu);
    if (poison)
        return WK_EPOISONED;
    wk_journal_txn *t = wk__calloc(1, sizeof *t);
    if (t == NULL)
        return WK_ENOMEM;
    t->buf = wk__malloc(sizeof *t->buf + JR_TXN_INIT);
    if (t->buf == NULL) {
        wk__free(t);
        return WK_ENOMEM;
    }
    t->buf->refs = 0;
    t->buf->size = 0;
    t->cap = JR_TXN_INIT;
    t->j = j;
    *out = t;
    return 0;
}

/* Largest encoded transaction that fits in the ring on its own. */
static uint64_t
jr_max_txn(const wk_journal *j)
{
    uint64_t m = j->R - JR_BATCH_OVERHEAD;
    if (m > UINT32_MAX - JR_ALIGN - JR_PREFIX)
        m = UINT32_MAX - JR_ALIGN - JR_PREFIX;
    return m;
}

int
wk_journal_write(wk_journal_txn *txn, uint64_t off, const void *data,
                 size_t len)
{
    if (txn == NULL || (data == NULL && len > 0))
        return -EINVAL;
    wk_journal *j = txn->j;
    if (!wk__jr_range_ok(j, off, len))
        return -EINVAL;
    if (len == 0)
        return 0;
    uint64_t esz = jr_entry_size(len);
    if (len > UINT32_MAX || txn->buf->size + esz > jr_max_txn(j))
        return -E2BIG;
    size_t need = txn->buf->size + (size_t)esz;
    if (need > txn->cap) {
        size_t ncap = txn->cap * 2;
        while (ncap < need)
            ncap *= 2;
        wk__jbuf *nb = wk__realloc(txn->buf, sizeof *nb + ncap);
        if (nb == NULL)
            return WK_ENOMEM;
        txn->buf = nb;
        txn->cap = ncap;
    }
    wk__ovl_node *n1 = wk__malloc(sizeof *n1);
    wk__ovl_node *n2 = wk__malloc(sizeof *n2);
    if (n1 == NULL || n2 == NULL) {
        wk__free(n1);
        wk__free(n2);
        return WK_ENOMEM;
    }
    n1->r = n2;
    n2->r = txn->spare;
    txn->spare = n1;
    uint8_t *p = txn->buf->data + txn->buf->size;
    wk__put64(p, off);
    wk__put32(p + 8, (uint32_t)len);
    wk__put32(p + 12, 0);
    memcpy(p + JR_ENTRY_HDR, data, len);
    memset(p + JR_ENTRY_HDR + len, 0, (size_t)(esz - JR_ENTRY_HDR - len));
    txn->buf->size = need;
    txn->nwrites++;
    return 0;
}

static void
jr_txn_free(wk_journal_txn *t)
{
    if (t == NULL)
        return;
    while (t->spare != NULL) {
        wk__ovl_node *n = t->spare;
        t->spare = n->r;
        wk__free(n);
    }
    if (t->buf != NULL)
        wk__free(t->buf);
    wk__free(t);
}

void
wk_journal_abort(wk_journal_txn *txn)
{
    jr_txn_free(txn);
}

/* ---- commit path ----------------------------------------------------- */

static void
jr_deadline(struct timespec *ts, uint64_t us)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(us / 1000000);
    ts->tv_nsec += (long)(us % 1000000) * 1000;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static uint64_t
jr_used(const wk_journal *j)
{
    return j->tail_pos - j->free_pos;
}

/* Under mu: may a transaction reserving res journal bytes and ovl overlay
 * bytes be queued now? */
static int
jr_fits(const wk_journal *j, uint64_t res, uint64_t ovl)
{
    if (jr_used(j) + j->reserved + res > j->R)
        return 0;
    uint64_t held = j->ovl_bytes + j->pend_ovl;
    return held == 0 || held + ovl <= j->ovl_cap;
}

/* Under mu: should the background thread checkpoint? */
static int
jr_want_ckpt(const wk_journal *j)
{
    if (j->ckpt_pct == 0)
        return 0;
    return jr_used(j) * 100 >= j->R * j->ckpt_pct ||
           j->ovl_bytes * 100 >= j->ovl_cap * j->ckpt_pct;
}

/* Under mu: waits until t may be queued. Returns 0 or an error. */
static int
jr_admit(wk_journal *j, wk_journal_txn *t)
{
    struct timespec dl;
    int inline_runs = 0, counted = 0, rc = 0;
    jr_deadline(&dl, (uint64_t)j->full_wait_ms * 1000);
    j->space_waiters++;
    for (;;) {
        if (j->poison) {
            rc = WK_EPOISONED;
            break;
        }
        if (jr_fits(j, t->res, t->buf->size))
            break;
        if (!counted) {
            j->st.full_waits++;
            counted = 1;
        }
        if (j->have_thread) {
            j->ckpt_req = 1;
            pthread_cond_signal(&j->ckpt_cv);
        } else if (inline_runs < 2) {
            inline_runs++;
            pthread_mutex_unlock(&j->mu);
            rc = wk__jr_checkpoint(j, 1);
            pthread_mutex_lock(&j->mu);
            if (rc != 0)
                break;
            continue;
        }
        if (pthread_cond_timedwait(&j->space_cv, &j->mu, &dl) == ETIMEDOUT &&
            !jr_fits(j, t->res, t->buf->size)) {
            rc = wk__errmsg_set(&j->msg, WK_EFULL,
                                "commit: journal '%s' or overlay full",
                                jr_jname(j));
            break;
        }
        inline_runs = 0;
    }
    j->space_waiters--;
    return rc;
}

/* Writes and syncs the batch made of txns [head .. last] (ntx of them,
 * entries totalling used bytes) at position pos with sequence seq. Called
 * by the leader without mu. Returns the record size via *size. */
static int
jr_write_batch(wk_journal *j, wk_journal_txn *head, uint32_t ntx, uint64_t used,
               uint32_t nwrites, uint64_t pos, uint64_t seq, uint64_t *size)
{
    uint8_t hdr[WK__REC_HDR + JR_PREFIX];
    struct iovec stack_iov[64];
    struct iovec *iov = stack_iov;
    uint64_t total = jr_align(WK__REC_HDR + JR_PREFIX + used);
    uint64_t pad = total - (WK__REC_HDR + JR_PREFIX + used);
    int cnt = 0, rc;

    if ((size_t)ntx + 2 > sizeof stack_iov / sizeof stack_iov[0]) {
        iov = wk__malloc(((size_t)ntx + 2) * sizeof *iov);
        if (iov == NULL)
            return WK_ENOMEM;
    }
    wk__rec r = {.type = JR_TYPE_BATCH,
                 .len = (uint32_t)(total - WK__REC_HDR),
                 .aux = ntx,
                 .seq = seq};
    wk__rec_put_header(hdr, &r);
    wk__put64(hdr + WK__REC_HDR, pos);
    wk__put32(hdr + WK__REC_HDR + 8, nwrites);
    wk__put32(hdr + WK__REC_HDR + 12, (uint32_t)used);
    uint32_t crc = wk__rec_crc_begin(j->salt_crc, hdr);
    crc = wk__crc32c(crc, hdr + WK__REC_HDR, JR_PREFIX);
    iov[cnt++] = (struct iovec){hdr, sizeof hdr};
    wk_journal_txn *t = head;
    for (uint32_t i = 0; i < ntx; i++, t = t->next) {
        crc = wk__crc32c(crc, t->buf->data, t->buf->size);
        iov[cnt++] = (struct iovec){t->buf->data, t->buf->size};
    }
    if (pad > 0) {
        crc = wk__crc32c(crc, jr_zeros, (size_t)pad);
        iov[cnt++] = (struct iovec){(void *)jr_zeros, (size_t)pad};
    }
    wk__put32(hdr, crc);

    rc = wk__jr_ring_writev(j, pos, iov, cnt);
    if (rc != 0) {
        wk__jr_poison(j, rc, "write batch %llu to journal '%s'",
                      (unsigned long long)seq, jr_jname(j));
        goto out;
    }
    rc = wk_file_sync(j->jf, WK_SYNC_DATA);
    if (rc != 0) {
        wk__jr_poison(j, rc, "fdatasync journal '%s' (batch %llu)", jr_jname(j),
                      (unsigned long long)seq);
        goto out;
    }
    *size = total;
out:
    if (iov != stack_iov)
        wk__free(iov);
    return rc;
}

/* Inserts a durable transaction's writes into the overlay (under the
 * overlay write lock held by the caller). Consumes t->buf and the spare
 * nodes. */
static void
jr_apply_txn(wk_journal *j, wk_journal_txn *t, uint64_t seq)
{
    wk__jbuf *b = t->buf;
    const uint8_t *p = b->data, *end = b->data + b->size;
    wk__ovl_hold(&j->ovl, b);
    while (p < end) {
        uint64_t off = wk__get64(p);
        uint32_t len = wk__get32(p + 8);
        wk__ovl_node *n1 = t->spare, *n2 = n1->r;
        t->spare = n2->r;
        wk__ovl_insert(&j->ovl, off, len, seq, p + JR_ENTRY_HDR, b, n1, n2);
        p += jr_entry_size(len);
    }
    wk__jbuf_unref(&j->ovl, b);
    t->buf = NULL;
}

/* Leader: under mu on entry and exit; writing was set by the caller. */
static void
jr_lead(wk_journal *j)
{
    if (j->batch_wait_us > 0 && j->q_head != NULL) {
        struct timespec dl;
        jr_deadline(&dl, j->batch_wait_us);
        while (!j->poison &&
               pthread_cond_timedwait(&j->lead_cv, &j->mu, &dl) != ETIMEDOUT)
            ;
    }
    wk_journal_txn *head = j->q_head, *last = NULL, *t;
    uint64_t used = 0, res = 0, ovl = 0;
    uint32_t ntx = 0, nwrites = 0;
    for (t = head; t != NULL; t = t->next) {
        if (ntx > 0 && used + t->buf->size > j->max_batch)
            break;
        used += t->buf->size;
        res += t->res;
        ovl += t->buf->size;
        nwrites += t->nwrites;
        ntx++;
        last = t;
    }
    j->q_head = last->next;
    if (j->q_head == NULL)
        j->q_tail = NULL;
    last->next = NULL;
    uint64_t seq = j->next_seq++;
    uint64_t pos = j->tail_pos;
    int rc = j->poison ? WK_EPOISONED : 0;
    pthread_mutex_unlock(&j->mu);

    uint64_t size = 0;
    if (rc == 0)
        rc = jr_write_batch(j, head, ntx, used, nwrites, pos, seq, &size);
    if (rc == 0) {
        pthread_rwlock_wrlock(&j->ovl_lock);
        for (t = head; t != NULL; t = t->next)
            jr_apply_txn(j, t, seq);
        uint64_t ob = j->ovl.bytes, oe = j->ovl.extents;
        pthread_rwlock_unlock(&j->ovl_lock);
        pthread_mutex_lock(&j->mu);
        j->ovl_bytes = ob;
        j->ovl_extents = oe;
        j->tail_pos = pos + size;
        j->durable_seq = seq;
        j->st.batches++;
        j->st.syncs++;
        j->st.commits += ntx;
        j->st.writes += nwrites;
    } else {
        pthread_mutex_lock(&j->mu);
        if (j->next_seq == seq + 1)
            j->next_seq = seq; /* nothing later was written */
    }
    j->reserved -= res;
    j->pend_ovl -= ovl;
    for (t = head; t != NULL;) {
        wk_journal_txn *nx = t->next;
        t->rc = rc;
        t->seq = rc == 0 ? seq : 0;
        t->done = 1; /* the committer may free t from here on */
        t = nx;
    }
    j->writing = 0;
    if (jr_want_ckpt(j) && j->have_thread) {
        j->ckpt_req = 1;
        pthread_cond_signal(&j->ckpt_cv);
    }
    pthread_cond_broadcast(&j->done_cv);
    pthread_cond_broadcast(&j->space_cv);
}

int
wk_journal_commit(wk_journal_txn *txn, uint64_t *seq)
{
    if (txn == NULL)
        return -EINVAL;
    wk_journal *j = txn->j;
    int rc;
    if (seq != NULL)
        *seq = 0;
    if (txn->nwrites == 0) {
        pthread_mutex_lock(&j->mu);
        rc = j->poison ? WK_EPOISONED : 0;
        pthread_mutex_unlock(&j->mu);
        jr_txn_free(txn);
        return rc;
    }
    txn->res = txn->buf->size + JR_BATCH_OVERHEAD;
    uint64_t wbytes = 0;
    for (const uint8_t *p = txn->buf->data; p < txn->buf->data + txn->buf->size;
         p += jr_entry_size(wk__get32(p + 8)))
        wbytes += wk__get32(p + 8);

    pthread_mutex_lock(&j->mu);
    rc = jr_admit(j, txn);
    if (rc != 0) {
        pthread_mutex_unlock(&j->mu);
        jr_txn_free(txn);
        return rc;
    }
    j->reserved += txn->res;
    j->pend_ovl += txn->buf->size;
    if (j->q_tail != NULL)
        j->q_tail->next = txn;
    else
        j->q_head = txn;
    j->q_tail = txn;
    pthread_cond_signal(&j->lead_cv);
    while (!txn->done) {
        if (!j->writing) {
            j->writing = 1;
            jr_lead(j);
        } else {
            pthread_cond_wait(&j->done_cv, &j->mu);
        }
    }
    rc = txn->rc;
    if (rc == 0) {
        j->st.bytes += wbytes;
        if (seq != NULL)
            *seq = txn->seq;
    }
    pthread_mutex_unlock(&j->mu);
    jr_txn_free(txn);
    return rc;
}

/* ---- reads ----------------------------------------------------------- */

int
wk_journal_read(wk_journal *j, uint64_t off, size_t len, void *buf)
{
    if (j == NULL || (buf == NULL && len > 0) || !wk__jr_range_ok(j, off, len))
        return -EINVAL;
    if (len == 0)
        return 0;
    size_t n = 0;
    pthread_rwlock_rdlock(&j->ovl_lock);
    int rc = wk_file_pread(j->df, buf, len, off, &n);
    if (rc == 0) {
        memset((uint8_t *)buf + n, 0, len - n);
        wk__ovl_read(&j->ovl, off, len, buf);
    }
    pthread_rwlock_unlock(&j->ovl_lock);
    if (rc != 0)
        return wk__errmsg_set(&j->msg, rc, "read data file '%s'", j->path);
    return 0;
}

static void *
jr_thread(void *arg)
{
    wk_journal *j = arg;
    pthread_mutex_lock(&j->mu);
    while (!j->closing) {
        if (j->poison || (!j->ckpt_req && !jr_want_ckpt(j))) {
            pthread_cond_wait(&j->ckpt_cv, &j->mu);
            continue;
        }
        j->ckpt_req = 0;
        int force = j->space_waiters > 0;
        pthread_mutex_unlock(&j->mu);
        wk__jr_checkpoint(j, force);
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- open / close ---------------------------------------------------- */

static void
jr_free(wk_journal *j)
{
    wk__ovl_clear(&j->ovl);
    if (j->lock != NULL)
        j->vfs->unlock_dir(j->vfs, j->lock);
    if (j->jf != NULL && j->jf != j->df)
        wk_file_close(j->jf);
    if (j->df != NULL)
        wk_file_close(j->df);
    pthread_mutex_destroy(&j->mu);
    pthread_mutex_destroy(&j->ckpt_mu);
    pthread_cond_destroy(&j->done_cv);
    pthread_cond_destroy(&j->space_cv);
    pthread_cond_destroy(&j->ckpt_cv);
    pthread_cond_destroy(&j->lead_cv);
    pthread_rwlock_destroy(&j->ovl_lock);
    wk__errmsg_destroy(&j->msg);
    wk__free(j->path);
    wk__free(j->jpath);
    wk__free(j);
}

static int
jr_check_opts(const wk_journal_opts *o)
{
    if (o->size < sizeof *o)
        return -EINVAL;
    if (o->journal_path == NULL && (o->region_offset % 4096) != 0)
        return -EINVAL;
    if (o->capacity != 0 &&
        (o->capacity % 4096 != 0 || o->capacity < JR_MIN_CAP))
        return -EINVAL;
    if (o->checkpoint_pct > 100 || o->recovery > WK_RECOVER_SKIP_CORRUPT)
        return -EINVAL;
    return 0;
}

/* Allocates a handle with the options applied (no I/O). */
static int
jr_alloc(const char *path, const wk_journal_opts *opts, wk_journal **out)
{
    wk_journal_opts def;
    if (opts == NULL) {
        wk_journal_opts_init(&def);
        opts = &def;
    }
    if (path == NULL)
        return -EINVAL;
    int rc = jr_check_opts(opts);
    if (rc != 0)
        return rc;
    wk_journal *j = wk__calloc(1, sizeof *j);
    if (j == NULL)
        return WK_ENOMEM;
    pthread_mutex_init(&j->mu, NULL);
    pthread_mutex_init(&j->ckpt_mu, NULL);
    pthread_cond_init(&j->done_cv, NULL);
    pthread_cond_init(&j->space_cv, NULL);
    pthread_cond_init(&j->ckpt_cv, NULL);
    pthread_cond_init(&j->lead_cv, NULL);
    pthread_rwlock_init(&j->ovl_lock, NULL);
    wk__errmsg_init(&j->msg);
    wk__ovl_init(&j->ovl);
    j->vfs = opts->vfs != NULL ? opts->vfs : wk_vfs_posix();
    j->path = wk__strdup(path);
    if (opts->journal_path != NULL)
        j->jpath = wk__strdup(opts->journal_path);
    if (j->path == NULL || (opts->journal_path != NULL && j->jpath == NULL)) {
        jr_free(j);
        return WK_ENOMEM;
    }
    j->region = opts->journal_path == NULL;
    j->joff = j->region ? opts->region_offset : 0;
    j->jcap = opts->capacity;
    j->read_only = opts->read_only;
    j->policy = opts->recovery;
    j->ovl_cap = opts->overlay_max_bytes ? opts->overlay_max_bytes : 1;
    j->max_batch = opts->max_batch_bytes ? opts->max_batch_bytes : 1;
    j->batch_wait_us = opts->max_batch_wait_us;
    j->full_wait_ms = opts->full_wait_ms;
    j->ckpt_pct = opts->checkpoint_pct;
    *out = j;
    return 0;
}

int
wk_journal_open(const char *path, const wk_journal_opts *opts, wk_journal **out,
                wk_journal_report *report)
{
    wk_journal *j = NULL;
    if (report != NULL)
        memset(report, 0, sizeof *report);
    if (out == NULL)
        return -EINVAL;
    int rc = jr_alloc(path, opts, &j);
    if (rc != 0)
        return rc;
    int fl = j->read_only ? WK_O_RDONLY : WK_O_RDWR;
    rc = j->vfs->open(j->vfs, j->path, fl, &j->df);
    if (rc != 0) {
        wk__errmsg_set(&j->msg, rc, "open data file '%s'", j->path);
        goto fail;
    }
    /* One writer per data file: a second opener gets -EBUSY. */
    if (!j->read_only) {
        rc = j->vfs->lock_dir(j->vfs, j->path, &j->lock);
        if (rc != 0) {
            wk__errmsg_set(&j->msg, rc, "lock data file '%s'", j->path);
            goto fail;
        }
    }
    if (j->region) {
        j->jf = j->df;
    } else {
        rc = j->vfs->open(j->vfs, j->jpath, fl, &j->jf);
        if (rc != 0)
            goto fail;
    }
    rc = wk__jr_recover(j, report, 1);
    if (rc != 0)
        goto fail;
    if (!j->read_only && j->ckpt_pct > 0) {
        if (pthread_create(&j->thread, NULL, jr_thread, j) != 0) {
            rc = WK_ENOMEM;
            goto fail;
        }
        j->have_thread = 1;
    }
    *out = j;
    return 0;
fail:
    jr_free(j);
    return rc;
}

int
wk_journal_close(wk_journal *j)
{
    if (j == NULL)
        return 0;
    int rc = 0;
    if (j->have_thread) {
        pthread_mutex_lock(&j->mu);
        j->closing = 1;
        pthread_cond_broadcast(&j->ckpt_cv);
        pthread_mutex_unlock(&j->mu);
        pthread_join(j->thread, NULL);
    }
    if (!j->read_only) {
        pthread_mutex_lock(&j->mu);
        int poison = j->poison;
        pthread_mutex_unlock(&j->mu);
        rc = poison ? poison : wk__jr_checkpoint(j, 0);
    }
    jr_free(j);
    return rc;
}

int
wk_journal_verify(const char *path, const wk_journal_opts *opts,
                  wk_journal_report *report)
{
    wk_journal_opts o;
    wk_journal *j = NULL;
    wk_journal_report local;
    if (report == NULL)
        report = &local;
    memset(report, 0, sizeof *report);
    if (opts != NULL)
        o = *opts;
    else
        wk_journal_opts_init(&o);
    o.read_only = 1;
    o.recovery = WK_RECOVER_SKIP_CORRUPT; /* find every corruption */
    int rc = jr_alloc(path, &o, &j);
    if (rc != 0)
        return rc;
    rc = j->vfs->open(j->vfs, j->path, WK_O_RDONLY, &j->df);
    if (rc == 0) {
        if (j->region)
            j->jf = j->df;
        else
            rc = j->vfs->open(j->vfs, j->jpath, WK_O_RDONLY, &j->jf);
    }
    if (rc == 0)
        rc = wk__jr_recover(j, report, 0);
    if (rc == 0 && report->corruptions > 0)
        rc = WK_ECORRUPT;
    jr_free(j);
    return rc;
}

/* ---- stats ----------------------------------------------------------- */

void
wk_journal_stats_get(wk_journal *j, wk_journal_stats *st)
{
    if (j == NULL || st == NULL)
        return;
    pthread_mutex_lock(&j->mu);
    *st = j->st;
    st->last_seq = j->durable_seq;
    st->applied_seq = j->sb.next_seq - 1;
    st->journal_capacity = j->R;
    st->journal_used = jr_used(j);
    st->overlay_bytes = j->ovl_bytes;
    st->overlay_extents = j->ovl_extents;
    st->superblock_gen = j->sb.gen;
    st->region = j->region;
    st->poisoned = j->poison;
    pthread_mutex_unlock(&j->mu);
}

const char *
wk_journal_errmsg(wk_journal *j)
{
    if (j == NULL)
        return "";
    return wk__errmsg_get(&j->msg);
}
