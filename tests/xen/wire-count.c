/*
 * wire-count.c - count the bytes a migration puts on the wire, as a
 * transport command (the "ssh" of `xl migrate -s` and `xenmig migrate
 * -s`), so stock xl and xenmig are measured the same way. Run in a dom0
 * by bench/xen/bench-dom0.sh.
 *
 *   wire-count FILE CMD [ARG...]
 *
 * Runs CMD with its stdin a pipe that gets everything wire-count reads
 * on its own stdin (the sender's stream), counting it; CMD's stdout is
 * wire-count's (the receiver's replies go straight back). At the end of
 * the stream it waits for CMD and writes the count, in decimal, to FILE
 * (through FILE.tmp and a rename, so a reader never sees half of it).
 * Exit status: CMD's, or 1 if wire-count itself failed.
 *
 * `xl migrate -s 'wire-count F env' DOM X=1` runs
 * `wire-count F env X=1 xl migrate-receive`: the "host" is an
 * assignment for env, as tests/xen's scripts do without ssh.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char buf[1 << 16];
    uint64_t total = 0;
    int pfd[2], status, rc = 0;
    char tmp[4096];
    FILE *f;
    pid_t pid;

    if (argc < 3) {
        fprintf(stderr, "usage: wire-count FILE CMD [ARG...]\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (pipe(pfd) < 0) {
        perror("wire-count: pipe");
        return 1;
    }
    pid = fork();
    if (pid < 0) {
        perror("wire-count: fork");
        return 1;
    }
    if (pid == 0) {
        dup2(pfd[0], STDIN_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[2], argv + 2);
        fprintf(stderr, "wire-count: cannot run %s: %s\n", argv[2],
                strerror(errno));
        _exit(127);
    }
    close(pfd[0]);
    for (;;) {
        ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0) {
                perror("wire-count: read");
                rc = 1;
            }
            break;
        }
        total += (uint64_t)r;
        /* the receiver gone: keep counting what the sender sends */
        if (pfd[1] >= 0 && write_all(pfd[1], buf, (size_t)r) < 0) {
            close(pfd[1]);
            pfd[1] = -1;
        }
    }
    if (pfd[1] >= 0)
        close(pfd[1]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
    f = fopen(tmp, "w");
    if (!f || fprintf(f, "%" PRIu64 "\n", total) < 0 || fclose(f) != 0 ||
        rename(tmp, argv[1]) < 0) {
        perror("wire-count: writing the count");
        return 1;
    }
    if (rc)
        return rc;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
