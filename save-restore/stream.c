/*
 * stream.c - records in and out of a file descriptor, with a sticky error
 * (the contract is in stream.h, the format in xenmig-stream(7)).
 *
 * Entry points: xm_stream_init, _dispose, _fail; writing: _write_ihdr,
 * _write_record, _write_simple; reading: _read_ihdr, _read_header,
 * _read_body, _readv_body, _end_record, _skip_record, _read_record,
 * _readable; and xm_rec_type_name.
 *
 * Writing a record: the CRC32C is computed over the header (crc field
 * zero) and the caller's iovecs, then header, iovecs and padding go to the
 * kernel in as few writev calls as IOV_MAX allows.
 *
 * Reading a record: read_header takes 16 bytes through the read-ahead
 * buffer and checks them; body reads drain the buffer first and then, for
 * large reads, go straight from the fd into the caller's memory; every
 * body byte is added to the running CRC as it passes; end_record reads the
 * padding and compares the CRC with the header's.
 *
 * Every failure goes through xm_stream_fail(), which keeps the first one
 * with a message "<stream name>: <what>", naming the record type and the
 * stream offset of its header where there is one.
 */
#include <byteswap.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "private.h"
#include "stream.h"

#define READ_AHEAD (256u << 10) /* read-ahead buffer */
#define DIRECT_MIN (64u << 10)  /* body reads this big bypass the buffer */
#define IOV_BATCH IOV_MAX       /* iovecs per writev/readv call */

_Static_assert(sizeof(struct xm_ihdr) == 32, "image header is 32 bytes");
_Static_assert(sizeof(struct xm_rhdr) == 16, "record header is 16 bytes");

static const uint8_t zeros[8];

/* ---- errors ----------------------------------------------------------- */

static const char *errstr(int err, char buf[64])
{
    return strerror_r(err < 0 ? -err : err, buf, 64);
}

int xm_stream_fail(struct xm_stream *s, int err, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (s->err)
        return s->err;
    s->err = err > 0 ? -err : err ? err : -EIO;
    n = snprintf(s->errmsg, sizeof(s->errmsg), "%s: ", s->name);
    if (n < 0 || (size_t)n >= sizeof(s->errmsg))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(s->errmsg + n, sizeof(s->errmsg) - n, fmt, ap);
    va_end(ap);
    return s->err;
}

/* Fail naming the record being read: "record TYPE at offset 0x...: ". */
__attribute__((format(printf, 3, 4)))
static int rec_fail(struct xm_stream *s, int err, const char *fmt, ...)
{
    char msg[200], tn[16];
    va_list ap;

    if (s->err)
        return s->err;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return xm_stream_fail(s, err, "record %s at offset 0x%" PRIx64 ": %s",
                          xm_rec_type_name(s->cur.type, tn), s->cur_offset,
                          msg);
}

/* A failed read or write of @what (a read error is not an EOF). */
static int io_fail(struct xm_stream *s, int err, const char *what)
{
    char eb[64];

    if (err == -EPIPE || err == -ECONNRESET)
        return xm_stream_fail(s, err, "%s: the other end went away (%s)",
                              what, errstr(err, eb));
    return xm_stream_fail(s, err, "%s: %s", what, errstr(err, eb));
}

/* "record TYPE at offset 0x..." into @buf. */
static const char *rec_where(char buf[64], uint32_t type, uint64_t offset)
{
    char tn[16];

    snprintf(buf, 64, "record %s at offset 0x%" PRIx64,
             xm_rec_type_name(type, tn), offset);
    return buf;
}

/* ---- life cycle ------------------------------------------------------- */

void xm_stream_init(struct xm_stream *s, int fd, const char *name)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->nb_fd = -1;
    s->name = name ? name : "stream";
}

