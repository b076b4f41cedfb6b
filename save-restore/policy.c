/*
 * policy.c - when pre-copy stops and how hard the guest is throttled.
 *
 * Entry points: xm_policy_init(), xm_policy_next() (the rules are in
 * policy.h), and xm_migrate_params_init() (the defaults in xenmig.h).
 */
#include <string.h>

#include "policy.h"

#define XM_PAGE_SIZE 4096u
#define NS_PER_S     1000000000u
#define PS_PER_NS    1000u
#define PS_PER_S     1000000000000ull

void xm_migrate_params_init(struct xm_migrate_params *p)
{
    memset(p, 0, sizeof(*p));
    p->downtime_limit_ns = 300ull * 1000000u;
    p->max_iterations = 30;
    p->max_time_ns = 0;
    p->max_bandwidth = 0;
    p->throttle = true;
    p->throttle_initial = 20;
    p->throttle_increment = 10;
    p->throttle_max = 99;
    p->throttle_trigger = 50;
    p->verify = false;
    p->live = true;
    p->keep_source = false;
    p->timeout_s = 60;
    xm_compress_parse("auto", &p->compress);
}

void xm_policy_init(struct xm_policy *pol, const struct xm_migrate_params *p)
{
    memset(pol, 0, sizeof(*pol));
    pol->p = *p;
    pol->bytes_per_page = XM_PAGE_SIZE;
}

