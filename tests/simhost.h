/*
 * simhost.h - for Check suites that need a real simulated host: start
 * sim/xenmig-simd on a private socket (fork/exec), stop it by PID, and a
 * logger that keeps the last message so error tests can read it.
 * Included by one test file each; everything here is static.
 *
 * $XENMIG_SIMD overrides the daemon's path (default sim/xenmig-simd);
 * $XENMIG_TEST_VERBOSE=1 shows the library's and simd's messages.
 */
#ifndef XM_TESTS_SIMHOST_H
#define XM_TESTS_SIMHOST_H

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

/* A logger that keeps the last message for the error tests to inspect. */
struct test_logger {
    struct xm_logger lg;          /* what the library sees */
    char last[512];               /* last message, with strerror */
    char all[8192];               /* every message, one per line */
};

static void test_log(struct xm_logger *lg, enum xm_log_level level,
                     int errnoval, int domid, const char *fmt, va_list ap)
{
    struct test_logger *t = (struct test_logger *)lg;
    int n = vsnprintf(t->last, sizeof(t->last), fmt, ap);

    if (errnoval >= 0 && n >= 0 && (size_t)n < sizeof(t->last))
        snprintf(t->last + n, sizeof(t->last) - n, ": %s",
                 strerror(errnoval));
    if (strlen(t->all) + strlen(t->last) + 2 < sizeof(t->all)) {
        strcat(t->all, t->last);
        strcat(t->all, "\n");
    }
    if (getenv("XENMIG_TEST_VERBOSE"))
        fprintf(stderr, "lib: %s\n", t->last);
}

static void msleep(unsigned ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000l };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/*
 * Start simd on @path with XENMIG_SIM_DIRTY=@mode (NULL: its choice),
 * the options in @opts (NULL-terminated, up to 6; may be NULL), its
 * messages to @log if not NULL.
 */
static pid_t start_simd_opts(const char *path, const char *mode,
                             const char *const *opts, const char *log)
{
    const char *exe = getenv("XENMIG_SIMD");
    struct xm_backend *be = NULL;
    struct xm_logger quiet = { NULL, XM_LOG_ERROR };
    const char *argv[10] = { NULL, "--socket", NULL };
    pid_t pid;
    int i;

    if (!exe)
        exe = "sim/xenmig-simd";
    argv[0] = exe;
    argv[2] = path;
    for (i = 0; opts && opts[i]; i++) {
        ck_assert_int_lt(i, 6);
        argv[3 + i] = opts[i];
    }
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (mode)
            setenv("XENMIG_SIM_DIRTY", mode, 1);
        if (log && !freopen(log, "w", stderr))
            _exit(126);
        if (!log && !getenv("XENMIG_TEST_VERBOSE") &&
            !freopen("/dev/null", "w", stderr))
            _exit(126);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    for (i = 0; i < 500; i++) {
        if (xm_backend_open("sim", path, &quiet, &be) == 0) {
            xm_backend_close(be);
            return pid;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            ck_abort_msg("%s exited at start (mode %s)", exe,
                         mode ? mode : "default");
        msleep(10);
    }
    kill(pid, SIGKILL);
    ck_abort_msg("%s did not come up on %s", exe, path);
    return -1;
}

static pid_t start_simd_at(const char *path, const char *mode)
{
    return start_simd_opts(path, mode, 0, NULL);
}

/* Stop it by PID and check it shut down cleanly. */
static void stop_simd(pid_t pid, const char *path)
{
    int status;

    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "simd did not exit cleanly (status 0x%x)", status);
    ck_assert_msg(access(path, F_OK) < 0, "simd left its socket behind");
}

#endif /* XM_TESTS_SIMHOST_H */
