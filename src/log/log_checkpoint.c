/* wk_log checkpoints: the CHECKPOINT file, running the user's callback on
 * the background thread, and recycling the segments it covers. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "log/log_internal.h"

int
wk__ckp_read(wk_vfs *vfs, const char *dir, uint64_t *lsn)
{
    *lsn = 0;
    char *path = wk__path_join(dir, LOG_CKP_NAME);
    if (path == NULL)
        return WK_ENOMEM;
    void *data = NULL;
    size_t len = 0;
    int rc = wk_vfs_read_all(vfs, path, 4096, &data, &len);
    wk__free(path);
    if (rc == -ENOENT)
        return 0;
    if (rc == -EFBIG)
        return WK_ECORRUPT;
    if (rc != 0)
        return rc;
    const uint8_t *p = data;
    if (len != LOG_CKP_BYTES || memcmp(p, LOG_CKP_MAGIC, 8) != 0 ||
        wk__get32(p + 20) != wk__crc32c(0, p, 20))
        rc = WK_ECORRUPT;
    else if (wk__get32(p + 8) != LOG_FORMAT_VERSION)
        rc = WK_EFORMAT;
    else if (wk__get64(p + 12) > LOG_MAX_FSN)
        rc = WK_ECORRUPT;
    else
        *lsn = wk__get64(p + 12);
    wk_free(data);
    return rc;
}

int
wk__ckp_write(wk_vfs *vfs, const char *dir, uint64_t lsn)
{
    uint8_t p[LOG_CKP_BYTES];
    memcpy(p, LOG_CKP_MAGIC, 8);
    wk__put32(p + 8, LOG_FORMAT_VERSION);
    wk__put64(p + 12, lsn);
    wk__put32(p + 20, wk__crc32c(0, p, 20));
    char *path = wk__path_join(dir, LOG_CKP_NAME);
    if (path == NULL)
        return WK_ENOMEM;
    int rc = wk_vfs_atomic_replace(vfs, path, p, sizeof p);
    wk__free(path);
    return rc;
}

/* Recycles (or removes) segments that the checkpoint made useless. */
static void
ckp_recycle(wk_log *log, wk__seg **segs, uint32_t n)
{
    /* In order, each step durable before the next (header fdatasync, or
     * unlink + directory fsync), so a crash leaves the still-ACTIVE
     * segments contiguous (no gap for recovery). After a failed step the
     * rest are only closed: still ACTIVE on disk in front of the live ones,
     * the next open finds them (their entries are below the checkpoint). */
    int failed = 0;
    for (uint32_t i = 0; i < n; i++) {
        wk__seg *s = segs[i];
        if (failed) {
            wk__seg_free(s);
            continue;
        }
        pthread_mutex_lock(&log->mu);
        int keep = log->nready + log->nprep < log->o.recycle_pool;
        pthread_mutex_unlock(&log->mu);
        if (keep) {
            int rc = wk__seg_resalt(log, s);
            pthread_mutex_lock(&log->mu);
            if (rc == 0)
                rc = wk__seg_push(&log->ready, &log->nready, &log->capready, s);
            if (rc == 0)
                pthread_cond_broadcast(&log->seg_cv);
            pthread_mutex_unlock(&log->mu);
            if (rc != 0) {
                failed = 1;
                wk__seg_free(s);
            }
            continue;
        }
        char *path = wk__path_join(log->dir, s->name);
        int rc = path == NULL ? WK_ENOMEM : wk_file_close(s->f);
        s->f = NULL;
        if (rc == 0)
            rc = log->vfs->unlink(log->vfs, path);
        if (rc != 0)
            wk__errmsg_set(&log->msg, rc, "remove segment '%s'", s->name);
        else if ((rc = log->vfs->sync_dir(log->vfs, log->dir)) != 0)
            wk__errmsg_set(&log->msg, rc, "fsync directory '%s'", log->dir);
        failed = rc != 0;
        wk__seg_free(s);
        wk__free(path);
    }
}

