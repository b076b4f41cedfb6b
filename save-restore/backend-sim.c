/*
 * backend-sim.c - the backend ops on a simulated host: each op is one
 * request/response on xenmig-simd's socket (sim-proto.h).
 *
 * Entry points: xm_backend_sim_ops, and the sim-only calls of sim.h
 * (xm_sim_domain_create(), xm_sim_parse_workload()).
 *
 * Guest RAM: the first map() of a domain asks simd for its RAM memfd and
 * mmaps all of it once; every map() then only computes pointers into that
 * mapping, and unmap() does nothing. The mapping goes at close() or when
 * this instance destroys the domain.
 * Dirty bitmap: a memfd shared with simd (sent once, regrown as needed);
 * DIRTY fills it and we copy it out to the caller.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend.h"
#include "private.h"
#include "sim.h"

/* One domain's RAM as mapped here. */
struct sim_map {
    uint32_t domid;               /* whose */
    uint8_t *base;                /* all of its RAM */
    uint64_t nr_pfns;             /* pages mapped */
    bool writable;                /* mapped PROT_WRITE too */
    struct populate *pop;         /* faulting it in, or NULL */
};

/*
 * Faulting a whole mapping in, in the background: a migration touches
 * every page, one populate call per chunk is several times cheaper than a
 * fault per page (and for a receiver each first fault also clears the
 * page), and done by a thread it overlaps with the transfer instead of
 * holding it up.
 */
struct populate {
    uint8_t *base;                /* the mapping */
    size_t len;                   /* its length */
    int advice;                   /* MADV_POPULATE_READ or _WRITE */
    volatile bool stop;           /* the mapping is going away */
    pthread_t tid;                /* the thread doing it */
};

#define POPULATE_CHUNK (32u << 20)

/* A connection to one sim host. */
struct sim_backend {
    struct xm_backend be;         /* must be first */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* socket */
    int fd;                       /* the connection */
    unsigned long *bitmap;        /* bitmap buffer shared with simd */
    size_t bitmap_size;           /* its bytes, 0: none yet */
    struct sim_map *maps;         /* mapped domains */
    unsigned nr_maps;             /* entries in maps */
    char *msg;                    /* request/response buffer */
};

#define PAGE XM_PAGE_SIZE
#define BPL (8 * sizeof(unsigned long))

static struct sim_backend *to_sim(struct xm_backend *be)
{
    return (struct sim_backend *)be;
}

/*
 * One round trip. @what names the op for messages ("pause"); @req is
 * filled by the caller except len; @fd_in is sent if >= 0. On success the
 * response (header + payload) is in s->msg and *@fd_out (if given) holds
 * a received fd or -1. Failures are logged, naming the domain.
 */
