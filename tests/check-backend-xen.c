/*
 * check-backend-xen.c - the xen backend's pure parts, on a host without
 * Xen: page-table normalisation, mfn -> pfn, the p2m tail trim, libxc
 * record framing and the receiver's CONFIG parsing. backend-xen.c is
 * included whole so its static helpers can be called on a fake guest (an
 * m2p and a p2m in plain memory). Built only with the Xen libraries; the
 * ops that talk to Xen are tested in dom0 (tests/xen/).
 *
 * Suite "backend-xen": "core" (what a good table or blob becomes),
 * "limits" (frame numbers at the edges), "errors" (races, superpages,
 * foreign frames, malformed blobs).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../save-restore/backend-xen.c"

/* The fake guest: 64 pfns at mfns 500..563; the host has 1024 mfns. */
#define NPFN 64
#define MFN0 500
#define NMFN 1024

static struct xen_backend X;
static uint64_t m2p[NMFN];
static uint64_t p2m[NPFN];
static uint64_t src[512], dst[512];

static void setup(void)
{
    unsigned i;

    memset(&X, 0, sizeof(X));
    for (i = 0; i < NMFN; i++)
        m2p[i] = ~0ull;
    for (i = 0; i < NPFN; i++) {
        p2m[i] = MFN0 + i;
        m2p[MFN0 + i] = i;
    }
    X.m2p = m2p;
    X.m2p_pages = NMFN / 512;
    X.max_mfn = NMFN - 1;
    X.pv.domid = 7;
    X.pv.p2m = p2m;
    X.pv.max_pfn = NPFN - 1;
    memset(src, 0, sizeof(src));
    memset(dst, 0xaa, sizeof(dst));
}

static uint64_t pte(uint64_t mfn, uint64_t flags)
{
    return mfn << 12 | flags;
}

/* ---- core ----------------------------------------------------------- */

START_TEST(l1_table_gets_pfns)
{
    src[0] = pte(MFN0 + 5, 0x67);                 /* present, rw, user... */
    src[1] = pte(MFN0 + 63, 0x8000000000000063ull); /* NX kept */
    src[2] = 0x1234000;                           /* not present: as is */
    src[3] = pte(MFN0, 0x80 | 1);                 /* PAT bit in an L1 */
    ck_assert_int_eq(normalise(&X, 3, XM_PAGE_L1TAB, src, dst), 0);
    ck_assert_uint_eq(dst[0], pte(5, 0x67));
    ck_assert_uint_eq(dst[1], pte(63, 0x8000000000000063ull));
    ck_assert_uint_eq(dst[2], 0x1234000);
    ck_assert_uint_eq(dst[3], pte(0, 0x81));
    ck_assert_uint_eq(dst[511], 0);
}
END_TEST

START_TEST(pinned_l2_is_a_table_too)
{
    src[7] = pte(MFN0 + 9, 0x63);
    ck_assert_int_eq(normalise(&X, 3, XM_PAGE_L2TAB | XM_PAGE_LPINTAB, src,
                               dst), 0);
    ck_assert_uint_eq(dst[7], pte(9, 0x63));
}
END_TEST

START_TEST(l4_xen_slots_cleared)
{
    unsigned i;

    for (i = 0; i < 512; i++)
        src[i] = pte(MFN0 + i % NPFN, 0x67);
    /* Xen's own slots may hold anything: frames that are not the guest's */
    for (i = 256; i <= 272; i++)
        src[i] = pte(2, 0x63);
    ck_assert_int_eq(normalise(&X, 3, XM_PAGE_L4TAB, src, dst), 0);
    for (i = 0; i < 512; i++) {
        if (i >= 256 && i <= 272)
            ck_assert_uint_eq(dst[i], 0);
        else
            ck_assert_uint_eq(dst[i], pte(i % NPFN, 0x67));
    }
}
END_TEST

START_TEST(l3_keeps_slot_256)
{
    /* only L4s have Xen slots */
    src[256] = pte(MFN0 + 1, 0x67);
    ck_assert_int_eq(normalise(&X, 3, XM_PAGE_L3TAB, src, dst), 0);
    ck_assert_uint_eq(dst[256], pte(1, 0x67));
}
END_TEST

