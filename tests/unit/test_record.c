/* Record framing (src/common/record.h): encode/seal/check round trip, every
 * single-bit corruption and a foreign salt are rejected, zero-filled space is
 * never a record, lengths are bounded before the payload is touched, short
 * buffers ask for more bytes, and the split CRC equals the sealed one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/byteorder.h"
#include "common/crc32c.h"
#include "common/record.h"
#include "wkt.h"

#define REC_SALT 0x0123456789ABCDEFull
#define REC_MAX 4096u

/* Lays out header + payload of r (r->len payload bytes from seed) at buf and
 * seals it. Returns the record size. */
static size_t
rec_build(uint8_t *buf, const wk__rec *r, uint64_t seed, uint32_t salt_crc)
{
    wk__rec_put_header(buf, r);
    wkt_fill(buf + WK__REC_HDR, r->len, seed);
    wk__rec_seal(buf, salt_crc);
    return WK__REC_HDR + r->len;
}

static wk__rec
rec_sample(uint32_t len)
{
    wk__rec r = {.type = 7,
                 .flags = 0xA5,
                 .aux16 = 0xBEEF,
                 .len = len,
                 .aux = 0xDEADBEEF,
                 .seq = 0x1122334455667788ull};
    return r;
}

static void
rec_assert_same(const wk__rec *got, const wk__rec *want)
{
    assert_int_equal(got->type, want->type);
    assert_int_equal(got->flags, want->flags);
    assert_int_equal(got->aux16, want->aux16);
    assert_int_equal(got->len, want->len);
    assert_int_equal(got->aux, want->aux);
    assert_int_equal(got->seq, want->seq);
}

/* A sealed record validates and decodes to the fields it was written with,
 * also when more bytes follow it. */
static void
test_round_trip(void **state)
{
    (void)state;
    uint32_t salt_crc = wk__rec_salt_crc(REC_SALT);
    uint8_t le[8];
    wk__put64(le, REC_SALT);
    assert_int_equal(salt_crc, wk__crc32c(0, le, 8));

    static const uint32_t lens[] = {0, 1, 7, 100, 1000, REC_MAX};
    uint8_t *buf = malloc(WK__REC_HDR + REC_MAX + 100);
    assert_non_null(buf);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        wk__rec r = rec_sample(lens[i]);
        r.seq += i;
        size_t n = rec_build(buf, &r, i, salt_crc);
        wk__rec out;
        memset(&out, 0, sizeof out);
        wkt_assert_ok(wk__rec_check(buf, n, salt_crc, REC_MAX, &out));
        rec_assert_same(&out, &r);
        memset(buf + n, 0xEE, 100); /* trailing bytes do not matter */
        wkt_assert_ok(wk__rec_check(buf, n + 100, salt_crc, REC_MAX, &out));
        rec_assert_same(&out, &r);
        /* The header is little-endian at the documented offsets. */
        assert_int_equal(buf[4], 7);
        assert_int_equal(wk__get32(buf + 8), lens[i]);
        assert_int_equal(wk__get64(buf + 16), r.seq);
        wk__rec peek;
        wk__rec_peek(buf, &peek);
        rec_assert_same(&peek, &r);
    }
    free(buf);
}

/* Flipping any one bit of the header (crc included) or payload makes the
 * record corrupt, when enough bytes are available that a changed length
 * cannot just ask for more. */
static void
test_bit_flip_anywhere_is_corrupt(void **state)
{
    (void)state;
    uint32_t salt_crc = wk__rec_salt_crc(REC_SALT);
    uint8_t *buf = calloc(1, WK__REC_HDR + 2 * REC_MAX);
    assert_non_null(buf);
    wk__rec r = rec_sample(200);
    size_t n = rec_build(buf, &r, 42, salt_crc);
    size_t avail = WK__REC_HDR + 2 * REC_MAX;
    wk__rec out;
    wkt_assert_ok(wk__rec_check(buf, avail, salt_crc, REC_MAX, &out));
    for (size_t bit = 0; bit < n * 8; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int rc = wk__rec_check(buf, avail, salt_crc, REC_MAX, &out);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (rc != WK_ECORRUPT)
            fail_msg("bit %zu (byte %zu) flipped: rc %d (%s), expected "
                     "WK_ECORRUPT",
                     bit, bit / 8, rc, wk_errname(rc));
    }
    wkt_assert_ok(wk__rec_check(buf, avail, salt_crc, REC_MAX, &out));
    free(buf);
}