static int call(struct sim_backend *s, const char *what, uint32_t domid,
                struct xm_sim_req *req, const void *payload, size_t plen,
                int fd_in, int *fd_out)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cbuf;
    struct xm_sim_resp *resp = (struct xm_sim_resp *)s->msg;
    struct iovec iov[2];
    struct msghdr msg;
    struct cmsghdr *cm;
    int fd = -1;
    ssize_t r;

    if (fd_out)
        *fd_out = -1;
    if (sizeof(*req) + plen > XM_SIM_MSG_MAX) {
        LOGD(s->be.lg, XM_LOG_ERROR, domid,
             "cannot %s domain %u: %zu bytes is too much for one request",
             what, domid, plen);
        return -E2BIG;
    }
    req->domid = domid;
    req->len = plen;
    memset(&msg, 0, sizeof(msg));
    iov[0].iov_base = req;
    iov[0].iov_len = sizeof(*req);
    iov[1].iov_base = (void *)payload;
    iov[1].iov_len = plen;
    msg.msg_iov = iov;
    msg.msg_iovlen = plen ? 2 : 1;
    if (fd_in >= 0) {
        memset(cbuf.buf, 0, sizeof(cbuf.buf));
        msg.msg_control = cbuf.buf;
        msg.msg_controllen = sizeof(cbuf.buf);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd_in, sizeof(int));
    }
    do {
        r = sendmsg(s->fd, &msg, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        LOGED(s->be.lg, XM_LOG_ERROR, errno, domid,
              "cannot %s domain %u: sim host \"%s\" is gone: send", what,
              domid, s->path);
        return -EPIPE;
    }

    memset(&msg, 0, sizeof(msg));
    iov[0].iov_base = s->msg;
    iov[0].iov_len = XM_SIM_MSG_MAX;
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.buf;
    msg.msg_controllen = sizeof(cbuf.buf);
    do {
        r = recvmsg(s->fd, &msg, MSG_CMSG_CLOEXEC);
    } while (r < 0 && errno == EINTR);
    for (cm = CMSG_FIRSTHDR(&msg); r >= 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    }
    if (r <= 0 || (size_t)r < sizeof(*resp) ||
        resp->len != (size_t)r - sizeof(*resp)) {
        if (fd >= 0)
            close(fd);
        if (r < 0)
            LOGED(s->be.lg, XM_LOG_ERROR, errno, domid,
                  "cannot %s domain %u: sim host \"%s\": receive", what,
                  domid, s->path);
        else
            LOGD(s->be.lg, XM_LOG_ERROR, domid,
                 "cannot %s domain %u: sim host \"%s\" %s", what, domid,
                 s->path, r == 0 ? "closed the connection"
                                 : "sent a malformed reply");
        return -EPIPE;
    }
    if (resp->rc < 0) {
        if (fd >= 0)
            close(fd);
        resp->msg[sizeof(resp->msg) - 1] = 0;
        if (resp->rc == -ESRCH)
            LOGD(s->be.lg, XM_LOG_ERROR, domid,
                 "cannot %s domain %u: no such domain on sim host \"%s\"",
                 what, domid, s->path);
        else if (domid == 0) /* not about one domain (create, list) */
            LOG(s->be.lg, XM_LOG_ERROR, "cannot %s: %s", what, resp->msg);
        else
            LOGD(s->be.lg, XM_LOG_ERROR, domid, "cannot %s domain %u: %s",
                 what, domid, resp->msg);
        return resp->rc;
    }
    if (fd_out)
        *fd_out = fd;
    else if (fd >= 0)
        close(fd);
    return 0;
}

/* A request of @op with nothing but the domain. */
static int simple(struct xm_backend *be, const char *what, uint32_t op,
                  uint32_t domid)
{
    struct xm_sim_req req = { .op = op };

    return call(to_sim(be), what, domid, &req, NULL, 0, -1, NULL);
}

static struct xm_sim_resp *resp_of(struct sim_backend *s)
{
    return (struct xm_sim_resp *)s->msg;
}

static int sim_open(const char *address, struct xm_logger *lg,
                    struct xm_backend **be_r)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct xm_sim_req req = { .op = XM_SIM_OP_HELLO };
    struct sim_backend *s;
    int rc;

    if (!address)
        address = getenv("XENMIG_SIM_SOCKET");
    if (!address || !*address)
        address = XM_SIM_DEFAULT_SOCKET;
    if (strlen(address) >= sizeof(sa.sun_path)) {
        LOG(lg, XM_LOG_ERROR, "sim host socket path \"%s\" is too long",
            address);
        return -ENAMETOOLONG;
    }
    s = calloc(1, sizeof(*s));
    if (!s || !(s->msg = malloc(XM_SIM_MSG_MAX))) {
        free(s);
        LOG(lg, XM_LOG_ERROR, "out of memory opening sim backend");
        return -ENOMEM;
    }
    s->be.ops = &xm_backend_sim_ops;
    s->be.lg = lg;
    snprintf(s->path, sizeof(s->path), "%s", address);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", address);
    s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s->fd < 0 ||
        connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = -errno;
        LOGE(lg, XM_LOG_ERROR, rc, "sim host \"%s\" is not running: connect",
             address);
        goto fail;
    }
    req.arg[0] = XM_SIM_PROTO_MAGIC;
    req.arg[1] = XM_SIM_PROTO_VERSION;
    rc = call(s, "connect to", 0, &req, NULL, 0, -1, NULL);
    if (rc)
        goto fail;
    *be_r = &s->be;
    return 0;

