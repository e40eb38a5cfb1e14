/* wk_meta's in-memory map: open addressing with linear probing, 32-byte
 * slots, capacity a power of two, grown at 75% use.
 *
 * Resizing is incremental, so no single write pays for rehashing millions
 * of items (a full rehash of 3 M items stalls ~150 ms, and so does zeroing
 * a 256 MiB table): from 60% use on, the next table (twice the size) is
 * allocated and zeroed MAP_ZERO_STEP bytes per mutation; at 75% it takes
 * over and the old one is kept; every
 * later mutation migrates MAP_STEP old slots, and a put or delete of a key
 * still in the old table moves or drops it at once. Old slots that were
 * migrated or deleted become MAP_MOVED, a tombstone, so the old table's
 * probe chains stay intact; the new table never holds tombstones and
 * deletes there use backward shifting. Lookups try the new table, then the
 * old one. Migration finishes long before the new table fills (each
 * mutation adds at most one entry and migrates MAP_STEP slots of a table
 * half the size); a growth requested meanwhile finishes it first.
 * MAP_DEAD marks a deleted key in a compaction delta. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "meta/meta_int.h"

#define MAP_STEP 32u
#define MAP_ZERO_STEP 2048u
#define MAP_PREPARE_MIN 4096u /* smaller tables are simply calloc'd */

static inline uint64_t
map_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

void
wk__map_init(wk__map *m)
{
    memset(m, 0, sizeof *m);
}

static void
map_free_table(wk__mslot *t, uint64_t cap)
{
    for (uint64_t i = 0; i < cap; i++)
        if (t[i].state == MAP_LIVE || t[i].state == MAP_DEAD)
            wk__free(t[i].bytes);
    wk__free(t);
}

void
wk__map_free(wk__map *m)
{
    map_free_table(m->slots, m->cap);
    map_free_table(m->old, m->ocap);
    wk__free(m->next);
    wk__map_init(m);
}

static wk__mslot *
map_tab_find(wk__mslot *t, uint64_t cap, uint64_t key)
{
    if (cap == 0)
        return NULL;
    uint64_t j = map_hash(key) & (cap - 1);
    for (;;) {
        wk__mslot *s = &t[j];
        if (s->state == MAP_EMPTY)
            return NULL;
        if (s->state != MAP_MOVED && s->key == key)
            return s;
        j = (j + 1) & (cap - 1);
    }
}

/* The empty slot of the new table where key goes (room guaranteed). */
static wk__mslot *
map_tab_hole(wk__map *m, uint64_t key)
{
    uint64_t j = map_hash(key) & (m->cap - 1);
    while (m->slots[j].state != MAP_EMPTY)
        j = (j + 1) & (m->cap - 1);
    return &m->slots[j];
}

/* Moves the old slot s into the new table. */
static wk__mslot *
map_move(wk__map *m, wk__mslot *s)
{
    wk__mslot *d = map_tab_hole(m, s->key);
    *d = *s;
    s->state = MAP_MOVED;
    s->bytes = NULL;
    return d;
}

static void
map_migrate(wk__map *m, uint64_t steps)
{
    while (m->old != NULL && steps-- > 0 && m->ocursor < m->ocap) {
        wk__mslot *s = &m->old[m->ocursor++];
        if (s->state == MAP_LIVE || s->state == MAP_DEAD)
            map_move(m, s);
    }
    if (m->old != NULL && m->ocursor == m->ocap) {
        wk__free(m->old);
        m->old = NULL;
        m->ocap = m->ocursor = 0;
    }
}

/* One step of background work: migrate old slots, or prepare (allocate
 * and zero, a piece at a time) the next table once the map is 60% full.
 * Allocation failures here are ignored (the resize retries them). */
static void
map_step(wk__map *m)
{
    if (m->old != NULL) {
        map_migrate(m, MAP_STEP);
        return;
    }
    if (m->cap < MAP_PREPARE_MIN || (m->used + m->reserved) * 10 < m->cap * 6)
        return;
    if (m->next == NULL) {
        m->nbytes = 2 * m->cap * sizeof(wk__mslot);
        m->nzeroed = 0;
        m->next = wk__malloc(m->nbytes);
        return;
    }
    if (m->nzeroed < m->nbytes) {
        uint64_t n = m->nbytes - m->nzeroed;
        if (n > MAP_ZERO_STEP)
            n = MAP_ZERO_STEP;
        memset((uint8_t *)m->next + m->nzeroed, 0, n);
        m->nzeroed += n;
    }
}

static int
map_grow(wk__map *m, uint64_t ncap)
{
    map_migrate(m, UINT64_MAX); /* a resize under way finishes first */
    wk__mslot *ns;
    if (m->next != NULL && m->nbytes == ncap * sizeof *ns) {
        ns = m->next;
        memset((uint8_t *)ns + m->nzeroed, 0, m->nbytes - m->nzeroed);
    } else {
        wk__free(m->next);
        ns = wk__calloc(ncap, sizeof *ns);
    }
    m->next = NULL;
    m->nbytes = m->nzeroed = 0;
    if (ns == NULL)
        return WK_ENOMEM;
    if (m->used == 0) {
        wk__free(m->slots);
    } else {
        m->old = m->slots;
        m->ocap = m->cap;
        m->ocursor = 0;
    }
    m->slots = ns;
    m->cap = ncap;
    map_migrate(m, MAP_STEP);
    return 0;
}

