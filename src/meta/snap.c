/* wk_meta snapshots: a streaming reader (one frame in memory at a time)
 * that validates everything before trusting it, and a writer that merges
 * the previous snapshot with a delta map into a new generation, made
 * durable with tmp -> fsync -> rename -> fsync dir. Layout: meta.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "common/crc32c.h"
#include "common/record.h"
#include "meta/meta_int.h"

#define SNAP_END_LEN 24u

void
wk__snap_name(char *buf, size_t cap, uint64_t gen)
{
    snprintf(buf, cap, "snap-%016" PRIx64 ".wks", gen);
}

int
wk__snap_parse_name(const char *name, uint64_t *gen)
{
    if (strncmp(name, "snap-", 5) != 0)
        return 0;
    uint64_t g = 0;
    const char *p = name + 5;
    for (int i = 0; i < 16; i++, p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else
            return 0;
        g = g << 4 | (uint64_t)d;
    }
    int kind;
    if (strcmp(p, ".wks") == 0)
        kind = 1;
    else if (strcmp(p, ".wks.tmp") == 0)
        kind = 2;
    else
        return 0;
    *gen = g;
    return kind;
}

/* ---- reader ----------------------------------------------------------- */

typedef struct snap_rd {
    wk_file *f;         /* file source, or */
    const uint8_t *img; /* memory source */
    uint64_t size, off;
    uint32_t salt_crc;
    wk__snap_info info;
    wk__zpool *z;
    uint8_t *frame; /* current frame (header + payload) */
    size_t frame_cap;
    uint8_t *raw; /* decoded items of the current frame */
    size_t raw_cap, raw_len, raw_pos;
    uint32_t left;  /* items left in the current frame */
    uint64_t seq;   /* next expected frame seq */
    uint64_t count; /* items returned */
    uint64_t last_key;
    int done;
    char *msg;
    size_t msgcap;
} snap_rd;

static int
rd_fail(snap_rd *r, int rc, const char *why)
{
    if (r->msg != NULL)
        snprintf(r->msg, r->msgcap,
                 "%s at offset %" PRIu64 " (frame %" PRIu64 ")", why, r->off,
                 r->seq);
    return rc;
}

static int
rd_read(snap_rd *r, void *buf, size_t n, uint64_t off)
{
    if (off > r->size || n > r->size - off)
        return -ENODATA;
    if (r->img != NULL) {
        memcpy(buf, r->img + off, n);
        return 0;
    }
    return wk_file_pread_full(r->f, buf, n, off);
}

static int
rd_open(snap_rd *r, uint64_t gen)
{
    uint8_t h[META_SNAP_HDR];
    if (r->size < META_SNAP_HDR)
        return rd_fail(r, WK_ECORRUPT, "snapshot shorter than its header");
    int rc = rd_read(r, h, sizeof h, 0);
    if (rc != 0)
        return rd_fail(r, rc, "read snapshot header");
    if (memcmp(h, META_SNAP_MAGIC, 8) != 0)
        return rd_fail(r, WK_ECORRUPT, "bad snapshot magic");
    if (wk__crc32c(0, h, 56) != wk__get32(h + 56) || wk__get32(h + 60) != 0)
        return rd_fail(r, WK_ECORRUPT, "snapshot header checksum mismatch");
    if (wk__get32(h + 8) != META_SNAP_VERSION)
        return rd_fail(r, WK_EFORMAT, "unsupported snapshot format version");
    if (wk__get32(h + 12) != 0)
        return rd_fail(r, WK_EFORMAT, "unknown snapshot flags");
    r->info.salt = wk__get64(h + 16);
    r->info.gen = wk__get64(h + 24);
    r->info.lsn = wk__get64(h + 32);
    r->info.items = wk__get64(h + 40);
    r->info.frames = wk__get64(h + 48);
    r->info.file_bytes = r->size;
    if (r->info.gen != gen)
        return rd_fail(r, WK_ECORRUPT,
                       "snapshot generation does not match its name");
    r->salt_crc = wk__rec_salt_crc(r->info.salt);
    r->off = META_SNAP_HDR;
    r->seq = 1;
    return 0;
}

