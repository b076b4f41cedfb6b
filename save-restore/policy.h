/*
 * policy.h - when to stop pre-copy and how hard to throttle the guest.
 *
 * Pure decisions, no I/O: precopy.c reports each finished iteration and
 * the policy answers continue or stop, and what throttle to apply next.
 * This is what makes the engine behave like QEMU's (bandwidth x downtime
 * limit, auto-converge) rather than xl's fixed "5 rounds or 50 pages".
 *
 * The rules, in the order they are checked after iteration i:
 *  1. Bandwidth: the estimate is updated from iterations that moved at
 *     least XM_POLICY_MIN_SAMPLE bytes (smaller ones measure the socket
 *     buffer, not the link) in a nonzero time (an iteration that took 0 ns
 *     measures nothing); each sample is first capped at max_bandwidth
 *     (when set: a rate-limited sender cannot do better, a faster sample
 *     is a burst into the socket buffer); the first estimate is taken as
 *     is, later ones are averaged 50/50 with the previous. The estimate
 *     stays 0 ("unknown") until a sample qualifies.
 *  2. Bytes per page: wire bytes / pages, rounded up, at least 1, from
 *     the last iteration that sent pages (one that sent none keeps the
 *     previous value); the page size before any.
 *     Expected downtime = dirty pages x bytes per page / bandwidth,
 *     rounded up, saturating at UINT64_MAX. It is 0 when no page is left
 *     and UINT64_MAX while the bandwidth is unknown, so the policy never
 *     claims convergence before it has measured the link.
 *  3. Stop ("converged") if expected downtime <= downtime limit.
 *  4. Stop ("max iterations") if i + 1 >= max_iterations (so 0 and 1
 *     both mean: the full pass only), or ("max time") if max_time is set
 *     and elapsed >= max_time. Both reached: "max iterations".
 *  5. Throttle (only when continuing; a stop leaves it as it is): the
 *     bytes dirtied during the iteration are its dirty pages x bytes per
 *     page, the wire cost of sending them next, so they compare like for
 *     like with the bytes it sent (guest bytes would make a guest whose
 *     pages compress well look hopeless). If they exceed
 *     throttle_trigger % of the bytes it sent (an iteration that sent
 *     nothing but left dirty pages is over), count it; on the second
 *     such iteration in a row (and each one after), raise the throttle:
 *     to throttle_initial the first time, then by throttle_increment, at
 *     most throttle_max. An iteration under the trigger resets the count
 *     but never lowers the throttle (the guest is what it is). With
 *     throttle off, throttle_pct stays 0 and nothing is counted.
 *
 * Reported rates: dirty_rate is the iteration's dirtied bytes (as in 5)
 * per second, comparable to the bandwidth; 0 when the iteration took no
 * measurable time. Nothing here fails: any sample gives a decision.
 */
#ifndef XM_POLICY_H
#define XM_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "xenmig.h"

#define XM_POLICY_MIN_SAMPLE (4u << 20)

enum xm_policy_action {
    XM_POLICY_CONTINUE, /* iterate again */
    XM_POLICY_STOP,     /* pause the guest and send the rest */
};

/* What precopy.c observed in one iteration. */
struct xm_policy_sample {
    unsigned iteration;     /* 0 is the full pass */
    uint64_t pages_sent;    /* pages sent in it */
    uint64_t bytes_sent;    /* wire bytes sent in it */
    uint64_t duration_ns;   /* its wall time */
    uint64_t dirty_pages;   /* pages dirtied during it (to send next) */
    uint64_t elapsed_ns;    /* since the migration started */
};

struct xm_policy_decision {
    enum xm_policy_action action; /* continue or stop */
    unsigned throttle_pct;        /* throttle to apply from now, % */
    uint64_t expected_downtime_ns;/* remaining / bandwidth */
    uint64_t bandwidth;           /* current estimate, bytes/s */
    uint64_t dirty_rate;          /* this iteration's, bytes/s */
    const char *reason;           /* why stop ("converged", "max
                                     iterations", "max time"), static;
                                     NULL when continuing */
};

struct xm_policy {
    struct xm_migrate_params p;   /* copy of the limits */
    uint64_t bandwidth;           /* estimate, bytes/s, 0 until measured */
    uint64_t bytes_per_page;      /* wire bytes per page, last measured */
    unsigned throttle_pct;        /* in force now */
    unsigned high_count;          /* consecutive iterations over trigger */
};

void xm_policy_init(struct xm_policy *pol, const struct xm_migrate_params *p);
/* Feed one finished iteration; fills @d. */
void xm_policy_next(struct xm_policy *pol, const struct xm_policy_sample *s,
                    struct xm_policy_decision *d);

#endif /* XM_POLICY_H */
