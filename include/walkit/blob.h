/* wk_blob: a blob store on top of wk_log.
 *
 * Objects (immutable byte strings with a 64-bit tag), key/value records and
 * append-only byte streams. Object and stream bytes live in append-only
 * chunk files (64 MiB by default); every mutation is a typed command record
 * in a wk_log (in DIR/log), replayed at open to rebuild the in-memory index.
 * Every object and stream extent carries a CRC32C of its bytes in its
 * command record; reads verify it (a mismatch is WK_ECORRUPT, never false
 * bytes). Chunks that no longer hold anything live are removed; the command
 * log is compacted by index snapshots taken at wk_log checkpoints.
 *
 * Durability: an object's bytes are made durable (chunk fdatasync) before
 * its command record is appended, so a durable record never points at lost
 * bytes. With WK_SYNC a call returns once its record is durable; concurrent
 * callers share chunk syncs and log syncs (group commit).
 *
 * Visibility: a mutation is visible to other threads of the same handle as
 * soon as its record is appended (before it is durable); without WK_SYNC it
 * becomes durable with the next synced call, wk_blob_sync or close.
 *
 * Thread-safety: every function on a wk_blob may be called from any number
 * of threads at once, except wk_blob_close (once, after every other call,
 * with every view released). Views may be released from any thread.
 *
 * Memory: the index costs about 48 bytes per object (deleted ones too,
 * until they are more than half of the array and get compacted out),
 * key + value + ~40 bytes per key/value record and ~40 bytes per stream
 * extent.
 *
 * On-disk format: docs/format/blob.md.
 */
#ifndef WALKIT_BLOB_H
#define WALKIT_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "walkit/errors.h"
#include "walkit/log.h"
#include "walkit/vfs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wk_blob wk_blob;

/* Largest key and value of a key/value record (values live inline in the
 * command log). */
#define WK_BLOB_MAX_KEY 1024u
#define WK_BLOB_MAX_VALUE (64u * 1024u)

typedef struct wk_blob_opts {
    size_t size;                 /* sizeof(wk_blob_opts), set by opts_init */
    wk_vfs *vfs;                 /* NULL = wk_vfs_posix() */
    uint64_t chunk_bytes;        /* size of new chunk files; default 64 MiB;
                                    8 KiB .. 1 TiB */
    uint64_t max_object_bytes;   /* largest object or stream append; default
                                    chunk_bytes - 4096 (the chunk header);
                                    must be <= that; larger puts: -E2BIG */
    uint64_t log_segment_bytes;  /* wk_log segment size; default 64 MiB */
    uint64_t checkpoint_bytes;   /* snapshot the index (compacting the log)
                                    each time the log grew by this much;
                                    0 = only on wk_blob_compact; default
                                    64 MiB */
    int log_zero_fill;           /* wk_log_opts.zero_fill; default 1 */
    int create_if_missing;       /* default 1 */
    int read_only;               /* no writes at all (no lock either); mutations
                                    return -EROFS; default 0 */
    wk_recovery_policy recovery; /* for the command log (see log.h) and for
                                    invalid command records: SKIP_CORRUPT
                                    drops them (counted in the report),
                                    every other policy fails the open */
    uint32_t compact_live_pct;   /* wk_blob_compact moves the objects of
                                    sealed chunks whose live bytes are below
                                    this percentage of their space (and that
                                    hold no stream data) into the current
                                    chunk, so the old chunk can be removed;
                                    0 = never; default 50 */
} wk_blob_opts;

/* Fills opts with defaults. */
WK_API void wk_blob_opts_init(wk_blob_opts *opts);

/* What open (recovery) or verify found. */
typedef struct wk_blob_report {
    wk_log_report log;       /* the command log's recovery */
    uint64_t snapshot_lsn;   /* LSN the loaded index snapshot covers (0) */
    uint64_t records;        /* command records replayed after it */
    uint64_t objects;        /* live objects */
    uint64_t object_bytes;   /* their bytes */
    uint64_t kv;             /* key/value records */
    uint64_t streams;        /* streams */
    uint32_t chunks;         /* chunk files in use */
    uint32_t chunks_removed; /* empty or blank chunk files removed */
    uint64_t bad_records;    /* invalid command records (dropped with
                                SKIP_CORRUPT) */
    uint64_t bad_objects;    /* verify: objects whose bytes fail the CRC */
    char problem[256];       /* first problem found, "" if none */
} wk_blob_report;

