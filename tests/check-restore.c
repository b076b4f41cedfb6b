/*
 * check-restore.c - the receiver against hand-made streams, on a real sim
 * host: what it must accept, and everything it must refuse with a clear
 * message and nothing left behind.
 *
 * Each test builds a stream in a memfd with the stream writer, from the
 * state of a real source domain (so the blobs are valid), then feeds it
 * to xm_receive() as a restore would.
 *
 * core    a minimal stream restores with the right memory; an unknown
 *         optional record is skipped; a matching VERIFY passes; four
 *         passes of every encoding leave each page as last sent (zero
 *         pages over pages that held data, a page sent twice in one
 *         record, lz4 and zstd blocks interleaved in one record, runs of
 *         adjacent and of scattered pfns)
 * errors  unknown mandatory record, encoding not agreed (zero, lz4),
 *         feature not offered, pfn past the end, records out of order,
 *         END before the vCPU state, a cut stream, another backend's
 *         stream, a digest mismatch, a count over the limit, a corrupt
 *         lz4 block, a corrupt delta
 */
#include <sys/mman.h>

#include "backend.h"
#include "codec.h"
#include "private.h"
#include "sim.h"
#include "simhost.h"
#include "stream.h"

#define NR_PFNS 16

static struct test_logger tlog;
static pid_t simd_pid = -1;
static char sock_path[108];
static struct xm_backend *be;

/* What a stream needs from a source domain. */
static void *cfg_blob, *vcpu_blob, *plat_blob;
static size_t cfg_len, vcpu_len, plat_len;
static uint64_t src_digest; /* of the memory the streams carry */

/* How a test wants its stream bent. */
struct shape {
    uint64_t offer;          /* image header features */
    uint64_t in_use;         /* FEATURES record */
    const char *backend;     /* DOMAIN_HEADER backend name */
    bool pages_first;        /* PAGES before DOMAIN_CONFIG */
    uint64_t bad_pfn;        /* if set: a page at this pfn */
    bool zero_page;          /* pfn 2 sent as ZERO */
    uint32_t extra_type;     /* if set: a record of this type after pages */
    bool no_vcpu;            /* leave out VCPU_STATE */
    int verify;              /* 1: a right VERIFY, -1: a wrong one */
    uint32_t count_override; /* if set: the PAGES count field */
    bool no_end;             /* stop before END */
    uint8_t page_enc;        /* pfn 1's encoding (RAW unless set) */
    bool passes;             /* the pages are write_passes()'s */
    uint32_t cap;            /* if set: a SCHED record with this cap */
};

/* What write_passes() sent: each page as its last copy left it. */
static uint8_t model[NR_PFNS][XM_PAGE_SIZE];

/* The page at pfn 1 holds this pattern; every other page is zero. */
static void pattern(uint8_t *page)
{
    unsigned i;

    for (i = 0; i < XM_PAGE_SIZE; i++)
        page[i] = (uint8_t)(i * 7 + 1);
}

static void setup(void)
{
    struct xm_sim_config cfg;
    uint32_t src;

    tlog.lg.log = test_log;
    tlog.lg.min_level = XM_LOG_DEBUG;
    tlog.last[0] = 0;
    tlog.all[0] = 0;
    snprintf(sock_path, sizeof(sock_path), "/tmp/xenmig-check-restore-%d.sock",
             (int)getpid());
    simd_pid = start_simd_at(sock_path, NULL);
    ck_assert_int_eq(xm_backend_open("sim", sock_path, &tlog.lg, &be), 0);
    xm_sim_config_init(&cfg);
    ck_assert_int_eq(xm_sim_domain_create(be, "src", &cfg, NR_PFNS,
                                          XM_SIM_FILL_ZERO, &src), 0);
    ck_assert_int_eq(be->ops->pause(be, src), 0);
    {
        /* Page 0 holds the idle guest's heartbeat: clear it. */
        uint64_t pfns[2] = { 0, 1 };
        void *pages[2], *handle;
        int errs[2];

        ck_assert_int_eq(be->ops->map(be, src, pfns, 2, true, pages, errs,
                                      &handle), 0);
        memset(pages[0], 0, XM_PAGE_SIZE);
        pattern(pages[1]);
        be->ops->unmap(be, handle, 2);
        ck_assert_int_eq(xm_domain_digest(be, &tlog.lg, src, &src_digest),
                         0);
    }
    ck_assert_int_eq(be->ops->get_state(be, src, XM_STATE_CONFIG, &cfg_blob,
                                        &cfg_len), 0);
    ck_assert_int_eq(be->ops->get_state(be, src, XM_STATE_VCPU, &vcpu_blob,
                                        &vcpu_len), 0);
    ck_assert_int_eq(be->ops->get_state(be, src, XM_STATE_PLATFORM,
                                        &plat_blob, &plat_len), 0);
    ck_assert_int_eq(be->ops->destroy(be, src), 0);
}

