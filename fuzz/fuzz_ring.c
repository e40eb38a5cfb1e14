/* libFuzzer target for the ring's parsers (superblocks, records, the
 * recovery scan and its repairs) on the simulated disk.
 *
 * Input byte 0 picks the mode and the recovery policy:
 *   bit 0 = 0: the rest of the input IS the ring file (any bytes; up to
 *             64 KiB; zero-extended to 16 KiB);
 *   bit 0 = 1: a real 16 KiB ring is formatted, entries are appended (it
 *             wraps), the head is advanced, and the power is cut; the rest
 *             of the input is a list of patches laid over the file:
 *             [u16 offset][u8 len][len bytes]...
 *   bits 1-2:  recovery policy for the read-write open.
 * Then: verify, read-only open + iteration + reads, read-write open (with
 * repairs) + appends + head advance + close, and verify again, which must
 * then not report corruption unless the policy kept it (tolerate /
 * absolute opens fail instead). Must never crash, leak or hang; every
 * error must come back as a code. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "walkit.h"

#define FZ_CAP (16u * 1024u)
#define FZ_MAX (64u * 1024u)

static void
fz_exercise(wk_ring_opts *o, int policy)
{
    wk_ring_report rep;
    wk_ring *r = NULL;
    uint8_t buf[9000];
    size_t len;

    (void)wk_ring_verify("ring.img", o, &rep);

    o->read_only = 1;
    if (wk_ring_open("ring.img", o, &r, &rep) == 0) {
        wk_ring_iter *it = NULL;
        if (wk_ring_iter_open(r, &it) == 0) {
            uint64_t pos;
            const void *d;
            int n = 0;
            while (n++ < 1000 && wk_ring_iter_next(it, &pos, &d, &len) == 0)
                (void)wk_ring_read(r, pos, buf, sizeof buf, &len);
            wk_ring_iter_close(it);
        }
        (void)wk_ring_read(r, 0, buf, sizeof buf, &len);
        (void)wk_ring_read(r, 8191, buf, sizeof buf, &len);
        wk_ring_stats st;
        wk_ring_stats_get(r, &st);
        (void)wk_ring_close(r);
    }

    o->read_only = 0;
    o->recovery = (wk_recovery_policy)policy;
    r = NULL;
    if (wk_ring_open("ring.img", o, &r, &rep) == 0) {
        memset(buf, 'f', sizeof buf);
        for (int i = 0; i < 12; i++)
            if (wk_ring_append(r, buf, 100 + (size_t)i * 90, WK_SYNC, NULL) ==
                WK_EFULL)
                (void)wk_ring_advance_head(r, NULL, NULL, NULL);
        (void)wk_ring_close(r);
        o->recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
        /* After a successful repair, the ring is clean. */
        if (wk_ring_verify("ring.img", o, &rep) == WK_ECORRUPT)
            abort();
    }
    o->recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FZ_MAX + 1)
        return 0;
    wk_sim *sim = NULL;
    wk_sim_opts so;
    wk_sim_opts_init(&so);
    so.capacity = 8u << 20;
    if (wk_sim_create(&so, &sim) != 0)
        return 0;
    wk_vfs *vfs = wk_sim_vfs(sim);
    wk_ring_opts o;
    wk_ring_opts_init(&o);
    o.vfs = vfs;
    int mode = data[0] & 1, policy = (data[0] >> 1) & 3;
    data++;
    size--;

    if (mode == 0) {
        wk_file *f = NULL;
        if (vfs->open(vfs, "ring.img", WK_O_CREATE | WK_O_RDWR, &f) == 0) {
            if (size > 0)
                (void)wk_file_pwrite(f, data, size, 0);
            if (size < FZ_CAP)
                (void)wk_file_truncate(f, FZ_CAP);
            wk_file_close(f);
        }
    } else {
        o.capacity = FZ_CAP;
        if (wk_ring_format("ring.img", &o) != 0)
            goto out;
        o.capacity = 0;
        wk_ring *r = NULL;
        if (wk_ring_open("ring.img", &o, &r, NULL) != 0)
            goto out;
        uint8_t b[1200];
        for (int i = 0; i < 30; i++) {
            memset(b, 'a' + i % 26, sizeof b);
            int rc = wk_ring_append(r, b, 40 + (size_t)(i * 173) % 1100,
                                    i % 3 ? WK_SYNC : 0, NULL);
            if (rc == WK_EFULL)
                (void)wk_ring_advance_head(r, NULL, NULL, NULL);
            if (i == 20)
                (void)wk_ring_sync(r);
        }
        (void)wk_sim_crash(sim, 1, WK_SIM_KEEP_ALL); /* before close */
        (void)wk_ring_close(r);
        size_t p = 0;
        while (p + 3 <= size) {
            uint32_t off = (uint32_t)data[p] | (uint32_t)data[p + 1] << 8;
            size_t len = data[p + 2];
            p += 3;
            if (len > size - p)
                len = size - p;
            (void)wk_sim_poke(sim, "ring.img", off % FZ_CAP, data + p, len);
            p += len;
        }
    }
    fz_exercise(&o, policy);
out:
    wk_sim_destroy(sim);
    return 0;
}
