/*
 * backend-xen.c - the backend ops on a real Xen 4.17 hypervisor, through
 * libxenctrl, libxenguest, libxenforeignmemory, libxenstore and libxl.
 *
 * Entry point: xm_backend_xen_ops. Built only when the Xen libraries are
 * installed (HAVE_XEN); backend.c picks it in a Xen dom0.
 *
 * Source side, 64-bit PV guests and PVH guests (HVM with a device model
 * is refused: its emulator's state is not ours to carry):
 *   domain_info  loads the guest's p2m (pfn -> mfn), mapped read-only from
 *                the frames shared_info points at, exactly as libxc's PV
 *                save finds it (linear list under p2m_cr3, else the
 *                3-level frame-list tree), and Xen's m2p (mfn -> pfn).
 *                nr_pfns is libxc's p2m_size: shared_info's max_pfn,
 *                less any all-empty tail of the p2m tree.
 *   map          translates pfns to mfns through that p2m, maps them with
 *                one xenforeignmemory_map(); page-table pages (L1-L4) are
 *                handed out as private normalised copies (every present
 *                PTE's mfn replaced by its pfn, Xen's own slots cleared),
 *                pages without content (holes) as a shared zero page.
 *   suspend      libxl_domain_suspend_only() (the guest's cooperative
 *                suspend, bounded by libxl's own timeout), then checks the
 *                domain is shut down for suspend and reloads the p2m.
 *   get_state    standard libxc v3 records (xc-format.h), see get_state().
 * A PVH guest is simpler: Xen translates its pfns itself, so there is no
 * p2m to read, pages are mapped by pfn and sent as they are (no page
 * tables to normalise), pfns 0 .. its highest gpfn are sent (unpopulated
 * ones are holes, XTAB), and its state is Xen's HVM context and params.
 * Receiver side: see the block before xen_create().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenguest.h>
#include <xenstore.h>
#include <xentoollog.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <xen/hvm/params.h>

#include "backend.h"
#include "private.h"
#include "xc-format.h"
#include "xc-stream.h"
#include "xen-restore.h"

#define PAGE XM_PAGE_SIZE
#define BPL (8 * sizeof(unsigned long))
#define PTES_PER_PAGE 512
/* Entries of a 64-bit guest's p2m per page: pfns per p2m frame. */
#define FPP (PAGE / 8)
/* A PTE's frame number (bits 12-51). */
#define PTE_FRAME_MASK 0x000ffffffffff000ull
#define PTE_PRESENT 0x1ull
#define PTE_PSE 0x80ull
/*
 * The L4 slots Xen keeps for itself in a 64-bit PV guest (256-272, from
 * HYPERVISOR_VIRT_START/END): cleared on the wire, Xen fills them again
 * on the destination, as libxc does.
 */
#define L4_XEN_FIRST ((0xFFFF800000000000ull >> 39) & 511)
#define L4_XEN_LAST ((0xFFFF880000000000ull >> 39) & 511)
#define INVALID_P2M (~0ull)
/* After a suspend libxl gave up on: how long a guest that took the
 * request may still take to suspend before we stop waiting to resume it */
#define XEN_LATE_SUSPEND_MS 30000u
/* Getting the types of at most this many frames in one domctl. */
#define TYPES_BATCH 1024

/* xentoollog logger forwarding to our xm_logger. */
struct xtl_fwd {
    xentoollog_logger vtable;     /* must be first: libxl calls through it */
    struct xm_logger *lg;         /* where messages go */
};

/*
 * The p2m and state of the one domain this instance works on: a PV one
 * (p2m != NULL), or a PVH one (hvm: pfns are gfns, no p2m).
 */
struct pv_dom {
    uint32_t domid;               /* whose; valid only if p2m or hvm */
    bool hvm;                     /* PVH: Xen translates, no p2m below */
    shared_info_t *shinfo;        /* its shared info page, read-only */
    uint64_t max_pfn;             /* last pfn: p2m_size - 1 */
    uint64_t *p2m;                /* the p2m leaves, mapped read-only */
    unsigned p2m_frames;          /* pages in p2m */
    uint64_t *p2m_pfns;           /* the pfns of those pages */
    bool p2m_list;                /* linear list (p2m_cr3), else tree */
    uint64_t p2m_gen;             /* p2m_generation when loaded */
    bool frozen;                  /* suspended by us: the final pass */
    unsigned long *deferred;      /* pages to send again (see map()) */
    uint64_t nr_deferred;         /* bits set in deferred */
};

/* A domain being restored through xen-restore.c (the receiver). */
struct incoming {
    struct incoming *next;        /* the list in xen_backend */
    uint32_t domid;               /* the new domain */
    struct xm_xen_restore *r;     /* the stream into libxl */
    bool committed;               /* built, paused: ours to destroy now */
    int err;                      /* first error of an unmap() */
    uint64_t *words;              /* a batch's pfn | type << 60 */
    void *buf;                    /* a batch's pages: kept, not freed */
    unsigned cap;                 /* pages buf holds */
    bool busy;                    /* a map() holds buf */
};

/* What one map() handed out. */
struct map_handle {
    void *base;                   /* the foreign mapping, or NULL */
    unsigned nr_mapped;           /* its pages */
    struct incoming *in;          /* receiver: whose pages these are */
    uint64_t *words;              /* receiver: pfn | type << 60 (in's) */
    void *buf;                    /* receiver: the pages, zeroed (in's) */
    unsigned n;                   /* entries in copies */
    void *copies[];               /* private pages to free, or NULL */
};

struct xen_backend {
    struct xm_backend be;         /* must be first */
    struct xtl_fwd xtl;           /* logger for libxc/libxl */
    xc_interface *xch;            /* hypercalls */
    xenforeignmemory_handle *fmem; /* foreign mappings */
    struct xs_handle *xsh;        /* xenstore */
    libxl_ctx *ctx;               /* libxl */
    uint64_t *m2p;                /* Xen's machine-to-phys table */
    size_t m2p_pages;             /* its mapped pages */
    uint64_t max_mfn;             /* highest mfn of the host */
    struct pv_dom pv;             /* the domain being sent */
    void *zero_page;              /* shared zeroes for holes */
    /* the last page_types() answer, which map() reuses */
    uint32_t types_domid;         /* whose */
    unsigned types_n;             /* entries, 0: none */
    uint64_t types_pfns[TYPES_BATCH]; /* asked for */
    uint32_t types[TYPES_BATCH];  /* answered (enum xm_page_type) */
    uint64_t types_mfns[TYPES_BATCH]; /* mfns they were asked for */
    struct incoming *in;          /* domains being restored (receiver) */
    uint32_t hv_version;          /* Xen's major << 16 | minor */
};

static struct xen_backend *to_xen(struct xm_backend *be)
{
    return (struct xen_backend *)be;
}

/* ---- logging ------------------------------------------------------------ */

static void xtl_vmessage(xentoollog_logger *logger, xentoollog_level level,
                         int errnoval, const char *context,
                         const char *format, va_list al)
{
    struct xtl_fwd *f = (struct xtl_fwd *)logger;
    enum xm_log_level l = xm_xen_log_level(level);

    if (!f->lg || !f->lg->log || l < f->lg->min_level)
        return;
    f->lg->log(f->lg, l, errnoval, -1, format, al);
}

static void xtl_destroy(xentoollog_logger *logger)
{
    /* embedded in struct xen_backend: nothing to free */
}

/* ---- open / close ------------------------------------------------------- */

static void pv_drop(struct xen_backend *x);
static void incoming_drop(struct xen_backend *x, struct incoming *in);


static void xen_close(struct xm_backend *be)
{
    struct xen_backend *x = to_xen(be);

    if (!be)
        return;
    while (x->in)
        incoming_drop(x, x->in);
    pv_drop(x);
    if (x->m2p)
        xenforeignmemory_unmap(x->fmem, x->m2p, x->m2p_pages);
    if (x->zero_page)
        munmap(x->zero_page, PAGE);
    xm_xen_libxl_close(x->ctx);
    if (x->xsh)
        xs_close(x->xsh);
    if (x->fmem)
        xenforeignmemory_close(x->fmem);
    if (x->xch)
        xc_interface_close(x->xch);
    free(x);
}

static int xen_open(const char *address, struct xm_logger *lg,
                    struct xm_backend **be_r)
{
    struct xen_backend *x = calloc(1, sizeof(*x));
    int rc;

    if (!x) {
        LOG(lg, XM_LOG_ERROR, "out of memory opening the xen backend");
        return -ENOMEM;
    }
    x->be.ops = &xm_backend_xen_ops;
    x->be.lg = lg;
    x->xtl.vtable.vmessage = xtl_vmessage;
    x->xtl.vtable.destroy = xtl_destroy;
    x->xtl.lg = lg;
    x->xch = xc_interface_open(&x->xtl.vtable, &x->xtl.vtable, 0);
    if (!x->xch) {
        rc = errno ? -errno : -EACCES;
        LOGE(lg, XM_LOG_ERROR, rc,
             "cannot open the hypervisor interface (is this a Xen dom0, and are we root?)");
        goto fail;
    }
    x->fmem = xenforeignmemory_open(&x->xtl.vtable, 0);
    if (!x->fmem) {
        rc = errno ? -errno : -EACCES;
        LOGE(lg, XM_LOG_ERROR, rc, "cannot open xenforeignmemory");
        goto fail;
    }
    x->xsh = xs_open(0);
    if (!x->xsh) {
        rc = errno ? -errno : -ECONNREFUSED;
        LOGE(lg, XM_LOG_ERROR, rc, "cannot connect to xenstore");
        goto fail;
    }
    /* a ctx whose failures xen-restore.c can name, children reaped apart */
    rc = xm_xen_libxl_open(lg, &x->ctx);
    if (rc)
        goto fail;
    x->hv_version = (uint32_t)xc_version(x->xch, XENVER_version, NULL);
    x->zero_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    if (x->zero_page == MAP_FAILED) {
        x->zero_page = NULL;
        rc = -ENOMEM;
        LOG(lg, XM_LOG_ERROR, "out of memory opening the xen backend");
        goto fail;
    }
    *be_r = &x->be;
    return 0;

fail:
    xen_close(&x->be);
    return rc;
}

/* ---- domain information ------------------------------------------------- */

static int getinfo(struct xen_backend *x, uint32_t domid,
                   xc_domaininfo_t *di)
{
    int r = xc_domain_getinfolist(x->xch, domid, 1, di);

    if (r < 0)
        return -errno;
    if (r != 1 || di->domain != domid)
        return -ESRCH;
    return 0;
}