void xm_stream_dispose(struct xm_stream *s)
{
    free(s->buf);
    s->buf = NULL;
    s->buf_size = s->buf_pos = s->buf_len = 0;
    free(s->rec);
    s->rec = NULL;
    s->rec_size = 0;
    s->in_record = false;
    if (s->nb_fd >= 0)
        close(s->nb_fd);
    s->nb_fd = -1;
}

/*
 * Block until @fd is ready for @events, at most @timeout_ms (0: forever).
 * 0, or -ETIMEDOUT.
 */
static int wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    int r;

    while ((r = poll(&p, 1, timeout_ms ? timeout_ms : -1)) < 0 &&
           errno == EINTR)
        ;
    return r == 0 ? -ETIMEDOUT : 0;
}

/* ---- iovec cursor ----------------------------------------------------- */

/* A position in up to three iovec arrays, walked as one. */
struct cursor {
    const struct iovec *part[3]; /* the arrays */
    unsigned n[3];               /* their lengths */
    unsigned p, i;               /* current array, iovec in it */
    size_t skip;                 /* bytes of that iovec already done */
};

/* The current iovec with bytes left, or NULL at the end. */
static const struct iovec *cursor_iov(struct cursor *c)
{
    while (c->p < 3) {
        if (c->i < c->n[c->p]) {
            if (c->part[c->p][c->i].iov_len > c->skip)
                return &c->part[c->p][c->i];
            c->i++;
            c->skip = 0;
            continue;
        }
        c->p++;
        c->i = 0;
        c->skip = 0;
    }
    return NULL;
}

static void cursor_advance(struct cursor *c, size_t len)
{
    while (len) {
        const struct iovec *v = cursor_iov(c);
        size_t left = v->iov_len - c->skip;

        if (len < left) {
            c->skip += len;
            return;
        }
        len -= left;
        c->i++;
        c->skip = 0;
    }
}

/* Fill @batch from @c without moving it; returns the iovecs used. */
static unsigned cursor_batch(const struct cursor *c, struct iovec *batch)
{
    struct cursor t = *c;
    const struct iovec *v;
    unsigned k = 0;

    while (k < IOV_BATCH && (v = cursor_iov(&t))) {
        batch[k].iov_base = (uint8_t *)v->iov_base + t.skip;
        batch[k].iov_len = v->iov_len - t.skip;
        k++;
        t.i++;
        t.skip = 0;
    }
    return k;
}

/* ---- writing ---------------------------------------------------------- */

/*
 * A pipe @fd opened again with O_NONBLOCK: a new open file description,
 * so the flag does not reach whoever shares @fd's (a shell's pipe on
 * stdout). -1 if @fd is not a pipe or cannot be reopened.
 */
static int reopen_nonblocking(int fd)
{
    char path[40];
    struct stat st;

    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
        return -1;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    return open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
}

/*
 * One write of @batch. With a timeout, a socket is written without
 * blocking (MSG_DONTWAIT on this call, the fd's flags untouched): poll()
 * says POLLOUT once a third of the send buffer is free, and a blocking
 * writev() then waits until all of the batch went, so a peer that stops
 * taking data (a link gone down) would hold it past the timeout, until
 * TCP gives up many minutes later. A pipe (ssh's stdin, for -s) has the
 * same problem: POLLOUT means one free slot, and writev() waits for
 * room for all of the batch; it is written through a non-blocking
 * reopening of itself. Anything else blocks as before.
 */
static ssize_t write_some(struct xm_stream *s, struct iovec *batch,
                          unsigned k)
{
    if (s->timeout_ms && !s->not_socket) {
        struct msghdr m = { .msg_iov = batch, .msg_iovlen = k };
        ssize_t r = sendmsg(s->fd, &m, MSG_DONTWAIT);

        if (r >= 0 || errno != ENOTSOCK)
            return r;
        s->not_socket = true;
    }
    if (s->timeout_ms && !s->nb_tried) {
        s->nb_tried = true;
        s->nb_fd = reopen_nonblocking(s->fd);
    }
    return writev(s->timeout_ms && s->nb_fd >= 0 ? s->nb_fd : s->fd, batch,
                  k);
}