static uint64_t sat64(unsigned __int128 v)
{
    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* @bytes per @ns, in bytes/s; @ns must not be 0. */
static uint64_t rate(uint64_t bytes, uint64_t ns)
{
    return sat64((unsigned __int128)bytes * NS_PER_S / ns);
}

static void update_bandwidth(struct xm_policy *pol,
                             const struct xm_policy_sample *s)
{
    uint64_t bw, old = pol->bandwidth;

    if (s->bytes_sent < XM_POLICY_MIN_SAMPLE || s->duration_ns == 0)
        return;
    bw = rate(s->bytes_sent, s->duration_ns);
    if (pol->p.max_bandwidth && bw > pol->p.max_bandwidth)
        bw = pol->p.max_bandwidth;
    if (old)
        bw = old / 2 + bw / 2 + (old & bw & 1);
    pol->bandwidth = bw;
}

/*
 * Time per page over the whole pipeline (policy.h, rule 1). The ns
 * figures are scaled to picoseconds: a page costs well under a
 * microsecond on a fast host.
 */
static void update_page_time(struct xm_policy *pol,
                             const struct xm_policy_sample *s)
{
    uint64_t ps, old = pol->page_ps;

    if (s->pages_sent < XM_POLICY_MIN_PAGES || s->duration_ns == 0)
        return;
    ps = sat64((unsigned __int128)s->duration_ns * PS_PER_NS / s->pages_sent);
    if (pol->p.max_bandwidth) {
        /* the cap's time for these bytes, per page, rounded up */
        unsigned __int128 d = (unsigned __int128)pol->p.max_bandwidth *
                              s->pages_sent;
        uint64_t cap_ps = sat64(((unsigned __int128)s->bytes_sent *
                                 PS_PER_S + d - 1) / d);

        if (ps < cap_ps)
            ps = cap_ps;
    }
    if (ps == 0)
        ps = 1;
    if (old)
        ps = old / 2 + ps / 2 + (old & ps & 1);
    pol->page_ps = ps;
}

static uint64_t expected_downtime(const struct xm_policy *pol,
                                  uint64_t dirty_pages)
{
    unsigned __int128 ps;
    uint64_t page_ps = pol->page_ps;

    if (dirty_pages == 0)
        return 0;
    if (page_ps == 0)
        return UINT64_MAX;
    if (pol->p.max_bandwidth) {
        /* a page sent again, at the cap (policy.h, rule 2) */
        uint64_t bpp = pol->redirty_bpp ? pol->redirty_bpp : XM_PAGE_SIZE;
        uint64_t cap_ps = sat64(((unsigned __int128)bpp * PS_PER_S +
                                 pol->p.max_bandwidth - 1) /
                                pol->p.max_bandwidth);

        if (page_ps < cap_ps)
            page_ps = cap_ps;
    }
    ps = (unsigned __int128)dirty_pages * page_ps + PS_PER_NS - 1;
    return sat64(ps / PS_PER_NS);
}

/*
 * Rule 3's "settling": the downtime is in the limit, but one more pass
 * should at least halve it and rule 4 would not stop that pass.
 */
static bool settling(const struct xm_policy *pol,
                     const struct xm_policy_sample *s, uint64_t expected_ns)
{
    if ((uint64_t)s->iteration + 2 > pol->p.max_iterations)
        return false;
    if (pol->p.max_time_ns && s->elapsed_ns >= pol->p.max_time_ns)
        return false;
    return expected_ns > pol->p.downtime_limit_ns / XM_POLICY_SETTLE_DIV &&
           expected_ns <= s->duration_ns / 2;
}

static void update_throttle(struct xm_policy *pol,
                            const struct xm_policy_sample *s,
                            uint64_t dirty_bytes)
{
    unsigned __int128 limit;
    unsigned pct;

    if (!pol->p.throttle)
        return;
    limit = (unsigned __int128)s->bytes_sent * pol->p.throttle_trigger;
    if ((unsigned __int128)dirty_bytes * 100 <= limit) {
        pol->high_count = 0;
        return;
    }
    if (++pol->high_count < 2)
        return;
    if (pol->throttle_pct == 0)
        pct = pol->p.throttle_initial;
    else
        pct = pol->throttle_pct + pol->p.throttle_increment;
    if (pct > pol->p.throttle_max || pct < pol->throttle_pct)
        pct = pol->p.throttle_max;   /* the cap, or a wrapped sum */
    pol->throttle_pct = pct;
}

/* Rule 4's "not converging": the throttle is spent and nothing shrinks. */
static bool stuck(struct xm_policy *pol, const struct xm_policy_sample *s)
{
    bool worse = pol->have_prev && s->dirty_pages >= pol->prev_dirty;

    pol->prev_dirty = s->dirty_pages;
    pol->have_prev = true;
    if (!pol->p.throttle || pol->throttle_pct < pol->p.throttle_max ||
        !worse) {
        pol->stuck_count = 0;
        return false;
    }
    return ++pol->stuck_count >= 2;
}

void xm_policy_next(struct xm_policy *pol, const struct xm_policy_sample *s,
                    struct xm_policy_decision *d)
{
    uint64_t dirty_bytes;

    update_bandwidth(pol, s);
    update_page_time(pol, s);
    if (s->pages_sent) {
        pol->bytes_per_page = s->bytes_sent / s->pages_sent +
                              (s->bytes_sent % s->pages_sent != 0);
        if (pol->bytes_per_page == 0)
            pol->bytes_per_page = 1;
        if (s->iteration > 0)
            pol->redirty_bpp = pol->bytes_per_page;
    }
    dirty_bytes = sat64((unsigned __int128)s->dirty_pages *
                        pol->bytes_per_page);

    memset(d, 0, sizeof(*d));
    d->action = XM_POLICY_CONTINUE;
    d->bandwidth = pol->bandwidth;
    d->page_rate = pol->page_ps ? PS_PER_S / pol->page_ps : 0;
    d->dirty_rate = s->duration_ns ? rate(dirty_bytes, s->duration_ns) : 0;
    d->expected_downtime_ns = expected_downtime(pol, s->dirty_pages);

    if (d->expected_downtime_ns <= pol->p.downtime_limit_ns) {
        d->settling = settling(pol, s, d->expected_downtime_ns);
        if (!d->settling) {
            d->action = XM_POLICY_STOP;
            d->reason = "converged";
        }
    } else if ((uint64_t)s->iteration + 1 >= pol->p.max_iterations) {
        d->action = XM_POLICY_STOP;
        d->reason = "max iterations";
    } else if (pol->p.max_time_ns && s->elapsed_ns >= pol->p.max_time_ns) {
        d->action = XM_POLICY_STOP;
        d->reason = "max time";
    } else if (stuck(pol, s)) {
        d->action = XM_POLICY_STOP;
        d->reason = "not converging";
    } else {
        update_throttle(pol, s, dirty_bytes);
    }
    d->throttle_pct = pol->throttle_pct;
}
