/*
 * simd.c - xenmig-simd, one simulated Xen host: it owns the domains (as
 * the hypervisor does) and answers the toolstack's "hypercalls" on a unix
 * socket (sim-proto.h).
 *
 *   xenmig-simd [--socket PATH] [--pidfile FILE] [--heap MIB]
 *               [--ram-dir DIR]
 *
 * Foreground, logs to stderr. SIGTERM or SIGINT destroys every domain,
 * removes the socket and the pid file, and exits 0.
 *
 * Entry point main(): choose the dirty-tracking mode, bind the socket,
 * then accept connections, each served by its own thread (client_main):
 * HELLO first, then one request -> one response until the peer closes.
 * Ops on a domain run with its op_lock held (dispatch_domain_op()).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

/* One toolstack connection. */
struct client {
    int fd;                       /* the connection */
    bool hello;                   /* version checked */
    unsigned long *bitmap;        /* its shared dirty-bitmap buffer */
    size_t bitmap_size;           /* bytes of it */
    struct sim_domain **mapped;   /* domains whose RAM it was given */
    unsigned nr_mapped;
};

static const char *socket_path;

uint64_t sim_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sim_log(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "xenmig-simd[%d]: %s\n", (int)getpid(), buf);
}

int sim_fail(struct sim_err *err, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return rc;
}

static const char *op_name(uint32_t op)
{
    static const char *const names[] = {
        [XM_SIM_OP_HELLO] = "hello",
        [XM_SIM_OP_LIST] = "list",
        [XM_SIM_OP_INFO] = "info",
        [XM_SIM_OP_PAUSE] = "pause",
        [XM_SIM_OP_UNPAUSE] = "unpause",
        [XM_SIM_OP_SUSPEND] = "suspend",
        [XM_SIM_OP_RESUME] = "resume",
        [XM_SIM_OP_LOGDIRTY_ENABLE] = "logdirty-enable",
        [XM_SIM_OP_LOGDIRTY_DISABLE] = "logdirty-disable",
        [XM_SIM_OP_BITMAP_BUF] = "bitmap-buf",
        [XM_SIM_OP_DIRTY] = "dirty",
        [XM_SIM_OP_MAP] = "map",
        [XM_SIM_OP_GET_STATE] = "get-state",
        [XM_SIM_OP_SET_STATE] = "set-state",
        [XM_SIM_OP_CREATE] = "create",
        [XM_SIM_OP_DESTROY] = "destroy",
        [XM_SIM_OP_SET_CAP] = "set-cap",
        [XM_SIM_OP_RENAME] = "rename",
        [XM_SIM_OP_COMMIT] = "commit",
        [XM_SIM_OP_SET_NOTE] = "set-note",
        [XM_SIM_OP_GET_NOTE] = "get-note",
    };

    if (op < sizeof(names) / sizeof(names[0]) && names[op])
        return names[op];
    return "unknown";
}

/* An op on one existing domain; dom->op_lock is held. */
/*
 * @c is given @d's RAM: its memfd may not go to the heap before @c is
 * gone (heap.c). Counted once per connection.
 */
static int note_mapped(struct client *c, struct sim_domain *d,
                       struct sim_err *err)
{
    struct sim_domain **m;
    unsigned i;

    for (i = 0; i < c->nr_mapped; i++)
        if (c->mapped[i] == d)
            return 0;
    m = realloc(c->mapped, (c->nr_mapped + 1) * sizeof(*m));
    if (!m)
        return sim_fail(err, -ENOMEM, "out of memory");
    c->mapped = m;
    c->mapped[c->nr_mapped++] = d;
    sim_domain_mapped(d);
    return 0;
}

