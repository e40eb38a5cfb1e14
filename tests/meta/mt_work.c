/* Shared workload and oracle for the wk_meta crash and fault loops. */
#include <stdio.h>
#include <string.h>

#include "mt_work.h"
#include "wkt.h"

static void
mt_pattern(int i, uint8_t *buf, size_t *len)
{
    *len = 20 + (size_t)(i % 5) * 10;
    for (size_t k = 0; k < *len; k++)
        buf[k] = (uint8_t)('a' + (i + (int)k / 4) % 26);
}

wk_sim *
mt_sim(uint64_t seed)
{
    wk_sim_opts so;
    wk_sim_opts_init(&so);
    so.seed = seed;
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(&so, &sim));
    return sim;
}

void
mt_opts(wk_meta_opts *o, wk_sim *sim)
{
    wk_meta_opts_init(o);
    o->vfs = wk_sim_vfs(sim);
    o->log_segment_bytes = 64 << 10;
    o->compact_log_bytes = 0;
    o->max_batch_bytes = 16 << 10;
}

/* 200 compressible bytes for key 50 (so log entries get zstd frames). */
static void
mt_big(int i, uint8_t *buf)
{
    for (int k = 0; k < MT_BIG; k++)
        buf[k] = (uint8_t)("walkit-meta"[(k + i) % 11]);
}

int
mt_batch(wk_meta *m, int i, int flags)
{
    wk_meta_batch *b = NULL;
    int rc = wk_meta_batch_new(m, &b);
    if (rc != 0)
        return rc;
    uint8_t buf[64];
    size_t len;
    mt_pattern(i, buf, &len);
    rc = wk_meta_batch_put(b, 0, (uint64_t)i, NULL, 0);
    if (rc == 0)
        rc = wk_meta_batch_put(b, 100 + (uint64_t)i, 7 * (uint64_t)i, buf, len);
    if (rc == 0 && i > 3)
        rc = wk_meta_batch_del(b, 100 + (uint64_t)i - 3);
    uint8_t big[MT_BIG];
    mt_big(i, big);
    if (rc == 0)
        rc = wk_meta_batch_put(b, 50, (uint64_t)i, big, sizeof big);
    if (rc == 0)
        rc = wk_meta_write(m, b, flags);
    wk_meta_batch_free(b);
    return rc;
}

void
mt_workload(wk_meta *m, mt_oracle *orc, int nbatches, int compact_every)
{
    memset(orc, 0, sizeof *orc);
    for (int i = 1; i <= nbatches; i++) {
        orc->attempted = i;
        int rc = mt_batch(m, i, WK_SYNC);
        if (rc != 0) {
            orc->first_error = rc;
            return;
        }
        orc->acked = i;
        if (compact_every > 0 && i % compact_every == 0) {
            rc = wk_meta_compact(m);
            if (rc != 0) {
                orc->first_error = rc;
                return;
            }
        }
    }
}

typedef struct mt_scan {
    uint64_t n;
    uint64_t keys[16];
} mt_scan;

static int
mt_scan_fn(void *arg, uint64_t key, uint64_t value, const void *bytes,
           size_t len)
{
    (void)value;
    (void)bytes;
    (void)len;
    mt_scan *s = arg;
    if (s->n < 16)
        s->keys[s->n] = key;
    s->n++;
    return 0;
}

int
mt_check_store(wk_meta *m, const mt_oracle *orc, char *why, size_t cap)
{
    uint64_t k = 0;
    size_t len = 0;
    int rc = wk_meta_get(m, 0, &k, NULL, 0, &len);
    if (rc == WK_ENOTFOUND)
        k = 0;
    else if (rc != 0) {
        snprintf(why, cap, "get counter: %s", wk_errname(rc));
        return -1;
    }
    if ((int)k < orc->acked || (int)k > orc->attempted) {
        snprintf(why, cap, "recovered %llu batches; acked %d, attempted %d",
                 (unsigned long long)k, orc->acked, orc->attempted);
        return -1;
    }
    mt_scan s;
    memset(&s, 0, sizeof s);
    wk_meta_scan(m, 0, mt_scan_fn, &s);
    uint64_t want = 2 * (k >= 1) + (k < 3 ? k : 3);
    if (s.n != want) {
        snprintf(why, cap, "%llu items after %llu batches, want %llu",
                 (unsigned long long)s.n, (unsigned long long)k,
                 (unsigned long long)want);
        return -1;
    }
    if (k >= 1) {
        uint8_t got[MT_BIG], exp[MT_BIG];
        uint64_t v = 0;
        size_t gl = 0;
        rc = wk_meta_get(m, 50, &v, got, sizeof got, &gl);
        mt_big((int)k, exp);
        if (rc != 0 || v != k || gl != MT_BIG || memcmp(got, exp, gl) != 0) {
            snprintf(why, cap, "key 50 wrong after %llu batches (%s)",
                     (unsigned long long)k, wk_errname(rc));
            return -1;
        }
    }
    for (uint64_t j = (k > 3 ? k - 2 : 1); j <= k; j++) {
        uint64_t v = 0;
        uint8_t got[64], exp[64];
        size_t gl = 0, el = 0;
        rc = wk_meta_get(m, 100 + j, &v, got, sizeof got, &gl);
        mt_pattern((int)j, exp, &el);
        if (rc != 0 || v != 7 * j || gl != el || memcmp(got, exp, el) != 0) {
            snprintf(why, cap, "key %llu wrong after %llu batches (%s)",
                     (unsigned long long)(100 + j), (unsigned long long)k,
                     wk_errname(rc));
            return -1;
        }
    }
    return 0;
}

void
mt_check(wk_vfs *vfs, const mt_oracle *orc, const char *what)
{
    wk_meta_opts o;
    wk_meta_opts_init(&o);
    o.vfs = vfs;
    o.log_segment_bytes = 64 << 10;
    o.compact_log_bytes = 0;
    o.max_batch_bytes = 16 << 10;
    wk_meta *m = NULL;
    wk_meta_report rep;
    int rc = wk_meta_open(MT_DIR, &o, &m, &rep);
    if (rc != 0)
        fail_msg("%s: reopen: %s (%s)", what, wk_errname(rc), rep.errmsg);
    char why[200];
    if (mt_check_store(m, orc, why, sizeof why) != 0) {
        wk_meta_close(m);
        fail_msg("%s: %s", what, why);
    }
    wkt_assert_ok(wk_meta_close(m));
}
