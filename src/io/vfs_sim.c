/* The simulated disk (sim backend): an in-memory wk_vfs that keeps durable
 * and cached state apart, produces the states a power cut leaves behind,
 * freezes after the N-th mutating call and injects faults. The contract is
 * the comment block at the end of include/walkit/vfs.h. Files:
 *   vfs_sim.c    this comment, the call protocol (counters, freezing,
 *                faults, trace) and the public wk_sim_* API;
 *   sim_file.c   open and the wk_file methods;
 *   sim_dir.c    the namespace methods (rename ... lock_dir);
 *   sim_fs.c     state: byte images, name tables, inodes, paths;
 *   sim_crash.c  post-power-cut images (the policies).
 *
 * State (sim_internal.h, sim_fs.c). Files and directories are inodes
 * referenced by names, so an open handle keeps working after its name is
 * unlinked or renamed, as in POSIX. A file has a cached image (what reads
 * see), a durable image, and the list of operations (write, truncate,
 * allocate) since its last successful sync; sync applies the list to the
 * durable image in order. A directory has cached and durable name tables
 * and the list of name operations since its last sync_dir, which applies
 * them to the durable table. "/" and "." are two separate, durable roots.
 * Crash images: sim_crash.c.
 *
 * Every call takes the one mutex, then:
 *   - on a handle killed by a crash: WK_ECRASHED (not counted);
 *   - counts the call (wk_sim_op_count, frozen calls included);
 *   - frozen: WK_ECRASHED, no effect (close still frees the handle and
 *     returns 0; unlock_dir and unmap still release);
 *   - mutating calls (see vfs.h) count one mutation each, failed or not;
 *   - the armed fault counts down on calls of its kind and fires: the call
 *     fails with no effect, except a short write (half the bytes reach the
 *     cache, then -ENOSPC) and a failed sync (the file's pending operations
 *     are dropped from the durable future but stay in the cache, so the
 *     next sync returns 0: Linux's "marked clean");
 *   - after a mutating call, the trace gets one line (with " -> ENAME"
 *     appended when it failed) and the freeze point is checked.
 * Trace lines are those of vfs.h, plus "open p" for an open with
 * WK_O_CREATE of an existing file without WK_O_TRUNC ("truncate p 0" with
 * it), so line N of the trace is mutation N.
 *
 * lock_dir creates dir/LOCK like the posix backend (a pending create, not
 * counted as a mutation, not traced) and keeps the lock in memory.
 * mmap returns a private copy of the cached bytes (zeros past the end of
 * file), freed by unmap. Capacity: the sum of the cached sizes of files
 * still reachable (by a name or an open handle) may not exceed
 * opts.capacity (-ENOSPC for growing writes, allocates, truncates).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "io/sim_internal.h"

#define SIM_DEFAULT_CAPACITY (1ULL << 40)

/* ------------------------------------------------------------------ */
/* Counters, faults, freezing, trace */

/* Counts a call; returns WK_ECRASHED when frozen, else 0 and the fault
 * (WK_SIM_FAULT_*) this call must suffer, or 0, in *fault. */
int
wk__sim_enter(wk_sim *s, int kind, int mutating, int *fault)
{
    *fault = 0;
    s->ops[kind]++;
    s->ops[WK_SIM_OP_ANY]++;
    if (s->frozen)
        return WK_ECRASHED;
    if (mutating)
        s->mutations++;
    if (s->fault_n > 0 &&
        (s->fault_op == WK_SIM_OP_ANY || s->fault_op == kind) &&
        --s->fault_n == 0) {
        *fault = s->fault_kind;
        s->fault_fired = 1;
    }
    return 0;
}

/* The error a fault gives a call that is not a short write. */
int
wk__sim_fault_rc(int fault)
{
    return fault == WK_SIM_FAULT_ENOSPC ? -ENOSPC : -EIO;
}

