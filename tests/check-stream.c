/*
 * check-stream.c - Check suite for stream.c: records written and read
 * back through a memfd or a pipe (with a writer thread), a PAGES-shaped
 * record read into separate page buffers, padding and limits, and every
 * way a stream can be bad: corrupt, truncated, wrong header, oversized,
 * over/under-read, and a peer that went away.
 */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "private.h"
#include "stream.h"

#define PAGE 4096u
#define NAME "migration stream"

/* ---- helpers ---------------------------------------------------------- */

static int mem_fd(void)
{
    int fd = memfd_create("check-stream", 0);

    ck_assert_int_ge(fd, 0);
    return fd;
}

/* A memfd holding @len bytes of @data, positioned at 0. */
static int fd_with(const void *data, size_t len)
{
    int fd = mem_fd();

    ck_assert_int_eq(pwrite(fd, data, len, 0), (ssize_t)len);
    return fd;
}

/* All of @fd's contents (malloc'd). */
static uint8_t *fd_contents(int fd, size_t *len_r)
{
    struct stat st;
    uint8_t *b;

    ck_assert_int_eq(fstat(fd, &st), 0);
    b = malloc(st.st_size + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(pread(fd, b, st.st_size, 0), st.st_size);
    *len_r = st.st_size;
    return b;
}

static void fill(void *p, size_t len, unsigned seed)
{
    uint8_t *b = p;
    size_t i;

    for (i = 0; i < len; i++)
        b[i] = (uint8_t)((i + seed) * 2654435761u >> 11);
}

/*
 * The small stream most error tests start from:
 *   0x00 image header (32 bytes)
 *   0x20 FEATURES, body 0x30..0x38
 *   0x38 DOMAIN_CONFIG of 13 bytes, body 0x48..0x55, padding to 0x58
 *   0x58 END, stream ends at 0x68
 */
static uint8_t *small_stream(size_t *len_r)
{
    struct xm_stream s;
    struct xm_rec_features f = { XM_FEAT_ZERO_PAGES };
    int fd = mem_fd();
    uint8_t *b;

    xm_stream_init(&s, fd, NAME);
    ck_assert_int_eq(xm_stream_write_ihdr(&s, XM_FEAT_KNOWN), 0);
    ck_assert_int_eq(xm_stream_write_simple(&s, XM_REC_FEATURES, &f,
                                            sizeof(f)), 0);
    ck_assert_int_eq(xm_stream_write_simple(&s, XM_REC_DOMAIN_CONFIG,
                                            "hello, world!", 13), 0);
    ck_assert_int_eq(xm_stream_write_simple(&s, XM_REC_END, NULL, 0), 0);
    ck_assert_uint_eq(s.offset, 0x68);
    xm_stream_dispose(&s);
    b = fd_contents(fd, len_r);
    ck_assert_uint_eq(*len_r, 0x68);
    close(fd);
    return b;
}

/* A reader over @len bytes of @data. */
struct rd {
    int fd;             /* memfd holding the bytes */
    struct xm_stream s; /* the stream under test */
};

static void rd_open(struct rd *r, const void *data, size_t len)
{
    r->fd = fd_with(data, len);
    xm_stream_init(&r->s, r->fd, NAME);
}

static void rd_close(struct rd *r)
{
    xm_stream_dispose(&r->s);
    xm_stream_dispose(&r->s); /* idempotent */
    close(r->fd);
}

/* Read the small stream's records; returns the first error. */
static int read_small(struct xm_stream *s)
{
    uint64_t feat;
    uint32_t type, len;
    void *body;
    int rc;

    rc = xm_stream_read_ihdr(s, &feat);
    while (!rc) {
        rc = xm_stream_read_record(s, &type, &body, &len);
        if (!rc && type == XM_REC_END)
            break;
    }
    return rc;
}

#define ck_assert_msg_has(s, text)                                          \
    ck_assert_msg(strstr(xm_stream_error_msg(s), (text)) != NULL,           \
                  "message \"%s\" lacks \"%s\"", xm_stream_error_msg(s),    \
                  (text))

/* Microseconds to sleep between records (writer) or page batches
 * (reader), to make the other side block. */
static unsigned slow_us;

/* ---- a writer thread on a pipe ---------------------------------------- */

struct wjob {
    int fd;                                    /* write end, closed after */
    void (*fn)(struct xm_stream *s, void *arg); /* what to write */
    void *arg;                                 /* its argument */
    int rc;                                    /* the writer's error */
    pthread_t thread;                          /* running it */
};

static void *writer_main(void *p)
{
    struct wjob *j = p;
    struct xm_stream s;

    xm_stream_init(&s, j->fd, "test writer");
    j->fn(&s, j->arg);
    j->rc = xm_stream_error(&s);
    xm_stream_dispose(&s);
    close(j->fd);
    return NULL;
}

/* Start @fn writing into a pipe; returns the read end. */
static int writer_start(struct wjob *j, void (*fn)(struct xm_stream *, void *),
                        void *arg)
{
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    j->fd = p[1];
    j->fn = fn;
    j->arg = arg;
    j->rc = 0;
    ck_assert_int_eq(pthread_create(&j->thread, NULL, writer_main, j), 0);
    return p[0];
}

static int writer_join(struct wjob *j)
{
    pthread_join(j->thread, NULL);
    return j->rc;
}

/* ---- core ------------------------------------------------------------- */

/* Many records of every type and assorted lengths, read back whole. */
#define NREC 200

static uint32_t rec_type(unsigned i)
{
    static const uint32_t types[] = {
        XM_REC_FEATURES, XM_REC_DOMAIN_HEADER, XM_REC_DOMAIN_CONFIG,
        XM_REC_PAGES, XM_REC_VCPU_STATE, XM_REC_PLATFORM_STATE,
        XM_REC_VERIFY, XM_REC_CHECKPOINT, XM_REC_GO, XM_REC_ITERATION,
        XM_MSG_READY, XM_MSG_COMPLETE, XM_MSG_DONE, XM_MSG_PAGE_ACK,
        XM_MSG_ERROR, 0x7777,
    };

    return types[i % XM_ARRAY_SIZE(types)];
}

static uint32_t rec_len(unsigned i)
{
    return i % 10 == 9 ? 300000 + i : (i * 37) % 1500;
}

static void write_many(struct xm_stream *s, void *arg)
{
    uint8_t *body = malloc(300000 + NREC);
    unsigned i;

    xm_stream_write_ihdr(s, XM_FEAT_ZERO_PAGES | XM_FEAT_VERIFY);
    for (i = 0; i < NREC; i++) {
        fill(body, rec_len(i), i);
        xm_stream_write_simple(s, rec_type(i), body, rec_len(i));
        if (slow_us)
            usleep(slow_us);
    }
    xm_stream_write_simple(s, XM_REC_END, NULL, 0);
    free(body);
}

static void read_many(struct xm_stream *s)
{
    uint8_t *expect = malloc(300000 + NREC);
    uint64_t feat, off;
    uint32_t type, len;
    void *body;
    unsigned i;

    ck_assert_int_eq(xm_stream_read_ihdr(s, &feat), 0);
    ck_assert_uint_eq(feat, XM_FEAT_ZERO_PAGES | XM_FEAT_VERIFY);
    for (i = 0; i < NREC; i++) {
        off = s->offset;
        ck_assert_int_eq(xm_stream_read_record(s, &type, &body, &len), 0);
        ck_assert_uint_eq(type, rec_type(i));
        ck_assert_uint_eq(len, rec_len(i));
        ck_assert_uint_eq(s->offset - off, 16 + ((len + 7) & ~7u));
        fill(expect, len, i);
        ck_assert(memcmp(body, expect, len) == 0);
    }
    ck_assert_int_eq(xm_stream_read_record(s, &type, &body, &len), 0);
    ck_assert_uint_eq(type, XM_REC_END);
    ck_assert_uint_eq(len, 0);
    free(expect);
}

START_TEST(test_round_trip_memfd)
{
    struct xm_stream w, r;
    int fd = mem_fd();

    xm_stream_init(&w, fd, NAME);
    write_many(&w, NULL);
    ck_assert_int_eq(xm_stream_error(&w), 0);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    xm_stream_init(&r, fd, NAME);
    read_many(&r);
    ck_assert_uint_eq(r.offset, w.offset);
    ck_assert_int_eq(xm_stream_error(&r), 0);
    xm_stream_dispose(&w);
    xm_stream_dispose(&r);
    close(fd);
}
END_TEST

START_TEST(test_round_trip_pipe)
{
    struct wjob j;
    struct xm_stream r;
    int fd = writer_start(&j, write_many, NULL);

    xm_stream_init(&r, fd, NAME);
    read_many(&r);
    ck_assert_int_eq(writer_join(&j), 0);
    xm_stream_dispose(&r);
    close(fd);
}
END_TEST

/* A PAGES record: header, pfn array, encodings, then the raw pages, each
 * written from and read into its own buffer. */
#define NPAGES 1024

static bool page_is_zero(unsigned i)
{
    return i % 7 == 3;
}

static void write_pages(struct xm_stream *s, void *arg)
{
    struct xm_rec_pages ph = { NPAGES, 2 };
    uint64_t *pfn = malloc(NPAGES * sizeof(*pfn));
    uint8_t enc[NPAGES];
    struct iovec *iov = calloc(NPAGES + 3, sizeof(*iov));
    uint8_t **pages = arg;
    unsigned i, n = 0;

    for (i = 0; i < NPAGES; i++) {
        pfn[i] = (uint64_t)(i * 3 + 100) | (uint64_t)(i % 5) << 60;
        enc[i] = page_is_zero(i) ? XM_ENC_ZERO : XM_ENC_RAW;
    }
    iov[n++] = (struct iovec){ &ph, sizeof(ph) };
    iov[n++] = (struct iovec){ pfn, NPAGES * sizeof(*pfn) };
    iov[n++] = (struct iovec){ enc, sizeof(enc) }; /* a multiple of 8 */
    for (i = 0; i < NPAGES; i++) {
        if (!page_is_zero(i))
            iov[n++] = (struct iovec){ pages[i], PAGE };
    }
    xm_stream_write_ihdr(s, XM_FEAT_ZERO_PAGES);
    xm_stream_write_simple(s, XM_REC_CHECKPOINT, NULL, 0);
    xm_stream_write_record(s, XM_REC_PAGES, iov, n);
    xm_stream_write_simple(s, XM_REC_END, NULL, 0);
    free(pfn);
    free(iov);
}

/* Read the PAGES stream, the pages in batches of @batch. */
static void read_pages(struct xm_stream *s, unsigned batch)
{
    struct xm_rec_pages ph;
    uint64_t *pfn = malloc(NPAGES * sizeof(*pfn)), feat;
    uint8_t enc[NPAGES], *expect = malloc(PAGE);
    uint8_t **pages = calloc(NPAGES, sizeof(*pages));
    struct iovec *iov = calloc(NPAGES, sizeof(*iov));
    uint32_t type, len;
    unsigned i, j, n;

    ck_assert_int_eq(xm_stream_read_ihdr(s, &feat), 0);
    ck_assert_int_eq(xm_stream_read_header(s, &type, &len), 0);
    ck_assert_uint_eq(type, XM_REC_CHECKPOINT);
    ck_assert_int_eq(xm_stream_end_record(s), 0);
    ck_assert_int_eq(xm_stream_read_header(s, &type, &len), 0);
    ck_assert_uint_eq(type, XM_REC_PAGES);
    ck_assert_int_eq(xm_stream_read_body(s, &ph, sizeof(ph)), 0);
    ck_assert_uint_eq(ph.count, NPAGES);
    ck_assert_uint_eq(ph.iteration, 2);
    ck_assert_int_eq(xm_stream_read_body(s, pfn, NPAGES * 8), 0);
    ck_assert_int_eq(xm_stream_read_body(s, enc, sizeof(enc)), 0);
    for (i = 0, n = 0; i < NPAGES; i++) {
        ck_assert_uint_eq(pfn[i] & XM_PFN_MASK, i * 3 + 100);
        ck_assert_uint_eq(pfn[i] >> XM_PFN_TYPE_SHIFT, i % 5);
        ck_assert_uint_eq(enc[i], page_is_zero(i) ? XM_ENC_ZERO : XM_ENC_RAW);
        n += !page_is_zero(i);
    }
    ck_assert_uint_eq(len, sizeof(ph) + NPAGES * 9 + n * PAGE);
    for (i = 0; i < NPAGES; i += batch) {
        for (j = i, n = 0; j < i + batch && j < NPAGES; j++) {
            if (page_is_zero(j))
                continue;
            pages[j] = aligned_alloc(PAGE, PAGE);
            iov[n++] = (struct iovec){ pages[j], PAGE };
        }
        ck_assert_int_eq(xm_stream_readv_body(s, iov, n), 0);
        if (slow_us)
            usleep(slow_us);
    }
    ck_assert_int_eq(xm_stream_end_record(s), 0);
    for (i = 0; i < NPAGES; i++) {
        if (page_is_zero(i))
            continue;
        fill(expect, PAGE, i);
        ck_assert_msg(memcmp(pages[i], expect, PAGE) == 0, "page %u", i);
        free(pages[i]);
    }
    ck_assert_int_eq(xm_stream_read_header(s, &type, &len), 0);
    ck_assert_uint_eq(type, XM_REC_END);
    ck_assert_int_eq(xm_stream_end_record(s), 0);
    free(pfn);
    free(expect);
    free(pages);
    free(iov);
}

static uint8_t **make_pages(void)
{
    uint8_t **pages = calloc(NPAGES, sizeof(*pages));
    unsigned i;

    for (i = 0; i < NPAGES; i++) {
        pages[i] = malloc(PAGE);
        fill(pages[i], PAGE, i);
    }
    return pages;
}

static void free_pages(uint8_t **pages)
{
    unsigned i;

    for (i = 0; i < NPAGES; i++)
        free(pages[i]);
    free(pages);
}

START_TEST(test_pages_record)
{
    static const unsigned batches[] = { NPAGES, 100, 7, 1 };
    uint8_t **pages = make_pages();
    struct xm_stream r;
    struct wjob j;
    int fd = writer_start(&j, write_pages, pages);

    /* Through a pipe: short writes, partial reads. */
    xm_stream_init(&r, fd, NAME);
    read_pages(&r, batches[_i]);
    ck_assert_int_eq(writer_join(&j), 0);
    xm_stream_dispose(&r);
    close(fd);
    free_pages(pages);
}
END_TEST

START_TEST(test_ihdr_features)
{
    struct xm_stream w, r;
    struct xm_ihdr h;
    uint64_t feat = 0;
    int fd = mem_fd();

    xm_stream_init(&w, fd, NAME);
    /* Unknown offered bits pass: the receiver answers with a subset. */
    ck_assert_int_eq(xm_stream_write_ihdr(&w, XM_FEAT_KNOWN | 1ull << 40), 0);
    ck_assert_uint_eq(w.offset, 32);
    ck_assert_int_eq(pread(fd, &h, sizeof(h), 0), 32);
    ck_assert(memcmp(h.magic, "XENMIGST", 8) == 0);
    ck_assert_uint_eq(le32toh(h.version), 1);
    ck_assert_uint_eq(le32toh(h.options), 0);
    ck_assert_uint_eq(le32toh(h.page_shift), 12);
    ck_assert_uint_eq(h.reserved, 0);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    xm_stream_init(&r, fd, NAME);
    ck_assert_int_eq(xm_stream_read_ihdr(&r, &feat), 0);
    ck_assert_uint_eq(feat, XM_FEAT_KNOWN | 1ull << 40);
    xm_stream_dispose(&w);
    xm_stream_dispose(&r);
    close(fd);
}
END_TEST

/* An optional record is skipped whole or after part of its body. */
START_TEST(test_skip_optional)
{
    struct xm_rec_iteration it = { 3, 0, 12345 };
    struct xm_rec_features f = { XM_FEAT_VERIFY }, *fp;
    struct xm_stream w, r;
    uint32_t type, len;
    uint64_t feat;
    uint8_t part[5];
    void *body;
    int fd = mem_fd();

    xm_stream_init(&w, fd, NAME);
    xm_stream_write_ihdr(&w, 0);
    xm_stream_write_simple(&w, XM_REC_ITERATION, &it, sizeof(it));
    xm_stream_write_simple(&w, 0x80001234, "not understood", 14);
    xm_stream_write_simple(&w, XM_REC_FEATURES, &f, sizeof(f));
    ck_assert_int_eq(xm_stream_error(&w), 0);
    lseek(fd, 0, SEEK_SET);
    xm_stream_init(&r, fd, NAME);
    ck_assert_int_eq(xm_stream_read_ihdr(&r, &feat), 0);
    ck_assert_int_eq(xm_stream_read_header(&r, &type, &len), 0);
    ck_assert_uint_eq(type, XM_REC_ITERATION);
    ck_assert(type & XM_REC_OPTIONAL);
    ck_assert_int_eq(xm_stream_skip_record(&r), 0);
    ck_assert_int_eq(xm_stream_read_header(&r, &type, &len), 0);
    ck_assert_uint_eq(type, 0x80001234);
    ck_assert_int_eq(xm_stream_read_body(&r, part, sizeof(part)), 0);
    ck_assert(memcmp(part, "not u", 5) == 0);
    ck_assert_int_eq(xm_stream_skip_record(&r), 0);
    ck_assert_int_eq(xm_stream_read_record(&r, &type, &body, &len), 0);
    ck_assert_uint_eq(type, XM_REC_FEATURES);
    fp = body;
    ck_assert_uint_eq(fp->features, XM_FEAT_VERIFY);
    ck_assert_uint_eq(r.offset, w.offset);
    xm_stream_dispose(&w);
    xm_stream_dispose(&r);
    close(fd);
}
END_TEST

START_TEST(test_type_names)
{
    char buf[16];

    ck_assert_str_eq(xm_rec_type_name(XM_REC_END, buf), "END");
    ck_assert_str_eq(xm_rec_type_name(XM_REC_PAGES, buf), "PAGES");
    ck_assert_str_eq(xm_rec_type_name(XM_REC_DOMAIN_HEADER, buf),
                     "DOMAIN_HEADER");
    ck_assert_str_eq(xm_rec_type_name(XM_REC_ITERATION, buf), "ITERATION");
    ck_assert_str_eq(xm_rec_type_name(XM_REC_GO, buf), "GO");
    ck_assert_str_eq(xm_rec_type_name(XM_MSG_READY, buf), "READY");
    ck_assert_str_eq(xm_rec_type_name(XM_MSG_PAGE_ACK, buf), "PAGE_ACK");
    ck_assert_str_eq(xm_rec_type_name(XM_MSG_ERROR, buf), "ERROR");
    ck_assert_str_eq(xm_rec_type_name(0x1234, buf), "0x00001234");
    ck_assert_str_eq(xm_rec_type_name(0xffffffff, buf), "0xffffffff");
}
END_TEST

START_TEST(test_readable)
{
    struct xm_stream w, r;
    uint32_t type, len;
    void *body;
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    xm_stream_init(&w, p[1], NAME);
    xm_stream_init(&r, p[0], NAME);
    ck_assert(!xm_stream_readable(&r));
    xm_stream_write_simple(&w, XM_MSG_PAGE_ACK, "12345678", 8);
    xm_stream_write_simple(&w, XM_MSG_PAGE_ACK, "87654321", 8);
    ck_assert(xm_stream_readable(&r));
    ck_assert_int_eq(xm_stream_read_record(&r, &type, &body, &len), 0);
    /* The second record is in the read-ahead buffer, not the pipe. */
    ck_assert(xm_stream_readable(&r));
    ck_assert_int_eq(xm_stream_read_record(&r, &type, &body, &len), 0);
    ck_assert(memcmp(body, "87654321", 8) == 0);
    ck_assert(!xm_stream_readable(&r));
    xm_stream_dispose(&w);
    xm_stream_dispose(&r);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* bytes_limit holds the writer back (a lower bound only: never flaky). */
START_TEST(test_bytes_limit)
{
    static uint8_t body[32768];
    struct xm_stream w;
    uint64_t t0;
    int fd = mem_fd(), i;

    xm_stream_init(&w, fd, NAME);
    w.bytes_limit = 1u << 20;
    t0 = xm__now_ns();
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(xm_stream_write_simple(&w, XM_REC_DOMAIN_CONFIG,
                                                body, sizeof(body)), 0);
    /* 4 x 32 KiB at 1 MiB/s: at least 125 ms. */
    ck_assert_uint_ge(xm__now_ns() - t0, 125000000ull);
    xm_stream_dispose(&w);
    close(fd);
}
END_TEST

/* ---- limits ----------------------------------------------------------- */

/* Lengths 0..17: the header, the body and zero padding to 8. */
START_TEST(test_padding)
{
    uint8_t body[17], *b, got[17];
    struct xm_rhdr h;
    struct xm_stream w, r;
    uint32_t len, type, i, pad;
    uint64_t off = 0;
    size_t size;
    int fd = mem_fd();

    xm_stream_init(&w, fd, NAME);
    for (len = 0; len <= 17; len++) {
        fill(body, len, len);
        ck_assert_int_eq(xm_stream_write_simple(&w, XM_REC_DOMAIN_CONFIG,
                                                body, len), 0);
        ck_assert_uint_eq(w.offset, off + 16 + ((len + 7) / 8) * 8);
        off = w.offset;
    }
    b = fd_contents(fd, &size);
    ck_assert_uint_eq(size, off);
    for (len = 0, off = 0; len <= 17; len++) {
        memcpy(&h, b + off, sizeof(h));
        ck_assert_uint_eq(le32toh(h.type), XM_REC_DOMAIN_CONFIG);
        ck_assert_uint_eq(le32toh(h.length), len);
        ck_assert_uint_eq(h.flags, 0);
        /* The CRC: the header with crc 0, then the body. */
        fill(body, len, len);
        h.crc = 0;
        ck_assert_uint_eq(
            le32toh(((struct xm_rhdr *)(b + off))->crc),
            xm__crc32c_sw(xm__crc32c_sw(0, &h, sizeof(h)), body, len));
        ck_assert(memcmp(b + off + 16, body, len) == 0);
        pad = (8 - len % 8) % 8;
        for (i = 0; i < pad; i++)
            ck_assert_uint_eq(b[off + 16 + len + i], 0);
        off += 16 + len + pad;
    }
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    xm_stream_init(&r, fd, NAME);
    for (len = 0; len <= 17; len++) {
        ck_assert_int_eq(xm_stream_read_header(&r, &type, &i), 0);
        ck_assert_uint_eq(i, len);
        ck_assert_int_eq(xm_stream_read_body(&r, got, len), 0);
        fill(body, len, len);
        ck_assert(memcmp(got, body, len) == 0);
        ck_assert_int_eq(xm_stream_end_record(&r), 0);
    }
    ck_assert_uint_eq(r.offset, off);
    free(b);
    xm_stream_dispose(&w);
    xm_stream_dispose(&r);
    close(fd);
}
END_TEST

/* A body of exactly XM_REC_MAX_LENGTH passes; one byte more does not. */
START_TEST(test_max_length)
{
    uint8_t *body = malloc(XM_REC_MAX_LENGTH + 1);
    struct xm_stream w, r;
    uint32_t type, len;
    void *got;
    int fd = mem_fd();

    fill(body, XM_REC_MAX_LENGTH, 9);
    xm_stream_init(&w, fd, NAME);
    ck_assert_int_eq(xm_stream_write_simple(&w, XM_REC_PLATFORM_STATE, body,
                                            XM_REC_MAX_LENGTH), 0);
    ck_assert_int_eq(xm_stream_write_simple(&w, XM_REC_PLATFORM_STATE, body,
                                            XM_REC_MAX_LENGTH + 1),
                     -EMSGSIZE);
    ck_assert_msg_has(&w, "over the limit");
    ck_assert_msg_has(&w, "PLATFORM_STATE");
    ck_assert_uint_eq(w.offset, 16 + XM_REC_MAX_LENGTH);
    lseek(fd, 0, SEEK_SET);
    xm_stream_init(&r, fd, NAME);
    ck_assert_int_eq(xm_stream_read_record(&r, &type, &got, &len), 0);
    ck_assert_uint_eq(len, XM_REC_MAX_LENGTH);
    ck_assert(memcmp(got, body, len) == 0);
    free(body);
    xm_stream_dispose(&w);
    xm_stream_dispose(&r);
    close(fd);
}
END_TEST

/* More iovecs than IOV_MAX, some empty, on both sides. */
#define NIOV 3000

START_TEST(test_many_iovecs)
{
    struct iovec *iov = calloc(NIOV, sizeof(*iov));
    struct iovec *riov = calloc(NIOV, sizeof(*riov));
    uint8_t *src = malloc(NIOV * 40), *dst = malloc(NIOV * 40);
    struct xm_stream w, r;
    uint32_t type, len;
    size_t total = 0;
    unsigned i;
    int fd = mem_fd();

    fill(src, NIOV * 40, 1);
    for (i = 0; i < NIOV; i++) {
        size_t n = i % 5 == 0 ? 0 : i % 40;

        iov[i] = (struct iovec){ src + total, n };
        riov[i] = (struct iovec){ dst + total, n };
        total += n;
    }
    xm_stream_init(&w, fd, NAME);
    ck_assert_int_eq(xm_stream_write_record(&w, XM_REC_PAGES, iov, NIOV), 0);
    ck_assert_uint_eq(w.offset, 16 + ((total + 7) & ~7ul));
    lseek(fd, 0, SEEK_SET);
    xm_stream_init(&r, fd, NAME);
    ck_assert_int_eq(xm_stream_read_header(&r, &type, &len), 0);
    ck_assert_uint_eq(len, total);
    ck_assert_int_eq(xm_stream_readv_body(&r, riov, NIOV), 0);
    ck_assert_int_eq(xm_stream_end_record(&r), 0);
    ck_assert(memcmp(src, dst, total) == 0);
    free(iov);
    free(riov);
    free(src);
    free(dst);
    xm_stream_dispose(&w);
    xm_stream_dispose(&r);
    close(fd);
}
END_TEST

/* A 1 MiB body read in odd pieces, buffered and direct, mixed. */
START_TEST(test_split_reads)
{
    size_t size = 1u << 20, done = 0, n;
    uint8_t *src = malloc(size), *dst = malloc(size);
    struct xm_stream w, r;
    uint32_t type, len;
    struct iovec v[2];
    unsigned step = 0;
    int fd = mem_fd();

    fill(src, size, 4);
    xm_stream_init(&w, fd, NAME);
    ck_assert_int_eq(xm_stream_write_simple(&w, XM_REC_PAGES, src, size), 0);
    lseek(fd, 0, SEEK_SET);
    xm_stream_init(&r, fd, NAME);
    ck_assert_int_eq(xm_stream_read_header(&r, &type, &len), 0);
    while (done < size) {
        n = (step % 4 == 3 ? 200000 : 1 + step * 13) % (size - done + 1);
        if (!n)
            n = size - done;
        if (step % 2) {
            ck_assert_int_eq(xm_stream_read_body(&r, dst + done, n), 0);
        } else {
            v[0] = (struct iovec){ dst + done, n / 3 };
            v[1] = (struct iovec){ dst + done + n / 3, n - n / 3 };
            ck_assert_int_eq(xm_stream_readv_body(&r, v, 2), 0);
        }
        done += n;
        step++;
    }
    ck_assert_int_eq(xm_stream_end_record(&r), 0);
    ck_assert(memcmp(src, dst, size) == 0);
    free(src);
    free(dst);
    xm_stream_dispose(&w);
    xm_stream_dispose(&r);
    close(fd);
}
END_TEST

/*
 * Signals without SA_RESTART aimed at one thread while the other side
 * goes slowly, so that thread is blocked in read/readv or writev/poll
 * when they land: every EINTR must carry on where it was.
 */
struct storm {
    pthread_t target;          /* thread to interrupt */
    volatile bool stop;        /* set to end the storm */
    pthread_t thread;          /* the signaller */
};

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
    signals_seen++;
}

static void *storm_main(void *p)
{
    struct storm *st = p;

    while (!st->stop) {
        pthread_kill(st->target, SIGUSR1);
        usleep(50);
    }
    return NULL;
}

static void storm_start(struct storm *st, pthread_t target)
{
    struct sigaction sa = { .sa_handler = on_signal };

    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    signals_seen = 0;
    st->target = target;
    st->stop = false;
    ck_assert_int_eq(pthread_create(&st->thread, NULL, storm_main, st), 0);
}

static void storm_stop(struct storm *st)
{
    st->stop = true;
    pthread_join(st->thread, NULL);
    ck_assert_int_gt(signals_seen, 0);
}

/* The reader is interrupted while it waits for a slow writer. */
START_TEST(test_eintr_read)
{
    uint8_t **pages = make_pages();
    struct xm_stream r;
    struct storm st;
    struct wjob j;
    int fd;

    slow_us = 100;
    storm_start(&st, pthread_self());
    fd = writer_start(&j, write_many, NULL);
    xm_stream_init(&r, fd, NAME);
    read_many(&r);
    ck_assert_int_eq(writer_join(&j), 0);
    xm_stream_dispose(&r);
    close(fd);
    /* Page data straight into the pages by readv. */
    fd = writer_start(&j, write_pages, pages);
    xm_stream_init(&r, fd, NAME);
    read_pages(&r, NPAGES);
    ck_assert_int_eq(writer_join(&j), 0);
    storm_stop(&st);
    slow_us = 0;
    xm_stream_dispose(&r);
    close(fd);
    free_pages(pages);
}
END_TEST

/* The writer is interrupted while the pipe is full. */
START_TEST(test_eintr_write)
{
    uint8_t **pages = make_pages();
    struct xm_stream r;
    struct storm st;
    struct wjob j;
    int fd;

    slow_us = 200;
    fd = writer_start(&j, write_pages, pages);
    storm_start(&st, j.thread);
    xm_stream_init(&r, fd, NAME);
    read_pages(&r, 7);
    ck_assert_int_eq(writer_join(&j), 0);
    storm_stop(&st);
    slow_us = 0;
    xm_stream_dispose(&r);
    close(fd);
    free_pages(pages);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(test_crc_body)
{
    size_t len;
    uint8_t *b = small_stream(&len);
    struct rd r;

    b[0x33] ^= 0x10; /* FEATURES body */
    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), -EBADMSG);
    ck_assert_msg_has(&r.s,
                      "migration stream: record FEATURES at offset 0x20: CRC mismatch (got 0x");
    ck_assert_msg_has(&r.s, "header says 0x");
    rd_close(&r);
    free(b);
}
END_TEST

