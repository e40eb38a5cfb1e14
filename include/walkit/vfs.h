/* walkit vfs: the one seam between walkit and the operating system.
 *
 * Every component does all of its file I/O through a wk_vfs method table:
 * nothing else in the library calls open/pread/pwrite/fsync/fdatasync/
 * fallocate/rename/unlink/flock/mmap. Two backends ship with the library:
 *
 *   wk_vfs_posix()   the real one (Linux/POSIX); retries EINTR and short
 *                    reads/writes; returns -errno.
 *   wk_sim_*()       an in-memory simulated disk that keeps durable and
 *                    cached (unsynced) state apart, can produce the states a
 *                    power cut leaves behind, and injects faults. It is part
 *                    of the public API so users can test their own recovery
 *                    code on top of walkit under simulated power cuts.
 *
 * Users may plug their own backend: fill a wk_vfs and wk_file_methods.
 *
 * General contract, for every method:
 *  - Return 0 on success or a negative error (-errno or WK_E*). Never set
 *    errno as the way of reporting, never abort.
 *  - Paths are plain C strings, absolute or relative to the process's working
 *    directory, exactly as the component built them ("dir/00000001.wal").
 *  - Methods may be called from several threads at once, on the same vfs and
 *    on the same wk_file (pread/pwrite at distinct offsets, sync, size). A
 *    backend serializes internally whatever it must.
 *  - "Durable" has one meaning: after a crash (power cut) the bytes or the
 *    directory entry are still there. Only sync (for file data and size) and
 *    sync_dir (for names in a directory) make anything durable.
 */
#ifndef WALKIT_VFS_H
#define WALKIT_VFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h> /* struct iovec */

#include "walkit/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WK_VFS_VERSION 1

typedef struct wk_vfs wk_vfs;
typedef struct wk_file wk_file;
typedef struct wk_file_methods wk_file_methods;
typedef struct wk_vfs_lock wk_vfs_lock;

/* Flags for wk_vfs.open. */
enum {
    WK_O_RDONLY = 0,      /* read only */
    WK_O_RDWR = 1 << 0,   /* read and write */
    WK_O_CREATE = 1 << 1, /* create if missing (implies WK_O_RDWR) */
    WK_O_EXCL = 1 << 2,   /* with WK_O_CREATE: fail with -EEXIST if present */
    WK_O_TRUNC = 1 << 3,  /* truncate to 0 bytes at open */
};

/* Flags for wk_file_methods.sync. */
enum {
    WK_SYNC_DATA = 0, /* fdatasync: data and the metadata needed to read it
                         back (size); not timestamps */
    WK_SYNC_FULL = 1, /* fsync: data and all metadata */
};

/* Entry kinds for wk_vfs_stat.type. */
enum { WK_VFS_FILE = 1, WK_VFS_DIR = 2, WK_VFS_OTHER = 3 };

typedef struct wk_vfs_stat {
    int type;      /* WK_VFS_FILE, WK_VFS_DIR or WK_VFS_OTHER */
    uint64_t size; /* bytes, for files */
} wk_vfs_stat;

/* An open file. Backends embed this as the first member of their own file
 * struct and set methods. */
struct wk_file {
    const wk_file_methods *methods;
};

struct wk_file_methods {
    int version; /* WK_VFS_VERSION */

    /* Releases the file. Unsynced data stays in the cache (it is NOT made
     * durable by close). Always releases the handle, even when returning an
     * error. */
    int (*close)(wk_file *f);

    /* Reads up to len bytes at off into buf and stores the count in *nread.
     * *nread < len only at end of file (never a short read otherwise: the
     * backend loops). Returns 0 or -errno. */
    int (*pread)(wk_file *f, void *buf, size_t len, uint64_t off,
                 size_t *nread);

    /* Writes all len bytes at off, extending the file if needed. All or an
     * error: on error some prefix may have reached the cache; the caller must
     * treat the range as undefined. Not durable until sync. */
    int (*pwrite)(wk_file *f, const void *buf, size_t len, uint64_t off);

    /* As pwrite, for iovcnt buffers laid end to end starting at off. */
    int (*pwritev)(wk_file *f, const struct iovec *iov, int iovcnt,
                   uint64_t off);

    /* WK_SYNC_DATA (fdatasync) or WK_SYNC_FULL (fsync). After it returns 0,
     * every write that completed before the call is durable, and so is the
     * file's size. After it fails, the caller must assume the unsynced data
     * is lost AND that a retry may falsely succeed (Linux marks the pages
     * clean after a writeback error): walkit never retries, it poisons the
     * handle. */
    int (*sync)(wk_file *f, int flags);

