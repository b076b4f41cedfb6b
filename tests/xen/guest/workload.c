/*
 * workload.c: the memory workload that runs in the test rig's PV domUs
 * (tests/xen/), as the guest's /init's last step. Built static.
 *
 *   workload [RW_MIB [FIXED_MIB [PAUSE_MS]]]   (defaults 48, 16 and 0)
 *
 * It fills FIXED_MIB of memory once with a known pattern (word i is a
 * hash of i) and never writes it again, then rewrites an RW_MIB buffer
 * pass after pass, counting the passes. After each pass it prints
 *
 *   xmw n=<passes> mono=<CLOCK_MONOTONIC, s.us> real=<CLOCK_REALTIME, s.us>
 *
 * on stdout (the guest console), so the longest gap between two lines is
 * the pause the guest saw. With PAUSE_MS it sleeps that long after each
 * pass: a small RW_MIB and a pause make a nearly idle guest whose
 * timestamp loop still shows a pause to within PAUSE_MS. About once a second it recomputes the fixed
 * region's checksum and writes, through its own xenstore area (relative
 * paths, so /local/domain/<its domid>/, which libxl makes writable for the
 * guest; the domid changes on migration, the relative path does not):
 *
 *   data/counter    passes so far (grows while the guest runs)
 *   data/checksum   checksum of the fixed region, recomputed now
 *   data/fill       checksum computed right after filling it
 *
 * so dom0 sees the guest run and sees its memory intact. It talks the
 * xenstore wire protocol (struct xsd_sockmsg, then the payload) on
 * /dev/xen/xenbus, the kernel's pass-through to its xenstore connection;
 * each request is written whole and its reply read whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#define XENBUS_DEV "/dev/xen/xenbus"

static int xs_fd = -1;
static uint32_t xs_req_id;

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t checksum(const uint64_t *w, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < n; i++)
        h = (h ^ w[i]) * 0x100000001b3ULL;
    return h;
}

static double now(clockid_t clk)
{
    struct timespec ts;

    clock_gettime(clk, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int full_io(int fd, void *buf, size_t len, int writing)
{
    char *p = buf;

    while (len > 0) {
        ssize_t r = writing ? write(fd, p, len) : read(fd, p, len);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EIO;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

/* One XS_WRITE of PATH (relative to the guest's home) = VALUE. */
static int xs_write(const char *path, const char *value)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg msg;
    size_t plen = strlen(path) + 1, vlen = strlen(value);
    int rc;

    if (xs_fd < 0) {
        xs_fd = open(XENBUS_DEV, O_RDWR);
        if (xs_fd < 0)
            return -errno;
    }
    if (plen + vlen > sizeof(buf))
        return -E2BIG;
    memcpy(buf, path, plen);
    memcpy(buf + plen, value, vlen);
    msg.type = XS_WRITE;
    msg.req_id = ++xs_req_id;
    msg.tx_id = 0;
    msg.len = (uint32_t)(plen + vlen);
    /* the device takes a message in one write(), header and payload */
    char out[sizeof(msg) + sizeof(buf)];
    memcpy(out, &msg, sizeof(msg));
    memcpy(out + sizeof(msg), buf, msg.len);
    rc = full_io(xs_fd, out, sizeof(msg) + msg.len, 1);
    if (rc == 0)
        rc = full_io(xs_fd, &msg, sizeof(msg), 0);
    if (rc == 0 && msg.len > sizeof(buf))
        rc = -EPROTO;
    if (rc == 0)
        rc = full_io(xs_fd, buf, msg.len, 0);
    if (rc == 0 && msg.type == XS_ERROR)
        rc = -EACCES;
    if (rc < 0 && rc != -EACCES) {
        close(xs_fd);
        xs_fd = -1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    size_t rw_mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 48;
    size_t fixed_mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 16;
    unsigned long pause_ms = argc > 3 ? strtoul(argv[3], NULL, 0) : 0;
    struct timespec pause = { .tv_sec = (time_t)(pause_ms / 1000),
                              .tv_nsec = (long)(pause_ms % 1000) * 1000000 };
    size_t rw_len = rw_mib << 20, fixed_words = (fixed_mib << 20) / 8;
    uint64_t *fixed, fill_sum, n = 0;
    unsigned char *rw;
    double last_report = 0;
    int last_err = 0;
    char val[64], fill_hex[32];

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (rw_len == 0 || fixed_words == 0) {
        fprintf(stderr, "usage: workload [RW_MIB [FIXED_MIB [PAUSE_MS]]] (sizes > 0)\n");
        return 2;
    }
    fixed = mmap(NULL, fixed_words * 8, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    rw = mmap(NULL, rw_len, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (fixed == MAP_FAILED || rw == MAP_FAILED) {
        perror("workload: mmap");
        return 1;
    }
    for (size_t i = 0; i < fixed_words; i++)
        fixed[i] = mix64(i);
    fill_sum = checksum(fixed, fixed_words);
    snprintf(fill_hex, sizeof(fill_hex), "%016" PRIx64, fill_sum);
    printf("xmw start rw=%zuMiB fixed=%zuMiB fill=%s\n", rw_mib, fixed_mib,
           fill_hex);

    for (;;) {
        memset(rw, (int)(n & 0xff) ^ 0x5a, rw_len);
        n++;
        double mono = now(CLOCK_MONOTONIC);
        printf("xmw n=%" PRIu64 " mono=%.6f real=%.6f\n", n, mono,
               now(CLOCK_REALTIME));
        if (pause_ms)
            nanosleep(&pause, NULL);
        if (mono - last_report < 1.0)
            continue;
        last_report = mono;
        int rc;
        snprintf(val, sizeof(val), "%016" PRIx64,
                 checksum(fixed, fixed_words));
        rc = xs_write("data/checksum", val);
        if (rc == 0)
            rc = xs_write("data/fill", fill_hex);
        snprintf(val, sizeof(val), "%" PRIu64, n);
        if (rc == 0)
            rc = xs_write("data/counter", val);
        if (rc != last_err)
            printf("xmw xenstore %s%s\n", rc ? "write failed: " : "writes ok",
                   rc ? strerror(-rc) : "");
        last_err = rc;
    }
}