static void teardown(void)
{
    free(cfg_blob);
    free(vcpu_blob);
    free(plat_blob);
    xm_backend_close(be);
    if (simd_pid > 0)
        stop_simd(simd_pid, sock_path);
}

static struct shape good(void)
{
    return (struct shape){
        .offer = XM_FEAT_ZERO_PAGES | XM_FEAT_VERIFY,
        .in_use = XM_FEAT_ZERO_PAGES | XM_FEAT_VERIFY,
        .backend = "sim",
        .zero_page = true,
    };
}

static void write_pages(struct xm_stream *s, const struct shape *sh)
{
    static uint8_t page[XM_PAGE_SIZE];
    struct xm_rec_pages rp = { .count = sh->zero_page ? 2 : 1 };
    uint64_t pfns[2] = { sh->bad_pfn ? sh->bad_pfn : 1, 2 };
    uint8_t enc[8] = { XM_ENC_RAW, XM_ENC_ZERO };
    struct iovec iov[4] = {
        { &rp, sizeof(rp) },
        { pfns, rp.count * sizeof(uint64_t) },
        { enc, 8 },
        { page, XM_PAGE_SIZE },
    };

    /* A delta whose skip is an overlong varint; a block of garbage. */
    static uint8_t bad_delta[] = { 5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f };
    static uint8_t bad_block[4 + 64] = { 64 };

    if (sh->count_override)
        rp.count = sh->count_override;
    pattern(page);
    if (sh->page_enc) {
        enc[0] = sh->page_enc;
        if (sh->page_enc == XM_ENC_DELTA)
            iov[3] = (struct iovec){ bad_delta, sizeof(bad_delta) };
        else
            iov[3] = (struct iovec){ bad_block, sizeof(bad_block) };
    }
    ck_assert_int_eq(xm_stream_write_record(s, XM_REC_PAGES, iov, 4), 0);
}

/* Non-zero content for a page, different for each @seed. */
static void content(uint8_t *page, unsigned seed)
{
    unsigned i;

    for (i = 0; i < XM_PAGE_SIZE; i++)
        page[i] = (uint8_t)((i / 16 + seed) * (seed | 1) + (i % 16)) | 1;
}

/*
 * One PAGES record of pass @iteration: pfns[i] sent as enc[i], with
 * @seed[i]'s content (a ZERO page none, a DELTA page its model copy with
 * a few bytes changed), built as the spec says and applied to model[].
 */
