/*
 * check-xl-format.c - Check suite for xl-format.c: the xl save-file
 * header as xl writes it, each kind of corruption (magic, byte order,
 * mandatory flags, optional data, config), truncation at every length,
 * reading it from a file descriptor, and reading xl's handshake
 * messages (right, wrong, cut, late).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xl-format.h"

static const char json[] = "{\"c_info\":{\"name\":\"vm1\",\"type\":\"pv\"}}";

/* A header laid out by hand from xl's struct save_file_header, not by
 * our builder: magic, then host-order u32s, then the config with its
 * NUL as xl writes JSON. */
static size_t xl_header(uint8_t *b, uint32_t mand, const char *cfg)
{
    static const char magic[32] = "Xen saved domain, xl format\n \0 \r";
    uint32_t v, clen = (uint32_t)strlen(cfg) + 1;

    memcpy(b, magic, 32);
    v = 0x01020304;
    memcpy(b + 32, &v, 4);
    memcpy(b + 36, &mand, 4);
    v = 0;
    memcpy(b + 40, &v, 4);
    v = 4 + clen;
    memcpy(b + 44, &v, 4);
    memcpy(b + 48, &clen, 4);
    memcpy(b + 52, cfg, clen);
    return 52 + clen;
}

#define BOTH (XM_XL_SAVE_MANDATORY_CONFIG_JSON | XM_XL_SAVE_MANDATORY_STREAMV2)

static void put32(uint8_t *b, size_t off, uint32_t v)
{
    memcpy(b + off, &v, 4);
}

/* Parse @b and expect -EINVAL with @needle in the reason. */
static void expect_bad(const uint8_t *b, size_t len, const char *needle)
{
    struct xm_xl_savefile sf;
    char why[256];
    int rc = xm_xl_savefile_parse(b, len, &sf, NULL, why, sizeof(why));

    ck_assert_int_eq(rc, -EINVAL);
    ck_assert_msg(strstr(why, needle), "reason \"%s\" lacks \"%s\"", why,
                  needle);
    ck_assert_ptr_null(sf.config);
}

START_TEST(test_xl_written_header)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);
    struct xm_xl_savefile sf;
    char why[256];
    size_t need = 0;

    ck_assert(xm_xl_is_savefile(b, len));
    ck_assert_int_eq(xm_xl_savefile_parse(b, len, &sf, &need, why,
                                          sizeof(why)), 0);
    ck_assert(sf.json);
    ck_assert(sf.streamv2);
    ck_assert_uint_eq(sf.mandatory_flags, BOTH);
    ck_assert_str_eq(sf.config, json); /* xl's NUL dropped */
    ck_assert_uint_eq(sf.config_len, strlen(json));
    ck_assert_uint_eq(sf.stream_offset, len);
    ck_assert_uint_eq(need, len);
    xm_xl_savefile_dispose(&sf);
    xm_xl_savefile_dispose(&sf); /* idempotent */
}
END_TEST

START_TEST(test_build_round_trip)
{
    uint8_t ref[256];
    size_t reflen = xl_header(ref, BOTH, json), len;
    struct xm_xl_savefile sf;
    void *buf;
    char why[256];

    ck_assert_int_eq(xm_xl_savefile_build(json, strlen(json), BOTH, &buf,
                                          &len), 0);
    /* Byte for byte what xl writes. */
    ck_assert_uint_eq(len, reflen);
    ck_assert_mem_eq(buf, ref, len);
    ck_assert_int_eq(xm_xl_savefile_parse(buf, len, &sf, NULL, why,
                                          sizeof(why)), 0);
    ck_assert_str_eq(sf.config, json);
    xm_xl_savefile_dispose(&sf);
    free(buf);
}
END_TEST

