/*
 * sim.h - the inside of xenmig-simd, the simulated hypervisor: what its
 * files share.
 *
 *   simd.c     main(), the socket, one thread per client, op dispatch
 *   domain.c   the domain table; RAM (a memfd), pause/suspend/cap, state
 *   vcpu.c     vCPU threads: heartbeat, workloads, parking, the cap
 *   dirty.c    log-dirty through userfaultfd write-protect
 *   heap.c     freed guest RAM kept, scrubbed, for the next domain
 *
 * Locking, outermost first:
 *   table lock (domain.c)  the domain table, refcounts
 *   dom->op_lock           one control op at a time per domain
 *   dom->lock              run state shared with the vCPU threads
 *   dirty->lock            sync mode: bitmap + protection changes
 *   heap lock (heap.c)     the held memfds (taken with none of the above
 *                          held, or only the table lock's caller's own)
 * A vCPU thread only ever takes dom->lock (and, by faulting, makes the
 * dirty handler take dirty->lock), so holding op_lock while waiting for
 * vCPUs to park cannot deadlock.
 *
 * Every function that can fail returns 0 or -errno and, on failure, puts
 * a message for the client into the caller's struct sim_err.
 */
#ifndef XM_SIM_INTERNAL_H
#define XM_SIM_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "sim-proto.h"

/* Where a failed op explains itself (sent back in xm_sim_resp.msg). */
struct sim_err {
    char msg[192];                /* NUL terminated, "" if none */
};

