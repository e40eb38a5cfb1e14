/* CRC32C: a portable table path and an SSE4.2 hardware path, chosen once at
 * run time. Both return identical results. (Interface: crc32c.h.)
 *
 * Conventions. CRC32C uses the Castagnoli polynomial 0x1EDC6F41 in reflected
 * form (0x82F63B78): bit 0 of the register is the coefficient of the highest
 * power, bytes are fed least significant bit first. The register starts at
 * all ones and is inverted at the end; both functions take and return the
 * inverted ("finished") value, so a running CRC is continued by passing it
 * back in. Inside, everything works on the raw register.
 *
 * Software path: slicing-by-8. crc_tab[0] is the classic byte table;
 * crc_tab[k][b] is the register after feeding byte b followed by k zero
 * bytes, so eight bytes are folded with eight independent lookups.
 *
 * Hardware path: the SSE4.2 crc32 instruction folds 8 bytes into the raw
 * register. It has a latency of about 3 cycles and a throughput of one per
 * cycle, so one dependent chain runs at a third of the possible speed. For
 * long buffers the data is cut into chunks of three adjacent blocks of B
 * bytes; three independent chains run over the three blocks in the same loop
 * (chain 0 starts from the running register, chains 1 and 2 from zero), and
 * are merged at the end of each chunk.
 *
 * Merging. The raw register is linear over GF(2): feeding the message X||Y
 * from register r gives
 *     reg(r, X||Y) = Z_|Y|(reg(r, X)) ^ reg(0, Y)
 * where Z_n(v) = reg(v, n zero bytes) is a linear map on 32-bit vectors (a
 * 32x32 bit matrix). So a chunk with chain results c0, c1, c2 leaves
 *     Z_B(Z_B(c0) ^ c1) ^ c2.
 * Z_B is applied as four 256-entry tables, one per byte of its argument
 * (Z_B(v) = T0[v & 0xff] ^ T1[(v >> 8) & 0xff] ^ ...), which costs four loads
 * and is negligible next to the B / 8 crc32 instructions of a block. The
 * tables are built at first use from the matrix of one zero byte, raised to
 * the power B by repeated squaring. Two block sizes are used: 8 KiB for
 * buffers of 24 KiB and more, 256 B for what remains above 768 B; the rest
 * runs as a single chain.
 *
 * All tables are built once (pthread_once) and are read-only afterwards. */
#include "common/crc32c.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define CRC_POLY 0x82F63B78u

/* Hardware path block sizes (bytes per chain per chunk); multiples of 8. */
#define CRC_LONG 8192u
#define CRC_SHORT 256u

/* A linear map on the 32-bit raw register: col[i] is the image of bit i. */
typedef struct crc_op {
    uint32_t col[32];
} crc_op;

static uint32_t crc_tab[8][256];
static uint32_t crc_zlong[4][256];  /* Z_CRC_LONG, by byte of the input */
static uint32_t crc_zshort[4][256]; /* Z_CRC_SHORT */
static int crc_ready;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static uint32_t
crc_op_apply(const crc_op *m, uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; v != 0; i++, v >>= 1)
        if (v & 1)
            r ^= m->col[i];
    return r;
}

/* *out = a after b (out may alias a or b). */
static void
crc_op_compose(crc_op *out, const crc_op *a, const crc_op *b)
{
    crc_op t;
    for (int i = 0; i < 32; i++)
        t.col[i] = crc_op_apply(a, b->col[i]);
    *out = t;
}

/* *out = Z_n, the effect on the raw register of n zero bytes. */
static void
crc_op_zeros(crc_op *out, size_t n)
{
    crc_op pow; /* Z_1, then Z_2, Z_4, ... */
    for (int i = 0; i < 32; i++) {
        uint32_t c = (uint32_t)1 << i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC_POLY : c >> 1;
        pow.col[i] = c;
        out->col[i] = (uint32_t)1 << i; /* identity */
    }
    while (n != 0) {
        if (n & 1)
            crc_op_compose(out, &pow, out);
        n >>= 1;
        if (n != 0)
            crc_op_compose(&pow, &pow, &pow);
    }
}

static void
crc_zeros_table(uint32_t tab[4][256], size_t n)
{
    crc_op z;
    crc_op_zeros(&z, n);
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++)
            tab[k][b] = crc_op_apply(&z, b << (8 * k));
}

static void
crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC_POLY : c >> 1;
        crc_tab[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = crc_tab[0][n];
        for (int t = 1; t < 8; t++) {
            c = crc_tab[0][c & 0xff] ^ (c >> 8);
            crc_tab[t][n] = c;
        }
    }
    crc_zeros_table(crc_zlong, CRC_LONG);
    crc_zeros_table(crc_zshort, CRC_SHORT);
    __atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

static void
crc_ensure_tables(void)
{
    if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
        pthread_once(&crc_once, crc_init);
}

