/*
 * check-codec-delta.c - the XOR delta codec and the sender's page cache.
 *
 * Suite "codec-delta": "core" (zero page, unchanged page, one byte changed
 * at the first, middle and last position, runs merged over a one-byte
 * gap; cache insert, lookup, hit and miss counts, drop), "limits" (every
 * byte changed (overflow), encodings of exactly XM_DELTA_MAX and one byte
 * over, runs ending exactly at the page end; page cache eviction of the
 * least recently used page in a cache of 4, a hit saving a page from
 * eviction; 10,000 random round trips), "errors" (decode of corrupt input
 * rejected: truncated, oversized run, bad varints, trailing garbage,
 * random garbage; the page and the input sit right before PROT_NONE guard
 * pages so any access out of bounds crashes the test).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "codec.h"

#include "pages.h"

static uint8_t *old, *page, *copy, *out;

static void setup(void)
{
    old = aligned_alloc(64, PAGE);
    page = aligned_alloc(64, PAGE);
    copy = aligned_alloc(64, PAGE);
    out = malloc(XM_DELTA_MAX);
    ck_assert(old && page && copy && out);
    memset(old, 0, PAGE);
    memset(page, 0, PAGE);
    memset(copy, 0, PAGE);
}

static void teardown(void)
{
    free(old);
    free(page);
    free(copy);
    free(out);
}

/* Encode page against old, apply to a copy of old, expect page back. */
static int round_trip(void)
{
    int n = xm_delta_encode(old, page, out);

    if (n < 0)
        return n;
    ck_assert_int_le(n, XM_DELTA_MAX);
    memcpy(copy, old, PAGE);
    ck_assert_int_eq(xm_delta_apply(copy, out, (size_t)n), 0);
    ck_assert_msg(memcmp(copy, page, PAGE) == 0, "round trip differs");
    return n;
}

/* ---- core ------------------------------------------------------------ */

START_TEST(test_zero_page)
{
    ck_assert_int_eq(xm_delta_encode(old, page, out), 0);
    ck_assert_int_eq(xm_delta_apply(copy, out, 0), 0);
}
END_TEST

START_TEST(test_unchanged_page)
{
    fill_random(old, PAGE);
    memcpy(page, old, PAGE);
    ck_assert_int_eq(round_trip(), 0);
}
END_TEST

START_TEST(test_one_byte_changed)
{
    static const unsigned pos[] = { 0, 1, 7, 8, 31, 32, PAGE / 2, 127,
                                    128, PAGE - 9, PAGE - 8, PAGE - 1 };
    unsigned i;

    fill_random(old, PAGE);
    for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
        unsigned p = pos[i];
        int want = (p < 128 ? 1 : 2) + 1 + 1;

        memcpy(page, old, PAGE);
        page[p] ^= 0x5a;
        ck_assert_int_eq(round_trip(), want);
        /* skip, length 1, the XOR */
        ck_assert_uint_eq(out[want - 2], 1);
        ck_assert_uint_eq(out[want - 1], 0x5a);
    }
}
END_TEST

START_TEST(test_merge_one_byte_gap)
{
    /* x.x: one run of 3 (4 bytes) beats two runs of 1 (6 bytes) */
    page[100] = 1;
    page[102] = 2;
    ck_assert_int_eq(round_trip(), 5);
    ck_assert_uint_eq(out[0], 100);
    ck_assert_uint_eq(out[1], 3);
    /* x..x: two runs (6 bytes); merging would be 6 as well */
    page[102] = 0;
    page[103] = 2;
    ck_assert_int_eq(round_trip(), 6);
}
END_TEST

START_TEST(test_leb128_skip)
{
    /* skip 300 = 0xac 0x02; length 1; the XOR */
    page[300] = 0xff;
    ck_assert_int_eq(round_trip(), 4);
    ck_assert_uint_eq(out[0], 0xac);
    ck_assert_uint_eq(out[1], 0x02);
    ck_assert_uint_eq(out[2], 1);
    ck_assert_uint_eq(out[3], 0xff);
}
END_TEST

