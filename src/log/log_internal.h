/* wk_log internals shared by the src/log/ files. The format and the
 * algorithms are described at the top of log.c (and docs/format/log.md). */
#ifndef WK_LOG_INTERNAL_H
#define WK_LOG_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/errmsg.h"
#include "common/record.h"
#include "walkit/log.h"

#define LOG_HDR_BYTES 4096u /* segment header block */
#define LOG_HDR_USED 48u    /* encoded header fields */
#define LOG_FORMAT_VERSION 1u
#define LOG_SEG_MAGIC "WKLOGSEG"
#define LOG_CKP_MAGIC "WKLOGCKP"
#define LOG_CKP_BYTES 24u
#define LOG_CKP_NAME "CHECKPOINT"

#define LOG_SEG_FREE 1u
#define LOG_SEG_ACTIVE 2u

#define LOG_FT_FULL 1u   /* a whole entry */
#define LOG_FT_CHUNK 2u  /* part of a streamed entry */
#define LOG_FT_COMMIT 3u /* completes a streamed entry */
#define LOG_FT_SKIP 4u   /* FSN jump after a crash: payload u64 next FSN */
#define LOG_FT_CLOSE 5u  /* clean close marker: no payload */
#define LOG_FT_MAX LOG_FT_CLOSE
/* Frames that are entries (or complete one): handed to readers. */
#define LOG_FT_IS_ENTRY(t) ((t) == LOG_FT_FULL || (t) == LOG_FT_COMMIT)

#define LOG_CHUNK_HDR 12u  /* u64 stream id, u32 chunk index */
#define LOG_COMMIT_HDR 20u /* u64 stream id, u64 total, u32 nchunks */
#define LOG_COMMIT_REF 16u /* u32 slot, u64 offset, u32 length */

#define LOG_IDX_EVERY (64u * 1024u)  /* sparse index granularity */
#define LOG_NBUF 3                   /* group-commit buffers */
#define LOG_MAX_FRAME_LEN (1u << 30) /* absolute cap on a frame's len */
#define LOG_MAX_FSN (1ull << 62)     /* larger on disk: corrupt */
/* FSN jump of a SKIP frame. Bounds the FSNs handed out but not durable at
 * any moment: they all sit in the LOG_NBUF batch buffers, >= 24 bytes per
 * frame, so LOG_NBUF * (LOG_MAX_BATCH + 24) / 24 < LOG_SKIP_DELTA. */
#define LOG_SKIP_DELTA (1ull << 24)
#define LOG_MAX_BATCH (64u << 20) /* cap on opts.batch_bytes */
#define LOG_SKIP_LEN 8u
#define LOG_FILL_CHUNK (1u << 20) /* lazy zero-fill write size */
/* A frame's undurable field (flags | aux16 << 8): FSNs before its batch
 * that its writer did not know durable (clamped). */
#define LOG_UND_MAX ((1u << 24) - 1)
#define LOG_UND_GET(r) ((uint32_t)(r)->flags | (uint32_t)(r)->aux16 << 8)

/* One sparse index point: frame seq at byte offset off. */
typedef struct log_idx {
    uint64_t fsn;
    uint64_t off;
} log_idx;

/* A segment file (live, ready, or being prepared). Fields marked (mu) are
 * protected by the log's mutex. */
typedef struct wk__seg {
    uint32_t slot;
    char name[32]; /* "seg-000001.wal" */
    wk_file *f;
    uint64_t size; /* file size (bytes) */
    uint64_t salt;
    uint32_t salt_crc;
    uint32_t state;       /* LOG_SEG_FREE / LOG_SEG_ACTIVE (as on disk) */
    uint64_t first_fsn;   /* (mu) 0 while free */
    uint64_t last_fsn;    /* (mu) last frame reserved in it (0: none) */
    uint64_t end;         /* (mu) offset after the last reserved frame */
    uint64_t durable_end; /* (mu) offset after the last durable frame */
    uint64_t max_needed;  /* (mu) highest LSN whose entry needs this seg */
    int pins;             /* (mu) readers and open streams */
    int activated;        /* (mu) ACTIVE header on disk (or in flight) */
    uint64_t hdr_bytes;   /* segment size as its header says */
    /* Lazy zero-fill of a new segment by the background thread (mu):
     * fill_off = next offset to zero (0: not wanted; size: done);
     * filling = a zero write is in progress (a taker waits for it);
     * fill_abort = taken for frames: no zero write may start any more. */
    uint64_t fill_off;
    int filling;
    int fill_abort;
    log_idx *idx; /* (mu) sparse index, ascending */
    uint32_t nidx, capidx;
} wk__seg;

enum { LOG_BUF_FREE = 0, LOG_BUF_OPEN, LOG_BUF_SEALED };

/* A group-commit buffer: a contiguous range [off, off+len) of one segment. */
typedef struct log_buf {
    uint8_t *data;
    size_t cap;
    size_t len;
    int state;
    int writers; /* appenders still copying into it */
    wk__seg *seg;
    uint64_t off;
    uint64_t first_fsn; /* 0 while empty */
    uint64_t last_fsn;
    uint32_t nframes;
    uint32_t nentries;
    pthread_cond_t cv; /* WK_SYNC appenders of this buffer wait here */
    int waiters;
} log_buf;

