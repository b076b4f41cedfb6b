/*
 * check-xc-stream.c - Check suite for xc-stream.c, the parts of feeding
 * libxl that need no Xen: the stream's opening and closing bytes against
 * Xen's layout, the framing check of records, PAGE_DATA heads, and the
 * I/O helpers (a closed reader is -EPIPE, not a SIGPIPE death).
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xc-stream.h"

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
