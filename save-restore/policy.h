/*
 * policy.h - when to stop pre-copy and how hard to throttle the guest.
 *
 * Pure decisions, no I/O: precopy.c reports each finished iteration and
 * the policy answers continue or stop, and what throttle to apply next.
 * This is what makes the engine behave like QEMU's (bandwidth x downtime
 * limit, auto-converge) rather than xl's fixed "5 rounds or 50 pages".
 *
 * The rules, in the order they are checked after iteration i:
 *  1. Cost per page: what the final pass will pay per page is what every
 *     iteration pays per page over the whole pipeline (page types, map,
 *     page-table normalisation, encode, send, and the CLEAN that ends
 *     it): its wall time / pages sent. On Xen this, not the wire, is the
 *     cost: a page compressed to a few bytes still costs its map and
 *     copy, so bytes / bandwidth predicted 272 ms where the pass took
 *     seconds. Updated from iterations that sent at least
 *     XM_POLICY_MIN_PAGES pages (fewer measure the fixed cost of an
 *     iteration and the socket buffer, not the pipeline) in a nonzero
 *     time; each sample is first raised to what max_bandwidth allows
 *     for the iteration's bytes (when set: a capped link cannot send
 *     faster, a faster sample is a burst into the socket buffer); the
 *     first is taken as is, later ones are averaged 50/50 with the
 *     previous (averaging times, not rates, so one fast iteration does
 *     not make the estimate optimistic). It stays 0 ("unknown") until
 *     a sample qualifies.
 *  2. Expected downtime = dirty pages x time per page, rounded up to a
 *     nanosecond, saturating at UINT64_MAX. It is 0 when no page is left
 *     and UINT64_MAX while the cost is unknown, so the policy never
 *     claims convergence before it has measured a pass.
 *     With max_bandwidth set, a page costs at least what the cap allows
 *     for a page sent again: the wire bytes per page of the last
 *     iteration after the full pass that sent pages (redirty_bpp), or a
 *     whole page while there is none. The full pass's own bytes per page
 *     say nothing about them: its zero and compressible pages are the
 *     ones a guest leaves alone. On a 100 MiB/s link a text guest's full
 *     pass compressed 3.4x, the pages its writer rewrote did not
 *     compress at all, and a final pass predicted at 209 ms took 645 ms.
 *     Without a cap the wire rate measured is a floor of the link (the
 *     compressor may have been the slower part), so it is not used.
 *     Reported alongside, not used for the stop: the bandwidth (wire
 *     bytes / wall time of iterations that moved at least
 *     XM_POLICY_MIN_SAMPLE bytes, capped and averaged as above) and
 *     bytes per page (wire bytes / pages, rounded up, at least 1, from
 *     the last iteration that sent pages; the page size before any).
 *  3. Stop ("converged") if expected downtime <= downtime limit, unless
 *     another pass still pays ("settling"): continue while the expected
 *     downtime is over downtime limit / XM_POLICY_SETTLE_DIV and at most
 *     half of this iteration's wall time, so that the next pass, which
 *     sends these dirty pages, should leave at most half as many (the
 *     guest dirtied this many in twice the time), and rule 4's limits
 *     would not stop it anyway. Each such pass at least halves the
 *     downtime for at most the time the final pass would have taken;
 *     a working set rewritten faster than it is sent (a hot set) fails
 *     the halving test at once. A settling pass leaves the throttle and
 *     its count alone. QEMU stops at the first pass under its limit; a
 *     guest writing 50 MiB/s over 512 MiB then paused for 52 ms where
 *     one pass more (50 ms) would have left 3.
 *  4. Stop ("max iterations") if i + 1 >= max_iterations (so 0 and 1
 *     both mean: the full pass only), or ("max time") if max_time is set
 *     and elapsed >= max_time. Both reached: "max iterations".
 *     Or ("not converging") if the throttle was already at throttle_max
 *     during this iteration and the previous one, and both left at least
 *     as many dirty pages as the iteration before each: throttling can
 *     do no more and further passes only add time (on Xen under TCG a
 *     pass of a 48 MiB working set took seconds, and 30 of them would
 *     end with the same final pass). Checked after the two above.
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
#define XM_POLICY_MIN_PAGES  1024u   /* one full PAGES record */
#define XM_POLICY_SETTLE_DIV 16u     /* rule 3: downtime worth a pass */

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
    uint64_t expected_downtime_ns;/* dirty pages x time per page */
    uint64_t page_rate;           /* current estimate, pages/s (0:
                                     unknown) */
    uint64_t bandwidth;           /* current estimate, bytes/s */
    uint64_t dirty_rate;          /* this iteration's, bytes/s */
    const char *reason;           /* why stop ("converged", "max
                                     iterations", "max time", "not
                                     converging"), static;
                                     NULL when continuing */
    bool settling;                /* continuing under rule 3 although
                                     the expected downtime is in the
                                     limit */
};

struct xm_policy {
    struct xm_migrate_params p;   /* copy of the limits */
    uint64_t page_ps;             /* time per page, picoseconds, 0 until
                                     measured */
    uint64_t bandwidth;           /* estimate, bytes/s, 0 until measured */
    uint64_t bytes_per_page;      /* wire bytes per page, last measured */
    uint64_t redirty_bpp;         /* the same, last iteration after the
                                     full pass that sent pages; 0 before */
    unsigned throttle_pct;        /* in force now */
    unsigned high_count;          /* consecutive iterations over trigger */
    unsigned stuck_count;         /* consecutive ones at throttle_max
                                     whose dirty pages did not fall */
    uint64_t prev_dirty;          /* the previous iteration's dirty pages */
    bool have_prev;               /* prev_dirty is set */
};

void xm_policy_init(struct xm_policy *pol, const struct xm_migrate_params *p);
/* Feed one finished iteration; fills @d. */
void xm_policy_next(struct xm_policy *pol, const struct xm_policy_sample *s,
                    struct xm_policy_decision *d);

#endif /* XM_POLICY_H */
