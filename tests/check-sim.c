/*
 * check-sim.c - the simulated hypervisor, driven through the backend ops
 * as the engine drives it: a real sim/xenmig-simd is started on a private
 * socket for each test (fork/exec) and stopped by PID with SIGTERM.
 *
 * core    create/list/info/destroy, fills, no write lost by log-dirty
 *         (async and sync tracking; RAM on 2 MiB pages in a huge=always
 *         tmpfs, --ram-dir), idle dirties page 0 only, pause and
 *         suspend really stop the guest, the cap lowers the dirty rate,
 *         state round trip onto a domain made by create(), a domain
 *         made from a memory image holds its bytes (repeated, cut), the
 *         heap hands a destroyed domain's RAM on scrubbed and never
 *         while a client still maps it
 * limits  sizes, vcpu counts, names, caps, holes, several hosts
 * errors  unknown domain, taken name, bad workload, corrupt blobs, bad
 *         memory images, no host, a --ram-dir that does not exist
 *
 * $XENMIG_SIMD overrides the daemon's path (default sim/xenmig-simd);
 * $XENMIG_TEST_VERBOSE=1 shows the library's and simd's messages.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "private.h"
#include "sim.h"
#include "simhost.h"

#define PAGE XM_PAGE_SIZE
#define BPL (8 * sizeof(unsigned long))

static struct test_logger tlog;
static pid_t simd_pid = -1;
static char sock_path[108];

static struct xm_backend *start_opts(const char *mode,
                                     const char *const *opts)
{
    struct xm_backend *be = NULL;

    simd_pid = start_simd_opts(sock_path, mode, opts, NULL);
    ck_assert_int_eq(xm_backend_open("sim", sock_path, &tlog.lg, &be), 0);
    return be;
}

static struct xm_backend *start(const char *mode)
{
    struct xm_backend *be = NULL;

    simd_pid = start_simd_at(sock_path, mode);
    ck_assert_int_eq(xm_backend_open("sim", sock_path, &tlog.lg, &be), 0);
    return be;
}

static void stop(struct xm_backend *be)
{
    xm_backend_close(be);
    stop_simd(simd_pid, sock_path);
    simd_pid = -1;
}

static void setup(void)
{
    tlog.lg.log = test_log;
    tlog.lg.min_level = XM_LOG_DEBUG;
    tlog.last[0] = 0;
    snprintf(sock_path, sizeof(sock_path), "/tmp/xenmig-check-sim-%d.sock",
             (int)getpid());
}

static void teardown(void)
{
    if (simd_pid > 0) {
        kill(simd_pid, SIGKILL);
        waitpid(simd_pid, NULL, 0);
        unlink(sock_path);
    }
}

/* A running domain with @workload (a spec), @vcpus, @pages, @fill. */
static uint32_t make(struct xm_backend *be, const char *name,
                     const char *workload, unsigned vcpus, uint64_t pages,
                     enum xm_sim_fill fill)
{
    struct xm_sim_config cfg;
    uint32_t domid = 0;
    int rc;

    xm_sim_config_init(&cfg);
    cfg.vcpus = vcpus;
    ck_assert_int_eq(xm_sim_parse_workload(workload, &cfg), 0);
    rc = xm_sim_domain_create(be, name, &cfg, pages, fill, &domid);
    ck_assert_msg(rc == 0, "create %s: %d %s", name, rc, tlog.last);
    ck_assert_uint_gt(domid, 0);
    return domid;
}

/* All of a domain's RAM, contiguous (the sim maps it in one piece). */
static uint8_t *ram(struct xm_backend *be, uint32_t domid, uint64_t pages,
                    bool writable)
{
    uint64_t *pfns = calloc(pages, sizeof(*pfns));
    void **ptrs = calloc(pages, sizeof(*ptrs));
    int *errs = calloc(pages, sizeof(*errs));
    void *handle;
    uint8_t *base;
    uint64_t i;

    ck_assert(pfns && ptrs && errs);
    for (i = 0; i < pages; i++)
        pfns[i] = i;
    ck_assert_int_eq(be->ops->map(be, domid, pfns, pages, writable, ptrs,
                                  errs, &handle), 0);
    base = ptrs[0];
    for (i = 0; i < pages; i++) {
        ck_assert_int_eq(errs[i], 0);
        ck_assert_ptr_eq(ptrs[i], base + i * PAGE);
    }
    be->ops->unmap(be, handle, pages);
    free(pfns);
    free(ptrs);
    free(errs);
    return base;
}

static uint64_t heartbeat(const uint8_t *mem, unsigned vcpu)
{
    return __atomic_load_n((const uint64_t *)mem + vcpu, __ATOMIC_RELAXED);
}

/* vCPU @vcpu's heartbeat moves past @since within 5 s (a loaded host
 * may not run the guest for a while). */
static bool beats(const uint8_t *mem, unsigned vcpu, uint64_t since)
{
    unsigned i;

    for (i = 0; i < 500 && heartbeat(mem, vcpu) == since; i++)
        msleep(10);
    return heartbeat(mem, vcpu) != since;
}

static bool page_is_zero(const uint8_t *p)
{
    unsigned i;

    for (i = 0; i < PAGE; i++) {
        if (p[i])
            return false;
    }
    return true;
}

static bool test_bit(const unsigned long *bm, uint64_t pfn)
{
    return (bm[pfn / BPL] >> (pfn % BPL)) & 1;
}

/* ---- core ------------------------------------------------------------- */

