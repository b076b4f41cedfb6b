/*
 * backend.h - the hypervisor operations the engine needs, as one vtable.
 *
 * Two implementations: backend-sim.c talks to a simulated host (xenmig-simd)
 * over a unix socket and maps guest RAM by sharing its memory file;
 * backend-xen.c (built when the Xen libraries are installed: HAVE_XEN)
 * sits on libxenctrl, libxenguest, libxenforeignmemory and libxl.
 * The ops are shaped after the libxenctrl calls so the Xen backend is thin:
 *   pause/unpause          xc_domain_pause / xc_domain_unpause
 *   suspend/resume         libxl_domain_suspend_only / xc_domain_resume(fast)
 *   logdirty_enable/...    xc_shadow_control(ENABLE_LOGDIRTY / OFF)
 *   dirty_bitmap           xc_shadow_control(CLEAN / PEEK)
 *   map/unmap              xenforeignmemory_map / _unmap (with per-page errs)
 *   page_types             xc_get_pfn_type_batch
 *   get_state/set_state    xc_vcpu_getcontext, xc_domain_hvm_getcontext, ...
 *   create/commit/destroy  libxl_domain_create_restore / libxl_domain_destroy
 *   set_cpu_cap            xc_sched_credit_params_set (cap)
 *
 * Every member is mandatory. Every op returns 0 or a negative errno and
 * logs its own failures through the backend's logger, naming the domain.
 * A backend instance is used by one thread at a time.
 */
#ifndef XM_BACKEND_H
#define XM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stream-format.h"
#include "xenmig.h"

#define XM_PAGE_SHIFT 12
#define XM_PAGE_SIZE (1u << XM_PAGE_SHIFT)

/* Default socket of a sim host; $XENMIG_SIM_SOCKET overrides. */
#define XM_SIM_DEFAULT_SOCKET "/run/xenmig/sim.sock"

enum xm_domain_flags {
    XM_DOMAIN_PAUSED = 1 << 0,    /* vCPUs are stopped (by pause) */
    XM_DOMAIN_SUSPENDED = 1 << 1, /* the guest is suspended for save */
    XM_DOMAIN_LOGDIRTY = 1 << 2,  /* log-dirty mode is on */
    XM_DOMAIN_INCOMING = 1 << 3,  /* being built by a receiver (no commit
                                     yet): gone if the receiver dies */
};

/* What the engine needs to know about a domain. */
struct xm_domain_info {
    uint32_t domid;           /* the hypervisor's id */
    char name[64];            /* the toolstack's name, NUL terminated */
    uint64_t nr_pfns;         /* guest pfns are 0 .. nr_pfns-1 */
    uint32_t nr_vcpus;        /* vCPUs */
    uint32_t flags;           /* enum xm_domain_flags */
    uint32_t cpu_cap;         /* current cap in % of a CPU, 0: none */
    uint64_t cpu_time_ns;     /* vCPU time used so far, all vCPUs */
    uint32_t hv_version;      /* the hypervisor's version, major << 16 |
                                 minor (xen: XENVER_version; sim: 0) */
    uint32_t guest_type;      /* XM_GUEST_* (stream-format.h); 0: sim */
};

enum xm_dirty_op {
    XM_DIRTY_CLEAN, /* read the bitmap and clear it (SHADOW_OP_CLEAN) */
    XM_DIRTY_PEEK,  /* read the bitmap, leave it (SHADOW_OP_PEEK) */
};

/* The opaque guest state the engine carries without looking inside. */
enum xm_state_kind {
    XM_STATE_CONFIG,   /* what create() needs (libxl JSON / sim config) */
    XM_STATE_VCPU,     /* all vCPUs' context */
    XM_STATE_PLATFORM, /* everything else (HVM context, params, TSC...) */
};

/* Page types as Xen's XEN_DOMCTL_PFINFO_* (top 4 bits of a pfn word). */
enum xm_page_type {
    XM_PAGE_NORMAL = 0x0,  /* ordinary RAM */
    XM_PAGE_L1TAB = 0x1,   /* PV page tables 1-4: need normalising */
    XM_PAGE_L2TAB = 0x2,
    XM_PAGE_L3TAB = 0x3,
    XM_PAGE_L4TAB = 0x4,
    XM_PAGE_LPINTAB = 0x8, /* flag on L1-L4: the guest pinned the table */
    XM_PAGE_BROKEN = 0xd,  /* not to be sent */
    XM_PAGE_XALLOC = 0xe,  /* allocate only, no content */
    XM_PAGE_XTAB = 0xf,    /* invalid / hole */
};

