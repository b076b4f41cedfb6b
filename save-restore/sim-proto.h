/*
 * sim-proto.h - the "hypercall" interface between the toolstack side
 * (backend-sim.c) and the simulated hypervisor (xenmig-simd), and the
 * layout of the sim's opaque state blobs.
 *
 * Transport: a unix SOCK_SEQPACKET socket, one request message answered
 * by one response message, strictly in turn. A request is a struct
 * xm_sim_req followed by req.len payload bytes; a response is a struct
 * xm_sim_resp followed by resp.len payload bytes. File descriptors travel
 * as SCM_RIGHTS ancillary data.
 *
 * Order on a connection:
 *   client                                   simd
 *   HELLO(magic, version)             --->
 *                                     <---   rc 0, or -EPROTO + message
 *   any op ...                        --->
 *                                     <---   rc, message, payload, [fd]
 * Shared memory instead of messages for bulk data, as Xen does it:
 *   - MAP answers with the domain's RAM memfd; the client mmaps it
 *     MAP_SHARED (foreign mapping: both see the same pages).
 *   - BITMAP_BUF hands simd a memfd the client allocated (Xen's hypercall
 *     buffer); DIRTY writes the dirty bitmap into it rather than into the
 *     reply, so a 4 GiB guest's 128 KiB bitmap is not copied through the
 *     socket.
 * A failed op answers rc < 0 (a negative errno) and, in msg, what went
 * wrong in words the client can log as is.
 */
#ifndef XM_SIM_PROTO_H
#define XM_SIM_PROTO_H

#include <stdint.h>

#define XM_SIM_PROTO_MAGIC 0x584d5349u /* "XMSI" */
#define XM_SIM_PROTO_VERSION 2

/* Largest message either way, header included. */
#define XM_SIM_MSG_MAX (64 * 1024)
/* Limits of a simulated domain. */
#define XM_SIM_MAX_VCPUS 64
#define XM_SIM_MAX_PFNS (1ull << 32)
#define XM_SIM_NAME_MAX 64

enum xm_sim_op {
    XM_SIM_OP_HELLO = 1,     /* arg0 magic, arg1 version */
    XM_SIM_OP_LIST,          /* payload out: xm_sim_dominfo[] */
    XM_SIM_OP_INFO,          /* payload out: one xm_sim_dominfo */
    XM_SIM_OP_PAUSE,
    XM_SIM_OP_UNPAUSE,
    XM_SIM_OP_SUSPEND,
    XM_SIM_OP_RESUME,
    XM_SIM_OP_LOGDIRTY_ENABLE,
    XM_SIM_OP_LOGDIRTY_DISABLE,
    XM_SIM_OP_BITMAP_BUF,    /* fd in: bitmap memfd, arg0 its size */
    XM_SIM_OP_DIRTY,         /* arg0 enum xm_dirty_op, arg1 nr_pfns;
                                val0 out: bits set */
    XM_SIM_OP_MAP,           /* fd out: RAM memfd; val0 out: nr_pfns */
    XM_SIM_OP_GET_STATE,     /* arg0 enum xm_state_kind; payload out */
    XM_SIM_OP_SET_STATE,     /* arg0 kind; payload in: the blob */
    XM_SIM_OP_CREATE,        /* name, arg0 nr_pfns, arg1 enum xm_sim_fill,
                                arg2 XM_SIM_CREATE_*; payload in: config;
                                fd in: the image (XM_SIM_FILL_IMAGE only);
                                val0 out: domid */
    XM_SIM_OP_DESTROY,
    XM_SIM_OP_SET_CAP,       /* arg0 cap % */
    XM_SIM_OP_RENAME,        /* name */
    XM_SIM_OP_COMMIT,        /* an incoming domain is complete: keep it */
    XM_SIM_OP_SET_NOTE,      /* name: the key; payload in: the value, none
                                removes it */
    XM_SIM_OP_GET_NOTE,      /* name: the key; payload out: the value;
                                val0 out: 1 if there is one */
};

/* CREATE's arg2. */
enum xm_sim_create_flags {
    XM_SIM_CREATE_RUN = 1 << 0,      /* start the vCPUs at once */
    /*
     * Being built by a migration or restore: destroyed if the connection
     * that created it closes before COMMIT, so a receiver killed halfway
     * leaves nothing behind (Xen's toolstack gets the same from its
     * restore helper dying with the domain half made).
     */
    XM_SIM_CREATE_INCOMING = 1 << 1,
};

/* A request. */
struct xm_sim_req {
    uint32_t op;                  /* enum xm_sim_op */
    uint32_t domid;               /* the domain it is about, or 0 */
    uint64_t arg[3];              /* op specific, see enum xm_sim_op */
    char name[XM_SIM_NAME_MAX];   /* CREATE, RENAME: NUL terminated */
    uint32_t len;                 /* payload bytes after this header */
    uint32_t pad;                 /* zero */
};

/* A response. */
struct xm_sim_resp {
    int32_t rc;                   /* 0 or a negative errno */
    uint32_t len;                 /* payload bytes after this header */
    uint64_t val[2];              /* op specific results */
    char msg[192];                /* rc < 0: what went wrong, NUL ended */
};

