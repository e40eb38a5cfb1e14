/* CRC32C: table-driven software path and SSE4.2 hardware path, chosen once
 * at run time. (See crc32c.h.) */
#include "common/crc32c.h"

#include <stdint.h>
#include <pthread.h>
#include <string.h>

#define CRC_POLY 0x82F63B78u

static uint32_t crc_table[8][256];
static int crc_table_ready;

static void
crc_table_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC_POLY : c >> 1;
        crc_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = crc_table[0][n];
        for (int t = 1; t < 8; t++) {
            c = crc_table[0][c & 0xff] ^ (c >> 8);
            crc_table[t][n] = c;
        }
    }
    __atomic_store_n(&crc_table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t
wk__crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (!__atomic_load_n(&crc_table_ready, __ATOMIC_ACQUIRE))
        pthread_once(&once, crc_table_init);
    const uint8_t *p = buf;
    crc = ~crc;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc; /* little-endian hosts */
        crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
              crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
              crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
              crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t
wk__crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t c = (uint32_t)~crc;
    while (len > 0 && ((uintptr_t)p & 7)) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

int
wk__crc32c_hw_available(void)
{
    return __builtin_cpu_supports("sse4.2");
}
#else
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
    static int use_hw = -1;
    int hw = __atomic_load_n(&use_hw, __ATOMIC_RELAXED);
    if (hw < 0) {
        hw = wk__crc32c_hw_available();
        __atomic_store_n(&use_hw, hw, __ATOMIC_RELAXED);
    }
    return hw ? wk__crc32c_hw(crc, buf, len) : wk__crc32c_sw(crc, buf, len);
}