    /* Reserves [off, off+len) on disk (fallocate mode 0): the size grows to
     * at least off+len, new bytes read as zero, later writes there cannot
     * fail with ENOSPC. Not durable until sync. -ENOSPC when the disk is
     * full, -EOPNOTSUPP if the filesystem cannot (callers fall back to
     * writing zeros). */
    int (*allocate)(wk_file *f, uint64_t off, uint64_t len);

    /* Sets the size to size bytes (shrinks or zero-extends). Not durable
     * until sync. */
    int (*truncate)(wk_file *f, uint64_t size);

    /* Current size, as the cache sees it (including unsynced writes). */
    int (*size)(wk_file *f, uint64_t *size);

    /* Maps [off, off+len) read-only and stores the address in *addr. off
     * must be a multiple of 4096 for the posix backend. The mapping stays
     * valid until unmap, even after close. Bytes past end of file must not be
     * read. */
    int (*mmap)(wk_file *f, uint64_t off, size_t len, const void **addr);

    /* Undoes mmap; addr and len exactly as mapped. f may be the handle
     * that mapped or, if that one was closed, any open handle of the same
     * backend (never a closed handle). */
    int (*unmap)(wk_file *f, const void *addr, size_t len);
};

/* Called by wk_vfs.list for each entry of a directory except "." and "..",
 * in no particular order. Return 0 to go on, non-zero to stop: list then
 * returns that value. */
typedef int (*wk_vfs_list_fn)(void *arg, const char *name);

struct wk_vfs {
    int version;      /* WK_VFS_VERSION */
    const char *name; /* "posix", "sim", ... */
    void *ctx;        /* backend's own state */

    /* Opens path with WK_O_* flags and stores a new handle in *out (written
     * only on success). -ENOENT if missing without WK_O_CREATE, -EEXIST with
     * WK_O_EXCL, -EISDIR for a directory. A created file's directory entry
     * is NOT durable until sync_dir of its directory. */
    int (*open)(wk_vfs *vfs, const char *path, int flags, wk_file **out);

    /* Atomically renames from to to, replacing to if it exists. Not durable
     * until sync_dir of the directory (both, if they differ). */
    int (*rename)(wk_vfs *vfs, const char *from, const char *to);

    /* Removes a file name. Not durable until sync_dir. -ENOENT if missing. */
    int (*unlink)(wk_vfs *vfs, const char *path);

    /* Creates a directory (mode 0755). -EEXIST if it exists. Not durable
     * until sync_dir of the parent. */
    int (*mkdir)(wk_vfs *vfs, const char *path);

    /* Removes an empty directory. -ENOTEMPTY, -ENOENT. */
    int (*rmdir)(wk_vfs *vfs, const char *path);

    /* Calls fn for each entry of directory dir. */
    int (*list)(wk_vfs *vfs, const char *dir, wk_vfs_list_fn fn, void *arg);

    /* Stats path. -ENOENT if missing. */
    int (*stat)(wk_vfs *vfs, const char *path, wk_vfs_stat *st);

    /* fsyncs directory dir: every create, rename and unlink in it that
     * completed before the call becomes durable. */
    int (*sync_dir)(wk_vfs *vfs, const char *dir);

    /* Takes an exclusive lock on directory dir (flock(LOCK_EX|LOCK_NB) on
     * dir/LOCK, created if missing) or, when dir names an existing regular
     * file, on that file itself (how single-file components such as the
     * journal keep out a second opener). A second lock on the same path,
     * from this process or another, fails with -EBUSY until unlock. The lock
     * dies with the process. -ENOENT if dir does not exist. */
    int (*lock_dir)(wk_vfs *vfs, const char *dir, wk_vfs_lock **out);

    /* Releases a lock from lock_dir (the LOCK file stays). */
    int (*unlock_dir)(wk_vfs *vfs, wk_vfs_lock *lock);

    /* Fills buf with len random bytes (salts, ids). The sim backend's are
     * seeded and reproducible. */
    int (*random)(wk_vfs *vfs, void *buf, size_t len);
};

/* The process-wide posix backend (static storage; never destroy it). */
WK_API wk_vfs *wk_vfs_posix(void);

/* Calling helpers: wk_file_pread(f, ...) is f->methods->pread(f, ...), and
 * so on, with argument checks (-EINVAL for NULL handles). */
WK_API int wk_file_close(wk_file *f);
WK_API int wk_file_pread(wk_file *f, void *buf, size_t len, uint64_t off,
                         size_t *nread);
/* pread of exactly len bytes: -ENODATA when the file ends before off+len. */
WK_API int wk_file_pread_full(wk_file *f, void *buf, size_t len, uint64_t off);
WK_API int wk_file_pwrite(wk_file *f, const void *buf, size_t len,
                          uint64_t off);
WK_API int wk_file_pwritev(wk_file *f, const struct iovec *iov, int iovcnt,
                           uint64_t off);
