/* Helpers shared by the wk_blob suites: store options on the simulated
 * disk, the crash/fault workload and its oracle. */
#ifndef BT_UTIL_H
#define BT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "walkit.h"

#define BT_DIR "store"
#define BT_NOPS 36
#define BT_NKEYS 3
#define BT_STREAM 7

/* Small sizes for the sim: 16 KiB chunks, 64 KiB log segments, no
 * background zero-fill, checkpoints only on request. */
void bt_opts(wk_blob_opts *o, wk_sim *sim);
wk_sim *bt_sim(void);

/* Deterministic payload of put number i (length bt_len(i)). */
size_t bt_len(int i);
void bt_payload(int i, uint8_t *buf);
/* Byte at offset x of the test stream. */
uint8_t bt_stream_byte(uint64_t x);

/* Steps are numbered from 1; an operation is acknowledged (durable) when
 * it returned 0 at a step <= sync_step (a later synced call succeeded). */
typedef struct bt_oracle {
    int put_tried[BT_NOPS];
    int put_ok[BT_NOPS]; /* step at which wk_blob_put returned 0 */
    uint64_t id[BT_NOPS];
    int del_tried[BT_NOPS];
    int del_ok[BT_NOPS];
    uint32_t kv_acked[BT_NKEYS], kv_tried[BT_NKEYS]; /* versions (synced) */
    uint64_t s_ok_bytes[BT_NOPS]; /* stream size after append step */
    int s_ok_step[BT_NOPS];
    int ns;
    uint64_t s_tried; /* stream bytes attempted */
    int step, sync_step;
    int first_error;
    uint64_t chunks_removed; /* by the workload (stats) */
    uint64_t relocated;      /* objects moved by its compaction */
} bt_oracle;

/* Runs the workload until its first error. */
void bt_workload(wk_blob *b, bt_oracle * or);
/* Opens the store (recovering), checks it against the oracle, closes.
 * Fails the test (message starting with what) on any violation. */
void bt_check(const wk_blob_opts *o, const bt_oracle * or, const char *what);

#endif
