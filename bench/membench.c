/*
 * membench.c - the memory ceilings a migration sender cannot beat.
 *
 * Prints one "key value unit" line per measurement, best of -r runs over
 * -m MiB buffers (default 5 runs, 512 MiB):
 *   memcpy_bytes_per_s             memcpy between two buffers
 *   zero_check_bytes_per_s         xm_page_is_zero() over a zeroed buffer
 *   zero_check_generic_bytes_per_s the same, xm__page_is_zero_generic()
 *   memcmp_4k_bytes_per_s          memcmp of identical 4 KiB page pairs,
 *                                  bytes of one buffer per second
 *   memcmp_4k_hot_bytes_per_s      the same on one cache-hot pair
 *   fresh_shmem_write_bytes_per_s  a new memfd's pages fallocated, faulted
 *                                  in and written through a mapping
 *   fresh_shmem_pwrite_bytes_per_s the same pages written whole with
 *                                  pwrite() in 4 MiB calls instead
 * Buffers are written before use so every page is really mapped (a
 * never-written page reads the shared zero page and looks too fast).
 */
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "codec-zero.h"
#include "private.h"

#define PAGE 4096u

static volatile uint64_t sink;   /* keeps results alive */

static void *map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        perror("membench: mmap");
        exit(1);
    }
    return p;
}

static void report(const char *key, size_t bytes, uint64_t ns)
{
    printf("%s %llu B/s\n", key,
           (unsigned long long)((double)bytes * 1e9 / (double)ns));
    fflush(stdout);
}

static uint64_t time_zero(bool (*fn)(const void *), const uint8_t *buf,
                          size_t len)
{
    uint64_t t0 = xm__now_ns(), n = 0;
    size_t off;

    for (off = 0; off < len; off += PAGE)
        n += fn(buf + off);
    sink += n;
    if (n != len / PAGE) {
        fprintf(stderr, "membench: zero buffer not seen as zero\n");
        exit(1);
    }
    return xm__now_ns() - t0;
}

static uint64_t time_memcmp(const uint8_t *a, const uint8_t *b, size_t len,
                            size_t stride)
{
    uint64_t t0 = xm__now_ns(), n = 0;
    size_t off;

    for (off = 0; off < len; off += PAGE)
        n += memcmp(a + off % stride, b + off % stride, PAGE) != 0;
    sink += n;
    return xm__now_ns() - t0;
}

int main(int argc, char **argv)
{
    size_t len = 512u << 20;
    unsigned runs = 5, i;
    uint64_t best, t;
    uint8_t *a, *b;
    int opt;

    while ((opt = getopt(argc, argv, "m:r:")) != -1) {
        switch (opt) {
        case 'm':
            len = strtoul(optarg, NULL, 0) << 20;
            break;
        case 'r':
            runs = strtoul(optarg, NULL, 0);
            break;
        default:
            fprintf(stderr, "usage: membench [-m MIB] [-r RUNS]\n");
            return 2;
        }
    }
    if (len < PAGE || runs < 1) {
        fprintf(stderr, "membench: need -m >= 1 and -r >= 1\n");
        return 2;
    }

    a = map(len);
    b = map(len);
    memset(a, 0x5a, len);
    memset(b, 0, len);

    for (best = UINT64_MAX, i = 0; i < runs; i++) {
        t = xm__now_ns();
        memcpy(b, a, len);
        sink += b[len - 1];
        t = xm__now_ns() - t;
        best = t < best ? t : best;
    }
    report("memcpy_bytes_per_s", len, best);

    for (best = UINT64_MAX, i = 0; i < runs; i++) {
        t = time_memcmp(a, b, len, len);
        best = t < best ? t : best;
    }
    report("memcmp_4k_bytes_per_s", len, best);
    for (best = UINT64_MAX, i = 0; i < runs; i++) {
        t = time_memcmp(a, b, len, PAGE);
        best = t < best ? t : best;
    }
    report("memcmp_4k_hot_bytes_per_s", len, best);

    memset(a, 0, len);
    for (best = UINT64_MAX, i = 0; i < runs; i++) {
        t = time_zero(xm_page_is_zero, a, len);
        best = t < best ? t : best;
    }
    report("zero_check_bytes_per_s", len, best);
    for (best = UINT64_MAX, i = 0; i < runs; i++) {
        t = time_zero(xm__page_is_zero_generic, a, len);
        best = t < best ? t : best;
    }
    report("zero_check_generic_bytes_per_s", len, best);

    /*
     * What a receiver pays to give a new guest its RAM: fresh shared
     * memory, allocated and written once (as the sim host's fallocate and
     * the receiver's populate-and-copy do). On a VM whose memory the host
     * backs lazily, this, not memcpy, bounds a migration's first pass.
     */
    for (best = UINT64_MAX, i = 0; i < runs; i++) {
        int fd = memfd_create("membench", MFD_CLOEXEC);
        uint8_t *m;

        t = xm__now_ns();
        if (fd < 0 || fallocate(fd, 0, 0, (off_t)len) < 0) {
            perror("membench: memfd");
            return 1;
        }
        m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            perror("membench: mmap");
            return 1;
        }
        madvise(m, len, MADV_POPULATE_WRITE);
        memcpy(m, b, len);
        sink += m[len - 1];
        t = xm__now_ns() - t;
        best = t < best ? t : best;
        munmap(m, len);
        close(fd);
    }
    report("fresh_shmem_write_bytes_per_s", len, best);

    /*
     * The same fresh memory written with pwrite() of whole pages: shmem
     * clears a new page on a fault but not under a write that fills it
     * (bench/README.md, "The receiver and fresh guest memory", for why
     * the receiver does not do this).
     */
    for (best = UINT64_MAX, i = 0; i < runs; i++) {
        int fd = memfd_create("membench", MFD_CLOEXEC);
        size_t off, chunk = 4u << 20;

        t = xm__now_ns();
        if (fd < 0 || fallocate(fd, 0, 0, (off_t)len) < 0) {
            perror("membench: memfd");
            return 1;
        }
        for (off = 0; off < len; off += chunk) {
            size_t k = len - off < chunk ? len - off : chunk;

            if (pwrite(fd, b + off, k, (off_t)off) != (ssize_t)k) {
                perror("membench: pwrite");
                return 1;
            }
        }
        t = xm__now_ns() - t;
        best = t < best ? t : best;
        close(fd);
    }
    report("fresh_shmem_pwrite_bytes_per_s", len, best);

    munmap(a, len);
    munmap(b, len);
    return 0;
}
