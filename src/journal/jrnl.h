/* wk_journal internals shared by journal.c (handle, commit path, reads,
 * checkpoint), jsuper.c (format, superblocks, recovery, verify) and
 * overlay.c. The format is specified at the top of journal.c. */
#ifndef WK_JOURNAL_JRNL_H
#define WK_JOURNAL_JRNL_H

#include <pthread.h>
#include <stdint.h>

#include "common/errmsg.h"
#include "common/record.h"
#include "journal/overlay.h"
#include "walkit/journal.h"

#define JR_SB_SLOT 4096u /* bytes per superblock slot; two slots */
#define JR_SB_AREA (2u * JR_SB_SLOT)
#define JR_SB_BYTES 512u /* bytes written per superblock (one sector) */
#define JR_SB_USED 128u  /* encoded superblock; crc in the last 4 */
#define JR_ALIGN 512u    /* batch records start and end on this */
#define JR_PREFIX 16u    /* batch payload prefix: lpos, nwrites, used */
#define JR_ENTRY_HDR 16u /* per write: off u64, len u32, reserved u32 */
#define JR_MIN_CAP (64u * 1024u)
#define JR_VERSION 1u
#define JR_TYPE_BATCH 1u
#define JR_FLAG_REGION 1u
/* Worst-case bytes a one-transaction batch adds around its entries. */
#define JR_BATCH_OVERHEAD (WK__REC_HDR + JR_PREFIX + JR_ALIGN - 1)

static inline uint64_t
jr_align(uint64_t n)
{
    return (n + JR_ALIGN - 1) & ~(uint64_t)(JR_ALIGN - 1);
}

static inline uint64_t
jr_entry_size(uint64_t len)
{
    return JR_ENTRY_HDR + ((len + 7) & ~(uint64_t)7);
}

/* A decoded superblock. */
typedef struct jr_sb {
    uint32_t version;
    uint32_t flags;
    uint64_t gen;
    uint64_t salt;
    uint64_t joff;     /* journal start in its file */
    uint64_t jcap;     /* journal bytes, superblocks included */
    uint64_t next_seq; /* first batch not covered (recovery starts here) */
    uint64_t next_pos; /* its logical ring position */
} jr_sb;

struct wk_journal_txn {
    wk_journal *j;
    wk__jbuf *buf; /* encoded writes; buf->size = bytes used */
    size_t cap;    /* bytes allocated for buf->data */
    uint32_t nwrites;
    wk__ovl_node *spare; /* two preallocated overlay nodes per write */
    /* Commit queue state (under j->mu). */
    wk_journal_txn *next;
    uint64_t res; /* journal bytes reserved */
    int done;
    int rc;
    uint64_t seq;
};

struct wk_journal {
    wk_vfs *vfs;
    char *path;
    char *jpath;       /* NULL in region mode */
    wk_file *df;       /* data file */
    wk_file *jf;       /* journal file (== df in region mode) */
    wk_vfs_lock *lock; /* exclusive lock on the data file (writers) */
    int region;
    int read_only;
    wk_recovery_policy policy;
    uint64_t joff, jcap; /* journal area in jf */
    uint64_t ring_off;   /* joff + JR_SB_AREA */
    uint64_t R;          /* ring bytes */
    uint64_t salt;
    uint32_t salt_crc;
    uint64_t ovl_cap, max_batch;
    uint32_t batch_wait_us, full_wait_ms, ckpt_pct;

    pthread_mutex_t mu;
    pthread_cond_t done_cv;  /* a batch finished */
    pthread_cond_t space_cv; /* journal or overlay space freed */
    pthread_cond_t ckpt_cv;  /* wakes the background checkpointer */
    pthread_cond_t lead_cv;  /* a waiting leader (max_batch_wait_us) */
    /* Under mu: */
    wk_journal_txn *q_head, *q_tail;
    int writing;          /* a leader is writing a batch */
    uint64_t next_seq;    /* seq of the next batch */
    uint64_t tail_pos;    /* logical ring position after the last
                             durable batch */
    uint64_t durable_seq; /* last durable batch */
    uint64_t reserved;    /* journal bytes reserved by queued/in-flight */
    uint64_t pend_ovl;    /* overlay bytes of queued/in-flight txns */
    uint64_t ovl_bytes;   /* copy of ovl.bytes */
    uint64_t ovl_extents;
    uint64_t free_pos; /* ring positions below this are reusable */
    jr_sb sb;          /* the newest durable superblock */
    int space_waiters;
    int poison;
    int closing;
    int ckpt_req;
    int have_thread;
    pthread_t thread;
    wk_journal_stats st;

    pthread_mutex_t ckpt_mu; /* one checkpoint at a time */
    pthread_rwlock_t ovl_lock;
    wk__ovl ovl;
    wk__errmsg msg;
};

/* May a transaction write [off, off+len)? (No overflow; not into the
 * journal region.) */
static inline int
wk__jr_range_ok(const wk_journal *j, uint64_t off, uint64_t len)
{
    if (off + len < off)
        return 0;
    if (j->region && len > 0 && off < j->joff + j->jcap && off + len > j->joff)
        return 0;
    return 1;
}

/* jsuper.c */
void wk__jr_sb_encode(uint8_t *b, const jr_sb *sb);
/* 0, WK_EFORMAT (not a superblock / wrong version), WK_ECORRUPT (magic
 * present but CRC bad). */
int wk__jr_sb_decode(const uint8_t *b, jr_sb *sb);
int wk__jr_ring_read(wk_journal *j, uint64_t pos, void *buf, size_t len);
int wk__jr_ring_writev(wk_journal *j, uint64_t pos, const struct iovec *iov,
                       int cnt);
/* Reads both superblocks, scans and (load) replays the batches after the
 * newest into the overlay; repairs (write back, sync, checkpoint) unless
 * read-only. Sets the handle's sequence and position state. */
int wk__jr_recover(wk_journal *j, wk_journal_report *rep, int load);
/* Writes superblock gen+1 at the next slot and syncs the journal. */
int wk__jr_sb_write(wk_journal *j, const jr_sb *sb);

/* journal.c */
int wk__jr_poison(wk_journal *j, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* jckpt.c: one checkpoint (see journal.c); force_free also frees the
 * journal space up to the new superblock (a second superblock write). */
int wk__jr_checkpoint(wk_journal *j, int force_free);
/* Inserts the writes encoded in [p, p+used) (of buffer b) into the overlay
 * under the write lock, allocating nodes; -ENOMEM possible. */
int wk__jr_load_entries(wk_journal *j, wk__jbuf *b, const uint8_t *p,
                        uint32_t used, uint64_t seq);
/* Validates the encoded writes of a batch: count, bounds, region. */
int wk__jr_parse_entries(const wk_journal *j, const uint8_t *p, uint32_t used,
                         uint32_t nwrites, uint64_t *bytes);

#endif
