/* wk_log: a segmented write-ahead log.
 *
 * Entries are byte strings appended atomically; each gets an LSN (log
 * sequence number): 64-bit, strictly increasing in append order, never reused
 * across restarts (not necessarily dense). Concurrent appenders share one
 * write and one fdatasync per batch (group commit). Recovery at open verifies
 * every entry and hands the survivors, in order, to an optional callback.
 * A background checkpoint hands entries to the user's store and then
 * recycles the segments they lived in. Readers fetch an entry by LSN or
 * iterate (and tail) from an LSN.
 *
 * Thread-safety: every function on a wk_log may be called from any number of
 * threads at once, except wk_log_close (call it once, after every other call
 * on the handle returned). A wk_log_iter or wk_log_stream belongs to one
 * thread at a time.
 *
 * On-disk format: docs/format/log.md.
 */
#ifndef WALKIT_LOG_H
#define WALKIT_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "walkit/errors.h"
#include "walkit/vfs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wk_log wk_log;
typedef struct wk_log_iter wk_log_iter;
typedef struct wk_log_stream wk_log_stream;

/* Flags for appends. */
enum {
    WK_SYNC = 1 << 0, /* return only once the entry is durable */
};

/* How recovery treats invalid records (see wk_log_opts.recovery). */
typedef enum wk_recovery_policy {
    /* Default. An invalid record at the end (nothing valid after it) is a
     * torn tail: truncated durably before the next append. An invalid record
     * followed by valid ones is corruption: open fails with WK_ECORRUPT. */
    WK_RECOVER_TOLERATE_TORN_TAIL = 0,
    /* Any invalid record, torn tail included, fails open with WK_ECORRUPT.
     * (Zero-filled or stale space after the last record is not a record.) */
    WK_RECOVER_ABSOLUTE,
    /* Recover up to the first invalid record; everything after it is
     * discarded (durably) and listed in the report. Open succeeds. */
    WK_RECOVER_POINT_IN_TIME,
    /* Skip invalid records and keep every valid entry after them (the
     * recovered log then has holes, each listed in the report). */
    WK_RECOVER_SKIP_CORRUPT,
} wk_recovery_policy;

/* One entry, as handed to callbacks and iterators. Valid until the callback
 * returns or the iterator moves on. Entries up to opts.max_entry_bytes are
 * contiguous in data; larger (streamed) entries have data == NULL and are
 * read with wk_log_entry_read. */
typedef struct wk_log_entry {
    uint64_t lsn;
    uint64_t len;
    const void *data; /* borrowed; NULL for streamed entries */
    const void *priv; /* internal */
} wk_log_entry;

/* Copies len bytes of an entry from offset off into buf (works for every
 * entry, contiguous or streamed). -EINVAL past the end. */
WK_API int wk_log_entry_read(const wk_log_entry *e, uint64_t off, void *buf,
                             size_t len);

/* Recovery callback: called once per recovered entry above the checkpointed
 * LSN, in LSN order, during wk_log_open. Return 0 to go on; any other value
 * aborts the open, which returns it. */
typedef int (*wk_log_recover_fn)(void *arg, const wk_log_entry *e);

/* Checkpoint callback: called on the log's background thread with an
 * iterator over every entry from the last checkpoint (exclusive) up to
 * upto_lsn (inclusive). Apply them to your store, make it durable, return
 * 0; the log then records upto_lsn as checkpointed (durably) and recycles or
 * deletes segments holding only entries <= upto_lsn. A non-zero return
 * leaves everything in place; the next checkpoint retries. */
typedef int (*wk_log_checkpoint_fn)(void *arg, wk_log_iter *it,
                                    uint64_t upto_lsn);