/* Format @fmt into @err and return @rc (a negative errno). */
int sim_fail(struct sim_err *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* simd's own log line on stderr. */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic nanoseconds. */
uint64_t sim_now_ns(void);

/* ---- dirty tracking (dirty.c) ----------------------------------------- */

enum sim_dirty_mode {
    SIM_DIRTY_ASYNC, /* UFFD_FEATURE_WP_ASYNC + PAGEMAP_SCAN */
    SIM_DIRTY_SYNC,  /* a handler thread resolves each WP fault */
};

/* Log-dirty state of one domain's RAM. */
struct sim_dirty {
    bool enabled;                 /* tracking is on */
    enum sim_dirty_mode mode;     /* how, while enabled */
    int uffd;                     /* the userfaultfd, -1 when off */
    int pagemap_fd;               /* async: /proc/self/pagemap, else -1 */
    uint8_t *base;                /* the tracked range (the RAM) */
    uint64_t nr_pfns;             /* its pages */
    /* sync mode only: */
    pthread_mutex_t lock;         /* bitmap + (un)protect, see dirty.c */
    unsigned long *bitmap;        /* pages written since the last CLEAN */
    pthread_t handler;            /* reads the uffd's WP faults */
    int stop_fd;                  /* eventfd telling the handler to quit */
    bool handler_running;         /* handler was started */
};

/* Pick the mode once at start-up ($XENMIG_SIM_DIRTY, then a probe). */
int sim_dirty_global_init(void);
/* The mode that sim_dirty_global_init() chose. */
enum sim_dirty_mode sim_dirty_global_mode(void);
const char *sim_dirty_mode_name(enum sim_dirty_mode mode);

void sim_dirty_init(struct sim_dirty *dt);
/* Write-protect all of @base and start catching writes: all pages clean. */
int sim_dirty_enable(struct sim_dirty *dt, uint8_t *base, uint64_t nr_pfns,
                     struct sim_err *err);
/* Stop tracking, remove the protection. Idempotent. */
void sim_dirty_disable(struct sim_dirty *dt);
/*
 * Write the dirty bitmap (bit per pfn, unsigned longs) into @out, which
 * has room for @nr_bits bits and is zeroed here; @clean: also clear and
 * re-protect, atomically per page. *@count_r: bits set.
 */
int sim_dirty_read(struct sim_dirty *dt, bool clean, unsigned long *out,
                   uint64_t nr_bits, uint64_t *count_r, struct sim_err *err);

/* ---- domains (domain.c) ----------------------------------------------- */

struct sim_domain;

/* One vCPU: a thread and its registers. */
struct sim_vcpu {
    struct sim_domain *dom;       /* owner */
    unsigned id;                  /* 0 .. nr_vcpus-1 */
    pthread_t thread;             /* runs vcpu_main() */
    bool started;                 /* thread exists (joined at teardown) */
    struct xm_sim_vcpu_regs regs; /* owned by the thread while it runs */
};

struct sim_domain {
    uint32_t domid;               /* from 1 */
    char name[XM_SIM_NAME_MAX];   /* unique on the host */
    uint64_t nr_pfns;             /* RAM pages */
    int memfd;                    /* the RAM; -1 once given back */
    uint64_t mem_size;            /* its size: nr_pfns pages or more (a
                                     memfd from the heap) */
    unsigned mappers;             /* client connections that mapped it
                                     (table lock) */
    uint8_t *ram;                 /* simd's MAP_SHARED mapping of it */
    struct xm_sim_config cfg;     /* workload */
    unsigned refs;                /* table's + each op's (table lock) */
    bool dead;                    /* destroyed, waiting for the last ref */
    const void *builder;          /* the connection building it until
                                     COMMIT, else NULL (table lock) */
    pthread_mutex_t op_lock;      /* one control op at a time */

    pthread_mutex_t lock;         /* the fields below */
    pthread_cond_t cond;          /* any of them changed */
    unsigned pause_count;         /* nested pauses */
    bool suspended;               /* suspend() without resume() */
    bool stopping;                /* teardown: vCPU threads exit */
    bool vcpus_started;           /* threads were created */
    unsigned parked;              /* vCPU threads that are parked */
    unsigned cap;                 /* % of each 10 ms period, 0: none */
    uint64_t cpu_time_done;       /* CPU time of exited vCPU threads */

    struct sim_vcpu *vcpus;       /* cfg.vcpus of them */
    struct sim_dirty dirty;       /* log-dirty */
    uint64_t clock_ns;            /* platform clock when last stopped */
    uint64_t run_since;           /* running since (monotonic), 0: not */
    struct {                      /* the toolstack's notes (set_note) */
        char key[XM_NOTE_KEY_MAX];      /* "" : a free slot */
        char value[XM_NOTE_VALUE_MAX];
    } notes[8];
};

/* Check a config blob; -EINVAL with a message if it is bad. */
int sim_config_check(const void *blob, size_t len, uint64_t nr_pfns,
                     struct xm_sim_config *cfg_r, struct sim_err *err);

/* @builder: the connection building an incoming domain (reaped with it
 * unless committed), or NULL. @image_fd: the file XM_SIM_FILL_IMAGE
 * reads (not closed here), else -1. */
int sim_domain_create(const char *name, const struct xm_sim_config *cfg,
                      uint64_t nr_pfns, enum xm_sim_fill fill, int image_fd,
                      bool run,
                      const void *builder, uint32_t *domid_r,
                      struct sim_err *err);
/* An incoming domain is complete: it no longer depends on its builder. */
int sim_domain_commit(struct sim_domain *dom, struct sim_err *err);
/* Destroy the uncommitted domains @builder was building (it went away). */
void sim_domain_reap(const void *builder);
/* Find a domain and take a reference; -ESRCH if none. */
int sim_domain_get(uint32_t domid, struct sim_domain **dom_r,
                   struct sim_err *err);
void sim_domain_put(struct sim_domain *dom);
int sim_domain_destroy(struct sim_domain *dom, struct sim_err *err);
/* Destroy every domain (shutdown). */
void sim_domain_destroy_all(void);
/* Snapshot of all domains; *@infos_r malloc'd. */
int sim_domain_list(struct xm_sim_dominfo **infos_r, unsigned *n_r,
                    struct sim_err *err);
void sim_domain_info(struct sim_domain *dom, struct xm_sim_dominfo *info);

int sim_domain_pause(struct sim_domain *dom, struct sim_err *err);
int sim_domain_unpause(struct sim_domain *dom, struct sim_err *err);
int sim_domain_suspend(struct sim_domain *dom, struct sim_err *err);
int sim_domain_resume(struct sim_domain *dom, struct sim_err *err);
int sim_domain_set_cap(struct sim_domain *dom, unsigned cap,
                       struct sim_err *err);
int sim_domain_rename(struct sim_domain *dom, const char *name,
                      struct sim_err *err);
/* @value NULL: remove. get: *@found false if there is no such note. */
int sim_domain_set_note(struct sim_domain *dom, const char *key,
                        const char *value, struct sim_err *err);
int sim_domain_get_note(struct sim_domain *dom, const char *key,
                        char value[XM_NOTE_VALUE_MAX], bool *found,
                        struct sim_err *err);
int sim_domain_get_state(struct sim_domain *dom, unsigned kind,
                         void **blob_r, size_t *len_r, struct sim_err *err);
int sim_domain_set_state(struct sim_domain *dom, unsigned kind,
                         const void *blob, size_t len, struct sim_err *err);

/* ---- vCPUs (vcpu.c) --------------------------------------------------- */

/* Registers of a fresh vCPU @id of a domain with @cfg. */
void sim_vcpu_reset(struct sim_vcpu *v, const struct xm_sim_config *cfg);
/* Start every vCPU thread of @dom (called with dom->lock held). */
int sim_vcpus_start(struct sim_domain *dom, struct sim_err *err);
/*
 * Wait until every started vCPU is parked (dom->lock held; the caller has
 * made them want to park).
 */
void sim_vcpus_wait_parked(struct sim_domain *dom);
/* Stop and join every vCPU thread (dom->lock not held). */
void sim_vcpus_stop(struct sim_domain *dom);
/* CPU time of all vCPU threads so far (dom->lock held). */
uint64_t sim_vcpus_cpu_time(struct sim_domain *dom);
/* Whether the vCPUs must stay parked now (dom->lock held). */
bool sim_vcpus_must_park(const struct sim_domain *dom);

/* New domains' RAM as files in @dir, not memfds (xenmig-simd --ram-dir) */
void sim_domain_ram_dir(const char *dir);

/* heap.c: freed guest RAM kept for the next domain (xenmig-simd --heap) */
void sim_heap_init(uint64_t max_bytes);
/*
 * A zeroed memfd of at least @bytes from the heap (its size in *@size_r),
 * waiting for one being scrubbed if that is the only one that fits; -1 if
 * none fits.
 */
int sim_heap_take(uint64_t bytes, uint64_t *size_r);
/* Take @memfd of @size bytes, which nothing maps any more: kept and
 * scrubbed if it fits under the limit, else closed. */
void sim_heap_give(int memfd, uint64_t size);
/* Whether --heap asked for one. */
bool sim_heap_on(void);

/* A client connection mapped @d's RAM (takes a reference on @d). */
void sim_domain_mapped(struct sim_domain *d);
/* ... and closed: the reference goes, and the RAM to the heap if @d is
 * destroyed and nobody else maps it. */
void sim_domain_unmapped(struct sim_domain *d);

#endif /* XM_SIM_INTERNAL_H */