/* Opens (creating if allowed) the blob store in directory dir: takes its
 * lock (read-write), loads the index snapshot, replays the command log
 * (wk_log recovery with opts->recovery), removes chunk files holding
 * nothing live and checks that every live object lies inside an existing
 * chunk. report, if not NULL, is filled (also when open fails with
 * WK_ECORRUPT, to say what).
 * Errors: -EBUSY (another opener), -ENOENT (missing, !create_if_missing),
 * -EINVAL (bad options), WK_EFORMAT (not a blob store or another format
 * version), WK_ECORRUPT, WK_EGAP, -errno, WK_ENOMEM.
 * dir and opts are copied. *out is written only on success. */
WK_API int wk_blob_open(const char *dir, const wk_blob_opts *opts,
                        wk_blob **out, wk_blob_report *report);

/* Makes every mutation durable (unless poisoned), stops the command log,
 * unmaps chunks, releases the lock and frees the handle. Every view must
 * have been released. Returns the first error met (the handle is freed
 * regardless). NULL: no-op, 0. */
WK_API int wk_blob_close(wk_blob *b);

/* Waits until every mutation made so far is durable. WK_EPOISONED,
 * -errno. */
WK_API int wk_blob_sync(wk_blob *b);

/* ---- objects ----------------------------------------------------------- */

/* Stores len bytes of data (copied) as a new object with a user tag
 * (any value; wk_blob_list filters on it). The bytes are written into the
 * current chunk and made durable before the object's command record is
 * appended; with flags & WK_SYNC the call returns once that record is
 * durable too. *id (may be NULL) receives the object's id: unique forever
 * in this store (ids are never reused, also across crashes), increasing,
 * not dense, never 0.
 * Errors: -EINVAL (data NULL with len > 0, unknown flags), -E2BIG (len >
 * max_object_bytes), -EROFS, WK_EPOISONED (an earlier I/O error), -errno
 * of the failing write or sync (which poisons the handle), WK_ENOMEM. */
WK_API int wk_blob_put(wk_blob *b, const void *data, size_t len, uint64_t tag,
                       int flags, uint64_t *id);

/* A read-only view of an object's bytes. */
typedef struct wk_blob_view {
    const void *data; /* len bytes; valid until wk_blob_view_release */
    size_t len;
    uint64_t id;
    uint64_t tag;
    void *priv[3]; /* internal */
} wk_blob_view;

/* Zero-copy read: view->data points into the mmap of the object's chunk
 * when that chunk is sealed (no longer written to); for the chunk being
 * written the bytes are copied (pread) into a buffer the view owns. The
 * bytes are checked against the object's CRC32C first. Release every view
 * with wk_blob_view_release (before wk_blob_close); a chunk with live views
 * is not removed. *view is written only on success.
 * Errors: WK_ENOTFOUND (no such live object), WK_ECORRUPT (bytes fail the
 * CRC or lie outside the chunk file; wk_blob_errmsg says which), -errno,
 * WK_ENOMEM. */
WK_API int wk_blob_get(wk_blob *b, uint64_t id, wk_blob_view *view);

/* Releases a view (NULL or an already released one: no-op). */
WK_API void wk_blob_view_release(wk_blob *b, wk_blob_view *view);

/* Copies len bytes of object id from offset off into buf. The whole
 * object's CRC is checked on the first read of it since open (and on every
 * wk_blob_get). Errors: WK_ENOTFOUND, -EINVAL (off+len past the end),
 * WK_ECORRUPT, -errno, WK_ENOMEM. */
WK_API int wk_blob_read(wk_blob *b, uint64_t id, uint64_t off, void *buf,
                        size_t len);

/* Deletes object id (with WK_SYNC: durably on return). Its chunk file is
 * removed once nothing in it is live, the delete records are durable and no
 * view uses it. Errors: WK_ENOTFOUND, -EROFS, WK_EPOISONED, -errno. */
WK_API int wk_blob_delete(wk_blob *b, uint64_t id, int flags);

typedef struct wk_blob_info {
    uint64_t id;
    uint64_t len;
    uint64_t tag;
    uint32_t crc;    /* CRC32C of the bytes */
    uint32_t chunk;  /* chunk file number */
    uint64_t offset; /* byte offset in the chunk file */
} wk_blob_info;

/* Fills *info for object id (WK_ENOTFOUND). */
WK_API int wk_blob_stat(wk_blob *b, uint64_t id, wk_blob_info *info);

/* Calls fn(arg, info) for every live object (tag == 0: all; else those
 * with that tag) in increasing id order, without holding the store's lock
 * (fn may call the store; objects put meanwhile may or may not be listed).
 * Returns 0, or fn's first non-zero return value (which stops the walk). */
WK_API int wk_blob_list(wk_blob *b, uint64_t tag,
                        int (*fn)(void *arg, const wk_blob_info *info),
                        void *arg);

/* ---- key/value records ------------------------------------------------- */