START_TEST(test_crc_header)
{
    size_t len;
    uint8_t *b = small_stream(&len);
    struct rd r;

    b[0x38 + 9] ^= 0x01; /* DOMAIN_CONFIG's crc field */
    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), -EBADMSG);
    ck_assert_msg_has(&r.s,
                      "record DOMAIN_CONFIG at offset 0x38: CRC mismatch");
    rd_close(&r);

    b[0x38 + 9] ^= 0x01;
    b[0x38] = XM_REC_VCPU_STATE; /* the type: covered by the CRC too */
    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), -EBADMSG);
    ck_assert_msg_has(&r.s, "record VCPU_STATE at offset 0x38: CRC mismatch");
    rd_close(&r);
    free(b);
}
END_TEST

/* Cut the stream at every byte: at a record boundary it ended early,
 * anywhere else it is truncated (header, body or padding). */
START_TEST(test_truncated)
{
    size_t len, cut;
    uint8_t *b = small_stream(&len);
    struct rd r;
    int rc;

    for (cut = 0; cut < len; cut++) {
        rd_open(&r, b, cut);
        rc = read_small(&r.s);
        if (cut == 0 || cut == 0x20 || cut == 0x38 || cut == 0x58) {
            ck_assert_msg(rc == -ENODATA, "cut at %zu: %d", cut, rc);
            ck_assert_msg_has(&r.s, "ended early");
        } else {
            ck_assert_msg(rc == -EBADMSG, "cut at %zu: %d", cut, rc);
            ck_assert_msg_has(&r.s, "truncated");
        }
        if (cut > 0x38 && cut < 0x48)
            ck_assert_msg_has(&r.s, "truncated record header at offset 0x38 (");
        if (cut > 0x48 && cut < 0x55)
            ck_assert_msg_has(&r.s,
                              "record DOMAIN_CONFIG at offset 0x38: truncated in the body");
        if (cut > 0x55 && cut < 0x58)
            ck_assert_msg_has(&r.s,
                              "record DOMAIN_CONFIG at offset 0x38: truncated in the padding");
        rd_close(&r);
    }
    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), 0);
    rd_close(&r);
    free(b);
}
END_TEST

