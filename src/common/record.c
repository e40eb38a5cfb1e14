/* Record framing (see record.h for the byte layout). */
#include "common/record.h"

#include <errno.h>

#include "common/byteorder.h"
#include "common/crc32c.h"
#include "walkit/errors.h"

uint32_t
wk__rec_salt_crc(uint64_t salt)
{
    uint8_t b[8];
    wk__put64(b, salt);
    return wk__crc32c(0, b, sizeof b);
}

void
wk__rec_put_header(uint8_t *hdr, const wk__rec *r)
{
    wk__put32(hdr, 0);
    hdr[4] = r->type;
    hdr[5] = r->flags;
    wk__put16(hdr + 6, r->aux16);
    wk__put32(hdr + 8, r->len);
    wk__put32(hdr + 12, r->aux);
    wk__put64(hdr + 16, r->seq);
}

uint32_t
wk__rec_crc_begin(uint32_t salt_crc, const uint8_t *hdr)
{
    return wk__crc32c(salt_crc, hdr + 4, WK__REC_HDR - 4);
}

void
wk__rec_seal(uint8_t *rec, uint32_t salt_crc)
{
    uint32_t len = wk__get32(rec + 8);
    uint32_t crc = wk__crc32c(salt_crc, rec + 4, WK__REC_HDR - 4 + (size_t)len);
    wk__put32(rec, crc);
}

void
wk__rec_peek(const uint8_t *buf, wk__rec *out)
{
    out->type = buf[4];
    out->flags = buf[5];
    out->aux16 = wk__get16(buf + 6);
    out->len = wk__get32(buf + 8);
    out->aux = wk__get32(buf + 12);
    out->seq = wk__get64(buf + 16);
}

int
wk__rec_check(const uint8_t *buf, size_t avail, uint32_t salt_crc,
              uint32_t max_len, wk__rec *out)
{
    if (avail < WK__REC_HDR)
        return -EAGAIN;
    wk__rec_peek(buf, out);
    if (out->type == 0 || out->len > max_len)
        return WK_ECORRUPT;
    if (avail - WK__REC_HDR < out->len)
        return -EAGAIN;
    uint32_t crc =
        wk__crc32c(salt_crc, buf + 4, WK__REC_HDR - 4 + (size_t)out->len);
    if (crc != wk__get32(buf))
        return WK_ECORRUPT;
    return 0;
}