/* What a new domain's RAM holds (CREATE's arg1). */
enum xm_sim_fill {
    XM_SIM_FILL_ZERO,   /* all zero pages */
    XM_SIM_FILL_RANDOM, /* pseudo-random, no page zero, incompressible */
    XM_SIM_FILL_TEXT,   /* text-like words, compresses well */
    /*
     * The bytes of a memory image (e.g. a QEMU guest's RAM captured by
     * bench/make-corpus.sh: pfn x 4096 is the offset), a file sent with
     * CREATE as SCM_RIGHTS and read with pread() from offset 0. Longer
     * than the domain: the rest is left out. Shorter: it is repeated from
     * its start to fill the domain, rounded up to whole pages (a last
     * partial page is zero padded in every copy). Empty: -EINVAL.
     */
    XM_SIM_FILL_IMAGE,
};

/* One domain as LIST and INFO describe it (xm_domain_info on the wire). */
struct xm_sim_dominfo {
    uint32_t domid;               /* id, from 1, never reused by a host */
    uint32_t nr_vcpus;            /* vCPUs */
    char name[XM_SIM_NAME_MAX];   /* NUL terminated */
    uint64_t nr_pfns;             /* RAM pages */
    uint32_t flags;               /* enum xm_domain_flags */
    uint32_t cpu_cap;             /* % of a CPU per vCPU, 0: none */
    uint64_t cpu_time_ns;         /* sum of the vCPU threads' CPU time */
};

/* ---- state blobs ------------------------------------------------------ */

/*
 * What a simulated guest does. Every blob starts with magic, version and
 * its own size so that a receiver can reject what it does not know.
 */
enum xm_sim_workload {
    XM_SIM_IDLE,    /* only the heartbeat in page 0 */
    XM_SIM_UNIFORM, /* random pages of the working set */
    XM_SIM_HOTCOLD, /* hot_pct % of writes in the hot set, rest uniform */
    XM_SIM_STREAM,  /* sequential over the working set, wrapping */
};

#define XM_SIM_CONFIG_MAGIC 0x43534d58u /* "XMSC" */
#define XM_SIM_CONFIG_VERSION 2

/* XM_STATE_CONFIG of a sim domain. */
struct xm_sim_config {
    uint32_t magic;               /* XM_SIM_CONFIG_MAGIC */
    uint16_t version;             /* XM_SIM_CONFIG_VERSION */
    uint16_t size;                /* sizeof(struct xm_sim_config) */
    uint32_t vcpus;               /* 1 .. XM_SIM_MAX_VCPUS */
    uint32_t workload;            /* enum xm_sim_workload */
    uint32_t rate_mib;            /* MiB/s written, whole domain, split
                                     over the vCPUs, per running second */
    uint32_t wset_mib;            /* working set from pfn 1, 0: all RAM */
    uint32_t hot_mib;             /* hotcold: hot set, first of the wset */
    uint32_t hot_pct;             /* hotcold: share of writes in it, % */
    uint64_t seed;                /* seeds the vCPUs' generators */
    uint32_t write_bytes;         /* bytes one write rewrites in its page,
                                     8 .. 4096 (4096: the whole page) */
    uint32_t reserved;            /* zero */
};

#define XM_SIM_VCPU_MAGIC 0x56534d58u /* "XMSV" */
#define XM_SIM_VCPU_VERSION 1

/* One vCPU's registers: everything its workload needs to carry on. */
struct xm_sim_vcpu_regs {
    uint64_t rng;                 /* xorshift64 state, never 0 */
    uint64_t pos;                 /* stream: next page of the wset */
    uint64_t vclock_ns;           /* time it could run, ns */
    uint64_t pages_written;       /* pages written in that time */
    uint64_t counter;             /* content generation counter */
    uint64_t heartbeat;           /* last heartbeat value written */
};

/* XM_STATE_VCPU: this header, then nr_vcpus xm_sim_vcpu_regs. */
struct xm_sim_vcpu_blob {
    uint32_t magic;               /* XM_SIM_VCPU_MAGIC */
    uint16_t version;             /* XM_SIM_VCPU_VERSION */
    uint16_t regs_size;           /* sizeof(struct xm_sim_vcpu_regs) */
    uint32_t nr_vcpus;            /* entries that follow */
    uint32_t pad;                 /* zero */
};

#define XM_SIM_PLATFORM_MAGIC 0x50534d58u /* "XMSP" */
#define XM_SIM_PLATFORM_VERSION 1

/* XM_STATE_PLATFORM: the virtual platform. */
struct xm_sim_platform {
    uint32_t magic;               /* XM_SIM_PLATFORM_MAGIC */
    uint16_t version;             /* XM_SIM_PLATFORM_VERSION */
    uint16_t size;                /* sizeof(struct xm_sim_platform) */
    uint32_t nr_vcpus;            /* must match the domain */
    uint32_t pad;                 /* zero */
    uint64_t nr_pfns;             /* must match the domain */
    uint64_t clock_ns;            /* virtual clock: the domain's run time */
    uint64_t clock_hz;            /* its frequency (a TSC stand-in) */
};

#endif /* XM_SIM_PROTO_H */