/* Corrupt a field of the image header, expect @err and @text. */
static void bad_ihdr(size_t at, const void *bytes, size_t n, int err,
                     const char *text)
{
    size_t len;
    uint8_t *b = small_stream(&len);
    struct rd r;

    memcpy(b + at, bytes, n);
    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), err);
    ck_assert_msg_has(&r.s, text);
    rd_close(&r);
    free(b);
}

START_TEST(test_bad_ihdr)
{
    static const uint8_t be_version[4] = { 0, 0, 0, 1 };
    uint8_t be_hdr[16] = { 0, 0, 0, 1, 0, 0, 0, 1 };

    bad_ihdr(0, "XENMIGSU", 8, -EBADMSG, "not a xenmig stream");
    bad_ihdr(0, "\x7f" "ELF", 4, -EBADMSG, "magic is 7f454c46");
    bad_ihdr(8, "\x02", 1, -EPROTONOSUPPORT, "version 2 is not supported");
    bad_ihdr(8, be_version, 4, -EPROTONOSUPPORT, "version 16777216");
    /* A big-endian writer: version and options both byte-swapped. */
    bad_ihdr(8, be_hdr, 8, -EPROTONOSUPPORT, "big-endian");
    bad_ihdr(12, "\x01", 1, -EPROTONOSUPPORT, "big-endian");
    bad_ihdr(12, "\x04", 1, -EPROTONOSUPPORT, "unknown options 0x4");
    bad_ihdr(24, "\x0d", 1, -EPROTONOSUPPORT, "page shift 13");
    bad_ihdr(28, "\x01", 1, -EBADMSG, "reserved field is 0x1");
}
END_TEST

