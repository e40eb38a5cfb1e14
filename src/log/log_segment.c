/* wk_log segments: header encoding, the sparse index, preparing segments
 * (new files and recycled ones), handing a ready segment to rotation, and
 * the background thread that keeps one ready and runs checkpoints.
 * Format and rules: log.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "log/log_internal.h"

void
wk__seg_name(char *buf, size_t len, uint32_t slot)
{
    snprintf(buf, len, "seg-%06u.wal", (unsigned)slot);
}

void
wk__seg_encode_header(const wk__seg *s, uint32_t state, uint64_t first_fsn,
                      uint8_t *hdr)
{
    memset(hdr, 0, LOG_HDR_BYTES);
    memcpy(hdr, LOG_SEG_MAGIC, 8);
    wk__put32(hdr + 8, LOG_FORMAT_VERSION);
    wk__put32(hdr + 12, state);
    wk__put64(hdr + 16, s->salt);
    wk__put64(hdr + 24, first_fsn);
    wk__put64(hdr + 32, s->size);
    wk__put32(hdr + 40, wk__crc32c(0, hdr, 40));
}

int
wk__seg_decode_header(const uint8_t *hdr, uint32_t *state, uint64_t *salt,
                      uint64_t *first_fsn, uint64_t *seg_bytes)
{
    int zero = 1;
    for (unsigned i = 0; i < LOG_HDR_USED; i++)
        if (hdr[i] != 0) {
            zero = 0;
            break;
        }
    if (zero)
        return 1;
    if (memcmp(hdr, LOG_SEG_MAGIC, 8) != 0)
        return WK_ECORRUPT;
    if (wk__get32(hdr + 40) != wk__crc32c(0, hdr, 40))
        return WK_ECORRUPT;
    if (wk__get32(hdr + 8) != LOG_FORMAT_VERSION)
        return WK_EFORMAT;
    *state = wk__get32(hdr + 12);
    if (*state != LOG_SEG_FREE && *state != LOG_SEG_ACTIVE)
        return WK_ECORRUPT;
    *salt = wk__get64(hdr + 16);
    *first_fsn = wk__get64(hdr + 24);
    *seg_bytes = wk__get64(hdr + 32);
    if (*state == LOG_SEG_ACTIVE &&
        (*first_fsn == 0 || *first_fsn > LOG_MAX_FSN))
        return WK_ECORRUPT;
    return 0;
}

wk__seg *
wk__seg_new(uint32_t slot)
{
    wk__seg *s = wk__calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->slot = slot;
    wk__seg_name(s->name, sizeof s->name, slot);
    s->end = LOG_HDR_BYTES;
    s->durable_end = LOG_HDR_BYTES;
    return s;
}

wk__seg *
wk__seg_new_path(const char *dir, uint32_t slot, char **path)
{
    wk__seg *s = wk__seg_new(slot);
    if (s == NULL)
        return NULL;
    *path = wk__path_join(dir, s->name);
    if (*path == NULL) {
        wk__seg_free(s);
        return NULL;
    }
    return s;
}

void
wk__seg_free(wk__seg *s)
{
    if (s == NULL)
        return;
    if (s->f != NULL)
        wk_file_close(s->f);
    wk__free(s->idx);
    wk__free(s);
}

int
wk__seg_idx_add(wk__seg *s, uint64_t fsn, uint64_t off)
{
    if (s->nidx == s->capidx) {
        uint32_t ncap = s->capidx ? s->capidx * 2 : 16;
        log_idx *n = wk__realloc(s->idx, ncap * sizeof *n);
        if (n == NULL)
            return WK_ENOMEM;
        s->idx = n;
        s->capidx = ncap;
    }
    s->idx[s->nidx].fsn = fsn;
    s->idx[s->nidx].off = off;
    s->nidx++;
    return 0;
}

int
wk__seg_idx_find(const wk__seg *s, uint64_t target, log_idx *out)
{
    if (s->nidx == 0 || s->idx[0].fsn > target) {
        out->fsn = s->first_fsn;
        out->off = LOG_HDR_BYTES;
        return 0;
    }
    uint32_t lo = 0, hi = s->nidx; /* first with fsn > target */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->idx[mid].fsn <= target)
            lo = mid + 1;
        else
            hi = mid;
    }
    *out = s->idx[lo - 1];
    return 0;
}

void *
wk__log_grow(void *arr, uint32_t n, uint32_t *cap, size_t elem)
{
    if (n < *cap)
        return arr;
    uint32_t ncap = *cap ? *cap * 2 : 8;
    void *a = wk__realloc(arr, ncap * elem);
    if (a != NULL)
        *cap = ncap;
    return a;
}

int
wk__seg_push(wk__seg ***arr, uint32_t *n, uint32_t *cap, wk__seg *s)
{
    wk__seg **a = wk__log_grow(*arr, *n, cap, sizeof *a);
    if (a == NULL)
        return WK_ENOMEM;
    *arr = a;
    a[(*n)++] = s;
    return 0;
}

