/* wk_ring reads: random reads by position, the iterator from the head, and
 * head advance (the user's garbage check). See ring.c for the design. */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "ring/ring_int.h"

typedef struct rg_bounds {
    uint64_t head_pos, head_seq, wr_pos, wr_seq, dur_pos, dur_seq;
} rg_bounds;

static void
rg_bounds_get(wk_ring *r, rg_bounds *b)
{
    pthread_mutex_lock(&r->mu);
    b->head_pos = r->head_pos;
    b->head_seq = r->head_seq;
    b->wr_pos = r->wr_pos;
    b->wr_seq = r->wr_seq;
    b->dur_pos = r->dur_pos;
    b->dur_seq = atomic_load(&r->dur_seq);
    pthread_mutex_unlock(&r->mu);
}

static uint64_t
rg_head_now(wk_ring *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t h = r->head_pos;
    pthread_mutex_unlock(&r->mu);
    return h;
}

int
wk_ring_read(wk_ring *r, uint64_t pos, void *buf, size_t cap, size_t *len)
{
    if (r == NULL || len == NULL || (buf == NULL && cap > 0))
        return -EINVAL;
    const rg_geo *g = &r->g;
    rg_bounds b;
    rg_bounds_get(r, &b);
    if (pos < b.head_pos)
        return WK_ERECYCLED;
    if (pos >= b.wr_pos || wk__rg_norm(g, pos) != pos)
        return WK_ENOTFOUND;
    uint8_t hdr[WK__REC_HDR];
    uint64_t off = g->base + pos % g->D;
    int rc = wk_file_pread_full(g->f, hdr, sizeof hdr, off);
    if (rc != 0)
        return rc;
    wk__rec h;
    wk__rec_peek(hdr, &h);
    if (h.type != RG_T_DATA || h.flags != 0 ||
        h.aux != (uint32_t)(pos / g->D) || h.len > g->max_len ||
        (uint64_t)WK__REC_HDR + h.len > g->D - pos % g->D ||
        h.seq < b.head_seq || h.seq >= b.wr_seq)
        return pos < rg_head_now(r) ? WK_ERECYCLED : WK_ENOTFOUND;
    if (h.len > cap) {
        *len = h.len;
        return -ENOBUFS;
    }
    if (h.len > 0) {
        rc = wk_file_pread_full(g->f, buf, h.len, off + WK__REC_HDR);
        if (rc != 0)
            return rc;
    }
    uint32_t crc = wk__rec_crc_begin(g->salt_crc, hdr);
    crc = wk__crc32c(crc, buf, h.len);
    if (pos < rg_head_now(r))
        return WK_ERECYCLED; /* overwritten while we read */
    if (crc != wk__get32(hdr))
        return wk__errmsg_set(&r->msg, WK_ECORRUPT,
                              "read ring '%s' at position %llu", r->path,
                              (unsigned long long)pos);
    *len = h.len;
    return 0;
}

int
wk_ring_iter_open(wk_ring *r, wk_ring_iter **out)
{
    if (r == NULL || out == NULL)
        return -EINVAL;
    wk_ring_iter *it = wk__calloc(1, sizeof *it);
    if (it == NULL)
        return WK_ENOMEM;
    it->r = r;
    pthread_mutex_lock(&r->mu);
    it->pos = r->head_pos;
    it->seq = r->head_seq;
    pthread_mutex_unlock(&r->mu);
    *out = it;
    return 0;
}

/* The position after the valid record h at p (WRAP: lap end; JUMP: its
 * target), and the seq after it. */
static int
rg_after(const rg_geo *g, uint64_t p, const wk__rec *h, uint64_t *np,
         uint64_t *ns)
{
    *ns = h->seq + 1;
    if (h->type == RG_T_WRAP) {
        *np = p - p % g->D + g->D;
    } else if (h->type == RG_T_JUMP) {
        *np = p + WK__REC_HDR + h->len;
        *ns = h->seq + h->aux16;
        if (h->aux16 == 0)
            return WK_ECORRUPT;
    } else {
        *np = p + WK__REC_HDR + h->len;
    }
    return 0;
}