START_TEST(test_empty_and_short)
{
    size_t len;
    uint8_t *b = small_stream(&len);
    struct rd r;
    uint64_t feat;

    rd_open(&r, b, 0);
    ck_assert_int_eq(xm_stream_read_ihdr(&r.s, &feat), -ENODATA);
    ck_assert_msg_has(&r.s, "migration stream: ended early");
    rd_close(&r);
    rd_open(&r, b, 31);
    ck_assert_int_eq(xm_stream_read_ihdr(&r.s, &feat), -EBADMSG);
    ck_assert_msg_has(&r.s, "truncated image header (31 of 32 bytes)");
    rd_close(&r);
    free(b);
}
END_TEST

START_TEST(test_oversized)
{
    size_t len;
    uint8_t *b = small_stream(&len);
    uint32_t big = htole32(XM_REC_MAX_LENGTH + 1), type, rlen;
    struct rd r;
    uint64_t feat;

    memcpy(b + 0x38 + 4, &big, 4);
    rd_open(&r, b, len);
    ck_assert_int_eq(xm_stream_read_ihdr(&r.s, &feat), 0);
    ck_assert_int_eq(xm_stream_read_header(&r.s, &type, &rlen), 0);
    ck_assert_int_eq(xm_stream_end_record(&r.s), -EPROTO); /* under-read */
    rd_close(&r);

    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), -EMSGSIZE);
    ck_assert_msg_has(&r.s,
                      "record DOMAIN_CONFIG at offset 0x38: length 16777217 is over the limit of 16777216");
    rd_close(&r);
    free(b);
}
END_TEST

