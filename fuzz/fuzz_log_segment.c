/* libFuzzer target for the wk_log segment parser (recovery and verify).
 *
 * Input layout:
 *   byte 0     mode: bits 0-1 recovery policy; bit 2 a second segment file;
 *              bit 3 a CHECKPOINT file; bit 4 append + reopen after a
 *              successful open; bit 5 name the first segment seg-000007
 *              (slot numbers are not LSN order); bit 6 pad segment files
 *              with zeros to their 64 KiB segment size
 *   bytes 1-2  length of the first segment's bytes (little-endian; only
 *              used when bit 2 is set, else the first segment takes all)
 *   byte 3     length of the CHECKPOINT bytes (bit 3)
 *   then       first segment, CHECKPOINT, second segment
 * The files are written into a fresh simulated disk, then wk_log_verify, a
 * read-only open and a normal open (policy from the mode) run over them
 * with a recover_fn that reads every byte of every entry. Nothing may
 * crash, leak or hang, whatever the bytes.
 *
 * Seed corpus: FUZZ_LOG_SEGMENT_GEN=<dir> ./fuzz_log_segment writes a few
 * seeds made by the real library on a sim (fuzz/corpus/fuzz_log_segment)
 * and exits. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walkit.h"

#define FZ_DIR "/log"
#define FZ_SEG_BYTES (64u << 10)
#define FZ_TOUCH_MAX (256u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static volatile uint8_t fz_sink;

static int
fz_write_file(wk_vfs *vfs, const char *name, const uint8_t *buf, size_t len,
              int pad)
{
    char path[64];
    snprintf(path, sizeof path, "%s/%s", FZ_DIR, name);
    wk_file *f = NULL;
    int rc = vfs->open(vfs, path, WK_O_CREATE | WK_O_RDWR, &f);
    if (rc != 0)
        return rc;
    if (len > 0)
        rc = wk_file_pwrite(f, buf, len, 0);
    if (rc == 0 && pad && len < FZ_SEG_BYTES)
        rc = wk_file_truncate(f, FZ_SEG_BYTES);
    if (rc == 0)
        rc = wk_file_sync(f, WK_SYNC_FULL);
    wk_file_close(f);
    return rc;
}

/* Reads every byte of the entry (bounded), like a user's recover_fn. */
static int
fz_touch(void *arg, const wk_log_entry *e)
{
    (void)arg;
    uint8_t buf[4096];
    uint8_t acc = 0;
    if (e->data != NULL) {
        const uint8_t *p = e->data;
        for (uint64_t i = 0; i < e->len; i++)
            acc ^= p[i];
    }
    uint64_t len = e->len < FZ_TOUCH_MAX ? e->len : FZ_TOUCH_MAX;
    for (uint64_t off = 0; off < len; off += sizeof buf) {
        size_t n = len - off < sizeof buf ? (size_t)(len - off) : sizeof buf;
        if (wk_log_entry_read(e, off, buf, n) != 0)
            break;
        for (size_t i = 0; i < n; i++)
            acc ^= buf[i];
    }
    fz_sink ^= acc;
    return 0;
}

static void
fz_opts(wk_log_opts *o, wk_vfs *vfs, int policy)
{
    wk_log_opts_init(o);
    o->vfs = vfs;
    o->segment_bytes = FZ_SEG_BYTES;
    o->batch_bytes = FZ_SEG_BYTES;
    o->max_entry_bytes = 16u << 10;
    o->zero_fill = 0;
    o->create_if_missing = 0;
    o->recovery = (wk_recovery_policy)policy;
    o->recover_fn = fz_touch;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint8_t mode = data[0];
    size_t len1 = (size_t)data[1] | (size_t)data[2] << 8;
    size_t lenc = data[3];
    const uint8_t *p = data + 4;
    size_t rest = size - 4;
    if (!(mode & 4) || len1 > rest)
        len1 = rest;
    const uint8_t *seg1 = p;
    p += len1;
    rest -= len1;
    const uint8_t *ckp = NULL;
    if (mode & 8) {
        if (lenc > rest)
            lenc = rest;
        ckp = p;
        p += lenc;
        rest -= lenc;
    }
    const uint8_t *seg2 = (mode & 4) ? p : NULL;
    size_t len2 = (mode & 4) ? rest : 0;
    int pad = (mode & 64) != 0;

    wk_sim *sim = NULL;
    if (wk_sim_create(NULL, &sim) != 0)
        return 0;
    wk_vfs *vfs = wk_sim_vfs(sim);
    if (vfs->mkdir(vfs, FZ_DIR) != 0)
        goto out;
    if (fz_write_file(vfs, (mode & 32) ? "seg-000007.wal" : "seg-000001.wal",
                      seg1, len1, pad) != 0)
        goto out;
    if (ckp != NULL && fz_write_file(vfs, "CHECKPOINT", ckp, lenc, 0) != 0)
        goto out;
    if (seg2 != NULL && fz_write_file(vfs, "seg-000002.wal", seg2, len2, pad))
        goto out;

    wk_log_report rep;
    (void)wk_log_verify(FZ_DIR, vfs, &rep);

    int policy = mode & 3;
    wk_log_opts o;
    fz_opts(&o, vfs, policy);
    o.read_only = 1;
    wk_log *log = NULL;
    if (wk_log_open(FZ_DIR, &o, &log, &rep) == 0)
        wk_log_close(log);

    fz_opts(&o, vfs, policy);
    log = NULL;
    if (wk_log_open(FZ_DIR, &o, &log, &rep) == 0) {
        if (mode & 16) {
            static const char msg[] = "fuzz entry after recovery";
            (void)wk_log_append(log, msg, sizeof msg, WK_SYNC, NULL);
        }
        wk_log_close(log);
        if (mode & 16) {
            fz_opts(&o, vfs, WK_RECOVER_TOLERATE_TORN_TAIL);
            log = NULL;
            if (wk_log_open(FZ_DIR, &o, &log, &rep) == 0)
                wk_log_close(log);
        }
    }
out:
    wk_sim_destroy(sim);
    return 0;
}

