/*
 * make-corpus.c - write the fuzzers' seed corpus, made by the project
 * itself (nothing binary is committed): valid inputs the mutations start
 * from, so they begin past the magic numbers, lengths and CRCs.
 *
 * Usage: make-corpus DIR   (writes DIR/<harness>/<seed>; make fuzz runs
 * it with DIR = tests/fuzz/corpus, from the top of the tree, with
 * sim/xenmig-simd built; $XENMIG_SIMD overrides its path).
 *
 *   fuzz-receive, fuzz-stream  `xenmig save` streams: a small sim domain
 *                  (16 pages of text) saved by xm_send() with each
 *                  --compress setting, with and without --verify; and one
 *                  hand-built stream whose PAGES record has every
 *                  encoding (raw, zero, delta, two lz4 and two zstd pages)
 *   fuzz-delta     xm_delta_encode() of typical changes to the page
 *                  pattern fuzz-delta.c applies them to
 *   fuzz-lz4/-zstd N, then N text pages compressed, N = 1, 2, 4
 *   fuzz-parsers   the documented option forms
 *   fuzz-xl        an xl save-file header as xl writes it; three libxc
 *                  records
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "codec.h"
#include "sim.h"
#include "stream.h"
#include "xl-format.h"
#include "xenmig.h"

#define NR_PFNS 16

static const char *top;
static pid_t simd = -1;
static char sock[108];
static struct xm_backend *be;
static struct xm_logger quiet = { NULL, XM_LOG_ERROR };

static void die(const char *what)
{
    fprintf(stderr, "make-corpus: %s\n", what);
    if (simd > 0)
        kill(simd, SIGTERM);
    exit(1);
}

static void put(const char *harness, const char *name, const void *data,
                size_t len)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", top, harness);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", top, harness, name);
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        die(path);
}

/* The whole of @fd, which the caller frees; *@len_r its size. */
static void *slurp(int fd, size_t *len_r)
{
    off_t end = lseek(fd, 0, SEEK_END);
    void *buf = malloc(end > 0 ? (size_t)end : 1);

    if (end < 0 || !buf || pread(fd, buf, (size_t)end, 0) != end)
        die("cannot read a memfd back");
    *len_r = (size_t)end;
    return buf;
}

