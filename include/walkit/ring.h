/* wk_ring: a circular log over a fixed region.
 *
 * A ring lives in a fixed byte region: a whole file, or the range
 * [region_offset, region_offset + capacity) of a file or device the user
 * owns. Appenders reserve space at the tail and commit; records become
 * written (readable) and durable strictly in reservation order. The head is
 * advanced by a user garbage check (wk_ring_advance_head), which frees the
 * space of entries the user no longer needs. When the tail reaches the end
 * of the region it wraps to its start (a small pad marks the skipped
 * bytes). Head and tail survive restarts: the head in an A/B superblock, the
 * tail by a scan of the records (each carries a sequence number, the ring's
 * salt, its lap, and a CRC32C). A full ring refuses appends with WK_EFULL;
 * it never overwrites live entries and never blocks.
 *
 * Thread-safety: every function on a wk_ring may be called from any number
 * of threads at once, except wk_ring_close (call it once, after every other
 * call on the handle returned). A reservation belongs to one thread at a
 * time. An iterator belongs to one thread at a time.
 *
 * On-disk format: docs/format/ring.md.
 */
#ifndef WALKIT_RING_H
#define WALKIT_RING_H

#include <stddef.h>
#include <stdint.h>

#include "walkit/errors.h"
#include "walkit/log.h" /* wk_recovery_policy, WK_SYNC */
#include "walkit/vfs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wk_ring wk_ring;
typedef struct wk_ring_res wk_ring_res;
typedef struct wk_ring_iter wk_ring_iter;

typedef struct wk_ring_opts {
    size_t size; /* sizeof(wk_ring_opts), set by opts_init */
    wk_vfs *vfs; /* NULL = wk_vfs_posix() */
    /* The region: [region_offset, region_offset + capacity) of the file.
     * region_offset is a multiple of 4096 (default 0). capacity counts both
     * superblocks (8 KiB); a multiple of 4096, at least 12 KiB; default
     * 64 MiB at format. At open, 0 means "as recorded in the superblock",
     * otherwise it must match (WK_EFORMAT). */
    uint64_t region_offset;
    uint64_t capacity;
    int force;     /* format: overwrite an existing ring; default 0 */
    int read_only; /* open without writing and without the lock (dump,
                      verify, stat); recovery repairs nothing */
    uint64_t max_batch_bytes;    /* cap on one group-commit write; 4 MiB */
    wk_recovery_policy recovery; /* default WK_RECOVER_TOLERATE_TORN_TAIL */
} wk_ring_opts;

/* Fills opts with defaults. NULL: no-op. */
WK_API void wk_ring_opts_init(wk_ring_opts *opts);

/* One corruption found by recovery or verify. */
typedef struct wk_ring_corruption {
    uint64_t offset; /* file offset of the invalid record */
    uint64_t pos;    /* its logical ring position */
    uint64_t seq;    /* sequence number expected there */
    uint64_t bytes;  /* bytes skipped or discarded (to the next valid
                        record, or to the end of the scan) */
    int error;       /* WK_ECORRUPT */
} wk_ring_corruption;

#define WK_RING_MAX_REPORTED 16

/* What recovery (or verify) found. */
typedef struct wk_ring_report {
    uint64_t superblock_gen; /* generation of the superblock used */
    int superblocks_valid;   /* 0, 1 or 2 valid copies */
    uint64_t head_pos, head_seq;
    uint64_t hint_pos;           /* durable tail recorded in the superblock */
    uint64_t tail_pos, tail_seq; /* tail found by the scan */
    uint64_t entries;            /* data records between head and tail */
    uint64_t bytes;              /* their payload bytes */
    uint64_t torn_offset;        /* file offset of a torn tail (if torn) */
    uint64_t torn_records;       /* torn or unacknowledged records found at and
                                    after the tail (0: a clean end) */
    uint64_t dead_records;       /* valid-looking records of an unfinished batch
                                    found after the tail (invalidated) */
    uint32_t corruptions;        /* total found (may exceed the array) */
    wk_ring_corruption corruption[WK_RING_MAX_REPORTED];
} wk_ring_report;

