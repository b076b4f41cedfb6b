/*
 * check-crc32c.c - Check suite for crc32c.c: known values, hardware
 * against software over random buffers, incremental against one-shot,
 * the lane boundaries, and that corruption changes the CRC.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"

#define BIG (100u << 10)

static uint8_t *random_buf(size_t len, unsigned seed)
{
    uint8_t *b = malloc(len);
    size_t i;

    ck_assert_ptr_nonnull(b);
    srandom(seed);
    for (i = 0; i < len; i++)
        b[i] = (uint8_t)random();
    return b;
}

START_TEST(test_check_value)
{
    ck_assert_uint_eq(xm_crc32c(0, "123456789", 9), 0xe3069283);
    ck_assert_uint_eq(xm__crc32c_sw(0, "123456789", 9), 0xe3069283);
}
END_TEST

/* The iSCSI test vectors (RFC 3720, B.4). */
START_TEST(test_rfc3720)
{
    uint8_t b[32];
    unsigned i;

    memset(b, 0, sizeof(b));
    ck_assert_uint_eq(xm_crc32c(0, b, 32), 0x8a9136aa);
    memset(b, 0xff, sizeof(b));
    ck_assert_uint_eq(xm_crc32c(0, b, 32), 0x62a8ab43);
    for (i = 0; i < 32; i++)
        b[i] = i;
    ck_assert_uint_eq(xm_crc32c(0, b, 32), 0x46dd794e);
    for (i = 0; i < 32; i++)
        b[i] = 31 - i;
    ck_assert_uint_eq(xm_crc32c(0, b, 32), 0x113fdb5c);
}
END_TEST

/* 10,000 random buffers, random lengths (one in eight long enough for
 * the big lanes), random alignments: both paths agree. */
START_TEST(test_hw_equals_sw)
{
    uint8_t *b = random_buf(BIG + 64, 1);
    unsigned i;

    srandom(2);
    for (i = 0; i < 10000; i++) {
        size_t align = random() % 64;
        size_t len = random() % (i % 8 ? 4096 : BIG);
        uint32_t seed = i % 3 ? 0 : (uint32_t)random();

        ck_assert_msg(xm_crc32c(seed, b + align, len) ==
                          xm__crc32c_sw(seed, b + align, len),
                      "length %zu alignment %zu differs", len, align);
    }
    free(b);
}
END_TEST

START_TEST(test_incremental)
{
    uint8_t *b = random_buf(BIG, 3);
    unsigned i;

    srandom(4);
    for (i = 0; i < 300; i++) {
        size_t len = random() % BIG, cut1 = len ? random() % len : 0;
        size_t cut2 = cut1 + (len - cut1 ? random() % (len - cut1) : 0);
        uint32_t one = xm_crc32c(0, b, len), c;

        c = xm_crc32c(0, b, cut1);
        c = xm_crc32c(c, b + cut1, cut2 - cut1);
        c = xm_crc32c(c, b + cut2, len - cut2);
        ck_assert_uint_eq(c, one);
        c = xm__crc32c_sw(0, b, cut1);
        c = xm__crc32c_sw(c, b + cut1, len - cut1);
        ck_assert_uint_eq(c, one);
    }
    free(b);
}
END_TEST

START_TEST(test_empty)
{
    ck_assert_uint_eq(xm_crc32c(0, "", 0), 0);
    ck_assert_uint_eq(xm_crc32c(0x12345678, "", 0), 0x12345678);
    ck_assert_uint_eq(xm__crc32c_sw(0xdeadbeef, NULL, 0), 0xdeadbeef);
}
END_TEST

/* Every length and alignment around the lane sizes (3 x 256, 3 x 8192). */
START_TEST(test_lane_boundaries)
{
    static const size_t around[] = { 0, 8, 768, 24576 };
    uint8_t *b = random_buf(BIG, 5);
    size_t a, i, len;
    int d;

    for (i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
        for (d = -17; d <= 17; d++) {
            if ((long)around[i] + d < 0)
                continue;
            len = around[i] + d;
            for (a = 0; a < 8; a++)
                ck_assert_uint_eq(xm_crc32c(0, b + a, len),
                                  xm__crc32c_sw(0, b + a, len));
        }
    }
    for (len = 0; len < 1000; len++)
        ck_assert_uint_eq(xm_crc32c(0, b + 3, len),
                          xm__crc32c_sw(0, b + 3, len));
    free(b);
}
END_TEST

/* A CRC catches every single-bit error and every burst up to 32 bits. */
START_TEST(test_detects_corruption)
{
    uint8_t *b = random_buf(4096, 6);
    uint32_t good = xm_crc32c(0, b, 4096);
    unsigned bit, burst;

    for (bit = 0; bit < 4096 * 8; bit++) {
        b[bit / 8] ^= 1u << (bit % 8);
        ck_assert_uint_ne(xm_crc32c(0, b, 4096), good);
        b[bit / 8] ^= 1u << (bit % 8);
    }
    for (burst = 0; burst < 4092; burst += 37) {
        uint32_t pattern = 0x80000001u | (uint32_t)random(), orig;

        memcpy(&orig, b + burst, 4);
        b[burst] ^= pattern;
        b[burst + 1] ^= pattern >> 8;
        b[burst + 2] ^= pattern >> 16;
        b[burst + 3] ^= pattern >> 24;
        ck_assert_uint_ne(xm_crc32c(0, b, 4096), good);
        memcpy(b + burst, &orig, 4);
    }
    ck_assert_uint_eq(xm_crc32c(0, b, 4096), good);
    free(b);
}
END_TEST

static Suite *crc32c_suite(void)
{
    Suite *s = suite_create("crc32c");
    TCase *tc;

    tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_check_value);
    tcase_add_test(tc, test_rfc3720);
    tcase_add_test(tc, test_hw_equals_sw);
    tcase_add_test(tc, test_incremental);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_lane_boundaries);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_detects_corruption);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(crc32c_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