fail:
    if (s->fd >= 0)
        close(s->fd);
    free(s->msg);
    free(s);
    return rc;
}

static void *populate_main(void *arg)
{
    struct populate *p = arg;
    size_t off;

    for (off = 0; off < p->len && !p->stop; off += POPULATE_CHUNK)
        madvise(p->base + off, p->len - off < POPULATE_CHUNK
                                   ? p->len - off : POPULATE_CHUNK,
                p->advice);
    return NULL;
}

/* Start faulting @m in; without a thread the pages just fault on use. */
static void populate_start(struct sim_map *m)
{
    struct populate *p = calloc(1, sizeof(*p));

    if (!p)
        return;
    p->base = m->base;
    p->len = m->nr_pfns * PAGE;
    p->advice = m->writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ;
    if (pthread_create(&p->tid, NULL, populate_main, p)) {
        free(p);
        return;
    }
    m->pop = p;
}

/* Stop and wait for it: before munmap, or before a populate for write. */
static void populate_stop(struct sim_map *m)
{
    if (!m->pop)
        return;
    m->pop->stop = true;
    pthread_join(m->pop->tid, NULL);
    free(m->pop);
    m->pop = NULL;
}

static void sim_close(struct xm_backend *be)
{
    struct sim_backend *s = to_sim(be);
    unsigned i;

    if (!be)
        return;
    for (i = 0; i < s->nr_maps; i++) {
        populate_stop(&s->maps[i]);
        munmap(s->maps[i].base, s->maps[i].nr_pfns * PAGE);
    }
    free(s->maps);
    if (s->bitmap)
        munmap(s->bitmap, s->bitmap_size);
    close(s->fd);
    free(s->msg);
    free(s);
}

static void info_from_wire(struct xm_domain_info *info,
                           const struct xm_sim_dominfo *w)
{
    memset(info, 0, sizeof(*info));
    info->domid = w->domid;
    memcpy(info->name, w->name, sizeof(info->name));
    info->name[sizeof(info->name) - 1] = 0;
    info->nr_pfns = w->nr_pfns;
    info->nr_vcpus = w->nr_vcpus;
    info->flags = w->flags;
    info->cpu_cap = w->cpu_cap;
    info->cpu_time_ns = w->cpu_time_ns;
}

static int sim_list(struct xm_backend *be, struct xm_domain_info **infos_r,
                    unsigned *n_r)
{
    struct sim_backend *s = to_sim(be);
    struct xm_sim_req req = { .op = XM_SIM_OP_LIST };
    const struct xm_sim_dominfo *w;
    struct xm_domain_info *infos;
    unsigned n, i;
    int rc;

    rc = call(s, "list", 0, &req, NULL, 0, -1, NULL);
    if (rc)
        return rc;
    n = resp_of(s)->len / sizeof(*w);
    w = (const struct xm_sim_dominfo *)(resp_of(s) + 1);
    infos = calloc(n + 1, sizeof(*infos));
    if (!infos) {
        LOG(be->lg, XM_LOG_ERROR, "out of memory listing domains");
        return -ENOMEM;
    }
    for (i = 0; i < n; i++)
        info_from_wire(&infos[i], &w[i]);
    *infos_r = infos;
    *n_r = n;
    return 0;
}

static int sim_domain_info(struct xm_backend *be, uint32_t domid,
                           struct xm_domain_info *info_r)
{
    struct sim_backend *s = to_sim(be);
    struct xm_sim_req req = { .op = XM_SIM_OP_INFO };
    struct xm_sim_dominfo w;
    int rc;

    rc = call(s, "get info of", domid, &req, NULL, 0, -1, NULL);
    if (rc)
        return rc;
    memcpy(&w, resp_of(s) + 1, sizeof(w));
    info_from_wire(info_r, &w);
    return 0;
}

static int sim_pause(struct xm_backend *be, uint32_t domid)
{
    return simple(be, "pause", XM_SIM_OP_PAUSE, domid);
}