static bool is_pv(const xc_domaininfo_t *di)
{
    return !(di->flags & XEN_DOMINF_hvm_guest);
}

static bool suspended(const xc_domaininfo_t *di)
{
    return (di->flags & XEN_DOMINF_shutdown) &&
           ((di->flags >> XEN_DOMINF_shutdownshift) &
            XEN_DOMINF_shutdownmask) == SHUTDOWN_suspend;
}

/*
 * XM_GUEST_PV, _PVH or _HVM. Xen flags PVH and HVM alike as hvm_guest;
 * libxl keeps the type it built in /libxl/<domid>/type, as its own
 * libxl__domain_type() reads it.
 */
static uint32_t guest_type(struct xen_backend *x, const xc_domaininfo_t *di)
{
    char path[64], *v;
    unsigned len = 0;
    bool pvh;

    if (is_pv(di))
        return XM_GUEST_PV;
    snprintf(path, sizeof(path), "/libxl/%u/type", di->domain);
    v = xs_read(x->xsh, XBT_NULL, path, &len);
    pvh = v && strcmp(v, "pvh") == 0;
    free(v);
    return pvh ? XM_GUEST_PVH : XM_GUEST_HVM;
}

/*
 * Is log-dirty mode on? Xen has no query for it: PEEK succeeds with it
 * off, and the shadow pool a PV guest gets for it stays after it is
 * turned off. So we note it in xenstore, next to libxl's own notes on
 * the domain (which libxl removes with the domain): a sender killed
 * mid-migration leaves the note for 'xenmig recover' to find.
 */
static void logdirty_path(uint32_t domid, char *path, size_t len)
{
    snprintf(path, len, "/libxl/%u/xenmig-logdirty", domid);
}

static bool logdirty_on(struct xen_backend *x, uint32_t domid)
{
    char path[64];
    unsigned len = 0;
    void *v;

    logdirty_path(domid, path, sizeof(path));
    v = xs_read(x->xsh, XBT_NULL, path, &len);
    free(v);
    return v != NULL;
}

static void logdirty_note(struct xen_backend *x, uint32_t domid, bool on)
{
    char path[64];

    logdirty_path(domid, path, sizeof(path));
    if (on ? !xs_write(x->xsh, XBT_NULL, path, "1", 1)
           : !xs_rm(x->xsh, XBT_NULL, path) && errno != ENOENT)
        LOGED(x->be.lg, XM_LOG_WARN, errno, domid,
              "cannot note in xenstore that log-dirty mode is %s on domain %u",
              on ? "on" : "off", domid);
}

/*
 * Pages of a domain for list(): a PV guest's shared_info max_pfn (what
 * domain_info() says unless the p2m's tail is empty), else the highest
 * gpfn + 1.
 */
static uint64_t quick_nr_pfns(struct xen_backend *x,
                              const xc_domaininfo_t *di)
{
    xen_pfn_t gpfn = 0;
    uint64_t n = 0;

    if (is_pv(di)) {
        xen_pfn_t mfn = di->shared_info_frame;
        shared_info_t *s = xenforeignmemory_map(x->fmem, di->domain,
                                                PROT_READ, 1, &mfn, NULL);

        if (s) {
            n = s->arch.max_pfn;
            xenforeignmemory_unmap(x->fmem, s, 1);
        }
        return n;
    }
    if (xc_domain_maximum_gpfn(x->xch, di->domain, &gpfn) >= 0)
        n = gpfn + 1;
    return n;
}

/* Is @domid being restored by this instance and not committed yet? */
static bool incoming_flag(struct xen_backend *x, uint32_t domid)
{
    struct incoming *in;

    for (in = x->in; in; in = in->next)
        if (in->domid == domid)
            return !in->committed;
    return false;
}

static void info_from(struct xen_backend *x, const xc_domaininfo_t *di,
                      struct xm_domain_info *info)
{
    char *name = libxl_domid_to_name(x->ctx, di->domain);

    memset(info, 0, sizeof(*info));
    info->domid = di->domain;
    snprintf(info->name, sizeof(info->name), "%s", name ? name : "");
    free(name);
    info->nr_vcpus = di->max_vcpu_id + 1;
    info->cpu_time_ns = di->cpu_time;
    info->hv_version = x->hv_version;
    info->guest_type = guest_type(x, di);
    if (di->flags & XEN_DOMINF_paused)
        info->flags |= XM_DOMAIN_PAUSED;
    if (suspended(di))
        info->flags |= XM_DOMAIN_SUSPENDED;
}

static int xen_list(struct xm_backend *be, struct xm_domain_info **infos_r,
                    unsigned *n_r)
{
    struct xen_backend *x = to_xen(be);
    xc_domaininfo_t *di;
    struct xm_domain_info *infos;
    unsigned max = 1024, n = 0;
    int r, i;

    di = calloc(max, sizeof(*di));
    infos = calloc(max, sizeof(*infos));
    if (!di || !infos) {
        free(di);
        free(infos);
        LOG(be->lg, XM_LOG_ERROR, "out of memory listing domains");
        return -ENOMEM;
    }
    r = xc_domain_getinfolist(x->xch, 1, max, di);
    if (r < 0) {
        r = -errno;
        LOGE(be->lg, XM_LOG_ERROR, r, "cannot list the domains");
        free(di);
        free(infos);
        return r;
    }
    for (i = 0; i < r; i++) {
        if (di[i].flags & XEN_DOMINF_dying)
            continue;
        info_from(x, &di[i], &infos[n]);
        if (incoming_flag(x, di[i].domain))
            infos[n].flags |= XM_DOMAIN_INCOMING;
        infos[n].nr_pfns = quick_nr_pfns(x, &di[i]);
        if ((x->pv.p2m || x->pv.hvm) && x->pv.domid == di[i].domain)
            infos[n].nr_pfns = x->pv.max_pfn + 1;
        n++;
    }
    free(di);
    *infos_r = infos;
    *n_r = n;
    return 0;
}

/* ---- the guest's p2m ---------------------------------------------------- */

/* Map Xen's m2p table (read-only, shared by all guests) once. */
static int map_m2p(struct xen_backend *x)
{
    unsigned long max_mfn;
    unsigned chunks, i, j;
    xen_pfn_t *extents = NULL, *mfns = NULL;
    int rc;

    if (x->m2p)
        return 0;
    if (xc_maximum_ram_page(x->xch, &max_mfn) < 0) {
        rc = -errno;
        LOGE(x->be.lg, XM_LOG_ERROR, rc, "cannot read the host's highest mfn");
        return rc;
    }
    /* the m2p comes in 2 MiB extents of 512 frames */
    chunks = (unsigned)(((uint64_t)(max_mfn + 1) * 8 + (1u << 21) - 1) >> 21);
    extents = calloc(chunks, sizeof(*extents));
    mfns = calloc((size_t)chunks * 512, sizeof(*mfns));
    if (!extents || !mfns) {
        rc = -ENOMEM;
        LOG(x->be.lg, XM_LOG_ERROR, "out of memory for the m2p table");
        goto out;
    }
    if (xc_machphys_mfn_list(x->xch, chunks, extents)) {
        rc = -errno;
        LOGE(x->be.lg, XM_LOG_ERROR, rc, "cannot read the m2p frame list");
        goto out;
    }
    for (i = 0; i < chunks; i++)
        for (j = 0; j < 512; j++)
            mfns[i * 512 + j] = extents[i] + j;
    x->m2p = xenforeignmemory_map(x->fmem, DOMID_XEN, PROT_READ,
                                  (size_t)chunks * 512, mfns, NULL);
    if (!x->m2p) {
        rc = -errno;
        LOGE(x->be.lg, XM_LOG_ERROR, rc, "cannot map the m2p table");
        goto out;
    }
    x->m2p_pages = (size_t)chunks * 512;
    x->max_mfn = max_mfn;
    rc = 0;
out:
    free(extents);
    free(mfns);
    return rc;
}

/* The frame Xen knows @pfn by: its mfn (PV), itself (PVH: a gfn). */
static uint64_t pfn_to_mfn(const struct pv_dom *pv, uint64_t pfn)
{
    if (pfn > pv->max_pfn)
        return INVALID_P2M;
    return pv->hvm ? pfn : pv->p2m[pfn];
}

/* Can @frame (from pfn_to_mfn()) be a page of the guest? */
static bool frame_valid(const struct xen_backend *x, uint64_t frame)
{
    return frame != INVALID_P2M && (x->pv.hvm || frame <= x->max_mfn);
}

/*
 * The pfn of @mfn if it belongs to the guest: Xen's m2p and the guest's
 * p2m must agree (libxc's "in pseudophysmap" test); else false.
 */
static bool mfn_to_pfn(const struct xen_backend *x, uint64_t mfn,
                       uint64_t *pfn_r)
{
    uint64_t pfn;

    if (mfn > x->max_mfn || mfn >= x->m2p_pages * (PAGE / 8))
        return false;
    pfn = x->m2p[mfn];
    if (pfn > x->pv.max_pfn || x->pv.p2m[pfn] != mfn)
        return false;
    *pfn_r = pfn;
    return true;
}

static void pv_drop(struct xen_backend *x)
{
    struct pv_dom *pv = &x->pv;

    if (pv->p2m)
        xenforeignmemory_unmap(x->fmem, pv->p2m, pv->p2m_frames);
    if (pv->shinfo)
        xenforeignmemory_unmap(x->fmem, pv->shinfo, 1);
    free(pv->p2m_pfns);
    free(pv->deferred);
    memset(pv, 0, sizeof(*pv));
    x->types_n = 0;
}

/* Map @n frames read-only; the error is logged naming @what. */
static void *map_frames(struct xen_backend *x, uint32_t domid,
                        const uint64_t *mfns, unsigned n, const char *what)
{
    void *p = xenforeignmemory_map(x->fmem, domid, PROT_READ, n,
                                   (const xen_pfn_t *)mfns, NULL);

    if (!p)
        LOGED(x->be.lg, XM_LOG_ERROR, errno, domid,
              "cannot map the %s of domain %u (%u frames)", what, domid, n);
    return p;
}

/*
 * The start of the run of equal entries that ends @v[0..n-1]; n if the
 * last entry differs from the one before it (or n < 2). Trailing p2m
 * entries that all point at one frame are the guest's shared "missing"
 * page, not real p2m pages: libxc leaves them (and the pfns they would
 * cover) out, and so do we.
 */
