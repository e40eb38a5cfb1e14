/* wk_meta: a durable metadata store.
 *
 * A map from u64 keys to items (a u64 value and up to max_bytes of small
 * bytes), changed by atomic batches of puts and deletes. Every batch is one
 * entry of a wk_log kept in DIR/wal (so concurrent durable writers share one
 * write and one fdatasync: group commit); snapshots (DIR/snap-<gen>.wks,
 * zstd-compressed, checksummed) are written by a background compaction
 * that merges the previous snapshot with the logged batches, after which
 * the log's segments are recycled. Open loads the newest snapshot and
 * replays the log after it.
 *
 * Memory: the whole map lives in RAM, in an open-addressing hash table of
 * 32-byte slots kept between 37% and 75% full (43..86 bytes an item) plus,
 * for an item with small bytes, one allocation of its length (+ allocator
 * overhead): ~117 bytes an item with 32 bytes of bytes, measured. The table
 * grows incrementally (no write pays for a whole rehash): from 60% use the
 * next table, twice the size, is prepared, and until the old one is
 * migrated both are held (up to 3x the table's bytes for a while).
 * Compaction holds the items changed since the last snapshot (bounded by
 * compact_log_bytes) and one ~256 KiB frame of the old and of the new
 * snapshot. Scans sort the matching keys (8 bytes each, during the scan).
 *
 * Thread-safety: every function on a wk_meta may be called from any number
 * of threads at once, except wk_meta_close (once, after every other call
 * returned). A wk_meta_batch belongs to one thread at a time.
 *
 * On-disk format: docs/format/meta.md.
 */
#ifndef WALKIT_META_H
#define WALKIT_META_H

#include <stddef.h>
#include <stdint.h>

#include "walkit/errors.h"
#include "walkit/log.h"
#include "walkit/vfs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wk_meta wk_meta;
typedef struct wk_meta_batch wk_meta_batch;

/* Hard limit of opts.max_bytes (small bytes of one item). */
#define WK_META_MAX_BYTES_LIMIT (1u << 20)

typedef struct wk_meta_opts {
    size_t size;                 /* sizeof(wk_meta_opts), set by opts_init */
    wk_vfs *vfs;                 /* NULL = wk_vfs_posix() */
    uint64_t log_segment_bytes;  /* wk_log segment size; default 64 MiB */
    uint64_t compact_log_bytes;  /* background compaction each time the log
                                    grew by this much; 0 = only on
                                    wk_meta_compact; default 64 MiB */
    int compress_level;          /* zstd level for log and snapshot frames;
                                    default 1; 0 = no compression */
    uint32_t max_bytes;          /* cap on an item's small bytes; default
                                    4 KiB; at most WK_META_MAX_BYTES_LIMIT */
    uint64_t max_batch_bytes;    /* cap on one encoded batch; default 4 MiB
                                    (also the log's max entry) */
    int create_if_missing;       /* default 1 */
    int read_only;               /* load without writing anything (no recovery
                                    repair, no compaction); writes: -EROFS */
    wk_recovery_policy recovery; /* passed to wk_log (log.h) */
} wk_meta_opts;

/* Fills opts with defaults. */
WK_API void wk_meta_opts_init(wk_meta_opts *opts);

/* What open or verify found. */
typedef struct wk_meta_report {
    uint64_t snap_gen;   /* generation of the snapshot loaded (0: none) */
    uint64_t snap_lsn;   /* log LSN the snapshot covers */
    uint64_t snap_items; /* items in it */
    uint64_t snap_bytes; /* its file size */
    uint64_t batches;    /* log batches replayed after it */
    uint64_t ops;        /* puts and deletes in those batches */
    uint64_t items;      /* items after recovery */
    char snap_file[64];  /* name of the snapshot loaded ("" if none) */
    char errmsg[256];    /* what failed, for humans ("" if nothing) */
    wk_log_report log;   /* the log's own recovery/verify report */
} wk_meta_report;

/* Opens (creating if allowed) the store in directory dir: locks it,
 * removes leftover temporary and superseded snapshots, loads the newest
 * snapshot, opens the log in dir/wal and replays the batches after the
 * snapshot. report (may be NULL) receives what recovery found (also filled
 * when open fails with WK_ECORRUPT).
 * Errors: -EINVAL (bad options), -EBUSY (another opener holds dir),
 * -ENOENT (missing and !create_if_missing), WK_EFORMAT (unknown snapshot
 * or batch format version), WK_ECORRUPT (a snapshot or batch failed
 * validation, or the log was checkpointed past every snapshot), WK_EGAP,
 * -errno, WK_ENOMEM. dir and opts are copied; *out written on success. */
WK_API int wk_meta_open(const char *dir, const wk_meta_opts *opts,
                        wk_meta **out, wk_meta_report *report);

/* Makes buffered batches durable, stops compaction, releases the lock and
 * frees the handle (always). Returns the first error met. NULL: no-op. */
WK_API int wk_meta_close(wk_meta *m);

