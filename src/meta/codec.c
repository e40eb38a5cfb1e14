/* wk_meta batches: building them, encoding them as wk_log entries
 * (optionally zstd-compressed), validating and decoding them. The entry
 * layout is described in meta.c and docs/format/meta.md. */
#include <errno.h>
#include <string.h>
#include <zstd.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "meta/meta_int.h"

/* ---- zstd contexts ---------------------------------------------------- */

void
wk__zpool_init(wk__zpool *z)
{
    memset(z, 0, sizeof *z);
    pthread_mutex_init(&z->mu, NULL);
}

void
wk__zpool_destroy(wk__zpool *z)
{
    for (int i = 0; i < z->nfree; i++)
        ZSTD_freeCCtx(z->free_cctx[i]);
    ZSTD_freeDCtx(z->dctx);
    pthread_mutex_destroy(&z->mu);
}

int
wk__zpool_compress(wk__zpool *z, int level, const void *src, size_t len,
                   uint8_t **dst, size_t *dlen)
{
    if (level <= 0 || len < 128)
        return 0;
    ZSTD_CCtx *c = NULL;
    pthread_mutex_lock(&z->mu);
    if (z->nfree > 0)
        c = z->free_cctx[--z->nfree];
    pthread_mutex_unlock(&z->mu);
    if (c == NULL && (c = ZSTD_createCCtx()) == NULL)
        return WK_ENOMEM;
    size_t bound = ZSTD_compressBound(len);
    uint8_t *out = wk__malloc(bound);
    int rc = WK_ENOMEM;
    if (out != NULL) {
        size_t n = ZSTD_compressCCtx(c, out, bound, src, len, level);
        if (ZSTD_isError(n) || n > len - len / 8) {
            wk__free(out);
            rc = 0;
        } else {
            *dst = out;
            *dlen = n;
            rc = 1;
        }
    }
    pthread_mutex_lock(&z->mu);
    if (z->nfree < (int)(sizeof z->free_cctx / sizeof z->free_cctx[0])) {
        z->free_cctx[z->nfree++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&z->mu);
    ZSTD_freeCCtx(c);
    return rc;
}

int
wk__zdecompress(wk__zpool *z, const void *src, size_t len, void *dst,
                size_t raw_len)
{
    unsigned long long fsz = ZSTD_getFrameContentSize(src, len);
    if (fsz == ZSTD_CONTENTSIZE_ERROR || fsz != raw_len)
        return WK_ECORRUPT;
    size_t n;
    if (z == NULL) {
        ZSTD_DCtx *d = ZSTD_createDCtx();
        if (d == NULL)
            return WK_ENOMEM;
        n = ZSTD_decompressDCtx(d, dst, raw_len, src, len);
        ZSTD_freeDCtx(d);
    } else {
        pthread_mutex_lock(&z->mu);
        if (z->dctx == NULL)
            z->dctx = ZSTD_createDCtx();
        if (z->dctx == NULL) {
            pthread_mutex_unlock(&z->mu);
            return WK_ENOMEM;
        }
        n = ZSTD_decompressDCtx(z->dctx, dst, raw_len, src, len);
        pthread_mutex_unlock(&z->mu);
    }
    if (ZSTD_isError(n) || n != raw_len)
        return WK_ECORRUPT;
    return 0;
}

/* ---- building batches ------------------------------------------------- */

int
wk_meta_batch_new(wk_meta *m, wk_meta_batch **out)
{
    if (m == NULL || out == NULL)
        return -EINVAL;
    wk_meta_batch *b = wk__calloc(1, sizeof *b);
    if (b == NULL)
        return wk__meta_fail(m, WK_ENOMEM, "new batch");
    b->cap = 256;
    b->buf = wk__malloc(b->cap);
    if (b->buf == NULL) {
        wk__free(b);
        return wk__meta_fail(m, WK_ENOMEM, "new batch");
    }
    b->m = m;
    b->len = META_ENTRY_HDR;
    b->max_bytes = wk__meta_max_bytes(m);
    b->max_batch = wk__meta_max_batch(m);
    *out = b;
    return 0;
}

static int
batch_room(wk_meta_batch *b, size_t n)
{
    if (b->len + n > b->max_batch || b->nops == UINT32_MAX)
        return -E2BIG;
    if (b->len + n <= b->cap)
        return 0;
    size_t ncap = b->cap;
    while (ncap < b->len + n)
        ncap *= 2;
    uint8_t *nb = wk__realloc(b->buf, ncap);
    if (nb == NULL)
        return wk__meta_fail(b->m, WK_ENOMEM, "grow batch");
    b->buf = nb;
    b->cap = ncap;
    return 0;
}

int
wk_meta_batch_put(wk_meta_batch *b, uint64_t key, uint64_t value,
                  const void *bytes, size_t len)
{
    if (b == NULL || (bytes == NULL && len > 0))
        return -EINVAL;
    if (len > b->max_bytes)
        return -E2BIG;
    int rc = batch_room(b, META_PUT_HDR + len);
    if (rc != 0)
        return rc;
    uint8_t *p = b->buf + b->len;
    p[0] = META_OP_PUT;
    wk__put64(p + 1, key);
    wk__put64(p + 9, value);
    wk__put32(p + 17, (uint32_t)len);
    if (len > 0)
        memcpy(p + META_PUT_HDR, bytes, len);
    b->len += META_PUT_HDR + len;
    b->nops++;
    return 0;
}

int
wk_meta_batch_del(wk_meta_batch *b, uint64_t key)
{
    if (b == NULL)
        return -EINVAL;
    int rc = batch_room(b, META_DEL_HDR);
    if (rc != 0)
        return rc;
    uint8_t *p = b->buf + b->len;
    p[0] = META_OP_DEL;
    wk__put64(p + 1, key);
    b->len += META_DEL_HDR;
    b->nops++;
    return 0;
}

size_t
wk_meta_batch_count(const wk_meta_batch *b)
{
    return b == NULL ? 0 : b->nops;
}

void
wk_meta_batch_clear(wk_meta_batch *b)
{
    if (b == NULL)
        return;
    b->len = META_ENTRY_HDR;
    b->nops = 0;
}

void
wk_meta_batch_free(wk_meta_batch *b)
{
    if (b == NULL)
        return;
    wk__free(b->buf);
    wk__free(b);
}

/* ---- entries ----------------------------------------------------------- */

static void
entry_header(uint8_t *h, uint8_t codec, uint32_t nops, uint32_t raw)
{
    h[0] = META_KIND_BATCH;
    h[1] = META_ENTRY_VERSION;
    h[2] = codec;
    h[3] = 0;
    wk__put32(h + 4, nops);
    wk__put32(h + 8, raw);
    wk__put32(h + 12, 0);
}

int
wk__batch_encode(const wk_meta_batch *b, wk__zpool *z, int level, uint8_t *hdr,
                 const uint8_t **body, size_t *blen, int *owned)
{
    size_t raw = b->len - META_ENTRY_HDR;
    uint8_t *c = NULL;
    size_t clen = 0;
    int rc =
        wk__zpool_compress(z, level, b->buf + META_ENTRY_HDR, raw, &c, &clen);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        entry_header(hdr, META_CODEC_ZSTD, b->nops, (uint32_t)raw);
        *body = c;
        *blen = clen;
        *owned = 1;
        return 0;
    }
    entry_header(hdr, META_CODEC_RAW, b->nops, (uint32_t)raw);
    *body = b->buf + META_ENTRY_HDR;
    *blen = raw;
    *owned = 0;
    return 0;
}