START_TEST(test_create_list_info_destroy)
{
    struct xm_backend *be = start(NULL);
    struct xm_domain_info *infos = NULL, info;
    uint32_t a, b, c, found;
    unsigned n = 99, i, printable = 0;
    const uint8_t *mem;

    a = make(be, "alpha", "idle", 1, 1024, XM_SIM_FILL_RANDOM);
    b = make(be, "beta", "uniform:10", 2, 2048, XM_SIM_FILL_TEXT);
    c = make(be, "gamma", "idle", 1, 256, XM_SIM_FILL_ZERO);
    ck_assert_uint_eq(a, 1);
    ck_assert_uint_eq(b, 2);
    ck_assert_uint_eq(c, 3);

    ck_assert_int_eq(be->ops->list(be, &infos, &n), 0);
    ck_assert_uint_eq(n, 3);
    for (i = 0; i < n; i++) {
        if (infos[i].domid == b) {
            ck_assert_str_eq(infos[i].name, "beta");
            ck_assert_uint_eq(infos[i].nr_pfns, 2048);
            ck_assert_uint_eq(infos[i].nr_vcpus, 2);
        }
    }
    free(infos);

    msleep(50);
    ck_assert_int_eq(be->ops->domain_info(be, a, &info), 0);
    ck_assert_str_eq(info.name, "alpha");
    ck_assert_uint_eq(info.nr_pfns, 1024);
    ck_assert_uint_eq(info.nr_vcpus, 1);
    ck_assert_uint_eq(info.flags, 0);
    ck_assert_uint_eq(info.cpu_cap, 0);
    ck_assert_uint_gt(info.cpu_time_ns, 0);
    ck_assert_int_eq(xm_domain_lookup(be, "beta", &found), 0);
    ck_assert_uint_eq(found, b);

    /* the fills: random has no zero page, text is text, zero is zero */
    mem = ram(be, a, 1024, false);
    for (i = 1; i < 1024; i++)
        ck_assert_msg(!page_is_zero(mem + i * PAGE), "pfn %u is zero", i);
    mem = ram(be, b, 2048, false);
    for (i = 0; i < PAGE; i++)
        printable += (mem[1000 * PAGE + i] >= ' ' &&
                      mem[1000 * PAGE + i] < 127) ||
                     mem[1000 * PAGE + i] == '\n';
    ck_assert_uint_gt(printable, PAGE - 64);
    mem = ram(be, c, 256, false);
    for (i = 1; i < 256; i++)
        ck_assert(page_is_zero(mem + i * PAGE));

    ck_assert_int_eq(be->ops->destroy(be, a), 0);
    ck_assert_int_eq(be->ops->domain_info(be, a, &info), -ESRCH);
    ck_assert_int_eq(be->ops->list(be, &infos, &n), 0);
    ck_assert_uint_eq(n, 2);
    free(infos);
    /* ids are not reused */
    ck_assert_uint_eq(make(be, "alpha", "idle", 1, 64, XM_SIM_FILL_ZERO), 4);
    ck_assert_int_eq(be->ops->rename(be, 4, "alpha--migratedaway"), 0);
    ck_assert_int_eq(be->ops->domain_info(be, 4, &info), 0);
    ck_assert_str_eq(info.name, "alpha--migratedaway");
    stop(be);
}
END_TEST

/*
 * Pre-copy in miniature: copy everything, then only what CLEAN says was
 * written, several rounds while the guest writes 100 MiB/s, then pause
 * and a last round. Any write the tracking missed leaves the shadow
 * different from RAM.
 */
static void no_lost_writes(const char *mode, const char *ram_dir)
{
    const char *const opts[] = { "--ram-dir", ram_dir, NULL };
    const uint64_t pages = 16384; /* 64 MiB */
    struct xm_backend *be = start_opts(mode, ram_dir ? opts : NULL);
    unsigned long *bm = calloc(pages / BPL, sizeof(long));
    uint8_t *shadow = malloc(pages * PAGE);
    uint64_t dirty, total_dirty = 0, pfn, bad = 0, first_bad = 0;
    const uint8_t *mem;
    uint32_t d;
    int round;

    ck_assert(bm && shadow);
    d = make(be, "busy", "uniform:100", 2, pages, XM_SIM_FILL_RANDOM);
    mem = ram(be, d, pages, false);
    msleep(20);
    ck_assert_int_eq(be->ops->logdirty_enable(be, d), 0);
    memcpy(shadow, mem, pages * PAGE);
    /* (more rounds while the guest has written little: a loaded host) */
    for (round = 0; round < 8 || (total_dirty <= 1000 && round < 200);
         round++) {
        msleep(30);
        ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm,
                                               pages, &dirty), 0);
        total_dirty += dirty;
        for (pfn = 0; pfn < pages; pfn++) {
            if (test_bit(bm, pfn))
                memcpy(shadow + pfn * PAGE, mem + pfn * PAGE, PAGE);
        }
    }
    ck_assert_int_eq(be->ops->pause(be, d), 0);
    ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm, pages,
                                           &dirty), 0);
    for (pfn = 0; pfn < pages; pfn++) {
        if (test_bit(bm, pfn))
            memcpy(shadow + pfn * PAGE, mem + pfn * PAGE, PAGE);
    }
    for (pfn = 0; pfn < pages; pfn++) {
        if (memcmp(shadow + pfn * PAGE, mem + pfn * PAGE, PAGE)) {
            if (!bad++)
                first_bad = pfn;
        }
    }
    ck_assert_msg(bad == 0, "%s: %llu pages lost, first pfn 0x%llx",
                  mode, (unsigned long long)bad,
                  (unsigned long long)first_bad);
    /* the guest did write meanwhile, so the test tested something */
    ck_assert_uint_gt(total_dirty, 1000);
    /* paused: nothing new is dirty */
    ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_PEEK, bm, pages,
                                           &dirty), 0);
    ck_assert_uint_eq(dirty, 0);
    ck_assert_int_eq(be->ops->logdirty_disable(be, d), 0);
    free(bm);
    free(shadow);
    stop(be);
}

START_TEST(test_no_lost_writes_async)
{
    no_lost_writes("async", NULL);
}
END_TEST

START_TEST(test_no_lost_writes_sync)
{
    no_lost_writes("sync", NULL);
}
END_TEST

/*
 * Guest RAM in a tmpfs mounted with huge=always (--ram-dir): 2 MiB
 * pages under 4 KiB tracking. Not root: /dev/shm, the option alone.
 */