static int
rd_frame(snap_rd *r)
{
    uint8_t h[WK__REC_HDR];
    if (r->size - r->off < WK__REC_HDR)
        return rd_fail(r, WK_ECORRUPT, "snapshot truncated (no end frame)");
    int rc = rd_read(r, h, sizeof h, r->off);
    if (rc != 0)
        return rd_fail(r, rc, "read snapshot frame");
    wk__rec rec;
    wk__rec_peek(h, &rec);
    uint64_t max_len = 4 + ZSTD_compressBound(META_SNAP_MAX_RAW);
    if (rec.len > max_len || rec.len > r->size - r->off - WK__REC_HDR)
        return rd_fail(r, WK_ECORRUPT, "snapshot frame length out of bounds");
    size_t need = WK__REC_HDR + rec.len;
    if (need > r->frame_cap) {
        uint8_t *nb = wk__realloc(r->frame, need);
        if (nb == NULL)
            return WK_ENOMEM;
        r->frame = nb;
        r->frame_cap = need;
    }
    rc = rd_read(r, r->frame, need, r->off);
    if (rc != 0)
        return rd_fail(r, rc, "read snapshot frame");
    if (wk__rec_check(r->frame, need, r->salt_crc, (uint32_t)max_len, &rec) !=
        0)
        return rd_fail(r, WK_ECORRUPT, "snapshot frame checksum mismatch");
    if (rec.seq != r->seq || rec.flags != 0)
        return rd_fail(r, WK_ECORRUPT, "snapshot frame out of sequence");
    const uint8_t *p = r->frame + WK__REC_HDR;
    if (rec.type == META_SNAP_END) {
        if (rec.len != SNAP_END_LEN || rec.aux16 != 0 || rec.aux != 0)
            return rd_fail(r, WK_ECORRUPT, "bad snapshot end frame");
        if (wk__get64(p) != r->info.items || r->count != r->info.items ||
            wk__get64(p + 8) != r->info.frames ||
            r->seq - 1 != r->info.frames || wk__get64(p + 16) != r->info.lsn)
            return rd_fail(r, WK_ECORRUPT,
                           "snapshot end frame disagrees with its content");
        r->off += need;
        if (r->off != r->size)
            return rd_fail(r, WK_ECORRUPT, "bytes after the snapshot end");
        r->done = 1;
        return 0;
    }
    if (rec.type != META_SNAP_ITEMS || rec.len < 4 || rec.aux == 0 ||
        rec.aux16 > META_CODEC_ZSTD)
        return rd_fail(r, WK_ECORRUPT, "bad snapshot frame header");
    uint32_t raw = wk__get32(p);
    if (raw > META_SNAP_MAX_RAW || (uint64_t)rec.aux * META_ITEM_HDR > raw)
        return rd_fail(r, WK_ECORRUPT, "snapshot frame size out of bounds");
    if (raw > r->raw_cap) {
        uint8_t *nb = wk__realloc(r->raw, raw);
        if (nb == NULL)
            return WK_ENOMEM;
        r->raw = nb;
        r->raw_cap = raw;
    }
    if (rec.aux16 == META_CODEC_RAW) {
        if (rec.len - 4 != raw)
            return rd_fail(r, WK_ECORRUPT, "snapshot frame size mismatch");
        memcpy(r->raw, p + 4, raw);
    } else {
        rc = wk__zdecompress(r->z, p + 4, rec.len - 4, r->raw, raw);
        if (rc != 0)
            return rd_fail(r, rc, "snapshot frame does not decompress");
    }
    r->raw_len = raw;
    r->raw_pos = 0;
    r->left = rec.aux;
    r->off += need;
    r->seq++;
    return 0;
}

/* Next item: 1 with *it filled (bytes valid until the next call), 0 at
 * the (validated) end, < 0 on error. */
