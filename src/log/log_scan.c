/* wk_log frame scanner: reads a segment through a window buffer and
 * validates frames, never trusting a length from disk beyond the bytes
 * that exist (limit) and LOG_MAX_FRAME_LEN. */
#include <errno.h>
#include <string.h>

#include "common/alloc.h"
#include "common/byteorder.h"
#include "log/log_internal.h"

int
wk__scan_init(wk__scan *sc, wk_file *f, uint32_t salt_crc, size_t cap)
{
    memset(sc, 0, sizeof *sc);
    sc->f = f;
    sc->salt_crc = salt_crc;
    sc->buf = wk__malloc(cap);
    if (sc->buf == NULL)
        return WK_ENOMEM;
    sc->cap = cap;
    return 0;
}

void
wk__scan_reset(wk__scan *sc, wk_file *f, uint32_t salt_crc)
{
    sc->f = f;
    sc->salt_crc = salt_crc;
    sc->woff = 0;
    sc->wvalid = 0;
}

void
wk__scan_free(wk__scan *sc)
{
    wk__free(sc->buf);
    sc->buf = NULL;
    sc->cap = 0;
}

int
wk__scan_need(wk__scan *sc, uint64_t off, size_t n, uint64_t limit,
              const uint8_t **p)
{
    if (off > limit || n > limit - off)
        return -EAGAIN;
    if (off >= sc->woff && off + n <= sc->woff + sc->wvalid) {
        *p = sc->buf + (off - sc->woff);
        return 0;
    }
    if (n > sc->cap) {
        uint8_t *nb = wk__malloc(n);
        if (nb == NULL)
            return WK_ENOMEM;
        wk__free(sc->buf);
        sc->buf = nb;
        sc->cap = n;
    }
    size_t want = sc->cap;
    if (want > limit - off)
        want = (size_t)(limit - off);
    size_t got = 0;
    sc->wvalid = 0;
    int rc = wk_file_pread(sc->f, sc->buf, want, off, &got);
    if (rc != 0)
        return rc;
    sc->woff = off;
    sc->wvalid = got;
    if (got < n)
        return -EAGAIN;
    *p = sc->buf;
    return 0;
}

int
wk__scan_frame(wk__scan *sc, uint64_t off, uint64_t limit, wk__rec *r,
               const uint8_t **frame)
{
    const uint8_t *p = NULL;
    memset(r, 0, sizeof *r);
    int rc = wk__scan_need(sc, off, WK__REC_HDR, limit, &p);
    if (rc != 0)
        return rc;
    wk__rec_peek(p, r);
    if (r->type < LOG_FT_FULL || r->type > LOG_FT_MAX ||
        r->len > LOG_MAX_FRAME_LEN)
        return WK_ECORRUPT;
    if ((uint64_t)r->len > limit - off - WK__REC_HDR)
        return -EAGAIN;
    rc = wk__scan_need(sc, off, WK__REC_HDR + (size_t)r->len, limit, &p);
    if (rc != 0)
        return rc;
    rc =
        wk__rec_check(p, WK__REC_HDR + (size_t)r->len, sc->salt_crc, r->len, r);
    if (rc != 0)
        return rc == -EAGAIN ? -EAGAIN : WK_ECORRUPT;
    if (r->aux >= r->seq)
        return WK_ECORRUPT;
    if (r->type == LOG_FT_CLOSE && r->len != 0)
        return WK_ECORRUPT;
    if (r->type == LOG_FT_SKIP) {
        uint64_t to = r->len == LOG_SKIP_LEN ? wk__get64(p + WK__REC_HDR) : 0;
        if (to <= r->seq || to > LOG_MAX_FSN)
            return WK_ECORRUPT;
    }
    *frame = p;
    return 0;
}