typedef struct wk_log_opts {
    size_t size;              /* sizeof(wk_log_opts), set by opts_init */
    wk_vfs *vfs;              /* NULL = wk_vfs_posix() */
    uint64_t segment_bytes;   /* default 64 MiB; min 64 KiB */
    uint64_t max_entry_bytes; /* largest single append; default 4 MiB;
                                 <= batch_bytes; larger: use a stream */
    uint64_t batch_bytes;     /* cap on one group-commit write; default 4 MiB */
    uint32_t max_batch_wait_us; /* leader waits up to this for followers;
                                   default 0 */
    uint32_t recycle_pool; /* recycled segments kept for reuse; default 4 */
    int zero_fill;         /* zero-fill new segments in the background so
                              commits write into written space; default 1 */
    int create_if_missing; /* default 1 */
    int read_only;         /* open without writing (dump/verify); no
                              recovery truncation; default 0 */
    wk_recovery_policy recovery;
    wk_log_recover_fn recover_fn; /* optional */
    void *recover_arg;
    wk_log_checkpoint_fn checkpoint_fn; /* optional */
    void *checkpoint_arg;
    uint64_t checkpoint_bytes; /* run a checkpoint each time the log grew by
                                  this much; 0 = only on wk_log_checkpoint;
                                  default 0 */
} wk_log_opts;

/* Fills opts with defaults. */
WK_API void wk_log_opts_init(wk_log_opts *opts);

/* One corruption found by recovery or verify. */
typedef struct wk_log_corruption {
    char file[64];   /* segment file name within the directory */
    uint64_t offset; /* byte offset of the invalid record */
    uint64_t lsn;    /* LSN expected there (0 if unknown) */
    uint64_t bytes;  /* bytes skipped or discarded */
    int error;       /* WK_ECORRUPT or WK_EGAP */
} wk_log_corruption;

#define WK_LOG_MAX_REPORTED 16

/* What recovery found. */
typedef struct wk_log_report {
    uint32_t segments;       /* segment files holding live entries */
    uint64_t entries;        /* entries handed to recover_fn */
    uint64_t bytes;          /* payload bytes of those entries */
    uint64_t first_lsn;      /* first recovered LSN (0 if none) */
    uint64_t last_lsn;       /* last valid LSN (0 if none) */
    uint64_t checkpoint_lsn; /* durable checkpoint at open */
    uint64_t torn_bytes;     /* bytes of torn tail truncated */
    uint64_t torn_offset;    /* where the torn tail began */
    char torn_file[64];
    uint32_t corruptions; /* total found (may exceed the array) */
    wk_log_corruption corruption[WK_LOG_MAX_REPORTED];
} wk_log_report;

/* Opens (creating if allowed) the log in directory dir, takes its lock,
 * recovers (calling opts->recover_fn per entry), and starts the background
 * thread. report, if not NULL, receives the recovery report (also filled
 * when open fails with WK_ECORRUPT, to say where).
 * Errors: -EBUSY (another opener holds the directory), -ENOENT (missing and
 * !create_if_missing), -EINVAL (bad options), WK_EFORMAT, WK_ECORRUPT,
 * WK_EGAP, the recover_fn's own code, -errno from I/O, WK_ENOMEM.
 * dir and opts are copied. *out is written only on success. */
WK_API int wk_log_open(const char *dir, const wk_log_opts *opts, wk_log **out,
                       wk_log_report *report);

/* Flushes buffered entries (durably, unless the log is poisoned), stops the
 * background thread, releases the lock and frees the handle. Returns the
 * first error met (the handle is freed regardless). NULL: no-op, 0. */
WK_API int wk_log_close(wk_log *log);

/* Appends one entry of len bytes (copied). With WK_SYNC, returns once the
 * entry is durable; otherwise once it is buffered (it becomes durable with
 * the next sync, batch or wk_log_sync). *lsn (may be NULL) gets its LSN.
 * Errors: -E2BIG (len > max_entry_bytes), -EINVAL, WK_EPOISONED,
 * WK_ECLOSED, -errno of the failing write or sync. */
WK_API int wk_log_append(wk_log *log, const void *data, size_t len, int flags,
                         uint64_t *lsn);

/* As wk_log_append for the concatenation of iovcnt buffers. */
WK_API int wk_log_appendv(wk_log *log, const struct iovec *iov, int iovcnt,
                          int flags, uint64_t *lsn);

/* Waits until every entry up to lsn is durable (starting a sync if none is
 * under way). lsn 0 or above the last appended: everything appended so far.
 * Errors: WK_EPOISONED, -errno. */
WK_API int wk_log_sync(wk_log *log, uint64_t lsn);

/* Highest LSN L such that every entry <= L is durable. */
WK_API uint64_t wk_log_durable_lsn(wk_log *log);

/* Highest LSN handed out so far (0 if none). */
WK_API uint64_t wk_log_last_lsn(wk_log *log);

