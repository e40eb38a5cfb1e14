/* wk_journal: atomic multi-offset write transactions on one file.
 *
 * A journal protects a data file (a page file, a bitmap, a B-tree, a device
 * image) that is updated in place. A transaction collects any number of
 * (offset, bytes) writes; commit makes them durable together in a circular
 * journal (a separate file, or a region of the data file itself) and
 * returns; after any crash a committed transaction is visible whole and an
 * uncommitted one not at all. Concurrent commits share one journal write and
 * one fdatasync per batch (group commit). Committed writes are applied to
 * the data file lazily, by a checkpoint, which syncs the data file and then
 * advances a durable "applied through" marker kept in two alternating
 * superblocks, freeing journal space. Until then, reads through the journal
 * (wk_journal_read) see committed bytes from an in-memory overlay (an
 * interval map) laid over the file, for any range.
 *
 * Thread-safety: every function on a wk_journal may be called from any
 * number of threads at once, except wk_journal_close (call it once, after
 * every other call on the handle returned). A wk_journal_txn belongs to one
 * thread at a time; different transactions are independent (a begun
 * transaction holds no lock and no journal space until its commit).
 *
 * On-disk format: docs/format/journal.md.
 */
#ifndef WALKIT_JOURNAL_H
#define WALKIT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "walkit/errors.h"
#include "walkit/log.h" /* wk_recovery_policy */
#include "walkit/vfs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wk_journal wk_journal;
typedef struct wk_journal_txn wk_journal_txn;

typedef struct wk_journal_opts {
    size_t size; /* sizeof(wk_journal_opts), set by opts_init */
    wk_vfs *vfs; /* NULL = wk_vfs_posix() */
    /* Where the journal lives. journal_path != NULL: a separate journal file
     * (borrowed during the call). NULL: the region [region_offset,
     * region_offset + capacity) of the data file, which transactions may
     * then not write to. */
    const char *journal_path;
    uint64_t region_offset; /* region mode; multiple of 4096 */
    /* Journal bytes, both superblocks included (format; at open, 0 means
     * "as recorded in the superblock", otherwise it must match). Multiple
     * of 4096, at least 64 KiB; default 64 MiB. The largest transaction is
     * about capacity - 8.6 KiB. */
    uint64_t capacity;
    uint64_t overlay_max_bytes;  /* cap on committed-but-unapplied bytes held
                                    in memory; commits past it wait for a
                                    checkpoint; default 64 MiB */
    uint64_t max_batch_bytes;    /* cap on one group-commit write (a larger
                                    single transaction goes alone); default
                                    4 MiB */
    uint32_t max_batch_wait_us;  /* a batch leader waits up to this for more
                                    committers; default 0 */
    uint32_t full_wait_ms;       /* how long a commit waits for journal or
                                    overlay space before WK_EFULL; default
                                    10000 */
    uint32_t checkpoint_pct;     /* background checkpoint once the journal or
                                    the overlay is this % full; 0 = no
                                    background thread (checkpoints run on
                                    wk_journal_checkpoint, at close, and
                                    inline in a commit that finds the journal
                                    full); default 50 */
    int read_only;               /* open without writing (read, verify,
                                    stat): recovery loads the overlay but
                                    repairs nothing; default 0 */
    wk_recovery_policy recovery; /* default WK_RECOVER_TOLERATE_TORN_TAIL */
} wk_journal_opts;

/* Fills opts with defaults. */
WK_API void wk_journal_opts_init(wk_journal_opts *opts);

/* One corruption found by recovery or verify. */
typedef struct wk_journal_corruption {
    uint64_t offset; /* byte offset of the invalid record in its file */
    uint64_t seq;    /* batch sequence expected there */
    uint64_t bytes;  /* bytes skipped or discarded */
    int error;       /* WK_ECORRUPT */
} wk_journal_corruption;

#define WK_JOURNAL_MAX_REPORTED 16

/* What recovery (or verify) found. */
typedef struct wk_journal_report {
    uint64_t superblock_gen; /* generation of the superblock used */
    int superblocks_valid;   /* 0, 1 or 2 valid copies */
    uint64_t applied_seq;    /* batches <= this were applied (at open) */
    uint64_t batches;        /* valid batches found after it */
    uint64_t writes;         /* writes in those batches */
    uint64_t bytes;          /* payload bytes of those writes */
    uint64_t first_seq;      /* first replayed batch (0 if none) */
    uint64_t last_seq;       /* last valid batch (0 if none) */
    uint64_t torn_offset;    /* file offset of a torn tail (if torn) */
    uint64_t torn_bytes;     /* its size (0: no torn tail) */
    uint32_t corruptions;    /* total found (may exceed the array) */
    wk_journal_corruption corruption[WK_JOURNAL_MAX_REPORTED];
} wk_journal_report;

/* Creates a new journal for the data file at path: creates the data file if
 * missing (existing content is kept: it is the device being protected),
 * creates and zero-fills the journal file (or region), writes the first
 * superblock with a fresh salt, and makes all of it durable (file and
 * directory syncs). opts->journal_path or a region (capacity != 0) must be
 * given.
 * Errors: -EINVAL (bad options), -EEXIST (the journal file exists, or the
 * region already holds a valid superblock), -errno from I/O, WK_ENOMEM.
 * path and opts are borrowed. Thread-safety: do not format a journal that
 * is open. */
WK_API int wk_journal_format(const char *path, const wk_journal_opts *opts);

