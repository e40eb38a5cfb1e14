/* wk_journal: checkpoints (apply the overlay to the data file, sync it,
 * advance the superblock) and loading recovered batches into the overlay.
 * The algorithm and the durability argument are at the top of journal.c. */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "journal/jrnl.h"

#define JR_APPLY_CHUNK (1u << 20)
#define JR_APPLY_PIECES 256

/* ---- overlay loading (recovery) -------------------------------------- */

int
wk__jr_parse_entries(const wk_journal *j, const uint8_t *p, uint32_t used,
                     uint32_t nwrites, uint64_t *bytes)
{
    uint64_t pos = 0, total = 0;
    for (uint32_t i = 0; i < nwrites; i++) {
        if (used - pos < JR_ENTRY_HDR)
            return WK_ECORRUPT;
        uint64_t off = wk__get64(p + pos);
        uint32_t len = wk__get32(p + pos + 8);
        if (len == 0 || wk__get32(p + pos + 12) != 0)
            return WK_ECORRUPT;
        uint64_t esz = jr_entry_size(len);
        if (esz > used - pos || !wk__jr_range_ok(j, off, len))
            return WK_ECORRUPT;
        pos += esz;
        total += len;
    }
    if (pos != used)
        return WK_ECORRUPT;
    if (bytes != NULL)
        *bytes = total;
    return 0;
}

/* Releases ovl_lock (held for writing) and publishes the overlay's size
 * to the stats under mu. */
static void
jr_ovl_publish(wk_journal *j)
{
    uint64_t ob = j->ovl.bytes, oe = j->ovl.extents;
    pthread_rwlock_unlock(&j->ovl_lock);
    pthread_mutex_lock(&j->mu);
    j->ovl_bytes = ob;
    j->ovl_extents = oe;
    pthread_mutex_unlock(&j->mu);
}

int
wk__jr_load_entries(wk_journal *j, wk__jbuf *b, const uint8_t *p, uint32_t used,
                    uint64_t seq)
{
    const uint8_t *end = p + used;
    int rc = 0;
    pthread_rwlock_wrlock(&j->ovl_lock);
    wk__ovl_hold(&j->ovl, b);
    while (p < end) {
        uint64_t off = wk__get64(p);
        uint32_t len = wk__get32(p + 8);
        wk__ovl_node *n1 = wk__malloc(sizeof *n1);
        wk__ovl_node *n2 = wk__malloc(sizeof *n2);
        if (n1 == NULL || n2 == NULL) {
            wk__free(n1);
            wk__free(n2);
            rc = WK_ENOMEM;
            break;
        }
        wk__ovl_insert(&j->ovl, off, len, seq, p + JR_ENTRY_HDR, b, n1, n2);
        p += jr_entry_size(len);
    }
    wk__jbuf_unref(&j->ovl, b);
    jr_ovl_publish(j);
    return rc;
}

/* ---- checkpoint ------------------------------------------------------ */

typedef struct jr_piece {
    uint64_t off;
    size_t len;
    size_t at; /* in the scratch buffer */
} jr_piece;

/* Writes every overlay extent to the data file. *wrote is set when any
 * byte was written. */
static int
jr_apply_overlay(wk_journal *j, uint8_t *scratch, int *wrote)
{
    jr_piece pieces[JR_APPLY_PIECES];
    uint64_t cursor = 0;
    for (;;) {
        int np = 0;
        size_t fill = 0;
        pthread_rwlock_rdlock(&j->ovl_lock);
        while (np < JR_APPLY_PIECES && fill < JR_APPLY_CHUNK) {
            const wk__ovl_node *e = wk__ovl_next(&j->ovl, cursor);
            if (e == NULL)
                break;
            uint64_t s = e->off > cursor ? e->off : cursor;
            uint64_t n = e->off + e->len - s;
            if (n > JR_APPLY_CHUNK - fill)
                n = JR_APPLY_CHUNK - fill;
            memcpy(scratch + fill, e->p + (s - e->off), (size_t)n);
            if (np > 0 && pieces[np - 1].off + pieces[np - 1].len == s) {
                pieces[np - 1].len += (size_t)n;
            } else {
                pieces[np++] = (jr_piece){s, (size_t)n, fill};
            }
            fill += (size_t)n;
            cursor = s + n;
        }
        pthread_rwlock_unlock(&j->ovl_lock);
        if (np == 0)
            return 0;
        for (int i = 0; i < np; i++) {
            int rc = wk_file_pwrite(j->df, scratch + pieces[i].at,
                                    pieces[i].len, pieces[i].off);
            if (rc != 0)
                return wk__jr_poison(j, rc, "apply to data file '%s'", j->path);
            *wrote = 1;
        }
    }
}

int
wk__jr_checkpoint(wk_journal *j, int force_free)
{
    int rc = 0, wrote = 0;
    uint8_t *scratch = NULL;
    pthread_mutex_lock(&j->ckpt_mu);
    pthread_mutex_lock(&j->mu);
    if (j->poison) {
        pthread_mutex_unlock(&j->mu);
        rc = WK_EPOISONED;
        goto out;
    }
    uint64_t S = j->durable_seq, P = j->tail_pos;
    int need_sb = S + 1 != j->sb.next_seq || j->ovl_extents > 0;
    int need_free = force_free && j->free_pos != P;
    pthread_mutex_unlock(&j->mu);
    if (!need_sb && !need_free)
        goto out;

    if (need_sb) {
        scratch = wk__malloc(JR_APPLY_CHUNK);
        if (scratch == NULL) {
            rc = WK_ENOMEM;
            goto out;
        }
        rc = jr_apply_overlay(j, scratch, &wrote);
        if (rc != 0)
            goto out;
        if (wrote) {
            rc = wk_file_sync(j->df, WK_SYNC_DATA);
            if (rc != 0) {
                wk__jr_poison(j, rc, "fdatasync data file '%s'", j->path);
                goto out;
            }
        }
    }
    for (int round = 0; round < 2; round++) {
        if (round == 0 && !need_sb)
            continue;
        if (round == 1 && !force_free)
            break;
        jr_sb sb = j->sb;
        sb.gen++;
        sb.next_seq = S + 1;
        sb.next_pos = P;
        rc = wk__jr_sb_write(j, &sb);
        if (rc != 0)
            goto out;
        if (round == 0) {
            pthread_rwlock_wrlock(&j->ovl_lock);
            wk__ovl_prune(&j->ovl, S);
            jr_ovl_publish(j);
        }
        pthread_mutex_lock(&j->mu);
        j->free_pos = j->sb.next_pos;
        j->sb = sb;
        j->st.checkpoints += round == 0;
        j->st.checkpoint_syncs += 1 + (round == 0 && wrote);
        pthread_cond_broadcast(&j->space_cv);
        pthread_mutex_unlock(&j->mu);
    }
out:
    wk__free(scratch);
    pthread_mutex_unlock(&j->ckpt_mu);
    return rc;
}

int
wk_journal_checkpoint(wk_journal *j)
{
    if (j == NULL)
        return -EINVAL;
    if (j->read_only)
        return -EROFS;
    return wk__jr_checkpoint(j, 0);
}