START_TEST(test_cache_basic)
{
    struct xm_delta_cache *c;
    struct xm_delta_stats st;
    uint8_t *slot;

    ck_assert_int_eq(xm_delta_cache_new(16 * PAGE, &c), 0);
    ck_assert_ptr_null(xm_delta_cache_lookup(c, 7));
    slot = xm_delta_cache_insert(c, 7);
    ck_assert_ptr_nonnull(slot);
    memset(slot, 0xab, PAGE);
    ck_assert_ptr_eq(xm_delta_cache_lookup(c, 7), slot);
    ck_assert_ptr_eq(xm_delta_cache_lookup(c, 7), slot);
    ck_assert_uint_eq(slot[PAGE - 1], 0xab);
    /* inserting a page already held reuses its slot */
    ck_assert_ptr_eq(xm_delta_cache_insert(c, 7), slot);
    ck_assert_ptr_null(xm_delta_cache_lookup(c, 8));
    xm_delta_cache_drop(c, 7);
    xm_delta_cache_drop(c, 7);
    ck_assert_ptr_null(xm_delta_cache_lookup(c, 7));
    xm_delta_cache_overflow(c);
    xm_delta_cache_stats(c, &st);
    ck_assert_uint_eq(st.hits, 2);
    ck_assert_uint_eq(st.misses, 3);
    ck_assert_uint_eq(st.evictions, 0);
    ck_assert_uint_eq(st.overflows, 1);
    xm_delta_cache_free(c);
    xm_delta_cache_free(NULL);
}
END_TEST

START_TEST(test_cache_tiny)
{
    struct xm_delta_cache *c;
    struct xm_delta_stats st;

    /* under one page rounds up to one */
    ck_assert_int_eq(xm_delta_cache_new(100, &c), 0);
    ck_assert_ptr_nonnull(xm_delta_cache_insert(c, 1));
    ck_assert_ptr_nonnull(xm_delta_cache_insert(c, 2));
    ck_assert_ptr_null(xm_delta_cache_lookup(c, 1));
    ck_assert_ptr_nonnull(xm_delta_cache_lookup(c, 2));
    xm_delta_cache_stats(c, &st);
    ck_assert_uint_eq(st.evictions, 1);
    xm_delta_cache_free(c);
}
END_TEST

/* ---- limits ---------------------------------------------------------- */

START_TEST(test_every_byte_changed)
{
    fill_random(old, PAGE);
    memset(page, 0, PAGE);
    for (unsigned i = 0; i < PAGE; i++)
        page[i] = (uint8_t)~old[i];
    ck_assert_int_eq(xm_delta_encode(old, page, out), -1);
    /* every other byte: runs merge into one too large */
    memcpy(page, old, PAGE);
    for (unsigned i = 0; i < PAGE; i += 2)
        page[i] ^= 1;
    ck_assert_int_eq(xm_delta_encode(old, page, out), -1);
    /* every fourth byte: 1024 runs of 3 bytes each, over 2048 */
    memcpy(page, old, PAGE);
    for (unsigned i = 0; i < PAGE; i += 4)
        page[i] ^= 1;
    ck_assert_int_eq(xm_delta_encode(old, page, out), -1);
}
END_TEST

START_TEST(test_exact_max)
{
    /* one run at 0 of L bytes: skip (1) + length (2) + L */
    unsigned len = XM_DELTA_MAX - 3;

    memset(page, 0xee, len);
    ck_assert_int_eq(round_trip(), XM_DELTA_MAX);
    page[len] = 0xee;
    ck_assert_int_eq(xm_delta_encode(old, page, out), -1);
    /* the same at the end of the page: skip takes 2 bytes */
    memset(page, 0, PAGE);
    memset(page + PAGE - (XM_DELTA_MAX - 4), 0x11, XM_DELTA_MAX - 4);
    ck_assert_int_eq(round_trip(), XM_DELTA_MAX);
    page[PAGE - (XM_DELTA_MAX - 4) - 1] = 0x11;
    ck_assert_int_eq(xm_delta_encode(old, page, out), -1);
}
END_TEST

START_TEST(test_exact_max_many_runs)
{
    /* 681 one-byte runs two apart (not merged), 3 bytes each: 2043 */
    unsigned i;

    for (i = 0; i < 681; i++)
        page[i * 3] = 0x77;
    ck_assert_int_eq(round_trip(), 681 * 3);
    /* a last run of 2 bytes far away (skip takes 2) makes exactly 2048 */
    page[PAGE - 2] = page[PAGE - 1] = 0x10;
    ck_assert_int_eq(round_trip(), XM_DELTA_MAX);
    page[PAGE - 3] = 0x10;
    ck_assert_int_eq(xm_delta_encode(old, page, out), -1);
}
END_TEST

