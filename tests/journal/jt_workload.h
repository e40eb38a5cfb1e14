/* Shared by the journal crash and fault loops: a deterministic workload of
 * overlapping transactions (8-byte to 3000-byte writes, wrapping a 64 KiB
 * journal, with checkpoints) and the oracle that checks a recovered
 * journal against it. */
#ifndef JT_WORKLOAD_H
#define JT_WORKLOAD_H

#include <stdint.h>

#include "walkit.h"

#define JT_SPACE 16384u
#define JT_NTXN 80

typedef struct jt_oracle {
    uint8_t acked[JT_SPACE];    /* model after the acknowledged txns */
    uint8_t inflight[JT_SPACE]; /* ... plus the one whose commit failed */
    int decided;                /* 0: either; 1: acked; 2: in flight */
    int first_error;            /* first error the workload met (or 0) */
    int error_in_mutation;      /* it came from begin/commit/checkpoint */
} jt_oracle;

/* Journal options on sim: 64 KiB journal, no background thread, separate
 * file "data.jnl" or a region of "data.img". */
void jt_opts(wk_journal_opts *o, wk_sim *sim, int region);
/* A new sim disk with a formatted journal. */
wk_sim *jt_fresh(int region, wk_journal_opts *o);
/* Runs the workload on j until its first error; fills or. */
void jt_workload(wk_journal *j, jt_oracle * or);
/* Opens "data.img" (recovering), checks the committed view against the
 * oracle (recording which outcome the in-flight txn had), closes. Fails the
 * test with what in the message. */
void jt_check(const wk_journal_opts *o, jt_oracle * or, const char *what);

#endif
