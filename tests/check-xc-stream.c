/*
 * check-xc-stream.c - Check suite for xc-stream.c, the parts of feeding
 * libxl that need no Xen: the stream's opening and closing bytes against
 * Xen's layout, the framing check of records, PAGE_DATA heads and
 * iovecs, the split of the xen backend's CONFIG blob, the I/O helpers (a
 * closed reader is -EPIPE, not a SIGPIPE death), and a whole compat
 * stream (what migrate/save --compat write) read back by our parsers.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream.h"
#include "xc-stream.h"
#include "xl-format.h"

/* Append a record of @type with @len body bytes of @fill; padded. */
static size_t rec(uint8_t *b, uint32_t type, uint32_t len, uint8_t fill)
{
    size_t padded = (len + 7u) & ~7u;

    memcpy(b, &type, 4);
    memcpy(b + 4, &len, 4);
    memset(b + 8, 0, padded);
    memset(b + 8, fill, len);
    return 8 + padded;
}

static void expect_refused(const uint8_t *b, size_t len, const char *needle)
{
    char why[256];
    int rc = xm_xc_check_records(b, len, NULL, why, sizeof(why));

    ck_assert_int_eq(rc, -EINVAL);
    ck_assert_msg(strstr(why, needle), "reason \"%s\" lacks \"%s\"", why,
                  needle);
}

START_TEST(test_start_bytes)
{
    /* Xen's libxl-migration-stream and libxc-migration-stream specs:
     * "LibxlFmt", version 2, options 0; LIBXC_CONTEXT (1, length 0);
     * marker ~0, "XENF", version 3, options 0; domain header PV, page
     * shift 12, Xen 4.17 (little-endian after the image header). */
    static const uint8_t want[XM_XC_START_LEN] = {
        'L', 'i', 'b', 'x', 'l', 'F', 'm', 't', 0, 0, 0, 2, 0, 0, 0, 0,
        1, 0, 0, 0, 0, 0, 0, 0,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        'X', 'E', 'N', 'F', 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 0, 0, 0, 12, 0, 0, 0, 4, 0, 0, 0, 17, 0, 0, 0,
    };
    uint8_t got[XM_XC_START_LEN];

    xm_xc_start_bytes(got, XM_XC_DHDR_TYPE_X86_PV, 4, 17);
    ck_assert_mem_eq(got, want, sizeof(want));
    xm_xc_start_bytes(got, XM_XC_DHDR_TYPE_X86_HVM, 4, 17);
    ck_assert_uint_eq(got[48], 2);
}
END_TEST

START_TEST(test_end_bytes)
{
    uint8_t got[XM_XC_END_LEN], zero[XM_XC_END_LEN] = { 0 };

    memset(got, 0x5a, sizeof(got));
    xm_xc_end_bytes(got);
    ck_assert_mem_eq(got, zero, sizeof(zero));
}
END_TEST