static void send_record(struct xm_stream *s, unsigned iteration,
                        const uint64_t *pfns, const uint8_t *enc,
                        const unsigned *seed, unsigned n)
{
    static uint8_t payload[NR_PFNS * 2 * (XM_PAGE_SIZE + 64)];
    static uint8_t block[2][NR_PFNS * 2 * XM_PAGE_SIZE];
    struct xm_rec_pages rp = { .count = n, .iteration = iteration };
    uint8_t encs[NR_PFNS * 2 + 8] = { 0 };
    uint8_t page[XM_PAGE_SIZE];
    unsigned i, j, nb[2] = { 0, 0 };
    size_t len = 0;

    ck_assert_uint_le(n, NR_PFNS * 2);
    memcpy(encs, enc, n);
    /* the pages of each block, in record order */
    for (i = 0; i < n; i++) {
        if (enc[i] == XM_ENC_LZ4 || enc[i] == XM_ENC_ZSTD) {
            j = enc[i] == XM_ENC_ZSTD;
            content(block[j] + (size_t)nb[j]++ * XM_PAGE_SIZE, seed[i]);
        }
    }
    for (i = 0; i < n; i++) {
        uint8_t *m = model[pfns[i]];

        switch (enc[i]) {
        case XM_ENC_RAW:
            content(m, seed[i]);
            memcpy(payload + len, m, XM_PAGE_SIZE);
            len += XM_PAGE_SIZE;
            break;
        case XM_ENC_ZERO:
            memset(m, 0, XM_PAGE_SIZE);
            break;
        case XM_ENC_DELTA: {
            int dlen;

            memcpy(page, m, XM_PAGE_SIZE);
            for (j = 0; j < 4; j++)
                page[(seed[i] * 997 + j * 1031) % XM_PAGE_SIZE] ^= 0x5a;
            dlen = xm_delta_encode(m, page, payload + len + 4);
            ck_assert_int_gt(dlen, 0);
            memcpy(payload + len, &dlen, 4); /* little-endian host */
            len += 4 + (size_t)dlen;
            memcpy(m, page, XM_PAGE_SIZE);
            break;
        }
        default: {
            const struct xm_block_codec_ops *o =
                enc[i] == XM_ENC_LZ4 ? &xm_codec_lz4 : &xm_codec_zstd;
            bool first = true;
            void *st;
            long clen;

            content(m, seed[i]);
            for (j = 0; j < i; j++)
                first = first && enc[j] != enc[i];
            if (!first)
                break;
            ck_assert_int_eq(o->new_state(0, &st), 0);
            j = enc[i] == XM_ENC_ZSTD;
            clen = o->compress(st, block[j], (size_t)nb[j] * XM_PAGE_SIZE,
                               payload + len + 4, sizeof(payload) - len - 4);
            o->free_state(st);
            ck_assert_int_gt(clen, 0);
            memcpy(payload + len, &clen, 4);
            len += 4 + (size_t)clen;
            break;
        }
        }
    }
    {
        struct iovec iov[4] = {
            { &rp, sizeof(rp) },
            { (void *)pfns, n * sizeof(uint64_t) },
            { encs, (n + 7) & ~7u },
            { payload, len },
        };

        ck_assert_int_eq(xm_stream_write_record(s, XM_REC_PAGES, iov,
                                                len ? 4 : 3), 0);
    }
}

/*
 * Four passes over pfns 1-15 (pfn 0 never sent) with every encoding,
 * ending with model[] as the domain must hold it.
 */
static void write_passes(struct xm_stream *s)
{
    enum { R = XM_ENC_RAW, Z = XM_ENC_ZERO, D = XM_ENC_DELTA,
           L = XM_ENC_LZ4, S = XM_ENC_ZSTD };
    /*
     * Pass 0: a run of four raw pages; zero pages never written; an lz4
     * block and a zstd block interleaved, the zstd one decoded while lz4
     * pages are still to come; pfns going down.
     */
    static const uint64_t p0[] = { 1, 2, 3, 4, 5, 6, 7, 8,
                                   12, 11, 10, 9, 13, 14, 15 };
    static const uint8_t e0[] = { R, R, R, R, Z, L, S, S,
                                  S, L, L, R, Z, R, R };
    static const unsigned s0[] = { 1, 2, 3, 4, 0, 6, 7, 8,
                                   12, 11, 10, 9, 0, 14, 15 };
    /*
     * Pass 1: zero pages over pages that held data (raw, lz4, zstd; a
     * run of two); a delta; pfn 10 raw and then a delta on that in the
     * same record; a zero page that was zero; a new lz4 block.
     */
    static const uint64_t p1[] = { 1, 2, 3, 6, 8, 5, 14, 15,
                                   10, 9, 10, 13, 11 };
    static const uint8_t e1[] = { Z, D, R, Z, Z, R, Z, Z,
                                  R, D, D, Z, L };
    static const unsigned s1[] = { 0, 21, 23, 0, 0, 25, 0, 0,
                                   30, 29, 31, 0, 41 };
    /*
     * Pass 2: data again over a zeroed page; zero over zero; zero over
     * raw; lz4 and zstd interleaved again (nothing sends these pages
     * after, so a block decoded over the other's pages would show); a
     * delta.
     */
    static const uint64_t p2[] = { 1, 6, 3, 7, 4, 11, 13, 15, 9, 12, 14 };
    static const uint8_t e2[] = { R, Z, Z, L, S, S, S, L, L, D, Z };
    static const unsigned s2[] = { 51, 0, 0, 57, 54, 61, 63, 65, 59, 52, 0 };

    /*
     * Pass 3, no delta (so nothing waits for pass 2's writes first):
     * zero over data, raw over raw, raw over a block's page.
     */
    static const uint64_t p3[] = { 1, 4, 7, 15 };
    static const uint8_t e3[] = { Z, R, R, R };
    static const unsigned s3[] = { 0, 74, 77, 75 };

    memset(model, 0, sizeof(model));
    send_record(s, 0, p0, e0, s0, XM_ARRAY_SIZE(p0));
    send_record(s, 1, p1, e1, s1, XM_ARRAY_SIZE(p1));
    send_record(s, 2, p2, e2, s2, XM_ARRAY_SIZE(p2));
    send_record(s, 3, p3, e3, s3, XM_ARRAY_SIZE(p3));
}