START_TEST(test_no_lost_writes_huge)
{
    char dir[] = "/tmp/xenmig-check-sim-huge.XXXXXX";
    bool mounted;

    ck_assert(mkdtemp(dir));
    mounted = mount("xenmig-check", dir, "tmpfs", 0,
                    "huge=always,size=256m") == 0;
    ck_assert_msg(mounted || errno == EPERM, "mount tmpfs: %s",
                  strerror(errno));
    no_lost_writes("async", mounted ? dir : "/dev/shm");
    if (mounted)
        ck_assert_int_eq(umount(dir), 0);
    rmdir(dir);
}
END_TEST

/* A --ram-dir that cannot hold guest RAM: the create says why. */
START_TEST(test_bad_ram_dir)
{
    const char *const opts[] = { "--ram-dir", "/nonexistent/xenmig", NULL };
    struct xm_backend *be = start_opts(NULL, opts);
    struct xm_sim_config cfg;
    uint32_t domid;

    xm_sim_config_init(&cfg);
    ck_assert_int_eq(xm_sim_domain_create(be, "d", &cfg, 64,
                                          XM_SIM_FILL_ZERO, &domid),
                     -ENOENT);
    ck_assert_msg(strstr(tlog.last, "cannot make guest RAM in "
                                    "\"/nonexistent/xenmig\""),
                  "%s", tlog.last);
    stop(be);
}
END_TEST

/* PEEK must not clear; CLEAN must; an idle guest only touches page 0. */
static void idle_page0(const char *mode)
{
    struct xm_backend *be = start(mode);
    unsigned long bm[1024 / BPL];
    struct xm_domain_info info;
    uint64_t dirty = 0, pfn;
    uint32_t d;

    d = make(be, "idle", "idle", 4, 1024, XM_SIM_FILL_TEXT);
    ck_assert_int_eq(be->ops->logdirty_enable(be, d), 0);
    ck_assert_int_eq(be->ops->domain_info(be, d, &info), 0);
    ck_assert(info.flags & XM_DOMAIN_LOGDIRTY);
    msleep(100);
    ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_PEEK, bm, 1024,
                                           &dirty), 0);
    ck_assert_uint_eq(dirty, 1);
    ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm, 1024,
                                           &dirty), 0);
    ck_assert_uint_eq(dirty, 1);
    ck_assert(test_bit(bm, 0));
    for (pfn = 1; pfn < 1024; pfn++)
        ck_assert_msg(!test_bit(bm, pfn), "idle guest dirtied pfn %llu",
                      (unsigned long long)pfn);
    /* paused, CLEANed: nothing dirty any more */
    ck_assert_int_eq(be->ops->pause(be, d), 0);
    ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm, 1024,
                                           &dirty), 0);
    ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm, 1024,
                                           &dirty), 0);
    ck_assert_uint_eq(dirty, 0);
    ck_assert_int_eq(be->ops->logdirty_disable(be, d), 0);
    ck_assert_int_eq(be->ops->domain_info(be, d, &info), 0);
    ck_assert(!(info.flags & XM_DOMAIN_LOGDIRTY));
    stop(be);
}

START_TEST(test_idle_only_page0)
{
    idle_page0("async");
    idle_page0("sync");
}
END_TEST

/* A file of @len bytes of random content (no page zero), open, unlinked. */
static int image_file(uint8_t **bytes_r, size_t len)
{
    char path[] = "/tmp/xenmig-check-image.XXXXXX";
    uint8_t *b = malloc(len);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t i;
    int fd = mkstemp(path);

    ck_assert(b && fd >= 0);
    unlink(path);
    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = (uint8_t)(x >> 24) | 1;
    }
    ck_assert_int_eq(write(fd, b, len), (ssize_t)len);
    *bytes_r = b;
    return fd;
}

/* A paused domain of @pages made from @fd. */
static uint32_t make_image(struct xm_backend *be, const char *name,
                           uint64_t pages, int fd)
{
    struct xm_sim_config cfg;
    uint32_t domid = 0;
    int rc;

    xm_sim_config_init(&cfg);
    rc = xm_sim_domain_create_ex(be, name, &cfg, pages, XM_SIM_FILL_IMAGE,
                                 fd, 0, &domid);
    ck_assert_msg(rc == 0, "create %s: %d %s", name, rc, tlog.last);
    return domid;
}

/*
 * A domain made from an image holds exactly its bytes: a short image
 * (3 pages and 100 bytes) repeats in whole pages with the partial page
 * zero padded, a long one is cut; the digest equals that of a domain made
 * from the image written out in full; unpaused, the workload runs on top.
 */
START_TEST(test_image_fill)
{
    const size_t short_len = 3 * PAGE + 100, pages = 37;
    struct xm_backend *be = start(NULL);
    struct xm_domain_info info;
    uint8_t *img, *want = calloc(pages, PAGE), *mem;
    uint64_t d1, d2, h0;
    uint32_t a, b, c;
    size_t off;
    int fd = image_file(&img, short_len), big;

    ck_assert(want);
    for (off = 0; off < pages * PAGE; off += 4 * PAGE)
        memcpy(want + off, img,
               pages * PAGE - off < short_len ? pages * PAGE - off
                                              : short_len);
    a = make_image(be, "short", pages, fd);
    mem = ram(be, a, pages, false);
    ck_assert(memcmp(mem, want, pages * PAGE) == 0);

    /* the same bytes from a file that holds them all, and more */
    free(img);
    big = image_file(&img, (pages + 5) * PAGE);
    ck_assert_int_eq(pwrite(big, want, pages * PAGE, 0),
                     (ssize_t)(pages * PAGE));
    b = make_image(be, "full", pages, big);
    ck_assert(memcmp(ram(be, b, pages, false), want, pages * PAGE) == 0);
    ck_assert_int_eq(xm_domain_digest(be, &tlog.lg, a, &d1), 0);
    ck_assert_int_eq(xm_domain_digest(be, &tlog.lg, b, &d2), 0);
    ck_assert(d1 == d2);

    /* the image cut to 2 pages */
    c = make_image(be, "cut", 2, big);
    ck_assert(memcmp(ram(be, c, 2, false), want, 2 * PAGE) == 0);

    /* paused until unpaused; then the heartbeat runs over the image */
    ck_assert_int_eq(be->ops->domain_info(be, a, &info), 0);
    ck_assert(info.flags & XM_DOMAIN_PAUSED);
    h0 = heartbeat(mem, 0);
    ck_assert_int_eq(be->ops->unpause(be, a), 0);
    ck_assert(beats(mem, 0, h0));
    ck_assert(memcmp(mem + PAGE, want + PAGE, (pages - 1) * PAGE) == 0);

    close(fd);
    close(big);
    free(img);
    free(want);
    stop(be);
}
END_TEST