/* Write everything @c covers; @what names it in errors. */
static int write_all(struct xm_stream *s, struct cursor *c, const char *what)
{
    struct iovec batch[IOV_BATCH];
    unsigned k;
    ssize_t r;

    while ((k = cursor_batch(c, batch))) {
        if (s->timeout_ms && wait_fd(s->fd, POLLOUT, s->timeout_ms))
            return io_fail(s, -ETIMEDOUT, what);
        r = write_some(s, batch, k);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (wait_fd(s->fd, POLLOUT, s->timeout_ms))
                    return io_fail(s, -ETIMEDOUT, what);
                continue;
            }
            return io_fail(s, -errno, what);
        }
        if (r == 0)
            return io_fail(s, -EIO, what);
        s->offset += r;
        cursor_advance(c, r);
    }
    return 0;
}

/*
 * Hold the writer to bytes_limit on average: @bytes more went out, the
 * first of them at @t0. The account starts with the first paced record;
 * when the writer has been slower than the cap for more than the credit,
 * it restarts so that only XM_STREAM_PACE_CREDIT_NS carries over.
 */
static void pace(struct xm_stream *s, uint64_t bytes, uint64_t t0)
{
    uint64_t now = xm__now_ns(), due, wait;
    struct timespec ts;

    if (!s->pace_t0)
        s->pace_t0 = t0;
    s->pace_bytes += bytes;
    due = s->pace_t0 + (uint64_t)((unsigned __int128)s->pace_bytes *
                                  1000000000u / s->bytes_limit);
    if (now > due + XM_STREAM_PACE_CREDIT_NS) {
        s->pace_t0 = now - XM_STREAM_PACE_CREDIT_NS;
        s->pace_bytes = 0;
        return;
    }
    if (due <= now)
        return;
    wait = due - now;
    ts.tv_sec = wait / 1000000000ull;
    ts.tv_nsec = wait % 1000000000ull;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int xm_stream_write_ihdr(struct xm_stream *s, uint64_t features)
{
    struct xm_ihdr h;
    struct iovec v = { &h, sizeof(h) };
    struct cursor c = { .part = { &v }, .n = { 1 } };

    if (s->err)
        return s->err;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, XM_IHDR_MAGIC, sizeof(h.magic));
    h.version = htole32(XM_IHDR_VERSION);
    h.options = htole32(XM_IHDR_OPT_LITTLE_ENDIAN);
    h.features = htole64(features);
    h.page_shift = htole32(12);
    return write_all(s, &c, "cannot write the image header");
}

int xm_stream_write_record(struct xm_stream *s, uint32_t type,
                           const struct iovec *iov, unsigned n)
{
    struct xm_rhdr h;
    struct iovec hv = { &h, sizeof(h) }, pv;
    struct cursor c = { .part = { &hv, iov, &pv }, .n = { 1, n, 1 } };
    uint64_t len = 0, t0;
    uint32_t crc;
    char where[64];
    unsigned i;
    int rc;

    if (s->err)
        return s->err;
    for (i = 0; i < n; i++)
        len += iov[i].iov_len;
    rec_where(where, type, s->offset);
    if (len > XM_REC_MAX_LENGTH)
        return xm_stream_fail(s, -EMSGSIZE,
                              "%s: a body of %" PRIu64 " bytes is over the limit of %u",
                              where, len, XM_REC_MAX_LENGTH);

    h.type = htole32(type);
    h.length = htole32((uint32_t)len);
    h.crc = 0;
    h.flags = 0;
    crc = xm_crc32c(0, &h, sizeof(h));
    for (i = 0; i < n; i++)
        crc = xm_crc32c(crc, iov[i].iov_base, iov[i].iov_len);
    h.crc = htole32(crc);
    if (s->corrupt_next) {
        /* fault injection: the receiver must see a CRC error */
        s->corrupt_next = false;
        h.crc ^= htole32(0xff);
    }
    pv.iov_base = (void *)zeros;
    pv.iov_len = -len & 7;

    t0 = s->bytes_limit ? xm__now_ns() : 0;
    rc = write_all(s, &c, where);
    if (!rc && s->bytes_limit)
        pace(s, sizeof(h) + len + pv.iov_len, t0);
    return rc;
}

