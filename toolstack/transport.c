/*
 * transport.c - the byte pipes a migration runs over: a TCP connection
 * (migrate HOST[:PORT] to migrate-receive --listen), or a command's
 * stdin and stdout (migrate -s ssh, as xl does).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "private.h"

/* Split "host:port", "[v6]:port", "host" or "port" (when @port_only_ok). */
static int split_hostport(const char *in, char *host, size_t hostlen,
                          char *port, size_t portlen, bool port_only_ok)
{
    const char *colon = strrchr(in, ':');

    if (in[0] == '[') {
        const char *close = strchr(in, ']');

        if (!close)
            return -EINVAL;
        snprintf(host, hostlen, "%.*s", (int)(close - in - 1), in + 1);
        colon = close[1] == ':' ? close + 1 : NULL;
    } else if (colon) {
        snprintf(host, hostlen, "%.*s", (int)(colon - in), in);
    } else if (port_only_ok && strspn(in, "0123456789") == strlen(in)) {
        host[0] = '\0';
        snprintf(port, portlen, "%s", in);
        return 0;
    } else {
        snprintf(host, hostlen, "%s", in);
    }
    if (colon)
        snprintf(port, portlen, "%s", colon + 1);
    else
        snprintf(port, portlen, "%u", XM_DEFAULT_PORT);
    return 0;
}

static void tune(int fd)
{
    int one = 1, buf = 4 << 20;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
}

int transport_connect(const char *hostport)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
    char host[256], port[32];
    int fd = -1, r, err = 0;

    if (split_hostport(hostport, host, sizeof(host), port, sizeof(port),
                       false) || !host[0]) {
        LOG(&cli_logger, XM_LOG_ERROR, "bad destination \"%s\": want HOST[:PORT]",
            hostport);
        return -EINVAL;
    }
    r = getaddrinfo(host, port, &hints, &res);
    if (r) {
        LOG(&cli_logger, XM_LOG_ERROR, "cannot resolve \"%s\": %s", host,
            gai_strerror(r));
        return -EHOSTUNREACH;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        LOGE(&cli_logger, XM_LOG_ERROR, err,
             "cannot connect to the receiver at \"%s\" port %s (is 'xenmig migrate-receive --listen' running there?)",
             host, port);
        return -err;
    }
    tune(fd);
    return fd;
}

int transport_listen(const char *addrport, unsigned *port_r)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[256], port[32];
    int fd, r, one = 1;

    if (split_hostport(addrport, host, sizeof(host), port, sizeof(port),
                       true)) {
        LOG(&cli_logger, XM_LOG_ERROR, "bad listen address \"%s\"", addrport);
        return -EINVAL;
    }
    r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (r) {
        LOG(&cli_logger, XM_LOG_ERROR, "cannot resolve \"%s\": %s", addrport,
            gai_strerror(r));
        return -EINVAL;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 4) < 0) {
        r = errno;
        LOGE(&cli_logger, XM_LOG_ERROR, r, "cannot listen on \"%s\"",
             addrport);
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -r;
    }
    freeaddrinfo(res);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_r = ntohs(ss.ss_family == AF_INET6
                        ? ((struct sockaddr_in6 *)&ss)->sin6_port
                        : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int transport_accept(int lfd)
{
    int fd;

    do {
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR && !cli_cancel);
    if (fd < 0) {
        int err = cli_cancel ? ECANCELED : errno;

        LOGE(&cli_logger, XM_LOG_ERROR, err, "cannot accept a connection");
        return -err;
    }
    tune(fd);
    return fd;
}

int transport_spawn(const char *cmdline, int *rfd_r, int *wfd_r, int *pid_r)
{
    int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
    pid_t pid;
    int err;

    if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(from_child, O_CLOEXEC) < 0)
        goto fail;
    pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        dup2(to_child[0], STDIN_FILENO);
        dup2(from_child[1], STDOUT_FILENO);
        execl("/bin/sh", "sh", "-c", cmdline, (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    *rfd_r = from_child[0];
    *wfd_r = to_child[1];
    *pid_r = pid;
    return 0;
fail:
    err = errno;
    LOGE(&cli_logger, XM_LOG_ERROR, err, "cannot run \"%s\"", cmdline);
    if (to_child[0] >= 0) {
        close(to_child[0]);
        close(to_child[1]);
    }
    if (from_child[0] >= 0) {
        close(from_child[0]);
        close(from_child[1]);
    }
    return -err;
}

#define WAIT_GRACE_MS 5000u   /* a failed transport's time to exit */
#define MAX_FAMILY 64         /* processes signalled at most */

/* Add @pid's children, then theirs, to @pids[*n..] (from /proc). */
static void add_descendants(pid_t pid, pid_t *pids, unsigned *n)
{
    unsigned first = *n, last, i;
    char path[64];
    long child;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
             (int)pid);
    f = fopen(path, "r");
    if (!f)
        return;
    while (*n < MAX_FAMILY && fscanf(f, "%ld", &child) == 1)
        pids[(*n)++] = (pid_t)child;
    fclose(f);
    last = *n;   /* its own children; theirs are appended after */
    for (i = first; i < last; i++)
        add_descendants(pids[i], pids, n);
}

/*
 * @sig to @pid and everything under it (a shell's children outlive it),
 * then SIGCONT, so that a stopped one acts on it.
 */
static void signal_family(pid_t pid, int sig)
{
    pid_t pids[MAX_FAMILY];
    unsigned n = 0, i;

    add_descendants(pid, pids, &n);
    kill(pid, sig);
    for (i = 0; i < n; i++)
        kill(pids[i], sig);
    kill(pid, SIGCONT);
    for (i = 0; i < n; i++)
        kill(pids[i], SIGCONT);
}

int transport_wait(int pid, bool failed)
{
    unsigned waited = 0;
    int status = 0, sig = SIGTERM;
    pid_t r;

    if (pid <= 0)
        return 0;
    for (;;) {
        r = waitpid(pid, &status, failed ? WNOHANG : 0);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return 0;
        if (r != 0)
            continue;
        if (waited >= WAIT_GRACE_MS) {
            if (sig == SIGTERM)
                LOG(&cli_logger, XM_LOG_WARN,
                    "the transport command (pid %d) did not exit: "
                    "stopping it", pid);
            signal_family(pid, sig);
            sig = SIGKILL;
            waited = WAIT_GRACE_MS / 2;
        }
        usleep(50000);
        waited += 50;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