/* True if simd holds the RAM memfd first made for domain @name. */
static bool simd_holds_ram_of(const char *name)
{
    char dir[64], path[PATH_MAX + 64], link[PATH_MAX], want[96];
    struct dirent *e;
    bool found = false;
    size_t n;
    DIR *dp;
    ssize_t r;

    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)simd_pid);
    n = (size_t)snprintf(want, sizeof(want), "/memfd:xenmig-ram-%s", name);
    dp = opendir(dir);
    ck_assert(dp);
    while (!found && (e = readdir(dp))) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        r = readlink(path, link, sizeof(link) - 1);
        if (r <= 0)
            continue;
        link[r] = 0;
        found = strncmp(link, want, n) == 0 &&
                (link[n] == 0 || link[n] == ' ');
    }
    closedir(dp);
    return found;
}

/* Lines in @log of the heap keeping RAM. */
static unsigned heap_lines(const char *log)
{
    char line[512];
    unsigned seen = 0;
    FILE *f = fopen(log, "r");

    ck_assert(f);
    while (fgets(line, sizeof(line), f))
        seen += strstr(line, "heap: keeping") != NULL;
    fclose(f);
    return seen;
}

/* Wait (up to 5 s) until @log has @n such lines. */
static bool heap_kept(const char *log, unsigned n)
{
    unsigned i;

    for (i = 0; i < 500 && heap_lines(log) < n; i++)
        msleep(10);
    return heap_lines(log) >= n;
}

START_TEST(test_heap)
{
    char log[128];
    struct xm_backend *be = NULL;
    uint32_t a, b, c, d;
    static const char *const opts[] = { "--heap", "64", NULL };
    uint8_t *mem;
    uint64_t i;

    snprintf(log, sizeof(log), "/tmp/xenmig-check-sim-%d.log", (int)getpid());
    simd_pid = start_simd_opts(sock_path, NULL, opts, log);
    ck_assert_int_eq(xm_backend_open("sim", sock_path, &tlog.lg, &be), 0);

    /* 8 MiB of random RAM that no client mapped: kept when destroyed */
    a = make(be, "h1", "idle", 1, 2048, XM_SIM_FILL_RANDOM);
    ck_assert_int_eq(be->ops->destroy(be, a), 0);
    ck_assert(heap_kept(log, 1));
    /* a smaller domain gets it, zero but for its heartbeat page */
    b = make(be, "h2", "idle", 1, 1024, XM_SIM_FILL_ZERO);
    ck_assert(simd_holds_ram_of("h1"));
    ck_assert(!simd_holds_ram_of("h2"));
    mem = ram(be, b, 1024, false);
    for (i = 1; i < 1024; i++)
        ck_assert_msg(page_is_zero(mem + i * PAGE), "page %llu not scrubbed",
                      (unsigned long long)i);

    /* this connection maps it: destroyed, it goes to nobody */
    ck_assert_int_eq(be->ops->destroy(be, b), 0);
    c = make(be, "h3", "idle", 1, 1024, XM_SIM_FILL_ZERO);
    ck_assert(simd_holds_ram_of("h3"));
    ck_assert(simd_holds_ram_of("h1"));
    ck_assert_int_eq(be->ops->destroy(be, c), 0);
    /* once the connection is gone it is kept again, then handed on */
    xm_backend_close(be);
    ck_assert(heap_kept(log, 3));
    ck_assert_int_eq(xm_backend_open("sim", sock_path, &tlog.lg, &be), 0);
    d = make(be, "h4", "idle", 1, 2048, XM_SIM_FILL_ZERO);
    ck_assert(simd_holds_ram_of("h1"));
    ck_assert(!simd_holds_ram_of("h4"));
    mem = ram(be, d, 2048, false);
    for (i = 1; i < 2048; i++)
        ck_assert(page_is_zero(mem + i * PAGE));

    /* more than --heap allows is given back to the kernel */
    ck_assert_int_eq(be->ops->destroy(be, d), 0);
    xm_backend_close(be);
    ck_assert(heap_kept(log, 4));
    ck_assert_int_eq(xm_backend_open("sim", sock_path, &tlog.lg, &be), 0);
    a = make(be, "big", "idle", 1, 80 * 256, XM_SIM_FILL_ZERO);
    ck_assert(simd_holds_ram_of("big"));
    ck_assert_int_eq(be->ops->destroy(be, a), 0);
    stop(be);
    ck_assert_uint_eq(heap_lines(log), 4);
    unlink(log);
}
END_TEST

/* RAM and heartbeats frozen for @ms; false if anything moved. */
static bool frozen(const uint8_t *mem, uint64_t pages, unsigned ms)
{
    uint8_t *copy = malloc(pages * PAGE);
    bool same;

    ck_assert(copy);
    memcpy(copy, mem, pages * PAGE);
    msleep(ms);
    same = memcmp(copy, mem, pages * PAGE) == 0;
    free(copy);
    return same;
}