/* Sets key (1..WK_BLOB_MAX_KEY bytes) to val (0..WK_BLOB_MAX_VALUE bytes),
 * both copied. Errors: -EINVAL, -E2BIG (also when the record exceeds the
 * command log's largest entry, with log_segment_bytes below ~128 KiB; the
 * handle stays usable), -EROFS, WK_EPOISONED, -errno. */
WK_API int wk_blob_kv_set(wk_blob *b, const void *key, size_t klen,
                          const void *val, size_t vlen, int flags);

/* Copies the value of key into buf (up to cap bytes) and stores its full
 * length in *len (so cap 0 asks for the length). Errors: WK_ENOTFOUND,
 * -EINVAL. */
WK_API int wk_blob_kv_get(wk_blob *b, const void *key, size_t klen, void *buf,
                          size_t cap, size_t *len);

/* Deletes key. Errors: WK_ENOTFOUND, -EINVAL, -EROFS, WK_EPOISONED. */
WK_API int wk_blob_kv_del(wk_blob *b, const void *key, size_t klen, int flags);

/* ---- streams ----------------------------------------------------------- */

/* Appends len bytes (1..max_object_bytes, copied) to stream stream_id
 * (created by its first append), stored in chunks like objects. *offset
 * (may be NULL) receives the stream offset of the first byte. Appends to
 * one stream are ordered: after a crash a stream is a prefix of what was
 * appended, including every acknowledged append. Streams are never deleted
 * (their chunks stay). Errors: as wk_blob_put. */
WK_API int wk_blob_stream_append(wk_blob *b, uint64_t stream_id,
                                 const void *data, size_t len, int flags,
                                 uint64_t *offset);

/* Copies up to len bytes of the stream from off into buf; *got receives
 * the count (short only at the end of the stream; 0 at or past it).
 * Each extent read is checked against its CRC once per open.
 * Errors: WK_ENOTFOUND (no such stream), WK_ECORRUPT, -errno. */
WK_API int wk_blob_stream_read(wk_blob *b, uint64_t stream_id, uint64_t off,
                               void *buf, size_t len, size_t *got);

/* Current size of the stream (WK_ENOTFOUND if it never got an append). */
WK_API int wk_blob_stream_size(wk_blob *b, uint64_t stream_id, uint64_t *size);

/* ---- space, statistics, errors ---------------------------------------- */

/* Compacts the store: first moves the live objects of sparse sealed
 * chunks (see opts.compact_live_pct) into the current chunk (each move is
 * made durable like a put: bytes synced, then a MOVE record; ids do not
 * change; views of the old place stay valid until released), then writes
 * an index snapshot and lets the command log drop what it covers (wk_log
 * checkpoint), and removes the chunks that became empty. Returns once all
 * of it is durable. Costs a copy of the moved bytes. Other calls may run
 * meanwhile. Errors: -EROFS, WK_EPOISONED, -errno, WK_ETIMEDOUT (after
 * 60 s), WK_ENOMEM. */
WK_API int wk_blob_compact(wk_blob *b);

typedef struct wk_blob_stats {
    uint64_t objects;      /* live objects */
    uint64_t object_bytes; /* their bytes */
    uint64_t kv;           /* key/value records */
    uint64_t streams;
    uint64_t stream_bytes;
    uint32_t chunks;           /* chunk files */
    uint32_t current_chunk;    /* number of the chunk being written (0) */
    uint64_t chunk_file_bytes; /* total size of the chunk files */
    uint64_t chunks_removed;   /* since open */
    uint64_t puts;             /* objects + stream appends written since open */
    uint64_t chunk_syncs; /* chunk fdatasyncs since open (shared by groups) */
    uint64_t log_syncs;   /* command-log fdatasyncs since open */
    uint64_t snapshots;   /* index snapshots written since open */
    uint64_t relocated;   /* objects moved by wk_blob_compact since open */
    uint64_t last_lsn;    /* command log */
    uint64_t durable_lsn;
    int poisoned; /* first I/O error, or 0 */
} wk_blob_stats;

WK_API void wk_blob_stats_get(wk_blob *b, wk_blob_stats *st);

/* Human-readable description of the last error on this handle ("object 17:
 * CRC mismatch in 'chunk-00000002.blob' at 4096+1048576: corrupt data");
 * "" if none. Valid until the next call from the same thread. */
WK_API const char *wk_blob_errmsg(wk_blob *b);

/* Verifies a blob store without modifying it: replays the command log
 * read-only and checks every live object's and stream extent's bytes
 * against their CRC32C. Fills report. Returns 0 when clean (a torn log
 * tail is not corruption), WK_ECORRUPT when something is corrupt (count and
 * first problem in the report), -errno / WK_EFORMAT on other errors.
 * vfs NULL = posix. */
WK_API int wk_blob_verify(const char *dir, wk_vfs *vfs, wk_blob_report *report);

#ifdef __cplusplus
}
#endif
#endif
