/*
 * fault.c - fault points for the tests that prove nothing is lost.
 *
 * Off unless $XENMIG_FAULT is set. It holds comma-separated points, each
 * firing once per process:
 *   drop:PHASE          cut the connection at PHASE (xm__fault_cut)
 *   exit:PHASE          _exit(1) at PHASE: a kill, nothing cleans up
 *   stall:PHASE:SECONDS sleep that long at PHASE
 *   corrupt:PHASE       flip one byte (the CRC) of the next record written
 *   backend:OP:ERRNO    the backend op OP (a member of xm_backend_ops,
 *                       e.g. suspend, logdirty_enable) fails once with
 *                       ERRNO (a name like EIO, or a number)
 * Sender phases: setup (preamble sent), iteration:N (first batch of
 * iteration N sent), stop-and-copy (the guest just suspended),
 * after-end (END sent, COMPLETE not read), before-go (COMPLETE read, GO
 * not sent), after-go (GO sent, DONE not read). Receiver phases:
 * after-header (the domain is created), mid-pages (the 8th PAGES record
 * is written), after-end (END read, COMPLETE not sent), after-complete
 * (COMPLETE sent, GO not read), after-go-before-unpause.
 *
 * Entry points: xm__fault_phase() at a phase, xm__fault_backend() from
 * xm_backend_open() to wrap the ops vtable when a backend op is named.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "private.h"

#define MAX_POINTS 16

struct point {
    char spec[64]; /* one comma-separated item of $XENMIG_FAULT */
    bool fired;    /* it has fired (each fires once) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct point points[MAX_POINTS];
static unsigned npoints;
static bool parsed;

/* Split $XENMIG_FAULT once; false if it is unset. Call locked. */
static bool parse(void)
{
    const char *env, *p;

    if (parsed)
        return npoints > 0;
    parsed = true;
    env = getenv("XENMIG_FAULT");
    for (p = env; p && *p && npoints < MAX_POINTS;) {
        size_t n = strcspn(p, ",");

        if (n && n < sizeof(points[0].spec)) {
            memcpy(points[npoints].spec, p, n);
            points[npoints++].spec[n] = '\0';
        }
        p += n + (p[n] == ',');
    }
    return npoints > 0;
}

/*
 * The first unfired point that starts with @prefix and whose rest is
 * @tail exactly or, if @tail_arg, @tail followed by ':' and an argument
 * (copied to @arg). Marks it fired.
 */