START_TEST(test_pause_stops_guest)
{
    const uint64_t pages = 4096;
    struct xm_backend *be = start(NULL);
    struct xm_domain_info info;
    uint64_t hb0, hb1;
    const uint8_t *mem;
    uint32_t d;

    d = make(be, "p", "uniform:50", 2, pages, XM_SIM_FILL_ZERO);
    mem = ram(be, d, pages, false);
    msleep(30);
    ck_assert(!frozen(mem, pages, 50)); /* it does run */

    ck_assert_int_eq(be->ops->pause(be, d), 0);
    ck_assert_int_eq(be->ops->domain_info(be, d, &info), 0);
    ck_assert(info.flags & XM_DOMAIN_PAUSED);
    hb0 = heartbeat(mem, 0);
    ck_assert(frozen(mem, pages, 200));
    ck_assert_uint_eq(heartbeat(mem, 0), hb0);

    /* nested: one unpause of two pauses keeps it stopped */
    ck_assert_int_eq(be->ops->pause(be, d), 0);
    ck_assert_int_eq(be->ops->unpause(be, d), 0);
    ck_assert(frozen(mem, pages, 100));
    ck_assert_int_eq(be->ops->unpause(be, d), 0);
    ck_assert(beats(mem, 0, hb0));
    hb1 = heartbeat(mem, 0);
    ck_assert_uint_gt(hb1, hb0);
    ck_assert(beats(mem, 1, 0));
    ck_assert_int_eq(be->ops->domain_info(be, d, &info), 0);
    ck_assert(!(info.flags & XM_DOMAIN_PAUSED));

    /* suspend stops it too, resume lets it carry on */
    ck_assert_int_eq(be->ops->suspend(be, d), 0);
    ck_assert_int_eq(be->ops->domain_info(be, d, &info), 0);
    ck_assert(info.flags & XM_DOMAIN_SUSPENDED);
    hb0 = heartbeat(mem, 0);
    ck_assert(frozen(mem, pages, 100));
    ck_assert_int_eq(be->ops->resume(be, d), 0);
    ck_assert(beats(mem, 0, hb0));
    ck_assert_uint_gt(heartbeat(mem, 0), hb0);
    ck_assert_int_eq(be->ops->domain_info(be, d, &info), 0);
    ck_assert(!(info.flags & XM_DOMAIN_SUSPENDED));
    stop(be);
}
END_TEST

/* Distinct pages a streaming guest writes in @ms (no wrap-around). */
static uint64_t stream_pages(struct xm_backend *be, uint32_t d,
                             uint64_t pages, unsigned ms)
{
    unsigned long *bm = calloc(pages / BPL, sizeof(long));
    uint64_t dirty = 0;

    ck_assert(bm);
    ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm, pages,
                                           &dirty), 0);
    msleep(ms);
    ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm, pages,
                                           &dirty), 0);
    free(bm);
    return dirty;
}

START_TEST(test_cap_lowers_dirty_rate)
{
    const uint64_t pages = 32768; /* 128 MiB; 40 MiB/s for 0.5 s: 5120 */
    struct xm_backend *be = start(NULL);
    struct xm_domain_info info;
    uint64_t full, capped;
    uint32_t d;

    d = make(be, "c", "stream:40", 1, pages, XM_SIM_FILL_ZERO);
    ck_assert_int_eq(be->ops->logdirty_enable(be, d), 0);
    full = stream_pages(be, d, pages, 500);
    ck_assert_int_eq(be->ops->set_cpu_cap(be, d, 10), 0);
    ck_assert_int_eq(be->ops->domain_info(be, d, &info), 0);
    ck_assert_uint_eq(info.cpu_cap, 10);
    capped = stream_pages(be, d, pages, 500);
    /* (a fifth of 5120: on a loaded host the vCPU thread gets less) */
    ck_assert_msg(full > 1000, "uncapped guest wrote only %llu pages",
                  (unsigned long long)full);
    ck_assert_msg(capped > 0 && capped * 100 < full * 60,
                  "cap 10%%: %llu pages against %llu uncapped",
                  (unsigned long long)capped, (unsigned long long)full);
    ck_assert_int_eq(be->ops->set_cpu_cap(be, d, 0), 0);
    ck_assert_uint_gt(stream_pages(be, d, pages, 500), capped * 2);
    stop(be);
}
END_TEST