START_TEST(test_flags_and_padding)
{
    size_t len;
    uint8_t *b = small_stream(&len);
    struct rd r;

    b[0x20 + 12] = 1; /* FEATURES flags */
    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), -EBADMSG);
    ck_assert_msg_has(&r.s, "record FEATURES at offset 0x20: flags are 0x1");
    rd_close(&r);
    b[0x20 + 12] = 0;
    b[0x56] = 0xaa; /* DOMAIN_CONFIG padding (not under the CRC) */
    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), -EBADMSG);
    ck_assert_msg_has(&r.s,
                      "record DOMAIN_CONFIG at offset 0x38: padding is not zero");
    rd_close(&r);
    free(b);
}
END_TEST

/* The first error stays, message and all; nothing else touches the fd. */
START_TEST(test_sticky)
{
    size_t len;
    uint8_t *b = small_stream(&len), buf[8];
    char first[256];
    struct rd r;
    uint32_t type, rlen;
    uint64_t off;

    b[0x33] ^= 0x10;
    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), -EBADMSG);
    snprintf(first, sizeof(first), "%s", xm_stream_error_msg(&r.s));
    off = r.s.offset;
    ck_assert_int_eq(xm_stream_read_header(&r.s, &type, &rlen), -EBADMSG);
    ck_assert_int_eq(xm_stream_read_body(&r.s, buf, 1), -EBADMSG);
    ck_assert_int_eq(xm_stream_end_record(&r.s), -EBADMSG);
    ck_assert_int_eq(xm_stream_write_simple(&r.s, XM_REC_END, NULL, 0),
                     -EBADMSG);
    ck_assert_int_eq(xm_stream_fail(&r.s, -EIO, "something else"), -EBADMSG);
    ck_assert_str_eq(xm_stream_error_msg(&r.s), first);
    ck_assert_uint_eq(r.s.offset, off);
    ck_assert(xm_stream_readable(&r.s)); /* a read returns at once */
    rd_close(&r);
    free(b);
}
END_TEST

