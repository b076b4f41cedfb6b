/*
 * check-encoder.c - the sender's page encoder (encoder.c) end to end:
 * pages in, PAGES payload out, decoded here as the receiver does
 * (xenmig-stream(7)) and compared with what went in.
 *
 * Suite "encoder". "core": every --compress mode round-trips a batch of
 * zero, random and text pages and a second pass of the same pages
 * re-dirtied (deltas); a batch's payload stays intact while the next
 * batch is encoded (the sender writes one while it encodes the next);
 * a stopped guest's raw pages go out from the pages themselves; auto
 * compresses text with zstd over a slow link and sends it raw over a
 * link faster than any compressor; the share of a batch a codec slower
 * than the link compresses, and such a batch (part compressed, part
 * raw) decoding; which codec auto picks from given speeds and ratios. "limits": 2,000 random batches of
 * 1..64 pages of mixed kinds over four passes (the last with the guest
 * stopped), in auto and in delta mode with a cache of 8 pages
 * (evictions), each decoded and compared;
 * a forced codec on random pages falls back to raw. "errors": levels a
 * codec does not have are refused, and the encoder leaves no state.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "encoder.h"
#include "pages.h"
#include "stream-format.h"

#define MAXN 64

/* What a receiver holds: @nr_pfns pages and the block codecs' states. */
struct guest {
    uint8_t *ram;      /* pfn x PAGE */
    void *lz4, *zstd;  /* decompression states */
};

static void guest_new(struct guest *g, size_t nr_pfns)
{
    g->ram = calloc(nr_pfns, PAGE);
    ck_assert_ptr_nonnull(g->ram);
    ck_assert_int_eq(xm_codec_lz4.new_state(0, &g->lz4), 0);
    ck_assert_int_eq(xm_codec_zstd.new_state(0, &g->zstd), 0);
}

static void guest_free(struct guest *g)
{
    free(g->ram);
    xm_codec_lz4.free_state(g->lz4);
    xm_codec_zstd.free_state(g->zstd);
}

static uint32_t u32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/*
 * Apply one record (@n pages @pfns with encodings @enc, payload in
 * @iov[0..@niov)) to @g, as the receiver does.
 */