static unsigned tail_run(const uint64_t *v, unsigned n)
{
    unsigned s = n - 1;

    if (n < 2 || v[n - 1] != v[n - 2])
        return n;
    while (s > 0 && v[s - 1] == v[s])
        s--;
    return s;
}

/*
 * The p2m frames (mfns, *@n_r of them, malloc'd) from the linear list at
 * p2m_vaddr in the address space whose root is p2m_cr3: walk its four
 * page-table levels down to the leaves.
 */
static int p2m_list_frames(struct xen_backend *x, uint32_t domid,
                           uint64_t **mfns_r, unsigned *n_r)
{
    struct pv_dom *pv = &x->pv;
    const uint64_t mask = 0x0000ffffffffffffull;
    uint64_t vaddr = pv->shinfo->arch.p2m_vaddr & mask, end, base = 0;
    uint64_t *mfns, *next, *ptes;
    unsigned n = 1, level, first, last, i;

    pv->p2m_gen = pv->shinfo->arch.p2m_generation;
    end = vaddr + ((pv->max_pfn / FPP + 1) * PAGE) - 1;
    mfns = malloc(sizeof(*mfns));
    if (!mfns)
        return -ENOMEM;
    mfns[0] = pv->shinfo->arch.p2m_cr3 >> 12;
    for (level = 4; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);

        ptes = map_frames(x, domid, mfns, n, "p2m page tables");
        free(mfns);
        if (!ptes)
            return -EFAULT;
        first = (unsigned)((vaddr - base) >> shift);
        last = (unsigned)((end - base) >> shift);
        if (last >= n * PTES_PER_PAGE) {
            xenforeignmemory_unmap(x->fmem, ptes, n);
            LOGD(x->be.lg, XM_LOG_ERROR, domid,
                 "the p2m list of domain %u is malformed (0x%" PRIx64 "-0x%" PRIx64 ")",
                 domid, vaddr, end);
            return -ERANGE;
        }
        next = malloc((last - first + 1) * sizeof(*next));
        if (!next) {
            xenforeignmemory_unmap(x->fmem, ptes, n);
            return -ENOMEM;
        }
        for (i = first; i <= last; i++) {
            uint64_t mfn = (ptes[i] & PTE_FRAME_MASK) >> 12;

            if (!(ptes[i] & PTE_PRESENT) || mfn == 0 || mfn > x->max_mfn) {
                LOGD(x->be.lg, XM_LOG_ERROR, domid,
                     "bad mfn 0x%" PRIx64 " at level %u of the p2m list of domain %u",
                     mfn, level, domid);
                free(next);
                xenforeignmemory_unmap(x->fmem, ptes, n);
                return -ERANGE;
            }
            next[i - first] = mfn;
        }
        xenforeignmemory_unmap(x->fmem, ptes, n);
        n = last - first + 1;
        mfns = next;
        if (level == 2) {
            /* each entry here covers 512 p2m pages */
            unsigned keep = tail_run(mfns, n);
            uint64_t max = (uint64_t)keep * 512 * FPP - 1;

            if (keep < n && max < pv->max_pfn) {
                pv->max_pfn = max;
                end = vaddr + ((pv->max_pfn / FPP + 1) * PAGE) - 1;
                n = keep;
            }
        }
        base = vaddr & ~((1ull << shift) - 1);
    }
    *mfns_r = mfns;
    *n_r = n;
    return 0;
}

/* The same from the older 3-level tree: frame list list -> lists. */
static int p2m_tree_frames(struct xen_backend *x, uint32_t domid,
                           uint64_t **mfns_r, unsigned *n_r)
{
    struct pv_dom *pv = &x->pv;
    uint64_t fll_mfn = pv->shinfo->arch.pfn_to_mfn_frame_list_list;
    uint64_t *fll = NULL, *fl = NULL, *g;
    unsigned nfll, nfl, i, keep;
    int rc = -ERANGE;

    nfll = (unsigned)(pv->max_pfn / (FPP * FPP)) + 1;
    if (nfll > FPP || fll_mfn == 0 || fll_mfn > x->max_mfn) {
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "domain %u has no usable p2m (frame list list 0x%" PRIx64 ", max_pfn 0x%" PRIx64 ")",
             domid, fll_mfn, pv->max_pfn);
        return -ERANGE;
    }
    g = map_frames(x, domid, &fll_mfn, 1, "p2m frame list list");
    if (!g)
        return -EFAULT;
    fll = malloc(nfll * sizeof(*fll));
    if (fll)
        memcpy(fll, g, nfll * sizeof(*fll));
    xenforeignmemory_unmap(x->fmem, g, 1);
    if (!fll)
        return -ENOMEM;
    for (i = 0; i < nfll; i++) {
        if (fll[i] == 0 || fll[i] > x->max_mfn) {
            LOGD(x->be.lg, XM_LOG_ERROR, domid,
                 "bad mfn 0x%" PRIx64 " in the p2m frame list list of domain %u",
                 fll[i], domid);
            goto out;
        }
    }
    keep = tail_run(fll, nfll);
    if (keep < nfll && (uint64_t)keep * FPP * FPP - 1 < pv->max_pfn) {
        pv->max_pfn = (uint64_t)keep * FPP * FPP - 1;
        nfll = keep;
    }
    nfl = (unsigned)(pv->max_pfn / FPP) + 1;
    g = map_frames(x, domid, fll, nfll, "p2m frame lists");
    if (!g) {
        rc = -EFAULT;
        goto out;
    }
    fl = malloc(nfl * sizeof(*fl));
    if (fl)
        memcpy(fl, g, nfl * sizeof(*fl));
    xenforeignmemory_unmap(x->fmem, g, nfll);
    if (!fl) {
        rc = -ENOMEM;
        goto out;
    }
    for (i = 0; i < nfl; i++) {
        if (fl[i] == 0 || fl[i] > x->max_mfn) {
            LOGD(x->be.lg, XM_LOG_ERROR, domid,
                 "bad mfn 0x%" PRIx64 " in the p2m frame list of domain %u",
                 fl[i], domid);
            free(fl);
            goto out;
        }
    }
    *mfns_r = fl;
    *n_r = nfl;
    rc = 0;
out:
    free(fll);
    return rc;
}

/* Load (or reload) the p2m of PV domain @domid. */
static int pv_load(struct xen_backend *x, uint32_t domid)
{
    struct pv_dom *pv = &x->pv;
    xc_domaininfo_t di;
    unsigned width = 0, n = 0, i;
    uint64_t *mfns = NULL, smfn;
    bool frozen = pv->p2m && pv->domid == domid && pv->frozen;
    unsigned long *deferred = NULL;
    uint64_t nr_deferred = 0;
    int rc;

    if (pv->p2m && pv->domid == domid) {
        /* a reload keeps what map() deferred */
        deferred = pv->deferred;
        nr_deferred = pv->nr_deferred;
        pv->deferred = NULL;
    }
    pv_drop(x);
    rc = map_m2p(x);
    if (rc)
        goto fail;
    rc = getinfo(x, domid, &di);
    if (rc) {
        LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot read the state of domain %u", domid);
        goto fail;
    }
    if (!is_pv(&di)) {
        rc = -EOPNOTSUPP;
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "domain %u is not a PV guest: only PV guests can be migrated yet",
             domid);
        goto fail;
    }
    if (xc_domain_get_guest_width(x->xch, domid, &width) || width != 8) {
        rc = width ? -EOPNOTSUPP : -errno;
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "domain %u is not a 64-bit PV guest (width %u): not supported",
             domid, width * 8);
        goto fail;
    }
    smfn = di.shared_info_frame;
    pv->shinfo = map_frames(x, domid, &smfn, 1, "shared info page");
    if (!pv->shinfo) {
        rc = -EFAULT;
        goto fail;
    }
    if (pv->shinfo->arch.max_pfn == 0) {
        rc = -ERANGE;
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "domain %u has not published its p2m (max_pfn 0): has it booted?",
             domid);
        goto fail;
    }
    pv->max_pfn = pv->shinfo->arch.max_pfn - 1;
    pv->p2m_list = pv->shinfo->arch.p2m_cr3 != 0;
    rc = pv->p2m_list ? p2m_list_frames(x, domid, &mfns, &n)
                      : p2m_tree_frames(x, domid, &mfns, &n);
    if (rc)
        goto fail;
    pv->p2m_frames = (unsigned)((pv->max_pfn + FPP) / FPP);
    if (pv->p2m_frames > n) {
        rc = -ERANGE;
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "the p2m of domain %u has %u frames, %u needed", domid, n,
             pv->p2m_frames);
        goto fail;
    }
    pv->p2m = map_frames(x, domid, mfns, pv->p2m_frames, "p2m");
    if (!pv->p2m) {
        rc = -EFAULT;
        goto fail;
    }
    pv->domid = domid;
    pv->p2m_pfns = malloc(pv->p2m_frames * sizeof(uint64_t));
    if (!pv->p2m_pfns) {
        rc = -ENOMEM;
        goto fail;
    }
    for (i = 0; i < pv->p2m_frames; i++) {
        if (!mfn_to_pfn(x, mfns[i], &pv->p2m_pfns[i])) {
            rc = -ERANGE;
            LOGD(x->be.lg, XM_LOG_ERROR, domid,
                 "p2m frame %u of domain %u (mfn 0x%" PRIx64 ") is not the guest's own",
                 i, domid, mfns[i]);
            goto fail;
        }
    }
    free(mfns);
    mfns = NULL;
    pv->deferred = deferred ? deferred
                            : calloc((pv->max_pfn + BPL) / BPL, sizeof(long));
    pv->nr_deferred = nr_deferred;
    deferred = NULL;
    if (!pv->deferred) {
        rc = -ENOMEM;
        goto fail;
    }
    pv->frozen = frozen || suspended(&di);
    return 0;

fail:
    free(mfns);
    free(deferred);
    pv_drop(x);
    return rc;
}

/* Is @domid the domain x->pv holds? */
static bool loaded(const struct xen_backend *x, uint32_t domid)
{
    return (x->pv.p2m || x->pv.hvm) && x->pv.domid == domid;
}

/*
 * Load PVH domain @domid: its pfns are 0 .. its highest gpfn, fixed now
 * as libxc's p2m_size is (xc_domain_nr_gpfns) for the whole save.
 */