static int domain_op(struct client *c, struct sim_domain *d,
                     const struct xm_sim_req *req, const void *payload,
                     struct xm_sim_resp *resp, void *out, size_t out_max,
                     int *fd_out, struct sim_err *err)
{
    void *blob = NULL;
    size_t len = 0;
    int rc;

    switch (req->op) {
    case XM_SIM_OP_INFO:
        sim_domain_info(d, out);
        resp->len = sizeof(struct xm_sim_dominfo);
        return 0;
    case XM_SIM_OP_PAUSE:
        return sim_domain_pause(d, err);
    case XM_SIM_OP_UNPAUSE:
        return sim_domain_unpause(d, err);
    case XM_SIM_OP_SUSPEND:
        return sim_domain_suspend(d, err);
    case XM_SIM_OP_RESUME:
        return sim_domain_resume(d, err);
    case XM_SIM_OP_LOGDIRTY_ENABLE:
        return sim_dirty_enable(&d->dirty, d->ram, d->nr_pfns, err);
    case XM_SIM_OP_LOGDIRTY_DISABLE:
        sim_dirty_disable(&d->dirty);
        return 0;
    case XM_SIM_OP_DIRTY:
        if (req->arg[0] > XM_DIRTY_PEEK)
            return sim_fail(err, -EINVAL, "unknown dirty op %llu",
                            (unsigned long long)req->arg[0]);
        if (!c->bitmap || c->bitmap_size * 8 < req->arg[1])
            return sim_fail(err, -EINVAL,
                            "bitmap buffer of %zu bytes too small for %llu "
                            "pages", c->bitmap_size,
                            (unsigned long long)req->arg[1]);
        rc = sim_dirty_read(&d->dirty, req->arg[0] == XM_DIRTY_CLEAN,
                            c->bitmap, req->arg[1], &resp->val[0], err);
        return rc;
    case XM_SIM_OP_MAP:
        rc = note_mapped(c, d, err);
        if (rc)
            return rc;
        *fd_out = fcntl(d->memfd, F_DUPFD_CLOEXEC, 0);
        if (*fd_out < 0)
            return sim_fail(err, -errno, "dup: %s", strerror(errno));
        resp->val[0] = d->nr_pfns;
        return 0;
    case XM_SIM_OP_GET_STATE:
        rc = sim_domain_get_state(d, req->arg[0], &blob, &len, err);
        if (rc)
            return rc;
        if (len > out_max) {
            free(blob);
            return sim_fail(err, -E2BIG, "state of %zu bytes too big", len);
        }
        memcpy(out, blob, len);
        free(blob);
        resp->len = len;
        return 0;
    case XM_SIM_OP_SET_STATE:
        return sim_domain_set_state(d, req->arg[0], payload, req->len, err);
    case XM_SIM_OP_DESTROY:
        return sim_domain_destroy(d, err);
    case XM_SIM_OP_SET_CAP:
        return sim_domain_set_cap(d, req->arg[0], err);
    case XM_SIM_OP_RENAME:
        return sim_domain_rename(d, req->name, err);
    case XM_SIM_OP_COMMIT:
        return sim_domain_commit(d, err);
    case XM_SIM_OP_SET_NOTE: {
        char value[XM_NOTE_VALUE_MAX];

        if (req->len >= sizeof(value))
            return sim_fail(err, -EINVAL, "a note of %u bytes", req->len);
        memcpy(value, payload, req->len);
        value[req->len] = 0;
        return sim_domain_set_note(d, req->name, req->len ? value : NULL,
                                   err);
    }
    case XM_SIM_OP_GET_NOTE: {
        bool found;

        if (out_max < XM_NOTE_VALUE_MAX)
            return sim_fail(err, -E2BIG, "no room for a note");
        rc = sim_domain_get_note(d, req->name, out, &found, err);
        if (!rc && found) {
            resp->val[0] = 1;
            resp->len = strlen(out) + 1;
        }
        return rc;
    }
    default:
        return sim_fail(err, -ENOSYS, "unknown op %u", req->op);
    }
}

static int dispatch(struct client *c, const struct xm_sim_req *req,
                    const void *payload, int fd_in, struct xm_sim_resp *resp,
                    void *out, size_t out_max, int *fd_out,
                    struct sim_err *err)
{
    struct xm_sim_dominfo *infos = NULL;
    struct xm_sim_config cfg;
    struct sim_domain *d;
    unsigned n;
    void *p;
    int rc;