int xm_stream_write_simple(struct xm_stream *s, uint32_t type,
                           const void *body, uint32_t len)
{
    struct iovec v = { (void *)body, len };

    return xm_stream_write_record(s, type, &v, body && len ? 1 : 0);
}

int xm_stream_write_raw(struct xm_stream *s, const struct iovec *iov,
                        unsigned n, const char *what)
{
    struct cursor c = { .part = { iov }, .n = { n } };
    uint64_t off0 = s->offset, t0;
    char where[96];
    int rc;

    if (s->err)
        return s->err;
    snprintf(where, sizeof(where), "%s at offset 0x%" PRIx64, what, off0);
    t0 = s->bytes_limit ? xm__now_ns() : 0;
    rc = write_all(s, &c, where);
    if (!rc && s->bytes_limit)
        pace(s, s->offset - off0, t0);
    return rc;
}

/* ---- reading: bytes --------------------------------------------------- */

/*
 * read() with EINTR and EAGAIN handled: bytes, 0 at EOF, or -errno
 * (-ETIMEDOUT after @timeout_ms without data, unless it is 0).
 */
static ssize_t read_fd(int fd, void *buf, size_t len, int timeout_ms)
{
    ssize_t r;

    for (;;) {
        if (timeout_ms && wait_fd(fd, POLLIN, timeout_ms))
            return -ETIMEDOUT;
        r = read(fd, buf, len);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_fd(fd, POLLIN, timeout_ms))
                return -ETIMEDOUT;
            continue;
        }
        return -errno;
    }
}

/* Take @n buffered bytes: to @dst (unless NULL), into the CRC if @crc. */
static void take(struct xm_stream *s, uint8_t *dst, size_t n, bool crc)
{
    const uint8_t *src = s->buf + s->buf_pos;

    if (crc)
        s->cur_crc = xm_crc32c(s->cur_crc, src, n);
    if (dst)
        memcpy(dst, src, n);
    s->buf_pos += n;
    s->offset += n;
}

/*
 * Read @len bytes into @dst (NULL: discard them), through the buffer, or
 * straight into @dst once the buffer is drained if the rest is large.
 * *@got_r: bytes obtained. Returns 0, -ENODATA at an EOF before @len, or
 * -errno of a failed read; neither error is made sticky here.
 */
static int read_bytes(struct xm_stream *s, void *dst, size_t len, bool crc,
                      size_t *got_r)
{
    uint8_t *d = dst;
    size_t got = 0, n;
    ssize_t r;

    *got_r = 0;
    if (!s->buf) {
        s->buf = malloc(READ_AHEAD);
        if (!s->buf)
            return -ENOMEM;
        s->buf_size = READ_AHEAD;
        s->buf_pos = s->buf_len = 0;
    }
    while (got < len) {
        n = s->buf_len - s->buf_pos;
        if (n) {
            if (n > len - got)
                n = len - got;
            take(s, d ? d + got : NULL, n, crc);
            got += n;
            *got_r = got;
            continue;
        }
        if (d && len - got >= DIRECT_MIN) {
            r = read_fd(s->fd, d + got, len - got, s->timeout_ms);
            if (r > 0) {
                if (crc)
                    s->cur_crc = xm_crc32c(s->cur_crc, d + got, r);
                s->offset += r;
                got += r;
                *got_r = got;
                continue;
            }
        } else {
            s->buf_pos = s->buf_len = 0;
            r = read_fd(s->fd, s->buf, s->buf_size, s->timeout_ms);
            if (r > 0) {
                s->buf_len = r;
                continue;
            }
        }
        return r == 0 ? -ENODATA : (int)r;
    }
    return 0;
}