/* Build the stream @sh describes in a memfd, positioned at 0. */
static int make_stream(const struct shape *sh)
{
    struct xm_rec_domain_header dh = {
        .guest_type = XM_GUEST_SIM,
        .page_shift = XM_PAGE_SHIFT,
        .nr_pfns = NR_PFNS,
        .nr_vcpus = 1,
    };
    struct xm_rec_features f = { .features = sh->in_use };
    struct xm_stream s;
    int fd = memfd_create("stream", MFD_CLOEXEC);

    ck_assert_int_ge(fd, 0);
    snprintf(dh.name, sizeof(dh.name), "dst");
    snprintf(dh.backend, sizeof(dh.backend), "%s", sh->backend);
    xm_stream_init(&s, fd, "test stream");
    ck_assert_int_eq(xm_stream_write_ihdr(&s, sh->offer), 0);
    xm_stream_write_simple(&s, XM_REC_FEATURES, &f, sizeof(f));
    xm_stream_write_simple(&s, XM_REC_DOMAIN_HEADER, &dh, sizeof(dh));
    if (sh->pages_first)
        write_pages(&s, sh);
    xm_stream_write_simple(&s, XM_REC_DOMAIN_CONFIG, cfg_blob,
                           (uint32_t)cfg_len);
    if (sh->cap) {
        struct xm_rec_sched sc = { .cpu_cap = sh->cap };

        xm_stream_write_simple(&s, XM_REC_SCHED, &sc, sizeof(sc));
    }
    if (sh->passes)
        write_passes(&s);
    else if (!sh->pages_first)
        write_pages(&s, sh);
    if (sh->extra_type)
        xm_stream_write_simple(&s, sh->extra_type, "junk", 4);
    if (!sh->no_vcpu)
        xm_stream_write_simple(&s, XM_REC_VCPU_STATE, vcpu_blob,
                               (uint32_t)vcpu_len);
    xm_stream_write_simple(&s, XM_REC_PLATFORM_STATE, plat_blob,
                           (uint32_t)plat_len);
    if (sh->verify) {
        struct xm_rec_verify v = { .nr_pfns = NR_PFNS, .digest = src_digest };

        if (sh->verify < 0)
            v.digest ^= 1;
        xm_stream_write_simple(&s, XM_REC_VERIFY, &v, sizeof(v));
    }
    if (!sh->no_end)
        xm_stream_write_simple(&s, XM_REC_END, NULL, 0);
    ck_assert_int_eq(xm_stream_error(&s), 0);
    xm_stream_dispose(&s);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

static int receive(const struct shape *sh, uint32_t *domid_r)
{
    struct xm_receive_params rp = { .paused = true };
    struct xm_summary sum;
    int fd = make_stream(sh), rc;

    rc = xm_receive(be, &tlog.lg, fd, -1, &rp, NULL, domid_r, &sum);
    close(fd);
    return rc;
}

/* After a refusal: the message says @what, and no domain was left. */
static void refused(int rc, const char *what)
{
    struct xm_domain_info *infos = NULL;
    unsigned n = 99;

    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(tlog.all, what) != NULL,
                  "messages \"%s\" do not say \"%s\"", tlog.all, what);
    ck_assert_msg(strstr(tlog.all, "destroyed the incomplete domain") ||
                  strstr(tlog.all, "cannot create") || !strstr(tlog.all,
                  "receiving domain"), "built a domain and did not say it destroyed it");
    ck_assert_int_eq(be->ops->list(be, &infos, &n), 0);
    free(infos);
    ck_assert_msg(n == 0, "%u domain(s) left behind", n);
}

