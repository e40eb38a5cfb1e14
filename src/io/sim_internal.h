/* Internal state of the simulated disk (sim backend), shared by
 * vfs_sim.c (the vfs methods, faults, counters, trace), sim_fs.c (inodes,
 * buffers, name tables, paths) and sim_crash.c (post-power-cut images).
 *
 * Everything here is protected by wk_sim.mu; none of these functions locks.
 */
#ifndef WK_IO_SIM_INTERNAL_H
#define WK_IO_SIM_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "walkit/vfs.h"

#define WK__SIM_PATH_MAX 4096
#define WK__SIM_MAX_OFFSET (1ULL << 60) /* largest file offset */

enum { WK__SIM_FILE = 1, WK__SIM_DIR = 2 };

/* Kinds of pending file operations. */
enum { WK__SIM_WRITE = 1, WK__SIM_TRUNC, WK__SIM_ALLOC };

/* A growable byte image of a file. */
typedef struct wk__sim_buf {
    uint8_t *data;
    uint64_t len; /* file size */
    uint64_t cap; /* bytes allocated */
} wk__sim_buf;

/* A pending (unsynced) file operation. WRITE: len bytes of data at off;
 * TRUNC: size off; ALLOC: [off, off+len). */
typedef struct wk__sim_fop {
    struct wk__sim_fop *next;
    int kind;
    uint64_t off;
    uint64_t len;
    uint8_t data[];
} wk__sim_fop;

typedef struct wk__sim_inode wk__sim_inode;

typedef struct wk__sim_dop wk__sim_dop;

/* One directory entry: an owned name and the inode it names. Entries of
 * cached tables also own a spare name-op struct, so that unlink and rmdir
 * need no allocation (cleanup paths work under a failing allocator, as
 * with the posix backend). */
typedef struct wk__sim_entry {
    char *name;
    wk__sim_inode *ino;
    wk__sim_dop *spare;
} wk__sim_entry;

typedef struct wk__sim_table {
    wk__sim_entry *v;
    size_t n;
    size_t cap;
} wk__sim_table;

/* A pending name operation of a directory: remove name del (if not NULL),
 * then bind name set to ino (if not NULL), atomically. create and mkdir are
 * {NULL, name}, unlink, rmdir and a rename out are {name, NULL}, a rename in
 * is {NULL, name} and a rename within the directory is {from, to}. */
struct wk__sim_dop {
    struct wk__sim_dop *next;
    char *del;
    char *set;
    wk__sim_inode *ino; /* holds a reference when set != NULL */
};

/* A file or a directory. References come from name tables (cached and
 * durable), pending name ops, open handles, locks and the sim's roots; at
 * zero the inode is queued as a zombie and freed by wk__sim_gc. */
struct wk__sim_inode {
    int type;
    uint64_t refs;
    uint64_t crefs; /* of refs, those from cached names and open handles */
    wk__sim_inode *prev, *next; /* every live inode, in creation order */
    wk__sim_inode *zombie_next;
    int zombie;
    /* files */
    wk__sim_buf cached;            /* what reads see */
    wk__sim_buf durable;           /* what survives a power cut */
    wk__sim_fop *fops, *fops_tail; /* pending since the last sync */
    /* directories */
    wk__sim_table cnames;          /* cached names */
    wk__sim_table dnames;          /* durable names */
    wk__sim_dop *dops, *dops_tail; /* pending since the last sync_dir */
    size_t nsets; /* pending ops that bind a name (dnames has room) */
    int locked;
    /* scratch of a crash under construction */
    wk__sim_buf new_durable, new_cached;
    wk__sim_table new_dnames, new_cnames;
};

/* An open file. Dead (ino == NULL) after a crash. */
typedef struct wk__sim_handle {
    wk_file base;
    wk_sim *sim;
    wk__sim_inode *ino;
    char *path; /* as opened, for the trace */
    int writable;
    struct wk__sim_handle *prev, *next;
} wk__sim_handle;

