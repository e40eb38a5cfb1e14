/* wk_blob test workload and oracle (see bt_util.h). */
#include "bt_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wkt.h"

void
bt_opts(wk_blob_opts *o, wk_sim *sim)
{
    wk_blob_opts_init(o);
    o->vfs = wk_sim_vfs(sim);
    o->chunk_bytes = 16384;
    o->log_segment_bytes = 64 * 1024;
    o->checkpoint_bytes = 0;
    o->log_zero_fill = 0;
}

wk_sim *
bt_sim(void)
{
    wk_sim *sim = NULL;
    wkt_assert_ok(wk_sim_create(NULL, &sim));
    return sim;
}

size_t
bt_len(int i)
{
    if (i % 11 == 5)
        return 0;
    return 1 + (size_t)(((unsigned)i * 797u) % 3000u);
}

void
bt_payload(int i, uint8_t *buf)
{
    wkt_fill(buf, bt_len(i), 5000 + (uint64_t)i);
}

uint8_t
bt_stream_byte(uint64_t x)
{
    return (uint8_t)(x * 131 + (x >> 8) + 7);
}

/* Marks a synced call's success: everything before it is durable. */
static void
bt_synced(bt_oracle * or)
{
    or->sync_step = or->step;
}

void
bt_workload(wk_blob *b, bt_oracle * or)
{
    memset(or, 0, sizeof * or);
    uint8_t buf[3000];
    int rc = 0;
    uint32_t kv_ver = 0;
    for (int i = 0; i < BT_NOPS && rc == 0; i++) {
        int sync = i % 5 != 3;
        bt_payload(i, buf);
        or->put_tried[i] = 1;
        or->step++;
        uint64_t id = 0;
        rc = wk_blob_put(b, buf, bt_len(i), (uint64_t)i + 1, sync ? WK_SYNC : 0,
                         &id);
        if (rc != 0)
            break;
        or->put_ok[i] = or->step;
        or->id[i] = id;
        if (sync)
            bt_synced(or);

        if (i >= 2 && (i - 2) % 12 != 0 && or->put_ok[i - 2]) {
            int d = i - 2;
            or->del_tried[d] = 1;
            or->step++;
            int dsync = i % 3 != 0;
            rc = wk_blob_delete(b, or->id[d], dsync ? WK_SYNC : 0);
            if (rc != 0)
                break;
            or->del_ok[d] = or->step;
            if (dsync)
                bt_synced(or);
        }
        if (i % 3 == 0) {
            int k = (i / 3) % BT_NKEYS;
            char key[8];
            snprintf(key, sizeof key, "k%d", k);
            kv_ver++;
            or->kv_tried[k] = kv_ver;
            or->step++;
            rc = wk_blob_kv_set(b, key, strlen(key), &kv_ver, sizeof kv_ver,
                                WK_SYNC);
            if (rc != 0)
                break;
            or->kv_acked[k] = kv_ver;
            bt_synced(or);
        }
        if (i % 12 == 7) {
            size_t n = 1 + ((size_t)i * 377u) % 2000u;
            uint8_t s[2000];
            for (size_t x = 0; x < n; x++)
                s[x] = bt_stream_byte(or->s_tried + x);
            int ssync = i % 24 != 7;
            or->s_tried += n;
            or->step++;
            uint64_t soff = 0;
            rc = wk_blob_stream_append(b, BT_STREAM, s, n, ssync ? WK_SYNC : 0,
                                       &soff);
            if (rc != 0)
                break;
            if (soff + n != or->s_tried)
                fail_msg("stream offset %llu + %zu != %llu",
                         (unsigned long long)soff, n,
                         (unsigned long long) or->s_tried);
            or->s_ok_bytes[or->ns] = or->s_tried;
            or->s_ok_step[or->ns++] = or->step;
            if (ssync)
                bt_synced(or);
        }
        if (i == 20 || i == 33) {
            or->step++;
            rc = wk_blob_compact(b);
            if (rc != 0)
                break;
            bt_synced(or);
        }
    }
    if (rc == 0) {
        or->step++;
        rc = wk_blob_sync(b);
        if (rc == 0)
            bt_synced(or);
    }
    wk_blob_stats st;
    wk_blob_stats_get(b, &st);
    or->chunks_removed = st.chunks_removed;
    or->relocated = st.relocated;
    or->first_error = rc;
}

typedef struct bt_list_ctx {
    wk_blob *b;
    const bt_oracle * or ;
    const char *what;
    uint64_t n;
} bt_list_ctx;