struct xm_backend_ops {
    /* "sim" or "xen". */
    const char *name;
    /*
     * The stream features (XM_FEAT_*) a receiver on this backend can
     * honour. xen lacks XM_FEAT_DELTA (a delta applies to the page the
     * receiver holds, and the xen receiver hands its pages to libxc
     * without keeping them) and XM_FEAT_VERIFY (the new domain's RAM
     * cannot be read until libxl has built it). The sender offers no
     * more than its own backend's set either, so a save file is one its
     * backend can restore.
     */
    uint64_t features;

    /*
     * Connect to the hypervisor. @address: see xm_backend_open(). On
     * success *@be_r is a new instance owned by the caller (close()).
     */
    int (*open)(const char *address, struct xm_logger *lg,
                struct xm_backend **be_r);
    /* Disconnect, unmapping anything still mapped. NULL is allowed. */
    void (*close)(struct xm_backend *be);

    /*
     * All domains but dom0. *@infos_r is malloc'd (caller frees), *@n_r
     * entries.
     */
    int (*list)(struct xm_backend *be, struct xm_domain_info **infos_r,
                unsigned *n_r);
    /* One domain; -ESRCH if there is none with that id. */
    int (*domain_info)(struct xm_backend *be, uint32_t domid,
                       struct xm_domain_info *info_r);

    /*
     * Stop / restart the vCPUs. pause() returns only once no vCPU runs
     * (Xen's domain_pause is synchronous too). Nested pauses count.
     */
    int (*pause)(struct xm_backend *be, uint32_t domid);
    int (*unpause)(struct xm_backend *be, uint32_t domid);

    /*
     * Bring the guest to a state that can be saved (PV: the guest's own
     * suspend; sim: vCPUs stopped at an instruction boundary) and leave it
     * stopped. resume() undoes it for a migration that failed, so the
     * guest carries on where it was (xc_domain_resume with fast=1).
     */
    int (*suspend)(struct xm_backend *be, uint32_t domid);
    int (*resume)(struct xm_backend *be, uint32_t domid);

    /*
     * Log-dirty mode. enable() starts with every page clean; disable()
     * stops tracking (the pages written since the last CLEAN are lost,
     * which is fine: the migration is over either way).
     */
    int (*logdirty_enable)(struct xm_backend *be, uint32_t domid);
    int (*logdirty_disable)(struct xm_backend *be, uint32_t domid);

    /*
     * Copy the dirty bitmap into @bitmap (bit pfn set = written since the
     * last CLEAN; @nr_pfns bits, in unsigned longs as Xen lays them out)
     * and, for XM_DIRTY_CLEAN, clear it atomically: a write that lands
     * after the copy of its bit is seen by the next call. *@dirty_r
     * (may be NULL) is the number of bits set.
     */
    int (*dirty_bitmap)(struct xm_backend *be, uint32_t domid,
                        enum xm_dirty_op op, unsigned long *bitmap,
                        uint64_t nr_pfns, uint64_t *dirty_r);

    /*
     * Map @n guest pages, @pfns[i] at (*@pages_r)[i] (page aligned,
     * XM_PAGE_SIZE each), readable and, if @writable, writable. @errs[i]
     * gets 0 or a negative errno per page (a hole, say): the call then
     * still succeeds and (*@pages_r)[i] is NULL. @pages_r is an array of
     * @n pointers the caller provides. *@handle_r is what unmap() needs.
     * The mapping stays valid until unmap(), close(), or the domain's
     * destruction, whichever is first.
     * Writable (the receiver): bits 60-63 of @pfns[i] may carry the
     * page's type from the stream (XM_PFN_TYPE_SHIFT), for a backend that
     * has to pass it on (xen); backends mask the pfn with XM_PFN_MASK.
     * Read-only on xen (PV): what a page whose type has no content (XTAB,
     * XALLOC, BROKEN) maps to is a page of zeroes; a page table is a
     * private copy normalised for the wire (its PTEs hold pfns, not
     * mfns). While the guest runs, a table caught mid-update is handed
     * out with the PTEs it cannot translate cleared, and is reported
     * dirty again by the next dirty_bitmap() (libxc defers it the same
     * way); once suspend() has run, such a table is an error.
     */
    int (*map)(struct xm_backend *be, uint32_t domid, const uint64_t *pfns,
               unsigned n, bool writable, void **pages_r, int *errs,
               void **handle_r);
    /* Undo one map(); @n is the count given to it. */
    void (*unmap)(struct xm_backend *be, void *handle, unsigned n);

    /*
     * Type of each page (enum xm_page_type) for @n pfns, as the receiver
     * needs them (PV page tables, with XM_PAGE_LPINTAB if pinned).
     * Backends without typed pages answer XM_PAGE_NORMAL for RAM and
     * XM_PAGE_XTAB past the end.
     */
    int (*page_types)(struct xm_backend *be, uint32_t domid,
                      const uint64_t *pfns, unsigned n, uint32_t *types_r);