START_TEST(test_records_good)
{
    uint8_t b[512];
    size_t len = 0;
    unsigned n = 0;
    char why[256];

    len += rec(b + len, XM_XC_REC_X86_PV_INFO, 8, 0x08);
    len += rec(b + len, XM_XC_REC_X86_PV_P2M_FRAMES, 12, 0x11);
    len += rec(b + len, XM_XC_REC_STATIC_DATA_END, 0, 0);
    len += rec(b + len, XM_XC_REC_SHARED_INFO, 13, 0x22);
    len += rec(b + len, 0x80000123u, 3, 0x33); /* optional, unknown */
    ck_assert_int_eq(xm_xc_check_records(b, len, &n, why, sizeof(why)), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(xm_xc_check_records(b, 0, &n, why, sizeof(why)), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_str_eq(xm_xc_rec_name(XM_XC_REC_PAGE_DATA), "PAGE_DATA");
    ck_assert_ptr_null(xm_xc_rec_name(0x13));
}
END_TEST

START_TEST(test_records_end_refused)
{
    uint8_t b[64];
    size_t len = rec(b, XM_XC_REC_SHARED_INFO, 8, 1);

    len += rec(b + len, XM_XC_REC_END, 0, 0);
    expect_refused(b, len, "END record at offset 16");
}
END_TEST

START_TEST(test_records_unknown_type)
{
    uint8_t b[64];
    size_t len = rec(b, 0x13, 8, 1);

    expect_refused(b, len, "unknown record type 0x00000013 at offset 0");
}
END_TEST

START_TEST(test_records_bad_padding)
{
    uint8_t b[64];
    size_t len = rec(b, XM_XC_REC_SHARED_INFO, 5, 1);

    b[8 + 6] = 0xff;
    expect_refused(b, len, "non-zero padding byte at offset 14");
}
END_TEST

START_TEST(test_records_too_long)
{
    uint8_t b[64];
    uint32_t huge = XM_XC_REC_LENGTH_MAX + 1;

    rec(b, XM_XC_REC_SHARED_INFO, 8, 1);
    memcpy(b + 4, &huge, 4);
    expect_refused(b, 16, "over libxc's limit");
}
END_TEST

START_TEST(test_records_truncated)
{
    uint8_t b[64];
    size_t len = rec(b, XM_XC_REC_SHARED_INFO, 16, 1), cut;

    len += rec(b + len, XM_XC_REC_X86_TSC_INFO, 24, 2);
    for (cut = 1; cut < len; cut++) {
        char why[256];

        if (cut == 24)
            continue; /* a whole first record: fine */
        ck_assert_msg(xm_xc_check_records(b, cut, NULL, why,
                                          sizeof(why)) == -EINVAL,
                      "cut at %zu accepted", cut);
        ck_assert_msg(strstr(why, cut < 24 ? "offset 0" : "offset 24"),
                      "cut at %zu: %s", cut, why);
    }
}
END_TEST

START_TEST(test_page_head)
{
    uint64_t w[5] = {
        0x10,                          /* NOTAB: data */
        0x11 | (0x1ull << 60),         /* L1TAB: data */
        0x12 | (0xcull << 60),         /* pinned L4TAB: data */
        0x13 | (0xfull << 60),         /* XTAB: none */
        XM_XC_PFN_MASK | (0xeull << 60), /* XALLOC, the largest pfn */
    };
    uint8_t head[16];
    unsigned data = 99, v;
    size_t pad = 99;
    char why[256];

    ck_assert_int_eq(xm_xc_page_data_head(head, w, 5, &data, &pad, why,
                                          sizeof(why)), 0);
    ck_assert_uint_eq(data, 3);
    ck_assert_uint_eq(pad, 0);
    memcpy(&v, head, 4);
    ck_assert_uint_eq(v, XM_XC_REC_PAGE_DATA);
    memcpy(&v, head + 4, 4);
    ck_assert_uint_eq(v, 8 + 5 * 8 + 3 * 4096);
    memcpy(&v, head + 8, 4);
    ck_assert_uint_eq(v, 5);
    memcpy(&v, head + 12, 4);
    ck_assert_uint_eq(v, 0);
    ck_assert(!xm_xc_type_has_data(0xd));
}
END_TEST

START_TEST(test_page_head_errors)
{
    uint64_t w[XM_XC_PAGES_MAX + 1] = { 0 };
    uint8_t head[16];
    unsigned data;
    size_t pad;
    char why[256];

    ck_assert_int_eq(xm_xc_page_data_head(head, w, 0, &data, &pad, why,
                                          sizeof(why)), -EINVAL);
    ck_assert_int_eq(xm_xc_page_data_head(head, w, XM_XC_PAGES_MAX + 1,
                                          &data, &pad, why, sizeof(why)),
                     -EINVAL);
    ck_assert_int_eq(xm_xc_page_data_head(head, w, XM_XC_PAGES_MAX, &data,
                                          &pad, why, sizeof(why)), 0);
    w[2] = 0x7 | (0x5ull << 60);
    ck_assert_int_eq(xm_xc_page_data_head(head, w, 3, &data, &pad, why,
                                          sizeof(why)), -EINVAL);
    ck_assert_msg(strstr(why, "pfn 0x7 (word 2) has unknown page type 0x5"),
                  "%s", why);
    w[2] = 0x7 | (1ull << 55);
    ck_assert_int_eq(xm_xc_page_data_head(head, w, 3, &data, &pad, why,
                                          sizeof(why)), -EINVAL);
    ck_assert_msg(strstr(why, "word 2"), "%s", why);
}
END_TEST

/* ---- I/O -------------------------------------------------------------- */

START_TEST(test_write_closed_reader)
{
    char buf[4096] = { 0 };
    int p[2];

    /* Default SIGPIPE disposition: a raised SIGPIPE would kill the test. */
    signal(SIGPIPE, SIG_DFL);
    ck_assert_int_eq(pipe(p), 0);
    close(p[0]);
    ck_assert_int_eq(xm__write_all(p[1], buf, sizeof(buf)), -EPIPE);
    ck_assert_int_eq(xm__write_all(p[1], buf, 1), -EPIPE);
    close(p[1]);
}
END_TEST

START_TEST(test_read_exact_eof)
{
    char buf[16];
    size_t got = 99;
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], "abcde", 5), 5);
    close(p[1]);
    ck_assert_int_eq(xm__read_exact(p[0], buf, 3, &got), 0);
    ck_assert_uint_eq(got, 3);
    ck_assert_int_eq(xm__read_exact(p[0], buf, 10, &got), -EPIPE);
    ck_assert_uint_eq(got, 2);
    close(p[0]);
}
END_TEST