/* Sequential frame reader over one segment file, with a read window. */
typedef struct wk__scan {
    wk_file *f;
    uint32_t salt_crc;
    uint8_t *buf;
    size_t cap;
    uint64_t woff; /* file offset of buf[0] */
    size_t wvalid; /* bytes of buf known valid */
} wk__scan;

/* A streamed entry's chunk as referenced by its COMMIT frame. */
typedef struct log_chunk_ref {
    uint32_t slot;
    uint64_t off; /* frame offset in the segment */
    uint32_t len; /* chunk data bytes */
} log_chunk_ref;

/* What wk_log_entry.priv points to for streamed entries. */
typedef struct log_stream_view {
    wk_log *log;
    uint64_t total;
    uint32_t nchunks;
    const uint8_t *refs; /* nchunks encoded refs (LOG_COMMIT_REF each) */
} log_stream_view;

struct wk_log {
    wk_vfs *vfs;
    char *dir;
    wk_vfs_lock *lock;
    wk_log_opts o;
    uint64_t max_entry;   /* effective max entry bytes */
    uint64_t chunk_bytes; /* stream chunk data size */
    wk__errmsg msg;

    pthread_mutex_t mu;
    pthread_cond_t durable_cv; /* durable_fsn, poison, leader step-down */
    pthread_cond_t writers_cv; /* a buffer's writers reached 0 */
    pthread_cond_t seg_cv;     /* a ready segment appeared */
    pthread_cond_t bg_cv;      /* work for the background thread */
    pthread_cond_t ckpt_cv;    /* checkpoint finished */
    pthread_cond_t gather_cv;  /* a sync appender arrived or left */
    pthread_cond_t close_cv;   /* the last iter_next call left */
    wk_log_iter *iters;        /* open iterators (orphaned at close) */
    int iter_busy;             /* threads inside wk_log_iter_next */

    uint64_t next_fsn;
    uint64_t skip_to;          /* open: the SKIP frame to write jumps to this */
    uint64_t last_batch_first; /* first FSN of the last written batch */
    int bulk; /* the last batch filled half its buffer: no zero-fill */
    uint64_t last_lsn;
    uint64_t durable_fsn;
    int poisoned;
    int closing;
    int leader;            /* the write turn: seals and pwrites buffer wseq */
    int syncing;           /* the sync turn: one fdatasync at a time */
    int durable_waiters;   /* threads waiting on durable_cv */
    uint64_t written_fsn;  /* last FSN of the last batch written (pwrite) */
    int sync_inside;       /* WK_SYNC appenders inside an append call */
    int sync_waiting;      /* ... of which waiting for durability */
    int sync_transit;      /* acked WK_SYNC appenders not yet back */
    uint64_t last_sync_ns; /* duration of the last batch write+sync */
    int bg_stop;
    int bg_running;
    pthread_t bg;

    log_buf bufs[LOG_NBUF];
    uint64_t dseq; /* oldest buffer written but not yet durable */
    uint64_t wseq; /* next buffer (sequence number) to write */
    uint64_t oseq; /* the open buffer */

    wk__seg **live; /* ascending first_fsn; the last is the write target */
    uint32_t nlive, caplive;
    wk__seg *cur;    /* segment receiving frames (NULL: rotate first) */
    wk__seg **ready; /* FREE, salted, synced: ready to activate */
    uint32_t nready, capready;
    wk__seg **prep; /* FREE segments to re-salt before reuse */
    uint32_t nprep, capprep;
    uint32_t next_slot;
    int seg_err; /* last failure preparing a segment (bg thread) */

    /* checkpoint */
    uint64_t ckpt_lsn;
    uint64_t ckpt_req;  /* requests made */
    uint64_t ckpt_done; /* requests served */
    int ckpt_err;
    int ckpt_running;
    uint64_t ckpt_gen; /* checkpoint runs finished */
    uint64_t bytes_since_ckpt;

    /* stats */
    uint64_t st_appends, st_bytes, st_batches, st_syncs, st_entries_batched;
    uint64_t st_checkpoints, st_rotate_waits;
};

/* log.c */
int wk__log_poison(wk_log *log, int rc); /* mu held; returns rc */
int wk__log_check_writable(wk_log *log); /* mu held */

/* log_segment.c */
void wk__seg_name(char *buf, size_t len, uint32_t slot);
void wk__seg_encode_header(const wk__seg *s, uint32_t state, uint64_t first_fsn,
                           uint8_t *hdr);
/* Decodes a header block; 0, WK_EFORMAT (version), WK_ECORRUPT, or 1 for
 * an all-zero block (a blank file). */
int wk__seg_decode_header(const uint8_t *hdr, uint32_t *state, uint64_t *salt,
                          uint64_t *first_fsn, uint64_t *seg_bytes);
wk__seg *wk__seg_new(uint32_t slot);
/* wk__seg_new, with *path the segment file's path under dir (malloc'd);
 * NULL (nothing allocated) when out of memory. */
