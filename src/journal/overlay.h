/* The journal's overlay: committed-but-unapplied bytes, as an interval map
 * of non-overlapping extents keyed by data-file offset (a treap), later
 * writes replacing earlier ones byte for byte. Extents point into
 * reference-counted buffers (a committed transaction's encoded writes, or a
 * batch record read back by recovery), so inserting a write copies nothing
 * and trimming an extent only moves pointers. Not thread-safe: the journal
 * guards it with a rwlock. */
#ifndef WK_JOURNAL_OVERLAY_H
#define WK_JOURNAL_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

/* A reference-counted byte buffer. size is what the overlay accounts for. */
typedef struct wk__jbuf {
    size_t refs;
    size_t size;
    uint8_t data[];
} wk__jbuf;

typedef struct wk__ovl_node {
    uint64_t off;
    uint64_t len;
    uint64_t seq;     /* batch that wrote these bytes */
    const uint8_t *p; /* len bytes inside buf */
    wk__jbuf *buf;
    uint32_t prio;
    struct wk__ovl_node *l, *r;
} wk__ovl_node;

typedef struct wk__ovl {
    wk__ovl_node *root;
    uint64_t extents;
    uint64_t bytes; /* sum of the sizes of the buffers extents point into */
    uint64_t rng;
} wk__ovl;

void wk__ovl_init(wk__ovl *o);
/* Frees every extent (and the buffers no longer referenced). */
void wk__ovl_clear(wk__ovl *o);

/* Buffer references. wk__jbuf_ref accounts the buffer's size in o the
 * first time; wk__jbuf_unref frees it at zero (and un-accounts it). A
 * buffer being inserted is held by the inserter (refs = 1, accounted with
 * wk__ovl_hold) until wk__jbuf_unref after the last insert. */
void wk__ovl_hold(wk__ovl *o, wk__jbuf *b);
void wk__jbuf_unref(wk__ovl *o, wk__jbuf *b);

/* Lays [off, off+len) = p (inside held buffer b) over the map, tagged seq.
 * n is a fresh node for the extent, spare a second one for a possible
 * split; each is consumed or freed here (never allocates, never fails).
 * len > 0. */
void wk__ovl_insert(wk__ovl *o, uint64_t off, uint64_t len, uint64_t seq,
                    const uint8_t *p, wk__jbuf *b, wk__ovl_node *n,
                    wk__ovl_node *spare);

/* Copies overlay bytes inside [off, off+len) over buf (buf[0] is off). */
void wk__ovl_read(const wk__ovl *o, uint64_t off, uint64_t len, uint8_t *buf);

/* The extent with the lowest offset that ends after pos; NULL if none. */
const wk__ovl_node *wk__ovl_next(const wk__ovl *o, uint64_t pos);

/* Removes every extent with seq <= seq. */
void wk__ovl_prune(wk__ovl *o, uint64_t seq);

#endif