START_TEST(test_state_round_trip)
{
    const uint64_t pages = 2048;
    struct xm_backend *be = start(NULL);
    void *cfg = NULL, *vcpu = NULL, *plat = NULL, *vcpu2 = NULL, *plat2 = NULL;
    size_t cfg_len, vcpu_len, plat_len, vcpu2_len, plat2_len;
    const struct xm_sim_vcpu_regs *ra, *rb;
    struct xm_domain_info info;
    uint8_t *src, *dst;
    uint64_t hb_src;
    uint32_t a, b;

    a = make(be, "src", "hotcold:20:4:1:80", 2, pages, XM_SIM_FILL_RANDOM);
    src = ram(be, a, pages, false);
    msleep(50);
    /* vcpu state wants a stopped guest */
    ck_assert_int_eq(be->ops->get_state(be, a, XM_STATE_VCPU, &vcpu,
                                        &vcpu_len), -EBUSY);
    ck_assert_int_eq(be->ops->suspend(be, a), 0);
    ck_assert_int_eq(be->ops->get_state(be, a, XM_STATE_CONFIG, &cfg,
                                        &cfg_len), 0);
    ck_assert_int_eq(be->ops->get_state(be, a, XM_STATE_VCPU, &vcpu,
                                        &vcpu_len), 0);
    ck_assert_int_eq(be->ops->get_state(be, a, XM_STATE_PLATFORM, &plat,
                                        &plat_len), 0);
    ck_assert_uint_eq(cfg_len, sizeof(struct xm_sim_config));
    ck_assert_uint_eq(vcpu_len, sizeof(struct xm_sim_vcpu_blob) +
                                    2 * sizeof(struct xm_sim_vcpu_regs));
    ra = (const struct xm_sim_vcpu_regs *)
        ((const char *)vcpu + sizeof(struct xm_sim_vcpu_blob));
    ck_assert_uint_gt(ra[0].pages_written, 0);
    ck_assert_uint_gt(((const struct xm_sim_platform *)plat)->clock_ns,
                      40000000);
    hb_src = heartbeat(src, 0);
    ck_assert_uint_eq(hb_src, ra[0].heartbeat);

    /* the receiver's domain: paused, zeroed, not running */
    ck_assert_int_eq(be->ops->create(be, "dst", cfg, cfg_len, pages, &b), 0);
    ck_assert_int_eq(be->ops->domain_info(be, b, &info), 0);
    ck_assert(info.flags & XM_DOMAIN_PAUSED);
    ck_assert_uint_eq(info.nr_vcpus, 2);
    dst = ram(be, b, pages, true);
    ck_assert(frozen(dst, pages, 50));
    ck_assert(page_is_zero(dst) && page_is_zero(dst + 1000 * PAGE));

    memcpy(dst, src, pages * PAGE);
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_CONFIG, cfg,
                                        cfg_len), 0);
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_VCPU, vcpu,
                                        vcpu_len), 0);
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_PLATFORM, plat,
                                        plat_len), 0);
    ck_assert_int_eq(be->ops->get_state(be, b, XM_STATE_VCPU, &vcpu2,
                                        &vcpu2_len), 0);
    ck_assert_uint_eq(vcpu2_len, vcpu_len);
    ck_assert_mem_eq(vcpu2, vcpu, vcpu_len);
    ck_assert_int_eq(be->ops->get_state(be, b, XM_STATE_PLATFORM, &plat2,
                                        &plat2_len), 0);
    ck_assert_mem_eq(plat2, plat, plat_len);
    free(vcpu2);
    free(plat2);

    /* the copy carries on from where the source stopped */
    ck_assert_int_eq(be->ops->unpause(be, b), 0);
    msleep(50);
    ck_assert_int_eq(be->ops->pause(be, b), 0);
    ck_assert_uint_gt(heartbeat(dst, 0), hb_src);
    ck_assert_uint_eq(heartbeat(src, 0), hb_src);
    ck_assert_int_eq(be->ops->get_state(be, b, XM_STATE_VCPU, &vcpu2,
                                        &vcpu2_len), 0);
    rb = (const struct xm_sim_vcpu_regs *)
        ((const char *)vcpu2 + sizeof(struct xm_sim_vcpu_blob));
    ck_assert_uint_gt(rb[0].vclock_ns, ra[0].vclock_ns);
    ck_assert_uint_gt(rb[1].pages_written, ra[1].pages_written);
    ck_assert_uint_ne(rb[0].rng, ra[0].rng);
    ck_assert_int_eq(be->ops->get_state(be, b, XM_STATE_PLATFORM, &plat2,
                                        &plat2_len), 0);
    ck_assert_uint_gt(((const struct xm_sim_platform *)plat2)->clock_ns,
                      ((const struct xm_sim_platform *)plat)->clock_ns);

    /* and the source, resumed, carries on too */
    ck_assert_int_eq(be->ops->resume(be, a), 0);
    msleep(30);
    ck_assert_uint_gt(heartbeat(src, 0), hb_src);
    free(cfg);
    free(vcpu);
    free(plat);
    free(vcpu2);
    free(plat2);
    stop(be);
}
END_TEST

/* ---- limits ----------------------------------------------------------- */

START_TEST(test_limits)
{
    struct xm_backend *be = start(NULL), *be2 = NULL;
    char name[80], path2[120];
    struct xm_sim_config cfg;
    uint64_t pfns[3] = { 0, 63, 64 };
    uint32_t types[3], d, d2;
    void *ptrs[3], *handle;
    unsigned long bm[1];
    int errs[3];
    pid_t pid2;

    xm_sim_config_init(&cfg);
    ck_assert_int_eq(xm_sim_domain_create(be, "z", &cfg, 0,
                                          XM_SIM_FILL_ZERO, &d), -EINVAL);
    ck_assert_int_eq(xm_sim_domain_create(be, "z", &cfg, 1,
                                          XM_SIM_FILL_ZERO, &d), -EINVAL);
    ck_assert_int_eq(xm_sim_domain_create(be, "z", &cfg, 2,
                                          XM_SIM_FILL_ZERO, &d), 0);
    cfg.vcpus = 0;
    ck_assert_int_eq(xm_sim_domain_create(be, "v0", &cfg, 64,
                                          XM_SIM_FILL_ZERO, &d), -EINVAL);
    cfg.vcpus = XM_SIM_MAX_VCPUS + 1;
    ck_assert_int_eq(xm_sim_domain_create(be, "v65", &cfg, 64,
                                          XM_SIM_FILL_ZERO, &d), -EINVAL);
    cfg.vcpus = 1;
    memset(name, 'n', 64);
    name[64] = 0;
    ck_assert_int_eq(xm_sim_domain_create(be, name, &cfg, 64,
                                          XM_SIM_FILL_ZERO, &d), -EINVAL);
    name[63] = 0;
    ck_assert_int_eq(xm_sim_domain_create(be, name, &cfg, 64,
                                          XM_SIM_FILL_ZERO, &d), 0);
    ck_assert_int_eq(xm_sim_domain_create(be, "", &cfg, 64,
                                          XM_SIM_FILL_ZERO, &d), -EINVAL);

    /* a hole past the end: that page fails, the call does not */
    ck_assert_int_eq(be->ops->map(be, d, pfns, 3, false, ptrs, errs,
                                  &handle), 0);
    ck_assert_int_eq(errs[0], 0);
    ck_assert_int_eq(errs[1], 0);
    ck_assert_int_ne(errs[2], 0);
    ck_assert_ptr_null(ptrs[2]);
    be->ops->unmap(be, handle, 3);
    ck_assert_int_eq(be->ops->page_types(be, d, pfns, 3, types), 0);
    ck_assert_uint_eq(types[0], XM_PAGE_NORMAL);
    ck_assert_uint_eq(types[2], XM_PAGE_XTAB);

    ck_assert_int_eq(be->ops->set_cpu_cap(be, d, 101), -EINVAL);
    ck_assert_int_eq(be->ops->unpause(be, d), -EINVAL);
    ck_assert_int_eq(be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm, 64,
                                           NULL), -EINVAL);

    /* workload specs at their edges */
    ck_assert_int_eq(xm_sim_parse_workload("hotcold:1:8:8:100", &cfg), 0);
    ck_assert_uint_eq(cfg.workload, XM_SIM_HOTCOLD);
    ck_assert_uint_eq(cfg.hot_pct, 100);
    ck_assert_int_eq(xm_sim_parse_workload("hotcold:1:8:8:101", &cfg),
                     -EINVAL);
    ck_assert_int_eq(xm_sim_parse_workload("hotcold:1:8:9:10", &cfg),
                     -EINVAL);
    ck_assert_int_eq(xm_sim_parse_workload("uniform:0", &cfg), 0);
    ck_assert_int_eq(xm_sim_parse_workload("stream:5:0", &cfg), 0);
    ck_assert_uint_eq(cfg.workload, XM_SIM_STREAM);
    ck_assert_uint_eq(cfg.rate_mib, 5);

    /* two hosts side by side, each with its own ids */
    snprintf(path2, sizeof(path2), "%s.2", sock_path);
    pid2 = start_simd_at(path2, NULL);
    ck_assert_int_eq(xm_backend_open("sim", path2, &tlog.lg, &be2), 0);
    xm_sim_config_init(&cfg);
    ck_assert_int_eq(xm_sim_domain_create(be2, "z", &cfg, 16,
                                          XM_SIM_FILL_ZERO, &d2), 0);
    ck_assert_uint_eq(d2, 1);
    xm_backend_close(be2);
    stop_simd(pid2, path2);
    stop(be);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(test_unknown_domain)
{
    struct xm_backend *be = start(NULL);
    struct xm_domain_info info;
    uint64_t pfn = 0;
    void *ptr, *handle;
    int err;

    ck_assert_int_eq(be->ops->domain_info(be, 42, &info), -ESRCH);
    ck_assert_msg(strstr(tlog.last, "domain 42") &&
                      strstr(tlog.last, "no such domain"),
                  "message: %s", tlog.last);
    ck_assert_int_eq(be->ops->pause(be, 42), -ESRCH);
    ck_assert_int_eq(be->ops->destroy(be, 42), -ESRCH);
    ck_assert_int_eq(be->ops->logdirty_enable(be, 42), -ESRCH);
    ck_assert_int_eq(be->ops->map(be, 42, &pfn, 1, false, &ptr, &err,
                                  &handle), -ESRCH);
    stop(be);
}
END_TEST