static int pvh_load(struct xen_backend *x, const xc_domaininfo_t *di)
{
    uint32_t domid = di->domain, type = guest_type(x, di);
    xen_pfn_t gpfn = 0;

    pv_drop(x);
    if (type != XM_GUEST_PVH) {
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "domain %u is an HVM guest: only PV and PVH guests can be migrated (a device model's state is not carried)",
             domid);
        return -EOPNOTSUPP;
    }
    if (xc_domain_maximum_gpfn(x->xch, domid, &gpfn) < 0) {
        int rc = -errno;

        LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot read the highest gpfn of domain %u", domid);
        return rc;
    }
    x->pv.domid = domid;
    x->pv.hvm = true;
    x->pv.max_pfn = gpfn;
    x->pv.frozen = suspended(di);
    return 0;
}

/* The p2m of PV domain @domid, or PVH @domid's size, loaded on first use. */
static int guest_get(struct xen_backend *x, uint32_t domid)
{
    xc_domaininfo_t di;
    int rc;

    if (loaded(x, domid))
        return 0;
    rc = getinfo(x, domid, &di);
    if (rc) {
        LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot read the state of domain %u", domid);
        return rc;
    }
    return is_pv(&di) ? pv_load(x, domid) : pvh_load(x, &di);
}

static int xen_domain_info(struct xm_backend *be, uint32_t domid,
                           struct xm_domain_info *info_r)
{
    struct xen_backend *x = to_xen(be);
    libxl_domain_sched_params sp;
    xc_domaininfo_t di;
    xen_pfn_t gpfn = 0;
    int rc;

    rc = getinfo(x, domid, &di);
    if (rc) {
        if (rc == -ESRCH)
            LOGD(be->lg, XM_LOG_ERROR, domid, "no domain %u on this host",
                 domid);
        else
            LOGED(be->lg, XM_LOG_ERROR, rc, domid,
                  "cannot read the state of domain %u", domid);
        return rc;
    }
    info_from(x, &di, info_r);
    if (incoming_flag(x, domid)) {
        /* libxl is still building it: there is no p2m to read yet */
        info_r->flags |= XM_DOMAIN_INCOMING;
        return 0;
    }
    if (info_r->guest_type != XM_GUEST_HVM) {
        rc = guest_get(x, domid);
        if (rc)
            return rc;
        info_r->nr_pfns = x->pv.max_pfn + 1;
    } else if (xc_domain_maximum_gpfn(x->xch, domid, &gpfn) >= 0) {
        info_r->nr_pfns = gpfn + 1;
    }
    if (logdirty_on(x, domid))
        info_r->flags |= XM_DOMAIN_LOGDIRTY;
    libxl_domain_sched_params_init(&sp);
    if (libxl_domain_sched_params_get(x->ctx, domid, &sp) == 0 &&
        sp.cap > 0)
        info_r->cpu_cap = (uint32_t)sp.cap / info_r->nr_vcpus;
    libxl_domain_sched_params_dispose(&sp);
    return 0;
}

/* ---- run state ---------------------------------------------------------- */

static int xen_pause(struct xm_backend *be, uint32_t domid)
{
    if (xc_domain_pause(to_xen(be)->xch, domid)) {
        int rc = -errno;

        LOGED(be->lg, XM_LOG_ERROR, rc, domid, "cannot pause domain %u",
              domid);
        return rc;
    }
    return 0;
}

static int xen_unpause(struct xm_backend *be, uint32_t domid)
{
    if (xc_domain_unpause(to_xen(be)->xch, domid)) {
        int rc = -errno;

        LOGED(be->lg, XM_LOG_ERROR, rc, domid, "cannot unpause domain %u",
              domid);
        return rc;
    }
    return 0;
}

/*
 * A suspend that failed must leave the guest running. If the request is
 * still in control/shutdown, the guest has not seen it: withdraw it. If
 * the guest took it (Linux empties the node when it reads the request),
 * it will suspend whenever it gets there, after libxl stopped waiting:
 * wait for that (bounded) and resume it cooperatively, as a cancelled
 * suspend. Seen in the rig: a guest capped to 1% answered after libxl's
 * 60 s and stayed shut down for suspend while we had reported it running.
 */
static void undo_suspend_request(struct xen_backend *x, uint32_t domid)
{
    char path[64], *v;
    unsigned len, waited_ms = 0, limit_ms = XEN_LATE_SUSPEND_MS;
    xc_domaininfo_t di;

    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    v = xs_read(x->xsh, XBT_NULL, path, &len);
    if (v && strcmp(v, "suspend") == 0 &&
        xs_write(x->xsh, XBT_NULL, path, "", 0)) {
        LOGD(x->be.lg, XM_LOG_INFO, domid,
             "withdrew the suspend request of domain %u: it never took it",
             domid);
        limit_ms = 1000; /* in case it read it just now */
    }
    free(v);
    while (getinfo(x, domid, &di) == 0 && !suspended(&di) &&
           waited_ms < limit_ms) {
        usleep(100 * 1000);
        waited_ms += 100;
    }
    if (getinfo(x, domid, &di) || !suspended(&di)) {
        if (limit_ms == XEN_LATE_SUSPEND_MS)
            LOGD(x->be.lg, XM_LOG_WARN, domid,
                 "domain %u took the suspend request but has not suspended after %u s more; if it does, 'xenmig recover' resumes it",
                 domid, XEN_LATE_SUSPEND_MS / 1000);
        return;
    }
    if (libxl_domain_resume(x->ctx, domid, 1, NULL))
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "domain %u suspended late and cannot be resumed: 'xenmig recover' may",
             domid);
    else
        LOGD(x->be.lg, XM_LOG_INFO, domid,
             "domain %u suspended after the timeout: resumed it", domid);
}

static int xen_suspend(struct xm_backend *be, uint32_t domid)
{
    struct xen_backend *x = to_xen(be);
    xc_domaininfo_t di;
    int r, rc;

    /*
     * libxl's suspend: the guest's suspend event channel if it has one,
     * else xenstore control/shutdown = "suspend"; it waits (bounded, 60
     * s in 4.17) for the domain to shut down with reason suspend.
     */
    r = libxl_domain_suspend_only(x->ctx, domid, NULL);
    rc = getinfo(x, domid, &di);
    if (r || rc || !suspended(&di)) {
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "cannot suspend domain %u: %s", domid,
             r ? "the guest did not suspend in time (libxl error, see above)"
               : "it is not shut down for suspend afterwards");
        undo_suspend_request(x, domid);
        return r == ERROR_TIMEDOUT ? -ETIMEDOUT : -EIO;
    }
    /* The final pass must see the p2m as it is now. */
    if (is_pv(&di)) {
        rc = pv_load(x, domid);
        if (rc)
            return rc;
    }
    if (loaded(x, domid))
        x->pv.frozen = true;
    return 0;
}

static int xen_resume(struct xm_backend *be, uint32_t domid)
{
    struct xen_backend *x = to_xen(be);

    /*
     * Cooperative resume (xc_domain_resume with fast=1, via libxl, which
     * also reconnects xenstore): the guest's suspend hypercall returns 1,
     * "cancelled", and it carries on with its devices as they were.
     */
    if (libxl_domain_resume(x->ctx, domid, 1, NULL)) {
        LOGD(be->lg, XM_LOG_ERROR, domid, "cannot resume domain %u", domid);
        return -EIO;
    }
    if (loaded(x, domid))
        x->pv.frozen = false;
    return 0;
}

/* ---- log-dirty ---------------------------------------------------------- */

static int xen_logdirty_enable(struct xm_backend *be, uint32_t domid)
{
    struct xen_backend *x = to_xen(be);
    int rc;

    /* Off first if someone (VRAM tracking) had it on, as libxc does. */
    if (xc_shadow_control(x->xch, domid, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY,
                          NULL, 0) < 0 &&
        (xc_shadow_control(x->xch, domid, XEN_DOMCTL_SHADOW_OP_OFF, NULL,
                           0) < 0 ||
         xc_shadow_control(x->xch, domid,
                           XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, NULL,
                           0) < 0)) {
        rc = -errno;
        LOGED(be->lg, XM_LOG_ERROR, rc, domid,
              "cannot enable log-dirty mode on domain %u%s", domid,
              rc == -EOPNOTSUPP ? " (is the hypervisor built without shadow paging?)" : "");
        return rc;
    }
    if (x->pv.p2m && x->pv.domid == domid) {
        memset(x->pv.deferred, 0, (x->pv.max_pfn + BPL) / BPL * sizeof(long));
        x->pv.nr_deferred = 0;
    }
    logdirty_note(x, domid, true);
    return 0;
}

static int xen_logdirty_disable(struct xm_backend *be, uint32_t domid)
{
    if (xc_shadow_control(to_xen(be)->xch, domid, XEN_DOMCTL_SHADOW_OP_OFF,
                          NULL, 0) < 0) {
        int rc = -errno;

        LOGED(be->lg, XM_LOG_ERROR, rc, domid,
              "cannot disable log-dirty mode on domain %u", domid);
        return rc;
    }
    logdirty_note(to_xen(be), domid, false);
    return 0;
}

static int xen_dirty_bitmap(struct xm_backend *be, uint32_t domid,
                            enum xm_dirty_op op, unsigned long *bitmap,
                            uint64_t nr_pfns, uint64_t *dirty_r)
{
    struct xen_backend *x = to_xen(be);
    struct pv_dom *pv = &x->pv;
    size_t longs = (nr_pfns + BPL - 1) / BPL, i;
    DECLARE_HYPERCALL_BUFFER(unsigned long, hbm);
    xc_shadow_op_stats_t stats;
    uint64_t n = 0;
    long long r;
    int rc = 0;

    hbm = xc_hypercall_buffer_alloc(x->xch, hbm,
                                    (longs ? longs : 1) * sizeof(long));
    if (!hbm) {
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "out of memory for the dirty bitmap of domain %u", domid);
        return -ENOMEM;
    }
    r = xc_logdirty_control(x->xch, domid,
                            op == XM_DIRTY_CLEAN ? XEN_DOMCTL_SHADOW_OP_CLEAN
                                                 : XEN_DOMCTL_SHADOW_OP_PEEK,
                            HYPERCALL_BUFFER(hbm), nr_pfns, 0, &stats);
    if (r < 0) {
        rc = -errno;
        LOGED(be->lg, XM_LOG_ERROR, rc, domid,
              "cannot read the dirty bitmap of domain %u", domid);
        goto out;
    }
    memcpy(bitmap, hbm, longs * sizeof(long));
    if (nr_pfns % BPL)
        bitmap[longs - 1] &= (1ul << (nr_pfns % BPL)) - 1;
    /* Pages map() could not send exactly yet go out again (see map()). */
    if (pv->p2m && pv->domid == domid && pv->nr_deferred) {
        for (i = 0; i < longs && i <= pv->max_pfn / BPL; i++)
            bitmap[i] |= pv->deferred[i];
        if (op == XM_DIRTY_CLEAN) {
            memset(pv->deferred, 0, (pv->max_pfn + BPL) / BPL * sizeof(long));
            pv->nr_deferred = 0;
        }
    }
    /*
     * A guest that rebuilt its p2m list while we copied it would be
     * restored with the old one: give up, as libxc does.
     */
    if (pv->p2m && pv->domid == domid && pv->p2m_list && !pv->frozen &&
        pv->shinfo->arch.p2m_generation != pv->p2m_gen) {
        rc = -EAGAIN;
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "the p2m of domain %u changed during the migration (generation %" PRIu64 " -> %lu): giving up",
             domid, pv->p2m_gen, pv->shinfo->arch.p2m_generation);
        goto out;
    }
    for (i = 0; i < longs; i++)
        n += (uint64_t)__builtin_popcountl(bitmap[i]);
    if (dirty_r)
        *dirty_r = n;