    /*
     * Opaque state of @kind. *@blob_r is malloc'd (caller frees),
     * *@len_r bytes. get_state(XM_STATE_VCPU/PLATFORM) wants a paused or
     * suspended domain (xen: suspended; vCPU 0's registers hold the
     * start-info frame only then).
     * xen: each blob is whole libxc v3 records (xc-format.h) that a stock
     * restore takes verbatim: CONFIG is a private record 0x40000001 with
     * the libxl config as NUL-terminated JSON, then what libxc's PV save
     * writes before its first PAGE_DATA (X86_PV_INFO, X86_CPUID_POLICY,
     * X86_MSR_POLICY, STATIC_DATA_END, X86_PV_P2M_FRAMES); VCPU is
     * X86_PV_VCPU_BASIC/EXTENDED/XSAVE/MSRS per online vCPU (frame
     * numbers as pfns); PLATFORM is X86_TSC_INFO and SHARED_INFO.
     */
    int (*get_state)(struct xm_backend *be, uint32_t domid,
                     enum xm_state_kind kind, void **blob_r, size_t *len_r);
    /*
     * Load state from get_state() of the same kind into a domain made by
     * create() and not yet unpaused. -EINVAL for a blob it cannot parse
     * (the message says what is wrong with it).
     */
    int (*set_state)(struct xm_backend *be, uint32_t domid,
                     enum xm_state_kind kind, const void *blob, size_t len);

    /*
     * Make an empty, paused domain named @name from @config (a
     * get_state(XM_STATE_CONFIG) blob) with @nr_pfns pages of zeroed RAM.
     * -EEXIST if the name is taken.
     */
    int (*create)(struct xm_backend *be, const char *name,
                  const void *config, size_t config_len, uint64_t nr_pfns,
                  uint32_t *domid_r);
    /*
     * The stream that create() began is complete: finish building the
     * domain and keep it, paused. Until then a domain made by create()
     * belongs to this backend instance, and the host removes it if the
     * instance goes away (the receiving process dies). On Xen this is
     * where the stock restore is finished.
     */
    int (*commit)(struct xm_backend *be, uint32_t domid);
    /* Tear a domain down, whatever state it is in. */
    int (*destroy)(struct xm_backend *be, uint32_t domid);

    /*
     * Cap the domain's vCPUs at @cap_pct % of a CPU each (Xen's scheduler
     * cap; 0 removes the cap). The throttle of auto-converge.
     */
    int (*set_cpu_cap)(struct xm_backend *be, uint32_t domid,
                       unsigned cap_pct);

    /* Rename a domain (the source becomes NAME--migratedaway). */
    int (*rename)(struct xm_backend *be, uint32_t domid, const char *name);

    /*
     * A short note the toolstack keeps with a domain, for a later xenmig
     * process (recover): @key up to XM_NOTE_KEY_MAX - 1 characters of
     * [a-z0-9-], @value up to XM_NOTE_VALUE_MAX - 1; a NULL @value
     * removes it. The note goes when the domain does (xen: libxl's
     * per-domain userdata; sim: kept by the sim host). get_note() copies
     * the value, NUL ended, into @buf and returns -ENOENT, without
     * logging, if there is none.
     */
    int (*set_note)(struct xm_backend *be, uint32_t domid, const char *key,
                    const char *value);
    int (*get_note)(struct xm_backend *be, uint32_t domid, const char *key,
                    char *buf, size_t size);
};

#define XM_NOTE_KEY_MAX 32
#define XM_NOTE_VALUE_MAX 128

/* The note a migration keeps while it throttles: the domain's own cap,
 * decimal %, for xenmig recover. */
#define XM_NOTE_CAP "cap-before-migration"

/* Every backend's instance starts with this. */
struct xm_backend {
    const struct xm_backend_ops *ops; /* how to drive it */
    struct xm_logger *lg;             /* where it logs */
};

extern const struct xm_backend_ops xm_backend_sim_ops;
#ifdef HAVE_XEN
extern const struct xm_backend_ops xm_backend_xen_ops;
#endif

/* A note's key and value (NULL allowed) are within set_note()'s rules.
 * (Inline: xenmig-simd checks them too, without the backends.) */
static inline bool xm_note_args_ok(const char *key, const char *value)
{
    size_t n = strlen(key);

    if (!n || n >= XM_NOTE_KEY_MAX ||
        strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
        return false;
    return !value || strlen(value) < XM_NOTE_VALUE_MAX;
}

/* Find a domain by name or decimal id; -ESRCH (logged) if none. */
int xm_domain_lookup(struct xm_backend *be, const char *name_or_id,
                     uint32_t *domid_r);

#endif /* XM_BACKEND_H */