START_TEST(test_name_taken)
{
    struct xm_backend *be = start(NULL);
    struct xm_sim_config cfg;
    uint32_t a, b;

    a = make(be, "dup", "idle", 1, 64, XM_SIM_FILL_ZERO);
    b = make(be, "other", "idle", 1, 64, XM_SIM_FILL_ZERO);
    xm_sim_config_init(&cfg);
    ck_assert_int_eq(xm_sim_domain_create(be, "dup", &cfg, 64,
                                          XM_SIM_FILL_ZERO, &b), -EEXIST);
    ck_assert_int_eq(be->ops->create(be, "dup", &cfg, sizeof(cfg), 64, &b),
                     -EEXIST);
    ck_assert_int_eq(be->ops->rename(be, 2, "dup"), -EEXIST);
    ck_assert_int_eq(be->ops->rename(be, a, "dup"), 0); /* its own name */
    stop(be);
}
END_TEST

START_TEST(test_bad_workload)
{
    static const char *const bad[] = {
        "", "busy", "uniform", "uniform:", "uniform:x", "uniform:-1",
        "uniform:1:2:3", "hotcold:1:2:3", "hotcold:1:8:9:10", "idle:5",
        "stream:1:2:3", "uniform:99999999999999999999",
    };
    struct xm_sim_config cfg;
    unsigned i;

    xm_sim_config_init(&cfg);
    for (i = 0; i < XM_ARRAY_SIZE(bad); i++) {
        ck_assert_msg(xm_sim_parse_workload(bad[i], &cfg) == -EINVAL,
                      "\"%s\" accepted", bad[i]);
        ck_assert_msg(strstr(xm_sim_parse_error(), "bad workload"),
                      "\"%s\": %s", bad[i], xm_sim_parse_error());
    }
    ck_assert_int_eq(xm_sim_parse_workload("uniform:x", &cfg), -EINVAL);
    ck_assert_ptr_nonnull(strstr(xm_sim_parse_error(), "rate \"x\""));
    ck_assert_uint_eq(cfg.workload, XM_SIM_IDLE); /* left alone */
    ck_assert_int_eq(xm_sim_parse_workload("uniform:100:64", &cfg), 0);
    ck_assert_str_eq(xm_sim_parse_error(), "");
}
END_TEST

/* An image fill needs a readable, non-empty file, and only it takes one. */
START_TEST(test_bad_image)
{
    struct xm_backend *be = start(NULL);
    struct xm_sim_config cfg;
    char path[] = "/tmp/xenmig-check-image.XXXXXX";
    uint32_t domid;
    int fd = mkstemp(path), wfd;

    ck_assert_int_ge(fd, 0);
    unlink(path);
    xm_sim_config_init(&cfg);
    ck_assert_int_eq(xm_sim_domain_create_ex(be, "e", &cfg, 16,
                                             XM_SIM_FILL_IMAGE, fd, 0,
                                             &domid), -EINVAL);
    ck_assert_ptr_nonnull(strstr(tlog.last, "memory image is empty"));
    ck_assert_int_eq(xm_sim_domain_create_ex(be, "e", &cfg, 16,
                                             XM_SIM_FILL_IMAGE, -1, 0,
                                             &domid), -EINVAL);
    ck_assert_int_eq(xm_sim_domain_create_ex(be, "e", &cfg, 16,
                                             XM_SIM_FILL_TEXT, fd, 0,
                                             &domid), -EINVAL);
    /* a file opened for writing only cannot be read */
    wfd = open("/dev/null", O_WRONLY);
    ck_assert_int_ge(wfd, 0);
    ck_assert_int_eq(xm_sim_domain_create_ex(be, "e", &cfg, 16,
                                             XM_SIM_FILL_IMAGE, wfd, 0,
                                             &domid), -EBADF);
    ck_assert_ptr_nonnull(strstr(tlog.last, "cannot read the memory image"));
    /* nothing was left behind */
    ck_assert_int_eq(xm_sim_domain_create(be, "e", &cfg, 16,
                                          XM_SIM_FILL_ZERO, &domid), 0);
    close(wfd);
    close(fd);
    stop(be);
}
END_TEST