out:
    xc_hypercall_buffer_free(x->xch, hbm);
    return rc;
}

/* ---- page types --------------------------------------------------------- */

/*
 * Types of @n mfns (XEN_DOMCTL_getpageframeinfo3: the XEN_DOMCTL_PFINFO_*
 * value in bits 28-31 of each, pinned bit included), into @types as
 * enum xm_page_type values (bits 0-3). INVALID_P2M entries are holes.
 */
static int frame_types(struct xen_backend *x, uint32_t domid,
                       const uint64_t *mfns, unsigned n, uint32_t *types)
{
    DECLARE_HYPERCALL_BUFFER(xen_pfn_t, arr);
    struct xen_domctl domctl;
    unsigned i;
    int rc = 0;

    arr = xc_hypercall_buffer_alloc(x->xch, arr, n * sizeof(xen_pfn_t));
    if (!arr)
        return -ENOMEM;
    for (i = 0; i < n; i++)
        arr[i] = frame_valid(x, mfns[i]) ? mfns[i] : INVALID_P2M;
    memset(&domctl, 0, sizeof(domctl));
    domctl.cmd = XEN_DOMCTL_getpageframeinfo3;
    domctl.domain = domid;
    domctl.u.getpageframeinfo3.num = n;
    set_xen_guest_handle(domctl.u.getpageframeinfo3.array, arr);
    if (xc_domctl(x->xch, &domctl) < 0) {
        rc = -errno;
        LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot read the page types of domain %u", domid);
    } else {
        for (i = 0; i < n; i++)
            types[i] = (uint32_t)((arr[i] >> XEN_DOMCTL_PFINFO_LTAB_SHIFT) &
                                  0xf);
    }
    xc_hypercall_buffer_free(x->xch, arr);
    return rc;
}

static bool has_data(uint32_t type)
{
    return type != XM_PAGE_XTAB && type != XM_PAGE_XALLOC &&
           type != XM_PAGE_BROKEN;
}

static int xen_page_types(struct xm_backend *be, uint32_t domid,
                          const uint64_t *pfns, unsigned n,
                          uint32_t *types_r)
{
    struct xen_backend *x = to_xen(be);
    unsigned done, k, i;
    int rc;

    rc = guest_get(x, domid);
    if (rc)
        return rc;
    for (done = 0; done < n; done += k) {
        k = n - done < TYPES_BATCH ? n - done : TYPES_BATCH;
        for (i = 0; i < k; i++)
            x->types_mfns[i] = pfn_to_mfn(&x->pv, pfns[done + i]);
        rc = frame_types(x, domid, x->types_mfns, k, types_r + done);
        if (rc)
            return rc;
        for (i = 0; i < k; i++) {
            /* a ballooned-out pfn: libxc sends it as a hole, so do we
             * (Xen answers XTAB itself for a PVH guest's unpopulated
             * gfns) */
            if (!frame_valid(x, x->types_mfns[i]))
                types_r[done + i] = XM_PAGE_XTAB;
        }
    }
    /* map() of the same batch uses these: one domctl per batch, as libxc */
    x->types_n = n <= TYPES_BATCH ? n : 0;
    x->types_domid = domid;
    if (x->types_n) {
        memcpy(x->types_pfns, pfns, n * sizeof(*pfns));
        memcpy(x->types, types_r, n * sizeof(*types_r));
    }
    return 0;
}

/* ---- mapping and page-table normalisation ------------------------------- */

/*
 * Copy page table @src (type @type, L1-L4) to @dst with every present
 * PTE's mfn replaced by the guest's pfn for it, and Xen's own L4 slots
 * cleared (the destination's Xen fills its own). 0, or:
 * 1  a PTE points at a frame that is not (or no longer) the guest's. In
 *    a live pass that is a race we expect (the guest is changing the
 *    table, or a page's owner/type changed under us); the PTE is cleared
 *    in the copy and the caller sends the page again later.
 *    libxc sends such a page as XTAB (no data) and defers it to the last
 *    pass. We cannot: the engine has put the type from page_types() in
 *    the record already. A copy with the untranslatable entries made
 *    not-present is a valid table for the receiver (libxc localises
 *    every present PTE, and would fail on a pfn it cannot map), and the
 *    deferred bit makes the next CLEAN report the page dirty, so it goes
 *    again - at the latest in the final pass, where the guest is
 *    suspended and the table must translate exactly.
 * -ERANGE/-E2BIG  the same on a suspended guest, or a superpage: fatal.
 */
static int normalise(struct xen_backend *x, uint64_t pfn, uint32_t type,
                     const uint64_t *src, uint64_t *dst)
{
    unsigned lvl = type & 0x7, i;
    bool raced = false;

    for (i = 0; i < PTES_PER_PAGE; i++) {
        uint64_t pte = src[i], mfn, gpfn;

        if (lvl == 4 && i >= L4_XEN_FIRST && i <= L4_XEN_LAST)
            pte = 0;
        if (!(pte & PTE_PRESENT)) {
            dst[i] = pte;
            continue;
        }
        if (lvl > 1 && (pte & PTE_PSE)) {
            LOGD(x->be.lg, XM_LOG_ERROR, x->pv.domid,
                 "pfn 0x%" PRIx64 " of domain %u maps a superpage (L%u[%u] = 0x%016" PRIx64 "): PV superpages cannot migrate",
                 pfn, x->pv.domid, lvl, i, pte);
            return -E2BIG;
        }
        mfn = (pte & PTE_FRAME_MASK) >> 12;
        if (!mfn_to_pfn(x, mfn, &gpfn)) {
            if (x->pv.frozen) {
                LOGD(x->be.lg, XM_LOG_ERROR, x->pv.domid,
                     "page table pfn 0x%" PRIx64 " of suspended domain %u maps mfn 0x%" PRIx64 " (L%u[%u]), which is not the guest's",
                     pfn, x->pv.domid, mfn, lvl, i);
                return -ERANGE;
            }
            raced = true;
            dst[i] = 0;
            continue;
        }
        dst[i] = (pte & ~PTE_FRAME_MASK) | (gpfn << 12);
    }
    return raced ? 1 : 0;
}

static void defer(struct pv_dom *pv, uint64_t pfn)
{
    if (!(pv->deferred[pfn / BPL] & (1ul << (pfn % BPL)))) {
        pv->deferred[pfn / BPL] |= 1ul << (pfn % BPL);
        pv->nr_deferred++;
    }
}

static int map_source(struct xen_backend *x, uint32_t domid,
                      const uint64_t *pfns, unsigned n, void **pages_r,
                      int *errs, struct map_handle *h)
{
    struct pv_dom *pv = &x->pv;
    uint32_t *types = NULL;
    uint64_t *mfns = NULL;
    int *merr = NULL;
    unsigned i, p, nd = 0;
    int rc;

    rc = guest_get(x, domid);
    if (rc)
        return rc;
    types = malloc(n * sizeof(*types));
    mfns = malloc(n * sizeof(*mfns));
    merr = calloc(n, sizeof(*merr));
    if (!types || !mfns || !merr) {
        rc = -ENOMEM;
        goto out;
    }
    if (x->types_n == n && x->types_domid == domid &&
        memcmp(x->types_pfns, pfns, n * sizeof(*pfns)) == 0)
        memcpy(types, x->types, n * sizeof(*types));
    else if ((rc = xen_page_types(&x->be, domid, pfns, n, types)))
        goto out;
    for (i = 0; i < n; i++) {
        pages_r[i] = NULL;
        errs[i] = 0;
        if (pfns[i] > pv->max_pfn) {
            errs[i] = -EINVAL;
            continue;
        }
        if (has_data(types[i]))
            mfns[nd++] = pfn_to_mfn(pv, pfns[i]);
        else
            pages_r[i] = x->zero_page;
    }
    if (nd) {
        h->base = xenforeignmemory_map(x->fmem, domid, PROT_READ, nd,
                                       (const xen_pfn_t *)mfns, merr);
        if (!h->base) {
            rc = -errno;
            LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
                  "cannot map %u pages of domain %u", nd, domid);
            goto out;
        }
        h->nr_mapped = nd;
    }
    for (i = 0, p = 0; i < n; i++) {
        uint8_t *pg;
        uint32_t lvl;

        if (errs[i] || pages_r[i])
            continue;
        pg = (uint8_t *)h->base + (size_t)p * PAGE;
        if (merr[p]) {
            errs[i] = merr[p] < 0 ? merr[p] : -merr[p];
            p++;
            continue;
        }
        p++;
        lvl = types[i] & 0x7;
        if (pv->hvm || lvl < 1 || lvl > 4) {
            pages_r[i] = pg;
            continue;
        }
        h->copies[i] = aligned_alloc(PAGE, PAGE);
        if (!h->copies[i]) {
            rc = -ENOMEM;
            goto out;
        }
        rc = normalise(x, pfns[i], types[i], (const uint64_t *)pg,
                       h->copies[i]);
        if (rc < 0) {
            errs[i] = rc;
            rc = 0;
            continue;
        }
        if (rc == 1)
            defer(pv, pfns[i]);
        rc = 0;
        pages_r[i] = h->copies[i];
    }
out:
    free(types);
    free(mfns);
    free(merr);
    return rc;
}

static void xen_unmap(struct xm_backend *be, void *handle, unsigned n);
static int map_incoming(struct xen_backend *x, uint32_t domid,
                        const uint64_t *words, unsigned n, void **pages_r,
                        int *errs, struct map_handle *h);

