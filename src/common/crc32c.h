/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as in iSCSI
 * (RFC 3720), ext4 and RocksDB. The hardware path (SSE4.2 crc32 with a 3-way
 * interleave for long buffers) is chosen at run time; the table path gives
 * identical results everywhere.
 *
 * Usage: crc = wk__crc32c(0, buf, len); continue a running CRC by passing
 * the previous result as crc (wk__crc32c(wk__crc32c(0, a, n), b, m) equals
 * the CRC of a||b). */
#ifndef WK_COMMON_CRC32C_H
#define WK_COMMON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t wk__crc32c(uint32_t crc, const void *buf, size_t len);

/* The two implementations, exposed for tests and bench/crc32c. hw returns
 * the same as sw; calling it on a CPU without SSE4.2 is a programmer error
 * (check wk__crc32c_hw_available first). */
uint32_t wk__crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t wk__crc32c_hw(uint32_t crc, const void *buf, size_t len);
int wk__crc32c_hw_available(void);

#endif
