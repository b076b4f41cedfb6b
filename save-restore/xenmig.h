/*
 * xenmig.h - public API of libxenmig, the live-migration engine.
 *
 * A caller (the xenmig CLI, the daemon, or other toolstack code) opens a
 * backend (the hypervisor: real Xen or the simulated one), then either
 * sends a domain with xm_send() over a pair of file descriptors (a TCP
 * socket, a pipe pair to an ssh command, or a file for save), or builds a
 * domain from such a stream with xm_receive().
 *
 * The library never prints and never exits: everything it has to say goes
 * to the xm_logger the caller supplies, and every entry point returns 0 or
 * a negative errno value.
 *
 * Order of a live migration (the stream format is in stream-format.h and
 * xenmig-stream(7)):
 *   sender                                  receiver
 *   image header (features offered) --->
 *                                    <---   READY(accepted features)
 *   FEATURES(in use), DOMAIN_HEADER,
 *   DOMAIN_CONFIG                    --->   creates the domain, paused
 *   PAGES... (iteration 0, 1, ...)   --->   writes guest memory
 *   [source paused] PAGES, VCPU_STATE,
 *   PLATFORM_STATE, [VERIFY], END    --->   checks everything
 *                                    <---   COMPLETE
 *   GO                               --->   unpauses the new domain
 *                                    <---   DONE
 *   destroys the source domain
 * Until GO is sent, any failure resumes the source and destroys the half
 * built destination. Just before GO the source is renamed
 * NAME--migratedaway; after GO and before DONE the outcome is unknown to
 * the sender, so it keeps the source paused under that name (never two
 * running copies) and says so. A sender killed after GO leaves the same.
 * A sender killed earlier leaves the source running or suspended with
 * log-dirty and a cap; 'xenmig recover' puts it back.
 *
 * Compat (params.compat, migrate/save --compat): the same engine (log-dirty
 * passes, stop rule, throttle), but the bytes are what stock `xl migrate`
 * sends to `xl migrate-receive` (or `xl save` writes), so stock xl
 * receives (xl-format.h has xl's handshake):
 *   sender                                  xl migrate-receive
 *                                    <---   banner
 *   xl save-file header + JSON config,
 *   libxl v2 header, libxc v3 headers,
 *   static data records              --->   libxl creates NAME--incoming
 *   PAGE_DATA (every pass; raw pages)--->   libxc writes the pages
 *   [source suspended] PAGE_DATA,
 *   vCPU and platform records,
 *   libxc END, libxl END             --->   libxl builds the domain
 *                                    <---   "ready" message
 *   renames the source NAME--migratedaway
 *   "go" message                     --->   renames, unpauses
 *                                    <---   report, status byte
 *   0: destroys the source; else the receiver destroyed its copy and
 *   sends "go" back: the source is renamed back and resumed.
 * Until "go", any failure resumes the source. A save is the save-file
 * header and the libxl stream, which `xl restore` takes.
 */
#ifndef XENMIG_H
#define XENMIG_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XM_VERSION_STRING "0.1.0"

/* ---- logging ---------------------------------------------------------- */

enum xm_log_level {
    XM_LOG_DEBUG,   /* per-batch detail */
    XM_LOG_VERBOSE, /* per-iteration detail */
    XM_LOG_INFO,    /* milestones of an operation */
    XM_LOG_WARN,    /* something degraded but the operation goes on */
    XM_LOG_ERROR,   /* the operation failed */
};

/*
 * The caller's logger. @log is called with a formatted-later message;
 * @errnoval is the errno to append (or -1 for none); @domid is the domain
 * the message is about (or -1). @min_level filters before formatting.
 */
struct xm_logger {
    void (*log)(struct xm_logger *lg, enum xm_log_level level, int errnoval,
                int domid, const char *fmt, va_list ap);
    enum xm_log_level min_level; /* messages below this are dropped */
};

/* ---- backends --------------------------------------------------------- */

struct xm_backend;     /* an open hypervisor connection (backend.h) */
struct xm_backend_ops; /* its operations (backend.h) */