START_TEST(test_no_config)
{
    struct xm_xl_savefile sf;
    char why[256];
    void *buf;
    size_t len;

    ck_assert_int_eq(xm_xl_savefile_build(NULL, 0, BOTH, &buf, &len), 0);
    ck_assert_uint_eq(len, XM_XL_SAVE_HDR_LEN);
    ck_assert_int_eq(xm_xl_savefile_parse(buf, len, &sf, NULL, why,
                                          sizeof(why)), 0);
    ck_assert_ptr_null(sf.config);
    ck_assert_uint_eq(sf.stream_offset, XM_XL_SAVE_HDR_LEN);
    free(buf);
}
END_TEST

/* xl always writes the config length, 0 when it has no config. */
START_TEST(test_zero_config_length)
{
    uint8_t b[256];
    struct xm_xl_savefile sf;
    char why[256];

    xl_header(b, XM_XL_SAVE_MANDATORY_STREAMV2, "");
    put32(b, 44, 4);
    put32(b, 48, 0);
    ck_assert_int_eq(xm_xl_savefile_parse(b, 52, &sf, NULL, why,
                                          sizeof(why)), 0);
    ck_assert_ptr_null(sf.config);
    ck_assert_uint_eq(sf.stream_offset, 52);
}
END_TEST

/* Config without a trailing NUL (xl's own syntax is written so). */
START_TEST(test_config_without_nul)
{
    uint8_t b[256];
    size_t len = xl_header(b, XM_XL_SAVE_MANDATORY_STREAMV2, "name='vm1'");
    struct xm_xl_savefile sf;
    char why[256];

    /* Drop the NUL: one byte shorter config and optional data. */
    put32(b, 44, 4 + 10);
    put32(b, 48, 10);
    ck_assert_int_eq(xm_xl_savefile_parse(b, len - 1, &sf, NULL, why,
                                          sizeof(why)), 0);
    ck_assert(!sf.json);
    ck_assert_str_eq(sf.config, "name='vm1'");
    xm_xl_savefile_dispose(&sf);
}
END_TEST

/* Optional data longer than the config: xl ignores the rest, so do we. */
START_TEST(test_trailing_optdata)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);
    struct xm_xl_savefile sf;
    char why[256];

    memset(b + len, 0xaa, 8);
    put32(b, 44, (uint32_t)(len - 48 + 8));
    ck_assert_int_eq(xm_xl_savefile_parse(b, len + 8, &sf, NULL, why,
                                          sizeof(why)), 0);
    ck_assert_str_eq(sf.config, json);
    ck_assert_uint_eq(sf.stream_offset, len + 8);
    xm_xl_savefile_dispose(&sf);
}
END_TEST

START_TEST(test_migration_strings)
{
    ck_assert_uint_eq(XM_XL_MIG_BANNER_LEN, 54);
    ck_assert_int_eq(XM_XL_MIG_BANNER[XM_XL_MIG_BANNER_LEN - 1], '\n');
    ck_assert_uint_eq(XM_XL_MIG_MSG_LEN(XM_XL_MIG_READY), 34);
    ck_assert_uint_eq(XM_XL_MIG_MSG_LEN(XM_XL_MIG_GO), 44);
    ck_assert_uint_eq(XM_XL_MIG_MSG_LEN(XM_XL_MIG_REPORT), 39);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(test_bad_magic)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);

    b[5] ^= 0x20;
    ck_assert(!xm_xl_is_savefile(b, len));
    expect_bad(b, len, "magic at offset 0");
    /* Even a short buffer with the wrong magic is "not xl", not "short". */
    expect_bad((const uint8_t *)"XENMIGST", 8, "magic");
}
END_TEST

START_TEST(test_other_byte_order)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);

    put32(b, 32, 0x04030201);
    expect_bad(b, len, "other byte order");
    put32(b, 32, 0x01020305);
    expect_bad(b, len, "offset 32");
}
END_TEST

START_TEST(test_unknown_mandatory_flag)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH | (1u << 2), json);

    expect_bad(b, len, "mandatory flag(s) 0x4 at offset 36");
    len = xl_header(b, 0x80000000u | XM_XL_SAVE_MANDATORY_STREAMV2, json);
    expect_bad(b, len, "0x80000000 at offset 36");
}
END_TEST