static int sim_unpause(struct xm_backend *be, uint32_t domid)
{
    return simple(be, "unpause", XM_SIM_OP_UNPAUSE, domid);
}

static int sim_suspend(struct xm_backend *be, uint32_t domid)
{
    return simple(be, "suspend", XM_SIM_OP_SUSPEND, domid);
}

static int sim_resume(struct xm_backend *be, uint32_t domid)
{
    return simple(be, "resume", XM_SIM_OP_RESUME, domid);
}

static int sim_logdirty_enable(struct xm_backend *be, uint32_t domid)
{
    return simple(be, "enable log-dirty on", XM_SIM_OP_LOGDIRTY_ENABLE,
                  domid);
}

static int sim_logdirty_disable(struct xm_backend *be, uint32_t domid)
{
    return simple(be, "disable log-dirty on", XM_SIM_OP_LOGDIRTY_DISABLE,
                  domid);
}

/* Make the shared bitmap buffer hold @bytes, handing a new one to simd. */
static int bitmap_buffer(struct sim_backend *s, uint32_t domid, size_t bytes)
{
    struct xm_sim_req req = { .op = XM_SIM_OP_BITMAP_BUF };
    size_t size = (bytes + PAGE - 1) / PAGE * PAGE;
    void *p;
    int fd, rc;

    if (s->bitmap && s->bitmap_size >= bytes)
        return 0;
    fd = memfd_create("xenmig-dirty-bitmap", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, size) < 0) {
        rc = -errno;
        LOGED(s->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot make a %zu-byte dirty bitmap buffer for domain %u",
              size, domid);
        goto out;
    }
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        rc = -errno;
        LOGED(s->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot map a dirty bitmap buffer for domain %u", domid);
        goto out;
    }
    req.arg[0] = size;
    rc = call(s, "share a dirty bitmap buffer for", domid, &req, NULL, 0, fd,
              NULL);
    if (rc) {
        munmap(p, size);
        goto out;
    }
    if (s->bitmap)
        munmap(s->bitmap, s->bitmap_size);
    s->bitmap = p;
    s->bitmap_size = size;

out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static int sim_dirty_bitmap(struct xm_backend *be, uint32_t domid,
                            enum xm_dirty_op op, unsigned long *bitmap,
                            uint64_t nr_pfns, uint64_t *dirty_r)
{
    struct sim_backend *s = to_sim(be);
    struct xm_sim_req req = { .op = XM_SIM_OP_DIRTY };
    size_t bytes = (nr_pfns + BPL - 1) / BPL * sizeof(long);
    int rc;

    rc = bitmap_buffer(s, domid, bytes ? bytes : sizeof(long));
    if (rc)
        return rc;
    req.arg[0] = op;
    req.arg[1] = nr_pfns;
    rc = call(s, op == XM_DIRTY_CLEAN ? "clean the dirty bitmap of"
                                      : "peek at the dirty bitmap of",
              domid, &req, NULL, 0, -1, NULL);
    if (rc)
        return rc;
    memcpy(bitmap, s->bitmap, bytes);
    if (dirty_r)
        *dirty_r = resp_of(s)->val[0];
    return 0;
}

static struct sim_map *find_map(struct sim_backend *s, uint32_t domid)
{
    unsigned i;

    for (i = 0; i < s->nr_maps; i++) {
        if (s->maps[i].domid == domid)
            return &s->maps[i];
    }
    return NULL;
}

/* The whole RAM of @domid, mapped (writable if asked) on first use. */
static int ram_of(struct sim_backend *s, uint32_t domid, bool writable,
                  struct sim_map **map_r)
{
    struct xm_sim_req req = { .op = XM_SIM_OP_MAP };
    struct sim_map *m = find_map(s, domid), *maps;
    uint64_t nr_pfns;
    void *base;
    int fd = -1, rc;

