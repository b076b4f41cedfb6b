/*
 * dirty.c - the guest workload of the QEMU comparison: the same memory
 * behaviour as the sim's "uniform:RATE:WSET" workload, inside a real
 * Linux guest.
 *
 * Usage: dirty RATE_MIB WSET_MIB     (RATE 0: idle after setup)
 *
 * In order:
 *   1. write a few files of log-like text into /tmp (tmpfs, so they stay
 *      in the guest's page cache), as a real workload leaves behind;
 *   2. allocate WSET_MIB of heap and write every page of it (records with
 *      counters: non-zero, partly compressible);
 *   3. print "XENMIG-DIRTY-READY" (migrate.py waits for it);
 *   4. every 10 ms, rewrite whole random 4 KiB pages of the working set
 *      with content no earlier write had, as many as RATE MiB/s owes for
 *      the time so far (at most 1024 per step: a guest that cannot keep
 *      up just runs slower, as the sim's vCPUs do), and every 2 s print
 *      "dirty: X MiB/s" with the rate actually reached.
 *
 * Built static (gcc -static -O2) by make-guest.sh; no libc beyond that.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096u
#define PAGES_PER_MIB 256u
#define STEP_NS 10000000ull /* one rate step */
#define REPORT_NS 2000000000ull
#define MAX_BATCH 1024u
#define TEXT_FILES 4
#define TEXT_FILE_BYTES (4u << 20)

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Log-like text files in /tmp: what a service leaves in the page cache. */
static void write_text_files(void)
{
    static const char *const words[] = {
        "request", "served", "client", "session", "cache", "miss", "hit",
        "backend", "latency", "ms", "user", "GET", "POST", "/api/v1/items",
        "status", "200", "404", "retry", "queue", "worker", "commit",
    };
    const unsigned nwords = sizeof(words) / sizeof(words[0]);
    uint64_t rng = 0x1234567ull;
    char path[64];
    int f;

    for (f = 0; f < TEXT_FILES; f++) {
        FILE *fp;
        size_t n = 0;
        unsigned line = 0;

        snprintf(path, sizeof(path), "/tmp/service-%d.log", f);
        fp = fopen(path, "w");
        if (!fp) {
            fprintf(stderr, "dirty: cannot create \"%s\": %s\n", path,
                    strerror(errno));
            return;
        }
        while (n < TEXT_FILE_BYTES) {
            int w, k = 3 + (int)(xorshift64(&rng) % 8), r;

            r = fprintf(fp, "2026-11-22T03:%02u:%02u.%03u worker-%u",
                        line / 3600 % 60, line / 60 % 60, line % 1000,
                        (unsigned)(xorshift64(&rng) % 16));
            n += (size_t)(r > 0 ? r : 0);
            for (w = 0; w < k; w++) {
                r = fprintf(fp, " %s=%u", words[xorshift64(&rng) % nwords],
                            (unsigned)(xorshift64(&rng) % 100000));
                n += (size_t)(r > 0 ? r : 0);
            }
            fputc('\n', fp);
            n++;
            line++;
        }
        fclose(fp);
    }
}

/* First touch: records with a counter and a checksum, not zeros. */
static void fill_wset(unsigned char *mem, size_t pages)
{
    size_t p, i;

    for (p = 0; p < pages; p++) {
        uint64_t *w = (uint64_t *)(mem + p * PAGE);

        for (i = 0; i < PAGE / 8; i += 4) {
            w[i] = p;
            w[i + 1] = i;
            w[i + 2] = 0x00000000deadbeefull;
            w[i + 3] = (p * 31 + i) & 0xffff;
        }
    }
}

/* Rewrite a whole page with content no earlier write had. */
static void write_page(unsigned char *page, uint64_t counter)
{
    uint64_t *w = (uint64_t *)page;
    uint64_t x = splitmix64(counter);
    unsigned i;

    for (i = 0; i < PAGE / 8; i++)
        w[i] = (x + i * 0xff51afd7ed558ccdull) | 1;
}

int main(int argc, char **argv)
{
    unsigned long rate_mib, wset_mib;
    unsigned char *mem;
    size_t pages;
    uint64_t start, last_report, written = 0, reported = 0, counter = 0;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    char *end;

    if (argc != 3) {
        fprintf(stderr, "usage: dirty RATE_MIB WSET_MIB\n");
        return 2;
    }
    rate_mib = strtoul(argv[1], &end, 10);
    if (*end) {
        fprintf(stderr, "dirty: rate \"%s\" is not a number\n", argv[1]);
        return 2;
    }
    wset_mib = strtoul(argv[2], &end, 10);
    if (*end || !wset_mib) {
        fprintf(stderr, "dirty: working set \"%s\" is not a positive number\n",
                argv[2]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    write_text_files();
    pages = (size_t)wset_mib * PAGES_PER_MIB;
    mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        fprintf(stderr, "dirty: cannot allocate %lu MiB: %s\n", wset_mib,
                strerror(errno));
        return 1;
    }
    fill_wset(mem, pages);
    printf("XENMIG-DIRTY-READY rate=%lu wset=%lu\n", rate_mib, wset_mib);

    start = last_report = now_ns();
    for (;;) {
        struct timespec step = { 0, STEP_NS };
        uint64_t t = now_ns(), target, owed;

        if (rate_mib) {
            target = (uint64_t)((unsigned __int128)(t - start) * rate_mib *
                                PAGES_PER_MIB / 1000000000ull);
            owed = target > written ? target - written : 0;
            if (owed > MAX_BATCH) {
                written = target - MAX_BATCH;
                owed = MAX_BATCH;
            }
            while (owed--) {
                write_page(mem + (xorshift64(&rng) % pages) * PAGE,
                           ++counter);
                written++;
                reported++;
            }
        }
        if (t - last_report >= REPORT_NS) {
            printf("dirty: %.1f MiB/s\n", (double)reported / PAGES_PER_MIB *
                   1e9 / (double)(t - last_report));
            reported = 0;
            last_report = t;
        }
        nanosleep(&step, NULL);
    }
}
