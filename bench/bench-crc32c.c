/*
 * bench-crc32c.c - CRC32C throughput, hardware and software, on 4 MiB
 * buffers (a PAGES record's worth of page data) and on 4 KiB pages.
 *
 * Usage: bench/bench-crc32c [seconds per case, default 1]
 * Prints one line per case: name, buffer size, GB/s (10^9 bytes/s).
 */
#include <stdio.h>
#include <stdlib.h>

#include "crc32c.h"
#include "private.h"

static void run(const char *name,
                uint32_t (*fn)(uint32_t, const void *, size_t),
                const uint8_t *buf, size_t size, double seconds)
{
    uint64_t start = xm__now_ns(), bytes = 0, ns;
    uint32_t crc = 0;

    do {
        size_t off;

        for (off = 0; off < (4u << 20); off += size)
            crc = fn(crc, buf + off, size);
        bytes += 4u << 20;
        ns = xm__now_ns() - start;
    } while (ns < seconds * 1e9);
    printf("%-4s %8zu bytes  %6.2f GB/s  (crc %08x)\n", name, size,
           (double)bytes / (double)ns, crc);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    uint8_t *buf = malloc(4u << 20);
    size_t i;

    if (!buf)
        return 1;
    for (i = 0; i < (4u << 20); i++)
        buf[i] = (uint8_t)(i * 2654435761u >> 13);
    run("hw", xm_crc32c, buf, 4u << 20, seconds);
    run("sw", xm__crc32c_sw, buf, 4u << 20, seconds);
    run("hw", xm_crc32c, buf, 4096, seconds);
    run("sw", xm__crc32c_sw, buf, 4096, seconds);
    free(buf);
    return 0;
}
