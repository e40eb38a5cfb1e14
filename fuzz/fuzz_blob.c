/* libFuzzer target for wk_blob's parsers: the command-record decoder, the
 * replay of command records into the index (with its consistency checks),
 * and the index snapshot loader, on the simulated disk.
 *
 * Input byte 0 picks the mode and the recovery policy:
 *   bit 0 = 0: the rest is a list of command records [u16 len][len bytes]
 *             appended (public wk_log API) to the command log of a store
 *             that already holds a few objects, key/value records and a
 *             stream;
 *   bit 0 = 1: the rest replaces the store's SNAPSHOT file;
 *   bits 1-2:  recovery policy for the open.
 * Every record is also handed to the decoder directly. Then: verify, a
 * read-only open with reads of everything listed, a read-write open (+ a
 * put, a delete, a stream append, close). Must never crash, leak or hang;
 * every error must come back as a code. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "blob/blob_internal.h"
#include "walkit.h"

#define FZ_DIR "b"

static int
fz_list_fn(void *arg, const wk_blob_info *info)
{
    wk_blob *b = arg;
    wk_blob_view v;
    if (wk_blob_get(b, info->id, &v) == 0)
        wk_blob_view_release(b, &v);
    uint8_t buf[16];
    (void)wk_blob_read(b, info->id, 0, buf, info->len < 16 ? info->len : 16);
    return 0;
}

static void
fz_exercise(wk_blob_opts *o)
{
    wk_blob_report rep;
    wk_blob *b = NULL;
    uint8_t buf[256];
    size_t got = 0, len = 0;
    uint64_t size = 0;

    (void)wk_blob_verify(FZ_DIR, o->vfs, &rep);
    wk_blob_opts ro = *o;
    ro.read_only = 1;
    if (wk_blob_open(FZ_DIR, &ro, &b, &rep) == 0) {
        (void)wk_blob_list(b, 0, fz_list_fn, b);
        (void)wk_blob_stream_read(b, 1, 0, buf, sizeof buf, &got);
        (void)wk_blob_stream_size(b, 1, &size);
        (void)wk_blob_kv_get(b, "k", 1, buf, sizeof buf, &len);
        (void)wk_blob_close(b);
    }
    b = NULL;
    if (wk_blob_open(FZ_DIR, o, &b, &rep) == 0) {
        uint64_t id = 0;
        if (wk_blob_put(b, "fuzz", 4, 1, WK_SYNC, &id) == 0)
            (void)wk_blob_delete(b, id, WK_SYNC);
        (void)wk_blob_stream_append(b, 1, "s", 1, WK_SYNC, NULL);
        (void)wk_blob_list(b, 0, fz_list_fn, b);
        (void)wk_blob_close(b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 17))
        return 0;
    int mode = data[0] & 1;
    int policy = (data[0] >> 1) & 3;
    data++;
    size--;

    wk_sim *sim = NULL;
    if (wk_sim_create(NULL, &sim) != 0)
        return 0;
    wk_blob_opts o;
    wk_blob_opts_init(&o);
    o.vfs = wk_sim_vfs(sim);
    o.chunk_bytes = 16384;
    o.log_segment_bytes = 64 * 1024;
    o.checkpoint_bytes = 0;
    o.log_zero_fill = 0;
    wk_blob *b = NULL;
    if (wk_blob_open(FZ_DIR, &o, &b, NULL) != 0)
        goto out;
    uint64_t id = 0;
    (void)wk_blob_put(b, "object one", 10, 1, WK_SYNC, &id);
    (void)wk_blob_put(b, "object two", 10, 2, WK_SYNC, NULL);
    (void)wk_blob_kv_set(b, "k", 1, "v", 1, WK_SYNC);
    (void)wk_blob_stream_append(b, 1, "abc", 3, WK_SYNC, NULL);
    if (mode == 1)
        (void)wk_blob_compact(b);
    (void)wk_blob_close(b);

    if (mode == 0) {
        wk_log_opts lo;
        wk_log_opts_init(&lo);
        lo.vfs = o.vfs;
        lo.segment_bytes = 64 * 1024;
        lo.zero_fill = 0;
        wk_log *log = NULL;
        if (wk_log_open(FZ_DIR "/log", &lo, &log, NULL) != 0)
            goto out;
        size_t off = 0;
        while (off + 2 <= size) {
            size_t n = (size_t)data[off] | ((size_t)data[off + 1] << 8);
            off += 2;
            if (n > size - off)
                n = size - off;
            wk__brec r;
            (void)wk__brec_decode(data + off, n, &r);
            (void)wk_log_append(log, data + off, n, 0, NULL);
            off += n;
        }
        (void)wk_log_close(log);
    } else {
        (void)wk_vfs_atomic_replace(o.vfs, FZ_DIR "/SNAPSHOT", data, size);
    }
    o.recovery = (wk_recovery_policy)policy;
    fz_exercise(&o);
out:
    wk_sim_destroy(sim);
    return 0;
}
