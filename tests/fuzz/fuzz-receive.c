/*
 * fuzz-receive.c - libFuzzer harness for the receiver, xm_receive(), as
 * a restore runs it (rfd a file, wfd -1), against a real simulated host.
 *
 * LLVMFuzzerInitialize() starts sim/xenmig-simd ($XENMIG_SIMD overrides)
 * on a private socket, as tests/simhost.h does, and atexit() stops it by
 * PID; the child also gets SIGTERM if the fuzzer dies first, and may not
 * give a domain more than RECEIVE_RAM_MAX of guest RAM. Per input:
 * CRCs fixed up (fuzz-common.h), the stream in a memfd, xm_receive()
 * with the domain left paused; a domain it built is destroyed; then the
 * host must have no domain at all, or the receiver left one behind on an
 * error path: abort(). A host that stopped answering aborts too.
 *
 * fuzz_receive_setup() / fuzz_receive_teardown() are also called by
 * tests/check-fuzz-regress.c, which replays the saved inputs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "fuzz-common.h"
#include "xenmig.h"

/* Guest RAM a fuzzed domain may take of a shared machine. */
#define RECEIVE_RAM_MAX (256ull << 20)

static pid_t receive_simd = -1;
static char receive_sock[108];
static struct xm_backend *receive_be;

static void receive_quiet_log(struct xm_logger *lg, enum xm_log_level level,
                              int errnoval, int domid, const char *fmt,
                              va_list ap)
{
    if (getenv("XENMIG_FUZZ_VERBOSE")) {
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
}

static struct xm_logger receive_log = { receive_quiet_log, XM_LOG_DEBUG };

static void fuzz_receive_teardown(void)
{
    int status;

    if (receive_be)
        xm_backend_close(receive_be);
    receive_be = NULL;
    if (receive_simd > 0) {
        kill(receive_simd, SIGTERM);
        waitpid(receive_simd, &status, 0);
    }
    receive_simd = -1;
}

/* Start simd and connect; 0, or -1 with a message on stderr. */
static int fuzz_receive_setup(void)
{
    const char *exe = getenv("XENMIG_SIMD");
    struct xm_logger quiet = { NULL, XM_LOG_ERROR };
    struct timespec ten_ms = { 0, 10000000 };
    int i;

    if (!exe)
        exe = "sim/xenmig-simd";
    snprintf(receive_sock, sizeof(receive_sock),
             "/tmp/xenmig-fuzz-receive-%d.sock", (int)getpid());
    receive_simd = fork();
    if (receive_simd < 0)
        return -1;
    if (receive_simd == 0) {
        /*
         * Guest RAM is a memfd, so a file size limit caps what a domain
         * the input asks for may take (EFBIG, with the signal ignored):
         * an early run with no cap ran the machine out of memory.
         */
        struct rlimit fsize = { RECEIVE_RAM_MAX, RECEIVE_RAM_MAX };

        prctl(PR_SET_PDEATHSIG, SIGTERM);
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &fsize);
        if (!getenv("XENMIG_FUZZ_VERBOSE") &&
            !freopen("/dev/null", "w", stderr))
            _exit(126);
        execl(exe, exe, "--socket", receive_sock, (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 500; i++) {
        if (xm_backend_open("sim", receive_sock, &quiet, &receive_be) == 0) {
            /* The receiver's backend logs like the library does. */
            xm_backend_close(receive_be);
            if (xm_backend_open("sim", receive_sock, &receive_log,
                                &receive_be) == 0)
                return 0;
            break;
        }
        if (waitpid(receive_simd, NULL, WNOHANG) == receive_simd) {
            receive_simd = -1;
            break;
        }
        nanosleep(&ten_ms, NULL);
    }
    fprintf(stderr, "fuzz-receive: %s did not come up on %s\n", exe,
            receive_sock);
    fuzz_receive_teardown();
    return -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (fuzz_receive_setup())
        exit(1);
    atexit(fuzz_receive_teardown);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xm_receive_params rp = { .paused = true };
    struct xm_domain_info *infos = NULL;
    struct xm_summary sum;
    uint32_t domid = 0;
    unsigned n = 0, i;
    uint8_t *fixed = fuzz_fixed_copy(data, size);
    int fd = fuzz_memfd(fixed, size), rc;

    free(fixed);
    if (fd < 0)
        abort();
    rc = xm_receive(receive_be, &receive_log, fd, -1, &rp, NULL, &domid,
                    &sum);
    close(fd);
    if (rc == 0 && receive_be->ops->destroy(receive_be, domid) != 0) {
        fprintf(stderr, "fuzz-receive: the received domain %u is not there\n",
                domid);
        abort();
    }
    if (receive_be->ops->list(receive_be, &infos, &n) != 0) {
        fprintf(stderr, "fuzz-receive: the sim host does not answer\n");
        abort();
    }
    for (i = 0; i < n; i++)
        fprintf(stderr, "fuzz-receive: left behind: domain %u \"%s\" (rc %d)\n",
                infos[i].domid, infos[i].name, rc);
    free(infos);
    if (n)
        abort(); /* an error path left its half-built domain */
    return 0;
}
