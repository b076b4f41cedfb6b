/*
 * check-codec-block.c - the block compressors, lz4 and zstd, alike.
 *
 * Suite "codec-block"; every test runs once per codec (loop index 0 is
 * lz4, 1 is zstd). "core": the ops table and levels, zero pages, random
 * pages, text-like pages, 1 and 1024 pages in one block. "limits": 10,000
 * random round trips of 1..16 pages mixing kinds (zero, random, text,
 * re-dirtied) through one reused state, levels, an output buffer too
 * small. "errors": decode of corrupt input rejected - empty, truncated at
 * every length, bit flips, random garbage, trailing bytes, the wrong
 * out_len - with the input and the output each right before a PROT_NONE
 * guard page, so any access out of bounds crashes the test.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "codec.h"
#include "pages.h"
#include "stream-format.h"

static const struct xm_block_codec_ops *const codecs[] = {
    &xm_codec_lz4,
    &xm_codec_zstd,
};

static const struct xm_block_codec_ops *ops; /* this iteration's codec */
static void *state;                          /* its state, level 0 */

static void setup(void)
{
    state = NULL;
}

static void teardown(void)
{
    if (ops)
        ops->free_state(state);
    state = NULL;
    ops = NULL;
}

static void pick(int i)
{
    ops = codecs[i];
    ck_assert_int_eq(ops->new_state(0, &state), 0);
    ck_assert_ptr_nonnull(state);
}

/* ---- guarded buffers ------------------------------------------------- */

struct guarded {
    uint8_t *map;  /* the mapping */
    size_t pages;  /* accessible pages before the guard */
};