START_TEST(test_optional_flags_ignored)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);
    struct xm_xl_savefile sf;
    char why[256];

    put32(b, 40, 0xffffffffu);
    ck_assert_int_eq(xm_xl_savefile_parse(b, len, &sf, NULL, why,
                                          sizeof(why)), 0);
    ck_assert_uint_eq(sf.optional_flags, 0xffffffffu);
    xm_xl_savefile_dispose(&sf);
}
END_TEST

START_TEST(test_huge_optdata)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);

    put32(b, 44, 0xfffffff0u);
    expect_bad(b, len, "offset 44");
}
END_TEST

START_TEST(test_optdata_too_short)
{
    uint8_t b[256];

    xl_header(b, BOTH, json);
    put32(b, 44, 3);
    expect_bad(b, 51, "too short for the config length");
}
END_TEST

START_TEST(test_config_past_optdata)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);

    put32(b, 48, (uint32_t)(len - 52 + 1));
    expect_bad(b, len, "runs past the optional data");
}
END_TEST

START_TEST(test_config_inner_nul)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);

    b[52 + 5] = '\0';
    expect_bad(b, len, "NUL byte at offset 57");
}
END_TEST

START_TEST(test_config_empty)
{
    uint8_t b[256];

    xl_header(b, BOTH, "");
    expect_bad(b, 53, "empty");
}
END_TEST

/* ---- limits: truncation -------------------------------------------- */

START_TEST(test_truncated_every_length)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json), cut;

    for (cut = 32; cut < len; cut++) {
        struct xm_xl_savefile sf;
        char why[256];
        size_t need = 0;
        int rc = xm_xl_savefile_parse(b, cut, &sf, &need, why, sizeof(why));

        ck_assert_msg(rc == -EAGAIN, "cut at %zu: rc %d (%s)", cut, rc, why);
        ck_assert_msg(strstr(why, "truncated at offset"), "cut at %zu: %s",
                      cut, why);
        ck_assert_uint_eq(need, cut < XM_XL_SAVE_HDR_LEN ? XM_XL_SAVE_HDR_LEN
                                                         : len);
        ck_assert_ptr_null(sf.config);
    }
}
END_TEST

/* Write @len bytes of @b into a pipe and close it; return the read end. */
static int pipe_with(const void *b, size_t len)
{
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], b, len), (ssize_t)len);
    close(p[1]);
    return p[0];
}

START_TEST(test_read_from_fd)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);
    struct xm_xl_savefile sf;
    char rest[8];
    int fd;

    memcpy(b + len, "LibxlFmt", 8); /* the stream that follows */
    fd = pipe_with(b, len + 8);
    ck_assert_int_eq(xm_xl_savefile_read(fd, "test", NULL, &sf), 0);
    ck_assert_str_eq(sf.config, json);
    /* Left exactly at the libxl stream. */
    ck_assert_int_eq(read(fd, rest, sizeof(rest)), 8);
    ck_assert_mem_eq(rest, "LibxlFmt", 8);
    xm_xl_savefile_dispose(&sf);
    close(fd);
}
END_TEST

START_TEST(test_read_truncated)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH, json);
    size_t cuts[] = { 0, 10, 47, 48, 51, len - 1 };
    unsigned i;

    for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        struct xm_xl_savefile sf;
        int fd = pipe_with(b, cuts[i]);
        int rc = xm_xl_savefile_read(fd, "test", NULL, &sf);

        ck_assert_msg(rc == -EPROTO, "cut at %zu: rc %d", cuts[i], rc);
        ck_assert_ptr_null(sf.config);
        close(fd);
    }
}
END_TEST

START_TEST(test_read_corrupt)
{
    uint8_t b[256];
    size_t len = xl_header(b, BOTH | 8, json);
    struct xm_xl_savefile sf;
    int fd = pipe_with(b, len);

    ck_assert_int_eq(xm_xl_savefile_read(fd, "test", NULL, &sf), -EINVAL);
    close(fd);
}
END_TEST