/* Streaming entry writer for entries too large to hold in memory. The
 * entry's chunks are written to the log as they come, interleaved with other
 * appenders (no lock is held between chunks); the entry gets its LSN at
 * commit and is atomic: after a crash it is recovered whole or not at all.
 * An open stream pins the segments it wrote into. */
WK_API int wk_log_stream_begin(wk_log *log, wk_log_stream **out);
/* Appends len bytes (copied) to the stream's entry. */
WK_API int wk_log_stream_write(wk_log_stream *s, const void *data, size_t len);
/* Completes the entry; frees s whatever the result. flags/lsn as append. */
WK_API int wk_log_stream_commit(wk_log_stream *s, int flags, uint64_t *lsn);
/* Abandons the entry (it will never be recovered); frees s. NULL: no-op. */
WK_API void wk_log_stream_rollback(wk_log_stream *s);

/* Reads the entry with LSN lsn: calls fn(arg, entry) with the segment
 * pinned (it cannot be recycled meanwhile) and returns fn's result.
 * Errors: WK_ENOTFOUND (never written, or lost in a torn tail),
 * WK_ERECYCLED (checkpointed and reclaimed), -errno, WK_ECORRUPT. */
WK_API int wk_log_read(wk_log *log, uint64_t lsn,
                       int (*fn)(void *arg, const wk_log_entry *e), void *arg);

/* Iterator over entries with LSN >= from_lsn (0: the oldest retained).
 * Sees only durable entries. */
WK_API int wk_log_iter_open(wk_log *log, uint64_t from_lsn, wk_log_iter **out);
/* Moves to the next entry and stores it in *e (valid until the next call).
 * Returns 0 with an entry, WK_ENOTFOUND at the current end. With
 * timeout_ms != 0, waits at the end for new durable entries up to
 * timeout_ms (< 0: forever), returning WK_ETIMEDOUT when none came, and
 * WK_ECLOSED when the log closes. */
WK_API int wk_log_iter_next(wk_log_iter *it, wk_log_entry *e, int timeout_ms);
/* NULL: no-op. */
WK_API void wk_log_iter_close(wk_log_iter *it);

/* Runs a checkpoint now on the background thread (needs checkpoint_fn);
 * returns once it was requested. -EINVAL without checkpoint_fn. */
WK_API int wk_log_checkpoint(wk_log *log);
/* Waits until the checkpointed LSN is >= lsn, or timeout_ms (< 0:
 * forever). WK_ETIMEDOUT, WK_EPOISONED, the checkpoint_fn's last error. */
WK_API int wk_log_wait_checkpointed(wk_log *log, uint64_t lsn, int timeout_ms);

typedef struct wk_log_stats {
    uint64_t appends;  /* entries appended since open */
    uint64_t bytes;    /* payload bytes appended since open */
    uint64_t batches;  /* group-commit writes */
    uint64_t syncs;    /* fdatasyncs issued on the commit path */
    double mean_batch; /* entries per batch */
    uint64_t durable_lsn;
    uint64_t last_lsn;
    uint64_t checkpointed_lsn;
    uint64_t checkpoints;
    uint32_t segments; /* live segment files */
    uint32_t recycled; /* segments in the reuse pool */
    uint64_t segment_bytes;
    int poisoned; /* first I/O error, or 0 */
    /* Segment rotations that had to wait for the background thread to
     * prepare a segment (none was ready), since open. */
    uint64_t rotation_waits;
} wk_log_stats;

WK_API void wk_log_stats_get(wk_log *log, wk_log_stats *st);

/* Human-readable description of the last error on this handle ("fsync
 * segment 'seg-000003.wal': Input/output error"); "" if none. Valid until
 * the next call on the handle from the same thread. */
WK_API const char *wk_log_errmsg(wk_log *log);

/* Verifies a log directory without modifying it (no lock needed beyond a
 * shared read): scans every segment, fills report (corruptions with their
 * locations, torn tail). Returns 0 when clean or only torn at the tail,
 * WK_ECORRUPT or WK_EGAP when corruption was found, -errno / WK_EFORMAT on
 * other errors. vfs NULL = posix. */
WK_API int wk_log_verify(const char *dir, wk_vfs *vfs, wk_log_report *report);

#ifdef __cplusplus
}
#endif
#endif