static int
rd_next(snap_rd *r, wk__mop *it)
{
    while (r->left == 0) {
        if (r->raw_pos != r->raw_len)
            return rd_fail(r, WK_ECORRUPT, "snapshot frame has extra bytes");
        if (r->done)
            return 0;
        int rc = rd_frame(r);
        if (rc != 0)
            return rc;
    }
    size_t avail = r->raw_len - r->raw_pos;
    const uint8_t *p = r->raw + r->raw_pos;
    if (avail < META_ITEM_HDR)
        return rd_fail(r, WK_ECORRUPT, "snapshot item truncated");
    it->op = META_OP_PUT;
    it->key = wk__get64(p);
    it->value = wk__get64(p + 8);
    it->len = wk__get32(p + 16);
    if (it->len > WK_META_MAX_BYTES_LIMIT || it->len > avail - META_ITEM_HDR)
        return rd_fail(r, WK_ECORRUPT, "snapshot item length out of bounds");
    if (r->count > 0 && it->key <= r->last_key)
        return rd_fail(r, WK_ECORRUPT, "snapshot keys out of order");
    it->bytes = p + META_ITEM_HDR;
    r->raw_pos += META_ITEM_HDR + it->len;
    r->left--;
    r->last_key = it->key;
    r->count++;
    r->info.bytes += it->len;
    return 1;
}

static void
rd_close(snap_rd *r)
{
    wk__free(r->frame);
    wk__free(r->raw);
    if (r->f != NULL)
        wk_file_close(r->f);
    r->f = NULL;
}

static int
rd_all(snap_rd *r, uint64_t gen, wk__snap_item_fn fn, void *arg,
       wk__snap_info *info)
{
    int rc = rd_open(r, gen);
    if (rc == 0 && info != NULL)
        *info = r->info; /* header fields, before any item */
    while (rc == 0) {
        wk__mop it;
        rc = rd_next(r, &it);
        if (rc == 1)
            rc = fn != NULL ? fn(arg, it.key, it.value, it.bytes, it.len) : 0;
        else if (rc == 0)
            break;
    }
    if (rc == 0 && info != NULL)
        *info = r->info;
    return rc;
}

int
wk__snap_parse(const uint8_t *img, size_t len, uint64_t gen, wk__zpool *z,
               wk__snap_item_fn fn, void *arg, wk__snap_info *info, char *msg,
               size_t msgcap)
{
    snap_rd r;
    memset(&r, 0, sizeof r);
    r.img = img;
    r.size = len;
    r.z = z;
    r.msg = msg;
    r.msgcap = msgcap;
    int rc = rd_all(&r, gen, fn, arg, info);
    rd_close(&r);
    return rc;
}

static int
rd_open_file(snap_rd *r, wk_vfs *vfs, const char *path, wk__zpool *z, char *msg,
             size_t msgcap)
{
    memset(r, 0, sizeof *r);
    r->z = z;
    r->msg = msg;
    r->msgcap = msgcap;
    int rc = vfs->open(vfs, path, WK_O_RDONLY, &r->f);
    if (rc != 0) {
        r->f = NULL;
        if (msg != NULL)
            snprintf(msg, msgcap, "open snapshot: %s", wk_strerror(rc));
        return rc;
    }
    rc = wk_file_size(r->f, &r->size);
    if (rc != 0 && msg != NULL)
        snprintf(msg, msgcap, "size of snapshot: %s", wk_strerror(rc));
    return rc;
}

int
wk__snap_read(wk_vfs *vfs, const char *path, uint64_t gen, wk__zpool *z,
              wk__snap_item_fn fn, void *arg, wk__snap_info *info, char *msg,
              size_t msgcap)
{
    snap_rd r;
    int rc = rd_open_file(&r, vfs, path, z, msg, msgcap);
    if (rc == 0)
        rc = rd_all(&r, gen, fn, arg, info);
    rd_close(&r);
    return rc;
}

/* ---- writer ----------------------------------------------------------- */

typedef struct snap_wr {
    wk_file *f;
    uint64_t off;
    uint32_t salt_crc;
    uint64_t seq, items, bytes;
    wk__zpool *z;
    int level;
    uint8_t *raw;
    size_t raw_len, raw_cap;
    uint32_t nraw;
} snap_wr;

static int
wr_frame(snap_wr *w, uint8_t type, uint16_t codec, uint32_t aux,
         const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t len = alen + blen;
    uint8_t *rec = wk__malloc(WK__REC_HDR + len);
    if (rec == NULL)
        return WK_ENOMEM;
    wk__rec r = {.type = type,
                 .flags = 0,
                 .aux16 = codec,
                 .len = (uint32_t)len,
                 .aux = aux,
                 .seq = w->seq};
    wk__rec_put_header(rec, &r);
    memcpy(rec + WK__REC_HDR, a, alen);
    if (blen > 0)
        memcpy(rec + WK__REC_HDR + alen, b, blen);
    wk__rec_seal(rec, w->salt_crc);
    int rc = wk_file_pwrite(w->f, rec, WK__REC_HDR + len, w->off);
    wk__free(rec);
    if (rc != 0)
        return rc;
    w->off += WK__REC_HDR + len;
    w->seq++;
    return 0;
}