START_TEST(test_run_to_page_end)
{
    static const uint8_t tail[] = { 0xff, 0x1f, 0x01, 0x42 };
    static const uint8_t two[] = { 0x00, 0x01, 0x01, 0xfe, 0x1f, 0x01, 0x3 };
    uint8_t *in = malloc(3 + PAGE);

    /* a run of 4096 from 0: skip 0, length 0x80 0x20 */
    in[0] = 0x00;
    in[1] = 0x80;
    in[2] = 0x20;
    memset(in + 3, 0x5, PAGE);
    ck_assert_int_eq(xm_delta_apply(page, in, 3 + PAGE), 0);
    ck_assert_uint_eq(page[0], 5);
    ck_assert_uint_eq(page[PAGE - 1], 5);
    memset(page, 0, PAGE);
    /* skip 4095, one byte: the last one */
    ck_assert_int_eq(xm_delta_apply(page, tail, sizeof(tail)), 0);
    ck_assert_uint_eq(page[PAGE - 1], 0x42);
    memset(page, 0, PAGE);
    /* byte 0, then skip 4094 to the last byte */
    ck_assert_int_eq(xm_delta_apply(page, two, sizeof(two)), 0);
    ck_assert_uint_eq(page[0], 1);
    ck_assert_uint_eq(page[PAGE - 1], 3);
    free(in);
}
END_TEST

START_TEST(test_cache_eviction)
{
    struct xm_delta_cache *c;
    struct xm_delta_stats st;
    uint64_t pfn;

    ck_assert_int_eq(xm_delta_cache_new(4 * PAGE, &c), 0);
    for (pfn = 10; pfn < 14; pfn++)
        memset(xm_delta_cache_insert(c, pfn), (int)pfn, PAGE);
    for (pfn = 10; pfn < 14; pfn++)
        ck_assert_uint_eq(xm_delta_cache_lookup(c, pfn)[100], pfn);
    /* order of use now 10 11 12 13: 10 is least recent */
    memset(xm_delta_cache_insert(c, 14), 14, PAGE);
    ck_assert_ptr_null(xm_delta_cache_lookup(c, 10));
    for (pfn = 11; pfn < 15; pfn++)
        ck_assert_uint_eq(xm_delta_cache_lookup(c, pfn)[0], pfn);
    xm_delta_cache_stats(c, &st);
    ck_assert_uint_eq(st.evictions, 1);
    ck_assert_uint_eq(st.hits, 8);
    ck_assert_uint_eq(st.misses, 1);
    /* a dropped page frees its slot: no eviction for the next insert */
    xm_delta_cache_drop(c, 12);
    xm_delta_cache_insert(c, 20);
    xm_delta_cache_stats(c, &st);
    ck_assert_uint_eq(st.evictions, 1);
    ck_assert_ptr_nonnull(xm_delta_cache_lookup(c, 11));
    xm_delta_cache_free(c);
}
END_TEST

START_TEST(test_cache_hit_saves)
{
    struct xm_delta_cache *c;
    uint64_t pfn;

    ck_assert_int_eq(xm_delta_cache_new(4 * PAGE + 100, &c), 0);
    for (pfn = 0; pfn < 4; pfn++)
        xm_delta_cache_insert(c, pfn);
    /* 0 is least recent; a hit makes it most recent, so 1 goes */
    ck_assert_ptr_nonnull(xm_delta_cache_lookup(c, 0));
    xm_delta_cache_insert(c, 4);
    ck_assert_ptr_null(xm_delta_cache_lookup(c, 1));
    ck_assert_ptr_nonnull(xm_delta_cache_lookup(c, 0));
    /* re-inserting counts as use as well: now 2 is least recent */
    xm_delta_cache_insert(c, 3);
    xm_delta_cache_insert(c, 5);
    ck_assert_ptr_null(xm_delta_cache_lookup(c, 2));
    ck_assert_ptr_nonnull(xm_delta_cache_lookup(c, 3));
    xm_delta_cache_free(c);
}
END_TEST

START_TEST(test_cache_model)
{
    /* many pfns in a cache of 64 against a plain array model of LRU */
    enum { N = 64 };
    uint64_t model[N];
    unsigned used = 0, n, i;
    struct xm_delta_cache *c;

    ck_assert_int_eq(xm_delta_cache_new(N * PAGE, &c), 0);
    for (n = 0; n < 20000; n++) {
        uint64_t pfn = next_rand() % 200;
        unsigned op = next_rand() % 8, at = used;
        uint8_t *p;

        for (i = 0; i < used; i++)
            if (model[i] == pfn)
                at = i;
        if (op == 0) {
            xm_delta_cache_drop(c, pfn);
            if (at < used)
                memmove(model + at, model + at + 1,
                        (--used - at) * sizeof(*model));
            continue;
        }
        if (op < 4) {
            p = xm_delta_cache_lookup(c, pfn);
            ck_assert_int_eq(p != NULL, at < used);
            if (!p)
                continue;
            ck_assert_uint_eq(p[17], (uint8_t)pfn);
        } else {
            p = xm_delta_cache_insert(c, pfn);
            p[17] = (uint8_t)pfn;
            if (at == used && used == N)
                at = N - 1;     /* evict the last, least recent */
            else if (at == used)
                used++;
        }
        memmove(model + 1, model, at * sizeof(*model));
        model[0] = pfn;
    }
    xm_delta_cache_free(c);
}
END_TEST