int
wk__seg_find_live(wk_log *log, uint64_t fsn)
{
    int lo = 0, hi = (int)log->nlive; /* first with first_fsn > fsn */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (log->live[mid]->first_fsn <= fsn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* Writes s's FREE header with a fresh salt and makes it durable. */
int
wk__seg_resalt(wk_log *log, wk__seg *s)
{
    uint8_t hdr[LOG_HDR_BYTES];
    uint64_t salt = 0;
    int rc = log->vfs->random(log->vfs, &salt, sizeof salt);
    if (rc != 0)
        return wk__errmsg_set(&log->msg, rc, "random salt");
    s->salt = salt;
    s->salt_crc = wk__rec_salt_crc(salt);
    s->state = LOG_SEG_FREE;
    s->first_fsn = 0;
    s->last_fsn = 0;
    s->end = LOG_HDR_BYTES;
    s->durable_end = LOG_HDR_BYTES;
    s->max_needed = 0;
    s->activated = 0;
    s->nidx = 0;
    s->fill_off = 0; /* recycled: written space already */
    s->fill_abort = 0;
    wk__seg_encode_header(s, LOG_SEG_FREE, 0, hdr);
    rc = wk_file_pwrite(s->f, hdr, sizeof hdr, 0);
    if (rc != 0)
        return wk__errmsg_set(&log->msg, rc, "write header of segment '%s'",
                              s->name);
    rc = wk_file_sync(s->f, WK_SYNC_DATA);
    if (rc != 0)
        return wk__errmsg_set(&log->msg, rc, "fdatasync segment '%s'", s->name);
    return 0;
}

/* Creates a new preallocated segment file with a FREE header. */
int
wk__seg_create(wk_log *log, wk__seg **out)
{
    pthread_mutex_lock(&log->mu);
    uint32_t slot = log->next_slot++;
    pthread_mutex_unlock(&log->mu);
    char *path = NULL;
    wk__seg *s = wk__seg_new_path(log->dir, slot, &path);
    if (s == NULL)
        return WK_ENOMEM;
    int rc;
    s->size = log->o.segment_bytes;
    s->hdr_bytes = s->size;
    /* Allocated and durable, not zero-filled: ready at once. The zeros
     * (opts.zero_fill) are written later by the background thread, while
     * no appender needs the segment (seg_bg_fill). */
    rc = wk_vfs_create_prealloc(log->vfs, path, s->size, 0, &s->f);
    if (rc != 0) {
        wk__errmsg_set(&log->msg, rc, "create segment '%s'", s->name);
        goto out_path;
    }
    rc = wk__seg_resalt(log, s);
    if (rc != 0)
        goto out_path;
    if (log->o.zero_fill)
        s->fill_off = LOG_HDR_BYTES;
    wk__free(path);
    *out = s;
    return 0;
out_path:
    wk__free(path);
    wk__seg_free(s);
    return rc;
}

int
wk__seg_take_ready(wk_log *log, wk__seg **out, int *waited)
{
    if (log->nready == 0) {
        if (log->poisoned)
            return log->poisoned;
        if (log->seg_err) {
            /* The background thread could not prepare a segment (a failed
             * create, allocate, write or sync): fail-stop. */
            return wk__log_poison(log, log->seg_err);
        }
        if (log->bg_running && !pthread_equal(pthread_self(), log->bg)) {
            /* Rotation waits for the background thread; the caller
             * re-evaluates after this returns. */
            if (*waited == 0) { /* counted once per rotation */
                *waited = 1;
                log->st_rotate_waits++;
            }
            pthread_cond_signal(&log->bg_cv);
            pthread_cond_wait(&log->seg_cv, &log->mu);
            return -EAGAIN;
        }
        /* No background thread (read-only or not started): prepare here. */
        wk__seg *s = NULL;
        pthread_mutex_unlock(&log->mu);
        int rc = wk__seg_create(log, &s);
        pthread_mutex_lock(&log->mu);
        if (rc != 0)
            return wk__log_poison(log, rc);
        s->fill_off = 0; /* needed now: no zero-fill */
        *out = s;
        return 0;
    }
    wk__seg *s = log->ready[0];
    /* Abort its zero-fill: no zero write starts from now on; wait only for
     * the one in progress (never for the whole fill), so no zero lands
     * after a frame was written. The segment stays first in the ready list
     * meanwhile; the caller re-evaluates. */
    s->fill_abort = 1;
    if (s->filling) {
        pthread_cond_wait(&log->seg_cv, &log->mu);
        return -EAGAIN;
    }
    *out = s;
    memmove(log->ready, log->ready + 1, (log->nready - 1) * sizeof *log->ready);
    log->nready--;
    pthread_cond_signal(&log->bg_cv);
    return 0;
}

_Atomic(wk__log_bg_hook_fn) wk__log_bg_hook;

/* Calls the test hook if one is set (relaxed: it carries no data). */
static void
seg_bg_call_hook(int what, wk_log *log, wk__seg *s, uint64_t off, uint64_t len)
{
    wk__log_bg_hook_fn hook =
        atomic_load_explicit(&wk__log_bg_hook, memory_order_relaxed);
    if (hook != NULL)
        hook(what, log, s, off, len);
}

/* Zero-fills one chunk of a ready segment that wants it, or syncs it once
 * filled (mu held; dropped around the I/O). 1 if it did something. */
static int
seg_bg_fill(wk_log *log)
{
    static const uint8_t zeros[LOG_FILL_CHUNK];
    wk__seg *s = NULL;
    if (log->bulk)
        return 0; /* resumed (bg_cv) after the first smaller batch */
    for (uint32_t i = 0; i < log->nready; i++) {
        wk__seg *r = log->ready[i];
        if (r->fill_off != 0 && r->fill_off < r->size && !r->fill_abort) {
            s = r;
            break;
        }
    }
    if (s == NULL)
        return 0;
    uint64_t off = s->fill_off;
    size_t n =
        s->size - off < sizeof zeros ? (size_t)(s->size - off) : sizeof zeros;
    s->filling = 1;
    pthread_mutex_unlock(&log->mu);
    seg_bg_call_hook(LOG_HOOK_FILL, log, s, off, n);
    int rc = wk_file_pwrite(s->f, zeros, n, off);
    pthread_mutex_lock(&log->mu);
    s->filling = 0;
    pthread_cond_broadcast(&log->seg_cv);
    if (rc == 0) {
        s->fill_off = off + n;
        if (s->fill_off == s->size && !s->fill_abort) {
            /* One fdatasync for the whole fill. A taker does not wait for
             * it (every zero write has completed: none can land later). */
            pthread_mutex_unlock(&log->mu);
            rc = wk_file_sync(s->f, WK_SYNC_DATA);
            pthread_mutex_lock(&log->mu);
        }
    }
    if (rc != 0) {
        /* Fail-stop: a failed write/sync of the file frames go to. */
        wk__errmsg_set(&log->msg, rc, "zero-fill segment '%s'", s->name);
        s->fill_off = s->size;
        wk__log_poison(log, rc);
    }
    return 1;
}

/* One unit of background work, or 0 when there is none (mu held). */
static int
seg_bg_step(wk_log *log)
{
    if (log->nprep > 0 && !log->poisoned) {
        wk__seg *s = log->prep[--log->nprep];
        pthread_mutex_unlock(&log->mu);
        int rc = wk__seg_resalt(log, s);
        pthread_mutex_lock(&log->mu);
        if (rc != 0 ||
            wk__seg_push(&log->ready, &log->nready, &log->capready, s) != 0)
            wk__seg_free(s); /* stays FREE on disk; re-salted next open */
        else
            pthread_cond_broadcast(&log->seg_cv);
        return 1;
    }
    if (log->nready == 0 && log->seg_err == 0 && !log->poisoned &&
        !log->o.read_only) {
        wk__seg *s = NULL;
        pthread_mutex_unlock(&log->mu);
        seg_bg_call_hook(LOG_HOOK_CREATE, log, NULL, 0, 0);
        int rc = wk__seg_create(log, &s);
        pthread_mutex_lock(&log->mu);
        if (rc == 0)
            rc = wk__seg_push(&log->ready, &log->nready, &log->capready, s);
        if (rc != 0) {
            wk__seg_free(s);
            log->seg_err = rc;
        }
        pthread_cond_broadcast(&log->seg_cv);
        return 1;
    }
    if (log->ckpt_req > log->ckpt_done && !log->poisoned) {
        log->ckpt_done = log->ckpt_req;
        log->ckpt_running = 1;
        pthread_mutex_unlock(&log->mu);
        wk__log_run_checkpoint(log); /* clears ckpt_running */
        pthread_mutex_lock(&log->mu);
        return 1;
    }
    if (!log->poisoned && !log->bg_stop)
        return seg_bg_fill(log);
    return 0;
}

static void *
seg_bg_main(void *arg)
{
    wk_log *log = arg;
    pthread_mutex_lock(&log->mu);
    while (!log->bg_stop) {
        if (!seg_bg_step(log))
            pthread_cond_wait(&log->bg_cv, &log->mu);
    }
    pthread_mutex_unlock(&log->mu);
    return NULL;
}

int
wk__log_bg_start(wk_log *log)
{
    int rc = pthread_create(&log->bg, NULL, seg_bg_main, log);
    if (rc != 0)
        return -rc;
    log->bg_running = 1;
    return 0;
}

void
wk__log_bg_stop(wk_log *log)
{
    if (!log->bg_running)
        return;
    pthread_mutex_lock(&log->mu);
    log->bg_stop = 1;
    pthread_cond_broadcast(&log->bg_cv);
    pthread_mutex_unlock(&log->mu);
    pthread_join(log->bg, NULL);
    pthread_mutex_lock(&log->mu);
    log->bg_running = 0;
    pthread_mutex_unlock(&log->mu);
}