static void decode(struct guest *g, const uint64_t *pfns, unsigned n,
                   const uint8_t *enc, const struct iovec *iov,
                   unsigned niov)
{
    static uint8_t pl[MAXN * PAGE + 64 * 1024], block[2][MAXN * PAGE];
    size_t len = 0, at = 0, used[2] = { 0, 0 };
    bool have[2] = { false, false };
    unsigned i;

    for (i = 0; i < niov; i++) {
        ck_assert_uint_le(len + iov[i].iov_len, sizeof(pl));
        memcpy(pl + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    for (i = 0; i < n; i++) {
        uint8_t *page = g->ram + pfns[i] * PAGE;
        unsigned b = enc[i] == XM_ENC_ZSTD;
        uint32_t l;

        switch (enc[i]) {
        case XM_ENC_ZERO:
            memset(page, 0, PAGE);
            break;
        case XM_ENC_RAW:
            ck_assert_uint_le(at + PAGE, len);
            memcpy(page, pl + at, PAGE);
            at += PAGE;
            break;
        case XM_ENC_DELTA:
            ck_assert_uint_le(at + 4, len);
            l = u32_at(pl + at);
            ck_assert_uint_le(at + 4 + l, len);
            ck_assert_int_eq(xm_delta_apply(page, pl + at + 4, l), 0);
            at += 4 + l;
            break;
        case XM_ENC_LZ4:
        case XM_ENC_ZSTD:
            if (!have[b]) {
                unsigned j, pages = 0;

                for (j = i; j < n; j++)
                    pages += enc[j] == enc[i];
                ck_assert_uint_le(at + 4, len);
                l = u32_at(pl + at);
                ck_assert_uint_le(at + 4 + l, len);
                ck_assert_int_eq(
                    (b ? &xm_codec_zstd : &xm_codec_lz4)
                        ->decompress(b ? g->zstd : g->lz4, pl + at + 4, l,
                                     block[b], (size_t)pages * PAGE),
                    0);
                at += 4 + l;
                have[b] = true;
            }
            memcpy(page, block[b] + used[b]++ * PAGE, PAGE);
            break;
        default:
            ck_abort_msg("encoding %u", enc[i]);
        }
    }
    ck_assert_uint_eq(at, len);
}

/* Encode @n pages of @src (pfn i at @src + pfns[i] x PAGE), decode them. */
static void pass(struct xm_encoder *e, struct guest *g, unsigned iteration,
                 const uint8_t *src, const uint64_t *pfns, unsigned n,
                 bool stable, uint8_t *enc_r)
{
    void *pages[MAXN];
    struct iovec iov[2 * MAXN + 2];
    uint8_t enc[MAXN];
    unsigned i, niov;

    for (i = 0; i < n; i++)
        pages[i] = (void *)(src + pfns[i] * PAGE);
    ck_assert_int_eq(xm_encoder_batch(e, iteration, pfns, pages, n, stable,
                                      enc, iov, &niov),
                     0);
    decode(g, pfns, n, enc, iov, niov);
    for (i = 0; i < n; i++)
        ck_assert_msg(!memcmp(g->ram + pfns[i] * PAGE, pages[i], PAGE),
                      "pfn %llu (encoding %u) differs",
                      (unsigned long long)pfns[i], enc[i]);
    if (enc_r)
        memcpy(enc_r, enc, n);
}

static struct xm_encoder *encoder(const char *spec, uint64_t nr_pfns,
                                  uint64_t cache_bytes)
{
    struct xm_compress c;
    struct xm_encoder *e;

    ck_assert_int_eq(xm_compress_parse(spec, &c), 0);
    c.cache_bytes = cache_bytes;
    ck_assert_int_eq(xm_encoder_new(&c, c.features, nr_pfns, &e), 0);
    return e;
}

/* Pages 0-15 zero, 16-31 random, 32-63 text. */
static uint8_t *mixed(void)
{
    uint8_t *p = aligned_alloc(PAGE, MAXN * PAGE);

    ck_assert_ptr_nonnull(p);
    fill(p, 16, ZERO);
    fill(p + 16 * PAGE, 16, RANDOM);
    fill(p + 32 * PAGE, 32, TEXT);
    return p;
}

/* ---- core ------------------------------------------------------------ */

static const char *const modes[] = { "none", "zero",  "delta", "lz4",
                                     "zstd", "zstd:3", "auto" };

START_TEST(test_modes_round_trip)
{
    struct xm_encoder *e = encoder(modes[_i], MAXN, MAXN * PAGE);
    uint8_t *src = mixed(), enc[MAXN];
    uint64_t pfns[MAXN];
    struct guest g;
    unsigned i, deltas = 0;

    guest_new(&g, MAXN);
    for (i = 0; i < MAXN; i++)
        pfns[i] = i;
    pass(e, &g, 0, src, pfns, MAXN, false, NULL);
    pass(e, &g, 1, src, pfns, MAXN, false, NULL);
    fill(src + 16 * PAGE, 48, REDIRTY);
    pass(e, &g, 2, src, pfns, MAXN, false, enc);
    for (i = 0; i < MAXN; i++)
        deltas += enc[i] == XM_ENC_DELTA;
    /* delta and auto send the re-dirtied pages as deltas */
    if (!strcmp(modes[_i], "delta") || !strcmp(modes[_i], "auto"))
        ck_assert_uint_eq(deltas, 48);
    else
        ck_assert_uint_eq(deltas, 0);
    xm_encoder_free(e);
    guest_free(&g);
    free(src);
}
END_TEST

/* The sender writes batch k while it encodes batch k + 1. */
START_TEST(test_payload_outlives_next_batch)
{
    struct xm_encoder *e = encoder(modes[_i], 2 * MAXN, 0);
    uint8_t *src = aligned_alloc(PAGE, 2 * MAXN * PAGE);
    uint8_t *sent = malloc(2 * MAXN * PAGE);
    uint8_t *a = mixed(), *b = mixed(), enc[2][MAXN];
    uint64_t pfns[2][MAXN];
    void *pages[2][MAXN];
    struct iovec iov[2][2 * MAXN + 2];
    unsigned niov[2], i, k;
    struct guest g;

    ck_assert_ptr_nonnull(src);
    ck_assert_ptr_nonnull(sent);
    memcpy(src, a, MAXN * PAGE);
    memcpy(src + MAXN * PAGE, b, MAXN * PAGE);
    memcpy(sent, src, 2 * MAXN * PAGE);
    guest_new(&g, 2 * MAXN);
    for (k = 0; k < 2; k++)
        for (i = 0; i < MAXN; i++) {
            pfns[k][i] = k * MAXN + i;
            pages[k][i] = src + pfns[k][i] * PAGE;
        }
    for (k = 0; k < 2; k++)
        ck_assert_int_eq(xm_encoder_batch(e, 0, pfns[k], pages[k], MAXN,
                                          false, enc[k], iov[k], &niov[k]),
                         0);
    /* the running guest rewrites its pages once they were encoded */
    fill(src, 2 * MAXN, RANDOM);
    for (k = 0; k < 2; k++)
        decode(&g, pfns[k], MAXN, enc[k], iov[k], niov[k]);
    ck_assert_msg(!memcmp(g.ram, sent, 2 * MAXN * PAGE),
                  "%s: a payload changed before it was written", modes[_i]);
    xm_encoder_free(e);
    guest_free(&g);
    free(src);
    free(sent);
    free(a);
    free(b);
}
END_TEST

/* A stopped guest's raw pages are sent from where they are. */
START_TEST(test_stable_raw_in_place)
{
    struct xm_encoder *e = encoder("zero", MAXN, 0);
    uint8_t *src = mixed(), enc[MAXN];
    uint64_t pfns[MAXN];
    void *pages[MAXN];
    struct iovec iov[2 * MAXN + 2];
    unsigned i, niov;
    bool from_page = false;

    for (i = 0; i < MAXN; i++) {
        pfns[i] = i;
        pages[i] = src + i * PAGE;
    }
    ck_assert_int_eq(xm_encoder_batch(e, 5, pfns, pages, MAXN, true, enc,
                                      iov, &niov),
                     0);
    for (i = 0; i < niov; i++)
        from_page |= (uint8_t *)iov[i].iov_base >= src &&
                     (uint8_t *)iov[i].iov_base < src + MAXN * PAGE;
    ck_assert(from_page);
    for (i = 0; i < MAXN; i++)
        ck_assert_uint_eq(enc[i], i < 16 ? XM_ENC_ZERO : XM_ENC_RAW);
    xm_encoder_free(e);
    free(src);
}
END_TEST

/*
 * Auto over a link of @ns_per_byte: @batches batches of text pages;
 * returns how many of the last batch's pages went with encoding @want.
 */
static unsigned auto_text(double ns_per_byte, unsigned batches,
                          uint8_t want)
{
    struct xm_encoder *e = encoder("auto", MAXN, 0);
    uint8_t *src = aligned_alloc(PAGE, MAXN * PAGE), enc[MAXN];
    uint64_t pfns[MAXN];
    struct guest g;
    unsigned i, k, n = 0;

    ck_assert_ptr_nonnull(src);
    guest_new(&g, MAXN);
    for (i = 0; i < MAXN; i++)
        pfns[i] = i;
    for (k = 0; k < batches; k++) {
        fill(src, MAXN, TEXT);
        /* one sample as the writer gives it: 1 MiB took this long */
        xm_encoder_link_sample(e, 1u << 20, (uint64_t)(ns_per_byte * 1048576));
        pass(e, &g, 0, src, pfns, MAXN, false, enc);
    }
    for (i = 0; i < MAXN; i++)
        n += enc[i] == want;
    xm_encoder_free(e);
    guest_free(&g);
    free(src);
    return n;
}

START_TEST(test_auto_slow_link_zstd)
{
    /* 1 MB/s: both codecs outrun the link, zstd sends fewer bytes */
    ck_assert_uint_eq(auto_text(1000.0, 4, XM_ENC_ZSTD), MAXN);
}
END_TEST

START_TEST(test_auto_fast_link_raw)
{
    /* 1 TB/s: no compressor keeps up, so the link gets raw pages */
    ck_assert_uint_eq(auto_text(0.001, 4, XM_ENC_RAW), MAXN);
}
END_TEST

/*
 * Auto over a slow link (its model says zstd) whose pipeline is measured
 * at @coded_ns per input byte in coded batches and @raw_ns in raw ones:
 * is batch @last coded?
 */
static bool auto_piped(double coded_ns, double raw_ns, unsigned last)
{
    struct xm_encoder *e = encoder("auto", MAXN, 0);
    uint8_t *src = aligned_alloc(PAGE, MAXN * PAGE), enc[MAXN];
    uint64_t pfns[MAXN];
    struct guest g;
    unsigned i, k;
    bool coded = false;

    ck_assert_ptr_nonnull(src);
    guest_new(&g, MAXN);
    for (i = 0; i < MAXN; i++)
        pfns[i] = i;
    for (k = 0; k <= last; k++) {
        fill(src, MAXN, TEXT);
        xm_encoder_link_sample(e, 1u << 20, 1000u << 20);
        pass(e, &g, 0, src, pfns, MAXN, false, enc);
        for (coded = false, i = 0; i < MAXN; i++)
            coded |= enc[i] == XM_ENC_LZ4 || enc[i] == XM_ENC_ZSTD;
        xm_encoder_pipe_sample(e, coded, MAXN * PAGE,
                               (uint64_t)((coded ? coded_ns : raw_ns) *
                                          MAXN * PAGE));
    }
    xm_encoder_free(e);
    guest_free(&g);
    free(src);
    return coded;
}

START_TEST(test_auto_pipeline_overrules_model)
{
    /* past the link something makes coded batches slow: raw wins */
    ck_assert(!auto_piped(10.0, 1.0, 30));
    /* coded batches really are faster: they stay (batch 30 is no probe) */
    ck_assert(auto_piped(1.0, 10.0, 30));
}
END_TEST

START_TEST(test_holes_go_as_zero_pages)
{
    static const char *const specs[] = { "none", "auto" };
    static const uint8_t zero[PAGE];
    uint8_t *src = mixed(), enc[MAXN];
    uint64_t pfns[MAXN];
    void *pages[MAXN];
    struct iovec iov[2 * MAXN + 2];
    struct guest g;
    unsigned i, m, niov;

    for (i = 0; i < MAXN; i++)
        pfns[i] = i;
    for (m = 0; m < 2; m++) {
        struct xm_encoder *e = encoder(specs[m], MAXN, 0);

        guest_new(&g, MAXN);
        memset(g.ram, 0xaa, (size_t)MAXN * PAGE); /* a hole must clear it */
        for (i = 0; i < MAXN; i++)
            pages[i] = i % 3 ? (void *)(src + i * PAGE) : NULL;
        ck_assert_int_eq(xm_encoder_batch(e, 1, pfns, pages, MAXN, false,
                                          enc, iov, &niov), 0);
        decode(&g, pfns, MAXN, enc, iov, niov);
        for (i = 0; i < MAXN; i++) {
            const uint8_t *want = pages[i] ? pages[i] : (void *)zero;

            ck_assert_msg(!memcmp(g.ram + i * PAGE, want, PAGE),
                          "%s: pfn %u (encoding %u) differs", specs[m], i,
                          enc[i]);
            if (!pages[i])
                ck_assert_uint_eq(enc[i], m ? XM_ENC_ZERO : XM_ENC_RAW);
        }
        xm_encoder_free(e);
        guest_free(&g);
    }
    free(src);
}
END_TEST

START_TEST(test_share)
{
    /* keeps up with what it sends: all of it */
    ck_assert(xm__encoder_share(0.5, 0.2, 8.0) == 1);
    ck_assert(xm__encoder_share(1.6, 0.2, 8.0) == 1);
    /* slower: compressing f and sending the rest take equally long */
    ck_assert_double_eq_tol(xm__encoder_share(2.0, 0.25, 1.0),
                            1.0 / (2.0 + 0.75), 1e-12);
    ck_assert_double_eq_tol(2.0 * xm__encoder_share(2.0, 0.25, 1.0),
                            1.0 * (1 - 0.75 * xm__encoder_share(2.0, 0.25,
                                                                1.0)),
                            1e-12);
    /* nothing saved: nothing compressed */
    ck_assert(xm__encoder_share(2.0, 1.0, 1.0) == 0);
    ck_assert(xm__encoder_share(2.0, 1.5, 1.0) == 0);
}
END_TEST

START_TEST(test_pick)
{
    /* lz4, zstd: ns per byte and output / input */
    const double cpu[2] = { 0.5, 1.0 }, far[2] = { 0.3, 0.2 };
    const double near[2] = { 0.21, 0.2 }, none[2] = { 1.0, 1.2 };
    double share = -1;

    /* 8 ns per byte (1 Gbit/s): both outrun it, zstd sends 1/3 less */
    ck_assert_int_eq(xm__encoder_pick(2, cpu, far, 8.0, &share), 1);
    ck_assert(share == 1);
    /* lz4 0.2 ns per byte faster, zstd 0.08 ns per byte less on the link */
    ck_assert_int_eq(xm__encoder_pick(2, cpu, near, 8.0, &share), 1);
    /* ... on a link where lz4 outruns it and zstd does not */
    ck_assert_int_eq(xm__encoder_pick(2, cpu, near, 3.0, &share), 0);
    ck_assert(share == 1);
    /* a link faster than both: lz4 on part of the batch */
    ck_assert_int_eq(xm__encoder_pick(2, cpu, far, 0.4, &share), 0);
    ck_assert_double_eq_tol(share, xm__encoder_share(0.5, 0.3, 0.4),
                            1e-12);
    ck_assert(share > 0 && share < 1);
    /* nothing compresses: raw */
    ck_assert_int_eq(xm__encoder_pick(2, cpu, none, 8.0, &share), -1);
    /* one codec only */
    ck_assert_int_eq(xm__encoder_pick(1, cpu + 1, far + 1, 8.0, &share), 0);
}
END_TEST

/*
 * A link four times faster than the codecs: part of each batch is
 * compressed, the rest raw, in one record that decodes.
 */
START_TEST(test_auto_partial_batch)
{
    struct xm_encoder *e = encoder("auto", MAXN, 0);
    uint8_t *src = aligned_alloc(PAGE, MAXN * PAGE), enc[MAXN];
    uint64_t pfns[MAXN];
    struct xm_codec_stats st;
    struct guest g;
    unsigned i, k, raw = 0;
    double link;

    ck_assert_ptr_nonnull(src);
    guest_new(&g, MAXN);
    for (i = 0; i < MAXN; i++)
        pfns[i] = i;
    for (k = 0; k < 2; k++) {         /* each codec measured once */
        fill(src, MAXN, TEXT);
        pass(e, &g, 0, src, pfns, MAXN, false, NULL);
    }
    xm_encoder_stats(e, &st);
    link = (double)st.codec_ns / (2.0 * MAXN * PAGE) / 4;
    xm_encoder_link_sample(e, 1u << 20, (uint64_t)(link * 1048576) + 1);
    fill(src, MAXN, TEXT);
    pass(e, &g, 0, src, pfns, MAXN, false, enc);
    for (i = 0; i < MAXN; i++)
        raw += enc[i] == XM_ENC_RAW;
    ck_assert_msg(raw > 0 && raw < MAXN, "%u of %u pages raw", raw, MAXN);
    /* the compressed ones come first */
    ck_assert_uint_ne(enc[0], XM_ENC_RAW);
    ck_assert_uint_eq(enc[MAXN - 1], XM_ENC_RAW);
    xm_encoder_free(e);
    guest_free(&g);
    free(src);
}
END_TEST

/* ---- limits ---------------------------------------------------------- */

/*
 * @batches random batches of 1..MAXN pages of mixed kinds over 256 pages,
 * in four passes, the last with the guest stopped; each page checked.
 */
static void random_batches(const char *spec, uint64_t cache_bytes,
                           unsigned batches)
{
    const uint64_t nr_pfns = 256;
    struct xm_encoder *e = encoder(spec, nr_pfns, cache_bytes);
    uint8_t *src = aligned_alloc(PAGE, nr_pfns * PAGE);
    struct guest g;
    unsigned k;

    ck_assert_ptr_nonnull(src);
    guest_new(&g, nr_pfns);
    fill(src, nr_pfns, TEXT);
    for (k = 0; k < batches; k++) {
        uint64_t pfns[MAXN];
        unsigned n = 1 + next_rand() % MAXN, i;
        uint64_t first = next_rand() % (nr_pfns - n + 1);

        for (i = 0; i < n; i++) {
            pfns[i] = first + i;
            fill(src + pfns[i] * PAGE, 1,
                 (enum kind)(next_rand() % NR_KINDS));
        }
        if (k % 7 == 0)
            xm_encoder_link_sample(e, 1u << 20, 1 + next_rand() % 20000000);
        /* three live passes, then the guest stops (a final pass) */
        pass(e, &g, k * 4 / batches, src, pfns, n, k * 4 / batches == 3,
             NULL);
    }
    xm_encoder_free(e);
    guest_free(&g);
    free(src);
}

START_TEST(test_random_round_trips_auto)
{
    random_batches("auto", 0, 2000);
}
END_TEST

START_TEST(test_random_round_trips_small_cache)
{
    random_batches("delta", 8 * PAGE, 2000);
}
END_TEST

START_TEST(test_forced_codec_incompressible)
{
    struct xm_encoder *e = encoder(_i ? "zstd" : "lz4", MAXN, 0);
    uint8_t *src = aligned_alloc(PAGE, MAXN * PAGE), enc[MAXN];
    uint64_t pfns[MAXN];
    struct guest g;
    unsigned i;

    ck_assert_ptr_nonnull(src);
    guest_new(&g, MAXN);
    fill(src, MAXN, RANDOM);
    for (i = 0; i < MAXN; i++)
        pfns[i] = i;
    pass(e, &g, 0, src, pfns, MAXN, false, enc);
    for (i = 0; i < MAXN; i++)
        ck_assert_uint_eq(enc[i], XM_ENC_RAW);
    xm_encoder_free(e);
    guest_free(&g);
    free(src);
}
END_TEST

/* ---- errors ---------------------------------------------------------- */

START_TEST(test_bad_levels)
{
    struct xm_compress c;
    struct xm_encoder *e = NULL;

    ck_assert_int_eq(xm_compress_parse("zstd", &c), 0);
    c.zstd_level = 99;
    ck_assert_int_eq(xm_encoder_new(&c, c.features, MAXN, &e), -EINVAL);
    ck_assert_int_eq(xm_compress_parse("lz4", &c), 0);
    c.lz4_level = -1;
    ck_assert_int_eq(xm_encoder_new(&c, c.features, MAXN, &e), -EINVAL);
    ck_assert_int_eq(xm_compress_parse("zstd:0", &c), -EINVAL);
    ck_assert_int_eq(xm_compress_parse("auto:3", &c), -EINVAL);
    xm_encoder_free(NULL);
}
END_TEST

static Suite *encoder_suite(void)
{
    Suite *s = suite_create("encoder");
    TCase *tc;
    const int nmodes = (int)(sizeof(modes) / sizeof(modes[0]));

    tc = tcase_create("core");
    tcase_add_loop_test(tc, test_modes_round_trip, 0, nmodes);
    tcase_add_loop_test(tc, test_payload_outlives_next_batch, 0, nmodes);
    tcase_add_test(tc, test_stable_raw_in_place);
    tcase_add_test(tc, test_auto_slow_link_zstd);
    tcase_add_test(tc, test_auto_fast_link_raw);
    tcase_add_test(tc, test_auto_pipeline_overrules_model);
    tcase_add_test(tc, test_holes_go_as_zero_pages);
    tcase_add_test(tc, test_share);
    tcase_add_test(tc, test_pick);
    tcase_add_test(tc, test_auto_partial_batch);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_round_trips_auto);
    tcase_add_test(tc, test_random_round_trips_small_cache);
    tcase_add_loop_test(tc, test_forced_codec_incompressible, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_bad_levels);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(encoder_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
