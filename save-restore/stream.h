/*
 * stream.h - records in and out of a file descriptor, with a sticky error.
 *
 * A struct xm_stream wraps one fd in one direction. Writers frame records
 * (header, body, padding; CRC32C computed over header and body) and hand
 * them to the kernel with writev, so page data goes from guest memory to
 * the socket without a copy. Readers buffer small reads, check every
 * record's length and CRC, and can read a body in parts straight into
 * guest memory.
 *
 * The first error sticks (cf. QEMU's QEMUFile): once set, every call
 * returns it without touching the fd, and it carries the message that
 * names what failed and where (record type and stream offset), so callers
 * check once per batch and report xm_stream_error_msg().
 *
 * Reading a record:
 *   xm_stream_read_header()      -> type, length (validated)
 *   xm_stream_read_body() / _readv_body() as many times as needed
 *   xm_stream_end_record()       -> padding consumed, CRC checked
 * or all at once: xm_stream_read_record() into a buffer the stream owns.
 */
#ifndef XM_STREAM_H
#define XM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "stream-format.h"

/* Unused sending time a capped writer may catch up on (100 ms). */
#define XM_STREAM_PACE_CREDIT_NS 100000000ull

struct xm_stream {
    int fd;                 /* not owned: the caller closes it */
    const char *name;       /* "migration stream", "back channel", a path */
    int err;                /* first error, negative errno, 0 if none */
    char errmsg[256];       /* what that error was, with offset and type */
    uint64_t offset;        /* bytes consumed or produced so far */
    uint64_t bytes_limit;   /* writer: 0, or a bytes/s cap (write_record) */
    uint64_t pace_t0;       /* writer with a cap: when its account began */
    uint64_t pace_bytes;    /* ... and the bytes written since */
    int timeout_ms;         /* 0, or fail with -ETIMEDOUT when the fd is
                               not ready for this long (a socket or pipe
                               is then written without blocking, so a
                               peer that stops taking data is noticed
                               too) */
    bool not_socket;        /* writer: the fd refused sendmsg() */
    bool nb_tried;          /* writer: nb_fd was tried for a pipe */
    int nb_fd;              /* the same pipe opened again non-blocking
                               (owned), or -1 */
    bool corrupt_next;      /* fault injection: flip the next record's CRC */
    /* reader state */
    uint8_t *buf;           /* read-ahead buffer */
    size_t buf_size;        /* its capacity */
    size_t buf_pos, buf_len;/* unread bytes are buf[pos .. len) */
    uint8_t *rec;           /* xm_stream_read_record()'s body buffer */
    size_t rec_size;        /* its capacity */
    struct xm_rhdr cur;     /* header of the record being read */
    uint64_t cur_offset;    /* stream offset of that header */
    uint32_t cur_done;      /* body bytes read of it */
    uint32_t cur_crc;       /* running CRC32C of it */
    bool in_record;         /* between read_header and end_record */
};

/* Wrap @fd; @name appears in error messages. Never fails (the read
 * buffer is allocated on first read; allocation failure is sticky). */
void xm_stream_init(struct xm_stream *s, int fd, const char *name);
/* Free buffers; idempotent; does not close the fd (only its own
 * non-blocking reopening of a pipe, see timeout_ms). */
void xm_stream_dispose(struct xm_stream *s);

/* Set the sticky error if none is set yet; returns the stream's error.
 * The message kept is "<name>: " followed by @fmt formatted. */
int xm_stream_fail(struct xm_stream *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int xm_stream_error(const struct xm_stream *s) { return s->err; }
static inline const char *xm_stream_error_msg(const struct xm_stream *s)
{
    return s->errmsg;
}

/* ---- writing ---------------------------------------------------------- */

/* Write the 32-byte image header offering @features. */
int xm_stream_write_ihdr(struct xm_stream *s, uint64_t features);
/*
 * Write one record of @type whose body is the concatenation of @iov[0..n).
 * Any number of iovecs (split over several writev calls as needed);
 * short writes and EINTR are retried; EPIPE/ECONNRESET become a message
 * that the peer went away. With bytes_limit set, it then sleeps until
 * the bytes written so far have taken at least their size / bytes_limit
 * seconds (a token bucket): time the caller spent between records, e.g.
 * compressing the next one, counts, up to XM_STREAM_PACE_CREDIT_NS of
 * it, so compression overlaps the capped link instead of adding to it,
 * and no burst is longer than that credit (QEMU's rate limit works in
 * 100 ms windows the same way).
 */
int xm_stream_write_record(struct xm_stream *s, uint32_t type,
                           const struct iovec *iov, unsigned n);
/* Convenience: a body in one buffer (NULL/0 for none). */
int xm_stream_write_simple(struct xm_stream *s, uint32_t type,
                           const void *body, uint32_t len);
/*
 * Write @iov[0..n) verbatim: no record header, no CRC, no padding. For a
 * stream in someone else's format (the compat sender writes Xen's), with
 * the same sticky error, offset, timeout and bytes_limit pacing as
 * records. @what names the bytes in the error ("PAGE_DATA record").
 */
int xm_stream_write_raw(struct xm_stream *s, const struct iovec *iov,
                        unsigned n, const char *what);

/* ---- reading ---------------------------------------------------------- */

/*
 * Read and check the image header: magic, version, endianness, page
 * shift. *@features_r: what it offers.
 */
int xm_stream_read_ihdr(struct xm_stream *s, uint64_t *features_r);
/*
 * Read the next record header. A length over XM_REC_MAX_LENGTH is an
 * error. A clean EOF before any byte of the header returns -ENODATA with
 * a message saying the stream ended early; EOF inside anything is
 * "truncated".
 */
int xm_stream_read_header(struct xm_stream *s, uint32_t *type_r,
                          uint32_t *length_r);
/* Read the next @len bytes of the current body into @buf. */
int xm_stream_read_body(struct xm_stream *s, void *buf, size_t len);
/* Same, scattered (page data straight into guest memory). */
int xm_stream_readv_body(struct xm_stream *s, const struct iovec *iov,
                         unsigned n);
/* Finish the current record: all body bytes consumed (else -EPROTO),
 * padding read, CRC compared (mismatch: -EBADMSG naming type, offset). */
int xm_stream_end_record(struct xm_stream *s);
/* Skip the rest of the current body and finish the record. */
int xm_stream_skip_record(struct xm_stream *s);
/*
 * Read a whole record into a buffer owned by the stream (valid until the
 * next read). For records without page data.
 */
int xm_stream_read_record(struct xm_stream *s, uint32_t *type_r,
                          void **body_r, uint32_t *length_r);
/* True if a read would not block (data buffered or fd readable). */
bool xm_stream_readable(struct xm_stream *s);

/* Printable name of a record or message type ("PAGES", "0x1234"). */
const char *xm_rec_type_name(uint32_t type, char buf[16]);

#endif /* XM_STREAM_H */