struct drain {
    int fd;              /* read end */
    uint8_t *buf;        /* where it goes */
    size_t len;          /* bytes read */
};

static void *drain_thread(void *opaque)
{
    struct drain *d = opaque;
    ssize_t r;

    while ((r = read(d->fd, d->buf + d->len, 65536)) > 0)
        d->len += (size_t)r;
    return NULL;
}

/* More iovecs than IOV_MAX, of odd sizes, through a pipe: all arrive in
 * order. */
START_TEST(test_writev_many)
{
    unsigned n = IOV_MAX * 2 + 7, i;
    struct iovec *iov = calloc(n, sizeof(*iov));
    uint8_t *src = malloc(n * 13);
    struct drain d = { .buf = malloc(n * 13 + 65536) };
    pthread_t t;
    int p[2];

    for (i = 0; i < n * 13; i++)
        src[i] = (uint8_t)(i * 7);
    for (i = 0; i < n; i++)
        iov[i] = (struct iovec){ src + i * 13, 13 };
    iov[5].iov_len = 0; /* empty pieces are fine too */
    ck_assert_int_eq(pipe(p), 0);
    d.fd = p[0];
    pthread_create(&t, NULL, drain_thread, &d);
    ck_assert_int_eq(xm__writev_all(p[1], iov, n), 0);
    close(p[1]);
    pthread_join(t, NULL);
    ck_assert_uint_eq(d.len, n * 13 - 13);
    ck_assert_mem_eq(d.buf, src, 5 * 13);
    ck_assert_mem_eq(d.buf + 5 * 13, src + 6 * 13, n * 13 - 6 * 13);
    close(p[0]);
    free(iov);
    free(src);
    free(d.buf);
}
END_TEST

/* ---- PAGE_DATA iovecs, CONFIG split ---------------------------------- */

static uint8_t page_a[4096], page_b[4096], page_c[4096];

START_TEST(test_page_iov)
{
    uint64_t w[3] = { 0x10, 0x11 | (0x9ull << 60), 0x12 | (0xfull << 60) };
    void *pages[3] = { page_a, page_b, NULL };
    struct iovec iov[2 + 3];
    uint8_t head[16];
    unsigned k = 0;
    char why[256];

    ck_assert_int_eq(xm_xc_page_data_iov(head, w, 3, pages, iov, &k, why,
                                         sizeof(why)), 0);
    ck_assert_uint_eq(k, 4); /* head, words, two pages: XTAB has none */
    ck_assert_ptr_eq(iov[0].iov_base, head);
    ck_assert_uint_eq(iov[0].iov_len, 16);
    ck_assert_ptr_eq(iov[1].iov_base, w);
    ck_assert_uint_eq(iov[1].iov_len, 24);
    ck_assert_ptr_eq(iov[2].iov_base, page_a);
    ck_assert_ptr_eq(iov[3].iov_base, page_b);
    ck_assert_uint_eq(iov[3].iov_len, 4096);
}
END_TEST