    if (m && (m->writable || !writable)) {
        *map_r = m;
        return 0;
    }
    if (m) {
        /* same pages, same addresses: earlier pointers stay valid */
        if (mprotect(m->base, m->nr_pfns * PAGE, PROT_READ | PROT_WRITE)) {
            rc = -errno;
            LOGED(s->be.lg, XM_LOG_ERROR, rc, domid,
                  "cannot map domain %u writable", domid);
            return rc;
        }
        m->writable = true;
        *map_r = m;
        return 0;
    }
    rc = call(s, "map", domid, &req, NULL, 0, -1, &fd);
    if (rc)
        return rc;
    nr_pfns = resp_of(s)->val[0];
    if (fd < 0) {
        LOGD(s->be.lg, XM_LOG_ERROR, domid,
             "cannot map domain %u: sim host sent no memory file", domid);
        return -EPROTO;
    }
    base = mmap(NULL, nr_pfns * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
                fd, 0);
    rc = base == MAP_FAILED ? -errno : 0;
    close(fd);
    if (rc) {
        LOGED(s->be.lg, XM_LOG_ERROR, rc, domid,
              "cannot map the %llu pages of domain %u",
              (unsigned long long)nr_pfns, domid);
        return rc;
    }
    if (!writable)
        mprotect(base, nr_pfns * PAGE, PROT_READ);
    maps = realloc(s->maps, (s->nr_maps + 1) * sizeof(*maps));
    if (!maps) {
        munmap(base, nr_pfns * PAGE);
        LOGD(s->be.lg, XM_LOG_ERROR, domid,
             "out of memory mapping domain %u", domid);
        return -ENOMEM;
    }
    s->maps = maps;
    m = &s->maps[s->nr_maps++];
    m->domid = domid;
    m->base = base;
    m->nr_pfns = nr_pfns;
    m->writable = writable;
    m->pop = NULL;
    populate_start(m);
    *map_r = m;
    return 0;
}

static void drop_map(struct sim_backend *s, uint32_t domid)
{
    struct sim_map *m = find_map(s, domid);

    if (!m)
        return;
    populate_stop(m);
    munmap(m->base, m->nr_pfns * PAGE);
    *m = s->maps[--s->nr_maps];
}

static int sim_map(struct xm_backend *be, uint32_t domid,
                   const uint64_t *pfns, unsigned n, bool writable,
                   void **pages_r, int *errs, void **handle_r)
{
    struct sim_map *m = NULL;
    unsigned i;
    int rc;

    rc = ram_of(to_sim(be), domid, writable, &m);
    if (rc)
        return rc;
    for (i = 0; i < n; i++) {
        uint64_t pfn = pfns[i] & XM_PFN_MASK;

        if (pfn < m->nr_pfns) {
            pages_r[i] = m->base + pfn * PAGE;
            errs[i] = 0;
        } else {
            pages_r[i] = NULL;
            errs[i] = -EINVAL;
        }
    }
    *handle_r = m->base;
    return 0;
}

static void sim_unmap(struct xm_backend *be, void *handle, unsigned n)
{
    /* the RAM stays mapped until close() or destroy() */
}

static int sim_page_types(struct xm_backend *be, uint32_t domid,
                          const uint64_t *pfns, unsigned n,
                          uint32_t *types_r)
{
    struct sim_map *m = find_map(to_sim(be), domid);
    struct xm_domain_info info;
    uint64_t nr_pfns;
    unsigned i;
    int rc;

    if (m) {
        nr_pfns = m->nr_pfns;
    } else {
        rc = sim_domain_info(be, domid, &info);
        if (rc)
            return rc;
        nr_pfns = info.nr_pfns;
    }
    for (i = 0; i < n; i++)
        types_r[i] = pfns[i] < nr_pfns ? XM_PAGE_NORMAL : XM_PAGE_XTAB;
    return 0;
}

static const char *state_name(enum xm_state_kind kind)
{
    switch (kind) {
    case XM_STATE_CONFIG:
        return "config";
    case XM_STATE_VCPU:
        return "vcpu";
    case XM_STATE_PLATFORM:
        return "platform";
    }
    return "unknown";
}

