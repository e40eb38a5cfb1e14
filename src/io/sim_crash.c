/* Post-power-cut images of the simulated disk.
 *
 * A crash runs in two phases so that an allocation failure leaves the
 * state untouched. Phase 1 walks every live inode in creation order (so a
 * seed and a history always draw the same random numbers) and builds, in
 * the inode's scratch fields, the new durable image: for a file, its
 * durable bytes plus the policy's choice among its pending operations
 * (applied in their original order); for a directory, its durable names
 * plus a policy-chosen prefix of its pending name operations. Phase 2
 * installs those images as both durable and cached state, drops every
 * pending list and lets the reference counts free whatever no name reaches
 * any more (a file whose create was lost, a directory whose mkdir was lost
 * and everything below it).
 *
 * Per file: DROP_ALL keeps no pending op, KEEP_ALL and LOSE_DIR_OPS keep
 * all, KEEP_RANDOM keeps each op with probability 1/2, TEAR keeps ops up to
 * a random cut, tears the op at the cut (each sector of a write kept with
 * probability 1/2, sectors of 512 B or 4 KiB chosen once per crash; a
 * truncate or allocate at the cut is kept or lost whole) and loses the
 * rest, REORDER keeps each 512 B sector of each write and each truncate or
 * allocate with probability 1/2. Sectors are aligned on file offsets.
 * Per directory: DROP_ALL and LOSE_DIR_OPS keep no pending name op,
 * KEEP_ALL all, the others a uniformly random prefix (0..n ops).
 * Kept parts past the old end of file extend it; a gap reads as zeros.
 */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "io/sim_internal.h"

/* Applies each sector-aligned piece of write op with probability 1/2. */
static int
crash_write_pieces(wk__sim_buf *b, const wk__sim_fop *op, uint64_t sector,
                   uint64_t *rng)
{
    uint64_t end = op->off + op->len;
    for (uint64_t pos = op->off; pos < end;) {
        uint64_t next = (pos / sector + 1) * sector;
        if (next > end)
            next = end;
        if (wk__sim_rand(rng) & 1) {
            int rc = wk__sim_buf_write(b, pos, op->data + (pos - op->off),
                                       next - pos);
            if (rc != 0)
                return rc;
        }
        pos = next;
    }
    return 0;
}

static int
crash_file(wk__sim_inode *ino, uint64_t *rng, int policy, uint64_t sector)
{
    wk__sim_buf *nb = &ino->new_durable;
    int rc = wk__sim_buf_copy(nb, &ino->durable);
    if (rc != 0)
        return rc;
    uint64_t n = 0;
    for (const wk__sim_fop *op = ino->fops; op != NULL; op = op->next)
        n++;
    uint64_t cut =
        policy == WK_SIM_TEAR && n > 0 ? wk__sim_rand(rng) % (n + 1) : n;
    uint64_t i = 0;
    for (const wk__sim_fop *op = ino->fops; op != NULL && rc == 0;
         op = op->next, i++) {
        int keep = 0;
        switch (policy) {
        case WK_SIM_DROP_ALL:
            break;
        case WK_SIM_KEEP_ALL:
        case WK_SIM_LOSE_DIR_OPS:
            keep = 1;
            break;
        case WK_SIM_KEEP_RANDOM:
            keep = (int)(wk__sim_rand(rng) & 1);
            break;
        case WK_SIM_TEAR:
            if (i < cut) {
                keep = 1;
            } else if (i == cut) {
                if (op->kind == WK__SIM_WRITE)
                    rc = crash_write_pieces(nb, op, sector, rng);
                else
                    keep = (int)(wk__sim_rand(rng) & 1);
            }
            break;
        case WK_SIM_REORDER:
            if (op->kind == WK__SIM_WRITE)
                rc = crash_write_pieces(nb, op, 512, rng);
            else
                keep = (int)(wk__sim_rand(rng) & 1);
            break;
        }
        if (keep && rc == 0)
            rc = wk__sim_buf_apply(nb, op);
    }
    if (rc == 0)
        rc = wk__sim_buf_copy(&ino->new_cached, nb);
    return rc;
}