static bool take(const char *prefix, const char *tail, char *arg,
                 size_t argsize)
{
    size_t lp = strlen(prefix), lt = strlen(tail);
    bool ok = false;
    unsigned i;

    if (!getenv("XENMIG_FAULT"))
        return false;
    pthread_mutex_lock(&lock);
    if (parse()) {
        for (i = 0; i < npoints && !ok; i++) {
            const char *s = points[i].spec;

            if (points[i].fired || strncmp(s, prefix, lp) != 0 ||
                strncmp(s + lp, tail, lt) != 0)
                continue;
            s += lp + lt;
            if (arg ? *s != ':' : *s != '\0')
                continue;
            if (arg)
                snprintf(arg, argsize, "%s", s + 1);
            points[i].fired = ok = true;
        }
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

bool xm__fault(const char *fmt, ...)
{
    char point[64];
    va_list ap;

    if (!getenv("XENMIG_FAULT"))
        return false;
    va_start(ap, fmt);
    vsnprintf(point, sizeof(point), fmt, ap);
    va_end(ap);
    return take(point, "", NULL, 0);
}

/*
 * Cut a connection as a dead link would: a socket is shut down both ways;
 * a pair of pipes (a transport command, -s) cannot be, so dead pipes take
 * the descriptors' places (a file is left alone): writes fail with EPIPE, reads see the end, and
 * the peer sees its input end once our last copy of the write end is gone.
 * The descriptors stay valid, so the code using them fails as it would on
 * a real cut.
 */
void xm__fault_cut(int rfd, int wfd)
{
    int p[2], fd = wfd >= 0 ? wfd : rfd;
    struct stat st;

    if (fd < 0 || shutdown(fd, SHUT_RDWR) == 0 || errno != ENOTSOCK)
        return;
    if (fstat(fd, &st) || !S_ISFIFO(st.st_mode))
        return; /* a file: there is no connection to cut */
    if (wfd >= 0 && pipe2(p, O_CLOEXEC) == 0) {
        close(p[0]);
        dup3(p[1], wfd, O_CLOEXEC);
        close(p[1]);
    }
    if (rfd >= 0 && rfd != wfd && pipe2(p, O_CLOEXEC) == 0) {
        close(p[1]);
        dup3(p[0], rfd, O_CLOEXEC);
        close(p[0]);
    }
}

unsigned xm__fault_phase(struct xm_logger *lg, const char *fmt, ...)
{
    char phase[48], arg[16];
    unsigned actions = 0;
    va_list ap;

    if (!getenv("XENMIG_FAULT"))
        return 0;
    va_start(ap, fmt);
    vsnprintf(phase, sizeof(phase), fmt, ap);
    va_end(ap);
    if (take("exit:", phase, NULL, 0)) {
        LOG(lg, XM_LOG_WARN, "fault injected: exiting at %s", phase);
        _exit(1);
    }
    if (take("stall:", phase, arg, sizeof(arg))) {
        LOG(lg, XM_LOG_WARN, "fault injected: stalling %s s at %s", arg,
            phase);
        sleep((unsigned)atoi(arg));
    }
    if (take("drop:", phase, NULL, 0)) {
        LOG(lg, XM_LOG_WARN, "fault injected: dropping the connection at %s",
            phase);
        actions |= XM_FAULT_DROP;
    }
    if (take("corrupt:", phase, NULL, 0)) {
        LOG(lg, XM_LOG_WARN,
            "fault injected: corrupting the next record at %s", phase);
        actions |= XM_FAULT_CORRUPT;
    }
    return actions;
}

/* ---- the backend wrapper ---------------------------------------------- */

static const struct {
    const char *name; /* as in <errno.h> */
    int value;        /* its value */
} errnos[] = {
    { "EIO", EIO },       { "EBUSY", EBUSY },   { "EPERM", EPERM },
    { "EFAULT", EFAULT }, { "ENOMEM", ENOMEM }, { "ENOSPC", ENOSPC },
    { "EINVAL", EINVAL }, { "EEXIST", EEXIST }, { "ESRCH", ESRCH },
    { "EAGAIN", EAGAIN }, { "EACCES", EACCES }, { "ENOENT", ENOENT },
};

/* Does backend op @op fail now? Its errno (positive) or 0. */
static int backend_fault(struct xm_backend *be, const char *op)
{
    char arg[16];
    unsigned i;
    int e;

    if (!take("backend:", op, arg, sizeof(arg)))
        return 0;
    e = atoi(arg);
    for (i = 0; i < XM_ARRAY_SIZE(errnos); i++) {
        if (strcmp(arg, errnos[i].name) == 0)
            e = errnos[i].value;
    }
    if (e <= 0)
        e = EIO;
    LOGE(be->lg, XM_LOG_ERROR, e, "fault injected: backend op \"%s\" fails",
         op);
    return e;
}

/* The real backend's ops: one backend is wrapped per process. */
static const struct xm_backend_ops *real;

#define FAULT(be, op)                                                       \
    do {                                                                    \
        int e_ = backend_fault((be), op);                                   \
        if (e_)                                                             \
            return -e_;                                                     \
    } while (0)

static int f_open(const char *address, struct xm_logger *lg,
                  struct xm_backend **be_r)
{
    if (take("backend:", "open", NULL, 0))
        return -EIO;
    return real->open(address, lg, be_r);
}

static void f_close(struct xm_backend *be)
{
    if (be)
        real->close(be);
}

static int f_list(struct xm_backend *be, struct xm_domain_info **infos_r,
                  unsigned *n_r)
{
    FAULT(be, "list");
    return real->list(be, infos_r, n_r);
}

static int f_domain_info(struct xm_backend *be, uint32_t domid,
                         struct xm_domain_info *info_r)
{
    FAULT(be, "domain_info");
    return real->domain_info(be, domid, info_r);
}

#define SIMPLE(op)                                                          \
    static int f_##op(struct xm_backend *be, uint32_t domid)                \
    {                                                                       \
        FAULT(be, #op);                                                     \
        return real->op(be, domid);                                         \
    }
SIMPLE(pause)
SIMPLE(unpause)
SIMPLE(suspend)
SIMPLE(resume)
SIMPLE(logdirty_enable)
SIMPLE(logdirty_disable)
SIMPLE(destroy)
SIMPLE(commit)

static int f_dirty_bitmap(struct xm_backend *be, uint32_t domid,
                          enum xm_dirty_op op, unsigned long *bitmap,
                          uint64_t nr_pfns, uint64_t *dirty_r)
{
    FAULT(be, "dirty_bitmap");
    return real->dirty_bitmap(be, domid, op, bitmap, nr_pfns, dirty_r);
}

static int f_map(struct xm_backend *be, uint32_t domid, const uint64_t *pfns,
                 unsigned n, bool writable, void **pages_r, int *errs,
                 void **handle_r)
{
    *handle_r = NULL;
    FAULT(be, "map");
    return real->map(be, domid, pfns, n, writable, pages_r, errs, handle_r);
}

static void f_unmap(struct xm_backend *be, void *handle, unsigned n)
{
    real->unmap(be, handle, n);
}

static int f_page_types(struct xm_backend *be, uint32_t domid,
                        const uint64_t *pfns, unsigned n, uint32_t *types_r)
{
    FAULT(be, "page_types");
    return real->page_types(be, domid, pfns, n, types_r);
}

static int f_get_state(struct xm_backend *be, uint32_t domid,
                       enum xm_state_kind kind, void **blob_r, size_t *len_r)
{
    FAULT(be, "get_state");
    return real->get_state(be, domid, kind, blob_r, len_r);
}

static int f_set_state(struct xm_backend *be, uint32_t domid,
                       enum xm_state_kind kind, const void *blob, size_t len)
{
    FAULT(be, "set_state");
    return real->set_state(be, domid, kind, blob, len);
}

static int f_create(struct xm_backend *be, const char *name,
                    const void *config, size_t config_len, uint64_t nr_pfns,
                    uint32_t *domid_r)
{
    FAULT(be, "create");
    return real->create(be, name, config, config_len, nr_pfns, domid_r);
}

static int f_set_cpu_cap(struct xm_backend *be, uint32_t domid,
                         unsigned cap_pct)
{
    FAULT(be, "set_cpu_cap");
    return real->set_cpu_cap(be, domid, cap_pct);
}

static int f_rename(struct xm_backend *be, uint32_t domid, const char *name)
{
    FAULT(be, "rename");
    return real->rename(be, domid, name);
}

static int f_set_note(struct xm_backend *be, uint32_t domid, const char *key,
                      const char *value)
{
    FAULT(be, "set_note");
    return real->set_note(be, domid, key, value);
}

static int f_get_note(struct xm_backend *be, uint32_t domid, const char *key,
                      char *buf, size_t size)
{
    FAULT(be, "get_note");
    return real->get_note(be, domid, key, buf, size);
}

/*
 * Not const, unlike every other ops instance: its name must be the
 * wrapped backend's, which is known only at wrap time.
 */
static struct xm_backend_ops fault_backend_ops = {
    .open = f_open,
    .close = f_close,
    .list = f_list,
    .domain_info = f_domain_info,
    .pause = f_pause,
    .unpause = f_unpause,
    .suspend = f_suspend,
    .resume = f_resume,
    .logdirty_enable = f_logdirty_enable,
    .logdirty_disable = f_logdirty_disable,
    .dirty_bitmap = f_dirty_bitmap,
    .map = f_map,
    .unmap = f_unmap,
    .page_types = f_page_types,
    .get_state = f_get_state,
    .set_state = f_set_state,
    .create = f_create,
    .commit = f_commit,
    .destroy = f_destroy,
    .set_cpu_cap = f_set_cpu_cap,
    .rename = f_rename,
    .set_note = f_set_note,
    .get_note = f_get_note,
};

void xm__fault_backend(struct xm_backend *be)
{
    const char *env = getenv("XENMIG_FAULT");

    if (!env || !strstr(env, "backend:") || be->ops == &fault_backend_ops)
        return;
    real = be->ops;
    fault_backend_ops.name = real->name;
    fault_backend_ops.features = real->features;
    be->ops = &fault_backend_ops;
}