START_TEST(test_eof)
{
    size_t len;
    uint8_t *b = small_stream(&len);
    struct rd r;
    uint32_t type, rlen;

    rd_open(&r, b, len);
    ck_assert_int_eq(read_small(&r.s), 0);
    ck_assert_int_eq(xm_stream_read_header(&r.s, &type, &rlen), -ENODATA);
    ck_assert_msg_has(&r.s, "migration stream: ended early at offset 0x68");
    ck_assert_int_eq(xm_stream_read_header(&r.s, &type, &rlen), -ENODATA);
    rd_close(&r);
    free(b);
}
END_TEST

START_TEST(test_over_under_read)
{
    size_t len;
    uint8_t *b = small_stream(&len), buf[16];
    struct rd r;
    uint32_t type, rlen;
    uint64_t feat;
    struct iovec v = { buf, 9 };

    rd_open(&r, b, len);
    xm_stream_read_ihdr(&r.s, &feat);
    ck_assert_int_eq(xm_stream_read_header(&r.s, &type, &rlen), 0);
    ck_assert_int_eq(xm_stream_readv_body(&r.s, &v, 1), -EPROTO);
    ck_assert_msg_has(&r.s,
                      "record FEATURES at offset 0x20: body over-read: 9 bytes asked for, 8 left");
    rd_close(&r);

    rd_open(&r, b, len);
    xm_stream_read_ihdr(&r.s, &feat);
    ck_assert_int_eq(xm_stream_read_header(&r.s, &type, &rlen), 0);
    ck_assert_int_eq(xm_stream_read_body(&r.s, buf, 4), 0);
    ck_assert_int_eq(xm_stream_end_record(&r.s), -EPROTO);
    ck_assert_msg_has(&r.s, "body under-read: 4 of 8 bytes");
    rd_close(&r);

    rd_open(&r, b, len);
    xm_stream_read_ihdr(&r.s, &feat);
    ck_assert_int_eq(xm_stream_read_body(&r.s, buf, 4), -EINVAL);
    ck_assert_msg_has(&r.s, "outside any record");
    rd_close(&r);
    free(b);
}
END_TEST