/* Statistics (a consistent snapshot). */
typedef struct wk_ring_stats {
    uint64_t capacity;           /* bytes of the record area (region - 8 KiB) */
    uint64_t used;               /* bytes between head and the reserved tail,
                                    including pads and open reservations */
    uint64_t free;               /* capacity - used */
    uint64_t head;               /* logical position of the first live entry */
    uint64_t tail;               /* end of the written (readable) records */
    uint64_t durable_tail;       /* end of the durable records */
    uint64_t reserved_tail;      /* end of the reserved space */
    uint64_t head_seq, tail_seq; /* sequence numbers at head and tail */
    uint64_t entries;            /* live data entries in [head, tail) */
    uint64_t appends;            /* entries committed by this handle */
    uint64_t cancels;            /* reservations cancelled */
    uint64_t batches;            /* group-commit writes */
    uint64_t syncs;              /* fdatasyncs of the file for commits */
    uint64_t superblock_gen;
    uint64_t max_entry; /* largest payload an entry may have */
    int poisoned;       /* the error that poisoned the handle, or 0 */
} wk_ring_stats;

/* Called by wk_ring_advance_head for each entry from the head, oldest first:
 * return 1 if it is garbage (free it and go on), 0 if it is live (stop), or
 * a negative error (stop; wk_ring_advance_head returns it after freeing
 * what was found garbage before). data is valid during the call only. */
typedef int (*wk_ring_gc_fn)(void *arg, uint64_t pos, const void *data,
                             size_t len);

/* Creates a ring in the region of path: creates the file if missing
 * (preallocated and zero-filled) or extends it to the region's end, writes
 * the first superblock with a fresh random salt and invalidates the other,
 * and makes all of it durable (file and directory syncs).
 * Errors: -EINVAL (bad options), -EEXIST (the region holds a valid ring
 * superblock and opts->force is 0), -errno from I/O, WK_ENOMEM.
 * path and opts are borrowed. Thread-safety: do not format an open ring. */
WK_API int wk_ring_format(const char *path, const wk_ring_opts *opts);

/* Opens the ring in path and recovers: takes the newest valid superblock
 * (head, durable tail hint), scans the records from the head to find the
 * real tail, classifies what follows the tail (torn tail, or corruption
 * when a record written after an acknowledged one validates), and, unless
 * read-only, repairs durably (records after the tail are invalidated,
 * recovered records re-written and synced, a new superblock written) before
 * returning. report (may be NULL) gets what recovery found, also when open
 * fails with WK_ECORRUPT.
 * Errors: -ENOENT, -EBUSY (another writer has the file open: writers take an
 * exclusive lock on it), WK_EFORMAT (no valid superblock, wrong version or
 * geometry), WK_ECORRUPT (under the default policy: an invalid record
 * followed by records written after it was acknowledged, or a break before
 * the superblock's durable tail), -EINVAL, -errno from I/O, WK_ENOMEM.
 * path and opts are borrowed. *out written only on success. */
WK_API int wk_ring_open(const char *path, const wk_ring_opts *opts,
                        wk_ring **out, wk_ring_report *report);

/* Makes every committed entry durable, records the tail in a superblock
 * (unless read-only or poisoned), closes the file and frees the handle.
 * Open reservations must be committed or cancelled before (any left are
 * cancelled). Returns the first error met; the handle is freed regardless.
 * NULL: no-op, 0. */
WK_API int wk_ring_close(wk_ring *r);

/* Appends one entry of len bytes (copied; len may be 0) and stores its
 * logical position in *pos (may be NULL). Returns once the entry is written
 * (readable); with flags WK_SYNC, once it is durable (concurrent appenders
 * share one write and one fdatasync per batch).
 * Errors: WK_EFULL (not enough free space: nothing was written, the ring is
 * unchanged; advance the head and retry), -E2BIG (len > max_entry, see
 * stats), -EINVAL, -EROFS (read-only handle), WK_EPOISONED, -errno from the
 * write or sync (which poisons the handle), WK_ENOMEM. */
WK_API int wk_ring_append(wk_ring *r, const void *data, size_t len, int flags,
                          uint64_t *pos);