/*
 * Open the backend named @name ("sim", "xen", or NULL for the default:
 * xen when running in a Xen dom0, sim otherwise). @address is backend
 * specific: the sim host's socket path (NULL: $XENMIG_SIM_SOCKET or
 * XM_SIM_DEFAULT_SOCKET); ignored by xen.
 */
int xm_backend_open(const char *name, const char *address,
                    struct xm_logger *lg, struct xm_backend **be_r);
/* Close what xm_backend_open() opened; NULL is allowed. */
void xm_backend_close(struct xm_backend *be);
/* The backend's name ("sim", "xen"). */
const char *xm_backend_name(const struct xm_backend *be);

/* ---- migration -------------------------------------------------------- */

/* Which page encodings a migration may use, from --compress. */
struct xm_compress {
    uint64_t features;     /* XM_FEAT_ZERO_PAGES/DELTA/LZ4/ZSTD offered */
    bool automatic;        /* choose per batch (auto) */
    int lz4_level;         /* lz4 acceleration (0: default) */
    int zstd_level;        /* zstd level (0: default, 1) */
    uint64_t cache_bytes;  /* delta cache (0: min(64 MiB, 5% of RAM)) */
};

/*
 * Parse "auto", "none", "zero", "delta", "lz4[:N]", "zstd[:N]" into @c.
 * -EINVAL for anything else (the caller says what was wrong).
 */
int xm_compress_parse(const char *spec, struct xm_compress *c);

/* Counts by encoding, and what the codecs cost and saved. */
struct xm_codec_stats {
    uint64_t pages[5];     /* by enum xm_page_encoding (stream-format.h) */
    uint64_t raw_bytes;    /* XM_PAGE_SIZE x pages encoded */
    uint64_t payload_bytes;/* what their payload took on the wire */
    uint64_t delta_hits;   /* pages found in the delta cache */
    uint64_t delta_misses; /* pages sent again but not in it */
    uint64_t delta_overflows; /* hits whose delta was too large */
    uint64_t delta_evictions; /* pages pushed out of the cache */
    uint64_t codec_ns;     /* CPU time in zero/delta/block encoding */
};

/* When to stop iterating and how to make a busy guest converge. */
struct xm_migrate_params {
    uint64_t downtime_limit_ns;   /* target pause length (default 300 ms) */
    unsigned max_iterations;      /* guard: stop after this many (30) */
    uint64_t max_time_ns;         /* guard: stop after this long (0: none) */
    uint64_t max_bandwidth;       /* bytes/s on the wire (0: unlimited) */
    bool throttle;                /* auto-converge on (true) */
    unsigned throttle_initial;    /* first throttle step, % (20) */
    unsigned throttle_increment;  /* later steps, % (10) */
    unsigned throttle_max;        /* never throttle more than this, % (99) */
    unsigned throttle_trigger;    /* throttle when dirtying > this % of the
                                     bandwidth (50) */
    bool verify;                  /* send a RAM digest; receiver compares */
    bool live;                    /* pre-copy (true) or suspend first */
    bool keep_source;             /* save -c: leave the domain running */
    struct xm_compress compress;  /* page encodings (default: auto) */
    unsigned timeout_s;           /* live: fail when the connection is
                                     silent this long (60; 0: never) */
    bool compat;                  /* write Xen's own stream, not ours
                                     (see "Compat" below); needs the xen
                                     backend; compress and verify unused */
};

/* Fill @p with the defaults listed above. */
void xm_migrate_params_init(struct xm_migrate_params *p);

/* One iteration's numbers, reported as it ends. */
struct xm_iteration {
    unsigned iteration;        /* 0 is the full pass */
    uint64_t pages_sent;       /* pages in this iteration */
    uint64_t bytes_sent;       /* wire bytes in this iteration */
    uint64_t duration_ns;      /* wall time of the iteration */
    uint64_t dirty_pages;      /* dirtied during it (left for the next) */
    uint64_t bandwidth;        /* measured, bytes/s */
    uint64_t page_rate;        /* measured, pages/s over the whole
                                  pipeline (0: not yet) */
    uint64_t dirty_rate;       /* measured, bytes/s */
    uint64_t expected_downtime_ns; /* if we stopped now */
    unsigned throttle_pct;     /* throttle in force during it */
    struct xm_codec_stats codec; /* this iteration's encodings */
};