int
wk__map_reserve(wk__map *m, uint64_t n)
{
    uint64_t need = m->used + m->reserved + n;
    uint64_t ncap = m->cap ? m->cap : 16;
    while (need > ncap / 4 * 3) {
        if (ncap > (UINT64_MAX / sizeof(wk__mslot)) / 4)
            return WK_ENOMEM;
        ncap *= 2;
    }
    if (ncap == m->cap)
        return 0;
    return map_grow(m, ncap);
}

wk__mslot *
wk__map_find(const wk__map *m, uint64_t key)
{
    wk__mslot *s = map_tab_find(m->slots, m->cap, key);
    if (s == NULL && m->old != NULL)
        s = map_tab_find(m->old, m->ocap, key);
    return s;
}

static int
map_set(wk__map *m, uint64_t key, uint64_t value, uint8_t *copy, uint32_t len,
        uint32_t state)
{
    map_step(m);
    wk__mslot *s = map_tab_find(m->slots, m->cap, key);
    if (s == NULL && m->old != NULL) {
        wk__mslot *os = map_tab_find(m->old, m->ocap, key);
        if (os != NULL)
            s = map_move(m, os);
    }
    if (s == NULL) {
        if (wk__map_reserve(m, 1) != 0)
            return WK_ENOMEM;
        s = map_tab_hole(m, key);
        s->key = key;
        s->state = MAP_EMPTY;
        s->len = 0;
        s->bytes = NULL;
        m->used++;
    }
    if (s->state == MAP_LIVE) {
        m->live--;
        m->bytes -= s->len;
    }
    wk__free(s->bytes);
    s->bytes = copy;
    s->len = len;
    s->value = value;
    s->state = state;
    if (state == MAP_LIVE) {
        m->live++;
        m->bytes += len;
    }
    return 0;
}

int
wk__map_put(wk__map *m, uint64_t key, uint64_t value, const void *bytes,
            uint32_t len)
{
    uint8_t *copy = NULL;
    if (len > 0) {
        copy = wk__malloc(len);
        if (copy == NULL)
            return WK_ENOMEM;
        memcpy(copy, bytes, len);
    }
    int rc = map_set(m, key, value, copy, len, MAP_LIVE);
    if (rc != 0)
        wk__free(copy);
    return rc;
}

int
wk__map_put_owned(wk__map *m, uint64_t key, uint64_t value, uint8_t *bytes,
                  uint32_t len)
{
    return map_set(m, key, value, bytes, len, MAP_LIVE);
}

int
wk__map_put_dead(wk__map *m, uint64_t key)
{
    return map_set(m, key, 0, NULL, 0, MAP_DEAD);
}

static void
map_forget(wk__map *m, wk__mslot *s)
{
    if (s->state == MAP_LIVE) {
        m->live--;
        m->bytes -= s->len;
    }
    wk__free(s->bytes);
    s->bytes = NULL;
    m->used--;
}

void
wk__map_del(wk__map *m, uint64_t key)
{
    map_step(m);
    wk__mslot *s = map_tab_find(m->slots, m->cap, key);
    if (s == NULL) {
        wk__mslot *os =
            m->old != NULL ? map_tab_find(m->old, m->ocap, key) : NULL;
        if (os != NULL) {
            map_forget(m, os);
            os->state = MAP_MOVED; /* a tombstone keeps old chains intact */
        }
        return;
    }
    map_forget(m, s);
    /* Backward-shift deletion in the new table: move later members of the
     * probe run into the hole when their home is not cyclically in
     * (hole, their slot]. */
    uint64_t mask = m->cap - 1;
    uint64_t i = (uint64_t)(s - m->slots);
    uint64_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (m->slots[j].state == MAP_EMPTY)
            break;
        uint64_t h = map_hash(m->slots[j].key) & mask;
        int stay = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (stay)
            continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    memset(&m->slots[i], 0, sizeof m->slots[i]);
}

static int
map_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t
map_collect(const wk__mslot *t, uint64_t cap, uint64_t from, uint64_t *out)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < cap; i++) {
        uint32_t st = t[i].state;
        if ((st == MAP_LIVE || st == MAP_DEAD) && t[i].key >= from) {
            if (out != NULL)
                out[n] = t[i].key;
            n++;
        }
    }
    return n;
}

int
wk__map_sorted_keys(const wk__map *m, uint64_t from, uint64_t **out,
                    uint64_t *n)
{
    uint64_t cnt = map_collect(m->slots, m->cap, from, NULL) +
                   map_collect(m->old, m->ocap, from, NULL);
    *out = NULL;
    *n = 0;
    if (cnt == 0)
        return 0;
    uint64_t *k = wk__malloc(cnt * sizeof *k);
    if (k == NULL)
        return WK_ENOMEM;
    uint64_t w = map_collect(m->slots, m->cap, from, k);
    map_collect(m->old, m->ocap, from, k + w);
    qsort(k, cnt, sizeof *k, map_cmp_u64);
    *out = k;
    *n = cnt;
    return 0;
}