static int
bt_list_fn(void *arg, const wk_blob_info *info)
{
    bt_list_ctx *c = arg;
    uint8_t want[3000];
    c->n++;
    if (info->tag < 1 || info->tag > BT_NOPS ||
        !c->or->put_tried[info->tag - 1])
        fail_msg("%s: listed object %llu has tag %llu, never put", c->what,
                 (unsigned long long)info->id, (unsigned long long)info->tag);
    int i = (int)info->tag - 1;
    if (c->or->put_ok[i] && c->or->id[i] != info->id)
        fail_msg("%s: put %d returned id %llu, listed as %llu", c->what, i,
                 (unsigned long long)c->or->id[i],
                 (unsigned long long)info->id);
    wk_blob_view v;
    int rc = wk_blob_get(c->b, info->id, &v);
    if (rc != 0)
        fail_msg("%s: get listed object %llu (put %d): %s (%s)", c->what,
                 (unsigned long long)info->id, i, wk_errname(rc),
                 wk_blob_errmsg(c->b));
    bt_payload(i, want);
    if (v.len != bt_len(i) || memcmp(v.data, want, v.len) != 0)
        fail_msg("%s: object of put %d has false bytes (len %zu, want %zu)",
                 c->what, i, v.len, bt_len(i));
    wk_blob_view_release(c->b, &v);
    return 0;
}

void
bt_check(const wk_blob_opts *o, const bt_oracle * or, const char *what)
{
    wk_blob *b = NULL;
    wk_blob_report rep;
    int rc = wk_blob_open(BT_DIR, o, &b, &rep);
    if (rc != 0)
        fail_msg("%s: reopen: %s (%s)", what, wk_errname(rc), rep.problem);
    uint8_t want[3000];
    for (int i = 0; i < BT_NOPS; i++) {
        int acked = or->put_ok[i] && or->put_ok[i] <= or->sync_step;
        int del_acked = or->del_ok[i] && or->del_ok[i] <= or->sync_step;
        wk_blob_view v;
        if (del_acked) {
            rc = wk_blob_get(b, or->id[i], &v);
            if (rc != WK_ENOTFOUND)
                fail_msg("%s: deleted object %llu (put %d): get %s", what,
                         (unsigned long long) or->id[i], i, wk_errname(rc));
            continue;
        }
        if (!acked)
            continue;
        rc = wk_blob_get(b, or->id[i], &v);
        if (rc == WK_ENOTFOUND && or->del_tried[i])
            continue;
        if (rc != 0)
            fail_msg("%s: acknowledged object %llu (put %d): %s (%s)", what,
                     (unsigned long long) or->id[i], i, wk_errname(rc),
                     wk_blob_errmsg(b));
        bt_payload(i, want);
        if (v.len != bt_len(i) || memcmp(v.data, want, v.len) != 0)
            fail_msg("%s: acknowledged put %d: false bytes", what, i);
        wk_blob_view_release(b, &v);
    }
    bt_list_ctx lc = {b, or, what, 0};
    wkt_assert_ok(wk_blob_list(b, 0, bt_list_fn, &lc));
    for (int k = 0; k < BT_NKEYS; k++) {
        char key[8];
        uint32_t v = 0;
        size_t len = 0;
        snprintf(key, sizeof key, "k%d", k);
        rc = wk_blob_kv_get(b, key, strlen(key), &v, sizeof v, &len);
        if (rc == WK_ENOTFOUND && or->kv_acked[k] == 0)
            continue;
        if (rc != 0 || len != sizeof v || v < or->kv_acked[k] ||
            v > or->kv_tried[k])
            fail_msg("%s: key %s: %s, version %u, acked %u, tried %u", what,
                     key, wk_errname(rc), v, or->kv_acked[k], or->kv_tried[k]);
    }
    uint64_t s_acked = 0;
    for (int j = 0; j < or->ns; j++)
        if (or->s_ok_step[j] <= or->sync_step)
            s_acked = or->s_ok_bytes[j];
    uint64_t size = 0;
    rc = wk_blob_stream_size(b, BT_STREAM, &size);
    if (rc == WK_ENOTFOUND && s_acked == 0)
        size = 0;
    else if (rc != 0 || size < s_acked || size > or->s_tried)
        fail_msg("%s: stream size %llu (%s), acked %llu, tried %llu", what,
                 (unsigned long long)size, wk_errname(rc),
                 (unsigned long long)s_acked, (unsigned long long) or->s_tried);
    if (size > 0) {
        uint8_t *s = malloc((size_t)size);
        size_t got = 0;
        rc = wk_blob_stream_read(b, BT_STREAM, 0, s, (size_t)size, &got);
        if (rc != 0 || got != size)
            fail_msg("%s: stream read: %s, got %zu of %llu (%s)", what,
                     wk_errname(rc), got, (unsigned long long)size,
                     wk_blob_errmsg(b));
        for (uint64_t x = 0; x < size; x++)
            if (s[x] != bt_stream_byte(x))
                fail_msg("%s: stream byte %llu is false", what,
                         (unsigned long long)x);
        free(s);
    }
    rc = wk_blob_close(b);
    if (rc != 0)
        fail_msg("%s: close after check: %s", what, wk_errname(rc));
}
