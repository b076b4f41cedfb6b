/*
 * crc32c.c - CRC32C (Castagnoli, reflected polynomial 0x82f63b78).
 *
 * Entry points: xm_crc32c() (hardware when the CPU has SSE4.2, checked
 * once) and xm__crc32c_sw() (slicing-by-8 tables, for any CPU and for
 * tests to compare against).
 *
 * The crc32 instruction has a latency of three cycles and a throughput of
 * one per cycle, so one dependency chain runs at a third of the speed the
 * unit allows. Large buffers are therefore cut into three lanes of equal
 * length checksummed together; lanes 2 and 3 start from a zero register,
 * and the three are combined by "shifting" a lane's register over the
 * length of the lanes after it (multiplying by x^(8 * len) mod P) and
 * adding (xor). The shift by a fixed length is a linear map on 32 bits,
 * applied a byte at a time through four 256-entry tables built once from
 * the software CRC of single-bit registers over that many zero bytes.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define HAVE_HW_CRC 1
#endif

#include "crc32c.h"

#define POLY 0x82f63b78u
#define LANE_LONG 8192 /* bytes per lane for big buffers */
#define LANE_SHORT 256 /* bytes per lane for the rest */

static uint32_t sw_table[8][256];       /* slicing-by-8 */
static uint32_t shift_long[4][256];     /* register over LANE_LONG zeros */
static uint32_t shift_short[4][256];    /* register over LANE_SHORT zeros */
static bool have_hw;                    /* the CPU has SSE4.2 */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Advance a raw (uninverted) CRC register over @len zero bytes. */
static uint32_t raw_zeros(uint32_t reg, size_t len)
{
    while (len--)
        reg = sw_table[0][reg & 0xff] ^ (reg >> 8);
    return reg;
}

/* Tables for the linear map "advance the register over @len zeros". */
static void build_shift(uint32_t shift[4][256], size_t len)
{
    uint32_t basis[32];
    unsigned b, i, k;

    for (b = 0; b < 32; b++)
        basis[b] = raw_zeros(1u << b, len);
    for (k = 0; k < 4; k++) {
        for (i = 0; i < 256; i++) {
            uint32_t v = 0;

            for (b = 0; b < 8; b++) {
                if (i & (1u << b))
                    v ^= basis[8 * k + b];
            }
            shift[k][i] = v;
        }
    }
}

static void crc32c_init(void)
{
    unsigned i, k;

    for (i = 0; i < 256; i++) {
        uint32_t c = i;

        for (k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        sw_table[0][i] = c;
    }
    for (i = 0; i < 256; i++) {
        for (k = 1; k < 8; k++)
            sw_table[k][i] = (sw_table[k - 1][i] >> 8) ^
                             sw_table[0][sw_table[k - 1][i] & 0xff];
    }
    build_shift(shift_long, LANE_LONG);
    build_shift(shift_short, LANE_SHORT);
#ifdef HAVE_HW_CRC
    __builtin_cpu_init();
    have_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static inline uint32_t shift(const uint32_t t[4][256], uint32_t reg)
{
    return t[0][reg & 0xff] ^ t[1][(reg >> 8) & 0xff] ^
           t[2][(reg >> 16) & 0xff] ^ t[3][reg >> 24];
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return v; /* little-endian host: the byte order the CRC wants */
}

static uint32_t sw_crc(uint32_t crc, const uint8_t *p, size_t len)
{
    uint32_t reg = ~crc;

    while (len && ((uintptr_t)p & 7)) {
        reg = sw_table[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
        len--;
    }
    while (len >= 8) {
        uint64_t v = load64(p) ^ reg;

        reg = sw_table[7][v & 0xff] ^ sw_table[6][(v >> 8) & 0xff] ^
              sw_table[5][(v >> 16) & 0xff] ^ sw_table[4][(v >> 24) & 0xff] ^
              sw_table[3][(v >> 32) & 0xff] ^ sw_table[2][(v >> 40) & 0xff] ^
              sw_table[1][(v >> 48) & 0xff] ^ sw_table[0][v >> 56];
        p += 8;
        len -= 8;
    }
    while (len--)
        reg = sw_table[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
    return ~reg;
}

#ifdef HAVE_HW_CRC
/* Three lanes of @lane bytes each, as many times as they fit. */
#define HW_LANES(lane, table)                                               \
    while (len >= 3 * (lane)) {                                             \
        uint64_t c1 = 0, c2 = 0;                                            \
        const uint8_t *end = p + (lane);                                    \
                                                                            \
        do {                                                                \
            c0 = _mm_crc32_u64(c0, load64(p));                              \
            c1 = _mm_crc32_u64(c1, load64(p + (lane)));                     \
            c2 = _mm_crc32_u64(c2, load64(p + 2 * (lane)));                 \
            p += 8;                                                         \
        } while (p < end);                                                  \
        c0 = shift(table, (uint32_t)c0) ^ c1;                               \
        c0 = shift(table, (uint32_t)c0) ^ c2;                               \
        p += 2 * (lane);                                                    \
        len -= 3 * (lane);                                                  \
    }

__attribute__((target("sse4.2")))
static uint32_t hw_crc(uint32_t crc, const uint8_t *p, size_t len)
{
    uint64_t c0 = ~crc;

    while (len && ((uintptr_t)p & 7)) {
        c0 = _mm_crc32_u8((uint32_t)c0, *p++);
        len--;
    }
    HW_LANES(LANE_LONG, shift_long)
    HW_LANES(LANE_SHORT, shift_short)
    while (len >= 8) {
        c0 = _mm_crc32_u64(c0, load64(p));
        p += 8;
        len -= 8;
    }
    while (len--)
        c0 = _mm_crc32_u8((uint32_t)c0, *p++);
    return ~(uint32_t)c0;
}
#endif

uint32_t xm__crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&init_once, crc32c_init);
    return sw_crc(crc, buf, len);
}

uint32_t xm_crc32c(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&init_once, crc32c_init);
#ifdef HAVE_HW_CRC
    if (have_hw)
        return hw_crc(crc, buf, len);
#endif
    return sw_crc(crc, buf, len);
}