WK_API int wk_file_sync(wk_file *f, int flags);
WK_API int wk_file_allocate(wk_file *f, uint64_t off, uint64_t len);
WK_API int wk_file_truncate(wk_file *f, uint64_t size);
WK_API int wk_file_size(wk_file *f, uint64_t *size);
WK_API int wk_file_mmap(wk_file *f, uint64_t off, size_t len,
                        const void **addr);
WK_API int wk_file_unmap(wk_file *f, const void *addr, size_t len);

/* Durable-file idioms, each written once (src/io/vfs_helpers.c). */

/* Atomically replaces path with len bytes of data: writes "path.tmp",
 * fsyncs it, renames it over path, fsyncs the directory. After return 0 the
 * new content is durable; after a crash at any point path holds either the
 * old or the new content, never a mix. */
WK_API int wk_vfs_atomic_replace(wk_vfs *vfs, const char *path,
                                 const void *data, size_t len);

/* Creates a new file of exactly size bytes whose blocks are allocated and
 * durable: open(CREATE|EXCL), allocate (falling back to writing zeros when
 * unsupported), optionally overwrite with zeros when zero_fill is set (so
 * later fdatasyncs have no unwritten-extent metadata to commit), fsync the
 * file, fsync the directory. The handle is returned open in *out (or closed
 * if out is NULL). -EEXIST if present. */
WK_API int wk_vfs_create_prealloc(wk_vfs *vfs, const char *path, uint64_t size,
                                  int zero_fill, wk_file **out);

/* Reads a whole (small) file into a buffer allocated with the walkit
 * allocator (*data, *len; free with wk_free). -EFBIG above max_len. */
WK_API int wk_vfs_read_all(wk_vfs *vfs, const char *path, size_t max_len,
                           void **data, size_t *len);

/* Frees memory that walkit allocated for the caller. */
WK_API void wk_free(void *ptr);

/* ---------------------------------------------------------------------
 * The simulated disk (sim backend).
 *
 * State model. Every file has a durable image (what survives a power cut)
 * and a list of pending operations since its last successful sync (writes,
 * truncates, allocates), applied in order to give the cached image that
 * reads see. Every directory has a durable name table and a list of pending
 * name operations (create, rename in or out, unlink, mkdir) since its last
 * sync_dir. A file sync makes the file's pending operations durable, but a
 * file whose creating name operation is not durable is still lost entirely
 * when the crash loses that name operation.
 *
 * Crash model. wk_sim_crash() replaces the state by a post-power-cut state
 * chosen by the policy and a seed (same seed and history: same image), then
 * lets I/O continue on the new state: every wk_file opened before the crash
 * is dead (all its methods return WK_ECRASHED except close), and locks are
 * released. Policies:
 *   WK_SIM_DROP_ALL      every pending file and directory operation lost.
 *   WK_SIM_KEEP_ALL      every pending operation kept (a process crash).
 *   WK_SIM_KEEP_RANDOM   each pending file write independently kept or
 *                        lost; each directory keeps a random prefix of its
 *                        pending name operations.
 *   WK_SIM_TEAR          pending writes kept in order up to a random one,
 *                        which is torn: a random subset of its 512 B or 4 KiB
 *                        sectors reaches the disk; later writes lost.
 *                        Directory ops: random prefix.
 *   WK_SIM_REORDER       pending writes split at 512 B sectors; each sector
 *                        independently kept or lost (any order of arrival).
 *                        Directory ops: random prefix.
 *   WK_SIM_LOSE_DIR_OPS  file data kept; every pending name operation lost.
 *
 * Freezing. A crash loop wants "the power failed right after I/O operation
 * N". wk_sim_crash_after(sim, n) arms that: once n mutating operations have
 * completed, the disk freezes and every later call (reads too) fails with
 * WK_ECRASHED and changes nothing. The test then closes its handles (walkit
 * must cope with the errors), calls wk_sim_crash(), reopens and checks.
 * Mutating operations: pwrite, pwritev, sync, allocate, truncate, open with
 * WK_O_CREATE or WK_O_TRUNC, rename, unlink, mkdir, rmdir, sync_dir.
 *
 * Faults. wk_sim_fault() makes a chosen call fail: the n-th call counted
 * from now (all kinds, or one kind), with -EIO, -ENOSPC, or a short write
 * (the first half of the bytes reach the cache, then -ENOSPC). A sync that
 * fails with -EIO drops the file's pending writes from the durable future
 * (they stay visible in the cache, as Linux's marked-clean pages do) and the
 * next sync returns 0.
 *
 * Thread-safe: one internal mutex.
 */

typedef struct wk_sim wk_sim;

enum wk_sim_policy {
    WK_SIM_DROP_ALL = 0,
    WK_SIM_KEEP_ALL,
    WK_SIM_KEEP_RANDOM,
    WK_SIM_TEAR,
    WK_SIM_REORDER,
    WK_SIM_LOSE_DIR_OPS,
    WK_SIM_POLICY_COUNT
};

