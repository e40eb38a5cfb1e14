/* Shared workload and oracle for the wk_meta crash and fault loops.
 *
 * Batch i (i = 1, 2, ...) puts key 0 = (i, no bytes), puts key 100+i =
 * (7*i, mt_pattern(i)), puts key 50 = (i, 200 compressible bytes) and,
 * for i > 3, deletes key 100+i-3. So the state
 * after exactly k batches is known (key 0 tells k), and a check can tell
 * a prefix of whole batches from anything else. */
#ifndef MT_WORK_H
#define MT_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "walkit.h"

#define MT_DIR "store"
#define MT_BIG 200

typedef struct mt_oracle {
    int attempted; /* batches whose write was started */
    int acked;     /* highest batch whose durable write returned 0 */
    int first_error;
} mt_oracle;

/* Fresh simulated disk. */
wk_sim *mt_sim(uint64_t seed);
/* Options for the loops: small segments, explicit compactions only. */
void mt_opts(wk_meta_opts *o, wk_sim *sim);
/* Writes batch i (durable with WK_SYNC in flags). */
int mt_batch(wk_meta *m, int i, int flags);
/* Runs nbatches batches, compacting after every compact_every-th (0:
 * never); stops at the first error (recorded in or). */
void mt_workload(wk_meta *m, mt_oracle *orc, int nbatches, int compact_every);
/* Checks an open store against the oracle; returns 0 or fills why. */
int mt_check_store(wk_meta *m, const mt_oracle *orc, char *why, size_t cap);
/* Opens MT_DIR on vfs, checks it (cmocka failure with what on mismatch),
 * closes it. */
void mt_check(wk_vfs *vfs, const mt_oracle *orc, const char *what);

#endif