START_TEST(restores_minimal_stream)
{
    struct shape sh = good();
    uint8_t want[XM_PAGE_SIZE];
    uint64_t pfns[3] = { 0, 1, 2 };
    void *pages[3], *handle;
    int errs[3];
    uint32_t domid;

    ck_assert_int_eq(receive(&sh, &domid), 0);
    ck_assert_int_eq(be->ops->map(be, domid, pfns, 3, false, pages, errs,
                                  &handle), 0);
    pattern(want);
    ck_assert_int_eq(memcmp(pages[1], want, XM_PAGE_SIZE), 0);
    ck_assert_int_eq(((uint8_t *)pages[2])[100], 0);
    be->ops->unmap(be, handle, 3);
}
END_TEST

START_TEST(writes_every_page_as_last_sent)
{
    struct shape sh = good();
    uint64_t pfns[NR_PFNS];
    void *pages[NR_PFNS], *handle;
    int errs[NR_PFNS];
    uint32_t domid;
    unsigned i;

    sh.offer = sh.in_use = XM_FEAT_ZERO_PAGES | XM_FEAT_DELTA |
                           XM_FEAT_LZ4 | XM_FEAT_ZSTD;
    sh.passes = true;
    ck_assert_int_eq(receive(&sh, &domid), 0);
    for (i = 0; i < NR_PFNS; i++)
        pfns[i] = i;
    ck_assert_int_eq(be->ops->map(be, domid, pfns, NR_PFNS, false, pages,
                                  errs, &handle), 0);
    for (i = 0; i < NR_PFNS; i++)
        ck_assert_msg(memcmp(pages[i], model[i], XM_PAGE_SIZE) == 0,
                      "pfn %u differs from its last copy sent", i);
    be->ops->unmap(be, handle, NR_PFNS);
}
END_TEST

START_TEST(skips_unknown_optional_record)
{
    struct shape sh = good();
    uint32_t domid;

    sh.extra_type = XM_REC_OPTIONAL | 0x4242;
    ck_assert_int_eq(receive(&sh, &domid), 0);
}
END_TEST

START_TEST(applies_source_cap)
{
    struct shape sh = good();
    struct xm_domain_info info;
    uint32_t domid;

    sh.cap = 35;
    ck_assert_int_eq(receive(&sh, &domid), 0);
    ck_assert_int_eq(be->ops->domain_info(be, domid, &info), 0);
    ck_assert_uint_eq(info.cpu_cap, 35);
}
END_TEST

START_TEST(rejects_malformed_sched)
{
    struct shape sh = good();
    uint32_t domid;

    sh.extra_type = XM_REC_SCHED;
    refused(receive(&sh, &domid), "SCHED record out of place or 4 bytes");
}
END_TEST

START_TEST(rejects_impossible_cap)
{
    struct shape sh = good();
    uint32_t domid;

    sh.cap = 101; /* one vCPU */
    refused(receive(&sh, &domid), "a CPU cap of 101%");
}
END_TEST

START_TEST(accepts_matching_verify)
{
    struct shape sh = good();
    uint32_t domid;

    sh.verify = 1;
    ck_assert_int_eq(receive(&sh, &domid), 0);
}
END_TEST

START_TEST(rejects_unknown_mandatory_record)
{
    struct shape sh = good();
    uint32_t domid;

    sh.extra_type = 0x4242;
    refused(receive(&sh, &domid), "unknown mandatory record");
}
END_TEST

START_TEST(rejects_encoding_not_agreed)
{
    struct shape sh = good();
    uint32_t domid;

    sh.offer = sh.in_use = 0;
    refused(receive(&sh, &domid), "not agreed");
}
END_TEST

START_TEST(rejects_feature_not_offered)
{
    struct shape sh = good();
    uint32_t domid;

    sh.offer = XM_FEAT_ZERO_PAGES;
    refused(receive(&sh, &domid), "not agreed");
}
END_TEST

