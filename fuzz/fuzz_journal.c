/* libFuzzer target for the journal's parsers (superblocks, batch records,
 * write entries, the recovery scan) on the simulated disk.
 *
 * Input byte 0 picks the mode and the recovery policy:
 *   bit 0 = 0: the rest of the input IS the journal file (any bytes; up to
 *             128 KiB; zero-extended to 64 KiB), next to an empty data
 *             file;
 *   bit 0 = 1: a real journal is formatted, a few transactions are
 *             committed and the power is cut before they are applied; the
 *             rest of the input is a list of patches laid over that journal
 *             file: [u16 offset][u8 len][len bytes]...
 *   bits 1-2:   recovery policy for the read-write open.
 * Then: verify, read-only open + reads, read-write open (recovery repairs)
 * + a commit + close, and verify again. Must never crash, leak or hang;
 * every error must come back as a code. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "walkit.h"

#define FZ_CAP (64u * 1024u)
#define FZ_MAX (128u * 1024u)

static void
fz_exercise(wk_sim *sim, wk_journal_opts *o, int policy)
{
    wk_journal_report rep;
    wk_journal *j = NULL;
    uint8_t buf[4096];

    (void)wk_journal_verify("data.img", o, &rep);

    o->read_only = 1;
    if (wk_journal_open("data.img", o, &j, &rep) == 0) {
        (void)wk_journal_read(j, 0, sizeof buf, buf);
        (void)wk_journal_read(j, 1000, 100, buf);
        wk_journal_stats st;
        wk_journal_stats_get(j, &st);
        (void)wk_journal_close(j);
    }

    o->read_only = 0;
    o->recovery = (wk_recovery_policy)policy;
    j = NULL;
    if (wk_journal_open("data.img", o, &j, &rep) == 0) {
        wk_journal_txn *t = NULL;
        if (wk_journal_begin(j, &t) == 0) {
            if (wk_journal_write(t, 5, "fuzz", 4) == 0)
                (void)wk_journal_commit(t, NULL);
            else
                wk_journal_abort(t);
        }
        (void)wk_journal_read(j, 0, sizeof buf, buf);
        (void)wk_journal_close(j);
    }
    o->recovery = WK_RECOVER_TOLERATE_TORN_TAIL;
    (void)wk_journal_verify("data.img", o, &rep);
    (void)sim;
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
    wk_journal_opts o;
    wk_journal_opts_init(&o);
    o.vfs = vfs;
    o.journal_path = "data.jnl";
    o.checkpoint_pct = 0;
    o.full_wait_ms = 100;
    o.overlay_max_bytes = 32 * 1024;
    int mode = data[0] & 1, policy = (data[0] >> 1) & 3;
    data++;
    size--;

    if (mode == 0) {
        wk_file *f = NULL;
        if (vfs->open(vfs, "data.img", WK_O_CREATE | WK_O_RDWR, &f) == 0)
            wk_file_close(f);
        if (vfs->open(vfs, "data.jnl", WK_O_CREATE | WK_O_RDWR, &f) == 0) {
            if (size > 0)
                (void)wk_file_pwrite(f, data, size, 0);
            if (size < FZ_CAP) /* a short input is the journal's head */
                (void)wk_file_truncate(f, FZ_CAP);
            wk_file_close(f);
        }
    } else {
        o.capacity = FZ_CAP;
        if (wk_journal_format("data.img", &o) != 0)
            goto out;
        o.capacity = 0;
        wk_journal *j = NULL;
        if (wk_journal_open("data.img", &o, &j, NULL) != 0)
            goto out;
        for (int i = 0; i < 6; i++) {
            wk_journal_txn *t = NULL;
            char b[64];
            memset(b, 'a' + i, sizeof b);
            if (wk_journal_begin(j, &t) != 0)
                break;
            (void)wk_journal_write(t, (uint64_t)i * 40, b, 8 + (size_t)i * 9);
            (void)wk_journal_write(t, 4096 + (uint64_t)i, b, 3);
            (void)wk_journal_commit(t, NULL);
            if (i == 2)
                (void)wk_journal_checkpoint(j);
        }
        (void)wk_sim_crash(sim, 1, WK_SIM_DROP_ALL); /* before close */
        (void)wk_journal_close(j);
        size_t p = 0;
        while (p + 3 <= size) {
            uint32_t off = (uint32_t)data[p] | (uint32_t)data[p + 1] << 8;
            size_t len = data[p + 2];
            p += 3;
            if (len > size - p)
                len = size - p;
            (void)wk_sim_poke(sim, "data.jnl", off, data + p, len);
            p += len;
        }
    }
    fz_exercise(sim, &o, policy);
out:
    wk_sim_destroy(sim);
    return 0;
}