static int
wr_flush(snap_wr *w)
{
    if (w->nraw == 0)
        return 0;
    uint8_t pre[4];
    wk__put32(pre, (uint32_t)w->raw_len);
    uint8_t *c = NULL;
    size_t clen = 0;
    int rc = wk__zpool_compress(w->z, w->level, w->raw, w->raw_len, &c, &clen);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        rc = wr_frame(w, META_SNAP_ITEMS, META_CODEC_ZSTD, w->nraw, pre, 4, c,
                      clen);
        wk__free(c);
    } else {
        rc = wr_frame(w, META_SNAP_ITEMS, META_CODEC_RAW, w->nraw, pre, 4,
                      w->raw, w->raw_len);
    }
    w->raw_len = 0;
    w->nraw = 0;
    return rc;
}

static int
wr_item(snap_wr *w, uint64_t key, uint64_t value, const uint8_t *bytes,
        uint32_t len)
{
    size_t need = META_ITEM_HDR + len;
    if (w->raw_len + need > w->raw_cap) {
        size_t ncap = w->raw_len + need;
        if (ncap < META_SNAP_FRAME_RAW + META_ITEM_HDR)
            ncap = META_SNAP_FRAME_RAW + META_ITEM_HDR;
        uint8_t *nb = wk__realloc(w->raw, ncap);
        if (nb == NULL)
            return WK_ENOMEM;
        w->raw = nb;
        w->raw_cap = ncap;
    }
    uint8_t *p = w->raw + w->raw_len;
    wk__put64(p, key);
    wk__put64(p + 8, value);
    wk__put32(p + 16, len);
    if (len > 0)
        memcpy(p + META_ITEM_HDR, bytes, len);
    w->raw_len += need;
    w->nraw++;
    w->items++;
    w->bytes += len;
    if (w->raw_len >= META_SNAP_FRAME_RAW)
        return wr_flush(w);
    return 0;
}

/* Merges old (sorted, validated as read) with the sorted delta keys. */
static int
wr_merge(snap_wr *w, snap_rd *old, const wk__map *delta, char *msg,
         size_t msgcap)
{
    uint64_t *keys = NULL, nkeys = 0, ki = 0;
    int rc = wk__map_sorted_keys(delta, 0, &keys, &nkeys);
    if (rc != 0)
        return rc;
    wk__mop it;
    int have = 0;
    if (old != NULL) {
        rc = rd_next(old, &it);
        if (rc < 0)
            goto out;
        have = rc;
    }
    for (;;) {
        if (ki < nkeys && (!have || keys[ki] <= it.key)) {
            const wk__mslot *s = wk__map_find(delta, keys[ki]);
            if (s->state == MAP_LIVE) {
                rc = wr_item(w, s->key, s->value, s->bytes, s->len);
                if (rc != 0)
                    goto out;
            }
            if (have && keys[ki] == it.key) {
                rc = rd_next(old, &it);
                if (rc < 0)
                    goto out;
                have = rc;
            }
            ki++;
        } else if (have) {
            rc = wr_item(w, it.key, it.value, it.bytes, it.len);
            if (rc != 0)
                goto out;
            rc = rd_next(old, &it);
            if (rc < 0)
                goto out;
            have = rc;
        } else {
            break;
        }
    }
    rc = 0;
out:
    if (rc < 0 && msg != NULL && msg[0] == '\0')
        snprintf(msg, msgcap, "merge snapshot: %s", wk_strerror(rc));
    wk__free(keys);
    return rc;
}

