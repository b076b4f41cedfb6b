/*
 * private.h - what the library's files share and callers don't see.
 *
 * Logging: every library file logs through the caller's xm_logger with
 *   LOG(lg, level, fmt, ...)          a message
 *   LOGE(lg, level, err, fmt, ...)    the same with strerror(err) appended
 *                                     (err is a positive or negative errno)
 *   LOGD(lg, level, domid, fmt, ...)  about one domain
 *   LOGED(lg, level, err, domid, ...) both
 * The level is checked before anything is formatted. Messages are
 * lowercase, no full stop, with the subject in quotes.
 */
#ifndef XM_PRIVATE_H
#define XM_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "xenmig.h"

void xm__log(struct xm_logger *lg, enum xm_log_level level, int errnoval,
             int domid, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define XM__LOG(lg, level, e, d, ...)                                       \
    do {                                                                    \
        struct xm_logger *lg_ = (lg);                                       \
        if (lg_ && (level) >= lg_->min_level)                               \
            xm__log(lg_, (level), (e), (d), __VA_ARGS__);                   \
    } while (0)
#define LOG(lg, level, ...) XM__LOG(lg, level, -1, -1, __VA_ARGS__)
#define LOGE(lg, level, err, ...)                                           \
    XM__LOG(lg, level, (err) < 0 ? -(err) : (err), -1, __VA_ARGS__)
#define LOGD(lg, level, domid, ...)                                         \
    XM__LOG(lg, level, -1, (int)(domid), __VA_ARGS__)
#define LOGED(lg, level, err, domid, ...)                                   \
    XM__LOG(lg, level, (err) < 0 ? -(err) : (err), (int)(domid), __VA_ARGS__)

/*
 * Test fault points (fault.c; off unless $XENMIG_FAULT is set, which
 * lists comma-separated points, each firing once per process).
 * xm__fault(): true once if the formatted point is listed.
 * xm__fault_phase(): at the named phase, exit:PHASE exits (a kill),
 * stall:PHASE:S sleeps; the result has XM_FAULT_DROP for drop:PHASE (the
 * caller cuts its connection) and XM_FAULT_CORRUPT for corrupt:PHASE (the
 * caller corrupts its next record). Costs a getenv() when unset.
 * xm__fault_cut(): what XM_FAULT_DROP does to a connection (see fault.c).
 * xm__fault_backend(): wrap @be's ops so backend:OP:ERRNO makes OP fail.
 */
enum xm_fault_actions {
    XM_FAULT_DROP = 1 << 0,    /* cut the connection */
    XM_FAULT_CORRUPT = 1 << 1, /* corrupt the next record */
};
bool xm__fault(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned xm__fault_phase(struct xm_logger *lg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void xm__fault_cut(int rfd, int wfd);
void xm__fault_backend(struct xm_backend *be);

/* Monotonic nanoseconds. */
static inline uint64_t xm__now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Nanoseconds of CPU time the calling thread has used: what a piece of
 * work cost, without the time other processes held the core.
 */
static inline uint64_t xm__thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define XM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* XM_PRIVATE_H */