static int xen_map(struct xm_backend *be, uint32_t domid,
                   const uint64_t *pfns, unsigned n, bool writable,
                   void **pages_r, int *errs, void **handle_r)
{
    struct xen_backend *x = to_xen(be);
    struct map_handle *h;
    int rc;

    h = calloc(1, sizeof(*h) + n * sizeof(void *));
    if (!h) {
        LOGD(be->lg, XM_LOG_ERROR, domid, "out of memory mapping domain %u",
             domid);
        return -ENOMEM;
    }
    h->n = n;
    if (writable) {
        rc = map_incoming(x, domid, pfns, n, pages_r, errs, h);
    } else {
        rc = map_source(x, domid, pfns, n, pages_r, errs, h);
    }
    if (rc) {
        xen_unmap(be, h, n);
        return rc;
    }
    *handle_r = h;
    return 0;
}

static void incoming_pages(struct xen_backend *x, struct map_handle *h);

static void xen_unmap(struct xm_backend *be, void *handle, unsigned n)
{
    struct map_handle *h = handle;
    unsigned i;

    if (!h)
        return;
    if (h->in) {
        incoming_pages(to_xen(be), h);
        h->in->busy = false;
    }
    if (h->base)
        xenforeignmemory_unmap(to_xen(be)->fmem, h->base, h->nr_mapped);
    for (i = 0; i < h->n; i++)
        free(h->copies[i]);
    free(h);
}

/* ---- guest state as libxc records --------------------------------------- */

/* A growing buffer of libxc records. */
struct recbuf {
    uint8_t *p;                   /* the records */
    size_t len, cap;              /* used, allocated */
    int err;                      /* first error (-ENOMEM) */
};

/* Append a record of @type: @hdr (may be NULL) then @body, padded to 8. */
static void rec_add(struct recbuf *b, uint32_t type, const void *hdr,
                    size_t hlen, const void *body, size_t blen)
{
    struct xm_xc_rhdr rh = { .type = type, .length = (uint32_t)(hlen + blen) };
    size_t pad = (XM_XC_ALIGN - (hlen + blen) % XM_XC_ALIGN) % XM_XC_ALIGN;
    size_t need = b->len + sizeof(rh) + hlen + blen + pad;

    if (b->err)
        return;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        uint8_t *p;

        while (cap < need)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
            b->err = -ENOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, &rh, sizeof(rh));
    b->len += sizeof(rh);
    if (hlen)
        memcpy(b->p + b->len, hdr, hlen);
    b->len += hlen;
    if (blen)
        memcpy(b->p + b->len, body, blen);
    b->len += blen;
    memset(b->p + b->len, 0, pad);
    b->len += pad;
}

/* The libxl config as JSON, NUL terminated, in our private record. */
static int config_json(struct xen_backend *x, uint32_t domid,
                       struct recbuf *b)
{
    libxl_domain_config dc;
    char *json = NULL;
    int rc = 0;

    libxl_domain_config_init(&dc);
    if (libxl_retrieve_domain_configuration(x->ctx, domid, &dc, NULL)) {
        rc = -EIO;
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "cannot read the libxl configuration of domain %u", domid);
        goto out;
    }
    json = libxl_domain_config_to_json(x->ctx, &dc);
    if (!json) {
        rc = -ENOMEM;
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "cannot write the configuration of domain %u as JSON", domid);
        goto out;
    }
    rec_add(b, XM_XC_REC_XENMIG_CONFIG, NULL, 0, json, strlen(json) + 1);
out:
    free(json);
    libxl_domain_config_dispose(&dc);
    return rc;
}

/* X86_CPUID_POLICY and X86_MSR_POLICY, as libxc's save writes them. */
static int cpu_policy(struct xen_backend *x, uint32_t domid,
                      struct recbuf *b)
{
    uint32_t nr_leaves = 0, nr_msrs = 0;
    xen_cpuid_leaf_t *leaves = NULL;
    xen_msr_entry_t *msrs = NULL;
    xc_cpu_policy_t *pol = NULL;
    int rc = -EIO;

    if (xc_cpu_policy_get_size(x->xch, &nr_leaves, &nr_msrs) < 0)
        goto fail;
    leaves = calloc(nr_leaves + 1, sizeof(*leaves));
    msrs = calloc(nr_msrs + 1, sizeof(*msrs));
    pol = xc_cpu_policy_init();
    if (!leaves || !msrs || !pol) {
        rc = -ENOMEM;
        goto fail;
    }
    if (xc_cpu_policy_get_domain(x->xch, domid, pol) ||
        xc_cpu_policy_serialise(x->xch, pol, leaves, &nr_leaves, msrs,
                                &nr_msrs))
        goto fail;
    if (nr_leaves)
        rec_add(b, XM_XC_REC_X86_CPUID_POLICY, NULL, 0, leaves,
                nr_leaves * sizeof(*leaves));
    if (nr_msrs)
        rec_add(b, XM_XC_REC_X86_MSR_POLICY, NULL, 0, msrs,
                nr_msrs * sizeof(*msrs));
    rc = 0;
fail:
    if (rc)
        LOGED(x->be.lg, XM_LOG_ERROR, rc == -EIO ? errno : rc, domid,
              "cannot read the CPU policy of domain %u", domid);
    free(leaves);
    free(msrs);
    xc_cpu_policy_destroy(pol);
    return rc;
}

/*
 * XM_STATE_CONFIG: what libxc's save writes before its first PAGE_DATA,
 * after our config record: for PV X86_PV_INFO, the CPU policy,
 * STATIC_DATA_END, X86_PV_P2M_FRAMES; for PVH only the CPU policy and
 * STATIC_DATA_END (the receiver tells the two by X86_PV_INFO).
 */
static int state_config(struct xen_backend *x, uint32_t domid,
                        struct recbuf *b)
{
    struct xm_xc_x86_pv_info pi = { .guest_width = 8, .pt_levels = 4 };
    struct xm_xc_x86_pv_p2m_frames pf = { .start_pfn = 0 };
    int rc;

    rc = guest_get(x, domid);
    if (!rc)
        rc = config_json(x, domid, b);
    if (rc)
        return rc;
    if (!x->pv.hvm)
        rec_add(b, XM_XC_REC_X86_PV_INFO, NULL, 0, &pi, sizeof(pi));
    rc = cpu_policy(x, domid, b);
    if (rc)
        return rc;
    rec_add(b, XM_XC_REC_STATIC_DATA_END, NULL, 0, NULL, 0);
    if (x->pv.hvm)
        return 0;
    pf.end_pfn = (uint32_t)x->pv.max_pfn;
    rec_add(b, XM_XC_REC_X86_PV_P2M_FRAMES, &pf, sizeof(pf), x->pv.p2m_pfns,
            x->pv.p2m_frames * sizeof(uint64_t));
    return 0;
}

/* An mfn of vCPU @id's state as the guest's pfn, or a logged error. */
static int state_pfn(struct xen_backend *x, uint32_t domid, unsigned id,
                     const char *what, uint64_t mfn, uint64_t *pfn_r)
{
    if (mfn_to_pfn(x, mfn, pfn_r))
        return 0;
    LOGD(x->be.lg, XM_LOG_ERROR, domid,
         "the %s of vcpu%u of domain %u is mfn 0x%" PRIx64 ", which is not the guest's",
         what, id, domid, mfn);
    return -ERANGE;
}

/* X86_PV_VCPU_BASIC: the context with its frame numbers made pfns. */
static int vcpu_basic(struct xen_backend *x, uint32_t domid, unsigned id,
                      struct recbuf *b)
{
    struct xm_xc_x86_pv_vcpu_hdr vh = { .vcpu_id = id };
    vcpu_guest_context_any_t c;
    uint64_t pfn;
    unsigned i, frames;
    int rc;

    if (xc_vcpu_getcontext(x->xch, domid, id, &c)) {
        rc = -errno;
        LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot read the context of vcpu%u of domain %u", id, domid);
        return rc;
    }
    /* vcpu0's edx holds the start info frame the guest suspended with */
    if (id == 0) {
        rc = state_pfn(x, domid, id, "start info (edx)", c.x64.user_regs.rdx,
                       &pfn);
        if (rc)
            return rc;
        c.x64.user_regs.rdx = pfn;
    }
    if (c.x64.gdt_ents > FIRST_RESERVED_GDT_ENTRY) {
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "vcpu%u of domain %u has %lu GDT entries, at most %u allowed",
             id, domid, c.x64.gdt_ents, (unsigned)FIRST_RESERVED_GDT_ENTRY);
        return -ERANGE;
    }
    frames = (unsigned)((c.x64.gdt_ents + 511) / 512);
    for (i = 0; i < frames; i++) {
        rc = state_pfn(x, domid, id, "GDT", c.x64.gdt_frames[i], &pfn);
        if (rc)
            return rc;
        c.x64.gdt_frames[i] = pfn;
    }
    rc = state_pfn(x, domid, id, "cr3", c.x64.ctrlreg[3] >> 12, &pfn);
    if (rc)
        return rc;
    c.x64.ctrlreg[3] = pfn << 12;
    /* the user page table of a 64-bit guest, if any, is in cr1 */
    if (c.x64.ctrlreg[1]) {
        rc = state_pfn(x, domid, id, "cr1", c.x64.ctrlreg[1] >> 12, &pfn);
        if (rc)
            return rc;
        c.x64.ctrlreg[1] = 1 | (pfn << 12);
    }
    rec_add(b, XM_XC_REC_X86_PV_VCPU_BASIC, &vh, sizeof(vh), &c.x64,
            sizeof(c.x64));
    return 0;
}

/*
 * X86_PV_VCPU_EXTENDED, _XSAVE and _MSRS: domctls libxenctrl has no
 * wrapper for, through xc_domctl(); each record is left out when the
 * vCPU has nothing of that kind, as libxc does.
 */
static int vcpu_extra(struct xen_backend *x, uint32_t domid, unsigned id,
                      struct recbuf *b)
{
    struct xm_xc_x86_pv_vcpu_hdr vh = { .vcpu_id = id };
    DECLARE_HYPERCALL_BUFFER(void, buf);
    struct xen_domctl d;
    const char *what;
    size_t size;
    int rc = 0;

    what = "extended context";
    memset(&d, 0, sizeof(d));
    d.cmd = XEN_DOMCTL_get_ext_vcpucontext;
    d.domain = domid;
    d.u.ext_vcpucontext.vcpu = id;
    if (xc_domctl(x->xch, &d) < 0)
        goto fail;
    if (d.u.ext_vcpucontext.size)
        rec_add(b, XM_XC_REC_X86_PV_VCPU_EXTENDED, &vh, sizeof(vh),
                &d.u.ext_vcpucontext, d.u.ext_vcpucontext.size);