START_TEST(test_random_round_trips)
{
    unsigned n, k, overflows = 0, unchanged = 0;

    for (n = 0; n < 10000; n++) {
        unsigned kind = next_rand() % 4, changes;
        int r;

        if (kind == 0)
            memset(old, 0, PAGE);
        else
            fill_random(old, PAGE);
        memcpy(page, old, PAGE);
        changes = next_rand() % 4 == 0 ? 0 : (unsigned)(next_rand() % 64);
        if (next_rand() % 16 == 0)
            changes = 600 + next_rand() % 1500;
        for (k = 0; k < changes; k++) {
            unsigned at = (unsigned)(next_rand() % PAGE);
            unsigned len = next_rand() % 8 ? 1 : 1 + next_rand() % 64;

            for (; len && at < PAGE; len--, at++)
                page[at] = (uint8_t)next_rand();
        }
        k = memcmp(old, page, PAGE) == 0;
        r = round_trip();

        if (r < 0)
            overflows++;
        else
            ck_assert_int_eq(r == 0, k);
        unchanged += k;
    }
    /* the script really made all kinds */
    ck_assert_uint_gt(overflows, 50);
    ck_assert_uint_gt(unchanged, 1000);
}
END_TEST

/* ---- errors ---------------------------------------------------------- */

