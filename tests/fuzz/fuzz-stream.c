/*
 * fuzz-stream.c - libFuzzer harness for the record reader (stream.c).
 *
 * The input is a stream: image header, then records. It is read twice
 * from a memfd: as given (so the CRC and padding checks are exercised)
 * and with its CRCs fixed up (fuzz-common.h) so mutations get past them.
 * Each record is read a different way, chosen by its index and length:
 * read_record, or read_header and then the body whole, in small pieces,
 * scattered (readv_body, with a final one-byte over-read attempt), or
 * half of it and skip_record. Stops at the first error (it is sticky)
 * or after 256 records. Nothing is checked here but the sanitizers and
 * the reader's own contract: an error has a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "stream.h"

#define STREAM_MAX_RECORDS 256

static uint8_t stream_body[XM_REC_MAX_LENGTH + 8]; /* + readv gaps */

static void stream_read_one(const uint8_t *data, size_t size)
{
    struct xm_stream s;
    uint64_t features;
    unsigned i;
    int fd = fuzz_memfd(data, size);

    if (fd < 0)
        abort();
    xm_stream_init(&s, fd, "fuzz stream");
    if (xm_stream_read_ihdr(&s, &features))
        goto out;
    for (i = 0; i < STREAM_MAX_RECORDS; i++) {
        uint32_t type, len, done;
        void *body;
        int rc;

        (void)xm_stream_readable(&s);
        if (i % 5 == 4) {
            if (xm_stream_read_record(&s, &type, &body, &len))
                break;
            continue;
        }
        if (xm_stream_read_header(&s, &type, &len))
            break;
        switch ((i + len) % 4) {
        case 0: /* whole */
            rc = xm_stream_read_body(&s, stream_body, len);
            if (!rc)
                rc = xm_stream_end_record(&s);
            break;
        case 1: /* in pieces of 1, 7, 4096, ... */
            rc = 0;
            for (done = 0; done < len && !rc;) {
                uint32_t piece = done % 3 == 0 ? 1 : done % 3 == 1 ? 7 : 4096;

                if (piece > len - done)
                    piece = len - done;
                rc = xm_stream_read_body(&s, stream_body + done, piece);
                done += piece;
            }
            if (!rc)
                rc = xm_stream_end_record(&s);
            break;
        case 2: { /* scattered, then one byte too many */
            struct iovec iov[3];
            uint32_t a = len / 3, b = len / 2 - len / 3;

            iov[0] = (struct iovec){ stream_body, a };
            iov[1] = (struct iovec){ stream_body + a + 1, b };
            iov[2] = (struct iovec){ stream_body + a + b + 3,
                                     len - a - b };
            rc = xm_stream_readv_body(&s, iov, 3);
            if (!rc && (len & 1))
                rc = xm_stream_read_body(&s, stream_body, 1);
            if (!rc)
                rc = xm_stream_end_record(&s);
            break;
        }
        default: /* half, then skip */
            rc = xm_stream_read_body(&s, stream_body, len / 2);
            if (!rc)
                rc = xm_stream_skip_record(&s);
            break;
        }
        if (rc)
            break;
    }
    /* A failed reader must say why. */
    if (xm_stream_error(&s) && !xm_stream_error_msg(&s)[0])
        abort();
out:
    xm_stream_dispose(&s);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *fixed;

    stream_read_one(data, size);
    fixed = fuzz_fixed_copy(data, size);
    stream_read_one(fixed, size);
    free(fixed);
    return 0;
}
