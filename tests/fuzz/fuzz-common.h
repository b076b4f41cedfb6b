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

#include "crc32c.h"
#include "stream-format.h"

/* A memfd holding @data, positioned at 0; -1 if that fails. */
static int fuzz_memfd(const uint8_t *data, size_t size)
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
static void fuzz_fix_crcs(uint8_t *buf, size_t size)
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
static uint8_t *fuzz_fixed_copy(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);

    if (!copy)
        abort();
    memcpy(copy, data, size);
    fuzz_fix_crcs(copy, size);
    return copy;
}

#endif /* XM_FUZZ_COMMON_H */