/* Reserves space for one entry of len bytes at the tail and stores the
 * reservation in *out. Fill wk_ring_res_data(res) (len bytes), then commit
 * or cancel it. Entries are written and made durable strictly in
 * reservation order: a commit waits for earlier reservations to be committed
 * or cancelled. Errors as wk_ring_append. */
WK_API int wk_ring_reserve(wk_ring *r, size_t len, wk_ring_res **out);

/* The reservation's payload buffer (len bytes, owned by the reservation,
 * valid until commit or cancel) and its logical position. */
WK_API void *wk_ring_res_data(wk_ring_res *res);
WK_API uint64_t wk_ring_res_pos(const wk_ring_res *res);

/* Commits the reservation (ownership of res passes to the ring, always,
 * even on error). Returns once the entry and every entry reserved before it
 * are written, or, with WK_SYNC, durable. Errors: WK_EPOISONED, -errno from
 * the write or sync, -EINVAL (res NULL). */
WK_API int wk_ring_commit(wk_ring_res *res, int flags);

/* Cancels the reservation: its space becomes padding (written as a filler
 * record in its turn), and it never blocks later commits. res is freed (by
 * the ring, later). NULL: no-op. */
WK_API void wk_ring_cancel(wk_ring_res *res);

/* Reads the entry at logical position pos into buf (cap bytes) and stores
 * its length in *len (also set on -ENOBUFS, to the size needed).
 * Errors: WK_ERECYCLED (pos is before the head: freed), WK_ENOTFOUND (no
 * entry starts there, or it is at or after the written tail), -ENOBUFS,
 * WK_ECORRUPT (the bytes there fail validation), -errno, -EINVAL. */
WK_API int wk_ring_read(wk_ring *r, uint64_t pos, void *buf, size_t cap,
                        size_t *len);

/* Iterator over the live entries from the head to the written tail (at the
 * time of each next call). *out written only on success. Errors:
 * WK_ENOMEM, -EINVAL. */
WK_API int wk_ring_iter_open(wk_ring *r, wk_ring_iter **out);

/* Moves to the next entry: stores its position, a pointer to its bytes
 * (valid until the next call on the iterator) and its length. Returns 0,
 * WK_ENOTFOUND at the tail (a later call may find new entries), or
 * WK_ERECYCLED when the head moved past the iterator, WK_ECORRUPT, -errno,
 * WK_ENOMEM. */
WK_API int wk_ring_iter_next(wk_ring_iter *it, uint64_t *pos, const void **data,
                             size_t *len);

/* Frees the iterator. NULL: no-op. */
WK_API void wk_ring_iter_close(wk_ring_iter *it);

/* Frees entries from the head, oldest first, while fn says they are
 * garbage (fn NULL: every entry is garbage), considering only durable
 * entries (never past the durable tail: call wk_ring_sync first to include
 * the latest), then makes the new head durable (a superblock write and
 * fdatasync) before its space is reused. Stores the number of entries freed
 * in *freed (may be NULL). Concurrent calls are serialized.
 * Errors: fn's negative return (after persisting what was freed before),
 * WK_EPOISONED, -EROFS, -errno from the superblock write (poisons). */
WK_API int wk_ring_advance_head(wk_ring *r, wk_ring_gc_fn fn, void *arg,
                                uint64_t *freed);

/* Writes every committed entry and makes it durable (one fdatasync, shared
 * with concurrent commits). Errors: WK_EPOISONED, -errno (poisons). */
WK_API int wk_ring_sync(wk_ring *r);

/* Fills st with a consistent snapshot. */
WK_API void wk_ring_stats_get(wk_ring *r, wk_ring_stats *st);

/* The last error message of the handle ("" if none). Thread-local copy. */
WK_API const char *wk_ring_errmsg(wk_ring *r);

/* Checks the ring in path without writing: both superblocks and every
 * record from the head, and what follows the tail. Returns 0 when clean (a
 * torn tail is reported, not an error), WK_ECORRUPT when corruption is
 * found (details in report), WK_EFORMAT, -errno. */
WK_API int wk_ring_verify(const char *path, const wk_ring_opts *opts,
                          wk_ring_report *report);

#ifdef __cplusplus
}
#endif
#endif
