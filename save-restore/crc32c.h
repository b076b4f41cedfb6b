/*
 * crc32c.h - CRC32C (Castagnoli), the checksum of every stream record.
 *
 * Uses the SSE4.2 crc32 instruction when the CPU has it (checked once),
 * three interleaved streams to hide its latency; a slicing-by-8 table
 * otherwise. Both give the same results.
 */
#ifndef XM_CRC32C_H
#define XM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continue a CRC32C over @len bytes at @buf. Start with crc = 0; the
 * pre/post inversion is done inside, so xm_crc32c(xm_crc32c(0, a), b)
 * equals xm_crc32c(0, a||b). xm_crc32c(0, "123456789", 9) == 0xe3069283.
 */
uint32_t xm_crc32c(uint32_t crc, const void *buf, size_t len);

/* The portable table version, for tests to compare against. */
uint32_t xm__crc32c_sw(uint32_t crc, const void *buf, size_t len);

#endif /* XM_CRC32C_H */
