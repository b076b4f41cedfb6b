/*
 * dirty.c - log-dirty for simulated guests, caught by the MMU: userfaultfd
 * write-protect on simd's shared mapping of the guest RAM memfd. The
 * workload never reports its writes.
 *
 * Entry points: sim_dirty_global_init() (choose the mode once),
 * sim_dirty_enable(), sim_dirty_read() (CLEAN or PEEK), sim_dirty_disable().
 *
 * Two modes (PLATFORM.md has the measurements):
 *   async  UFFD_FEATURE_WP_ASYNC: the kernel resolves a write fault itself
 *          by dropping the page's WP bit; PAGEMAP_SCAN with
 *          PM_SCAN_WP_MATCHING reports the written pages and re-protects
 *          them under the page table lock, which is SHADOW_OP_CLEAN.
 *   sync   a handler thread reads each WP fault, sets the page's bit and
 *          un-protects the page. CLEAN takes the bits and then re-protects
 *          those pages, both under dt->lock so the handler cannot slip in
 *          between; a write landing after the bits were taken but before
 *          the re-protection goes to a page the engine will read after
 *          CLEAN returns, so it is not lost.
 * Pages never populated are tracked too: on shmem UFFDIO_WRITEPROTECT puts
 * pte markers over empty entries (WP_UNPOPULATED asks for the same).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sim.h"

/*
 * Debian 12's 6.1 uapi headers predate these (kernel 6.4 / 6.7); values
 * from include/uapi/linux/userfaultfd.h and include/uapi/linux/fs.h.
 */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef PAGEMAP_SCAN
struct page_region {
    uint64_t start;               /* first byte of the run */
    uint64_t end;                 /* one past its last byte */
    uint64_t categories;          /* PAGE_IS_* of the run */
};
struct pm_scan_arg {
    uint64_t size;                /* sizeof(struct pm_scan_arg) */
    uint64_t flags;               /* PM_SCAN_* */
    uint64_t start;               /* range to scan */
    uint64_t end;
    uint64_t walk_end;            /* out: where the scan stopped */
    uint64_t vec;                 /* struct page_region[] out */
    uint64_t vec_len;             /* its entries */
    uint64_t max_pages;           /* 0: no limit */
    uint64_t category_inverted;   /* categories that match when 0 */
    uint64_t category_mask;       /* all of these must match */
    uint64_t category_anyof_mask; /* one of these must match */
    uint64_t return_mask;         /* categories to report */
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN (1 << 1)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#endif

#define PAGE XM_PAGE_SIZE
#define BPL (8 * sizeof(unsigned long))

static enum sim_dirty_mode global_mode = SIM_DIRTY_SYNC;

const char *sim_dirty_mode_name(enum sim_dirty_mode mode)
{
    return mode == SIM_DIRTY_ASYNC ? "async" : "sync";
}

enum sim_dirty_mode sim_dirty_global_mode(void)
{
    return global_mode;
}

/* A userfaultfd with @features for WP on [base, base+len), or -errno. */
static int uffd_open_wp(uint8_t *base, uint64_t len, uint64_t features,
                        const char **what_r)
{
    struct uffdio_api api = { .api = UFFD_API, .features = features };
    struct uffdio_register reg = {
        .range = { .start = (uintptr_t)base, .len = len },
        .mode = UFFDIO_REGISTER_MODE_WP,
    };
    struct uffdio_writeprotect wp = {
        .range = { .start = (uintptr_t)base, .len = len },
        .mode = UFFDIO_WRITEPROTECT_MODE_WP,
    };
    int fd, rc;

    fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        *what_r = "userfaultfd";
        return -errno;
    }
    if (ioctl(fd, UFFDIO_API, &api) < 0) {
        *what_r = "UFFDIO_API";
        goto fail;
    }
    if (ioctl(fd, UFFDIO_REGISTER, &reg) < 0) {
        *what_r = "UFFDIO_REGISTER";
        goto fail;
    }
    if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp) < 0) {
        *what_r = "UFFDIO_WRITEPROTECT";
        goto fail;
    }
    return fd;

fail:
    rc = -errno;
    close(fd);
    return rc;
}