/* ---- reading: records ------------------------------------------------- */

int xm_stream_read_ihdr(struct xm_stream *s, uint64_t *features_r)
{
    struct xm_ihdr h;
    uint32_t options, version, page_shift, reserved;
    char magic[2 * sizeof(h.magic) + 1];
    size_t got;
    unsigned i;
    int rc;

    if (s->err)
        return s->err;
    rc = read_bytes(s, &h, sizeof(h), false, &got);
    if (rc == -ENODATA && got == 0)
        return xm_stream_fail(s, -ENODATA,
                              "ended early: it is empty, no image header");
    if (rc == -ENODATA)
        return xm_stream_fail(s, -EBADMSG,
                              "truncated image header (%zu of %zu bytes)",
                              got, sizeof(h));
    if (rc)
        return io_fail(s, rc, "cannot read the image header");

    if (memcmp(h.magic, XM_IHDR_MAGIC, sizeof(h.magic)) != 0) {
        for (i = 0; i < sizeof(h.magic); i++)
            snprintf(magic + 2 * i, 3, "%02x", (uint8_t)h.magic[i]);
        return xm_stream_fail(s, -EBADMSG,
                              "not a xenmig stream (image header magic is %s, expected \"%s\")",
                              magic, XM_IHDR_MAGIC);
    }
    options = le32toh(h.options);
    if ((options & XM_IHDR_OPT_BIG_ENDIAN) ||
        (bswap_32(options) & XM_IHDR_OPT_BIG_ENDIAN))
        return xm_stream_fail(s, -EPROTONOSUPPORT,
                              "image header: big-endian stream, this build reads little-endian streams only");
    if (options)
        return xm_stream_fail(s, -EPROTONOSUPPORT,
                              "image header: unknown options 0x%x", options);
    version = le32toh(h.version);
    if (version != XM_IHDR_VERSION)
        return xm_stream_fail(s, -EPROTONOSUPPORT,
                              "image header: version %u is not supported (this build reads version %u)",
                              version, XM_IHDR_VERSION);
    page_shift = le32toh(h.page_shift);
    if (page_shift != 12)
        return xm_stream_fail(s, -EPROTONOSUPPORT,
                              "image header: page shift %u is not supported (only 12)",
                              page_shift);
    reserved = le32toh(h.reserved);
    if (reserved)
        return xm_stream_fail(s, -EBADMSG,
                              "image header: reserved field is 0x%x, not zero",
                              reserved);
    *features_r = le64toh(h.features);
    return 0;
}

int xm_stream_read_header(struct xm_stream *s, uint32_t *type_r,
                          uint32_t *length_r)
{
    struct xm_rhdr h;
    size_t got;
    int rc;

    if (s->err)
        return s->err;
    if (s->in_record)
        return rec_fail(s, -EINVAL,
                        "next header read before this record was finished");
    s->cur_offset = s->offset;
    rc = read_bytes(s, &h, sizeof(h), false, &got);
    if (rc == -ENODATA && got == 0)
        return xm_stream_fail(s, -ENODATA,
                              "ended early at offset 0x%" PRIx64 ", before an END record",
                              s->offset);
    if (rc == -ENODATA)
        return xm_stream_fail(s, -EBADMSG,
                              "truncated record header at offset 0x%" PRIx64 " (%zu of %zu bytes)",
                              s->cur_offset, got, sizeof(h));
    if (rc)
        return io_fail(s, rc, "cannot read a record header");

    s->cur.type = le32toh(h.type);
    s->cur.length = le32toh(h.length);
    s->cur.crc = le32toh(h.crc);
    s->cur.flags = le32toh(h.flags);
    if (s->cur.flags)
        return rec_fail(s, -EBADMSG, "flags are 0x%x, not zero", s->cur.flags);
    if (s->cur.length > XM_REC_MAX_LENGTH)
        return rec_fail(s, -EMSGSIZE,
                        "length %u is over the limit of %u",
                        s->cur.length, XM_REC_MAX_LENGTH);
    h.crc = 0;
    s->cur_crc = xm_crc32c(0, &h, sizeof(h));
    s->cur_done = 0;
    s->in_record = true;
    *type_r = s->cur.type;
    *length_r = s->cur.length;
    return 0;
}

