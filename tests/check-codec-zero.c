/*
 * check-codec-zero.c - zero-page detection, every implementation.
 *
 * Suite "codec-zero": "core" (zero page, one byte set at the first and
 * last position, random pages), "limits" (one byte set at each of the
 * 4096 positions, every bit; 10,000 random mostly-zero pages on which the
 * hardware version, the generic one, the portable one and a byte loop
 * agree). The AVX2 version is tested where the CPU has AVX2.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec-zero.h"

#include "pages.h"

struct impl {
    const char *name;
    bool (*fn)(const void *page);
};

static struct impl impls[4];
static unsigned nr_impls;

static void impls_init(void)
{
    nr_impls = 0;
    impls[nr_impls++] = (struct impl){ "dispatch", xm_page_is_zero };
    impls[nr_impls++] = (struct impl){ "generic", xm__page_is_zero_generic };
    impls[nr_impls++] = (struct impl){ "portable",
                                       xm__page_is_zero_portable };
    if (xm__page_is_zero_avx2 && xm__page_is_zero_avx2_usable())
        impls[nr_impls++] = (struct impl){ "avx2", xm__page_is_zero_avx2 };
}

static uint8_t *page;   /* one aligned page, zeroed before each test */

static void setup(void)
{
    page = aligned_alloc(XM_ZERO_PAGE_ALIGN, PAGE);
    ck_assert_ptr_nonnull(page);
    memset(page, 0, PAGE);
    impls_init();
}

static void teardown(void)
{
    free(page);
    page = NULL;
}

static bool reference(const uint8_t *p)
{
    unsigned i;

    for (i = 0; i < PAGE; i++)
        if (p[i])
            return false;
    return true;
}

static void assert_all(bool want, const char *what, unsigned pos)
{
    unsigned i;

    for (i = 0; i < nr_impls; i++)
        ck_assert_msg(impls[i].fn(page) == want,
                      "%s: %s at %u: got %d", impls[i].name, what, pos,
                      !want);
}

/* ---- core ------------------------------------------------------------ */

START_TEST(test_zero_page)
{
    ck_assert_uint_ge(nr_impls, 3);
    assert_all(true, "zero page", 0);
}
END_TEST

START_TEST(test_first_byte_set)
{
    page[0] = 1;
    assert_all(false, "first byte", 0);
}
END_TEST

START_TEST(test_last_byte_set)
{
    page[PAGE - 1] = 0x80;
    assert_all(false, "last byte", PAGE - 1);
}
END_TEST

START_TEST(test_random_pages)
{
    unsigned n, i;

    for (n = 0; n < 100; n++) {
        for (i = 0; i < PAGE; i += 8) {
            uint64_t v = next_rand();

            memcpy(page + i, &v, 8);
        }
        assert_all(reference(page), "random page", n);
    }
}
END_TEST

START_TEST(test_all_ones)
{
    memset(page, 0xff, PAGE);
    assert_all(false, "all ones", 0);
}
END_TEST

/* ---- limits ---------------------------------------------------------- */

START_TEST(test_one_byte_every_position)
{
    unsigned pos, bit;

    for (pos = 0; pos < PAGE; pos++) {
        for (bit = 0; bit < 8; bit++) {
            page[pos] = (uint8_t)(1u << bit);
            assert_all(false, "one bit set", pos * 8 + bit);
        }
        page[pos] = 0;
        /* Cleared again: the page is zero once more. */
        if (pos % 512 == 0)
            assert_all(true, "cleared", pos);
    }
}
END_TEST

START_TEST(test_hw_matches_generic)
{
    unsigned n, k, nonzero = 0;

    for (n = 0; n < 10000; n++) {
        unsigned set = next_rand() % 4; /* 0..3 bytes set, 1/4 zero */
        bool want;
        unsigned i;

        memset(page, 0, PAGE);
        for (k = 0; k < set; k++)
            page[next_rand() % PAGE] = (uint8_t)(next_rand() | 1);
        want = reference(page);
        nonzero += !want;
        for (i = 0; i < nr_impls; i++)
            ck_assert_msg(impls[i].fn(page) == want,
                          "%s: random page %u (%u bytes set) gave %d",
                          impls[i].name, n, set, !want);
    }
    /* The script really mixed both kinds. */
    ck_assert_uint_gt(nonzero, 6000);
    ck_assert_uint_lt(nonzero, 8500);
}
END_TEST

static Suite *codec_zero_suite(void)
{
    Suite *s = suite_create("codec-zero");
    TCase *tc;

    tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_zero_page);
    tcase_add_test(tc, test_first_byte_set);
    tcase_add_test(tc, test_last_byte_set);
    tcase_add_test(tc, test_random_pages);
    tcase_add_test(tc, test_all_ones);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_one_byte_every_position);
    tcase_add_test(tc, test_hw_matches_generic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_zero_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
