/*
 * xen-restore.c - feed a stock libxl restore through a pipe (see
 * xen-restore.h for the order and the facts it relies on).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "private.h"
#include "stream-format.h"
#include "xc-stream.h"
#include "xen-restore.h"

/* libxl's INVALID_DOMID is an int (~0). */
#define NO_DOMID ((uint32_t)INVALID_DOMID)

/* ---- libxl context with our logger ------------------------------------ */

/* Errors kept per ctx: enough to find the first of one failure (libxc's
 * reason comes first, libxl's "cannot (re-)build domain" last). */
#define ERR_RING 16

/* xentoollog logger that forwards to an xm_logger and keeps the last
 * error. One per ctx from xm_xen_libxl_open(), found again by the ctx. */
struct bridge {
    xentoollog_logger vtable;      /* what libxl calls */
    struct xm_logger *lg;          /* where messages go */
    libxl_ctx *ctx;                /* the ctx it serves */
    pthread_mutex_t lock;          /* guards errs/seq */
    char errs[ERR_RING][600];      /* the last errors, by seq % ERR_RING */
    uint64_t seq;                  /* errors so far */
    libxl_childproc_hooks hooks;   /* must outlive the ctx */
    struct bridge *next;           /* registry */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bridge *registry;

/* snprintf that may truncate (messages are cut, not lost). */
static void fmt(char *buf, size_t len, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t len, const char *f, ...)
{
    va_list ap;

    va_start(ap, f);
    vsnprintf(buf, len, f, ap);
    va_end(ap);
}

enum xm_log_level xm_xen_log_level(xentoollog_level level)
{
    if (level >= XTL_ERROR)
        return XM_LOG_ERROR;
    if (level >= XTL_WARN)
        return XM_LOG_WARN;
    if (level >= XTL_INFO)
        return XM_LOG_VERBOSE;
    return XM_LOG_DEBUG;
}

static void bridge_vmessage(xentoollog_logger *logger, xentoollog_level level,
                            int errnoval, const char *context,
                            const char *format, va_list al)
{
    struct bridge *b = (struct bridge *)logger;
    enum xm_log_level l = xm_xen_log_level(level);
    char msg[1024];

    if (l < XM_LOG_ERROR && (!b->lg || l < b->lg->min_level))
        return;
    vsnprintf(msg, sizeof(msg), format, al);
    if (l == XM_LOG_ERROR) {
        char *slot;

        pthread_mutex_lock(&b->lock);
        slot = b->errs[b->seq % ERR_RING];
        if (errnoval > 0)
            fmt(slot, sizeof(b->errs[0]), "%s: %s: %s",
                context ? context : "libxl", msg, strerror(errnoval));
        else
            fmt(slot, sizeof(b->errs[0]), "%s: %s",
                context ? context : "libxl", msg);
        b->seq++;
        pthread_mutex_unlock(&b->lock);
    }
    XM__LOG(b->lg, l, errnoval > 0 ? errnoval : -1, -1, "%s: %s",
            context ? context : "libxl", msg);
}

static void bridge_progress(xentoollog_logger *logger, const char *context,
                            const char *doing_what, int percent,
                            unsigned long done, unsigned long total)
{
}

static void bridge_destroy(xentoollog_logger *logger)
{
}

static struct bridge *bridge_find(libxl_ctx *ctx)
{
    struct bridge *b;