static int sim_get_state(struct xm_backend *be, uint32_t domid,
                         enum xm_state_kind kind, void **blob_r,
                         size_t *len_r)
{
    struct sim_backend *s = to_sim(be);
    struct xm_sim_req req = { .op = XM_SIM_OP_GET_STATE };
    char what[64];
    void *blob;
    int rc;

    snprintf(what, sizeof(what), "get the %s state of", state_name(kind));
    req.arg[0] = kind;
    rc = call(s, what, domid, &req, NULL, 0, -1, NULL);
    if (rc)
        return rc;
    blob = malloc(resp_of(s)->len ? resp_of(s)->len : 1);
    if (!blob) {
        LOGD(be->lg, XM_LOG_ERROR, domid, "out of memory for domain %u",
             domid);
        return -ENOMEM;
    }
    memcpy(blob, resp_of(s) + 1, resp_of(s)->len);
    *blob_r = blob;
    *len_r = resp_of(s)->len;
    return 0;
}

static int sim_set_state(struct xm_backend *be, uint32_t domid,
                         enum xm_state_kind kind, const void *blob,
                         size_t len)
{
    struct xm_sim_req req = { .op = XM_SIM_OP_SET_STATE };
    char what[64];

    snprintf(what, sizeof(what), "load the %s state into", state_name(kind));
    req.arg[0] = kind;
    return call(to_sim(be), what, domid, &req, blob, len, -1, NULL);
}

/* CREATE: the fresh domain runs (@run) or waits paused for its state. */
static int create(struct sim_backend *s, const char *name,
                  const void *config, size_t config_len, uint64_t nr_pfns,
                  enum xm_sim_fill fill, int image_fd, uint32_t flags,
                  uint32_t *domid_r)
{
    struct xm_sim_req req = { .op = XM_SIM_OP_CREATE };
    int rc;

    if (strlen(name) >= sizeof(req.name)) {
        LOG(s->be.lg, XM_LOG_ERROR,
            "cannot create domain \"%s\": name longer than %zu characters",
            name, sizeof(req.name) - 1);
        return -EINVAL;
    }
    snprintf(req.name, sizeof(req.name), "%s", name);
    req.arg[0] = nr_pfns;
    req.arg[1] = fill;
    req.arg[2] = flags;
    rc = call(s, "create a domain", 0, &req, config, config_len, image_fd,
              NULL);
    if (rc == -EEXIST)
        LOG(s->be.lg, XM_LOG_ERROR,
            "cannot create domain \"%s\": the name is taken", name);
    if (rc)
        return rc;
    *domid_r = resp_of(s)->val[0];
    return 0;
}

static int sim_create(struct xm_backend *be, const char *name,
                      const void *config, size_t config_len,
                      uint64_t nr_pfns, uint32_t *domid_r)
{
    return create(to_sim(be), name, config, config_len, nr_pfns,
                  XM_SIM_FILL_ZERO, -1, XM_SIM_CREATE_INCOMING, domid_r);
}

static int sim_commit(struct xm_backend *be, uint32_t domid)
{
    return simple(be, "commit", XM_SIM_OP_COMMIT, domid);
}

static int sim_destroy(struct xm_backend *be, uint32_t domid)
{
    int rc = simple(be, "destroy", XM_SIM_OP_DESTROY, domid);

    if (!rc)
        drop_map(to_sim(be), domid);
    return rc;
}

static int sim_set_cpu_cap(struct xm_backend *be, uint32_t domid,
                           unsigned cap_pct)
{
    struct xm_sim_req req = { .op = XM_SIM_OP_SET_CAP };

    req.arg[0] = cap_pct;
    return call(to_sim(be), "cap the cpu of", domid, &req, NULL, 0, -1,
                NULL);
}

static int sim_set_note(struct xm_backend *be, uint32_t domid,
                        const char *key, const char *value)
{
    struct xm_sim_req req = { .op = XM_SIM_OP_SET_NOTE };

    if (!xm_note_args_ok(key, value))
        return -EINVAL;
    snprintf(req.name, sizeof(req.name), "%s", key);
    return call(to_sim(be), "keep a note with", domid, &req, value,
                value ? strlen(value) : 0, -1, NULL);
}