wk__seg *wk__seg_new_path(const char *dir, uint32_t slot, char **path);
void wk__seg_free(wk__seg *s);
int wk__seg_idx_add(wk__seg *s, uint64_t fsn, uint64_t off);
/* Largest index point with fsn <= target (or the first one). */
int wk__seg_idx_find(const wk__seg *s, uint64_t target, log_idx *out);
/* Rewrites s's header FREE with a new salt and syncs (no mu needed). */
int wk__seg_resalt(wk_log *log, wk__seg *s);
int wk__seg_create(wk_log *log, wk__seg **out);
/* Makes room for element n of an array of *cap elements of elem bytes
 * (doubling, 8 at first): returns arr, or the grown array with *cap
 * updated, or NULL (arr untouched) when out of memory. */
void *wk__log_grow(void *arr, uint32_t n, uint32_t *cap, size_t elem);
int wk__seg_push(wk__seg ***arr, uint32_t *n, uint32_t *cap, wk__seg *s);
/* Takes a ready segment (mu held; may wait: then -EAGAIN, the caller
 * re-evaluates; a wait for a segment to be prepared is counted in
 * st_rotate_waits once per rotation, *waited (0 at first) remembering it).
 * Aborts its lazy zero-fill, waiting only for the zero write in progress. */
int wk__seg_take_ready(wk_log *log, wk__seg **out, int *waited);
int wk__log_bg_start(wk_log *log);
/* Test hook, NULL (the default) in production: called by the background
 * thread (mu not held) right before each zero-fill write, already marked
 * in progress (LOG_HOOK_FILL: the segment and range), and before it
 * creates a segment (LOG_HOOK_CREATE: s NULL). */
enum { LOG_HOOK_FILL = 1, LOG_HOOK_CREATE = 2 };
typedef void (*wk__log_bg_hook_fn)(int what, wk_log *log, wk__seg *s,
                                   uint64_t off, uint64_t len);
/* Atomic: tests set and clear it while the background thread runs. */
extern _Atomic(wk__log_bg_hook_fn) wk__log_bg_hook;
void wk__log_bg_stop(wk_log *log);
/* Index in log->live of the segment holding fsn, or -1 (mu held). */
int wk__seg_find_live(wk_log *log, uint64_t fsn);

/* log_append.c */
/* Makes everything up to target durable (mu held; leads or waits). */
int wk__log_wait_durable(wk_log *log, uint64_t target, log_buf *b);
/* Wakes one waiter of each unwritten buffer (write turn released). */
void wk__log_wake_next_leader(wk_log *log);
/* Appends one frame of type with payload = hdr_part + iov; for streams
 * also returns where it went. */
int wk__log_append_frame(wk_log *log, uint8_t type, const uint8_t *pre,
                         size_t prelen, const struct iovec *iov, int iovcnt,
                         size_t len, int flags, uint64_t *lsn,
                         wk__seg **seg_out, uint64_t *off_out);

/* log_scan.c */
int wk__scan_init(wk__scan *sc, wk_file *f, uint32_t salt_crc, size_t cap);
void wk__scan_reset(wk__scan *sc, wk_file *f, uint32_t salt_crc);
void wk__scan_free(wk__scan *sc);
/* Makes [off, off+n) available (known valid below limit); *p points at
 * it. 0, -EAGAIN when the bytes are not there (past limit), WK_ENOMEM,
 * -errno. */
int wk__scan_need(wk__scan *sc, uint64_t off, size_t n, uint64_t limit,
                  const uint8_t **p);
/* Reads and validates the frame at off below limit: 0 (valid; *r, *frame
 * pointing at the header), WK_ECORRUPT (invalid), -EAGAIN (truncated by
 * limit), -errno. */
int wk__scan_frame(wk__scan *sc, uint64_t off, uint64_t limit, wk__rec *r,
                   const uint8_t **frame);

/* log_recover.c */
typedef struct wk__recovery wk__recovery;
/* Runs recovery for open (log set, rw or ro) or verify (log NULL). */
int wk__log_recover(wk_log *log, wk_vfs *vfs, const char *dir,
                    const wk_log_opts *o, wk_log_report *rep);

/* log_read.c */
int wk__log_entry_from_frame(wk_log *log, const wk__rec *r,
                             const uint8_t *frame, wk_log_entry *e,
                             log_stream_view *view);
/* Iterator bounded above by max_lsn (checkpoints). */
int wk__log_iter_open_bounded(wk_log *log, uint64_t from, uint64_t max_lsn,
                              wk_log_iter **out);
/* At close: waits for iter_next callers to leave, then detaches every
 * iterator (later calls on them get WK_ECLOSED; iter_close frees them). */
void wk__log_iters_orphan(wk_log *log);

/* log_checkpoint.c */
int wk__ckp_read(wk_vfs *vfs, const char *dir, uint64_t *lsn);
int wk__ckp_write(wk_vfs *vfs, const char *dir, uint64_t lsn);
/* Runs one checkpoint on the calling (background) thread; mu not held. */
void wk__log_run_checkpoint(wk_log *log);

#endif