    what = "xsave state";
    memset(&d, 0, sizeof(d));
    d.cmd = XEN_DOMCTL_getvcpuextstate;
    d.domain = domid;
    d.u.vcpuextstate.vcpu = id;
    if (xc_domctl(x->xch, &d) < 0)
        goto fail;
    if (d.u.vcpuextstate.xfeature_mask) {
        size = d.u.vcpuextstate.size;
        buf = xc_hypercall_buffer_alloc(x->xch, buf, size);
        if (!buf) {
            errno = ENOMEM;
            goto fail;
        }
        set_xen_guest_handle(d.u.vcpuextstate.buffer, buf);
        if (xc_domctl(x->xch, &d) < 0)
            goto fail;
        if (d.u.vcpuextstate.size)
            rec_add(b, XM_XC_REC_X86_PV_VCPU_XSAVE, &vh, sizeof(vh), buf,
                    d.u.vcpuextstate.size);
        xc_hypercall_buffer_free(x->xch, buf);
    }

    what = "MSRs";
    memset(&d, 0, sizeof(d));
    d.cmd = XEN_DOMCTL_get_vcpu_msrs;
    d.domain = domid;
    d.u.vcpu_msrs.vcpu = id;
    if (xc_domctl(x->xch, &d) < 0)
        goto fail;
    if (d.u.vcpu_msrs.msr_count) {
        size = d.u.vcpu_msrs.msr_count * sizeof(xen_domctl_vcpu_msr_t);
        buf = xc_hypercall_buffer_alloc(x->xch, buf, size);
        if (!buf) {
            errno = ENOMEM;
            goto fail;
        }
        set_xen_guest_handle(d.u.vcpu_msrs.msrs, buf);
        if (xc_domctl(x->xch, &d) < 0)
            goto fail;
        if (d.u.vcpu_msrs.msr_count)
            rec_add(b, XM_XC_REC_X86_PV_VCPU_MSRS, &vh, sizeof(vh), buf,
                    d.u.vcpu_msrs.msr_count * sizeof(xen_domctl_vcpu_msr_t));
        xc_hypercall_buffer_free(x->xch, buf);
    }
    return 0;

fail:
    rc = -errno;
    LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
          "cannot read the %s of vcpu%u of domain %u", what, id, domid);
    xc_hypercall_buffer_free(x->xch, buf);
    return rc;
}

/*
 * HVM_CONTEXT: Xen's save records of a PVH domain (every vCPU's
 * registers, its local APICs, its platform timers...) in one blob.
 */
static int hvm_context(struct xen_backend *x, uint32_t domid,
                       struct recbuf *b)
{
    int size = xc_domain_hvm_getcontext(x->xch, domid, NULL, 0), rc;
    uint8_t *buf = NULL;

    if (size > 0 && (buf = malloc((size_t)size)) == NULL)
        return -ENOMEM;
    if (size > 0)
        size = xc_domain_hvm_getcontext(x->xch, domid, buf, (uint32_t)size);
    if (size <= 0) {
        rc = size < 0 ? -errno : -EIO;
        LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot read the HVM context of domain %u", domid);
        free(buf);
        return rc;
    }
    rec_add(b, XM_XC_REC_HVM_CONTEXT, NULL, 0, buf, (size_t)size);
    free(buf);
    return 0;
}

/*
 * HVM_PARAMS: the params libxc's save carries (the special pages the
 * toolstack set up: xenstore, console, ioreq...; platform settings),
 * those that are not 0; no record if none is set.
 */
static int hvm_params(struct xen_backend *x, uint32_t domid,
                      struct recbuf *b)
{
    static const uint32_t which[] = {
        HVM_PARAM_STORE_PFN,        HVM_PARAM_IOREQ_PFN,
        HVM_PARAM_BUFIOREQ_PFN,     HVM_PARAM_PAGING_RING_PFN,
        HVM_PARAM_MONITOR_RING_PFN, HVM_PARAM_SHARING_RING_PFN,
        HVM_PARAM_VM86_TSS_SIZED,   HVM_PARAM_CONSOLE_PFN,
        HVM_PARAM_ACPI_IOPORTS_LOCATION, HVM_PARAM_VIRIDIAN,
        HVM_PARAM_IDENT_PT,         HVM_PARAM_VM_GENERATION_ID_ADDR,
        HVM_PARAM_IOREQ_SERVER_PFN, HVM_PARAM_NR_IOREQ_SERVER_PAGES,
        HVM_PARAM_X87_FIP_WIDTH,    HVM_PARAM_MCA_CAP,
    };
    const unsigned nr = sizeof(which) / sizeof(which[0]);
    struct xm_xc_hvm_param p[sizeof(which) / sizeof(which[0])];
    struct xm_xc_hvm_params h = { .count = 0 };
    uint64_t v;
    unsigned i;

    for (i = 0; i < nr; i++) {
        if (xc_hvm_param_get(x->xch, domid, which[i], &v)) {
            int rc = -errno;

            LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
                  "cannot read HVM param %u of domain %u", which[i], domid);
            return rc;
        }
        if (v)
            p[h.count++] = (struct xm_xc_hvm_param){ which[i], v };
    }
    if (h.count)
        rec_add(b, XM_XC_REC_HVM_PARAMS, &h, sizeof(h), p,
                h.count * sizeof(p[0]));
    return 0;
}

/*
 * XM_STATE_VCPU: every online vCPU's four records, in libxc's order; for
 * PVH the HVM_CONTEXT, which holds them all.
 */
static int state_vcpu(struct xen_backend *x, uint32_t domid,
                      struct recbuf *b)
{
    xc_domaininfo_t di;
    xc_vcpuinfo_t vi;
    unsigned id;
    int rc;

    rc = getinfo(x, domid, &di);
    if (!rc)
        rc = guest_get(x, domid);
    if (rc)
        return rc;
    if (x->pv.hvm)
        return hvm_context(x, domid, b);
    for (id = 0; id <= di.max_vcpu_id; id++) {
        if (xc_vcpu_getinfo(x->xch, domid, id, &vi)) {
            rc = -errno;
            LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
                  "cannot read vcpu%u of domain %u", id, domid);
            return rc;
        }
        if (!vi.online)
            continue;
        rc = vcpu_basic(x, domid, id, b);
        if (!rc)
            rc = vcpu_extra(x, domid, id, b);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * XM_STATE_PLATFORM: X86_TSC_INFO, then SHARED_INFO (PV) or HVM_PARAMS
 * (PVH). With the vCPU blob before it, a PVH guest's records are
 * libxc's set, HVM_CONTEXT moved before X86_TSC_INFO: libxc's restore
 * applies the context only at the end of the stream.
 */
static int state_platform(struct xen_backend *x, uint32_t domid,
                          struct recbuf *b)
{
    struct xm_xc_x86_tsc_info t = { 0 };
    int rc;

    rc = guest_get(x, domid);
    if (rc)
        return rc;
    if (xc_domain_get_tsc_info(x->xch, domid, &t.mode, &t.nsec, &t.khz,
                               &t.incarnation) < 0) {
        rc = -errno;
        LOGED(x->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot read the TSC settings of domain %u", domid);
        return rc;
    }
    rec_add(b, XM_XC_REC_X86_TSC_INFO, NULL, 0, &t, sizeof(t));
    if (x->pv.hvm)
        return hvm_params(x, domid, b);
    rec_add(b, XM_XC_REC_SHARED_INFO, NULL, 0, x->pv.shinfo, PAGE);
    return 0;
}

static int xen_get_state(struct xm_backend *be, uint32_t domid,
                         enum xm_state_kind kind, void **blob_r,
                         size_t *len_r)
{
    struct xen_backend *x = to_xen(be);
    struct recbuf b = { 0 };
    int rc;

    switch (kind) {
    case XM_STATE_CONFIG:
        rc = state_config(x, domid, &b);
        break;
    case XM_STATE_VCPU:
        rc = state_vcpu(x, domid, &b);
        break;
    case XM_STATE_PLATFORM:
        rc = state_platform(x, domid, &b);
        break;
    default:
        rc = -EINVAL;
        break;
    }
    if (!rc && b.err) {
        rc = b.err;
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "out of memory for the state of domain %u", domid);
    }
    if (rc) {
        free(b.p);
        return rc;
    }
    *blob_r = b.p;
    *len_r = b.len;
    return 0;
}

/* ---- scheduling, naming, destruction ------------------------------------ */

static int xen_set_cpu_cap(struct xm_backend *be, uint32_t domid,
                           unsigned cap_pct)
{
    struct xen_backend *x = to_xen(be);
    libxl_domain_sched_params sp;
    xc_domaininfo_t di;
    int rc;

    rc = getinfo(x, domid, &di);
    if (rc) {
        LOGED(be->lg, XM_LOG_ERROR, rc, domid,
              "cannot cap the cpu of domain %u", domid);
        return rc;
    }
    /*
     * Xen's cap (credit and credit2 alike; libxl asks the scheduler of
     * the domain's cpupool) is for the whole domain in % of one CPU; ours
     * is per vCPU.
     */
    libxl_domain_sched_params_init(&sp);
    sp.cap = (int)(cap_pct * (di.max_vcpu_id + 1));
    rc = libxl_domain_sched_params_set(x->ctx, domid, &sp) ? -EIO : 0;
    libxl_domain_sched_params_dispose(&sp);
    if (rc)
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "cannot cap the cpu of domain %u at %u%% (does its cpupool's scheduler have caps?)",
             domid, cap_pct);
    return rc;
}

/* Notes are libxl userdata "xenmig-KEY", removed with the domain. */
static int xen_set_note(struct xm_backend *be, uint32_t domid,
                        const char *key, const char *value)
{
    char id[8 + XM_NOTE_KEY_MAX];

    if (!xm_note_args_ok(key, value))
        return -EINVAL;
    snprintf(id, sizeof(id), "xenmig-%s", key);
    if (value ? libxl_userdata_store(to_xen(be)->ctx, domid, id,
                                     (const uint8_t *)value,
                                     (int)strlen(value) + 1)
              : libxl_userdata_unlink(to_xen(be)->ctx, domid, id)) {
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "cannot %s libxl's userdata \"%s\" of domain %u",
             value ? "write" : "remove", id, domid);
        return -EIO;
    }
    return 0;
}