static void guard_new(struct guarded *g, size_t bytes)
{
    g->pages = bytes / PAGE + 1;
    g->map = mmap(NULL, (g->pages + 1) * PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(g->map != MAP_FAILED);
    ck_assert_int_eq(mprotect(g->map + g->pages * PAGE, PAGE, PROT_NONE),
                     0);
}

/* The last @len accessible bytes: the next byte is the guard's. */
static uint8_t *guard_tail(const struct guarded *g, size_t len)
{
    ck_assert_uint_le(len, g->pages * PAGE);
    return g->map + g->pages * PAGE - len;
}

static void guard_free(struct guarded *g)
{
    munmap(g->map, (g->pages + 1) * PAGE);
}

/*
 * Decompress @len bytes of @src into @out_len bytes with the input and
 * the output each ending at a guard page. The output is compared with
 * @want when given and decompression succeeded.
 */
static int decompress_guarded(const uint8_t *src, size_t len,
                              size_t out_len, const uint8_t *want)
{
    struct guarded gi, go;
    uint8_t *in, *out;
    int rc;

    guard_new(&gi, len);
    guard_new(&go, out_len);
    in = guard_tail(&gi, len);
    out = guard_tail(&go, out_len);
    memcpy(in, src, len);
    rc = ops->decompress(state, in, len, out, out_len);
    ck_assert(rc == 0 || rc == -EBADMSG);
    if (rc == 0 && want)
        ck_assert_msg(memcmp(out, want, out_len) == 0,
                      "%s: decompressed data differs", ops->name);
    guard_free(&gi);
    guard_free(&go);
    return rc;
}

/* Compress @n pages at @pages into a malloc'd block; its size in *len_r. */
static uint8_t *compress(const uint8_t *pages, size_t n, size_t *len_r)
{
    size_t cap = ops->bound(n * PAGE);
    uint8_t *blk = malloc(cap);
    long r;

    ck_assert_uint_ge(cap, n * PAGE);
    ck_assert_ptr_nonnull(blk);
    r = ops->compress(state, pages, n * PAGE, blk, cap);
    ck_assert_msg(r > 0, "%s: compress gave %ld", ops->name, r);
    ck_assert_uint_le((size_t)r, cap);
    *len_r = (size_t)r;
    return blk;
}

/* Round trip of @n pages of @kind; returns the compressed size. */
static size_t round_trip(enum kind kind, size_t n)
{
    uint8_t *pages = malloc(n * PAGE), *blk;
    size_t len;

    ck_assert_ptr_nonnull(pages);
    fill(pages, n, kind == REDIRTY ? TEXT : kind);
    if (kind == REDIRTY)
        fill(pages, n, REDIRTY);
    blk = compress(pages, n, &len);
    ck_assert_int_eq(decompress_guarded(blk, len, n * PAGE, pages), 0);
    free(blk);
    free(pages);
    return len;
}

/* ---- core ------------------------------------------------------------ */

START_TEST(test_ops)
{
    void *st = NULL;

    ops = codecs[_i];
    ck_assert_str_eq(ops->name, _i ? "zstd" : "lz4");
    ck_assert_uint_eq(ops->encoding, _i ? XM_ENC_ZSTD : XM_ENC_LZ4);
    ck_assert_int_eq(ops->new_state(_i ? 1000 : -1, &st), -EINVAL);
    ck_assert_ptr_null(st);
    ops->free_state(NULL);
    pick(_i);
}
END_TEST

START_TEST(test_zero_pages)
{
    pick(_i);
    ck_assert_uint_lt(round_trip(ZERO, 1), 100);
    ck_assert_uint_lt(round_trip(ZERO, 1024), 1024 * PAGE / 200);
}
END_TEST

START_TEST(test_random_pages)
{
    pick(_i);
    ck_assert_uint_ge(round_trip(RANDOM, 1), PAGE);
    ck_assert_uint_ge(round_trip(RANDOM, 16), 16 * PAGE);
}
END_TEST

START_TEST(test_text_pages)
{
    pick(_i);
    ck_assert_uint_lt(round_trip(TEXT, 1), PAGE * 3 / 4);
    ck_assert_uint_lt(round_trip(TEXT, 1024), 1024 * PAGE / 2);
}
END_TEST

START_TEST(test_1024_mixed)
{
    uint8_t *pages = malloc(1024 * PAGE), *blk;
    size_t i, len;

    pick(_i);
    for (i = 0; i < 1024; i++)
        fill(pages + i * PAGE, 1, (enum kind)(i % 3));
    blk = compress(pages, 1024, &len);
    ck_assert_int_eq(decompress_guarded(blk, len, 1024 * PAGE, pages), 0);
    free(blk);
    free(pages);
}
END_TEST

/* ---- limits ---------------------------------------------------------- */

START_TEST(test_random_round_trips)
{
    enum { MAXN = 16 };
    uint8_t *pages = malloc(MAXN * PAGE), *blk, *out;
    size_t cap, n, k;
    struct guarded go, gi;
    unsigned i;

    pick(_i);
    cap = ops->bound(MAXN * PAGE);
    blk = malloc(cap);
    guard_new(&gi, cap);
    guard_new(&go, MAXN * PAGE);
    fill(pages, MAXN, TEXT);
    for (i = 0; i < 10000; i++) {
        long r;

        n = 1 + next_rand() % MAXN;
        for (k = 0; k < n; k++)
            fill(pages + k * PAGE, 1, (enum kind)(next_rand() % NR_KINDS));
        r = ops->compress(state, pages, n * PAGE, blk, cap);
        ck_assert_int_gt(r, 0);
        memcpy(guard_tail(&gi, (size_t)r), blk, (size_t)r);
        out = guard_tail(&go, n * PAGE);
        ck_assert_int_eq(ops->decompress(state, guard_tail(&gi, (size_t)r),
                                         (size_t)r, out, n * PAGE), 0);
        ck_assert_msg(memcmp(out, pages, n * PAGE) == 0,
                      "%s: round trip %u of %zu pages differs", ops->name,
                      i, n);
    }
    guard_free(&gi);
    guard_free(&go);
    free(blk);
    free(pages);
}
END_TEST

START_TEST(test_levels)
{
    static const int lz4_levels[] = { 1, 2, 8, 64 };
    static const int zstd_levels[] = { 1, -5, 3, 9 };
    uint8_t *pages = malloc(8 * PAGE), *blk;
    size_t len;
    unsigned i;

    ops = codecs[_i];
    fill(pages, 8, TEXT);
    for (i = 0; i < 4; i++) {
        int level = _i ? zstd_levels[i] : lz4_levels[i];

        ck_assert_int_eq(ops->new_state(level, &state), 0);
        blk = compress(pages, 8, &len);
        ck_assert_int_eq(decompress_guarded(blk, len, 8 * PAGE, pages), 0);
        free(blk);
        ops->free_state(state);
        state = NULL;
    }
    free(pages);
}
END_TEST

START_TEST(test_output_too_small)
{
    uint8_t *pages = malloc(4 * PAGE), *blk = malloc(4 * PAGE);

    pick(_i);
    fill(pages, 4, RANDOM);
    ck_assert_int_eq(ops->compress(state, pages, 4 * PAGE, blk, PAGE),
                     -EIO);
    /* and the state still works after the failure */
    free(blk);
    free(pages);
    round_trip(TEXT, 4);
}
END_TEST

/* ---- errors ---------------------------------------------------------- */

START_TEST(test_bad_empty)
{
    static const uint8_t none[1];

    pick(_i);
    ck_assert_int_eq(decompress_guarded(none, 0, PAGE, NULL), -EBADMSG);
    ck_assert_int_eq(decompress_guarded(none, 1, PAGE, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_bad_truncated)
{
    uint8_t *pages = malloc(3 * PAGE), *blk;
    size_t len, cut;

    pick(_i);
    fill(pages, 3, TEXT);
    blk = compress(pages, 3, &len);
    for (cut = 0; cut < len; cut++)
        ck_assert_msg(decompress_guarded(blk, cut, 3 * PAGE, NULL) ==
                      -EBADMSG, "%s: cut to %zu of %zu accepted",
                      ops->name, cut, len);
    free(blk);
    free(pages);
}
END_TEST

START_TEST(test_bad_bit_flips)
{
    uint8_t *pages = malloc(4 * PAGE), *blk;
    size_t len;
    unsigned n, rejected = 0;

    pick(_i);
    fill(pages, 4, TEXT);
    pages[5] = 0;   /* some zero runs too */
    memset(pages + PAGE, 0, PAGE);
    blk = compress(pages, 4, &len);
    for (n = 0; n < 3000; n++) {
        size_t at = next_rand() % len;
        uint8_t bit = (uint8_t)(1u << (next_rand() % 8));

        blk[at] ^= bit;
        /* no crash; either refused or some 4 pages of output */
        rejected += decompress_guarded(blk, len, 4 * PAGE, NULL) != 0;
        blk[at] ^= bit;
    }
    /* a flipped literal goes unnoticed, but much else is caught */
    ck_assert_uint_gt(rejected, 100);
    ck_assert_int_eq(decompress_guarded(blk, len, 4 * PAGE, pages), 0);
    free(blk);
    free(pages);
}
END_TEST

START_TEST(test_bad_garbage)
{
    static uint8_t buf[3 * PAGE];
    unsigned n, accepted = 0;

    pick(_i);
    for (n = 0; n < 3000; n++) {
        size_t len = next_rand() % (n % 8 ? 64 : sizeof(buf));
        size_t out_len = PAGE * (1 + next_rand() % 4);

        fill_random(buf, len);
        accepted += decompress_guarded(buf, len, out_len, NULL) == 0;
    }
    ck_assert_uint_eq(accepted, 0);
}
END_TEST

START_TEST(test_bad_trailing)
{
    uint8_t *pages = malloc(2 * PAGE), *blk, *two;
    size_t len;

    pick(_i);
    fill(pages, 2, TEXT);
    blk = compress(pages, 2, &len);
    two = malloc(2 * len);
    memcpy(two, blk, len);
    memcpy(two + len, blk, len);
    ck_assert_int_eq(decompress_guarded(blk, len, 2 * PAGE, pages), 0);
    /* the block twice, or with one more byte */
    ck_assert_int_eq(decompress_guarded(two, 2 * len, 2 * PAGE, NULL),
                     -EBADMSG);
    ck_assert_int_eq(decompress_guarded(two, len + 1, 2 * PAGE, NULL),
                     -EBADMSG);
    free(two);
    free(blk);
    free(pages);
}
END_TEST

START_TEST(test_bad_out_len)
{
    uint8_t *pages = malloc(3 * PAGE), *blk;
    size_t len;

    pick(_i);
    fill(pages, 3, TEXT);
    blk = compress(pages, 3, &len);
    ck_assert_int_eq(decompress_guarded(blk, len, 3 * PAGE, pages), 0);
    ck_assert_int_eq(decompress_guarded(blk, len, 2 * PAGE, NULL),
                     -EBADMSG);
    ck_assert_int_eq(decompress_guarded(blk, len, 4 * PAGE, NULL),
                     -EBADMSG);
    ck_assert_int_eq(decompress_guarded(blk, len, 3 * PAGE - 1, NULL),
                     -EBADMSG);
    ck_assert_int_eq(decompress_guarded(blk, len, 3 * PAGE + 1, NULL),
                     -EBADMSG);
    ck_assert_int_eq(decompress_guarded(blk, len, 0, NULL), -EBADMSG);
    free(blk);
    free(pages);
}
END_TEST

static Suite *codec_block_suite(void)
{
    Suite *s = suite_create("codec-block");
    TCase *tc;
    const int n = 2;

    tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_ops, 0, n);
    tcase_add_loop_test(tc, test_zero_pages, 0, n);
    tcase_add_loop_test(tc, test_random_pages, 0, n);
    tcase_add_loop_test(tc, test_text_pages, 0, n);
    tcase_add_loop_test(tc, test_1024_mixed, 0, n);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_random_round_trips, 0, n);
    tcase_add_loop_test(tc, test_levels, 0, n);
    tcase_add_loop_test(tc, test_output_too_small, 0, n);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_bad_empty, 0, n);
    tcase_add_loop_test(tc, test_bad_truncated, 0, n);
    tcase_add_loop_test(tc, test_bad_bit_flips, 0, n);
    tcase_add_loop_test(tc, test_bad_garbage, 0, n);
    tcase_add_loop_test(tc, test_bad_trailing, 0, n);
    tcase_add_loop_test(tc, test_bad_out_len, 0, n);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_block_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