START_TEST(tail_run_trims_shared_tail)
{
    uint64_t v[6] = { 10, 11, 12, 40, 40, 40 };
    uint64_t w[4] = { 10, 11, 12, 13 };
    uint64_t one[1] = { 10 };

    ck_assert_uint_eq(tail_run(v, 6), 3);
    ck_assert_uint_eq(tail_run(w, 4), 4);
    ck_assert_uint_eq(tail_run(one, 1), 1);
    v[5] = 41;
    ck_assert_uint_eq(tail_run(v, 6), 6);
}
END_TEST

START_TEST(records_framed_and_padded)
{
    struct recbuf b = { 0 };
    struct xm_xc_rhdr rh;
    uint32_t hdr = 0x11223344;
    const char body[5] = "abcd";

    rec_add(&b, XM_XC_REC_X86_PV_INFO, NULL, 0, body, 5);
    rec_add(&b, XM_XC_REC_STATIC_DATA_END, NULL, 0, NULL, 0);
    rec_add(&b, XM_XC_REC_X86_PV_VCPU_BASIC, &hdr, 4, body, 4);
    ck_assert_int_eq(b.err, 0);
    ck_assert_uint_eq(b.len, (8 + 8) + 8 + (8 + 8));
    memcpy(&rh, b.p, sizeof(rh));
    ck_assert_uint_eq(rh.type, XM_XC_REC_X86_PV_INFO);
    ck_assert_uint_eq(rh.length, 5);
    ck_assert_mem_eq(b.p + 8, "abcd\0\0\0\0", 8);
    memcpy(&rh, b.p + 16, sizeof(rh));
    ck_assert_uint_eq(rh.type, XM_XC_REC_STATIC_DATA_END);
    ck_assert_uint_eq(rh.length, 0);
    memcpy(&rh, b.p + 24, sizeof(rh));
    ck_assert_uint_eq(rh.length, 8);
    ck_assert_mem_eq(b.p + 32, &hdr, 4);
    ck_assert_mem_eq(b.p + 36, "abcd", 4);
    free(b.p);
}
END_TEST

/* A CONFIG blob: our JSON record, then @pv_info or not. */
static size_t config_blob(struct recbuf *b, const char *json, bool pv_info)
{
    struct xm_xc_x86_pv_info pi = { .guest_width = 8, .pt_levels = 4 };

    memset(b, 0, sizeof(*b));
    rec_add(b, XM_XC_REC_XENMIG_CONFIG, NULL, 0, json, strlen(json) + 1);
    if (pv_info)
        rec_add(b, XM_XC_REC_X86_PV_INFO, NULL, 0, &pi, sizeof(pi));
    rec_add(b, XM_XC_REC_STATIC_DATA_END, NULL, 0, NULL, 0);
    return b->len;
}

START_TEST(config_split)
{
    struct recbuf b;
    const uint8_t *rest;
    const char *json;
    size_t len = config_blob(&b, "{\"c_info\":{}}", true), rest_len;
    uint32_t type;

    ck_assert_int_eq(parse_config(&X, b.p, len, &json, &rest, &rest_len,
                                  &type), 0);
    ck_assert_str_eq(json, "{\"c_info\":{}}");
    ck_assert_uint_eq(type, XM_GUEST_PV);
    ck_assert_uint_eq(rest_len, 16 + 8);
    ck_assert_ptr_eq(rest, b.p + 8 + 16);
    free(b.p);
    len = config_blob(&b, "{}", false);
    ck_assert_int_eq(parse_config(&X, b.p, len, &json, &rest, &rest_len,
                                  &type), 0);
    ck_assert_uint_eq(type, XM_GUEST_PVH);
    free(b.p);
}
END_TEST

/* ---- limits --------------------------------------------------------- */

START_TEST(mfn_edges)
{
    uint64_t pfn = 99;

    ck_assert(mfn_to_pfn(&X, MFN0, &pfn) && pfn == 0);
    ck_assert(mfn_to_pfn(&X, MFN0 + NPFN - 1, &pfn) && pfn == NPFN - 1);
    ck_assert(!mfn_to_pfn(&X, MFN0 + NPFN, &pfn));   /* m2p says none */
    ck_assert(!mfn_to_pfn(&X, NMFN, &pfn));          /* past max_mfn */
    ck_assert(!mfn_to_pfn(&X, ~0ull >> 12, &pfn));
    /* an m2p entry past the guest's p2m */
    m2p[3] = NPFN;
    ck_assert(!mfn_to_pfn(&X, 3, &pfn));
    /* Xen's m2p and the guest's p2m disagree: not the guest's */
    m2p[4] = 5;
    ck_assert(!mfn_to_pfn(&X, 4, &pfn));
}
END_TEST

