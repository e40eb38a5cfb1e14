/* libFuzzer target for wk_meta's parsers: the snapshot file and the
 * batch entries of the log.
 *
 * Input byte 0 picks the mode:
 *   0: the rest is a snapshot image, parsed in memory (generation taken
 *      from its header so the name check passes);
 *   1: the rest is one log entry (a batch), validated and decoded;
 *   2: the rest is a snapshot file planted as store/snap-...01.wks on the
 *      simulated disk next to an empty log; then wk_meta_verify, a
 *      read-only open, a read-write open + a write + a compaction.
 * Must never crash, leak or hang; every error must come back as a code. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/byteorder.h"
#include "meta/meta_int.h"
#include "walkit.h"

static int
fz_item(void *arg, uint64_t key, uint64_t value, const uint8_t *bytes,
        uint32_t len)
{
    uint64_t *sum = arg;
    *sum += key ^ value ^ len;
    if (len > 0)
        *sum += bytes[0] + bytes[len - 1];
    return 0;
}

static int
fz_op(void *arg, const wk__mop *op)
{
    uint64_t *sum = arg;
    *sum += op->key + op->value + op->len;
    return 0;
}

static int
fz_scan(void *arg, uint64_t key, uint64_t value, const void *bytes, size_t len)
{
    return fz_item(arg, key, value, bytes, (uint32_t)len);
}

static void
fz_store(const uint8_t *data, size_t size)
{
    wk_sim *sim = NULL;
    if (wk_sim_create(NULL, &sim) != 0)
        return;
    wk_vfs *vfs = wk_sim_vfs(sim);
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.vfs = vfs;
    o.log_segment_bytes = 64 << 10;
    o.compact_log_bytes = 0;
    wk_meta *m = NULL;
    if (wk_meta_open("store", &o, &m, NULL) == 0)
        wk_meta_close(m);
    wk_file *f = NULL;
    if (vfs->open(vfs, "store/snap-0000000000000001.wks",
                  WK_O_CREATE | WK_O_RDWR, &f) == 0) {
        wk_file_pwrite(f, data, size, 0);
        wk_file_sync(f, WK_SYNC_FULL);
        wk_file_close(f);
        vfs->sync_dir(vfs, "store");
    }
    wk_meta_report rep;
    (void)wk_meta_verify("store", vfs, &rep);
    o.read_only = 1;
    if (wk_meta_open("store", &o, &m, &rep) == 0) {
        uint64_t sum = 0;
        wk_meta_scan(m, 0, fz_scan, &sum);
        uint64_t v;
        uint8_t buf[8];
        size_t len;
        wk_meta_get(m, 42, &v, buf, sizeof buf, &len);
        wk_meta_close(m);
    }
    o.read_only = 0;
    if (wk_meta_open("store", &o, &m, &rep) == 0) {
        wk_meta_batch *b = NULL;
        if (wk_meta_batch_new(m, &b) == 0) {
            wk_meta_batch_put(b, 42, 1, "x", 1);
            wk_meta_batch_del(b, 7);
            wk_meta_write(m, b, WK_SYNC);
            wk_meta_batch_free(b);
        }
        wk_meta_compact(m);
        wk_meta_close(m);
    }
    wk_sim_destroy(sim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    int mode = data[0] % 3;
    data++;
    size--;
    uint64_t sum = 0;
    char msg[256];
    if (mode == 0) {
        uint64_t gen = size >= 32 ? wk__get64(data + 24) : 1;
        (void)wk__snap_parse(data, size, gen, NULL, fz_item, &sum, NULL, msg,
                             sizeof msg);
    } else if (mode == 1) {
        (void)wk__batch_decode(NULL, data, size, WK_META_MAX_BYTES_LIMIT,
                               1u << 22, fz_op, &sum, NULL);
    } else {
        fz_store(data, size);
    }
    return 0;
}
