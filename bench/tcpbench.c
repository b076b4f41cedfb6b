/*
 * tcpbench.c - loopback TCP throughput of one stream, the network
 * ceiling of a migration between two processes on this machine.
 *
 * usage: tcpbench [-t SECONDS] [-s WRITE_SIZE] [-S]
 * A receiver thread listens on 127.0.0.1 (ephemeral port) and reads
 * until EOF; the main thread connects and write()s WRITE_SIZE bytes
 * (default 128 KiB) for SECONDS (default 2), or with -S sendfile()s them
 * from a memfd (zero copy on the sending side). Prints
 *   tcp_loopback_bytes_per_s N B/s
 * measured by the receiver from its first byte to EOF. Talks only to
 * 127.0.0.1; every blocking call has a timeout, so it always ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "private.h"

#define TIMEOUT_S   5               /* any single blocking call */
#define READ_SIZE   (256u << 10)
#define MEMFD_SIZE  (16u << 20)

struct receiver {
    int lfd;                        /* listening socket */
    uint64_t bytes;                 /* received */
    uint64_t ns;                    /* first byte to EOF */
    int err;                        /* 0 or an errno */
};

static void set_timeouts(int fd)
{
    struct timeval tv = { .tv_sec = TIMEOUT_S };

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void *receive(void *opaque)
{
    struct receiver *rx = opaque;
    struct pollfd pfd = { .fd = rx->lfd, .events = POLLIN };
    uint64_t t0 = 0;
    char *buf;
    int fd;

    if (poll(&pfd, 1, TIMEOUT_S * 1000) != 1) {
        rx->err = ETIMEDOUT;
        return NULL;
    }
    fd = accept(rx->lfd, NULL, NULL);
    if (fd < 0) {
        rx->err = errno;
        return NULL;
    }
    set_timeouts(fd);
    buf = malloc(READ_SIZE);
    for (;;) {
        ssize_t r = buf ? read(fd, buf, READ_SIZE) : -1;

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rx->err = buf ? errno : ENOMEM;
            break;
        }
        if (r == 0)
            break;
        if (!t0)
            t0 = xm__now_ns();
        rx->bytes += (uint64_t)r;
    }
    rx->ns = t0 ? xm__now_ns() - t0 : 0;
    free(buf);
    close(fd);
    return NULL;
}

/* Write @size-byte chunks to @fd until @end_ns; 0 or an errno. */
static int send_writes(int fd, size_t size, uint64_t end_ns)
{
    char *buf = malloc(size);
    int err = 0;

    if (!buf)
        return ENOMEM;
    memset(buf, 0x5a, size);
    while (!err && xm__now_ns() < end_ns) {
        size_t off = 0;

        while (off < size) {
            ssize_t r = write(fd, buf + off, size - off);

            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                err = errno;
                break;
            }
            off += (size_t)r;
        }
    }
    free(buf);
    return err;
}

/* sendfile() @size-byte chunks of a memfd to @fd until @end_ns. */
static int send_sendfile(int fd, size_t size, uint64_t end_ns)
{
    size_t fsize = size > MEMFD_SIZE ? size : MEMFD_SIZE;
    int mfd = memfd_create("tcpbench", 0), err = 0;
    off_t off = 0;
    char *p;

    if (mfd < 0)
        return errno;
    if (ftruncate(mfd, (off_t)fsize) < 0) {
        err = errno;
        goto out;
    }
    p = mmap(NULL, fsize, PROT_WRITE, MAP_SHARED, mfd, 0);
    if (p == MAP_FAILED) {
        err = errno;
        goto out;
    }
    memset(p, 0x5a, fsize);         /* real page-cache pages, not holes */
    munmap(p, fsize);

    while (!err && xm__now_ns() < end_ns) {
        size_t left = size;

        while (left) {
            ssize_t r;

            if ((size_t)off + left > fsize)
                off = 0;
            r = sendfile(fd, mfd, &off, left);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                err = r < 0 ? errno : EIO;
                break;
            }
            left -= (size_t)r;
        }
    }
out:
    close(mfd);
    return err;
}

static void usage(void)
{
    fprintf(stderr, "usage: tcpbench [-t SECONDS] [-s WRITE_SIZE] [-S]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t salen = sizeof(sa);
    struct receiver rx = { .lfd = -1 };
    double seconds = 2;
    size_t size = 128u << 10;
    bool use_sendfile = false;
    pthread_t tid;
    int opt, fd = -1, err;
    char *end;

    while ((opt = getopt(argc, argv, "t:s:S")) != -1) {
        switch (opt) {
        case 't':
            seconds = strtod(optarg, &end);
            if (*end || !(seconds > 0 && seconds <= 600))
                usage();
            break;
        case 's':
            size = strtoul(optarg, &end, 0);
            if (*end || size < 1 || size > (64u << 20))
                usage();
            break;
        case 'S':
            use_sendfile = true;
            break;
        default:
            usage();
        }
    }

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rx.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rx.lfd < 0 || bind(rx.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(rx.lfd, 1) < 0 ||
        getsockname(rx.lfd, (struct sockaddr *)&sa, &salen) < 0) {
        perror("tcpbench: listen on 127.0.0.1");
        return 1;
    }
    err = pthread_create(&tid, NULL, receive, &rx);
    if (err) {
        fprintf(stderr, "tcpbench: pthread_create: %s\n", strerror(err));
        return 1;
    }

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        err = errno;
    } else {
        uint64_t end_ns = xm__now_ns() + (uint64_t)(seconds * 1e9);

        set_timeouts(fd);
        err = use_sendfile ? send_sendfile(fd, size, end_ns)
                           : send_writes(fd, size, end_ns);
    }
    if (fd >= 0)
        close(fd);                  /* EOF for the receiver */
    pthread_join(tid, NULL);
    close(rx.lfd);

    if (err || rx.err || !rx.ns) {
        fprintf(stderr, "tcpbench: %s on 127.0.0.1:%u: %s\n",
                err ? "sending" : "receiving", ntohs(sa.sin_port),
                strerror(err ? err : rx.err ? rx.err : EIO));
        return 1;
    }
    printf("tcp_loopback_bytes_per_s %llu B/s\n",
           (unsigned long long)((double)rx.bytes * 1e9 / (double)rx.ns));
    return 0;
}
