/* The journal overlay: an interval map over a treap (see overlay.h).
 *
 * Invariant: extents never overlap, so ordering by start offset also orders
 * them by end offset. Insert [o, e) = split the treap at o and at e, trim
 * the extent that straddles o (keeping a remainder past e if it covered the
 * whole new range), drop every extent starting inside [o, e) except for the
 * part of the last one that reaches past e, and merge the new extent in. */
#include "journal/overlay.h"

#include <string.h>

#include "common/alloc.h"

void
wk__ovl_init(wk__ovl *o)
{
    memset(o, 0, sizeof *o);
    o->rng = 0x9e3779b97f4a7c15ull;
}

static uint32_t
ovl_rand(wk__ovl *o)
{
    o->rng ^= o->rng << 13;
    o->rng ^= o->rng >> 7;
    o->rng ^= o->rng << 17;
    return (uint32_t)(o->rng >> 16);
}

void
wk__ovl_hold(wk__ovl *o, wk__jbuf *b)
{
    if (b->refs++ == 0)
        o->bytes += b->size;
}

void
wk__jbuf_unref(wk__ovl *o, wk__jbuf *b)
{
    if (--b->refs == 0) {
        o->bytes -= b->size;
        wk__free(b);
    }
}

static void
ovl_node_free(wk__ovl *o, wk__ovl_node *n)
{
    wk__jbuf_unref(o, n->buf);
    o->extents--;
    wk__free(n);
}

static void
ovl_free_tree(wk__ovl *o, wk__ovl_node *t)
{
    if (t == NULL)
        return;
    ovl_free_tree(o, t->l);
    ovl_free_tree(o, t->r);
    ovl_node_free(o, t);
}

void
wk__ovl_clear(wk__ovl *o)
{
    ovl_free_tree(o, o->root);
    o->root = NULL;
}

/* a: extents with off < key; b: off >= key. */
static void
ovl_split(wk__ovl_node *t, uint64_t key, wk__ovl_node **a, wk__ovl_node **b)
{
    if (t == NULL) {
        *a = *b = NULL;
    } else if (t->off < key) {
        ovl_split(t->r, key, &t->r, b);
        *a = t;
    } else {
        ovl_split(t->l, key, a, &t->l);
        *b = t;
    }
}

/* Every key of a is below every key of b. */
static wk__ovl_node *
ovl_merge(wk__ovl_node *a, wk__ovl_node *b)
{
    if (a == NULL)
        return b;
    if (b == NULL)
        return a;
    if (a->prio > b->prio) {
        a->r = ovl_merge(a->r, b);
        return a;
    }
    b->l = ovl_merge(a, b->l);
    return b;
}

/* Frees every extent of t (all starting inside [o, e)) except the part of
 * one that reaches past e, which is trimmed to start at e and returned. */
static wk__ovl_node *
ovl_drop_range(wk__ovl *o, wk__ovl_node *t, uint64_t e)
{
    if (t == NULL)
        return NULL;
    wk__ovl_node *keep = ovl_drop_range(o, t->l, e);
    wk__ovl_node *k2 = ovl_drop_range(o, t->r, e);
    if (k2 != NULL)
        keep = k2;
    if (t->off + t->len > e) {
        uint64_t cut = e - t->off;
        t->p += cut;
        t->off = e;
        t->len -= cut;
        t->l = t->r = NULL;
        keep = t;
    } else {
        ovl_node_free(o, t);
    }
    return keep;
}

void
wk__ovl_insert(wk__ovl *o, uint64_t off, uint64_t len, uint64_t seq,
               const uint8_t *p, wk__jbuf *b, wk__ovl_node *n,
               wk__ovl_node *spare)
{
    uint64_t e = off + len;
    wk__ovl_node *left, *right, *mid, *rest;
    wk__ovl_node *tail = NULL; /* extent starting exactly at e, if any */

    ovl_split(o->root, off, &left, &right);
    /* The rightmost extent of left may straddle off. */
    wk__ovl_node *m = left;
    while (m != NULL && m->r != NULL)
        m = m->r;
    if (m != NULL && m->off + m->len > off) {
        uint64_t mend = m->off + m->len;
        if (mend > e) {
            tail = spare;
            spare = NULL;
            tail->off = e;
            tail->len = mend - e;
            tail->seq = m->seq;
            tail->p = m->p + (e - m->off);
            tail->buf = m->buf;
            tail->buf->refs++;
            tail->prio = ovl_rand(o);
            tail->l = tail->r = NULL;
            o->extents++;
        }
        m->len = off - m->off;
    }
    ovl_split(right, e, &mid, &rest);
    wk__ovl_node *kept = ovl_drop_range(o, mid, e);
    if (kept != NULL)
        tail = kept; /* cannot coexist with a remainder made above */

    n->off = off;
    n->len = len;
    n->seq = seq;
    n->p = p;
    n->buf = b;
    b->refs++;
    n->prio = ovl_rand(o);
    n->l = n->r = NULL;
    o->extents++;

    o->root = ovl_merge(ovl_merge(left, n), ovl_merge(tail, rest));
    wk__free(spare);
}

static void
ovl_read_rec(const wk__ovl_node *t, uint64_t off, uint64_t end, uint8_t *buf)
{
    while (t != NULL) {
        uint64_t tend = t->off + t->len;
        if (t->off < end && tend > off) {
            uint64_t s = t->off > off ? t->off : off;
            uint64_t x = tend < end ? tend : end;
            memcpy(buf + (s - off), t->p + (s - t->off), (size_t)(x - s));
        }
        if (off < t->off)
            ovl_read_rec(t->l, off, end, buf);
        if (tend < end)
            t = t->r;
        else
            break;
    }
}

void
wk__ovl_read(const wk__ovl *o, uint64_t off, uint64_t len, uint8_t *buf)
{
    if (len == 0)
        return;
    ovl_read_rec(o->root, off, off + len, buf);
}

const wk__ovl_node *
wk__ovl_next(const wk__ovl *o, uint64_t pos)
{
    const wk__ovl_node *t = o->root, *best = NULL;
    while (t != NULL) {
        if (t->off + t->len > pos) {
            best = t;
            t = t->l;
        } else {
            t = t->r;
        }
    }
    return best;
}

static wk__ovl_node *
ovl_prune_rec(wk__ovl *o, wk__ovl_node *t, uint64_t seq)
{
    if (t == NULL)
        return NULL;
    t->l = ovl_prune_rec(o, t->l, seq);
    t->r = ovl_prune_rec(o, t->r, seq);
    if (t->seq > seq)
        return t;
    wk__ovl_node *sub = ovl_merge(t->l, t->r);
    ovl_node_free(o, t);
    return sub;
}

void
wk__ovl_prune(wk__ovl *o, uint64_t seq)
{
    o->root = ovl_prune_rec(o, o->root, seq);
}