uint32_t
wk__crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    crc_ensure_tables();
    crc = ~crc;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc; /* the register meets the first four bytes */
        crc = crc_tab[7][w & 0xff] ^ crc_tab[6][(w >> 8) & 0xff] ^
              crc_tab[5][(w >> 16) & 0xff] ^ crc_tab[4][(w >> 24) & 0xff] ^
              crc_tab[3][(w >> 32) & 0xff] ^ crc_tab[2][(w >> 40) & 0xff] ^
              crc_tab[1][(w >> 48) & 0xff] ^ crc_tab[0][w >> 56];
        p += 8;
        len -= 8;
    }
#endif
    while (len--)
        crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)

/* Z(v) for a zero-block table built by crc_zeros_table. */
static inline uint32_t
crc_shift(const uint32_t tab[4][256], uint32_t v)
{
    return tab[0][v & 0xff] ^ tab[1][(v >> 8) & 0xff] ^
           tab[2][(v >> 16) & 0xff] ^ tab[3][v >> 24];
}

static inline uint64_t
crc_load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* Folds whole chunks of 3 x block bytes from *pp into the raw register c
 * with three interleaved chains; advances *pp and *lenp past them. */
__attribute__((target("sse4.2"))) static inline uint32_t
crc_hw_chunks(uint32_t c, const uint8_t **pp, size_t *lenp, size_t block,
              const uint32_t zeros[4][256])
{
    const uint8_t *p = *pp;
    size_t len = *lenp;

    while (len >= 3 * block) {
        uint64_t c0 = c, c1 = 0, c2 = 0;
        const uint8_t *end = p + block;
        do {
            c0 = _mm_crc32_u64(c0, crc_load64(p));
            c1 = _mm_crc32_u64(c1, crc_load64(p + block));
            c2 = _mm_crc32_u64(c2, crc_load64(p + 2 * block));
            c0 = _mm_crc32_u64(c0, crc_load64(p + 8));
            c1 = _mm_crc32_u64(c1, crc_load64(p + block + 8));
            c2 = _mm_crc32_u64(c2, crc_load64(p + 2 * block + 8));
            p += 16;
        } while (p < end);
        c = crc_shift(zeros, crc_shift(zeros, (uint32_t)c0) ^ (uint32_t)c1) ^
            (uint32_t)c2;
        p += 2 * block;
        len -= 3 * block;
    }
    *pp = p;
    *lenp = len;
    return c;
}

/* One chain over len bytes: 8 at a time, then 4, 2, 1. */
__attribute__((target("sse4.2"))) static inline uint32_t
crc_hw_chain(uint32_t c, const uint8_t *p, size_t len)
{
    uint64_t c64 = c;
    while (len >= 8) {
        c64 = _mm_crc32_u64(c64, crc_load64(p));
        p += 8;
        len -= 8;
    }
    c = (uint32_t)c64;
    if (len == 0)
        return c;
    if (len & 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        c = _mm_crc32_u32(c, w);
        p += 4;
    }
    if (len & 2) {
        uint16_t h;
        memcpy(&h, p, 2);
        c = _mm_crc32_u16(c, h);
        p += 2;
    }
    if (len & 1)
        c = _mm_crc32_u8(c, *p);
    return c;
}

/* Buffers of at least 3 short blocks: align to 8 bytes, run the 3-way
 * chunks, finish with one chain. Kept out of line so that short buffers do
 * not pay for its registers and the table check. */
__attribute__((target("sse4.2"), noinline)) static uint32_t
crc_hw_long(uint32_t c, const uint8_t *p, size_t len)
{
    if (((uintptr_t)p & 1) != 0) {
        c = _mm_crc32_u8(c, *p);
        p += 1;
        len -= 1;
    }
    if (((uintptr_t)p & 2) != 0) {
        uint16_t h;
        memcpy(&h, p, 2);
        c = _mm_crc32_u16(c, h);
        p += 2;
        len -= 2;
    }
    if (((uintptr_t)p & 4) != 0) {
        uint32_t w;
        memcpy(&w, p, 4);
        c = _mm_crc32_u32(c, w);
        p += 4;
        len -= 4;
    }
    crc_ensure_tables();
    c = crc_hw_chunks(c, &p, &len, CRC_LONG, crc_zlong);
    c = crc_hw_chunks(c, &p, &len, CRC_SHORT, crc_zshort);
    return crc_hw_chain(c, p, len);
}

__attribute__((target("sse4.2"))) uint32_t
wk__crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    if (len >= 3 * CRC_SHORT + 8)
        return ~crc_hw_long(~crc, buf, len);
    return ~crc_hw_chain(~crc, buf, len);
}

int
wk__crc32c_hw_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

#else /* no hardware path on this architecture */

uint32_t
wk__crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    return wk__crc32c_sw(crc, buf, len);
}

int
wk__crc32c_hw_available(void)
{
    return 0;
}

#endif

uint32_t
wk__crc32c(uint32_t crc, const void *buf, size_t len)
{
    static int use_hw = -1; /* -1: not decided yet */
    int hw = __atomic_load_n(&use_hw, __ATOMIC_RELAXED);
    if (hw < 0) {
        hw = wk__crc32c_hw_available();
        __atomic_store_n(&use_hw, hw, __ATOMIC_RELAXED);
    }
    return hw ? wk__crc32c_hw(crc, buf, len) : wk__crc32c_sw(crc, buf, len);
}
