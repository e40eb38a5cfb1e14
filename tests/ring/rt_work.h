/* Shared workload and oracle for the wk_ring crash and fault loops. */
#ifndef RT_WORK_H
#define RT_WORK_H

#include <stdint.h>

#include "walkit.h"

#define RT_PATH "ring.img"
#define RT_CAP (16u * 1024u) /* record area of 8 KiB: the workload wraps */

typedef struct rt_oracle {
    uint64_t attempted; /* appends attempted: indexes 0..attempted-1 */
    uint64_t acked;     /* indexes < acked are durable (acknowledged) */
    uint64_t freed_ok;  /* indexes < freed_ok freed by a completed advance */
    uint64_t freed_try; /* indexes < freed_try may have been freed */
    uint64_t gc_limit;  /* the gc callback frees indexes below this */
    uint64_t max_tail;  /* largest tail seen (laps = max_tail / 8192) */
    int first_error;
    int error_in_mutation;
} rt_oracle;

/* Creates a sim disk with a formatted ring at region_offset of RT_PATH
 * (format is outside any armed fault) and fills o with options for it. */
wk_sim *rt_fresh(wk_ring_opts *o, uint64_t region_offset);

/* Payload of entry idx: 8-byte index then seeded bytes; its length. */
size_t rt_len(uint64_t idx);
void rt_payload(uint64_t idx, uint8_t *buf);

/* Appends, cancels, syncs and advances on r until done or the first
 * error; records what was acknowledged in or. */
void rt_workload(wk_ring *r, rt_oracle * or, int nops);

/* Reopens the ring (default policy) and checks the oracle: a contiguous
 * run of entries with exact bytes, starting at a freed boundary, covering
 * every acknowledged entry not freed. Fails the test otherwise. */
void rt_check(const wk_ring_opts *o, const rt_oracle * or, const char *what);

#endif
