/*
 * xen-backend-probe.c - drive the xen backend's source-side ops one at a
 * time, for tests/xen/test-backend-xen.sh (run in the rig's dom0). Built
 * with the Xen libraries only (HAVE_XEN). Every command prints what it
 * found as "key=value" words on one line and exits 0, or prints why not
 * on stderr and exits 1.
 *
 *   xen-backend-probe list             one line per domain: domid name
 *                                      nr_pfns vcpus flags cap type
 *                                      (pv, pvh or hvm)
 *   xen-backend-probe info DOM         the same for DOM (name or id)
 *   xen-backend-probe pause DOM | unpause DOM
 *   xen-backend-probe dirty DOM SECS   log-dirty on, CLEAN, wait SECS,
 *                                      CLEAN: dirty=N; log-dirty off
 *   xen-backend-probe checksum DOM PFN map PFN read-only twice: sum1 sum2
 *   xen-backend-probe types DOM        page types over all pfns: how
 *                                      many of each (l1..l4, pinned, xtab)
 *   xen-backend-probe normalise DOM    pause; map every page; in each
 *                                      page table every present PTE must
 *                                      hold a pfn < nr_pfns: tables=N
 *                                      bad=N; unpause
 *   xen-backend-probe state DOM        suspend, get_state of each kind,
 *                                      parse the libxc records, resume:
 *                                      config=T,T,.. vcpu=.. platform=..
 *   xen-backend-probe suspend-resume DOM
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "xc-format.h"

#define BATCH 1024

static void logfn(struct xm_logger *lg, enum xm_log_level level,
                  int errnoval, int domid, const char *fmt, va_list ap)
{
    fprintf(stderr, "probe: ");
    vfprintf(stderr, fmt, ap);
    if (errnoval >= 0)
        fprintf(stderr, ": %s", strerror(errnoval));
    fputc('\n', stderr);
}

static struct xm_logger lg = { .log = logfn, .min_level = XM_LOG_WARN };

static void print_info(const struct xm_domain_info *d)
{
    static const char *const types[] = {
        [XM_GUEST_PV] = "pv", [XM_GUEST_PVH] = "pvh", [XM_GUEST_HVM] = "hvm",
    };
    const char *type = d->guest_type < sizeof(types) / sizeof(types[0]) &&
                               types[d->guest_type]
                           ? types[d->guest_type]
                           : "?";

    printf("domid=%u name=%s nr_pfns=%llu vcpus=%u flags=%s%s%s cap=%u type=%s\n",
           d->domid, d->name, (unsigned long long)d->nr_pfns, d->nr_vcpus,
           d->flags & XM_DOMAIN_PAUSED ? "p" : "-",
           d->flags & XM_DOMAIN_SUSPENDED ? "s" : "-",
           d->flags & XM_DOMAIN_LOGDIRTY ? "l" : "-", d->cpu_cap, type);
}

static uint64_t fnv(const uint8_t *p)
{
    uint64_t h = 0xcbf29ce484222325ull;
    unsigned i;

    for (i = 0; i < XM_PAGE_SIZE; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int checksum(struct xm_backend *be, uint32_t d, uint64_t pfn,
                    uint64_t *sum_r)
{
    void *page, *h;
    int err, rc;

    rc = be->ops->map(be, d, &pfn, 1, false, &page, &err, &h);
    if (rc)
        return rc;
    if (err) {
        be->ops->unmap(be, h, 1);
        return err;
    }
    *sum_r = fnv(page);
    be->ops->unmap(be, h, 1);
    return 0;
}

/* Walk @len bytes of libxc records, printing their types after @label. */
static int parse_records(const char *label, const uint8_t *p, size_t len)
{
    size_t off = 0;
    const char *sep = "";

    printf("%s=", label);
    while (off < len) {
        struct xm_xc_rhdr rh;
        size_t body;

        if (len - off < sizeof(rh)) {
            fprintf(stderr, "probe: %s: short record header at %zu\n",
                    label, off);
            return -EINVAL;
        }
        memcpy(&rh, p + off, sizeof(rh));
        body = (rh.length + 7) & ~(size_t)7;
        if (len - off - sizeof(rh) < body) {
            fprintf(stderr, "probe: %s: record 0x%x of %u bytes at %zu overruns the blob (%zu)\n",
                    label, rh.type, rh.length, off, len);
            return -EINVAL;
        }
        printf("%s0x%x:%u", sep, rh.type, rh.length);
        sep = ",";
        off += sizeof(rh) + body;
    }
    printf(" ");
    return 0;
}