    pthread_mutex_lock(&registry_lock);
    for (b = registry; b && b->ctx != ctx; b = b->next)
        ;
    pthread_mutex_unlock(&registry_lock);
    return b;
}

int xm_xen_libxl_open(struct xm_logger *lg, libxl_ctx **ctx_r)
{
    struct bridge *b = calloc(1, sizeof(*b));
    int r;

    if (!b)
        return -ENOMEM;
    b->vtable.vmessage = bridge_vmessage;
    b->vtable.progress = bridge_progress;
    b->vtable.destroy = bridge_destroy;
    b->lg = lg;
    pthread_mutex_init(&b->lock, NULL);
    r = libxl_ctx_alloc(&b->ctx, LIBXL_VERSION, 0, &b->vtable);
    if (r) {
        LOG(lg, XM_LOG_ERROR,
            "cannot open libxl (%s): is this a Xen dom0, with xenstored running and /proc/xen mounted?",
            libxl_error_to_string(r) ?: "unknown error");
        free(b);
        return -ENXIO;
    }
    b->hooks.chldowner = libxl_sigchld_owner_libxl_always_selective_reap;
    libxl_childproc_setmode(b->ctx, &b->hooks, NULL);
    pthread_mutex_lock(&registry_lock);
    b->next = registry;
    registry = b;
    pthread_mutex_unlock(&registry_lock);
    *ctx_r = b->ctx;
    return 0;
}

void xm_xen_libxl_close(libxl_ctx *ctx)
{
    struct bridge **pp, *b = NULL;

    if (!ctx)
        return;
    pthread_mutex_lock(&registry_lock);
    for (pp = &registry; *pp; pp = &(*pp)->next) {
        if ((*pp)->ctx == ctx) {
            b = *pp;
            *pp = b->next;
            break;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    libxl_ctx_free(ctx);
    if (b) {
        pthread_mutex_destroy(&b->lock);
        free(b);
    }
}

uint64_t xm_xen_libxl_last_error(libxl_ctx *ctx, char *buf, size_t len)
{
    struct bridge *b = bridge_find(ctx);
    uint64_t seq;

    if (len)
        buf[0] = '\0';
    if (!b)
        return 0;
    pthread_mutex_lock(&b->lock);
    seq = b->seq;
    if (seq)
        snprintf(buf, len, "%s", b->errs[(seq - 1) % ERR_RING]);
    pthread_mutex_unlock(&b->lock);
    return seq;
}

/* The first error logged after error number @seq0 (still kept) into
 * @buf; false if there is none. */
static bool first_error_since(libxl_ctx *ctx, uint64_t seq0, char *buf,
                              size_t len)
{
    struct bridge *b = bridge_find(ctx);
    uint64_t first;
    bool found = false;

    if (!b)
        return false;
    pthread_mutex_lock(&b->lock);
    if (b->seq > seq0) {
        first = b->seq - seq0 > ERR_RING ? b->seq - ERR_RING : seq0;
        snprintf(buf, len, "%s", b->errs[first % ERR_RING]);
        found = true;
    }
    pthread_mutex_unlock(&b->lock);
    return found;
}

/* "libxl said: X" when libxl logged an error since @seq0, else libxl's
 * return code as a string. */
static void libxl_reason(libxl_ctx *ctx, uint64_t seq0, int libxl_rc,
                         char *buf, size_t len)
{
    char first[600], last[600];

    if (first_error_since(ctx, seq0, first, sizeof(first))) {
        xm_xen_libxl_last_error(ctx, last, sizeof(last));
        if (strcmp(first, last))
            fmt(buf, len, "libxl said: %s (and last: %s)", first, last);
        else
            fmt(buf, len, "libxl said: %s", first);
    } else
        snprintf(buf, len, "libxl returned %s",
                 libxl_error_to_string(libxl_rc) ?: "an unknown error");
}

/* ---- helpers ------------------------------------------------------------ */

/* Parse @json into @cfg and name it @name. 0 or -EINVAL (logged). */
static int load_config(libxl_ctx *ctx, struct xm_logger *lg,
                       const char *name, const char *json,
                       libxl_domain_config *cfg)
{
    int r = libxl_domain_config_from_json(ctx, cfg, json);

    if (r) {
        LOG(lg, XM_LOG_ERROR,
            "the domain configuration is not libxl JSON that libxl accepts (%s)",
            libxl_error_to_string(r) ?: "unknown error");
        return -EINVAL;
    }
    free(cfg->c_info.name);
    cfg->c_info.name = strdup(name);
    return cfg->c_info.name ? 0 : -ENOMEM;
}

/* Destroy @domid if it still exists under @name (so never a domain that
 * libxl already removed and whose id was reused). */
static void destroy_if_ours(libxl_ctx *ctx, struct xm_logger *lg,
                            uint32_t domid, const char *name)
{
    char *now = libxl_domid_to_name(ctx, domid);
    int r;

    if (!now)
        return;
    if (!strcmp(now, name)) {
        r = libxl_domain_destroy(ctx, domid, NULL);
        if (r)
            LOGD(lg, XM_LOG_ERROR, domid,
                 "cannot destroy the half-restored domain \"%s\" (%s): remove it with 'xl destroy %u'",
                 name, libxl_error_to_string(r) ?: "unknown error", domid);
        else
            LOGD(lg, XM_LOG_VERBOSE, domid,
                 "destroyed the half-restored domain \"%s\"", name);
    }
    free(now);
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* ---- the piped restore -------------------------------------------------- */

struct xm_xen_restore {
    libxl_ctx *ctx;              /* the caller's */
    struct xm_logger *lg;        /* where we log */
    char *name;                  /* the new domain's name */
    libxl_domain_config cfg;     /* what libxl builds from */
    libxl_domain_restore_params params; /* stream v2, not checkpointed */
    int wfd;                     /* our end of the pipe, -1 closed */
    int rfd;                     /* libxl's end; the thread closes it */
    pthread_t thread;            /* runs libxl_domain_create_restore */
    bool started;                /* thread exists */
    bool joined;                 /* thread joined */
    pthread_mutex_t lock;        /* guards done, libxl_rc, libxl_domid */
    pthread_cond_t cond;         /* signalled when done */
    bool done;                   /* libxl returned */
    int libxl_rc;                /* what it returned */
    uint32_t libxl_domid;        /* the id it reported */
    uint32_t domid;              /* the new domain (found by name) */
    bool have_domid;             /* domid is valid */
    uint64_t err_seq;            /* libxl errors before we started */
    int err;                     /* first error, sticks */
    bool finished;               /* finish succeeded: keep the domain */
    bool disposed;               /* dispose ran (idempotence) */
};

static void *restore_thread(void *opaque)
{
    struct xm_xen_restore *r = opaque;
    uint32_t domid = NO_DOMID;
    int rc;

    rc = libxl_domain_create_restore(r->ctx, &r->cfg, &domid, r->rfd, -1,
                                     &r->params, NULL, NULL);
    /* libxl and its helper are done with the pipe: a writer blocked on
     * it now gets EPIPE instead of waiting for ever. */
    close(r->rfd);
    pthread_mutex_lock(&r->lock);
    r->done = true;
    r->libxl_rc = rc;
    r->libxl_domid = domid;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Wait up to @ms for libxl's thread to return; true if it did. */
static bool wait_done(struct xm_xen_restore *r, unsigned ms)
{
    struct timespec ts;
    bool done;

    deadline_in(&ts, ms);
    pthread_mutex_lock(&r->lock);
    while (!r->done &&
           pthread_cond_timedwait(&r->cond, &r->lock, &ts) != ETIMEDOUT)
        ;
    done = r->done;
    pthread_mutex_unlock(&r->lock);
    return done;
}

static void close_pipe(struct xm_xen_restore *r)
{
    if (r->wfd >= 0) {
        close(r->wfd);
        r->wfd = -1;
    }
}

/* libxl's thread has ended or stopped reading: record why, once. */
static int libxl_failed(struct xm_xen_restore *r, int rc, const char *doing)
{
    char why[1200];

    if (r->err)
        return r->err;
    close_pipe(r);
    wait_done(r, 30000);
    libxl_reason(r->ctx, r->err_seq, r->done ? r->libxl_rc : 0, why,
                 sizeof(why));
    LOG(r->lg, XM_LOG_ERROR, "restoring domain \"%s\" failed %s: %s",
        r->name, doing,
        r->done ? why : "libxl stopped reading the stream and does not return");
    r->err = rc;
    return rc;
}

static int write_fail(struct xm_xen_restore *r, int rc, const char *doing)
{
    if (rc == -EPIPE)
        return libxl_failed(r, rc, doing);
    LOGE(r->lg, XM_LOG_ERROR, rc, "cannot write to libxl's restore pipe %s",
         doing);
    r->err = rc;
    return rc;
}

int xm_xen_restore_start(libxl_ctx *ctx, struct xm_logger *lg,
                         const char *name, const char *config_json,
                         uint32_t guest_type, struct xm_xen_restore **r_r,
                         uint32_t *domid_r)
{
    const libxl_version_info *ver;
    struct xm_xen_restore *r;
    uint8_t start[XM_XC_START_LEN];
    uint32_t dhdr_type, existing;
    int pfd[2], rc, waited_ms = 0;
    unsigned poll_ms = 10;
    char last[8];

    *r_r = NULL;
    if (guest_type == XM_GUEST_PV) {
        dhdr_type = XM_XC_DHDR_TYPE_X86_PV;
    } else if (guest_type == XM_GUEST_PVH) {
        dhdr_type = XM_XC_DHDR_TYPE_X86_HVM;
    } else {
        LOG(lg, XM_LOG_ERROR,
            "cannot restore guest type %u through libxl: PV (%u) and PVH (%u) only",
            guest_type, XM_GUEST_PV, XM_GUEST_PVH);
        return -EINVAL;
    }
    if (libxl_name_to_domid(ctx, name, &existing) == 0) {
        LOGD(lg, XM_LOG_ERROR, existing,
             "cannot restore as \"%s\": domain %u already has that name",
             name, existing);
        return -EEXIST;
    }
    ver = libxl_get_version_info(ctx);
    if (!ver) {
        LOG(lg, XM_LOG_ERROR, "cannot get Xen's version from libxl");
        return -EIO;
    }
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->ctx = ctx;
    r->lg = lg;
    r->wfd = r->rfd = -1;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    libxl_domain_config_init(&r->cfg);
    libxl_domain_restore_params_init(&r->params);
    r->params.stream_version = 2;
    r->params.checkpointed_stream = LIBXL_CHECKPOINTED_STREAM_NONE;
    r->name = strdup(name);
    if (!r->name) {
        rc = -ENOMEM;
        goto fail;
    }
    rc = load_config(ctx, lg, name, config_json, &r->cfg);
    if (rc)
        goto fail;
    /* Both ends close-on-exec: libxl hands the read end to its helper
     * itself, and no child may keep our write end open (the helper would
     * never see EOF). */
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        rc = -errno;
        LOGE(lg, XM_LOG_ERROR, rc, "cannot make the restore pipe");
        goto fail;
    }
    r->rfd = pfd[0];
    r->wfd = pfd[1];
    fcntl(r->wfd, F_SETPIPE_SZ, 1 << 20); /* fewer wake-ups; best effort */
    r->err_seq = xm_xen_libxl_last_error(ctx, last, sizeof(last));
    rc = pthread_create(&r->thread, NULL, restore_thread, r);
    if (rc) {
        rc = -rc;
        LOGE(lg, XM_LOG_ERROR, rc, "cannot start the libxl restore thread");
        close(r->rfd);
        goto fail;
    }
    r->started = true;
    LOG(lg, XM_LOG_VERBOSE, "libxl restore of \"%s\" started (Xen %d.%d)",
        name, ver->xen_version_major, ver->xen_version_minor);

    /* 64 bytes: into the pipe's buffer, whatever libxl is doing. */
    xm_xc_start_bytes(start, dhdr_type, (uint32_t)ver->xen_version_major,
                      (uint32_t)ver->xen_version_minor);
    rc = xm__write_all(r->wfd, start, sizeof(start));
    if (rc) {
        write_fail(r, rc, "before the domain was made");
        goto fail;
    }

    /* Find the domain by name while libxl works: every 10 ms at first,
     * backing off to 200 ms (each look lists every domain in xenstore,
     * which libxl is busy with too). */
    for (;;) {
        uint32_t domid;

        if (libxl_name_to_domid(ctx, name, &domid) == 0) {
            r->domid = domid;
            r->have_domid = true;
            break;
        }
        if (wait_done(r, poll_ms)) {
            /* libxl returned before we saw the domain: a failure (it
             * cannot succeed without the rest of the stream). */
            rc = libxl_failed(r, -EIO, "while making the domain");
            goto fail;
        }
        waited_ms += poll_ms;
        poll_ms = poll_ms * 2 > 200 ? 200 : poll_ms * 2;
        if (waited_ms >= XM_XEN_RESTORE_START_TIMEOUT_S * 1000) {
            LOG(lg, XM_LOG_ERROR,
                "libxl has not made domain \"%s\" after %d s: giving up",
                name, XM_XEN_RESTORE_START_TIMEOUT_S);
            rc = r->err = -ETIMEDOUT;
            goto fail;
        }
    }
    LOGD(lg, XM_LOG_VERBOSE, r->domid, "libxl made domain \"%s\"", name);
    *r_r = r;
    *domid_r = r->domid;
    return 0;

fail:
    if (!r->err)
        r->err = rc;
    xm_xen_restore_dispose(r);
    return rc;
}

int xm_xen_restore_records(struct xm_xen_restore *r, const void *recs,
                           size_t len)
{
    char why[256];
    int rc;

    if (r->err)
        return r->err;
    if (r->finished || r->wfd < 0)
        return -EINVAL;
    rc = xm_xc_check_records(recs, len, NULL, why, sizeof(why));
    if (rc) {
        LOGD(r->lg, XM_LOG_ERROR, r->domid,
             "refusing libxc records for \"%s\": %s", r->name, why);
        return rc;
    }
    rc = xm__write_all(r->wfd, recs, len);
    if (rc)
        return write_fail(r, rc, "while sending records");
    return 0;
}

int xm_xen_restore_pages(struct xm_xen_restore *r, const uint64_t *pfn_types,
                         unsigned n, void *const *pages)
{
    struct iovec iov[2 + XM_XC_PAGES_MAX];
    uint8_t head[16];
    char why[256];

    if (r->err)
        return r->err;
    if (r->finished || r->wfd < 0)
        return -EINVAL;
    while (n) {
        unsigned batch = n > XM_XC_PAGES_MAX ? XM_XC_PAGES_MAX : n;
        unsigned k;
        int rc;

        rc = xm_xc_page_data_iov(head, pfn_types, batch, pages, iov, &k, why,
                                 sizeof(why));
        if (rc) {
            LOGD(r->lg, XM_LOG_ERROR, r->domid,
                 "refusing pages for \"%s\": %s", r->name, why);
            return rc;
        }
        rc = xm__writev_all(r->wfd, iov, k);
        if (rc)
            return write_fail(r, rc, "while sending pages");
        pfn_types += batch;
        pages += batch;
        n -= batch;
    }
    return 0;
}

int xm_xen_restore_finish(struct xm_xen_restore *r)
{
    uint8_t end[XM_XC_END_LEN];
    char why[1200];
    int rc;

    if (r->err)
        return r->err;
    if (r->finished)
        return 0;
    xm_xc_end_bytes(end);
    rc = xm__write_all(r->wfd, end, sizeof(end));
    if (rc)
        return write_fail(r, rc, "at the end of the stream");
    close_pipe(r);
    if (!wait_done(r, XM_XEN_RESTORE_FINISH_TIMEOUT_S * 1000)) {
        LOGD(r->lg, XM_LOG_ERROR, r->domid,
             "libxl has not finished restoring \"%s\" %d s after the end of the stream",
             r->name, XM_XEN_RESTORE_FINISH_TIMEOUT_S);
        return r->err = -ETIMEDOUT;
    }
    if (r->libxl_rc) {
        libxl_reason(r->ctx, r->err_seq, r->libxl_rc, why, sizeof(why));
        LOGD(r->lg, XM_LOG_ERROR, r->domid,
             "libxl could not restore domain \"%s\": %s", r->name, why);
        return r->err = -EIO;
    }
    if (r->libxl_domid != r->domid) {
        LOGD(r->lg, XM_LOG_ERROR, r->domid,
             "libxl restored \"%s\" as domain %u, not the domain %u found by its name",
             r->name, r->libxl_domid, r->domid);
        return r->err = -EIO;
    }
    pthread_join(r->thread, NULL);
    r->joined = true;
    r->finished = true;
    LOGD(r->lg, XM_LOG_VERBOSE, r->domid, "libxl restored \"%s\" (paused)",
         r->name);
    return 0;
}

void xm_xen_restore_dispose(struct xm_xen_restore *r)
{
    if (!r || r->disposed)
        return;
    r->disposed = true;
    close_pipe(r);
    if (r->started && !r->joined) {
        struct timespec ts;

        deadline_in(&ts, 60000);
        if (pthread_timedjoin_np(r->thread, NULL, &ts)) {
            /* libxl holds r: leak it rather than free under its feet. */
            LOG(r->lg, XM_LOG_ERROR,
                "libxl's restore of \"%s\" does not return after its stream was closed; leaving it",
                r->name);
            return;
        }
        r->joined = true;
    }
    if (!r->finished) {
        if (r->have_domid)
            destroy_if_ours(r->ctx, r->lg, r->domid, r->name);
        if (r->done && r->libxl_domid != NO_DOMID &&
            (!r->have_domid || r->libxl_domid != r->domid))
            destroy_if_ours(r->ctx, r->lg, r->libxl_domid, r->name);
    }
    libxl_domain_config_dispose(&r->cfg);
    libxl_domain_restore_params_dispose(&r->params);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r->name);
    free(r);
}

/* ---- passthrough -------------------------------------------------------- */

int xm_xen_restore_fd(libxl_ctx *ctx, struct xm_logger *lg, const char *name,
                      const char *config_json, int fd, bool paused,
                      uint32_t *domid_r)
{
    libxl_domain_config cfg;
    libxl_domain_restore_params params;
    uint32_t domid = NO_DOMID, existing;
    uint64_t seq0;
    char why[1200];
    int rc, r, flags;

    if (libxl_name_to_domid(ctx, name, &existing) == 0) {
        LOGD(lg, XM_LOG_ERROR, existing,
             "cannot restore as \"%s\": domain %u already has that name",
             name, existing);
        return -EEXIST;
    }
    libxl_domain_config_init(&cfg);
    libxl_domain_restore_params_init(&params);
    params.stream_version = 2;
    params.checkpointed_stream = LIBXL_CHECKPOINTED_STREAM_NONE;
    rc = load_config(ctx, lg, name, config_json, &cfg);
    if (rc)
        goto out;
    seq0 = xm_xen_libxl_last_error(ctx, why, sizeof(why));
    LOG(lg, XM_LOG_VERBOSE, "libxl restore of \"%s\" from a libxl stream",
        name);
    r = libxl_domain_create_restore(ctx, &cfg, &domid, fd, -1, &params,
                                    NULL, NULL);
    /* libxl makes @fd non-blocking while it reads; its caller may go on
     * reading it (xl's handshake), so make sure it is blocking again. */
    flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK))
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    if (r) {
        libxl_reason(ctx, seq0, r, why, sizeof(why));
        LOG(lg, XM_LOG_ERROR, "libxl could not restore domain \"%s\": %s",
            name, why);
        if (domid != NO_DOMID)
            destroy_if_ours(ctx, lg, domid, name);
        else if (libxl_name_to_domid(ctx, name, &existing) == 0)
            destroy_if_ours(ctx, lg, existing, name);
        rc = -EIO;
        goto out;
    }
    if (!paused) {
        r = libxl_domain_unpause(ctx, domid, NULL);
        if (r) {
            LOGD(lg, XM_LOG_ERROR, domid,
                 "cannot unpause the restored domain \"%s\" (%s)", name,
                 libxl_error_to_string(r) ?: "unknown error");
            destroy_if_ours(ctx, lg, domid, name);
            rc = -EIO;
            goto out;
        }
    }
    LOGD(lg, XM_LOG_VERBOSE, domid, "libxl restored \"%s\"%s", name,
         paused ? " (paused)" : "");
    *domid_r = domid;
    rc = 0;
out:
    libxl_domain_restore_params_dispose(&params);
    libxl_domain_config_dispose(&cfg);
    return rc;
}