/* A closed peer is an error with a message, not death by SIGPIPE. */
START_TEST(test_closed_peer)
{
    static uint8_t body[100000];
    struct xm_stream w;
    int sv[2];

    signal(SIGPIPE, SIG_IGN);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    xm_stream_init(&w, sv[0], NAME);
    ck_assert_int_eq(xm_stream_write_simple(&w, XM_REC_PAGES, body,
                                            sizeof(body)), -EPIPE);
    ck_assert_msg_has(&w,
                      "migration stream: record PAGES at offset 0x0: the other end went away");
    ck_assert_int_eq(xm_stream_write_ihdr(&w, 0), -EPIPE);
    xm_stream_dispose(&w);
    close(sv[0]);
}
END_TEST

/*
 * A peer that stops reading (a link gone down): with a timeout, a record
 * larger than the socket's buffers fails with -ETIMEDOUT once nothing
 * moved for that long, instead of blocking in writev() for ever.
 */
/* A 4 MiB record into @w (timeout 300 ms), whose reader never reads. */
static void write_stalls(struct xm_stream *w)
{
    static uint8_t body[4 << 20];
    uint64_t t0 = xm__now_ns();

    w->timeout_ms = 300;
    ck_assert_int_eq(xm_stream_write_simple(w, XM_REC_PAGES, body,
                                            sizeof(body)), -ETIMEDOUT);
    ck_assert_uint_lt(xm__now_ns() - t0, 10000000000ull);
    ck_assert_uint_gt(w->offset, 0);
    ck_assert_uint_lt(w->offset, sizeof(body));
    ck_assert_msg_has(w, "migration stream: record PAGES at offset 0x0");
}