START_TEST(rejects_pfn_past_end)
{
    struct shape sh = good();
    uint32_t domid;

    sh.bad_pfn = NR_PFNS;
    refused(receive(&sh, &domid), "past the end");
}
END_TEST

START_TEST(rejects_pages_before_config)
{
    struct shape sh = good();
    uint32_t domid;

    sh.pages_first = true;
    refused(receive(&sh, &domid), "PAGES before DOMAIN_CONFIG");
}
END_TEST

START_TEST(rejects_end_before_vcpu_state)
{
    struct shape sh = good();
    uint32_t domid;

    sh.no_vcpu = true;
    refused(receive(&sh, &domid), "ended before the domain was complete");
}
END_TEST

START_TEST(rejects_cut_stream)
{
    struct shape sh = good();
    uint32_t domid;

    sh.no_end = true;
    refused(receive(&sh, &domid), "before END");
}
END_TEST

START_TEST(rejects_other_backend)
{
    struct shape sh = good();
    uint32_t domid;

    sh.backend = "xen";
    refused(receive(&sh, &domid), "this host's backend is \"sim\"");
}
END_TEST

START_TEST(rejects_digest_mismatch)
{
    struct shape sh = good();
    uint32_t domid;

    sh.verify = -1;
    refused(receive(&sh, &domid), "verification failed");
}
END_TEST

START_TEST(rejects_page_count_over_limit)
{
    struct shape sh = good();
    uint32_t domid;

    sh.count_override = XM_PAGES_MAX + 1;
    refused(receive(&sh, &domid), "with 1025 pages");
}
END_TEST

START_TEST(rejects_block_codec_not_agreed)
{
    struct shape sh = good();
    uint32_t domid;

    sh.page_enc = XM_ENC_LZ4;
    refused(receive(&sh, &domid), "uses page encoding 3, which was not agreed");
}
END_TEST

START_TEST(rejects_corrupt_block)
{
    struct shape sh = good();
    uint32_t domid;

    sh.offer = sh.in_use = XM_FEAT_ZERO_PAGES | XM_FEAT_LZ4;
    sh.page_enc = XM_ENC_LZ4;
    refused(receive(&sh, &domid), "the lz4 block (pfn 0x1 and 0 more) does not decode");
}
END_TEST

START_TEST(rejects_corrupt_delta)
{
    struct shape sh = good();
    uint32_t domid;

    sh.offer = sh.in_use = XM_FEAT_ZERO_PAGES | XM_FEAT_DELTA;
    sh.page_enc = XM_ENC_DELTA;
    refused(receive(&sh, &domid), "the delta for pfn 0x1 does not decode");
}
END_TEST

static Suite *restore_suite(void)
{
    Suite *s = suite_create("restore");
    TCase *core = tcase_create("core");
    TCase *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_set_timeout(core, 30);
    tcase_set_timeout(errors, 30);
    tcase_add_test(core, restores_minimal_stream);
    tcase_add_test(core, writes_every_page_as_last_sent);
    tcase_add_test(core, skips_unknown_optional_record);
    tcase_add_test(core, accepts_matching_verify);
    tcase_add_test(core, applies_source_cap);
    tcase_add_test(errors, rejects_unknown_mandatory_record);
    tcase_add_test(errors, rejects_encoding_not_agreed);
    tcase_add_test(errors, rejects_feature_not_offered);
    tcase_add_test(errors, rejects_pfn_past_end);
    tcase_add_test(errors, rejects_pages_before_config);
    tcase_add_test(errors, rejects_end_before_vcpu_state);
    tcase_add_test(errors, rejects_cut_stream);
    tcase_add_test(errors, rejects_other_backend);
    tcase_add_test(errors, rejects_digest_mismatch);
    tcase_add_test(errors, rejects_page_count_over_limit);
    tcase_add_test(errors, rejects_block_codec_not_agreed);
    tcase_add_test(errors, rejects_corrupt_block);
    tcase_add_test(errors, rejects_corrupt_delta);
    tcase_add_test(errors, rejects_malformed_sched);
    tcase_add_test(errors, rejects_impossible_cap);
    suite_add_tcase(s, core);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(restore_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