/* Progress while an iteration runs (called at most every 100 ms). */
struct xm_progress {
    unsigned iteration;        /* current iteration */
    uint64_t pages_done;       /* pages sent so far in this iteration */
    uint64_t pages_total;      /* pages to send in this iteration */
    uint64_t bytes_total;      /* wire bytes since the start */
    uint64_t bandwidth;        /* last measured, bytes/s */
    uint64_t dirty_rate;       /* last measured, bytes/s */
    uint64_t expected_downtime_ns; /* last estimate */
    unsigned throttle_pct;     /* throttle in force */
    bool stop_and_copy;        /* the guest is paused */
};

/* What a whole migration did. */
struct xm_summary {
    uint64_t total_ns;         /* start to done */
    uint64_t downtime_ns;      /* source pause to destination resume */
    uint64_t expected_downtime_ns; /* the policy's prediction when it
                                  stopped (0: not live) */
    uint64_t suspend_ns;       /* of downtime: suspending the source */
    uint64_t final_pass_ns;    /* of downtime: CLEAN and the last pages */
    uint64_t final_pages;      /* pages in the last pass */
    uint64_t verify_ns;        /* of downtime, spent comparing digests */
    uint64_t bytes_sent;       /* wire bytes, all records */
    uint64_t pages_sent;       /* page records' pages, all iterations */
    uint64_t guest_pages;      /* the domain's size in pages */
    unsigned iterations;       /* including the final one */
    unsigned throttle_max_used;/* highest throttle applied, % */
    bool verified;             /* the receiver confirmed the digest */
    uint64_t digest;           /* the source's RAM digest (verify only) */
    const char *stop_reason;   /* why iteration stopped (static string) */
    uint32_t remote_domid;     /* the domain id on the receiver */
    struct xm_codec_stats codec; /* encodings over the whole migration */
};

/* Callbacks and cancellation for xm_send() / xm_receive(). */
struct xm_hooks {
    void (*iteration)(void *opaque, const struct xm_iteration *it);
    void (*progress)(void *opaque, const struct xm_progress *p);
    void *opaque;                      /* passed to both */
    volatile sig_atomic_t *cancel;     /* nonzero: abandon (may be NULL) */
};

/*
 * Send domain @domid over @wfd, reading the receiver's replies on @rfd
 * (-1 for a file: no replies, no negotiation, no live hand-over; the
 * domain is suspended, written, and destroyed unless keep_source).
 * On success the source domain is gone (or kept, for save -c) and
 * @sum_r says what happened. On failure the source domain runs as before.
 */
int xm_send(struct xm_backend *be, struct xm_logger *lg, uint32_t domid,
            int rfd, int wfd, const struct xm_migrate_params *params,
            const struct xm_hooks *hooks, struct xm_summary *sum_r);

/* Options of the receiving side. */
struct xm_receive_params {
    bool paused;               /* leave the new domain paused */
    const char *rename;        /* create under this name (NULL: as sent) */
    unsigned timeout_s;        /* live: fail when the sender is silent this
                                  long (0: never; the CLI's default is 60) */
};

/*
 * Build a domain from the stream on @rfd, replying on @wfd (-1 for a
 * file). On success *@domid_r is the new, running (or paused) domain. On
 * failure nothing is left behind and the sender has been told why.
 */
int xm_receive(struct xm_backend *be, struct xm_logger *lg, int rfd, int wfd,
               const struct xm_receive_params *params,
               const struct xm_hooks *hooks, uint32_t *domid_r,
               struct xm_summary *sum_r);

/*
 * Digest of a domain's whole RAM (CRC32C and a 64-bit word sum, folded),
 * the same one the VERIFY record carries. Meaningful on a paused domain.
 */
int xm_domain_digest(struct xm_backend *be, struct xm_logger *lg,
                     uint32_t domid, uint64_t *digest_r);

#endif /* XENMIG_H */