/* Opens the data file at path with its journal and recovers: reads the
 * newest valid superblock, replays every valid batch after its "applied
 * through" marker in order (into the overlay), re-writes what it found so it
 * is durable, and checkpoints (unless read_only). report (may be NULL) gets
 * what recovery found, also when open fails with WK_ECORRUPT.
 * Errors: -ENOENT, -EBUSY (another handle, in this process or another,
 * has the data file open for writing: writers take an exclusive lock on
 * it), WK_EFORMAT (no valid superblock, wrong version or geometry),
 * WK_ECORRUPT (an invalid batch followed by valid ones, under the default
 * policy), -EINVAL, -errno from I/O, WK_ENOMEM.
 * path and opts are borrowed (copied as needed). *out written only on
 * success. */
WK_API int wk_journal_open(const char *path, const wk_journal_opts *opts,
                           wk_journal **out, wk_journal_report *report);

/* Checkpoints (unless read-only or poisoned: after close the data file holds
 * every committed write), stops the background thread, closes the files and
 * frees the handle. Transactions still open must be committed or aborted
 * before. Returns the first error met; the handle is freed regardless.
 * NULL: no-op, 0. */
WK_API int wk_journal_close(wk_journal *j);

/* Begins a transaction and stores it in *out. It holds no lock and no
 * journal space until commit, so an abandoned transaction blocks nobody.
 * Errors: WK_EPOISONED, -EROFS (read-only handle), WK_ENOMEM. */
WK_API int wk_journal_begin(wk_journal *j, wk_journal_txn **out);

/* Adds a write of len bytes (copied) at offset off of the data file to the
 * transaction. Later writes win where they overlap earlier ones (of this or
 * of earlier transactions). len 0 is a no-op.
 * Errors: -EINVAL (NULL arguments, off + len overflows, or the range
 * overlaps the journal region), -E2BIG (the transaction would no longer fit
 * in the journal; it is left as it was), WK_ENOMEM. */
WK_API int wk_journal_write(wk_journal_txn *txn, uint64_t off, const void *data,
                            size_t len);

/* Commits: returns once every write of the transaction is durable in the
 * journal (one write and one sync shared with the concurrent commits), and
 * visible to wk_journal_read. *seq (may be NULL) gets the batch sequence it
 * went in (0 for an empty transaction). Frees txn whatever the result.
 * Errors: WK_EFULL (no journal or overlay space freed within full_wait_ms),
 * WK_EPOISONED, -errno of the failing journal write or sync (the handle is
 * then poisoned: the transaction may or may not survive a crash; reopen
 * recovers). */
WK_API int wk_journal_commit(wk_journal_txn *txn, uint64_t *seq);

/* Abandons a transaction (nothing of it is written) and frees it. NULL:
 * no-op. */
WK_API void wk_journal_abort(wk_journal_txn *txn);

/* Copies the committed view of [off, off + len) into buf: the data file's
 * bytes with every committed but not yet applied write laid over them.
 * Bytes past the end of the data file that no write covers read as zero.
 * Errors: -EINVAL (NULL buf with len > 0, overflow, range overlapping the
 * journal region), -errno from I/O. buf is borrowed. Works on a poisoned
 * handle. */
WK_API int wk_journal_read(wk_journal *j, uint64_t off, size_t len, void *buf);

/* Runs a checkpoint now, in the calling thread: applies every committed
 * write to the data file, fdatasyncs it, then writes the next superblock
 * copy and fdatasyncs the journal. Returns once done.
 * Errors: WK_EPOISONED, -EROFS, -errno from I/O (poisons the handle). */
WK_API int wk_journal_checkpoint(wk_journal *j);

typedef struct wk_journal_stats {
    uint64_t commits;          /* non-empty transactions committed */
    uint64_t writes;           /* writes in them */
    uint64_t bytes;            /* payload bytes of those writes */
    uint64_t batches;          /* group-commit journal writes */
    uint64_t syncs;            /* fdatasyncs on the commit path */
    uint64_t checkpoints;      /* completed checkpoints */
    uint64_t checkpoint_syncs; /* fdatasyncs made by checkpoints */
    uint64_t full_waits;       /* commits that waited for space */
    uint64_t last_seq;         /* last durable batch */
    uint64_t applied_seq;      /* last batch covered by a durable
                                  superblock */
    uint64_t journal_capacity; /* bytes of record area */
    uint64_t journal_used;     /* bytes of it not yet reusable */
    uint64_t overlay_bytes;    /* committed-unapplied bytes held */
    uint64_t overlay_extents;  /* extents in the interval map */
    uint64_t superblock_gen;
    int region;   /* 1: journal is a region of the data file */
    int poisoned; /* first I/O error, or 0 */
} wk_journal_stats;

/* Fills st (a consistent snapshot). */
WK_API void wk_journal_stats_get(wk_journal *j, wk_journal_stats *st);

/* Human-readable description of the last error on this handle; "" if none.
 * Valid until the next call on the handle from the same thread. */
WK_API const char *wk_journal_errmsg(wk_journal *j);

/* Verifies the journal of the data file at path without modifying anything
 * (opts as for open; read_only is implied): both superblocks, every batch
 * after the applied marker, and the whole record area for misplaced valid
 * batches. Fills report. Returns 0 when clean or only torn at the tail,
 * WK_ECORRUPT when corruption was found (an invalid batch followed by a
 * valid one, or a damaged superblock copy, even if the other copy is
 * good; each listed in the report), WK_EFORMAT (not a journal) / -errno on
 * other errors. */
WK_API int wk_journal_verify(const char *path, const wk_journal_opts *opts,
                             wk_journal_report *report);

#ifdef __cplusplus
}
#endif
#endif
