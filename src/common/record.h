/* The record framing shared by every walkit file format (log segments,
 * journal, ring). Written once, here.
 *
 * A record is a 24-byte header followed by len payload bytes:
 *
 *   offset size field
 *    0      4   crc    CRC32C over header bytes 4..23 and the payload,
 *                      continued from salt_crc = CRC32C of the file's 8-byte
 *                      salt (little-endian). So a record copied from a file
 *                      with another salt (a reused segment, an older journal
 *                      lap) never validates.
 *    4      1   type   component-defined, never 0 (zero-filled space is
 *                      never a record)
 *    5      1   flags  component-defined
 *    6      2   aux16  component-defined
 *    8      4   len    payload bytes; bounded by the caller's max_len before
 *                      anything is allocated or read
 *   12      4   aux    component-defined
 *   16      8   seq    sequence number (component-defined meaning: frame
 *                      number in the log, transaction sequence in the
 *                      journal)
 *
 * All integers little-endian. No alignment padding between records.
 */
#ifndef WK_COMMON_RECORD_H
#define WK_COMMON_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define WK__REC_HDR 24u

typedef struct wk__rec {
    uint8_t type;
    uint8_t flags;
    uint16_t aux16;
    uint32_t len;
    uint32_t aux;
    uint64_t seq;
} wk__rec;

/* CRC32C of the 8-byte little-endian salt: the seed of every record CRC in
 * that file. Compute once per file. */
uint32_t wk__rec_salt_crc(uint64_t salt);

/* Writes the header fields (all but crc) of r into hdr[0..24). */
void wk__rec_put_header(uint8_t *hdr, const wk__rec *r);

/* Given a record laid out contiguously at rec (header fields written by
 * wk__rec_put_header, then the payload of the header's len), computes its
 * CRC and stores it at rec[0..4). */
void wk__rec_seal(uint8_t *rec, uint32_t salt_crc);

/* Decodes the header at buf without checking the CRC (for diagnostics and
 * for telling a torn record from stale bytes). */
void wk__rec_peek(const uint8_t *buf, wk__rec *out);

/* Validates the record at buf, of which avail bytes are readable.
 * Returns:
 *   0            valid; *out filled; the record spans WK__REC_HDR + out->len
 *   -EAGAIN      header plausible (type != 0, len <= max_len) but fewer than
 *                WK__REC_HDR + len bytes available (or avail < WK__REC_HDR):
 *                read more, or, at end of file, a torn record
 *   WK_ECORRUPT  not a valid record (type 0, len > max_len, CRC mismatch)
 * out is filled (unverified) in every case where avail >= WK__REC_HDR. */
int wk__rec_check(const uint8_t *buf, size_t avail, uint32_t salt_crc,
                  uint32_t max_len, wk__rec *out);

/* CRC of a record whose payload is not contiguous with its header: start
 * with wk__rec_crc_begin(salt_crc, hdr), extend with wk__crc32c(crc, part,
 * n) over the payload parts, and store the result with wk__put32(hdr, crc). */
uint32_t wk__rec_crc_begin(uint32_t salt_crc, const uint8_t *hdr);

#endif