static int sim_get_note(struct xm_backend *be, uint32_t domid,
                        const char *key, char *buf, size_t size)
{
    struct sim_backend *s = to_sim(be);
    struct xm_sim_req req = { .op = XM_SIM_OP_GET_NOTE };
    int rc;

    if (!xm_note_args_ok(key, ""))
        return -EINVAL;
    snprintf(req.name, sizeof(req.name), "%s", key);
    rc = call(s, "read a note of", domid, &req, NULL, 0, -1, NULL);
    if (rc)
        return rc;
    if (!resp_of(s)->val[0])
        return -ENOENT;
    snprintf(buf, size, "%.*s", (int)resp_of(s)->len, (char *)(resp_of(s) + 1));
    return 0;
}

static int sim_rename(struct xm_backend *be, uint32_t domid,
                      const char *name)
{
    struct xm_sim_req req = { .op = XM_SIM_OP_RENAME };

    if (strlen(name) >= sizeof(req.name)) {
        LOGD(be->lg, XM_LOG_ERROR, domid,
             "cannot rename domain %u: \"%s\" is longer than %zu characters",
             domid, name, sizeof(req.name) - 1);
        return -EINVAL;
    }
    snprintf(req.name, sizeof(req.name), "%s", name);
    return call(to_sim(be), "rename", domid, &req, NULL, 0, -1, NULL);
}

const struct xm_backend_ops xm_backend_sim_ops = {
    .name = "sim",
    .features = XM_FEAT_KNOWN,
    .open = sim_open,
    .close = sim_close,
    .list = sim_list,
    .domain_info = sim_domain_info,
    .pause = sim_pause,
    .unpause = sim_unpause,
    .suspend = sim_suspend,
    .resume = sim_resume,
    .logdirty_enable = sim_logdirty_enable,
    .logdirty_disable = sim_logdirty_disable,
    .dirty_bitmap = sim_dirty_bitmap,
    .map = sim_map,
    .unmap = sim_unmap,
    .page_types = sim_page_types,
    .get_state = sim_get_state,
    .set_state = sim_set_state,
    .create = sim_create,
    .commit = sim_commit,
    .destroy = sim_destroy,
    .set_cpu_cap = sim_set_cpu_cap,
    .rename = sim_rename,
    .set_note = sim_set_note,
    .get_note = sim_get_note,
};

/* ---- sim-only calls (sim.h) ------------------------------------------- */

int xm_sim_domain_create_ex(struct xm_backend *be, const char *name,
                            const struct xm_sim_config *cfg,
                            uint64_t nr_pfns, enum xm_sim_fill fill,
                            int image_fd, enum xm_sim_create_flags flags,
                            uint32_t *domid_r)
{
    if (!be || be->ops != &xm_backend_sim_ops) {
        LOG(be ? be->lg : NULL, XM_LOG_ERROR,
            "cannot create domain \"%s\": only a sim host makes domains "
            "from nothing", name);
        return -EINVAL;
    }
    if ((fill == XM_SIM_FILL_IMAGE) != (image_fd >= 0) ||
        (flags & ~XM_SIM_CREATE_RUN)) {
        LOG(be->lg, XM_LOG_ERROR,
            "cannot create domain \"%s\": an image fill goes with an image file and nothing else does", name);
        return -EINVAL;
    }
    return create(to_sim(be), name, cfg, sizeof(*cfg), nr_pfns, fill,
                  image_fd, flags, domid_r);
}

int xm_sim_domain_create(struct xm_backend *be, const char *name,
                         const struct xm_sim_config *cfg, uint64_t nr_pfns,
                         enum xm_sim_fill fill, uint32_t *domid_r)
{
    return xm_sim_domain_create_ex(be, name, cfg, nr_pfns, fill, -1,
                                   XM_SIM_CREATE_RUN, domid_r);
}

void xm_sim_config_init(struct xm_sim_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->magic = XM_SIM_CONFIG_MAGIC;
    cfg->version = XM_SIM_CONFIG_VERSION;
    cfg->size = sizeof(*cfg);
    cfg->vcpus = 1;
    cfg->workload = XM_SIM_IDLE;
    cfg->seed = 0x78656e6d6967ull; /* "xenmig" */
    cfg->write_bytes = XM_PAGE_SIZE;
}