/* A record sealed under one salt is corrupt under any other salt. */
static void
test_other_salt_is_corrupt(void **state)
{
    (void)state;
    uint8_t buf[WK__REC_HDR + 64];
    wk__rec r = rec_sample(64);
    size_t n = rec_build(buf, &r, 1, wk__rec_salt_crc(REC_SALT));
    wk__rec out;
    static const uint64_t salts[] = {
        0, 1, REC_SALT ^ 1, REC_SALT + 1, ~REC_SALT, REC_SALT << 1};
    for (size_t i = 0; i < sizeof salts / sizeof salts[0]; i++)
        wkt_assert_rc(
            wk__rec_check(buf, n, wk__rec_salt_crc(salts[i]), REC_MAX, &out),
            WK_ECORRUPT);
    wkt_assert_ok(
        wk__rec_check(buf, n, wk__rec_salt_crc(REC_SALT), REC_MAX, &out));
}

/* Zero-filled space never validates, whatever the salt and length, and a
 * record of type 0 is rejected even with a correct CRC. */
static void
test_zero_bytes_never_valid(void **state)
{
    (void)state;
    uint8_t zero[WK__REC_HDR + 256];
    memset(zero, 0, sizeof zero);
    static const uint64_t salts[] = {0, 1, REC_SALT, ~0ull};
    wk__rec out;
    for (size_t s = 0; s < sizeof salts / sizeof salts[0]; s++) {
        uint32_t salt_crc = wk__rec_salt_crc(salts[s]);
        for (size_t avail = 0; avail <= sizeof zero; avail++) {
            int rc = wk__rec_check(zero, avail, salt_crc, REC_MAX, &out);
            int want = avail < WK__REC_HDR ? -EAGAIN : WK_ECORRUPT;
            if (rc != want)
                fail_msg("salt %zu, %zu zero bytes: rc %d (%s), expected %s", s,
                         avail, rc, wk_errname(rc), wk_errname(want));
        }
        /* Also with the raw CRC seeds 0 and ~0. */
        wkt_assert_rc(wk__rec_check(zero, sizeof zero, 0, REC_MAX, &out),
                      WK_ECORRUPT);
        wkt_assert_rc(wk__rec_check(zero, sizeof zero, ~0u, REC_MAX, &out),
                      WK_ECORRUPT);
    }
    /* A sealed record of type 0 (correct CRC) is still not a record. */
    uint8_t buf[WK__REC_HDR + 8];
    wk__rec r = rec_sample(8);
    r.type = 0;
    size_t n = rec_build(buf, &r, 5, wk__rec_salt_crc(REC_SALT));
    wkt_assert_rc(
        wk__rec_check(buf, n, wk__rec_salt_crc(REC_SALT), REC_MAX, &out),
        WK_ECORRUPT);
}

/* A length above max_len is corrupt, decided from the header alone: the
 * header sits just before an inaccessible page, so reading the payload would
 * crash the test. len == max_len is accepted. */