/* Check that @len more body bytes may be read of the current record. */
static int body_check(struct xm_stream *s, size_t len)
{
    if (s->err)
        return s->err;
    if (!s->in_record)
        return xm_stream_fail(s, -EINVAL,
                              "body read at offset 0x%" PRIx64 " outside any record",
                              s->offset);
    if (len > s->cur.length - s->cur_done)
        return rec_fail(s, -EPROTO,
                        "body over-read: %zu bytes asked for, %u left of %u",
                        len, s->cur.length - s->cur_done, s->cur.length);
    return 0;
}

/* The error of a failed body read of the current record. */
static int body_fail(struct xm_stream *s, int rc)
{
    char where[64];

    if (rc == -ENODATA)
        return rec_fail(s, -EBADMSG,
                        "truncated in the body (%u of %u bytes)",
                        s->cur_done, s->cur.length);
    if (rc == -ENOMEM)
        return rec_fail(s, rc, "cannot allocate a read buffer");
    return io_fail(s, rc, rec_where(where, s->cur.type, s->cur_offset));
}

/* Body bytes through read_bytes (@buf NULL: skip them). */
static int body_read(struct xm_stream *s, void *buf, size_t len)
{
    size_t got;
    int rc;

    rc = read_bytes(s, buf, len, true, &got);
    s->cur_done += got;
    return rc ? body_fail(s, rc) : 0;
}

int xm_stream_read_body(struct xm_stream *s, void *buf, size_t len)
{
    int rc = body_check(s, len);

    return rc ? rc : body_read(s, buf, len);
}

int xm_stream_readv_body(struct xm_stream *s, const struct iovec *iov,
                         unsigned n)
{
    struct iovec batch[IOV_BATCH];
    struct cursor c = { .part = { iov }, .n = { n } };
    const struct iovec *v;
    size_t left = 0, want, avail;
    unsigned i, k;
    ssize_t r;
    int rc;

    for (i = 0; i < n; i++)
        left += iov[i].iov_len;
    rc = body_check(s, left);
    if (rc)
        return rc;

    while ((v = cursor_iov(&c))) {
        uint8_t *dst = (uint8_t *)v->iov_base + c.skip;

        want = v->iov_len - c.skip;
        avail = s->buf ? s->buf_len - s->buf_pos : 0;
        if (avail) {
            /* Drain what was read ahead. */
            if (want > avail)
                want = avail;
            take(s, dst, want, true);
            s->cur_done += want;
        } else if (left < DIRECT_MIN) {
            /* Small tail: one buffered read beats many small ones. */
            rc = body_read(s, dst, want);
            if (rc)
                return rc;
        } else {
            /* Straight into the caller's memory, no copy. */
            k = cursor_batch(&c, batch);
            if (s->timeout_ms && wait_fd(s->fd, POLLIN, s->timeout_ms))
                return body_fail(s, -ETIMEDOUT);
            r = readv(s->fd, batch, k);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (wait_fd(s->fd, POLLIN, s->timeout_ms))
                    return body_fail(s, -ETIMEDOUT);
                continue;
            }
            if (r <= 0)
                return body_fail(s, r ? -errno : -ENODATA);
            want = r;
            for (i = 0; r; i++) {
                size_t m = (size_t)r < batch[i].iov_len ? (size_t)r
                                                        : batch[i].iov_len;

                s->cur_crc = xm_crc32c(s->cur_crc, batch[i].iov_base, m);
                r -= m;
            }
            s->offset += want;
            s->cur_done += want;
        }
        cursor_advance(&c, want);
        left -= want;
    }
    return 0;
}