static int xen_get_note(struct xm_backend *be, uint32_t domid,
                        const char *key, char *buf, size_t size)
{
    char id[8 + XM_NOTE_KEY_MAX];
    uint8_t *data = NULL;
    int len = 0;

    if (!xm_note_args_ok(key, ""))
        return -EINVAL;
    snprintf(id, sizeof(id), "xenmig-%s", key);
    if (libxl_userdata_retrieve(to_xen(be)->ctx, domid, id, &data, &len)) {
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "cannot read libxl's userdata \"%s\" of domain %u", id, domid);
        return -EIO;
    }
    if (!data || len <= 0) {
        free(data);
        return -ENOENT;
    }
    snprintf(buf, size, "%.*s", len, (const char *)data);
    free(data);
    return 0;
}

static int xen_rename(struct xm_backend *be, uint32_t domid,
                      const char *name)
{
    if (libxl_domain_rename(to_xen(be)->ctx, domid, NULL, name)) {
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "cannot rename domain %u to \"%s\"", domid, name);
        return -EIO;
    }
    return 0;
}

static struct incoming *incoming_of(struct xen_backend *x, uint32_t domid);

static int xen_destroy(struct xm_backend *be, uint32_t domid)
{
    struct xen_backend *x = to_xen(be);
    struct incoming *in = incoming_of(x, domid);

    if (in && !in->committed) {
        /* xen-restore.c destroys what libxl made */
        incoming_drop(x, in);
        return 0;
    }
    if (in)
        incoming_drop(x, in);
    if (x->pv.domid == domid)
        pv_drop(x);
    if (libxl_domain_destroy(x->ctx, domid, NULL)) {
        LOGD(be->lg, XM_LOG_ERROR, domid, "cannot destroy domain %u", domid);
        return -EIO;
    }
    return 0;
}

/* ---- receiver side ------------------------------------------------------ */

/*
 * The receiver does not build domains itself: it turns our stream back
 * into Xen's (libxl v2 / libxc v3) and hands it to libxl through
 * xen-restore.c, so a guest is restored by Xen's own code:
 *   create()      our CONFIG blob: the libxl JSON (first record) starts
 *                 the restore; the libxc records after it go verbatim
 *   map(write)    zeroed buffers of ours; the matching unmap() sends them
 *                 as PAGE_DATA with the types restore.c passes in the pfn
 *                 words (backend.h)
 *   set_state()   VCPU and PLATFORM blobs: libxc records, verbatim
 *   commit()      libxc and libxl END; wait until libxl has built it
 *   destroy()     before commit: xen-restore.c gives up and destroys
 * An error in unmap() (which cannot return one) sticks to the domain and
 * fails its next op.
 */

static struct incoming *incoming_of(struct xen_backend *x, uint32_t domid)
{
    struct incoming *in;

    for (in = x->in; in; in = in->next)
        if (in->domid == domid)
            return in;
    return NULL;
}

static void incoming_drop(struct xen_backend *x, struct incoming *in)
{
    struct incoming **pp;

    for (pp = &x->in; *pp; pp = &(*pp)->next) {
        if (*pp == in) {
            *pp = in->next;
            break;
        }
    }
    xm_xen_restore_dispose(in->r);
    free(in->words);
    free(in->buf);
    free(in);
}

/* The domain being restored as @domid, or NULL (logged). */
static struct incoming *incoming_get(struct xen_backend *x, uint32_t domid,
                                     const char *what)
{
    struct incoming *in = incoming_of(x, domid);

    if (!in)
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "cannot %s domain %u: it is not being restored here", what,
             domid);
    else if (in->err)
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "cannot %s domain %u: its restore failed earlier", what, domid);
    return in;
}

static int map_incoming(struct xen_backend *x, uint32_t domid,
                        const uint64_t *words, unsigned n, void **pages_r,
                        int *errs, struct map_handle *h)
{
    struct incoming *in = incoming_get(x, domid, "write pages of");
    unsigned i;

    if (!in)
        return -ESRCH;
    if (in->err)
        return in->err;
    if (in->busy) {
        LOGD(x->be.lg, XM_LOG_ERROR, domid,
             "cannot map pages of domain %u: its previous batch is still mapped",
             domid);
        return -EBUSY;
    }
    /*
     * One buffer per incoming domain, grown when needed and kept: in a PV
     * dom0 every first touch of a fresh page is a fault and a page-table
     * update through Xen, so a buffer allocated and freed per batch cost
     * more than the pages' copy.
     */
    if (n > in->cap) {
        uint64_t *w = realloc(in->words, n * sizeof(*w));
        void *b = aligned_alloc(PAGE, (size_t)n * PAGE);

        if (w)
            in->words = w;
        if (!w || !b) {
            free(b);
            LOGD(x->be.lg, XM_LOG_ERROR, domid,
                 "out of memory for %u pages of domain %u", n, domid);
            return -ENOMEM;
        }
        free(in->buf);
        in->buf = b;
        in->cap = n;
    }
    in->busy = true;
    h->words = in->words;
    h->buf = in->buf;
    memcpy(h->words, words, n * sizeof(*words));
    for (i = 0; i < n; i++) {
        pages_r[i] = (uint8_t *)h->buf + (size_t)i * PAGE;
        errs[i] = 0;
        /*
         * restore.c writes only what is not already zero; a hole's
         * (a PVH guest's physmap is mostly holes) goes nowhere.
         */
        if (xm_xc_type_has_data((unsigned)(words[i] >> XM_PFN_TYPE_SHIFT)))
            memset(pages_r[i], 0, PAGE);
    }
    h->in = in;
    return 0;
}


/* unmap() of a writable map: the pages go to libxc as one PAGE_DATA. */
static void incoming_pages(struct xen_backend *x, struct map_handle *h)
{
    void **pages = malloc(h->n * sizeof(*pages));
    unsigned i;
    int rc;

    if (!pages) {
        h->in->err = -ENOMEM;
        return;
    }
    for (i = 0; i < h->n; i++)
        pages[i] = (uint8_t *)h->buf + (size_t)i * PAGE;
    rc = xm_xen_restore_pages(h->in->r, h->words, h->n, pages);
    if (rc && !h->in->err) {
        h->in->err = rc;
        LOGED(x->be.lg, XM_LOG_ERROR, rc, h->in->domid,
              "cannot pass %u pages of domain %u to libxc", h->n,
              h->in->domid);
    }
    free(pages);
}

/*
 * Split a CONFIG blob: the JSON of our first record, and the libxc
 * records after it. -EINVAL (logged) if it is not that.
 */
static int parse_config(struct xen_backend *x, const uint8_t *p, size_t len,
                        const char **json_r, const uint8_t **rest_r,
                        size_t *rest_len_r, uint32_t *guest_type_r)
{
    uint32_t dhdr_type;

    if (xm_xc_split_config(p, len, json_r, rest_r, rest_len_r, &dhdr_type)) {
        LOG(x->be.lg, XM_LOG_ERROR,
            "the domain configuration in the stream is not a xen one (a libxl JSON record, then libxc records)");
        return -EINVAL;
    }
    *guest_type_r = dhdr_type == XM_XC_DHDR_TYPE_X86_PV ? XM_GUEST_PV
                                                        : XM_GUEST_PVH;
    return 0;
}

static int xen_create(struct xm_backend *be, const char *name,
                      const void *config, size_t config_len,
                      uint64_t nr_pfns, uint32_t *domid_r)
{
    struct xen_backend *x = to_xen(be);
    const uint8_t *rest;
    const char *json;
    size_t rest_len;
    uint32_t type;
    struct incoming *in;
    int rc;

    rc = parse_config(x, config, config_len, &json, &rest, &rest_len, &type);
    if (rc)
        return rc;
    in = calloc(1, sizeof(*in));
    if (!in) {
        LOG(be->lg, XM_LOG_ERROR, "out of memory creating domain \"%s\"",
            name);
        return -ENOMEM;
    }
    rc = xm_xen_restore_start(x->ctx, be->lg, name, json, type, &in->r,
                              &in->domid);
    if (rc) {
        free(in);
        return rc;
    }
    in->next = x->in;
    x->in = in;
    if (rest_len) {
        rc = xm_xen_restore_records(in->r, rest, rest_len);
        if (rc) {
            LOGED(be->lg, XM_LOG_ERROR, rc, in->domid,
                  "cannot pass the static data of domain \"%s\" to libxc",
                  name);
            incoming_drop(x, in);
            return rc;
        }
    }
    *domid_r = in->domid;
    return 0;
}

static int xen_set_state(struct xm_backend *be, uint32_t domid,
                         enum xm_state_kind kind, const void *blob,
                         size_t len)
{
    struct incoming *in = incoming_get(to_xen(be), domid, "load state into");
    int rc;

    if (!in)
        return -ESRCH;
    if (in->err)
        return in->err;
    if (kind == XM_STATE_CONFIG) {
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "cannot load a configuration into domain %u after create",
             domid);
        return -EINVAL;
    }
    rc = xm_xen_restore_records(in->r, blob, len);
    if (rc) {
        in->err = rc;
        LOGED(be->lg, XM_LOG_ERROR, rc, domid,
              "cannot pass the %s state of domain %u to libxc",
              kind == XM_STATE_VCPU ? "vCPU" : "platform", domid);
    }
    return rc;
}

/* The stream is complete: libxl finishes building the domain, paused. */
static int xen_commit(struct xm_backend *be, uint32_t domid)
{
    struct incoming *in = incoming_get(to_xen(be), domid, "finish");
    int rc;

    if (!in)
        return -ESRCH;
    if (in->err)
        return in->err;
    rc = xm_xen_restore_finish(in->r);
    if (rc) {
        in->err = rc;
        return rc;
    }
    in->committed = true;
    return 0;
}


const struct xm_backend_ops xm_backend_xen_ops = {
    .name = "xen",
    .features = XM_FEAT_KNOWN & ~(XM_FEAT_DELTA | XM_FEAT_VERIFY),
    .open = xen_open,
    .close = xen_close,
    .list = xen_list,
    .domain_info = xen_domain_info,
    .pause = xen_pause,
    .unpause = xen_unpause,
    .suspend = xen_suspend,
    .resume = xen_resume,
    .logdirty_enable = xen_logdirty_enable,
    .logdirty_disable = xen_logdirty_disable,
    .dirty_bitmap = xen_dirty_bitmap,
    .map = xen_map,
    .unmap = xen_unmap,
    .page_types = xen_page_types,
    .get_state = xen_get_state,
    .set_state = xen_set_state,
    .create = xen_create,
    .commit = xen_commit,
    .destroy = xen_destroy,
    .set_cpu_cap = xen_set_cpu_cap,
    .rename = xen_rename,
    .set_note = xen_set_note,
    .get_note = xen_get_note,
};