START_TEST(test_page_iov_errors)
{
    uint64_t w[2] = { 0x10, 0x11 };
    void *pages[2] = { page_a, NULL };
    struct iovec iov[4];
    uint8_t head[16];
    unsigned k;
    char why[256];

    ck_assert_int_eq(xm_xc_page_data_iov(head, w, 2, pages, iov, &k, why,
                                         sizeof(why)), -EINVAL);
    ck_assert_msg(strstr(why, "no content for pfn 0x11 (word 1)"), "%s", why);
    w[1] = 0x11 | (0x6ull << 60);
    pages[1] = page_b;
    ck_assert_int_eq(xm_xc_page_data_iov(head, w, 2, pages, iov, &k, why,
                                         sizeof(why)), -EINVAL);
    ck_assert_msg(strstr(why, "unknown page type 0x6"), "%s", why);
}
END_TEST

/* A CONFIG blob as the xen backend writes it: our JSON record, then
 * libxc records, X86_PV_INFO among them if @pv. */
static size_t config_blob(uint8_t *b, const char *json, bool pv)
{
    uint32_t type = XM_XC_REC_XENMIG_CONFIG, len = (uint32_t)strlen(json) + 1;
    size_t off;

    memcpy(b, &type, 4);
    memcpy(b + 4, &len, 4);
    memset(b + 8, 0, (len + 7u) & ~7u);
    memcpy(b + 8, json, len);
    off = 8 + ((len + 7u) & ~7u);
    if (pv)
        off += rec(b + off, XM_XC_REC_X86_PV_INFO, 8, 0x08);
    off += rec(b + off, XM_XC_REC_STATIC_DATA_END, 0, 0);
    return off;
}

START_TEST(test_split_config)
{
    uint8_t b[256];
    const char *json;
    const uint8_t *rest;
    size_t len = config_blob(b, "{\"c_info\":{}}", true), rest_len;
    uint32_t type;

    ck_assert_int_eq(xm_xc_split_config(b, len, &json, &rest, &rest_len,
                                        &type), 0);
    ck_assert_str_eq(json, "{\"c_info\":{}}");
    ck_assert_uint_eq(type, XM_XC_DHDR_TYPE_X86_PV);
    ck_assert_ptr_eq(rest, b + 8 + 16);
    ck_assert_uint_eq(rest_len, 16 + 8);
    len = config_blob(b, "{}", false);
    ck_assert_int_eq(xm_xc_split_config(b, len, &json, &rest, &rest_len,
                                        &type), 0);
    ck_assert_uint_eq(type, XM_XC_DHDR_TYPE_X86_HVM);
    ck_assert_uint_eq(rest_len, 8);
}
END_TEST

START_TEST(test_split_config_errors)
{
    uint8_t b[256];
    const char *json;
    const uint8_t *rest;
    size_t len = config_blob(b, "{\"a\":1}", true), rest_len;
    uint32_t type, bad;

    /* cut inside the JSON record, or shorter than a header */
    ck_assert_int_eq(xm_xc_split_config(b, 12, &json, &rest, &rest_len,
                                        &type), -EINVAL);
    ck_assert_int_eq(xm_xc_split_config(b, 4, &json, &rest, &rest_len,
                                        &type), -EINVAL);
    /* JSON not NUL terminated inside its record */
    b[8 + 7] = 'x';
    ck_assert_int_eq(xm_xc_split_config(b, len, &json, &rest, &rest_len,
                                        &type), -EINVAL);
    /* a blob that does not start with our record (a sim config) */
    len = config_blob(b, "{}", true);
    bad = XM_XC_REC_X86_PV_INFO;
    memcpy(b, &bad, 4);
    ck_assert_int_eq(xm_xc_split_config(b, len, &json, &rest, &rest_len,
                                        &type), -EINVAL);
    /* an empty record */
    len = rec(b, XM_XC_REC_XENMIG_CONFIG, 0, 0);
    ck_assert_int_eq(xm_xc_split_config(b, len, &json, &rest, &rest_len,
                                        &type), -EINVAL);
}
END_TEST

/* ---- a whole compat stream -------------------------------------------- */

/* Write one PAGE_DATA record of @n pages through @st, as precopy.c's
 * compat_pages() does. */