START_TEST(test_corrupt_state)
{
    struct xm_backend *be = start(NULL);
    void *vcpu = NULL, *plat = NULL, *cfg = NULL;
    size_t vcpu_len, plat_len, cfg_len;
    struct xm_sim_vcpu_blob *vb;
    struct xm_sim_platform *pb;
    struct xm_sim_config *cb;
    uint32_t a, b, one;

    a = make(be, "a", "uniform:5", 2, 256, XM_SIM_FILL_ZERO);
    one = make(be, "one", "idle", 1, 256, XM_SIM_FILL_ZERO);
    ck_assert_int_eq(be->ops->pause(be, a), 0);
    ck_assert_int_eq(be->ops->pause(be, one), 0);
    ck_assert_int_eq(be->ops->get_state(be, a, XM_STATE_VCPU, &vcpu,
                                        &vcpu_len), 0);
    ck_assert_int_eq(be->ops->get_state(be, a, XM_STATE_PLATFORM, &plat,
                                        &plat_len), 0);
    ck_assert_int_eq(be->ops->get_state(be, a, XM_STATE_CONFIG, &cfg,
                                        &cfg_len), 0);
    ck_assert_int_eq(be->ops->create(be, "b", cfg, cfg_len, 256, &b), 0);

    /* truncated, bad magic, wrong vcpu count, wrong domain size */
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_VCPU, vcpu,
                                        vcpu_len - 1), -EINVAL);
    ck_assert_ptr_nonnull(strstr(tlog.last, "vcpu state blob"));
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_VCPU, vcpu, 3),
                     -EINVAL);
    vb = vcpu;
    vb->magic ^= 1;
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_VCPU, vcpu,
                                        vcpu_len), -EINVAL);
    ck_assert_ptr_nonnull(strstr(tlog.last, "magic"));
    vb->magic ^= 1;
    ck_assert_int_eq(be->ops->set_state(be, one, XM_STATE_VCPU, vcpu,
                                        vcpu_len), -EINVAL);
    ck_assert_ptr_nonnull(strstr(tlog.last, "2 vcpus"));
    vb->version = 99;
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_VCPU, vcpu,
                                        vcpu_len), -EINVAL);
    vb->version = XM_SIM_VCPU_VERSION;

    pb = plat;
    {
        /* a blob one byte too long (a real buffer: ASan checks it) */
        uint8_t *longer = calloc(1, plat_len + 1);

        ck_assert_ptr_nonnull(longer);
        memcpy(longer, plat, plat_len);
        ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_PLATFORM, longer,
                                            plat_len + 1), -EINVAL);
        free(longer);
    }
    pb->nr_pfns = 512;
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_PLATFORM, plat,
                                        plat_len), -EINVAL);
    ck_assert_ptr_nonnull(strstr(tlog.last, "pages"));
    pb->nr_pfns = 256;

    cb = cfg;
    cb->workload = 77;
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_CONFIG, cfg,
                                        cfg_len), -EINVAL);
    ck_assert_int_eq(be->ops->create(be, "c", cfg, cfg_len, 256, &b),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(tlog.last, "workload"));
    cb->workload = XM_SIM_UNIFORM;
    ck_assert_int_eq(be->ops->create(be, "c", cfg, cfg_len - 8, 256, &b),
                     -EINVAL);
    ck_assert_int_eq(be->ops->set_state(be, b, 7, cfg, cfg_len), -EINVAL);

    /* and the untouched blobs still load */
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_VCPU, vcpu,
                                        vcpu_len), 0);
    ck_assert_int_eq(be->ops->set_state(be, b, XM_STATE_PLATFORM, plat,
                                        plat_len), 0);
    free(vcpu);
    free(plat);
    free(cfg);
    stop(be);
}
END_TEST

START_TEST(test_no_host)
{
    struct xm_backend *be = NULL;
    struct xm_domain_info info;
    FILE *f;

    /* nothing there */
    ck_assert_int_eq(xm_backend_open("sim", sock_path, &tlog.lg, &be),
                     -ENOENT);
    ck_assert_ptr_null(be);
    ck_assert_msg(strstr(tlog.last, "is not running") &&
                      strstr(tlog.last, sock_path),
                  "message: %s", tlog.last);
    /* a file that is not a socket */
    f = fopen(sock_path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(xm_backend_open("sim", sock_path, &tlog.lg, &be),
                     -ECONNREFUSED);
    unlink(sock_path);

    /* a host that goes away under an open backend */
    be = start(NULL);
    make(be, "x", "idle", 1, 64, XM_SIM_FILL_ZERO);
    kill(simd_pid, SIGKILL);
    waitpid(simd_pid, NULL, 0);
    simd_pid = -1;
    unlink(sock_path);
    ck_assert_int_eq(be->ops->domain_info(be, 1, &info), -EPIPE);
    ck_assert_ptr_nonnull(strstr(tlog.last, sock_path));
    xm_backend_close(be);
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc;

    tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_create_list_info_destroy);
    tcase_add_test(tc, test_no_lost_writes_async);
    tcase_add_test(tc, test_no_lost_writes_sync);
    tcase_add_test(tc, test_no_lost_writes_huge);
    tcase_add_test(tc, test_idle_only_page0);
    tcase_add_test(tc, test_pause_stops_guest);
    tcase_add_test(tc, test_cap_lowers_dirty_rate);
    tcase_add_test(tc, test_state_round_trip);
    tcase_add_test(tc, test_image_fill);
    tcase_add_test(tc, test_heap);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_unknown_domain);
    tcase_add_test(tc, test_name_taken);
    tcase_add_test(tc, test_bad_workload);
    tcase_add_test(tc, test_corrupt_state);
    tcase_add_test(tc, test_bad_image);
    tcase_add_test(tc, test_no_host);
    tcase_add_test(tc, test_bad_ram_dir);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sim_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