static int
crash_dir(wk__sim_inode *ino, uint64_t *rng, int policy)
{
    uint64_t n = 0;
    for (const wk__sim_dop *d = ino->dops; d != NULL; d = d->next)
        n++;
    uint64_t k = 0;
    switch (policy) {
    case WK_SIM_DROP_ALL:
    case WK_SIM_LOSE_DIR_OPS:
        break;
    case WK_SIM_KEEP_ALL:
        k = n;
        break;
    default:
        k = n > 0 ? wk__sim_rand(rng) % (n + 1) : 0;
        break;
    }
    int rc =
        wk__sim_table_build(&ino->new_dnames, &ino->dnames, ino->dops, k, 0);
    if (rc != 0)
        return rc;
    return wk__sim_table_build(&ino->new_cnames, &ino->new_dnames, NULL, 0, 1);
}

static void
crash_scratch_free(wk__sim_inode *ino)
{
    wk__sim_buf_free(&ino->new_durable);
    wk__sim_buf_free(&ino->new_cached);
    wk__sim_table_free(NULL, &ino->new_dnames);
    wk__sim_table_free(NULL, &ino->new_cnames);
}

int
wk__sim_crash_state(wk_sim *s, uint64_t seed, int policy)
{
    uint64_t rng = seed ^ 0x5851f42d4c957f2dULL;
    uint64_t sector = (wk__sim_rand(&rng) & 1) ? 4096 : 512;
    int rc = 0;

    /* Phase 1: build every new image (may fail: nothing changed yet). */
    for (wk__sim_inode *ino = s->live_head; ino != NULL; ino = ino->next) {
        rc = ino->type == WK__SIM_FILE ? crash_file(ino, &rng, policy, sector)
                                       : crash_dir(ino, &rng, policy);
        if (rc != 0)
            break;
    }
    if (rc != 0) {
        for (wk__sim_inode *ino = s->live_head; ino != NULL; ino = ino->next)
            crash_scratch_free(ino);
        return rc;
    }

    /* Phase 2: install them (no allocation). New references first, so
     * nothing still named is collected while old ones are dropped. Handles
     * die (the caller drops their references), so the cached-image
     * references are recounted from the new names alone. */
    for (wk__sim_inode *ino = s->live_head; ino != NULL; ino = ino->next)
        ino->crefs = ino == s->root_abs || ino == s->root_rel;
    for (wk__sim_inode *ino = s->live_head; ino != NULL; ino = ino->next) {
        if (ino->type == WK__SIM_DIR) {
            wk__sim_table_ref(&ino->new_dnames);
            wk__sim_table_ref(&ino->new_cnames);
            for (size_t i = 0; i < ino->new_cnames.n; i++)
                ino->new_cnames.v[i].ino->crefs++;
        }
    }
    s->total_bytes = 0;
    for (wk__sim_inode *ino = s->live_head; ino != NULL; ino = ino->next) {
        if (ino->type == WK__SIM_FILE) {
            wk__sim_buf_free(&ino->cached);
            wk__sim_buf_free(&ino->durable);
            wk__sim_fops_free(ino->fops);
            ino->fops = ino->fops_tail = NULL;
            ino->durable = ino->new_durable;
            if (ino->crefs > 0)
                ino->cached = ino->new_cached;
            else
                wk__sim_buf_free(&ino->new_cached);
            memset(&ino->new_durable, 0, sizeof ino->new_durable);
            memset(&ino->new_cached, 0, sizeof ino->new_cached);
            s->total_bytes += ino->cached.len;
        } else {
            wk__sim_table_free(s, &ino->cnames);
            wk__sim_table_free(s, &ino->dnames);
            wk__sim_dops_free(s, ino->dops);
            ino->dops = ino->dops_tail = NULL;
            ino->nsets = 0;
            ino->dnames = ino->new_dnames;
            ino->cnames = ino->new_cnames;
            memset(&ino->new_dnames, 0, sizeof ino->new_dnames);
            memset(&ino->new_cnames, 0, sizeof ino->new_cnames);
        }
    }
    wk__sim_gc(s);
    return 0;
}