START_TEST(pfn_to_mfn_past_the_end)
{
    ck_assert_uint_eq(pfn_to_mfn(&X.pv, NPFN - 1), MFN0 + NPFN - 1);
    ck_assert_uint_eq(pfn_to_mfn(&X.pv, NPFN), INVALID_P2M);
}
END_TEST

/* ---- errors --------------------------------------------------------- */

START_TEST(live_race_clears_and_defers)
{
    src[0] = pte(MFN0 + 1, 0x67);
    src[1] = pte(3, 0x67);          /* a frame that is not the guest's */
    src[2] = pte(MFN0 + 2, 0x67);
    ck_assert_int_eq(normalise(&X, 3, XM_PAGE_L1TAB, src, dst), 1);
    ck_assert_uint_eq(dst[0], pte(1, 0x67));
    ck_assert_uint_eq(dst[1], 0);
    ck_assert_uint_eq(dst[2], pte(2, 0x67));
}
END_TEST

START_TEST(suspended_race_is_fatal)
{
    X.pv.frozen = true;
    src[9] = pte(3, 0x67);
    ck_assert_int_eq(normalise(&X, 3, XM_PAGE_L1TAB, src, dst), -ERANGE);
}
END_TEST

START_TEST(superpage_refused)
{
    src[0] = pte(MFN0, 0x80 | 0x63);
    ck_assert_int_eq(normalise(&X, 3, XM_PAGE_L2TAB, src, dst), -E2BIG);
    ck_assert_int_eq(normalise(&X, 3, XM_PAGE_L3TAB, src, dst), -E2BIG);
}
END_TEST

START_TEST(defer_counts_once)
{
    unsigned long bits[2] = { 0, 0 };

    X.pv.deferred = bits;
    defer(&X.pv, 5);
    defer(&X.pv, 5);
    defer(&X.pv, 63);
    ck_assert_uint_eq(X.pv.nr_deferred, 2);
    ck_assert_uint_eq(bits[0], (1ul << 5) | (1ul << 63));
}
END_TEST

START_TEST(config_malformed)
{
    struct recbuf b;
    const uint8_t *rest;
    const char *json;
    size_t len = config_blob(&b, "{}", true), rest_len;
    uint32_t type;

    /* cut inside the JSON record */
    ck_assert_int_eq(parse_config(&X, b.p, 10, &json, &rest, &rest_len,
                                  &type), -EINVAL);
    /* JSON not NUL terminated */
    b.p[8 + 2] = 'x';
    ck_assert_int_eq(parse_config(&X, b.p, len, &json, &rest, &rest_len,
                                  &type), -EINVAL);
    /* not our record first (a sim config, say) */
    b.p[0] = 0x02;
    ck_assert_int_eq(parse_config(&X, b.p, len, &json, &rest, &rest_len,
                                  &type), -EINVAL);
    ck_assert_int_eq(parse_config(&X, b.p, 4, &json, &rest, &rest_len,
                                  &type), -EINVAL);
    free(b.p);
}
END_TEST

static Suite *backend_xen_suite(void)
{
    Suite *s = suite_create("backend-xen");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");
    TCase *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, setup, NULL);
    tcase_add_checked_fixture(limits, setup, NULL);
    tcase_add_checked_fixture(errors, setup, NULL);
    tcase_add_test(core, l1_table_gets_pfns);
    tcase_add_test(core, pinned_l2_is_a_table_too);
    tcase_add_test(core, l4_xen_slots_cleared);
    tcase_add_test(core, l3_keeps_slot_256);
    tcase_add_test(core, tail_run_trims_shared_tail);
    tcase_add_test(core, records_framed_and_padded);
    tcase_add_test(limits, mfn_edges);
    tcase_add_test(limits, pfn_to_mfn_past_the_end);
    tcase_add_test(errors, live_race_clears_and_defers);
    tcase_add_test(errors, suspended_race_is_fatal);
    tcase_add_test(errors, superpage_refused);
    tcase_add_test(errors, defer_counts_once);
    tcase_add_test(core, config_split);
    tcase_add_test(errors, config_malformed);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(backend_xen_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