/* Checks every op of body (two passes: validate all, then call fn). */
static int
body_walk(const uint8_t *p, size_t n, uint32_t nops, uint32_t max_bytes,
          wk__mop_fn fn, void *arg)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t off = 0;
        for (uint32_t i = 0; i < nops; i++) {
            wk__mop op;
            memset(&op, 0, sizeof op);
            if (off >= n)
                return WK_ECORRUPT;
            op.op = p[off];
            if (op.op == META_OP_PUT) {
                if (n - off < META_PUT_HDR)
                    return WK_ECORRUPT;
                op.key = wk__get64(p + off + 1);
                op.value = wk__get64(p + off + 9);
                op.len = wk__get32(p + off + 17);
                if (op.len > max_bytes || op.len > n - off - META_PUT_HDR)
                    return WK_ECORRUPT;
                op.bytes = p + off + META_PUT_HDR;
                off += META_PUT_HDR + op.len;
            } else if (op.op == META_OP_DEL) {
                if (n - off < META_DEL_HDR)
                    return WK_ECORRUPT;
                op.key = wk__get64(p + off + 1);
                off += META_DEL_HDR;
            } else {
                return WK_ECORRUPT;
            }
            if (pass == 1 && fn != NULL) {
                int rc = fn(arg, &op);
                if (rc != 0)
                    return rc;
            }
        }
        if (off != n)
            return WK_ECORRUPT;
    }
    return 0;
}

int
wk__batch_decode(wk__zpool *z, const void *data, size_t len, uint32_t max_bytes,
                 uint64_t max_raw, wk__mop_fn fn, void *arg, uint32_t *nops_out)
{
    const uint8_t *h = data;
    if (len < META_ENTRY_HDR)
        return WK_ECORRUPT;
    if (h[0] != META_KIND_BATCH || h[1] != META_ENTRY_VERSION)
        return WK_EFORMAT;
    uint8_t codec = h[2];
    uint32_t nops = wk__get32(h + 4);
    uint32_t raw = wk__get32(h + 8);
    if (h[3] != 0 || wk__get32(h + 12) != 0 || raw > max_raw)
        return WK_ECORRUPT;
    /* Each op takes at least META_DEL_HDR bytes. */
    if ((uint64_t)nops * META_DEL_HDR > raw)
        return WK_ECORRUPT;
    const uint8_t *body = h + META_ENTRY_HDR;
    size_t blen = len - META_ENTRY_HDR;
    int rc;
    if (nops_out != NULL)
        *nops_out = nops;
    if (codec == META_CODEC_RAW) {
        if (blen != raw)
            return WK_ECORRUPT;
        return body_walk(body, blen, nops, max_bytes, fn, arg);
    }
    if (codec != META_CODEC_ZSTD)
        return WK_EFORMAT;
    if (raw == 0)
        return WK_ECORRUPT;
    uint8_t *buf = wk__malloc(raw);
    if (buf == NULL)
        return WK_ENOMEM;
    rc = wk__zdecompress(z, body, blen, buf, raw);
    if (rc == 0)
        rc = body_walk(buf, raw, nops, max_bytes, fn, arg);
    wk__free(buf);
    return rc;
}