static void start_simd(void)
{
    const char *exe = getenv("XENMIG_SIMD");
    struct timespec ten_ms = { 0, 10000000 };
    int i;

    if (!exe)
        exe = "sim/xenmig-simd";
    snprintf(sock, sizeof(sock), "/tmp/xenmig-make-corpus-%d.sock",
             (int)getpid());
    simd = fork();
    if (simd < 0)
        die("fork");
    if (simd == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (!freopen("/dev/null", "w", stderr))
            _exit(126);
        execl(exe, exe, "--socket", sock, (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 500; i++) {
        if (xm_backend_open("sim", sock, &quiet, &be) == 0)
            return;
        nanosleep(&ten_ms, NULL);
    }
    die("the sim host did not come up");
}

static uint32_t new_domain(const char *name)
{
    struct xm_sim_config cfg;
    uint32_t domid;

    xm_sim_config_init(&cfg);
    if (xm_sim_domain_create(be, name, &cfg, NR_PFNS, XM_SIM_FILL_TEXT,
                             &domid))
        die("cannot create a sim domain");
    return domid;
}

/* `xenmig save [--verify] --compress @spec` of a fresh domain. */
static void saved_stream(const char *spec, bool verify)
{
    struct xm_migrate_params p;
    struct xm_summary sum;
    char name[64];
    size_t len;
    void *buf;
    uint32_t domid = new_domain("seed");
    int fd = memfd_create("seed", MFD_CLOEXEC);

    xm_migrate_params_init(&p);
    p.live = false;
    p.verify = verify;
    if (fd < 0 || xm_compress_parse(spec, &p.compress))
        die(spec);
    if (xm_send(be, &quiet, domid, -1, fd, &p, NULL, &sum))
        die("xm_send failed");
    buf = slurp(fd, &len);
    close(fd);
    snprintf(name, sizeof(name), "save-%s%s", spec, verify ? "-verify" : "");
    put("fuzz-receive", name, buf, len);
    put("fuzz-stream", name, buf, len);
    free(buf);
}

static void text_page(uint8_t *page, unsigned seed)
{
    static const char *words[] = { "xen ", "page ", "delta ", "stream ",
                                   "record ", "guest " };
    unsigned i, w = seed;

    for (i = 0; i < XM_PAGE_SIZE; i++) {
        const char *s = words[w % 6];

        page[i] = (uint8_t)s[i % strlen(s)];
        if (i % 37 == 36)
            w = w * 1103515245u + 12345u;
    }
}

/* Compress @n text pages with @o into @out; returns the length. */
static long block(const struct xm_block_codec_ops *o, unsigned n,
                  unsigned seed, uint8_t *out, size_t cap)
{
    uint8_t *pages = malloc((size_t)n * XM_PAGE_SIZE);
    void *st;
    unsigned i;
    long r;

    if (!pages || o->new_state(0, &st))
        die("out of memory");
    for (i = 0; i < n; i++)
        text_page(pages + (size_t)i * XM_PAGE_SIZE, seed + i);
    r = o->compress(st, pages, (size_t)n * XM_PAGE_SIZE, out, cap);
    if (r <= 0)
        die("cannot compress");
    o->free_state(st);
    free(pages);
    return r;
}

/* One PAGES record with every encoding, in a complete stream. */
static void mixed_stream(void)
{
    static uint8_t raw[XM_PAGE_SIZE], target[XM_PAGE_SIZE], zero[XM_PAGE_SIZE];
    static uint8_t delta[XM_DELTA_MAX], lz4b[3 * XM_PAGE_SIZE],
        zstdb[3 * XM_PAGE_SIZE];
    uint32_t src = new_domain("mixed");
    struct xm_rec_domain_header dh = {
        .guest_type = XM_GUEST_SIM, .page_shift = XM_PAGE_SHIFT,
        .nr_pfns = NR_PFNS, .nr_vcpus = 1,
    };
    struct xm_rec_features f = {
        .features = XM_FEAT_ZERO_PAGES | XM_FEAT_DELTA | XM_FEAT_LZ4 |
                    XM_FEAT_ZSTD,
    };
    struct xm_rec_pages rp = { .count = 7 };
    uint64_t pfns[7] = { 1, 2, 3, 4, 5, 6, 7 };
    uint8_t enc[8] = { XM_ENC_RAW, XM_ENC_ZERO, XM_ENC_DELTA, XM_ENC_LZ4,
                       XM_ENC_ZSTD, XM_ENC_LZ4, XM_ENC_ZSTD };
    uint32_t dlen, llen, zlen;
    void *cfg, *vcpu, *plat;
    size_t cfg_len, vcpu_len, plat_len, len;
    struct xm_stream s;
    void *buf;
    int fd = memfd_create("mixed", MFD_CLOEXEC), n;

    if (be->ops->pause(be, src) ||
        be->ops->get_state(be, src, XM_STATE_CONFIG, &cfg, &cfg_len) ||
        be->ops->get_state(be, src, XM_STATE_VCPU, &vcpu, &vcpu_len) ||
        be->ops->get_state(be, src, XM_STATE_PLATFORM, &plat, &plat_len) ||
        be->ops->destroy(be, src) || fd < 0)
        die("cannot take a domain's state");
    text_page(raw, 1);
    target[100] = 0xff; /* the receiver's page starts zero */
    memset(target + 300, 'x', 200);
    n = xm_delta_encode(zero, target, delta);
    if (n <= 0)
        die("xm_delta_encode");
    dlen = (uint32_t)n;
    llen = (uint32_t)block(&xm_codec_lz4, 2, 10, lz4b, sizeof(lz4b));
    zlen = (uint32_t)block(&xm_codec_zstd, 2, 20, zstdb, sizeof(zstdb));
    {
        struct iovec iov[] = {
            { &rp, sizeof(rp) }, { pfns, sizeof(pfns) }, { enc, 8 },
            { raw, XM_PAGE_SIZE },
            { &dlen, 4 }, { delta, dlen },
            { &llen, 4 }, { lz4b, llen },
            { &zlen, 4 }, { zstdb, zlen },
        };

        snprintf(dh.name, sizeof(dh.name), "mixed");
        snprintf(dh.backend, sizeof(dh.backend), "sim");
        xm_stream_init(&s, fd, "seed");
        xm_stream_write_ihdr(&s, f.features);
        xm_stream_write_simple(&s, XM_REC_FEATURES, &f, sizeof(f));
        xm_stream_write_simple(&s, XM_REC_DOMAIN_HEADER, &dh, sizeof(dh));
        xm_stream_write_simple(&s, XM_REC_DOMAIN_CONFIG, cfg,
                               (uint32_t)cfg_len);
        xm_stream_write_record(&s, XM_REC_PAGES, iov, 10);
        xm_stream_write_simple(&s, XM_REC_OPTIONAL | 0x4242, "skip me", 7);
        xm_stream_write_simple(&s, XM_REC_VCPU_STATE, vcpu,
                               (uint32_t)vcpu_len);
        xm_stream_write_simple(&s, XM_REC_PLATFORM_STATE, plat,
                               (uint32_t)plat_len);
        xm_stream_write_simple(&s, XM_REC_END, NULL, 0);
    }
    if (xm_stream_error(&s))
        die(xm_stream_error_msg(&s));
    xm_stream_dispose(&s);
    buf = slurp(fd, &len);
    close(fd);
    put("fuzz-receive", "mixed", buf, len);
    put("fuzz-stream", "mixed", buf, len);
    free(buf);
    free(cfg);
    free(vcpu);
    free(plat);
}

/* The page fuzz-delta.c applies its input to. */
static void delta_pattern(uint8_t *page)
{
    unsigned i;

    for (i = 0; i < XM_CODEC_PAGE; i++)
        page[i] = (uint8_t)(i * 13 + 5);
}

static void delta_seeds(void)
{
    static uint8_t old[XM_CODEC_PAGE], page[XM_CODEC_PAGE], out[XM_DELTA_MAX];
    static const struct { const char *name; unsigned at, len; } ch[] = {
        { "one-byte", 7, 1 }, { "first-byte", 0, 1 }, { "last-byte", 4095, 1 },
        { "run-200", 1000, 200 }, { "gap-merge", 50, 3 },
    };
    unsigned i;
    int n;

    for (i = 0; i < sizeof(ch) / sizeof(ch[0]); i++) {
        delta_pattern(old);
        memcpy(page, old, sizeof(page));
        memset(page + ch[i].at, 0xa5, ch[i].len);
        if (i == 4)
            page[55] ^= 1; /* one unchanged byte between two runs */
        n = xm_delta_encode(old, page, out);
        if (n < 0)
            die("xm_delta_encode");
        put("fuzz-delta", ch[i].name, out, (size_t)n);
    }
    put("fuzz-delta", "unchanged", "", 0);
}

static void block_seeds(const struct xm_block_codec_ops *o)
{
    static uint8_t out[5 * XM_PAGE_SIZE];
    unsigned n;
    long r;
    char name[32];

    for (n = 1; n <= 4; n *= 2) {
        out[0] = (uint8_t)n;
        r = block(o, n, n, out + 1, sizeof(out) - 1);
        snprintf(name, sizeof(name), "%u-pages", n);
        put(o == &xm_codec_lz4 ? "fuzz-lz4" : "fuzz-zstd", name, out,
            (size_t)r + 1);
    }
}

static void parser_seeds(void)
{
    static const char *specs[] = {
        "auto", "none", "zero", "delta", "lz4", "lz4:3", "zstd", "zstd:19",
        "idle", "uniform:100", "uniform:100:512", "hotcold:50:256:16:90",
        "stream:200:64",
    };
    char name[32];
    unsigned i;

    for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        snprintf(name, sizeof(name), "spec-%u", i);
        put("fuzz-parsers", name, specs[i], strlen(specs[i]));
    }
}

/* An xl save-file header as xl writes it, and a run of libxc records. */
static void xl_seeds(void)
{
    static const char json[] = "{\"c_info\":{\"name\":\"vm1\",\"type\":\"pv\"}}";
    uint8_t recs[64] = { 0 };
    uint32_t v;
    size_t len;
    void *buf;

    if (xm_xl_savefile_build(json, strlen(json),
                             XM_XL_SAVE_MANDATORY_CONFIG_JSON |
                                 XM_XL_SAVE_MANDATORY_STREAMV2,
                             &buf, &len))
        die("xm_xl_savefile_build");
    put("fuzz-xl", "xl-header", buf, len);
    free(buf);
    v = XM_XC_REC_X86_PV_INFO;      /* 8-byte body */
    memcpy(recs, &v, 4);
    v = 8;
    memcpy(recs + 4, &v, 4);
    recs[8] = 8;
    recs[9] = 4;
    v = XM_XC_REC_STATIC_DATA_END;  /* empty */
    memcpy(recs + 16, &v, 4);
    v = XM_XC_REC_SHARED_INFO;      /* 5 bytes, padded */
    memcpy(recs + 24, &v, 4);
    v = 5;
    memcpy(recs + 28, &v, 4);
    put("fuzz-xl", "xc-records", recs, 40);
}

int main(int argc, char **argv)
{
    static const char *specs[] = { "none", "zero", "delta", "lz4", "zstd",
                                   "auto" };
    unsigned i;
    int status;

    if (argc != 2) {
        fprintf(stderr, "usage: make-corpus DIR\n");
        return 2;
    }
    top = argv[1];
    mkdir(top, 0755);
    delta_seeds();
    xl_seeds();
    block_seeds(&xm_codec_lz4);
    block_seeds(&xm_codec_zstd);
    parser_seeds();
    start_simd();
    for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        saved_stream(specs[i], false);
    saved_stream("lz4", true);
    saved_stream("none", true);
    mixed_stream();
    xm_backend_close(be);
    kill(simd, SIGTERM);
    waitpid(simd, &status, 0);
    return 0;
}