/* Scan [base, base+len) for written pages into @out (async mode). */
static int scan_written(int pagemap_fd, uint8_t *base, uint64_t nr_pfns,
                        bool clean, unsigned long *out, uint64_t nr_bits,
                        uint64_t *count_r)
{
    struct page_region vec[256];
    struct pm_scan_arg arg;
    uint64_t end = (uintptr_t)base + nr_pfns * PAGE, count = 0, pfn, last;
    long r, i;

    memset(&arg, 0, sizeof(arg));
    arg.size = sizeof(arg);
    arg.flags = PM_SCAN_CHECK_WPASYNC | (clean ? PM_SCAN_WP_MATCHING : 0);
    arg.start = (uintptr_t)base;
    arg.end = end;
    arg.vec = (uintptr_t)vec;
    arg.vec_len = sizeof(vec) / sizeof(vec[0]);
    arg.category_mask = PAGE_IS_WRITTEN;
    arg.return_mask = PAGE_IS_WRITTEN;
    for (;;) {
        r = ioctl(pagemap_fd, PAGEMAP_SCAN, &arg);
        if (r < 0)
            return -errno;
        for (i = 0; i < r; i++) {
            pfn = (vec[i].start - (uintptr_t)base) / PAGE;
            last = (vec[i].end - (uintptr_t)base) / PAGE;
            for (; pfn < last; pfn++) {
                if (pfn < nr_bits) {
                    out[pfn / BPL] |= 1ul << (pfn % BPL);
                    count++;
                }
            }
        }
        if (arg.walk_end >= end)
            break;
        arg.start = arg.walk_end;
    }
    *count_r = count;
    return 0;
}

/*
 * Does async WP work here? Protect 4 pages (two never touched), write
 * pages 1 and 2, and expect exactly those reported, then nothing.
 */
static bool probe_async(void)
{
    unsigned long bits = 0;
    uint64_t count = 0;
    uint8_t *p = MAP_FAILED;
    const char *what;
    int mfd = -1, uffd = -1, pmfd = -1;
    bool ok = false;

    mfd = memfd_create("xenmig-probe", MFD_CLOEXEC);
    if (mfd < 0 || ftruncate(mfd, 4 * PAGE) < 0)
        goto out;
    p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    if (p == MAP_FAILED)
        goto out;
    p[0] = 1;
    p[PAGE] = 1;
    uffd = uffd_open_wp(p, 4 * PAGE,
                        UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED |
                            UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
                        &what);
    if (uffd < 0) {
        sim_log("async dirty tracking unavailable: %s: %s", what,
                strerror(-uffd));
        goto out;
    }
    pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pmfd < 0)
        goto out;
    p[PAGE] = 2;
    p[2 * PAGE] = 2;
    if (scan_written(pmfd, p, 4, true, &bits, 4, &count) < 0) {
        sim_log("async dirty tracking unavailable: PAGEMAP_SCAN: %s",
                strerror(errno));
        goto out;
    }
    if (bits != 0x6) {
        sim_log("async dirty tracking misreports (0x%lx), not using it",
                bits);
        goto out;
    }
    bits = 0;
    if (scan_written(pmfd, p, 4, true, &bits, 4, &count) < 0 || bits)
        goto out;
    ok = true;

out:
    if (pmfd >= 0)
        close(pmfd);
    if (uffd >= 0)
        close(uffd);
    if (p != MAP_FAILED)
        munmap(p, 4 * PAGE);
    if (mfd >= 0)
        close(mfd);
    return ok;
}

int sim_dirty_global_init(void)
{
    const char *force = getenv("XENMIG_SIM_DIRTY");
    bool async_ok = probe_async();

    if (force && *force) {
        if (strcmp(force, "sync") == 0) {
            global_mode = SIM_DIRTY_SYNC;
        } else if (strcmp(force, "async") == 0) {
            if (!async_ok) {
                sim_log("XENMIG_SIM_DIRTY=async but this kernel refuses "
                        "asynchronous write-protect");
                return -EOPNOTSUPP;
            }
            global_mode = SIM_DIRTY_ASYNC;
        } else {
            sim_log("bad XENMIG_SIM_DIRTY \"%s\" (want sync or async)",
                    force);
            return -EINVAL;
        }
    } else {
        global_mode = async_ok ? SIM_DIRTY_ASYNC : SIM_DIRTY_SYNC;
    }
    sim_log("dirty tracking: %s (userfaultfd write-protect%s)",
            sim_dirty_mode_name(global_mode),
            global_mode == SIM_DIRTY_ASYNC ? " + PAGEMAP_SCAN"
                                           : ", fault handler thread");
    return 0;
}

void sim_dirty_init(struct sim_dirty *dt)
{
    memset(dt, 0, sizeof(*dt));
    dt->uffd = -1;
    dt->pagemap_fd = -1;
    dt->stop_fd = -1;
    pthread_mutex_init(&dt->lock, NULL);
}

