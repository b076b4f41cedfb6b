/*
 * fuzz-common.h - what the libFuzzer harnesses share: the input as a
 * file descriptor, and the CRC fix-up that lets mutations reach the
 * record parsers.
 *
 * Every record carries a CRC32C, so almost every mutation of a stream
 * fails the CRC check in xm_stream_end_record() and never reaches the
 * code behind it. fuzz_fix_crcs() walks the records of a stream in the
 * fuzzer's copy of the input (image header, then header, body, padding
 * per record, as xenmig-stream(7) lays them out) and rewrites each CRC
 * so it matches; it stops at a length that is over the limit or runs
 * past the input. The library is unchanged: a fixed-up input is a
 * stream any build would read the same way, so a crash it finds replays
 * in the normal build (tests/check-fuzz-regress.c does just that).
 *
 * Included by each harness and by check-fuzz-regress.c; all static.
 */
#ifndef XM_FUZZ_COMMON_H
#define XM_FUZZ_COMMON_H

#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "codec.h"
#include "crc32c.h"
#include "stream-format.h"

/* A memfd holding @data, positioned at 0; -1 if that fails. */
static inline int fuzz_memfd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
    size_t done = 0;
    ssize_t r;

    if (fd < 0)
        return -1;
    while (done < size) {
        r = write(fd, data + done, size - done);
        if (r <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)r;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Make every whole record's CRC in @buf (a stream, @size bytes) right. */
static inline void fuzz_fix_crcs(uint8_t *buf, size_t size)
{
    size_t off = sizeof(struct xm_ihdr);

    while (off + sizeof(struct xm_rhdr) <= size) {
        struct xm_rhdr h;
        uint32_t len, crc;
        size_t padded;

        memcpy(&h, buf + off, sizeof(h));
        len = le32toh(h.length);
        if (len > XM_REC_MAX_LENGTH ||
            len > size - off - sizeof(h))
            return;
        h.crc = 0;
        crc = xm_crc32c(0, &h, sizeof(h));
        crc = xm_crc32c(crc, buf + off + sizeof(h), len);
        h.crc = htole32(crc);
        memcpy(buf + off, &h, sizeof(h));
        padded = sizeof(h) + len + (-len & 7);
        if (padded > size - off)
            return;
        off += padded;
    }
}

/* A copy of @data with its CRCs fixed up (the caller frees it). */
static inline uint8_t *fuzz_fixed_copy(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);

    if (!copy)
        abort();
    memcpy(copy, data, size);
    fuzz_fix_crcs(copy, size);
    return copy;
}

/*
 * The block-decoder harness (fuzz-lz4.c, fuzz-zstd.c): the first input
 * byte is N, the rest a block that must decompress into exactly N pages
 * (4096 x N bytes, in an allocation of exactly that size so the
 * sanitizers see any write past it); the block is copied into an
 * allocation of its exact size for the same reason. The decoder state
 * *@state is made once and reused, as the receiver does. When it decodes,
 * the pages must survive a round trip through the compressor.
 */
static inline int fuzz_block(const struct xm_block_codec_ops *o, void **state,
                             const uint8_t *data, size_t size)
{
    size_t pages, out_len, clen;
    uint8_t *in, *out, *comp, *back;
    long r;

    if (size < 1)
        return 0;
    if (!*state && o->new_state(0, &*state))
        abort();
    pages = data[0];
    out_len = pages * XM_CODEC_PAGE;
    clen = size - 1;
    in = malloc(clen ? clen : 1);
    out = malloc(out_len ? out_len : 1);
    if (!in || !out)
        abort();
    memcpy(in, data + 1, clen);
    if (o->decompress(*state, in, clen, out, out_len) == 0 && out_len) {
        comp = malloc(o->bound(out_len));
        back = malloc(out_len);
        if (!comp || !back)
            abort();
        r = o->compress(*state, out, out_len, comp, o->bound(out_len));
        if (r <= 0 ||
            o->decompress(*state, comp, (size_t)r, back, out_len) != 0 ||
            memcmp(back, out, out_len) != 0)
            abort(); /* what decoded does not survive a round trip */
        free(comp);
        free(back);
    }
    free(in);
    free(out);
    return 0;
}

#endif /* XM_FUZZ_COMMON_H */