    if (req->op != XM_SIM_OP_HELLO && !c->hello)
        return sim_fail(err, -EPROTO, "no hello yet");
    switch (req->op) {
    case XM_SIM_OP_HELLO:
        if (req->arg[0] != XM_SIM_PROTO_MAGIC ||
            req->arg[1] != XM_SIM_PROTO_VERSION)
            return sim_fail(err, -EPROTO,
                            "protocol mismatch: client speaks version %llu, "
                            "this host %u",
                            (unsigned long long)req->arg[1],
                            XM_SIM_PROTO_VERSION);
        c->hello = true;
        resp->val[0] = XM_SIM_PROTO_VERSION;
        return 0;
    case XM_SIM_OP_LIST:
        rc = sim_domain_list(&infos, &n, err);
        if (rc)
            return rc;
        if (n * sizeof(*infos) > out_max) {
            free(infos);
            return sim_fail(err, -E2BIG, "%u domains do not fit a reply", n);
        }
        memcpy(out, infos, n * sizeof(*infos));
        resp->len = n * sizeof(*infos);
        free(infos);
        return 0;
    case XM_SIM_OP_BITMAP_BUF:
        if (fd_in < 0 || !req->arg[0] || req->arg[0] > (1ull << 32))
            return sim_fail(err, -EINVAL, "bitmap buffer needs an fd and "
                            "a size");
        p = mmap(NULL, req->arg[0], PROT_READ | PROT_WRITE, MAP_SHARED,
                 fd_in, 0);
        if (p == MAP_FAILED)
            return sim_fail(err, -errno, "cannot map the bitmap buffer: %s",
                            strerror(errno));
        if (c->bitmap)
            munmap(c->bitmap, c->bitmap_size);
        c->bitmap = p;
        c->bitmap_size = req->arg[0];
        return 0;
    case XM_SIM_OP_CREATE:
        rc = sim_config_check(payload, req->len, req->arg[0], &cfg, err);
        if (rc)
            return rc;
        if (memchr(req->name, 0, sizeof(req->name)) == NULL)
            return sim_fail(err, -EINVAL, "domain name is not terminated");
        if ((req->arg[1] == XM_SIM_FILL_IMAGE) != (fd_in >= 0))
            return sim_fail(err, -EINVAL, fd_in < 0
                            ? "an image fill needs the image's file"
                            : "a file was sent with a fill that reads none");
        rc = sim_domain_create(req->name, &cfg, req->arg[0], req->arg[1],
                               fd_in, req->arg[2] & XM_SIM_CREATE_RUN,
                               req->arg[2] & XM_SIM_CREATE_INCOMING ? c : NULL,
                               &n, err);
        resp->val[0] = n;
        return rc;
    }

    /* everything else is about one domain */
    rc = sim_domain_get(req->domid, &d, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&d->op_lock);
    if (d->dead)
        rc = sim_fail(err, -ESRCH, "no such domain");
    else
        rc = domain_op(c, d, req, payload, resp, out, out_max, fd_out, err);
    pthread_mutex_unlock(&d->op_lock);
    sim_domain_put(d);
    return rc;
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    size_t max = XM_SIM_MSG_MAX;
    char *in = malloc(max), *outbuf = malloc(max);
    struct xm_sim_req *req = (struct xm_sim_req *)in;
    struct xm_sim_resp *resp = (struct xm_sim_resp *)outbuf;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cin, cout;
    struct msghdr msg;
    struct cmsghdr *cm;
    struct sim_err err;
    struct iovec iov;
    ssize_t r;
    int fd_in, fd_out, rc;

    if (!in || !outbuf)
        goto out;
    for (;;) {
        memset(&msg, 0, sizeof(msg));
        iov.iov_base = in;
        iov.iov_len = max;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cin.buf;
        msg.msg_controllen = sizeof(cin.buf);
        r = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        fd_in = fd_out = -1;
        for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
                memcpy(&fd_in, CMSG_DATA(cm), sizeof(int));
        }
        memset(resp, 0, sizeof(*resp));
        err.msg[0] = 0;
        if ((size_t)r < sizeof(*req) || (msg.msg_flags & MSG_TRUNC) ||
            req->len != (size_t)r - sizeof(*req))
            rc = sim_fail(&err, -EMSGSIZE, "malformed request of %zd bytes",
                          r);
        else
            rc = dispatch(c, req, req + 1, fd_in, resp, resp + 1,
                          max - sizeof(*resp), &fd_out, &err);
        if (fd_in >= 0)
            close(fd_in);
        resp->rc = rc;
        if (rc) {
            resp->len = 0;
            snprintf(resp->msg, sizeof(resp->msg), "%s", err.msg);
            if (rc != -ESRCH)
                sim_log("%s domain %u: %s", op_name(req->op), req->domid,
                        err.msg);
        }
        memset(&msg, 0, sizeof(msg));
        iov.iov_base = outbuf;
        iov.iov_len = sizeof(*resp) + resp->len;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (fd_out >= 0) {
            memset(cout.buf, 0, sizeof(cout.buf));
            msg.msg_control = cout.buf;
            msg.msg_controllen = sizeof(cout.buf);
            cm = CMSG_FIRSTHDR(&msg);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(cm), &fd_out, sizeof(int));
        }
        r = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (fd_out >= 0)
            close(fd_out);
        if (r < 0)
            break;
    }