/* Sync mode: set the bit of each WP fault and let the writer go on. */
static void *handler_main(void *arg)
{
    struct sim_dirty *dt = arg;
    struct uffd_msg msgs[32];
    struct pollfd pfd[2] = {
        { .fd = dt->uffd, .events = POLLIN },
        { .fd = dt->stop_fd, .events = POLLIN },
    };
    struct uffdio_writeprotect wp;
    uint64_t addr, pfn;
    ssize_t r;
    int i;

    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            sim_log("dirty handler: poll: %s", strerror(errno));
            break;
        }
        if (pfd[1].revents)
            break;
        r = read(dt->uffd, msgs, sizeof(msgs));
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            sim_log("dirty handler: read: %s", strerror(errno));
            break;
        }
        for (i = 0; i < (int)(r / sizeof(msgs[0])); i++) {
            if (msgs[i].event != UFFD_EVENT_PAGEFAULT ||
                !(msgs[i].arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
                continue;
            addr = msgs[i].arg.pagefault.address & ~(uint64_t)(PAGE - 1);
            pfn = (addr - (uintptr_t)dt->base) / PAGE;
            pthread_mutex_lock(&dt->lock);
            if (pfn < dt->nr_pfns)
                dt->bitmap[pfn / BPL] |= 1ul << (pfn % BPL);
            wp.range.start = addr;
            wp.range.len = PAGE;
            wp.mode = 0; /* un-protect and wake the writer */
            if (ioctl(dt->uffd, UFFDIO_WRITEPROTECT, &wp) < 0 &&
                errno != ENOENT)
                sim_log("dirty handler: un-protect pfn 0x%llx: %s",
                        (unsigned long long)pfn, strerror(errno));
            pthread_mutex_unlock(&dt->lock);
        }
    }
    return NULL;
}

int sim_dirty_enable(struct sim_dirty *dt, uint8_t *base, uint64_t nr_pfns,
                     struct sim_err *err)
{
    uint64_t len = nr_pfns * PAGE;
    const char *what = "";
    int rc;

    if (dt->enabled)
        return 0; /* Xen answers EBUSY; enabling twice is harmless here */
    dt->mode = global_mode;
    dt->base = base;
    dt->nr_pfns = nr_pfns;
    if (dt->mode == SIM_DIRTY_ASYNC) {
        dt->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        if (dt->pagemap_fd < 0) {
            rc = sim_fail(err, -errno, "cannot open /proc/self/pagemap: %s",
                          strerror(errno));
            goto fail;
        }
        dt->uffd = uffd_open_wp(base, len,
                                UFFD_FEATURE_WP_ASYNC |
                                    UFFD_FEATURE_WP_UNPOPULATED |
                                    UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
                                &what);
    } else {
        dt->bitmap = calloc((nr_pfns + BPL - 1) / BPL, sizeof(long));
        if (!dt->bitmap) {
            rc = sim_fail(err, -ENOMEM, "no memory for a dirty bitmap");
            goto fail;
        }
        dt->uffd = uffd_open_wp(base, len,
                                UFFD_FEATURE_WP_UNPOPULATED |
                                    UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
                                &what);
        if (dt->uffd == -EINVAL) {
            /* pre-6.4: no WP_UNPOPULATED, so populate every page first */
            if (madvise(base, len, MADV_POPULATE_WRITE) == 0)
                dt->uffd = uffd_open_wp(base, len,
                                        UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
                                        &what);
        }
    }
    if (dt->uffd < 0) {
        rc = sim_fail(err, dt->uffd, "cannot write-protect guest RAM: %s: %s",
                      what, strerror(-dt->uffd));
        goto fail;
    }
    if (dt->mode == SIM_DIRTY_SYNC) {
        dt->stop_fd = eventfd(0, EFD_CLOEXEC);
        if (dt->stop_fd < 0) {
            rc = sim_fail(err, -errno, "eventfd: %s", strerror(errno));
            goto fail;
        }
        rc = -pthread_create(&dt->handler, NULL, handler_main, dt);
        if (rc) {
            sim_fail(err, rc, "cannot start the dirty handler: %s",
                     strerror(-rc));
            goto fail;
        }
        dt->handler_running = true;
    }
    dt->enabled = true;
    return 0;

fail:
    dt->enabled = true; /* so that disable() releases what we have */
    sim_dirty_disable(dt);
    return rc;
}