/* Kinds of vfs calls, for fault targeting and operation counts. */
enum wk_sim_op {
    WK_SIM_OP_ANY = 0,
    WK_SIM_OP_OPEN,
    WK_SIM_OP_CLOSE,
    WK_SIM_OP_PREAD,
    WK_SIM_OP_PWRITE, /* pwrite and pwritev */
    WK_SIM_OP_SYNC,   /* file sync, both flags */
    WK_SIM_OP_ALLOCATE,
    WK_SIM_OP_TRUNCATE,
    WK_SIM_OP_SIZE,
    WK_SIM_OP_MMAP,
    WK_SIM_OP_RENAME,
    WK_SIM_OP_UNLINK,
    WK_SIM_OP_MKDIR,
    WK_SIM_OP_RMDIR,
    WK_SIM_OP_LIST,
    WK_SIM_OP_STAT,
    WK_SIM_OP_SYNC_DIR,
    WK_SIM_OP_LOCK,
    WK_SIM_OP_KIND_COUNT
};

enum wk_sim_fault_kind {
    WK_SIM_FAULT_EIO = 1,
    WK_SIM_FAULT_ENOSPC,
    WK_SIM_FAULT_SHORT_WRITE, /* pwrite/pwritev only; others get -EIO */
};

typedef struct wk_sim_opts {
    size_t size;       /* sizeof(wk_sim_opts), set by wk_sim_opts_init */
    uint64_t seed;     /* for wk_vfs.random; default 1 */
    uint64_t capacity; /* bytes of file data before -ENOSPC; 0 = 1 TiB */
    int trace;         /* record a trace of mutating calls (see below) */
} wk_sim_opts;

WK_API void wk_sim_opts_init(wk_sim_opts *opts);

/* Creates an empty simulated disk; the root "/" and the current directory
 * "." exist. Relative paths and absolute paths are separate names (use one
 * style). opts NULL = defaults. */
WK_API int wk_sim_create(const wk_sim_opts *opts, wk_sim **out);

/* Frees the disk. Every file and lock must be closed first. NULL: no-op. */
WK_API void wk_sim_destroy(wk_sim *sim);

/* The vfs of this disk (valid until wk_sim_destroy). */
WK_API wk_vfs *wk_sim_vfs(wk_sim *sim);

/* Power cut now: see the crash model above. Also disarms crash_after and
 * every pending fault, and unfreezes. */
WK_API int wk_sim_crash(wk_sim *sim, uint64_t seed, int policy);

/* Freeze after n more mutating operations (n = 0: freeze now). n < 0
 * disarms. */
WK_API void wk_sim_crash_after(wk_sim *sim, int64_t n);

/* 1 once a crash_after point was reached and the disk is frozen. */
WK_API int wk_sim_frozen(wk_sim *sim);

/* Makes the n-th call (1 = the next one) of kind op (WK_SIM_OP_ANY for all
 * kinds) fail with fault. One fault armed at a time; a later call replaces
 * it. n = 0 disarms. */
WK_API void wk_sim_fault(wk_sim *sim, int op, uint64_t n, int fault);

/* 1 once the armed fault has fired. */
WK_API int wk_sim_fault_fired(wk_sim *sim);

/* Calls made so far, of one kind or (WK_SIM_OP_ANY) all; and mutating ones
 * (the unit of wk_sim_crash_after). */
WK_API uint64_t wk_sim_op_count(wk_sim *sim, int op);
WK_API uint64_t wk_sim_mutation_count(wk_sim *sim);

/* The trace of mutating calls since creation or the last trace_clear, one
 * per line, names relative to nothing (exactly the path given):
 *   "create a/x", "pwrite a/x 0+4096", "sync a/x", "datasync a/x",
 *   "allocate a/x 0+65536", "truncate a/x 100", "rename a/x.tmp a/x",
 *   "unlink a/x", "mkdir a", "rmdir a", "sync_dir a"
 * Returned string valid until the next sim call; NULL when tracing is off. */
WK_API const char *wk_sim_trace(wk_sim *sim);
WK_API void wk_sim_trace_clear(wk_sim *sim);

/* Test helpers acting on the image directly, outside of the I/O counters:
 * read or overwrite durable+cached bytes of a file (to flip a byte, plant
 * garbage). -ENOENT if missing. */
WK_API int wk_sim_poke(wk_sim *sim, const char *path, uint64_t off,
                       const void *buf, size_t len);
WK_API int wk_sim_peek(wk_sim *sim, const char *path, uint64_t off, void *buf,
                       size_t len, size_t *nread);

#ifdef __cplusplus
}
#endif
#endif