static int cmd_types(struct xm_backend *be, uint32_t d,
                     const struct xm_domain_info *info)
{
    static uint64_t pfns[BATCH];
    static uint32_t types[BATCH];
    uint64_t count[16] = { 0 }, pinned = 0, pfn;
    unsigned n, i;
    int rc;

    for (pfn = 0; pfn < info->nr_pfns; pfn += n) {
        n = info->nr_pfns - pfn < BATCH ? info->nr_pfns - pfn : BATCH;
        for (i = 0; i < n; i++)
            pfns[i] = pfn + i;
        rc = be->ops->page_types(be, d, pfns, n, types);
        if (rc)
            return rc;
        for (i = 0; i < n; i++) {
            uint32_t t = types[i];

            if (t >= XM_PAGE_LPINTAB && t <= (XM_PAGE_LPINTAB | 4)) {
                pinned++;
                t &= 7;
            }
            count[t & 15]++;
        }
    }
    printf("normal=%llu l1=%llu l2=%llu l3=%llu l4=%llu pinned=%llu "
           "broken=%llu xalloc=%llu xtab=%llu\n",
           (unsigned long long)count[0], (unsigned long long)count[1],
           (unsigned long long)count[2], (unsigned long long)count[3],
           (unsigned long long)count[4], (unsigned long long)pinned,
           (unsigned long long)count[XM_PAGE_BROKEN],
           (unsigned long long)count[XM_PAGE_XALLOC],
           (unsigned long long)count[XM_PAGE_XTAB]);
    return 0;
}

static int cmd_normalise(struct xm_backend *be, uint32_t d,
                         const struct xm_domain_info *info)
{
    static uint64_t pfns[BATCH];
    static uint32_t types[BATCH];
    static void *pages[BATCH];
    static int errs[BATCH];
    uint64_t tables = 0, bad = 0, ptes = 0, pfn;
    unsigned n, i, k;
    void *h;
    int rc;

    rc = be->ops->pause(be, d);
    if (rc)
        return rc;
    for (pfn = 0; pfn < info->nr_pfns && !rc; pfn += n) {
        n = info->nr_pfns - pfn < BATCH ? info->nr_pfns - pfn : BATCH;
        for (i = 0; i < n; i++)
            pfns[i] = pfn + i;
        rc = be->ops->page_types(be, d, pfns, n, types);
        if (!rc)
            rc = be->ops->map(be, d, pfns, n, false, pages, errs, &h);
        if (rc)
            break;
        for (i = 0; i < n; i++) {
            const uint64_t *pt = pages[i];
            unsigned lvl = types[i] & 7;

            if (errs[i]) {
                fprintf(stderr, "probe: pfn 0x%llx: %s\n",
                        (unsigned long long)pfns[i], strerror(-errs[i]));
                bad++;
                continue;
            }
            if (types[i] == XM_PAGE_XTAB || lvl < 1 || lvl > 4)
                continue;
            tables++;
            for (k = 0; k < 512; k++) {
                uint64_t f = (pt[k] & 0x000ffffffffff000ull) >> 12;

                if (!(pt[k] & 1))
                    continue;
                ptes++;
                if (f >= info->nr_pfns) {
                    if (bad < 5)
                        fprintf(stderr, "probe: L%u pfn 0x%llx [%u] = 0x%016llx: frame not a pfn\n",
                                lvl, (unsigned long long)pfns[i], k,
                                (unsigned long long)pt[k]);
                    bad++;
                }
            }
        }
        be->ops->unmap(be, h, n);
    }
    be->ops->unpause(be, d);
    if (rc)
        return rc;
    printf("tables=%llu present_ptes=%llu bad=%llu\n",
           (unsigned long long)tables, (unsigned long long)ptes,
           (unsigned long long)bad);
    return bad ? -ERANGE : 0;
}

static int cmd_state(struct xm_backend *be, uint32_t d)
{
    static const char *const label[] = { "config", "vcpu", "platform" };
    int rc, rc2, k;

    rc = be->ops->suspend(be, d);
    if (rc)
        return rc;
    for (k = XM_STATE_CONFIG; k <= XM_STATE_PLATFORM && !rc; k++) {
        void *blob = NULL;
        size_t len = 0;

        rc = be->ops->get_state(be, d, k, &blob, &len);
        if (!rc)
            rc = parse_records(label[k], blob, len);
        free(blob);
    }
    printf("\n");
    rc2 = be->ops->resume(be, d);
    return rc ? rc : rc2;
}