void
wk__sim_trace(wk_sim *s, int rc, const char *fmt, ...)
{
    if (!s->opts.trace)
        return;
    char line[2 * WK__SIM_PATH_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (rc != 0) {
        int m =
            snprintf(line + len, sizeof line - len, " -> %s", wk_errname(rc));
        if (m > 0)
            len += (size_t)m < sizeof line - len ? (size_t)m
                                                 : sizeof line - len - 1;
    }
    size_t need = s->trace_len + len + 2;
    if (need > s->trace_cap) {
        size_t cap = s->trace_cap ? s->trace_cap * 2 : 1024;
        while (cap < need)
            cap *= 2;
        char *t = wk__realloc(s->trace, cap);
        if (t == NULL)
            return; /* the trace is best effort under memory pressure */
        s->trace = t;
        s->trace_cap = cap;
    }
    memcpy(s->trace + s->trace_len, line, len);
    s->trace_len += len;
    s->trace[s->trace_len++] = '\n';
    s->trace[s->trace_len] = '\0';
}

/* Ends a call: freeze point, garbage collection, unlock. Returns rc. */
int
wk__sim_leave(wk_sim *s, int mutating, int rc)
{
    if (mutating && s->freeze_armed && s->mutations >= s->freeze_at) {
        s->frozen = 1;
        s->freeze_armed = 0;
    }
    wk__sim_gc(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int
sim_random(wk_vfs *vfs, void *buf, size_t len)
{
    wk_sim *s = vfs->ctx;
    uint8_t *p = buf;
    pthread_mutex_lock(&s->mu);
    if (s->frozen) {
        pthread_mutex_unlock(&s->mu);
        return WK_ECRASHED;
    }
    while (len > 0) {
        uint64_t r = wk__sim_rand(&s->rng);
        size_t n = len < sizeof r ? len : sizeof r;
        memcpy(p, &r, n);
        p += n;
        len -= n;
    }
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Public API */

void
wk_sim_opts_init(wk_sim_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->seed = 1;
}

int
wk_sim_create(const wk_sim_opts *opts, wk_sim **out)
{
    if (out == NULL)
        return -EINVAL;
    wk_sim *s = wk__calloc(1, sizeof *s);
    if (s == NULL)
        return WK_ENOMEM;
    wk_sim_opts_init(&s->opts);
    if (opts != NULL) {
        size_t n = opts->size < sizeof s->opts ? opts->size : sizeof s->opts;
        if (n < offsetof(wk_sim_opts, seed)) {
            wk__free(s);
            return -EINVAL;
        }
        memcpy(&s->opts, opts, n);
        s->opts.size = sizeof s->opts;
    }
    if (s->opts.capacity == 0)
        s->opts.capacity = SIM_DEFAULT_CAPACITY;
    s->rng = s->opts.seed;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        wk__free(s);
        return WK_ENOMEM;
    }
    s->root_abs = wk__sim_inode_new(s, WK__SIM_DIR);
    s->root_rel = s->root_abs ? wk__sim_inode_new(s, WK__SIM_DIR) : NULL;
    if (s->root_rel == NULL) {
        wk__sim_free_all(s);
        pthread_mutex_destroy(&s->mu);
        wk__free(s);
        return WK_ENOMEM;
    }
    wk__sim_cref(s->root_abs);
    wk__sim_cref(s->root_rel);
    s->vfs.version = WK_VFS_VERSION;
    s->vfs.name = "sim";
    s->vfs.ctx = s;
    s->vfs.open = wk__sim_open;
    wk__sim_dir_methods(&s->vfs);
    s->vfs.random = sim_random;
    *out = s;
    return 0;
}

void
wk_sim_destroy(wk_sim *sim)
{
    if (sim == NULL)
        return;
    /* Handles and locks left open are freed too (their owners must not
     * use them any more). */
    while (sim->handles != NULL) {
        wk__sim_handle *h = sim->handles;
        sim->handles = h->next;
        wk__free(h->path);
        wk__free(h);
    }
    while (sim->locks != NULL) {
        wk__sim_lock *lk = sim->locks;
        sim->locks = lk->next;
        wk__free(lk);
    }
    wk__sim_free_all(sim);
    wk__free(sim->trace);
    pthread_mutex_destroy(&sim->mu);
    wk__free(sim);
}

wk_vfs *
wk_sim_vfs(wk_sim *sim)
{
    return sim != NULL ? &sim->vfs : NULL;
}

int
wk_sim_crash(wk_sim *sim, uint64_t seed, int policy)
{
    if (sim == NULL || policy < 0 || policy >= WK_SIM_POLICY_COUNT)
        return -EINVAL;
    pthread_mutex_lock(&sim->mu);
    int rc = wk__sim_crash_state(sim, seed, policy);
    if (rc != 0) {
        pthread_mutex_unlock(&sim->mu);
        return rc;
    }
    for (wk__sim_handle *h = sim->handles; h != NULL; h = h->next) {
        if (h->ino != NULL)
            wk__sim_unref(sim, h->ino);
        h->ino = NULL;
    }
    for (wk__sim_lock *lk = sim->locks; lk != NULL; lk = lk->next) {
        if (lk->dir != NULL) {
            lk->dir->locked = 0;
            wk__sim_unref(sim, lk->dir);
        }
        lk->dir = NULL;
    }
    sim->frozen = 0;
    sim->freeze_armed = 0;
    sim->fault_n = 0;
    return wk__sim_leave(sim, 0, 0);
}

void
wk_sim_crash_after(wk_sim *sim, int64_t n)
{
    pthread_mutex_lock(&sim->mu);
    if (n < 0) {
        sim->freeze_armed = 0;
    } else if (n == 0) {
        sim->freeze_armed = 0;
        sim->frozen = 1;
    } else {
        sim->freeze_armed = 1;
        sim->freeze_at = sim->mutations + (uint64_t)n;
    }
    pthread_mutex_unlock(&sim->mu);
}

int
wk_sim_frozen(wk_sim *sim)
{
    pthread_mutex_lock(&sim->mu);
    int frozen = sim->frozen;
    pthread_mutex_unlock(&sim->mu);
    return frozen;
}

void
wk_sim_fault(wk_sim *sim, int op, uint64_t n, int fault)
{
    pthread_mutex_lock(&sim->mu);
    sim->fault_op = op >= 0 && op < WK_SIM_OP_KIND_COUNT ? op : WK_SIM_OP_ANY;
    sim->fault_n = n;
    sim->fault_kind = fault;
    sim->fault_fired = 0;
    pthread_mutex_unlock(&sim->mu);
}

int
wk_sim_fault_fired(wk_sim *sim)
{
    pthread_mutex_lock(&sim->mu);
    int fired = sim->fault_fired;
    pthread_mutex_unlock(&sim->mu);
    return fired;
}

uint64_t
wk_sim_op_count(wk_sim *sim, int op)
{
    if (op < 0 || op >= WK_SIM_OP_KIND_COUNT)
        return 0;
    pthread_mutex_lock(&sim->mu);
    uint64_t n = sim->ops[op];
    pthread_mutex_unlock(&sim->mu);
    return n;
}

uint64_t
wk_sim_mutation_count(wk_sim *sim)
{
    pthread_mutex_lock(&sim->mu);
    uint64_t n = sim->mutations;
    pthread_mutex_unlock(&sim->mu);
    return n;
}

const char *
wk_sim_trace(wk_sim *sim)
{
    pthread_mutex_lock(&sim->mu);
    const char *t = NULL;
    if (sim->opts.trace)
        t = sim->trace != NULL ? sim->trace : "";
    pthread_mutex_unlock(&sim->mu);
    return t;
}

void
wk_sim_trace_clear(wk_sim *sim)
{
    pthread_mutex_lock(&sim->mu);
    sim->trace_len = 0;
    if (sim->trace != NULL)
        sim->trace[0] = '\0';
    pthread_mutex_unlock(&sim->mu);
}

int
wk_sim_poke(wk_sim *sim, const char *path, uint64_t off, const void *buf,
            size_t len)
{
    if (sim == NULL || path == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    if (off > WK__SIM_MAX_OFFSET || len > WK__SIM_MAX_OFFSET - off)
        return -EFBIG;
    wk__sim_inode *ino = NULL;
    pthread_mutex_lock(&sim->mu);
    int rc = wk__sim_find(sim, path, WK__SIM_FILE, &ino);
    if (rc == 0 && len > 0) {
        uint64_t old = ino->cached.len;
        rc = wk__sim_buf_reserve(&ino->cached, off + len);
        if (rc == 0)
            rc = wk__sim_buf_reserve(&ino->durable, off + len);
        if (rc == 0) {
            (void)wk__sim_buf_write(&ino->cached, off, buf, len);
            (void)wk__sim_buf_write(&ino->durable, off, buf, len);
            sim->total_bytes += ino->cached.len - old;
        }
    }
    pthread_mutex_unlock(&sim->mu);
    return rc;
}

int
wk_sim_peek(wk_sim *sim, const char *path, uint64_t off, void *buf, size_t len,
            size_t *nread)
{
    if (sim == NULL || path == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    wk__sim_inode *ino = NULL;
    pthread_mutex_lock(&sim->mu);
    int rc = wk__sim_find(sim, path, WK__SIM_FILE, &ino);
    if (rc == 0) {
        size_t n = 0;
        if (off < ino->cached.len)
            n = ino->cached.len - off < len ? (size_t)(ino->cached.len - off)
                                            : len;
        if (n > 0)
            memcpy(buf, ino->cached.data + off, n);
        if (nread != NULL)
            *nread = n;
    }
    pthread_mutex_unlock(&sim->mu);
    return rc;
}