static __thread char parse_error[160];

const char *xm_sim_parse_error(void)
{
    return parse_error;
}

/* One decimal field of a spec; false (and the message) if it is not. */
static bool parse_field(const char *spec, const char *field, size_t len,
                        const char *what, uint32_t max, uint32_t *val_r)
{
    char buf[24], *end;
    unsigned long v;

    if (len == 0 || len >= sizeof(buf)) {
        snprintf(parse_error, sizeof(parse_error),
                 "bad workload \"%s\": %s is %s", spec, what,
                 len ? "too long" : "missing");
        return false;
    }
    memcpy(buf, field, len);
    buf[len] = 0;
    errno = 0;
    v = strtoul(buf, &end, 10);
    if (*end || errno || buf[0] == '-' || v > max) {
        snprintf(parse_error, sizeof(parse_error),
                 "bad workload \"%s\": %s \"%s\" is not a number from 0 to "
                 "%u", spec, what, buf, max);
        return false;
    }
    *val_r = v;
    return true;
}

int xm_sim_parse_workload(const char *spec, struct xm_sim_config *cfg)
{
    static const struct {
        const char *name;         /* kind in the spec */
        uint32_t kind;            /* enum xm_sim_workload */
        unsigned min, max;        /* numbers after it */
    } kinds[] = {
        { "idle", XM_SIM_IDLE, 0, 0 },
        { "uniform", XM_SIM_UNIFORM, 1, 2 },
        { "hotcold", XM_SIM_HOTCOLD, 4, 4 },
        { "stream", XM_SIM_STREAM, 1, 2 },
    };
    static const char *const what[] = { "rate", "working set", "hot set",
                                        "hot share" };
    static const uint32_t max[] = { 1u << 20, 1u << 24, 1u << 24, 100 };
    uint32_t vals[4] = { 0, 0, 0, 0 };
    const char *p, *colon;
    size_t len;
    unsigned k, n = 0;

    parse_error[0] = 0;
    if (!spec)
        spec = "";
    colon = strchr(spec, ':');
    len = colon ? (size_t)(colon - spec) : strlen(spec);
    for (k = 0; k < XM_ARRAY_SIZE(kinds); k++) {
        if (strlen(kinds[k].name) == len &&
            strncmp(kinds[k].name, spec, len) == 0)
            break;
    }
    if (k == XM_ARRAY_SIZE(kinds)) {
        snprintf(parse_error, sizeof(parse_error),
                 "bad workload \"%s\": want idle, uniform:RATE[:WSET], "
                 "hotcold:RATE:WSET:HOTSET:HOTPCT or stream:RATE[:WSET]",
                 spec);
        return -EINVAL;
    }
    for (p = colon; p; p = colon) {
        p++;
        colon = strchr(p, ':');
        len = colon ? (size_t)(colon - p) : strlen(p);
        if (n == kinds[k].max) {
            snprintf(parse_error, sizeof(parse_error),
                     "bad workload \"%s\": %s takes at most %u numbers",
                     spec, kinds[k].name, kinds[k].max);
            return -EINVAL;
        }
        if (!parse_field(spec, p, len, what[n], max[n], &vals[n]))
            return -EINVAL;
        n++;
    }
    if (n < kinds[k].min) {
        snprintf(parse_error, sizeof(parse_error),
                 "bad workload \"%s\": %s needs %s", spec, kinds[k].name,
                 kinds[k].min == 4 ? "RATE:WSET:HOTSET:HOTPCT" : "a RATE");
        return -EINVAL;
    }
    if (kinds[k].kind == XM_SIM_HOTCOLD && vals[1] && vals[2] > vals[1]) {
        snprintf(parse_error, sizeof(parse_error),
                 "bad workload \"%s\": hot set %u MiB is larger than the "
                 "working set %u MiB", spec, vals[2], vals[1]);
        return -EINVAL;
    }
    cfg->workload = kinds[k].kind;
    cfg->rate_mib = vals[0];
    cfg->wset_mib = vals[1];
    cfg->hot_mib = vals[2];
    cfg->hot_pct = vals[3];
    return 0;
}