int
wk_ring_iter_next(wk_ring_iter *it, uint64_t *pos, const void **data,
                  size_t *len)
{
    if (it == NULL)
        return -EINVAL;
    wk_ring *r = it->r;
    const rg_geo *g = &r->g;
    for (;;) {
        rg_bounds b;
        rg_bounds_get(r, &b);
        if (it->pos < b.head_pos)
            return WK_ERECYCLED;
        uint64_t p = wk__rg_norm(g, it->pos);
        if (p >= b.wr_pos)
            return WK_ENOTFOUND;
        wk__rec h;
        int rc = wk__rg_read_rec(g, p, &it->buf, &it->cap, &h);
        if (rc < 0 && rc != WK_ECORRUPT)
            return rc;
        if (it->pos < rg_head_now(r))
            return WK_ERECYCLED;
        if (rc != 0 || h.seq != it->seq)
            return wk__errmsg_set(&r->msg, WK_ECORRUPT,
                                  "iterate ring '%s' at position %llu", r->path,
                                  (unsigned long long)p);
        uint64_t np, ns;
        rc = rg_after(g, p, &h, &np, &ns);
        if (rc != 0)
            return rc;
        it->pos = np;
        it->seq = ns;
        if (h.type != RG_T_DATA)
            continue;
        if (pos != NULL)
            *pos = p;
        if (data != NULL)
            *data = it->buf + WK__REC_HDR;
        if (len != NULL)
            *len = h.len;
        return 0;
    }
}

void
wk_ring_iter_close(wk_ring_iter *it)
{
    if (it == NULL)
        return;
    wk__free(it->buf);
    wk__free(it);
}

int
wk_ring_advance_head(wk_ring *r, wk_ring_gc_fn fn, void *arg, uint64_t *freed)
{
    if (r == NULL)
        return -EINVAL;
    if (r->read_only)
        return -EROFS;
    const rg_geo *g = &r->g;
    pthread_mutex_lock(&r->adv_mu);
    rg_bounds b;
    rg_bounds_get(r, &b);
    pthread_mutex_lock(&r->mu);
    int poisoned = r->poison != 0;
    pthread_mutex_unlock(&r->mu);
    if (poisoned) {
        pthread_mutex_unlock(&r->adv_mu);
        return WK_EPOISONED;
    }
    uint64_t pos = b.head_pos, seq = b.head_seq, n = 0;
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    /* Only durable records: the head never passes the durable tail. */
    for (;;) {
        uint64_t p = wk__rg_norm(g, pos);
        if (p >= b.dur_pos)
            break;
        wk__rec h;
        rc = wk__rg_read_rec(g, p, &buf, &cap, &h);
        if (rc == 0 && h.seq != seq)
            rc = WK_ECORRUPT;
        if (rc != 0) {
            wk__errmsg_set(&r->msg, rc, "advance head of ring '%s' at %llu",
                           r->path, (unsigned long long)p);
            break;
        }
        uint64_t np, ns;
        rc = rg_after(g, p, &h, &np, &ns);
        if (rc != 0)
            break;
        if (h.type == RG_T_DATA) {
            int v =
                fn == NULL ? 1 : fn(arg, p, buf + WK__REC_HDR, (size_t)h.len);
            if (v < 0) {
                rc = v;
                break;
            }
            if (v == 0)
                break;
            n++;
        }
        pos = np;
        seq = ns;
    }
    wk__free(buf);
    if (pos != b.head_pos) {
        int rc2 = wk__rg_write_sb(r, pos, seq);
        if (rc2 != 0) {
            pthread_mutex_unlock(&r->adv_mu);
            return rc2;
        }
        pthread_mutex_lock(&r->mu);
        r->head_pos = pos;
        r->head_seq = seq;
        r->entries -= n;
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&r->adv_mu);
    if (freed != NULL)
        *freed = n;
    return rc;
}