int xm_stream_end_record(struct xm_stream *s)
{
    uint8_t pad[8];
    uint32_t npad;
    size_t got;
    int rc;

    if (s->err)
        return s->err;
    if (!s->in_record)
        return xm_stream_fail(s, -EINVAL,
                              "end of record at offset 0x%" PRIx64 " outside any record",
                              s->offset);
    if (s->cur_done != s->cur.length)
        return rec_fail(s, -EPROTO,
                        "body under-read: %u of %u bytes consumed",
                        s->cur_done, s->cur.length);
    npad = -s->cur.length & 7;
    rc = read_bytes(s, pad, npad, false, &got);
    if (rc == -ENODATA)
        return rec_fail(s, -EBADMSG,
                        "truncated in the padding (%zu of %u bytes)",
                        got, npad);
    if (rc)
        return body_fail(s, rc);
    if (s->cur_crc != s->cur.crc)
        return rec_fail(s, -EBADMSG,
                        "CRC mismatch (got 0x%08x, header says 0x%08x)",
                        s->cur_crc, s->cur.crc);
    if (memcmp(pad, zeros, npad) != 0)
        return rec_fail(s, -EBADMSG, "padding is not zero");
    s->in_record = false;
    return 0;
}

int xm_stream_skip_record(struct xm_stream *s)
{
    int rc = body_check(s, 0);

    if (!rc)
        rc = body_read(s, NULL, s->cur.length - s->cur_done);
    return rc ? rc : xm_stream_end_record(s);
}

int xm_stream_read_record(struct xm_stream *s, uint32_t *type_r,
                          void **body_r, uint32_t *length_r)
{
    uint32_t type, len;
    size_t size;
    void *p;
    int rc;

    rc = xm_stream_read_header(s, &type, &len);
    if (rc)
        return rc;
    if (!s->rec || s->rec_size < len) {
        size = len < 4096 ? 4096 : len;
        p = realloc(s->rec, size);
        if (!p)
            return rec_fail(s, -ENOMEM,
                            "cannot allocate %zu bytes for the body", size);
        s->rec = p;
        s->rec_size = size;
    }
    rc = body_read(s, s->rec, len);
    if (!rc)
        rc = xm_stream_end_record(s);
    if (rc)
        return rc;
    *type_r = type;
    *body_r = s->rec;
    *length_r = len;
    return 0;
}

bool xm_stream_readable(struct xm_stream *s)
{
    struct pollfd p = { .fd = s->fd, .events = POLLIN };

    if (s->err || (s->buf && s->buf_pos < s->buf_len))
        return true;
    return poll(&p, 1, 0) > 0;
}

const char *xm_rec_type_name(uint32_t type, char buf[16])
{
    switch (type) {
    case XM_REC_END: return "END";
    case XM_REC_FEATURES: return "FEATURES";
    case XM_REC_DOMAIN_HEADER: return "DOMAIN_HEADER";
    case XM_REC_DOMAIN_CONFIG: return "DOMAIN_CONFIG";
    case XM_REC_PAGES: return "PAGES";
    case XM_REC_VCPU_STATE: return "VCPU_STATE";
    case XM_REC_PLATFORM_STATE: return "PLATFORM_STATE";
    case XM_REC_VERIFY: return "VERIFY";
    case XM_REC_CHECKPOINT: return "CHECKPOINT";
    case XM_REC_GO: return "GO";
    case XM_REC_ITERATION: return "ITERATION";
    case XM_REC_SCHED: return "SCHED";
    case XM_MSG_READY: return "READY";
    case XM_MSG_COMPLETE: return "COMPLETE";
    case XM_MSG_DONE: return "DONE";
    case XM_MSG_PAGE_ACK: return "PAGE_ACK";
    case XM_MSG_ERROR: return "ERROR";
    }
    snprintf(buf, 16, "0x%08x", type);
    return buf;
}