static void put_pages(struct xm_stream *st, const uint64_t *w, unsigned n,
                      void *const *pages)
{
    struct iovec iov[2 + 8];
    uint8_t head[16];
    unsigned k;
    char why[256];

    ck_assert_int_eq(xm_xc_page_data_iov(head, w, n, pages, iov, &k, why,
                                         sizeof(why)), 0);
    ck_assert_int_eq(xm_stream_write_raw(st, iov, k, "PAGE_DATA record"), 0);
}

/*
 * migrate/save --compat's bytes in the order precopy.c writes them (xl
 * header, libxl and libxc headers, static data, two passes of pages, the
 * vCPU state, END), read back: the xl header by xm_xl_savefile_parse(),
 * the records by xm_xc_check_records() and by hand, byte for byte.
 */
START_TEST(test_compat_stream_round_trip)
{
    static const char json[] = "{\"c_info\":{\"name\":\"vm1\"}}";
    uint8_t cfg[256], start[XM_XC_START_LEN], end[XM_XC_END_LEN], vcpu[64];
    uint64_t w1[3] = { 0x10, 0x11 | (0x9ull << 60), 0x12 | (0xfull << 60) };
    uint64_t w2[1] = { 0x10 };
    void *p1[3] = { page_a, page_b, NULL }, *p2[1] = { page_c };
    const uint8_t *rest, *r;
    const char *cj;
    struct xm_xl_savefile sf;
    struct xm_stream st;
    struct iovec v[2];
    size_t cfg_len, rest_len, hdr_len, vcpu_len, off, len;
    void *hdr;
    uint8_t *buf;
    uint32_t dtype, type, rlen, count;
    unsigned n = 0;
    char why[256];
    FILE *f = tmpfile();

    memset(page_a, 0xaa, sizeof(page_a));
    memset(page_b, 0xbb, sizeof(page_b));
    memset(page_c, 0xcc, sizeof(page_c));
    ck_assert_ptr_nonnull(f);
    xm_stream_init(&st, fileno(f), "compat test");
    /* preamble */
    cfg_len = config_blob(cfg, json, true);
    ck_assert_int_eq(xm_xc_split_config(cfg, cfg_len, &cj, &rest, &rest_len,
                                        &dtype), 0);
    ck_assert_int_eq(xm_xl_savefile_build(cj, strlen(cj),
                                          XM_XL_SAVE_MANDATORY_CONFIG_JSON |
                                              XM_XL_SAVE_MANDATORY_STREAMV2,
                                          &hdr, &hdr_len), 0);
    xm_xc_start_bytes(start, dtype, 4, 17);
    v[0] = (struct iovec){ hdr, hdr_len };
    v[1] = (struct iovec){ start, sizeof(start) };
    ck_assert_int_eq(xm_stream_write_raw(&st, v, 2, "header"), 0);
    v[0] = (struct iovec){ (void *)rest, rest_len };
    ck_assert_int_eq(xm_stream_write_raw(&st, v, 1, "static data"), 0);
    /* two passes, then the state and the end */
    put_pages(&st, w1, 3, p1);
    put_pages(&st, w2, 1, p2);
    vcpu_len = rec(vcpu, XM_XC_REC_X86_PV_VCPU_BASIC, 20, 0x42);
    v[0] = (struct iovec){ vcpu, vcpu_len };
    ck_assert_int_eq(xm_stream_write_raw(&st, v, 1, "vCPU state"), 0);
    xm_xc_end_bytes(end);
    v[0] = (struct iovec){ end, sizeof(end) };
    ck_assert_int_eq(xm_stream_write_raw(&st, v, 1, "END"), 0);
    ck_assert_int_eq(xm_stream_error(&st), 0);

    /* read it back */
    len = (size_t)lseek(fileno(f), 0, SEEK_END);
    ck_assert_uint_eq(len, st.offset);
    buf = malloc(len);
    ck_assert_int_eq(pread(fileno(f), buf, len, 0), (ssize_t)len);
    ck_assert_int_eq(xm_xl_savefile_parse(buf, len, &sf, NULL, why,
                                          sizeof(why)), 0);
    ck_assert(sf.json && sf.streamv2);
    ck_assert_str_eq(sf.config, json);
    off = sf.stream_offset;
    xm_xl_savefile_dispose(&sf);
    ck_assert_mem_eq(buf + off, start, sizeof(start));
    off += sizeof(start);
    /* records up to the two END records, which close the stream */
    ck_assert_mem_eq(buf + len - XM_XC_END_LEN, end, XM_XC_END_LEN);
    ck_assert_int_eq(xm_xc_check_records(buf + off, len - XM_XC_END_LEN - off,
                                         &n, why, sizeof(why)), 0);
    ck_assert_uint_eq(n, 2 + 2 + 1); /* PV_INFO, SDE, 2 PAGE_DATA, vCPU */
    ck_assert_mem_eq(buf + off, rest, rest_len);
    off += rest_len;
    /* the first PAGE_DATA: 3 words, the pages of the two with data */
    r = buf + off;
    memcpy(&type, r, 4);
    memcpy(&rlen, r + 4, 4);
    memcpy(&count, r + 8, 4);
    ck_assert_uint_eq(type, XM_XC_REC_PAGE_DATA);
    ck_assert_uint_eq(rlen, 8 + 3 * 8 + 2 * 4096);
    ck_assert_uint_eq(count, 3);
    ck_assert_mem_eq(r + 16, w1, sizeof(w1));
    ck_assert_mem_eq(r + 16 + 24, page_a, 4096);
    ck_assert_mem_eq(r + 16 + 24 + 4096, page_b, 4096);
    off += 8 + rlen;
    /* the second pass: pfn 0x10 again, its new content */
    r = buf + off;
    memcpy(&rlen, r + 4, 4);
    memcpy(&count, r + 8, 4);
    ck_assert_uint_eq(count, 1);
    ck_assert_mem_eq(r + 16, w2, sizeof(w2));
    ck_assert_mem_eq(r + 24, page_c, 4096);
    off += 8 + rlen;
    ck_assert_mem_eq(buf + off, vcpu, vcpu_len);
    ck_assert_uint_eq(off + vcpu_len + XM_XC_END_LEN, len);
    xm_stream_dispose(&st);
    free(hdr);
    free(buf);
    fclose(f);
}
END_TEST