/* Feed @bytes (@len) into a pipe, close it unless @keep_open, read
 * @msg from it with xm_xl_read_message() (1 s timeout). */
static int read_msg(const void *bytes, size_t len, bool keep_open,
                    const char *msg, size_t msg_len)
{
    int p[2], rc;

    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], bytes, len), (ssize_t)len);
    if (!keep_open)
        close(p[1]);
    rc = xm_xl_read_message(NULL, p[0], "the xl receiver", msg, msg_len,
                            "ready message", 1);
    close(p[0]);
    if (keep_open)
        close(p[1]);
    return rc;
}

START_TEST(test_read_message)
{
    static const char ready[] = XM_XL_MIG_READY;
    char two[2 * sizeof(ready)];

    ck_assert_int_eq(read_msg(ready, sizeof(ready), false, ready,
                              sizeof(ready)), 0);
    /* the banner goes without its NUL */
    ck_assert_int_eq(read_msg(XM_XL_MIG_BANNER, XM_XL_MIG_BANNER_LEN, false,
                              XM_XL_MIG_BANNER, XM_XL_MIG_BANNER_LEN), 0);
    /* exactly its length is taken: what follows stays for the next read */
    memcpy(two, ready, sizeof(ready));
    memcpy(two + sizeof(ready), ready, sizeof(ready));
    ck_assert_int_eq(read_msg(two, sizeof(two), true, ready, sizeof(ready)),
                     0);
}
END_TEST

START_TEST(test_read_message_errors)
{
    static const char ready[] = XM_XL_MIG_READY;
    static const char go[] = XM_XL_MIG_GO;

    /* another message where this one was due */
    ck_assert_int_eq(read_msg(go, sizeof(ready), false, ready,
                              sizeof(ready)), -EPROTO);
    /* the NUL missing, then the end of the connection */
    ck_assert_int_eq(read_msg(ready, sizeof(ready) - 1, false, ready,
                              sizeof(ready)), -EPIPE);
    ck_assert_int_eq(read_msg("", 0, false, ready, sizeof(ready)), -EPIPE);
    /* nothing at all within the timeout (1 s) */
    ck_assert_int_eq(read_msg("", 0, true, ready, sizeof(ready)),
                     -ETIMEDOUT);
    /* longer than any of xl's messages */
    ck_assert_int_eq(read_msg("", 0, false, ready, XM_XL_MIG_MSG_MAX + 1),
                     -EINVAL);
}
END_TEST

static Suite *xl_format_suite(void)
{
    Suite *s = suite_create("xl-format");
    TCase *tc;

    tc = tcase_create("core");
    tcase_add_test(tc, test_xl_written_header);
    tcase_add_test(tc, test_build_round_trip);
    tcase_add_test(tc, test_no_config);
    tcase_add_test(tc, test_config_without_nul);
    tcase_add_test(tc, test_zero_config_length);
    tcase_add_test(tc, test_trailing_optdata);
    tcase_add_test(tc, test_migration_strings);
    tcase_add_test(tc, test_read_from_fd);
    tcase_add_test(tc, test_read_message);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, test_truncated_every_length);
    tcase_add_test(tc, test_read_truncated);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_bad_magic);
    tcase_add_test(tc, test_other_byte_order);
    tcase_add_test(tc, test_unknown_mandatory_flag);
    tcase_add_test(tc, test_optional_flags_ignored);
    tcase_add_test(tc, test_huge_optdata);
    tcase_add_test(tc, test_optdata_too_short);
    tcase_add_test(tc, test_config_past_optdata);
    tcase_add_test(tc, test_config_inner_nul);
    tcase_add_test(tc, test_config_empty);
    tcase_add_test(tc, test_read_corrupt);
    tcase_add_test(tc, test_read_message_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xl_format_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