static void
test_len_over_max_is_corrupt_without_reading(void **state)
{
    (void)state;
    long pg = sysconf(_SC_PAGESIZE);
    assert_true(pg > 0);
    uint8_t *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
    uint8_t *hdr = map + pg - WK__REC_HDR;
    uint32_t salt_crc = wk__rec_salt_crc(REC_SALT);
    static const uint32_t maxes[] = {0,       1,           100,
                                     REC_MAX, 0x7FFFFFFFu, 0xFFFFFFFEu};
    wk__rec out;
    for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
        wk__rec r = rec_sample(maxes[i] + 1);
        wk__rec_put_header(hdr, &r);
        wk__put32(hdr, 0x12345678);
        /* avail claims the whole payload is there: only the bound stops. */
        int rc = wk__rec_check(hdr, WK__REC_HDR + (size_t)r.len + 1, salt_crc,
                               maxes[i], &out);
        if (rc != WK_ECORRUPT)
            fail_msg("len %u, max_len %u: rc %d (%s), expected WK_ECORRUPT",
                     (unsigned)r.len, (unsigned)maxes[i], rc, wk_errname(rc));
        assert_int_equal(out.len, r.len);
    }
    /* len == max_len passes the bound (and then validates). */
    uint8_t buf[WK__REC_HDR + 100];
    wk__rec r = rec_sample(100);
    size_t n = rec_build(buf, &r, 9, salt_crc);
    wkt_assert_ok(wk__rec_check(buf, n, salt_crc, 100, &out));
    wkt_assert_rc(wk__rec_check(buf, n, salt_crc, 99, &out), WK_ECORRUPT);
    munmap(map, (size_t)pg * 2);
}

/* Every truncation of a valid record asks for more bytes (-EAGAIN), and the
 * header is decoded as soon as it is complete. */
static void
test_truncated_is_eagain(void **state)
{
    (void)state;
    uint32_t salt_crc = wk__rec_salt_crc(REC_SALT);
    uint8_t buf[WK__REC_HDR + 300];
    wk__rec r = rec_sample(300);
    size_t n = rec_build(buf, &r, 77, salt_crc);
    for (size_t avail = 0; avail < n; avail++) {
        wk__rec out;
        memset(&out, 0, sizeof out);
        int rc = wk__rec_check(buf, avail, salt_crc, REC_MAX, &out);
        if (rc != -EAGAIN)
            fail_msg("%zu of %zu bytes: rc %d (%s), expected -EAGAIN", avail, n,
                     rc, wk_errname(rc));
        if (avail >= WK__REC_HDR)
            rec_assert_same(&out, &r);
    }
    wk__rec out;
    wkt_assert_ok(wk__rec_check(buf, n, salt_crc, REC_MAX, &out));
}

/* The CRC of a header plus a payload in separate pieces
 * (wk__rec_crc_begin, then wk__crc32c over the pieces) equals the sealed
 * CRC, and a record stored that way validates. */
static void
test_crc_begin_extend_equals_seal(void **state)
{
    (void)state;
    uint32_t salt_crc = wk__rec_salt_crc(REC_SALT);
    enum { LEN = 1500 };
    uint8_t sealed[WK__REC_HDR + LEN];
    wk__rec r = rec_sample(LEN);
    rec_build(sealed, &r, 123, salt_crc);
    uint32_t want = wk__get32(sealed);

    uint8_t payload[LEN];
    memcpy(payload, sealed + WK__REC_HDR, LEN);
    static const size_t cuts[] = {0, 1, 8, 24, 500, 777, LEN - 1, LEN};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        uint8_t hdr[WK__REC_HDR];
        wk__rec_put_header(hdr, &r);
        uint32_t crc = wk__rec_crc_begin(salt_crc, hdr);
        crc = wk__crc32c(crc, payload, cuts[i]);
        crc = wk__crc32c(crc, payload + cuts[i], LEN - cuts[i]);
        if (crc != want)
            fail_msg("payload split at %zu: crc 0x%08X, sealed 0x%08X", cuts[i],
                     (unsigned)crc, (unsigned)want);
        wk__put32(hdr, crc);
        uint8_t joined[WK__REC_HDR + LEN];
        memcpy(joined, hdr, WK__REC_HDR);
        memcpy(joined + WK__REC_HDR, payload, LEN);
        wk__rec out;
        wkt_assert_ok(
            wk__rec_check(joined, sizeof joined, salt_crc, REC_MAX, &out));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bit_flip_anywhere_is_corrupt),
        cmocka_unit_test(test_other_salt_is_corrupt),
        cmocka_unit_test(test_zero_bytes_never_valid),
        cmocka_unit_test(test_len_over_max_is_corrupt_without_reading),
        cmocka_unit_test(test_truncated_is_eagain),
        cmocka_unit_test(test_crc_begin_extend_equals_seal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