/* A directory lock. Dead (dir == NULL) after a crash. */
typedef struct wk__sim_lock {
    wk_sim *sim;
    wk__sim_inode *dir;
    struct wk__sim_lock *prev, *next;
} wk__sim_lock;

struct wk_sim {
    wk_vfs vfs;
    pthread_mutex_t mu;
    wk_sim_opts opts;
    uint64_t rng; /* wk_vfs.random */
    wk__sim_inode *live_head, *live_tail;
    wk__sim_inode *zombies;
    wk__sim_inode *root_abs; /* "/" */
    wk__sim_inode *root_rel; /* "." */
    uint64_t total_bytes;    /* sum of cached file sizes */
    wk__sim_handle *handles;
    wk__sim_lock *locks;
    /* counters, freezing, faults */
    uint64_t ops[WK_SIM_OP_KIND_COUNT];
    uint64_t mutations;
    int freeze_armed;
    uint64_t freeze_at;
    int frozen;
    int fault_op;
    uint64_t fault_n; /* 0: disarmed */
    int fault_kind;
    int fault_fired;
    /* trace */
    char *trace;
    size_t trace_len, trace_cap;
};

/* A normalized path: components NUL-terminated one after the other in buf
 * ("a\0b\0"), len bytes in all, n components; abs for a leading '/'. */
typedef struct wk__sim_path {
    int abs;
    size_t n;
    size_t len;
    char buf[WK__SIM_PATH_MAX];
} wk__sim_path;

/* splitmix64. */
uint64_t wk__sim_rand(uint64_t *state);

/* Byte images. reserve grows the allocation only; apply/write grow the
 * image (zero-filling gaps) and fail only when growing the allocation
 * fails (never once reserved). */
int wk__sim_buf_reserve(wk__sim_buf *b, uint64_t need);
int wk__sim_buf_write(wk__sim_buf *b, uint64_t off, const void *src,
                      uint64_t len);
int wk__sim_buf_apply(wk__sim_buf *b, const wk__sim_fop *op);
int wk__sim_buf_copy(wk__sim_buf *dst, const wk__sim_buf *src);
void wk__sim_buf_free(wk__sim_buf *b);
/* The image size after applying op to an image of size len. */
uint64_t wk__sim_fop_size(const wk__sim_fop *op, uint64_t len);
void wk__sim_fops_free(wk__sim_fop *op);

/* Name tables (reference-agnostic: callers count references). */
ptrdiff_t wk__sim_table_find(const wk__sim_table *t, const char *name);
int wk__sim_table_reserve(wk__sim_table *t, size_t extra);
/* Appends an entry taking ownership of name and spare (may be NULL);
 * capacity must be reserved. */
void wk__sim_table_append(wk__sim_table *t, char *name, wk__sim_inode *ino,
                          wk__sim_dop *spare);
/* Removes entry i and returns its inode. Its name and spare go to *name
 * and *spare, or are freed when those are NULL. */
wk__sim_inode *wk__sim_table_remove(wk__sim_table *t, size_t i, char **name,
                                    wk__sim_dop **spare);
/* Builds out (empty on entry) = base with the first k ops of dops applied,
 * with a spare per entry when spares is set. Allocates; out holds no
 * references. On error out is freed. */
int wk__sim_table_build(wk__sim_table *out, const wk__sim_table *base,
                        const wk__sim_dop *dops, uint64_t k, int spares);
/* Frees the table's names and array; unref each inode when s != NULL. */
void wk__sim_table_free(wk_sim *s, wk__sim_table *t);
/* Takes a reference on every inode of t. */
void wk__sim_table_ref(wk__sim_table *t);

/* Name ops: new copies the names (ino not referenced yet). */
wk__sim_dop *wk__sim_dop_new(const char *del, const char *set,
                             wk__sim_inode *ino);