void sim_dirty_disable(struct sim_dirty *dt)
{
    struct uffdio_writeprotect wp;
    struct uffdio_range range;
    uint64_t one = 1;

    if (!dt->enabled)
        return;
    if (dt->uffd >= 0) {
        /* drop the protection, which also wakes a writer in a fault */
        wp.range.start = (uintptr_t)dt->base;
        wp.range.len = dt->nr_pfns * PAGE;
        wp.mode = 0;
        pthread_mutex_lock(&dt->lock);
        if (ioctl(dt->uffd, UFFDIO_WRITEPROTECT, &wp) < 0)
            sim_log("un-protect guest RAM: %s", strerror(errno));
        pthread_mutex_unlock(&dt->lock);
        range = wp.range;
        if (ioctl(dt->uffd, UFFDIO_UNREGISTER, &range) < 0)
            sim_log("UFFDIO_UNREGISTER: %s", strerror(errno));
    }
    if (dt->handler_running) {
        if (write(dt->stop_fd, &one, sizeof(one)) != sizeof(one))
            sim_log("cannot stop the dirty handler: %s", strerror(errno));
        pthread_join(dt->handler, NULL);
        dt->handler_running = false;
    }
    if (dt->stop_fd >= 0)
        close(dt->stop_fd);
    if (dt->uffd >= 0)
        close(dt->uffd);
    if (dt->pagemap_fd >= 0)
        close(dt->pagemap_fd);
    free(dt->bitmap);
    dt->bitmap = NULL;
    dt->stop_fd = dt->uffd = dt->pagemap_fd = -1;
    dt->enabled = false;
}

/* Sync mode: take the bits, then re-protect their pages (dt->lock held). */
static int sync_read(struct sim_dirty *dt, bool clean, unsigned long *out,
                     uint64_t nr_bits, uint64_t *count_r)
{
    uint64_t words = (dt->nr_pfns + BPL - 1) / BPL, w, pfn, run, count = 0;
    struct uffdio_writeprotect wp;
    int rc = 0;

    for (w = 0; w < words; w++) {
        if (!dt->bitmap[w])
            continue;
        for (pfn = w * BPL; pfn < (w + 1) * BPL && pfn < dt->nr_pfns;
             pfn++) {
            if ((dt->bitmap[w] >> (pfn % BPL)) & 1 && pfn < nr_bits) {
                out[pfn / BPL] |= 1ul << (pfn % BPL);
                count++;
            }
        }
    }
    *count_r = count;
    if (!clean)
        return 0;
    /* re-protect each run of dirty pages, clearing its bits */
    for (pfn = 0; pfn < dt->nr_pfns;) {
        if (!dt->bitmap[pfn / BPL]) {
            pfn = (pfn / BPL + 1) * BPL;
            continue;
        }
        if (!((dt->bitmap[pfn / BPL] >> (pfn % BPL)) & 1)) {
            pfn++;
            continue;
        }
        for (run = pfn; run < dt->nr_pfns &&
                        (dt->bitmap[run / BPL] >> (run % BPL)) & 1;
             run++)
            dt->bitmap[run / BPL] &= ~(1ul << (run % BPL));
        wp.range.start = (uintptr_t)dt->base + pfn * PAGE;
        wp.range.len = (run - pfn) * PAGE;
        wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
        if (ioctl(dt->uffd, UFFDIO_WRITEPROTECT, &wp) < 0 && !rc)
            rc = -errno;
        pfn = run;
    }
    return rc;
}

int sim_dirty_read(struct sim_dirty *dt, bool clean, unsigned long *out,
                   uint64_t nr_bits, uint64_t *count_r, struct sim_err *err)
{
    int rc;

    memset(out, 0, (nr_bits + BPL - 1) / BPL * sizeof(long));
    *count_r = 0;
    if (!dt->enabled)
        return sim_fail(err, -EINVAL, "log-dirty mode is off");
    if (dt->mode == SIM_DIRTY_ASYNC) {
        rc = scan_written(dt->pagemap_fd, dt->base, dt->nr_pfns, clean, out,
                          nr_bits, count_r);
        if (rc)
            return sim_fail(err, rc, "PAGEMAP_SCAN: %s", strerror(-rc));
        return 0;
    }
    pthread_mutex_lock(&dt->lock);
    rc = sync_read(dt, clean, out, nr_bits, count_r);
    pthread_mutex_unlock(&dt->lock);
    if (rc)
        return sim_fail(err, rc, "re-protecting dirty pages: %s",
                        strerror(-rc));
    return 0;
}
