/* wk_blob command records: encoding and the validating decoder (the parser
 * fuzz/fuzz_blob.c exercises). Layouts in blob.c's design comment. */
#include <errno.h>
#include <string.h>

#include "blob/blob_internal.h"
#include "common/byteorder.h"

size_t
wk__brec_encode(const wk__brec *r, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    switch (r->type) {
    case WK__BREC_PUT:
        n = WK__BREC_PUT_LEN;
        if (cap < n)
            return 0;
        wk__put32(buf + 2, r->chunk);
        wk__put64(buf + 6, r->off);
        wk__put64(buf + 14, r->len);
        wk__put32(buf + 22, r->crc);
        wk__put64(buf + 26, r->tag);
        break;
    case WK__BREC_DEL:
        n = WK__BREC_DEL_LEN;
        if (cap < n)
            return 0;
        wk__put64(buf + 2, r->id);
        break;
    case WK__BREC_KVSET:
        if (r->klen == 0 || r->klen > WK_BLOB_MAX_KEY ||
            r->vlen > WK_BLOB_MAX_VALUE)
            return 0;
        n = WK__BREC_KV_HDR + (size_t)r->klen + r->vlen;
        if (cap < n)
            return 0;
        wk__put32(buf + 2, r->klen);
        wk__put32(buf + 6, r->vlen);
        memcpy(buf + WK__BREC_KV_HDR, r->key, r->klen);
        if (r->vlen > 0)
            memcpy(buf + WK__BREC_KV_HDR + r->klen, r->val, r->vlen);
        break;
    case WK__BREC_KVDEL:
        if (r->klen == 0 || r->klen > WK_BLOB_MAX_KEY)
            return 0;
        n = WK__BREC_KVDEL_HDR + (size_t)r->klen;
        if (cap < n)
            return 0;
        wk__put32(buf + 2, r->klen);
        memcpy(buf + WK__BREC_KVDEL_HDR, r->key, r->klen);
        break;
    case WK__BREC_SAPPEND:
        n = WK__BREC_SAPPEND_LEN;
        if (cap < n)
            return 0;
        wk__put64(buf + 2, r->stream);
        wk__put64(buf + 10, r->soff);
        wk__put32(buf + 18, r->chunk);
        wk__put64(buf + 22, r->off);
        wk__put64(buf + 30, r->len);
        wk__put32(buf + 38, r->crc);
        break;
    case WK__BREC_MOVE:
        n = WK__BREC_MOVE_LEN;
        if (cap < n)
            return 0;
        wk__put64(buf + 2, r->id);
        wk__put32(buf + 10, r->chunk);
        wk__put64(buf + 14, r->off);
        break;
    default:
        return 0;
    }
    buf[0] = (uint8_t)r->type;
    buf[1] = 0;
    return n;
}

/* An extent [off, off+len) of chunk number chunk: len 0 has no chunk;
 * otherwise it starts past the header and does not overflow. */
static int
brec_extent_ok(uint32_t chunk, uint64_t off, uint64_t len)
{
    if (len == 0)
        return chunk == 0 && off == 0;
    if (chunk == 0 || off < BLOB_CHUNK_HDR || off > BLOB_MAX_CHUNK ||
        len > BLOB_MAX_CHUNK - off)
        return 0;
    return 1;
}

int
wk__brec_decode(const uint8_t *p, size_t n, wk__brec *r)
{
    memset(r, 0, sizeof *r);
    if (p == NULL || n < 2 || p[1] != 0)
        return WK_ECORRUPT;
    r->type = p[0];
    switch (r->type) {
    case WK__BREC_PUT:
        if (n != WK__BREC_PUT_LEN)
            return WK_ECORRUPT;
        r->chunk = wk__get32(p + 2);
        r->off = wk__get64(p + 6);
        r->len = wk__get64(p + 14);
        r->crc = wk__get32(p + 22);
        r->tag = wk__get64(p + 26);
        if (!brec_extent_ok(r->chunk, r->off, r->len))
            return WK_ECORRUPT;
        if (r->len == 0 && r->crc != 0)
            return WK_ECORRUPT;
        return 0;
    case WK__BREC_DEL:
        if (n != WK__BREC_DEL_LEN)
            return WK_ECORRUPT;
        r->id = wk__get64(p + 2);
        return r->id == 0 ? WK_ECORRUPT : 0;
    case WK__BREC_KVSET: {
        if (n < WK__BREC_KV_HDR)
            return WK_ECORRUPT;
        uint32_t klen = wk__get32(p + 2), vlen = wk__get32(p + 6);
        if (klen == 0 || klen > WK_BLOB_MAX_KEY || vlen > WK_BLOB_MAX_VALUE)
            return WK_ECORRUPT;
        /* Both bounded above, so the sum cannot overflow. */
        if ((uint64_t)n != (uint64_t)WK__BREC_KV_HDR + klen + vlen)
            return WK_ECORRUPT;
        r->klen = klen;
        r->vlen = vlen;
        r->key = p + WK__BREC_KV_HDR;
        r->val = p + WK__BREC_KV_HDR + klen;
        return 0;
    }
    case WK__BREC_KVDEL: {
        if (n < WK__BREC_KVDEL_HDR)
            return WK_ECORRUPT;
        uint32_t klen = wk__get32(p + 2);
        if (klen == 0 || klen > WK_BLOB_MAX_KEY ||
            (uint64_t)n != (uint64_t)WK__BREC_KVDEL_HDR + klen)
            return WK_ECORRUPT;
        r->klen = klen;
        r->key = p + WK__BREC_KVDEL_HDR;
        return 0;
    }
    case WK__BREC_SAPPEND:
        if (n != WK__BREC_SAPPEND_LEN)
            return WK_ECORRUPT;
        r->stream = wk__get64(p + 2);
        r->soff = wk__get64(p + 10);
        r->chunk = wk__get32(p + 18);
        r->off = wk__get64(p + 22);
        r->len = wk__get64(p + 30);
        r->crc = wk__get32(p + 38);
        if (r->len == 0 || !brec_extent_ok(r->chunk, r->off, r->len))
            return WK_ECORRUPT;
        if (r->soff > UINT64_MAX - r->len)
            return WK_ECORRUPT;
        return 0;
    case WK__BREC_MOVE:
        /* The length is the object's: checked against it when applied. */
        if (n != WK__BREC_MOVE_LEN)
            return WK_ECORRUPT;
        r->id = wk__get64(p + 2);
        r->chunk = wk__get32(p + 10);
        r->off = wk__get64(p + 14);
        if (r->id == 0 || !brec_extent_ok(r->chunk, r->off, 1))
            return WK_ECORRUPT;
        return 0;
    default:
        return WK_ECORRUPT;
    }
}