out:
    sim_domain_reap(c);
    while (c->nr_mapped)
        sim_domain_unmapped(c->mapped[--c->nr_mapped]);
    free(c->mapped);
    if (c->bitmap)
        munmap(c->bitmap, c->bitmap_size);
    close(c->fd);
    free(c);
    free(in);
    free(outbuf);
    return NULL;
}

/* Is somebody already serving @path? Remove it if it is a stale socket. */
static int claim_path(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, rc = 0;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        sim_log("another sim host is serving \"%s\"", path);
        rc = -EADDRINUSE;
    } else if (errno == ECONNREFUSED) {
        unlink(path);
    }
    close(fd);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: xenmig-simd [--socket PATH] [--pidfile FILE] "
               "[--heap MIB] [--ram-dir DIR]\n"
               "  a simulated Xen host; default socket $XENMIG_SIM_SOCKET "
               "or " XM_SIM_DEFAULT_SOCKET "\n"
               "  --heap MIB keeps up to MIB of destroyed domains' RAM, "
               "scrubbed, for new ones\n"
               "  --ram-dir DIR makes guest RAM files in DIR (a tmpfs "
               "mounted with huge=always: 2 MiB pages)\n"
               "  XENMIG_SIM_DIRTY=sync|async forces a dirty-tracking "
               "mode\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' },
        { "pidfile", required_argument, NULL, 'p' },
        { "heap", required_argument, NULL, 'H' },
        { "ram-dir", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *pidfile = NULL;
    unsigned long long heap_mib;
    char *end;
    struct signalfd_siginfo si;
    struct pollfd pfd[2];
    struct client *c;
    pthread_attr_t attr;
    pthread_t tid;
    sigset_t sigs;
    char *dir, *slash;
    FILE *f;
    int opt, lfd = -1, sfd = -1, cfd, rc = 1;

    socket_path = getenv("XENMIG_SIM_SOCKET");
    if (!socket_path || !*socket_path)
        socket_path = XM_SIM_DEFAULT_SOCKET;
    while ((opt = getopt_long(argc, argv, "s:p:H:R:h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            socket_path = optarg;
            break;
        case 'p':
            pidfile = optarg;
            break;
        case 'R':
            sim_domain_ram_dir(optarg);
            break;
        case 'H':
            errno = 0;
            heap_mib = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' ||
                heap_mib > (UINT64_MAX >> 20)) {
                sim_log("--heap: \"%s\" is not a size in MiB", optarg);
                return 2;
            }
            sim_heap_init(heap_mib << 20);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    if (strlen(socket_path) >= sizeof(sa.sun_path)) {
        sim_log("socket path \"%s\" is too long", socket_path);
        return 2;
    }

    /* signals arrive through signalfd; threads inherit the mask */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sfd < 0) {
        sim_log("signalfd: %s", strerror(errno));
        goto out;
    }
    if (sim_dirty_global_init() < 0)
        goto out;

    dir = strdup(socket_path);
    slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = 0;
        mkdir(dir, 0755); /* /run/xenmig on a fresh host */
    }
    free(dir);
    if (claim_path(socket_path) < 0)
        goto out;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
    lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(lfd, 16) < 0) {
        sim_log("cannot listen on \"%s\": %s", socket_path, strerror(errno));
        goto out;
    }
    if (pidfile) {
        f = fopen(pidfile, "w");
        if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
            sim_log("cannot write pid file \"%s\": %s", pidfile,
                    strerror(errno));
            goto out_unlink;
        }
    }
    sim_log("listening on \"%s\"", socket_path);

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
    pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            sim_log("poll: %s", strerror(errno));
            break;
        }
        if (pfd[1].revents) {
            if (read(sfd, &si, sizeof(si)) == sizeof(si))
                sim_log("%s: shutting down", strsignal(si.ssi_signo));
            rc = 0;
            break;
        }
        if (!pfd[0].revents)
            continue;
        cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno != EINTR && errno != ECONNABORTED)
                sim_log("accept: %s", strerror(errno));
            continue;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
            close(cfd);
            continue;
        }
        c->fd = cfd;
        if (pthread_create(&tid, &attr, client_main, c)) {
            sim_log("cannot start a client thread");
            close(cfd);
            free(c);
        }
    }
    pthread_attr_destroy(&attr);
    close(lfd);
    lfd = -1;
    sim_domain_destroy_all();
    if (pidfile)
        unlink(pidfile);

out_unlink:
    unlink(socket_path);
out:
    if (lfd >= 0)
        close(lfd);
    if (sfd >= 0)
        close(sfd);
    return rc;
}