int
wk__snap_write(wk_vfs *vfs, const char *dir, uint64_t gen, uint64_t lsn,
               const char *old_path, uint64_t old_gen, const wk__map *delta,
               wk__zpool *z, int level, wk__snap_info *info, char *msg,
               size_t msgcap)
{
    char name[40], tname[48];
    wk__snap_name(name, sizeof name, gen);
    snprintf(tname, sizeof tname, "%s.tmp", name);
    char *path = wk__path_join(dir, name);
    char *tpath = wk__path_join(dir, tname);
    snap_wr w;
    snap_rd old;
    int have_old = 0, created = 0;
    memset(&w, 0, sizeof w);
    memset(&old, 0, sizeof old);
    int rc = WK_ENOMEM;
    if (msg != NULL)
        msg[0] = '\0';
    if (path == NULL || tpath == NULL)
        goto out_free;
    w.z = z;
    w.level = level;
    w.seq = 1;
    w.off = META_SNAP_HDR;
    uint64_t salt = 0;
    rc = vfs->random(vfs, &salt, sizeof salt);
    if (rc != 0) {
        snprintf(msg, msgcap, "random salt: %s", wk_strerror(rc));
        goto out_free;
    }
    w.salt_crc = wk__rec_salt_crc(salt);
    if (old_path != NULL) {
        rc = rd_open_file(&old, vfs, old_path, z, msg, msgcap);
        have_old = 1;
        if (rc == 0)
            rc = rd_open(&old, old_gen);
        if (rc != 0)
            goto out_free;
    }
    rc = vfs->open(vfs, tpath, WK_O_CREATE | WK_O_TRUNC | WK_O_RDWR, &w.f);
    if (rc != 0) {
        w.f = NULL;
        snprintf(msg, msgcap, "create '%s': %s", tpath, wk_strerror(rc));
        goto out_free;
    }
    created = 1;
    rc = wr_merge(&w, have_old ? &old : NULL, delta, msg, msgcap);
    if (rc == 0)
        rc = wr_flush(&w);
    uint64_t frames = w.seq - 1;
    if (rc == 0) {
        uint8_t end[SNAP_END_LEN];
        wk__put64(end, w.items);
        wk__put64(end + 8, frames);
        wk__put64(end + 16, lsn);
        rc = wr_frame(&w, META_SNAP_END, 0, 0, end, sizeof end, NULL, 0);
    }
    if (rc == 0) {
        uint8_t h[META_SNAP_HDR];
        memset(h, 0, sizeof h);
        memcpy(h, META_SNAP_MAGIC, 8);
        wk__put32(h + 8, META_SNAP_VERSION);
        wk__put64(h + 16, salt);
        wk__put64(h + 24, gen);
        wk__put64(h + 32, lsn);
        wk__put64(h + 40, w.items);
        wk__put64(h + 48, frames);
        wk__put32(h + 56, wk__crc32c(0, h, 56));
        rc = wk_file_pwrite(w.f, h, sizeof h, 0);
    }
    if (rc != 0) {
        if (msg[0] == '\0')
            snprintf(msg, msgcap, "write '%s': %s", tpath, wk_strerror(rc));
        goto out_close;
    }
    rc = wk_file_sync(w.f, WK_SYNC_FULL);
    if (rc != 0) {
        snprintf(msg, msgcap, "fsync '%s': %s", tpath, wk_strerror(rc));
        goto out_close;
    }
    rc = wk_file_close(w.f);
    w.f = NULL;
    if (rc != 0) {
        snprintf(msg, msgcap, "close '%s': %s", tpath, wk_strerror(rc));
        goto out_close;
    }
    rc = vfs->rename(vfs, tpath, path);
    if (rc != 0) {
        snprintf(msg, msgcap, "rename '%s': %s", tpath, wk_strerror(rc));
        goto out_close;
    }
    created = 0;
    rc = vfs->sync_dir(vfs, dir);
    if (rc != 0) {
        snprintf(msg, msgcap, "fsync directory '%s': %s", dir, wk_strerror(rc));
        goto out_close;
    }
    if (info != NULL) {
        memset(info, 0, sizeof *info);
        info->gen = gen;
        info->lsn = lsn;
        info->items = w.items;
        info->frames = frames;
        info->salt = salt;
        info->file_bytes = w.off;
        info->bytes = w.bytes;
    }
out_close:
    if (w.f != NULL)
        wk_file_close(w.f);
    if (created && rc != 0)
        vfs->unlink(vfs, tpath); /* best effort; open removes leftovers */
out_free:
    if (have_old)
        rd_close(&old);
    wk__free(w.raw);
    wk__free(path);
    wk__free(tpath);
    return rc;
}