/* ---- seed corpus generator ------------------------------------------- */

/* Reads a file of the sim, trimmed of trailing zeros (at least the header
 * block is kept if present). */
static size_t
gen_peek(wk_sim *sim, const char *name, uint8_t *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "%s/%s", FZ_DIR, name);
    size_t n = 0;
    if (wk_sim_peek(sim, path, 0, buf, cap, &n) != 0)
        return 0;
    while (n > 0 && buf[n - 1] == 0)
        n--;
    return n;
}

typedef struct gen_names {
    char seg[8][64];
    int n;
} gen_names;

static int
gen_list(void *arg, const char *name)
{
    gen_names *g = arg;
    if (strncmp(name, "seg-", 4) == 0 && g->n < 8)
        snprintf(g->seg[g->n++], sizeof g->seg[0], "%s", name);
    return 0;
}

static void
gen_write_seed(const char *dir, const char *name, uint8_t mode,
               const uint8_t *s1, size_t n1, const uint8_t *ck, size_t nc,
               const uint8_t *s2, size_t n2)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    uint8_t hdr[4] = {mode, (uint8_t)n1, (uint8_t)(n1 >> 8), (uint8_t)nc};
    fwrite(hdr, 1, sizeof hdr, f);
    fwrite(s1, 1, n1, f);
    if (nc)
        fwrite(ck, 1, nc, f);
    if (n2)
        fwrite(s2, 1, n2, f);
    fclose(f);
    printf("seed %s: %zu bytes\n", path, 4 + n1 + nc + n2);
}

static void
gen_fill(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)(x >> 24);
    }
}

static int
gen_ckpt_fn(void *arg, wk_log_iter *it, uint64_t upto)
{
    (void)arg;
    (void)upto;
    wk_log_entry e;
    while (wk_log_iter_next(it, &e, 0) == 0)
        ;
    return 0;
}

static int
gen_log_max(wk_sim **simp, wk_log **logp, uint64_t max_entry)
{
    if (wk_sim_create(NULL, simp) != 0)
        return -1;
    wk_log_opts o;
    fz_opts(&o, wk_sim_vfs(*simp), 0);
    o.create_if_missing = 1;
    o.recover_fn = NULL;
    if (max_entry) {
        /* small batches make small stream chunks (chunk <= batch) */
        o.max_entry_bytes = max_entry;
        o.batch_bytes = 2 * max_entry;
    }
    return wk_log_open(FZ_DIR, &o, logp, NULL);
}

static int
gen_log(wk_sim **simp, wk_log **logp)
{
    return gen_log_max(simp, logp, 0);
}

