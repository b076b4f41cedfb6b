/*
 * vcpu.c - the simulated vCPUs: one thread each, running the domain's
 * workload against guest RAM through simd's own mapping (so that the MMU,
 * not the workload, sees every write).
 *
 * Entry points: sim_vcpu_reset(), sim_vcpus_start(), sim_vcpus_stop(),
 * sim_vcpus_wait_parked(), sim_vcpus_cpu_time().
 *
 * A vCPU loop: check for pause/suspend (park at this boundary, telling
 * whoever waits), advance its virtual clock by the time it was allowed to
 * run, bump its heartbeat word in page 0, write the pages its rate owes
 * for that virtual time, then sleep one step (1 ms, idle 5 ms) on the
 * domain's condvar so a pause wakes it at once. With a cap, each 10 ms
 * period it runs cap% and sleeps the rest; the sleep does not advance the
 * virtual clock, so a 50% cap halves the dirty rate.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "sim.h"

#define PERIOD_NS 10000000ull   /* cap period */
#define STEP_NS 1000000ull      /* busy loop step */
#define IDLE_STEP_NS 5000000ull /* idle loop step */
#define MAX_BATCH 1024          /* pages per step; beyond, the rate drops */
#define PAGES_PER_MIB 256

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Pages in the working set (which starts at pfn 1) and in its hot set. */
static void wset_pages(const struct sim_domain *d, uint64_t *n_r,
                       uint64_t *hot_r)
{
    uint64_t n = d->nr_pfns - 1, hot;

    if (d->cfg.wset_mib && (uint64_t)d->cfg.wset_mib * PAGES_PER_MIB < n)
        n = (uint64_t)d->cfg.wset_mib * PAGES_PER_MIB;
    hot = (uint64_t)d->cfg.hot_mib * PAGES_PER_MIB;
    *n_r = n;
    *hot_r = hot < n ? hot : n;
}

void sim_vcpu_reset(struct sim_vcpu *v, const struct xm_sim_config *cfg)
{
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rng = splitmix64(cfg->seed * 64 + v->id) | 1;
    v->regs.pos = 0;
}

/*
 * Rewrite write_bytes of a page (all of it by default; a few bytes at a
 * random place model a guest updating records in place) with content no
 * earlier write had.
 */
static void write_page(struct sim_domain *d, struct sim_vcpu *v, uint64_t pfn)
{
    uint64_t *w = (uint64_t *)(d->ram + pfn * XM_PAGE_SIZE);
    uint64_t x = splitmix64(++v->regs.counter ^ ((uint64_t)v->id << 48));
    unsigned words = d->cfg.write_bytes / 8, first = 0, i;

    if (words < XM_PAGE_SIZE / 8)
        first = (unsigned)(x % (XM_PAGE_SIZE / 8 - words + 1));
    for (i = first; i < first + words; i++)
        w[i] = (x + i * 0xff51afd7ed558ccdull) | 1;
}

static uint64_t pick_pfn(struct sim_domain *d, struct sim_vcpu *v,
                         uint64_t n, uint64_t hot)
{
    uint64_t pfn;

    switch (d->cfg.workload) {
    case XM_SIM_HOTCOLD:
        if (hot && xorshift64(&v->regs.rng) % 100 < d->cfg.hot_pct)
            return 1 + xorshift64(&v->regs.rng) % hot;
        return 1 + xorshift64(&v->regs.rng) % n;
    case XM_SIM_STREAM:
        pfn = 1 + v->regs.pos % n;
        v->regs.pos = (v->regs.pos + 1) % n;
        return pfn;
    default:
        return 1 + xorshift64(&v->regs.rng) % n;
    }
}

/* Write what the rate owes for the virtual time so far. */
static void run_workload(struct sim_domain *d, struct sim_vcpu *v)
{
    uint64_t n, hot, target, owed, bps;

    if (d->cfg.workload == XM_SIM_IDLE || !d->cfg.rate_mib ||
        d->nr_pfns < 2)
        return;
    wset_pages(d, &n, &hot);
    bps = ((uint64_t)d->cfg.rate_mib << 20) / d->cfg.vcpus;
    target = (uint64_t)((unsigned __int128)v->regs.vclock_ns * bps /
                        (1000000000ull * XM_PAGE_SIZE));
    if (target <= v->regs.pages_written)
        return;
    owed = target - v->regs.pages_written;
    if (owed > MAX_BATCH) {
        /* the host cannot keep up: the guest just runs slower */
        v->regs.pages_written = target - MAX_BATCH;
        owed = MAX_BATCH;
    }
    while (owed--) {
        write_page(d, v, pick_pfn(d, v, n, hot));
        v->regs.pages_written++;
    }
}