/* A new empty batch for m (m's max_bytes applies). *out on success.
 * Errors: -EINVAL, WK_ENOMEM. */
WK_API int wk_meta_batch_new(wk_meta *m, wk_meta_batch **out);
/* Adds "set key to (value, bytes[0..len))" (bytes copied; NULL if len 0).
 * Errors: -E2BIG (len > max_bytes, or the batch would exceed
 * max_batch_bytes), -EINVAL, WK_ENOMEM (the batch is unchanged). */
WK_API int wk_meta_batch_put(wk_meta_batch *b, uint64_t key, uint64_t value,
                             const void *bytes, size_t len);
/* Adds "delete key" (no error if key is absent when the batch is written).
 * Errors: -E2BIG, -EINVAL, WK_ENOMEM. */
WK_API int wk_meta_batch_del(wk_meta_batch *b, uint64_t key);
/* Operations in the batch. */
WK_API size_t wk_meta_batch_count(const wk_meta_batch *b);
/* Empties the batch for reuse. */
WK_API void wk_meta_batch_clear(wk_meta_batch *b);
/* NULL: no-op. */
WK_API void wk_meta_batch_free(wk_meta_batch *b);

/* Applies the batch atomically (operations in order; after a crash it is
 * present whole or not at all, and batches recover in write order). With
 * WK_SYNC returns once it is durable (concurrent callers share syncs);
 * without, once it is logged (durable with a later sync or close); in
 * both cases it is visible to readers when this returns. The batch stays
 * owned by the caller, unchanged. Empty batch: 0, nothing written.
 * Errors: -EINVAL, -EROFS (read_only), WK_EPOISONED (an earlier I/O error),
 * -errno of the failing write or sync (the handle is then poisoned). */
WK_API int wk_meta_write(wk_meta *m, const wk_meta_batch *b, int flags);

/* Looks key up: *value (may be NULL) gets its value, *len (may be NULL) its
 * byte length, and buf gets min(len, cap) bytes (buf may be NULL if cap is
 * 0). Errors: WK_ENOTFOUND, -EINVAL. Outputs written only on success. */
WK_API int wk_meta_get(wk_meta *m, uint64_t key, uint64_t *value, void *buf,
                       size_t cap, size_t *len);

/* Callback of wk_meta_scan: bytes borrowed for the duration of the call.
 * Return 0 to go on; anything else stops the scan, which returns it. */
typedef int (*wk_meta_scan_fn)(void *arg, uint64_t key, uint64_t value,
                               const void *bytes, size_t len);

/* Calls fn for every item with key >= from_key, in increasing key order,
 * on a consistent view (writers wait until the scan ends, so fn must not
 * call wk_meta_write on m). Errors: -EINVAL, WK_ENOMEM, fn's value. */
WK_API int wk_meta_scan(wk_meta *m, uint64_t from_key, wk_meta_scan_fn fn,
                        void *arg);

/* Synchronous compaction: makes everything logged durable, writes a new
 * snapshot covering it (on the log's background thread) and waits for it;
 * the log's segments are then recycled. Errors: -EROFS, WK_EPOISONED,
 * -errno of the snapshot write (the store stays consistent; the next
 * compaction retries). */
WK_API int wk_meta_compact(wk_meta *m);

typedef struct wk_meta_stats {
    uint64_t items;          /* keys present */
    uint64_t bytes;          /* small bytes of all items */
    uint64_t batches;        /* batches written since open */
    uint64_t log_bytes;      /* bytes of live log segments */
    uint64_t log_syncs;      /* wk_log commit-path fdatasyncs since open */
    uint64_t log_batches;    /* wk_log group-commit writes since open */
    uint64_t snap_gen;       /* current snapshot generation (0: none) */
    uint64_t snap_lsn;       /* log LSN it covers */
    uint64_t snap_bytes;     /* its file size */
    uint64_t snap_items;     /* items in it */
    uint64_t compactions;    /* snapshots written since open */
    uint64_t compact_errors; /* failed compactions since open */
    int poisoned;            /* first I/O error latched, or 0 */
} wk_meta_stats;

/* Fills st (a consistent-enough picture; counters are read without
 * stopping writers). */
WK_API void wk_meta_stats_get(wk_meta *m, wk_meta_stats *st);

/* Human-readable description of the last error on this handle; "" if
 * none. Valid until the next call on m from the same thread. */
WK_API const char *wk_meta_errmsg(wk_meta *m);

/* Checks a store offline without writing: the newest snapshot (every
 * frame, key order, counts), the log (wk_log_verify) and every batch after
 * the snapshot (decoded). report (may be NULL) says what was found.
 * Returns 0 when clean (a torn log tail is not an error), WK_ECORRUPT /
 * WK_EGAP when corruption was found, WK_EFORMAT, -ENOENT, -errno.
 * vfs NULL = posix. */
WK_API int wk_meta_verify(const char *dir, wk_vfs *vfs, wk_meta_report *report);

#ifdef __cplusplus
}
#endif
#endif