START_TEST(test_write_raw_closed_reader)
{
    char buf[64] = { 0 };
    struct iovec v = { buf, sizeof(buf) };
    struct xm_stream st;
    int p[2];

    signal(SIGPIPE, SIG_IGN);
    ck_assert_int_eq(pipe(p), 0);
    xm_stream_init(&st, p[1], "migration stream");
    ck_assert_int_eq(xm_stream_write_raw(&st, &v, 1, "PAGE_DATA record"), 0);
    ck_assert_uint_eq(st.offset, 64);
    close(p[0]);
    ck_assert_int_eq(xm_stream_write_raw(&st, &v, 1, "PAGE_DATA record"),
                     -EPIPE);
    ck_assert_msg(strstr(xm_stream_error_msg(&st),
                         "PAGE_DATA record at offset 0x40"),
                  "%s", xm_stream_error_msg(&st));
    /* sticky: the next write does not touch the fd */
    ck_assert_int_eq(xm_stream_write_raw(&st, &v, 1, "END"), -EPIPE);
    ck_assert_uint_eq(st.offset, 64);
    close(p[1]);
    xm_stream_dispose(&st);
}
END_TEST

static Suite *xc_stream_suite(void)
{
    Suite *s = suite_create("xc-stream");
    TCase *tc;

    tc = tcase_create("core");
    tcase_add_test(tc, test_start_bytes);
    tcase_add_test(tc, test_end_bytes);
    tcase_add_test(tc, test_records_good);
    tcase_add_test(tc, test_page_head);
    tcase_add_test(tc, test_read_exact_eof);
    tcase_add_test(tc, test_writev_many);
    tcase_add_test(tc, test_page_iov);
    tcase_add_test(tc, test_split_config);
    tcase_add_test(tc, test_compat_stream_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, test_records_truncated);
    tcase_add_test(tc, test_records_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_records_end_refused);
    tcase_add_test(tc, test_records_unknown_type);
    tcase_add_test(tc, test_records_bad_padding);
    tcase_add_test(tc, test_page_head_errors);
    tcase_add_test(tc, test_write_closed_reader);
    tcase_add_test(tc, test_page_iov_errors);
    tcase_add_test(tc, test_split_config_errors);
    tcase_add_test(tc, test_write_raw_closed_reader);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xc_stream_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