START_TEST(test_stalled_peer)
{
    struct xm_stream w;
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    xm_stream_init(&w, sv[0], NAME);
    write_stalls(&w);
    xm_stream_dispose(&w);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/*
 * The same through a pipe (ssh's stdin, for -s): the pipe fills, the
 * reader never reads. The pipe's own flags stay as they are, and once
 * the stream is gone, closing the fd ends the pipe (no copy of the
 * write end left open).
 */
START_TEST(test_stalled_pipe)
{
    struct xm_stream w;
    char buf[65536];
    ssize_t r;
    int p[2];

    alarm(30); /* a blocking write would hang here: end the run instead */
    ck_assert_int_eq(pipe(p), 0);
    xm_stream_init(&w, p[1], NAME);
    write_stalls(&w);
    ck_assert_int_eq(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
    xm_stream_dispose(&w);
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    while ((r = read(p[0], buf, sizeof(buf))) > 0)
        ;
    ck_assert_int_eq(r, 0); /* EOF, not EAGAIN */
    close(p[0]);
    alarm(0);
}
END_TEST

/* A writer that dies half way through a record's body. */
static void write_half(struct xm_stream *s, void *arg)
{
    static uint8_t body[200000];
    struct xm_rhdr h = { htole32(XM_REC_PAGES), htole32(sizeof(body)), 0,
                         0 };
    size_t done = 0;
    ssize_t r;

    xm_stream_write_ihdr(s, 0);
    ck_assert_int_eq(write(s->fd, &h, sizeof(h)), sizeof(h));
    while (done < sizeof(body) / 2) {
        r = write(s->fd, body + done, sizeof(body) / 2 - done);
        ck_assert_int_gt(r, 0);
        done += r;
    }
}

START_TEST(test_read_error)
{
    struct xm_stream r;
    uint64_t feat;
    int fd = mem_fd(), wo;
    char path[64];

    /* A descriptor that cannot be read. */
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    wo = open(path, O_WRONLY);
    ck_assert_int_ge(wo, 0);
    xm_stream_init(&r, wo, "back channel");
    ck_assert_int_eq(xm_stream_read_ihdr(&r, &feat), -EBADF);
    ck_assert_msg_has(&r,
                      "back channel: cannot read the image header: Bad file descriptor");
    xm_stream_dispose(&r);
    close(wo);
    close(fd);
}
END_TEST

START_TEST(test_writer_dies)
{
    struct xm_stream r;
    struct wjob j;
    uint32_t type, len;
    uint64_t feat;
    uint8_t *buf = malloc(200000);
    struct iovec v = { buf, 200000 };
    int fd = writer_start(&j, write_half, NULL);

    xm_stream_init(&r, fd, NAME);
    ck_assert_int_eq(xm_stream_read_ihdr(&r, &feat), 0);
    ck_assert_int_eq(xm_stream_read_header(&r, &type, &len), 0);
    ck_assert_int_eq(xm_stream_readv_body(&r, &v, 1), -EBADMSG);
    ck_assert_msg_has(&r,
                      "record PAGES at offset 0x20: truncated in the body (100000 of 200000 bytes)");
    ck_assert_int_eq(writer_join(&j), 0);
    xm_stream_dispose(&r);
    close(fd);
    free(buf);
}
END_TEST

/* Truncated inside a large body read straight into the caller's memory. */
START_TEST(test_truncated_direct)
{
    static uint8_t body[300000];
    struct xm_stream w, r;
    uint8_t *buf = malloc(sizeof(body));
    struct iovec v[2] = { { buf, 1000 }, { buf + 1000, sizeof(body) - 1000 } };
    uint32_t type, len;
    int fd = mem_fd();

    xm_stream_init(&w, fd, NAME);
    xm_stream_write_simple(&w, XM_REC_PAGES, body, sizeof(body));
    ck_assert_int_eq(ftruncate(fd, 16 + 250000), 0);
    lseek(fd, 0, SEEK_SET);
    xm_stream_init(&r, fd, NAME);
    ck_assert_int_eq(xm_stream_read_header(&r, &type, &len), 0);
    ck_assert_int_eq(xm_stream_readv_body(&r, v, 2), -EBADMSG);
    ck_assert_msg_has(&r,
                      "record PAGES at offset 0x0: truncated in the body (250000 of 300000 bytes)");
    xm_stream_dispose(&w);
    xm_stream_dispose(&r);
    close(fd);
    free(buf);
}
END_TEST

static Suite *stream_suite(void)
{
    Suite *s = suite_create("stream");
    TCase *tc;

    tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_round_trip_memfd);
    tcase_add_test(tc, test_round_trip_pipe);
    tcase_add_loop_test(tc, test_pages_record, 0, 4);
    tcase_add_test(tc, test_ihdr_features);
    tcase_add_test(tc, test_skip_optional);
    tcase_add_test(tc, test_type_names);
    tcase_add_test(tc, test_readable);
    tcase_add_test(tc, test_bytes_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_padding);
    tcase_add_test(tc, test_max_length);
    tcase_add_test(tc, test_many_iovecs);
    tcase_add_test(tc, test_split_reads);
    tcase_add_test(tc, test_eintr_read);
    tcase_add_test(tc, test_eintr_write);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_crc_body);
    tcase_add_test(tc, test_crc_header);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_bad_ihdr);
    tcase_add_test(tc, test_empty_and_short);
    tcase_add_test(tc, test_oversized);
    tcase_add_test(tc, test_flags_and_padding);
    tcase_add_test(tc, test_sticky);
    tcase_add_test(tc, test_eof);
    tcase_add_test(tc, test_over_under_read);
    tcase_add_test(tc, test_closed_peer);
    tcase_add_test(tc, test_stalled_peer);
    tcase_add_test(tc, test_stalled_pipe);
    tcase_add_test(tc, test_read_error);
    tcase_add_test(tc, test_writer_dies);
    tcase_add_test(tc, test_truncated_direct);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stream_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