bool sim_vcpus_must_park(const struct sim_domain *d)
{
    return d->pause_count > 0 || d->suspended;
}

/* Sleep on the domain's condvar until @deadline or a stop (lock held). */
static void wait_until(struct sim_domain *d, uint64_t deadline)
{
    struct timespec ts = {
        .tv_sec = deadline / 1000000000ull,
        .tv_nsec = deadline % 1000000000ull,
    };

    while (!d->stopping && !sim_vcpus_must_park(d) &&
           sim_now_ns() < deadline)
        pthread_cond_timedwait(&d->cond, &d->lock, &ts);
}

static void *vcpu_main(void *arg)
{
    struct sim_vcpu *v = arg;
    struct sim_domain *d = v->dom;
    volatile uint64_t *heartbeat = (volatile uint64_t *)d->ram + v->id;
    uint64_t last, t, period_start, period_run = 0, budget, step;
    unsigned cap;

    pthread_mutex_lock(&d->lock);
    last = period_start = sim_now_ns();
    while (!d->stopping) {
        if (sim_vcpus_must_park(d)) {
            t = sim_now_ns();
            v->regs.vclock_ns += t - last;
            d->parked++;
            pthread_cond_broadcast(&d->cond);
            while (sim_vcpus_must_park(d) && !d->stopping)
                pthread_cond_wait(&d->cond, &d->lock);
            d->parked--;
            last = period_start = sim_now_ns();
            period_run = 0;
            continue;
        }
        cap = d->cap;
        pthread_mutex_unlock(&d->lock);

        t = sim_now_ns();
        v->regs.vclock_ns += t - last;
        period_run += t - last;
        last = t;
        *heartbeat = ++v->regs.heartbeat;
        run_workload(d, v);

        pthread_mutex_lock(&d->lock);
        step = d->cfg.workload == XM_SIM_IDLE ? IDLE_STEP_NS : STEP_NS;
        if (cap) {
            budget = PERIOD_NS * cap / 100;
            t = sim_now_ns();
            if (period_run + (t - last) >= budget) {
                /* used up this period: off the CPU until the next one */
                v->regs.vclock_ns += t - last;
                wait_until(d, period_start + PERIOD_NS);
                last = period_start = sim_now_ns();
                period_run = 0;
                continue;
            }
            if (t >= period_start + PERIOD_NS) {
                period_start = t;
                period_run = 0;
            }
            if (budget - period_run < step)
                step = budget - period_run;
        } else {
            period_run = 0;
        }
        wait_until(d, sim_now_ns() + step);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

int sim_vcpus_start(struct sim_domain *d, struct sim_err *err)
{
    unsigned i;
    int rc;

    if (d->vcpus_started)
        return 0;
    d->vcpus_started = true;
    for (i = 0; i < d->cfg.vcpus; i++) {
        rc = -pthread_create(&d->vcpus[i].thread, NULL, vcpu_main,
                             &d->vcpus[i]);
        if (rc)
            return sim_fail(err, rc, "cannot start vcpu %u: %s", i,
                            strerror(-rc));
        d->vcpus[i].started = true;
    }
    return 0;
}

void sim_vcpus_wait_parked(struct sim_domain *d)
{
    unsigned i, n = 0;

    for (i = 0; i < d->cfg.vcpus; i++)
        n += d->vcpus[i].started;
    while (d->parked < n && !d->stopping)
        pthread_cond_wait(&d->cond, &d->lock);
}

void sim_vcpus_stop(struct sim_domain *d)
{
    unsigned i;

    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_broadcast(&d->cond);
    d->cpu_time_done = sim_vcpus_cpu_time(d);
    pthread_mutex_unlock(&d->lock);
    for (i = 0; i < d->cfg.vcpus; i++) {
        if (d->vcpus[i].started)
            pthread_join(d->vcpus[i].thread, NULL);
        d->vcpus[i].started = false;
    }
}

uint64_t sim_vcpus_cpu_time(struct sim_domain *d)
{
    struct timespec ts;
    clockid_t cid;
    uint64_t sum = d->cpu_time_done;
    unsigned i;

    for (i = 0; i < d->cfg.vcpus; i++) {
        if (!d->vcpus[i].started ||
            pthread_getcpuclockid(d->vcpus[i].thread, &cid) ||
            clock_gettime(cid, &ts))
            continue;
        sum += (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
    }
    return sum;
}