static int cmd_dirty(struct xm_backend *be, uint32_t d,
                     const struct xm_domain_info *info, unsigned secs)
{
    unsigned long *bm = calloc(info->nr_pfns / 8 + 16, 1);
    struct xm_domain_info during, after;
    uint64_t first = 0, dirty = 0;
    int rc;

    if (!bm)
        return -ENOMEM;
    rc = be->ops->logdirty_enable(be, d);
    if (rc)
        goto out;
    rc = be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm, info->nr_pfns,
                               &first);
    if (!rc)
        rc = be->ops->domain_info(be, d, &during);
    if (!rc) {
        sleep(secs);
        rc = be->ops->dirty_bitmap(be, d, XM_DIRTY_CLEAN, bm, info->nr_pfns,
                                   &dirty);
    }
    be->ops->logdirty_disable(be, d);
    if (!rc)
        rc = be->ops->domain_info(be, d, &after);
    if (!rc)
        printf("first=%llu dirty=%llu logdirty_during=%d logdirty_after=%d\n",
               (unsigned long long)first, (unsigned long long)dirty,
               !!(during.flags & XM_DOMAIN_LOGDIRTY),
               !!(after.flags & XM_DOMAIN_LOGDIRTY));
out:
    free(bm);
    return rc;
}

int main(int argc, char **argv)
{
    struct xm_backend *be = NULL;
    struct xm_domain_info info, *all = NULL;
    const char *cmd = argc > 1 ? argv[1] : "";
    uint32_t d = 0;
    unsigned n, i;
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: xen-backend-probe list|info|pause|unpause|dirty|checksum|types|normalise|state|suspend-resume [DOM [ARG]]\n");
        return 2;
    }
    rc = xm_backend_open("xen", NULL, &lg, &be);
    if (rc)
        return 1;
    if (strcmp(cmd, "list") == 0) {
        rc = be->ops->list(be, &all, &n);
        for (i = 0; !rc && i < n; i++)
            print_info(&all[i]);
        free(all);
        goto out;
    }
    if (argc < 3) {
        rc = -EINVAL;
        fprintf(stderr, "probe: %s needs a domain\n", cmd);
        goto out;
    }
    rc = xm_domain_lookup(be, argv[2], &d);
    if (!rc)
        rc = be->ops->domain_info(be, d, &info);
    if (rc)
        goto out;
    if (strcmp(cmd, "info") == 0) {
        print_info(&info);
    } else if (strcmp(cmd, "pause") == 0) {
        rc = be->ops->pause(be, d);
    } else if (strcmp(cmd, "unpause") == 0) {
        rc = be->ops->unpause(be, d);
    } else if (strcmp(cmd, "dirty") == 0) {
        rc = cmd_dirty(be, d, &info, argc > 3 ? atoi(argv[3]) : 2);
    } else if (strcmp(cmd, "checksum") == 0 && argc > 3) {
        uint64_t pfn = strtoull(argv[3], NULL, 0), s1 = 0, s2 = 0;

        rc = checksum(be, d, pfn, &s1);
        if (!rc)
            rc = checksum(be, d, pfn, &s2);
        if (!rc)
            printf("sum1=%016llx sum2=%016llx\n", (unsigned long long)s1,
                   (unsigned long long)s2);
    } else if (strcmp(cmd, "types") == 0) {
        rc = cmd_types(be, d, &info);
    } else if (strcmp(cmd, "normalise") == 0) {
        rc = cmd_normalise(be, d, &info);
    } else if (strcmp(cmd, "state") == 0) {
        rc = cmd_state(be, d);
    } else if (strcmp(cmd, "suspend-resume") == 0) {
        rc = be->ops->suspend(be, d);
        if (!rc)
            rc = be->ops->domain_info(be, d, &info);
        if (!rc)
            print_info(&info);
        if (!rc)
            rc = be->ops->resume(be, d);
    } else {
        rc = -EINVAL;
        fprintf(stderr, "probe: unknown command \"%s\"\n", cmd);
    }
out:
    if (rc)
        fprintf(stderr, "probe: %s failed: %s\n", cmd, strerror(-rc));
    xm_backend_close(be);
    return rc ? 1 : 0;
}