void
wk__log_run_checkpoint(wk_log *log)
{
    pthread_mutex_lock(&log->mu);
    uint64_t upto = log->durable_fsn;
    uint64_t from = log->ckpt_lsn;
    pthread_mutex_unlock(&log->mu);
    int rc = 0;
    if (upto > from) {
        wk_log_iter *it = NULL;
        rc = wk__log_iter_open_bounded(log, from + 1, upto, &it);
        if (rc == 0) {
            rc = log->o.checkpoint_fn(log->o.checkpoint_arg, it, upto);
            wk_log_iter_close(it);
        }
        if (rc == 0) {
            rc = wk__ckp_write(log->vfs, log->dir, upto);
            if (rc != 0)
                wk__errmsg_set(&log->msg, rc, "write checkpoint in '%s'",
                               log->dir);
        }
    }
    pthread_mutex_lock(&log->mu);
    log->ckpt_gen++;
    log->ckpt_err = rc;
    log->ckpt_running = 0;
    wk__seg **segs = NULL;
    uint32_t n = 0;
    if (rc == 0 && upto > from) {
        log->ckpt_lsn = upto;
        log->st_checkpoints++;
        while (n + 1 < log->nlive) {
            wk__seg *s = log->live[n];
            if (s == log->cur || s->last_fsn > upto || s->pins > 0 ||
                s->last_fsn > log->durable_fsn)
                break;
            n++;
        }
        /* A segment holding chunks of a streamed entry goes only together
         * with the segment holding its COMMIT frame (max_needed), so an
         * entry that is still retained can always be read whole. */
        for (uint32_t i = 0; i < n;) {
            if (log->live[i]->max_needed > log->live[n - 1]->last_fsn) {
                n = i;
                i = 0;
            } else {
                i++;
            }
        }
        if (n > 0) {
            segs = wk__malloc(n * sizeof *segs);
            if (segs == NULL) {
                n = 0;
            } else {
                memcpy(segs, log->live, n * sizeof *segs);
                memmove(log->live, log->live + n,
                        (log->nlive - n) * sizeof *log->live);
                log->nlive -= n;
            }
        }
    }
    pthread_cond_broadcast(&log->ckpt_cv);
    pthread_mutex_unlock(&log->mu);
    if (n > 0)
        ckp_recycle(log, segs, n);
    wk__free(segs);
}

/* Requests a checkpoint on the background thread. See log.h. */
int
wk_log_checkpoint(wk_log *log)
{
    if (log == NULL || log->o.checkpoint_fn == NULL)
        return -EINVAL;
    pthread_mutex_lock(&log->mu);
    int rc = wk__log_check_writable(log);
    if (rc == 0) {
        log->ckpt_req++;
        pthread_cond_signal(&log->bg_cv);
    }
    pthread_mutex_unlock(&log->mu);
    return rc;
}

/* Waits until the checkpointed LSN reaches lsn. See log.h. */
int
wk_log_wait_checkpointed(wk_log *log, uint64_t lsn, int timeout_ms)
{
    if (log == NULL)
        return -EINVAL;
    struct timespec ts;
    if (timeout_ms >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)timeout_ms * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
    }
    pthread_mutex_lock(&log->mu);
    uint64_t gen = log->ckpt_gen;
    int rc = 0;
    while (log->ckpt_lsn < lsn) {
        if (log->poisoned) {
            rc = WK_EPOISONED;
            break;
        }
        if (log->closing) {
            rc = WK_ECLOSED;
            break;
        }
        if (log->ckpt_err != 0 &&
            (log->ckpt_gen != gen ||
             (!log->ckpt_running && log->ckpt_done == log->ckpt_req))) {
            rc = log->ckpt_err;
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&log->ckpt_cv, &log->mu);
        } else if (pthread_cond_timedwait(&log->ckpt_cv, &log->mu, &ts) != 0) {
            rc = log->ckpt_lsn >= lsn ? 0 : WK_ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&log->mu);
    return rc;
}