/* @pages readable, writable pages followed by an inaccessible one. */
static uint8_t *guarded(size_t pages)
{
    uint8_t *m = mmap(NULL, (pages + 1) * PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    ck_assert(m != MAP_FAILED);
    ck_assert_int_eq(mprotect(m + pages * PAGE, PAGE, PROT_NONE), 0);
    return m;
}

static void unguard(uint8_t *m, size_t pages)
{
    munmap(m, (pages + 1) * PAGE);
}

/*
 * Apply @len bytes at @bytes with both the input and the page right
 * before a guard page. Returns xm_delta_apply()'s result.
 */
static int apply_guarded(const uint8_t *bytes, size_t len)
{
    uint8_t *pg = guarded(1), *inb = guarded(2);
    uint8_t *in = inb + 2 * PAGE - len;
    int rc;

    ck_assert_uint_le(len, 2 * PAGE);
    memcpy(in, bytes, len);
    rc = xm_delta_apply(pg, in, len);
    unguard(pg, 1);
    unguard(inb, 2);
    return rc;
}

START_TEST(test_bad_truncated)
{
    int n, cut;

    /* two runs: (5, 1, x) is 3 bytes, (4000 - 6, 96, ...) is 99 */
    fill_random(old, PAGE);
    memcpy(page, old, PAGE);
    page[5] ^= 1;
    memset(page + 4000, 0, 96);
    memset(old + 4000, 1, 96);
    n = round_trip();
    ck_assert_int_eq(n, 3 + 99);
    ck_assert_int_eq(apply_guarded(out, (size_t)n), 0);
    /* every cut but the one between the runs leaves a run unfinished */
    for (cut = 1; cut < n; cut++)
        ck_assert_msg(apply_guarded(out, (size_t)cut) ==
                      (cut == 3 ? 0 : -EBADMSG),
                      "truncated to %d of %d: wrong answer", cut, n);
    /* a varint cut after its first byte */
    {
        static const uint8_t v[] = { 0x81 };
        static const uint8_t w[] = { 0x00, 0x81 };

        ck_assert_int_eq(apply_guarded(v, 1), -EBADMSG);
        ck_assert_int_eq(apply_guarded(w, 2), -EBADMSG);
    }
}
END_TEST

START_TEST(test_bad_oversized_run)
{
    static const uint8_t past[] = { 0xff, 0x1f, 0x02, 0x1, 0x1 };
    static const uint8_t skip_past[] = { 0x80, 0x20, 0x01, 0x1 };
    static const uint8_t second[] = { 0x00, 0x01, 0x1,
                                      0xff, 0x1f, 0x01, 0x1 };
    uint8_t *in = malloc(PAGE + 3);

    ck_assert_int_eq(apply_guarded(past, sizeof(past)), -EBADMSG);
    ck_assert_int_eq(apply_guarded(skip_past, sizeof(skip_past)), -EBADMSG);
    /* the second run starts at 4096 */
    ck_assert_int_eq(apply_guarded(second, sizeof(second)), -EBADMSG);
    /* skip 1 then a run of 4096 */
    in[0] = 0x01;
    in[1] = 0x80;
    in[2] = 0x20;
    memset(in + 3, 1, PAGE);
    ck_assert_int_eq(apply_guarded(in, PAGE + 3), -EBADMSG);
    /* a run that claims more bytes than the input has */
    in[0] = 0x00;
    ck_assert_int_eq(apply_guarded(in, PAGE + 2), -EBADMSG);
    free(in);
}
END_TEST

START_TEST(test_bad_varint)
{
    static const uint8_t big[] = { 0x81, 0x20, 0x01, 0x1 };     /* 4097 */
    static const uint8_t three[] = { 0x80, 0x80, 0x01, 0x01, 0x1 };
    static const uint8_t overlong[] = { 0x85, 0x00, 0x01, 0x1 };
    static const uint8_t zero_len[] = { 0x05, 0x00 };
    static const uint8_t huge_len[] = { 0x00, 0xff, 0xff, 0xff, 0x0f };

    ck_assert_int_eq(apply_guarded(big, sizeof(big)), -EBADMSG);
    ck_assert_int_eq(apply_guarded(three, sizeof(three)), -EBADMSG);
    ck_assert_int_eq(apply_guarded(overlong, sizeof(overlong)), -EBADMSG);
    ck_assert_int_eq(apply_guarded(zero_len, sizeof(zero_len)), -EBADMSG);
    ck_assert_int_eq(apply_guarded(huge_len, sizeof(huge_len)), -EBADMSG);
}
END_TEST

START_TEST(test_bad_trailing_garbage)
{
    uint8_t buf[16] = { 0x10, 0x02, 0xaa, 0xbb };
    unsigned extra;

    ck_assert_int_eq(apply_guarded(buf, 4), 0);
    /* one to three more bytes never make a whole second run here */
    buf[4] = 0x00;
    buf[5] = 0x05;
    buf[6] = 0x99;
    for (extra = 1; extra <= 3; extra++)
        ck_assert_int_eq(apply_guarded(buf, 4 + extra), -EBADMSG);
}
END_TEST

START_TEST(test_bad_random_garbage)
{
    static uint8_t buf[2 * PAGE];
    unsigned n, ok = 0;

    for (n = 0; n < 10000; n++) {
        size_t len = 1 + next_rand() % (n % 10 ? 16 : 2 * PAGE);
        int rc;

        fill_random(buf, len);
        rc = apply_guarded(buf, len);
        ck_assert(rc == 0 || rc == -EBADMSG);
        ok += rc == 0;
    }
    /* almost everything random is malformed */
    ck_assert_uint_lt(ok, 2000);
}
END_TEST

START_TEST(test_guarded_round_trips)
{
    /* valid encodings at the very end of the input and page */
    unsigned n;

    for (n = 0; n < 500; n++) {
        int len;

        fill_random(old, PAGE);
        memcpy(page, old, PAGE);
        page[PAGE - 1 - next_rand() % 8] ^= 0x40;
        page[next_rand() % PAGE] ^= 0x3;
        len = round_trip();
        ck_assert_int_gt(len, 0);
        ck_assert_int_eq(apply_guarded(out, (size_t)len), 0);
    }
}
END_TEST

static Suite *codec_delta_suite(void)
{
    Suite *s = suite_create("codec-delta");
    TCase *tc;

    tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_zero_page);
    tcase_add_test(tc, test_unchanged_page);
    tcase_add_test(tc, test_one_byte_changed);
    tcase_add_test(tc, test_merge_one_byte_gap);
    tcase_add_test(tc, test_leb128_skip);
    tcase_add_test(tc, test_cache_basic);
    tcase_add_test(tc, test_cache_tiny);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_byte_changed);
    tcase_add_test(tc, test_exact_max);
    tcase_add_test(tc, test_exact_max_many_runs);
    tcase_add_test(tc, test_run_to_page_end);
    tcase_add_test(tc, test_cache_eviction);
    tcase_add_test(tc, test_cache_hit_saves);
    tcase_add_test(tc, test_cache_model);
    tcase_add_test(tc, test_random_round_trips);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bad_truncated);
    tcase_add_test(tc, test_bad_oversized_run);
    tcase_add_test(tc, test_bad_varint);
    tcase_add_test(tc, test_bad_trailing_garbage);
    tcase_add_test(tc, test_bad_random_garbage);
    tcase_add_test(tc, test_guarded_round_trips);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_delta_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