static void
gen_corpus(const char *dir)
{
    static uint8_t s1[FZ_SEG_BYTES], s2[FZ_SEG_BYTES], big[40000];
    wk_sim *sim = NULL;
    wk_log *log = NULL;
    uint8_t ck[64];
    size_t nc;

    /* 1. a few small entries, one per batch. */
    if (gen_log(&sim, &log) != 0)
        exit(1);
    for (uint32_t i = 0; i < 5; i++) {
        gen_fill(big, 40 + 90 * i, i);
        wk_log_append(log, big, 40 + 90 * i, WK_SYNC, NULL);
    }
    wk_log_close(log);
    size_t n1 = gen_peek(sim, "seg-000001.wal", s1, sizeof s1);
    gen_write_seed(dir, "small", 64, s1, n1, NULL, 0, NULL, 0);
    gen_write_seed(dir, "small-unpadded-pit", 2, s1, n1, NULL, 0, NULL, 0);
    /* 2. the same with a torn last frame (a flipped byte in it). */
    uint8_t torn[FZ_SEG_BYTES];
    memcpy(torn, s1, n1);
    if (n1 > 30)
        torn[n1 - 20] ^= 0x5a;
    gen_write_seed(dir, "torn-tail", 64 | 16, torn, n1, NULL, 0, NULL, 0);
    /* 3. a flipped byte mid-log (corruption, valid frames after it). */
    memcpy(torn, s1, n1);
    if (n1 > 4200)
        torn[4096 + 30] ^= 0x01;
    gen_write_seed(dir, "corrupt-mid", 64 | 3, torn, n1, NULL, 0, NULL, 0);
    wk_sim_destroy(sim);

    /* 4. batched entries and a streamed entry (~4 KiB chunks). */
    if (gen_log_max(&sim, &log, 2048) != 0)
        exit(1);
    for (uint32_t i = 0; i < 4; i++) {
        gen_fill(big, 100 + 7 * i, 10 + i);
        wk_log_append(log, big, 100 + 7 * i, 0, NULL);
    }
    wk_log_stream *st = NULL;
    if (wk_log_stream_begin(log, &st) == 0) {
        gen_fill(big, 9000, 99);
        wk_log_stream_write(st, big, 5000);
        wk_log_stream_write(st, big + 5000, 4000);
        wk_log_stream_commit(st, 0, NULL);
    }
    gen_fill(big, 300, 7);
    wk_log_append(log, big, 300, WK_SYNC, NULL);
    wk_log_close(log);
    n1 = gen_peek(sim, "seg-000001.wal", s1, sizeof s1);
    gen_write_seed(dir, "stream", 64 | 16, s1, n1, NULL, 0, NULL, 0);
    wk_sim_destroy(sim);

    /* 5. a rotated log: the second segment alone behind a CHECKPOINT, and
     *    behind a small first segment (an LSN gap). */
    if (gen_log(&sim, &log) != 0)
        exit(1);
    for (uint32_t i = 0; i < 13; i++) {
        /* ten 6000-byte entries fill the first segment; the 1200-byte one
         * does not fit in its rest and starts the second */
        size_t n = i < 10 ? 6000 : i == 10 ? 1200 : 200;
        gen_fill(big, n, 20 + i);
        wk_log_append(log, big, n, WK_SYNC, NULL);
    }
    uint64_t last = wk_log_last_lsn(log);
    wk_log_close(log);
    gen_names g;
    memset(&g, 0, sizeof g);
    wk_sim_vfs(sim)->list(wk_sim_vfs(sim), FZ_DIR, gen_list, &g);
    size_t n2 = 0;
    /* The newest segment holding frames: the one whose trimmed size is
     * smallest but above the header. */
    for (int i = 0; i < g.n; i++) {
        size_t n = gen_peek(sim, g.seg[i], s2, sizeof s2);
        if (n > 4096 && n < 12000) {
            n2 = n;
            break;
        }
    }
    wk_sim_destroy(sim);
    (void)last;
    if (n2 > 0) {
        gen_write_seed(dir, "second-segment-only", 64 | 4, s2, n2, NULL, 0,
                       NULL, 0);
        if (gen_log(&sim, &log) != 0)
            exit(1);
        for (uint32_t i = 0; i < 3; i++) {
            gen_fill(big, 200, 40 + i);
            wk_log_append(log, big, 200, WK_SYNC, NULL);
        }
        wk_log_close(log);
        n1 = gen_peek(sim, "seg-000001.wal", s1, sizeof s1);
        wk_sim_destroy(sim);
        gen_write_seed(dir, "gap-two-segments", 64 | 4, s1, n1, NULL, 0, s2,
                       n2);
    }

    /* 6. a checkpointed log: its CHECKPOINT file (written by the library)
     *    and its segment. */
    if (wk_sim_create(NULL, &sim) != 0)
        exit(1);
    {
        wk_log_opts o;
        fz_opts(&o, wk_sim_vfs(sim), 0);
        o.create_if_missing = 1;
        o.recover_fn = NULL;
        o.checkpoint_fn = gen_ckpt_fn;
        if (wk_log_open(FZ_DIR, &o, &log, NULL) != 0)
            exit(1);
        uint64_t lsn = 0;
        for (uint32_t i = 0; i < 4; i++) {
            gen_fill(big, 150, 60 + i);
            wk_log_append(log, big, 150, WK_SYNC, &lsn);
            if (i == 1 && wk_log_checkpoint(log) == 0)
                wk_log_wait_checkpointed(log, lsn, 5000);
        }
        wk_log_close(log);
    }
    n1 = gen_peek(sim, "seg-000001.wal", s1, sizeof s1);
    nc = 0;
    {
        size_t n = 0;
        if (wk_sim_peek(sim, FZ_DIR "/CHECKPOINT", 0, ck, sizeof ck, &n) == 0)
            nc = n;
    }
    wk_sim_destroy(sim);
    gen_write_seed(dir, "checkpoint", 64 | 8, s1, n1, ck, nc, NULL, 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *gen = getenv("FUZZ_LOG_SEGMENT_GEN");
    if (gen != NULL && *gen != '\0') {
        gen_corpus(gen);
        exit(0);
    }
    return 0;
}