/* Frees the list; unrefs the inodes it references when s != NULL. */
void wk__sim_dops_free(wk_sim *s, wk__sim_dop *d);
/* Makes room in dir's durable table for one more pending name binding, so
 * that applying the pending ops (sync_dir) never allocates. */
int wk__sim_dop_reserve(wk__sim_inode *dir);
/* Appends d to dir's pending list, referencing its inode; a binding op
 * must have been reserved. */
void wk__sim_dop_push(wk__sim_inode *dir, wk__sim_dop *d);
/* Applies every pending name op of dir to its durable table (sync_dir);
 * never fails. */
void wk__sim_dops_apply(wk_sim *s, wk__sim_inode *dir);
/* Appends op to the file's pending list. */
void wk__sim_fop_push(wk__sim_inode *f, wk__sim_fop *op);

/* Inodes: new has zero references and is on the live list. */
wk__sim_inode *wk__sim_inode_new(wk_sim *s, int type);
void wk__sim_ref(wk__sim_inode *ino);
void wk__sim_unref(wk_sim *s, wk__sim_inode *ino);
/* References from cached names and handles, which keep the cached image:
 * a file no cached name or handle reaches can never be read again, so its
 * cached bytes are freed (and given back to the capacity) at once, while
 * its durable image lives on for as long as a pending name op may bring it
 * back at a crash. */
void wk__sim_cref(wk__sim_inode *ino);
void wk__sim_cunref(wk_sim *s, wk__sim_inode *ino);
/* Frees every zombie (and whatever that releases). */
void wk__sim_gc(wk_sim *s);
/* Frees every inode regardless of references (destroy). */
void wk__sim_free_all(wk_sim *s);

/* Paths. norm: -ENOENT for "", -ENAMETOOLONG, -EINVAL for ".." above the
 * root. lookup walks the cached names: *dir is the parent of the last
 * component (NULL for a root), *leaf the last component, *ino the inode or
 * NULL when missing. -ENOENT / -ENOTDIR for a bad parent. */
int wk__sim_path_norm(const char *in, wk__sim_path *p);
int wk__sim_lookup(wk_sim *s, const wk__sim_path *p, wk__sim_inode **dir,
                   const char **leaf, wk__sim_inode **ino);

/* The call protocol (vfs_sim.c). enter counts a call and returns
 * WK_ECRASHED when frozen, else 0 with the fault the call must suffer (or
 * 0) in *fault; fault_rc is the error of a fault for a call that is not a
 * short write; trace appends one line (" -> ENAME" added when rc != 0);
 * leave checks the freeze point after a mutating call, collects garbage,
 * unlocks and returns rc. */
int wk__sim_enter(wk_sim *s, int kind, int mutating, int *fault);
int wk__sim_fault_rc(int fault);
void wk__sim_trace(wk_sim *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wk__sim_leave(wk_sim *s, int mutating, int rc);

/* wk_vfs.open (sim_file.c). */
int wk__sim_open(wk_vfs *vfs, const char *path, int flags, wk_file **out);
/* Sets the namespace methods of vfs (sim_dir.c). */
void wk__sim_dir_methods(wk_vfs *vfs);
/* Creates dir/leaf, a new file or directory inode, with a cached entry and
 * a pending name op, and returns it in *out (sim_dir.c). */
int wk__sim_create_entry(wk_sim *s, wk__sim_inode *dir, const char *leaf,
                         int type, wk__sim_inode **out);
/* Looks up an existing file or directory (type 0), or one of type
 * WK__SIM_DIR or WK__SIM_FILE: -ENOENT, -ENOTDIR, -EISDIR (sim_dir.c). */
int wk__sim_find(wk_sim *s, const char *path, int type, wk__sim_inode **out);

/* Replaces the state by a post-power-cut state (sim_crash.c). Handles and
 * locks are left to the caller. On error (WK_ENOMEM) nothing changed. */
int wk__sim_crash_state(wk_sim *s, uint64_t seed, int policy);

#endif
