/*
 * domain.c - the simulated host's domains: the table (ids from 1, unique
 * names), guest RAM as a memfd, and the control ops on a domain (pause,
 * suspend, cap, rename, state blobs, destroy).
 *
 * Entry points: sim_domain_create(), sim_domain_get()/_put(),
 * sim_domain_destroy(), sim_domain_list(), and the sim_domain_<op>()
 * functions, each called with dom->op_lock held by simd.c.
 *
 * Lifetime: the table holds one reference, each op in flight another.
 * destroy() marks the domain dead, takes it out of the table and tears it
 * down (threads, tracking, RAM) at once; the last reference frees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim.h"

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sim_domain **table;  /* live domains */
static unsigned table_n;           /* entries used */
static unsigned table_size;        /* entries allocated */
static uint32_t next_domid = 1;    /* ids are never reused */

#define PAGE XM_PAGE_SIZE

int sim_config_check(const void *blob, size_t len, uint64_t nr_pfns,
                     struct xm_sim_config *cfg_r, struct sim_err *err)
{
    struct xm_sim_config cfg;

    if (len != sizeof(cfg))
        return sim_fail(err, -EINVAL,
                        "sim config blob is %zu bytes, expected %zu", len,
                        sizeof(cfg));
    memcpy(&cfg, blob, sizeof(cfg));
    if (cfg.magic != XM_SIM_CONFIG_MAGIC)
        return sim_fail(err, -EINVAL, "sim config blob has bad magic 0x%x",
                        cfg.magic);
    if (cfg.version != XM_SIM_CONFIG_VERSION || cfg.size != sizeof(cfg))
        return sim_fail(err, -EINVAL,
                        "sim config blob is version %u size %u, this host "
                        "knows version %u size %zu",
                        cfg.version, cfg.size, XM_SIM_CONFIG_VERSION,
                        sizeof(cfg));
    if (cfg.vcpus < 1 || cfg.vcpus > XM_SIM_MAX_VCPUS)
        return sim_fail(err, -EINVAL, "bad vcpu count %u (1 to %u)",
                        cfg.vcpus, XM_SIM_MAX_VCPUS);
    if (cfg.workload > XM_SIM_STREAM)
        return sim_fail(err, -EINVAL, "unknown workload kind %u",
                        cfg.workload);
    if (cfg.hot_pct > 100)
        return sim_fail(err, -EINVAL, "hot share %u%% is over 100%%",
                        cfg.hot_pct);
    if (cfg.write_bytes < 8 || cfg.write_bytes > XM_PAGE_SIZE ||
        cfg.write_bytes % 8 || cfg.reserved)
        return sim_fail(err, -EINVAL,
                        "write size %u is not a multiple of 8 from 8 to 4096",
                        cfg.write_bytes);
    if (cfg.wset_mib && cfg.hot_mib > cfg.wset_mib)
        return sim_fail(err, -EINVAL,
                        "hot set %u MiB is larger than the working set %u MiB",
                        cfg.hot_mib, cfg.wset_mib);
    *cfg_r = cfg;
    return 0;
}

/* Guest's platform clock: it runs while the vCPUs may (dom->lock held). */
static void clock_update(struct sim_domain *d)
{
    bool running = d->vcpus_started && !sim_vcpus_must_park(d) &&
                   !d->stopping;
    uint64_t now = sim_now_ns();

    if (d->run_since && !running) {
        d->clock_ns += now - d->run_since;
        d->run_since = 0;
    } else if (!d->run_since && running) {
        d->run_since = now;
    }
}

static uint64_t clock_read(const struct sim_domain *d)
{
    return d->clock_ns + (d->run_since ? sim_now_ns() - d->run_since : 0);
}

static void fill_random(uint8_t *ram, uint64_t nr_pfns, uint64_t seed)
{
    uint64_t *w = (uint64_t *)ram, n = nr_pfns * (PAGE / 8), i;
    uint64_t x = seed | 1;

    for (i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        w[i] = x;
    }
    for (i = 0; i < nr_pfns; i++)
        w[i * (PAGE / 8)] |= 1; /* no page is all zero */
}

static void fill_text(uint8_t *ram, uint64_t nr_pfns, uint64_t seed)
{
    static const char *const words[] = {
        "the", "domain", "page", "memory", "of", "and", "migration",
        "guest", "to", "a", "xen", "dirty", "log", "is", "in", "kernel",
        "buffer", "for", "with", "host", "vcpu", "state", "stream", "it",
    };
    uint64_t x = seed | 1, pfn;
    uint8_t *p, *end;
    const char *word;
    size_t len;

    for (pfn = 0; pfn < nr_pfns; pfn++) {
        p = ram + pfn * PAGE;
        end = p + PAGE;
        while (p < end) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            word = words[x % (sizeof(words) / sizeof(words[0]))];
            len = strlen(word);
            if (len > (size_t)(end - p))
                len = end - p;
            memcpy(p, word, len);
            p += len;
            if (p < end)
                *p++ = (x >> 32) % 11 == 0 ? '\n' : ' ';
        }
    }
}

/*
 * The image's bytes from offset 0, as far as RAM goes; if it ends first,
 * it is repeated (copied from RAM, which now holds it) in whole pages.
 */
static int fill_image(uint8_t *ram, uint64_t nr_pfns, int fd,
                      struct sim_err *err)
{
    uint64_t len = nr_pfns * PAGE, got = 0, unit, off, n;
    ssize_t r;

    while (got < len) {
        n = len - got < (1u << 30) ? len - got : (1u << 30);
        r = pread(fd, ram + got, n, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return sim_fail(err, -errno,
                            "cannot read the memory image at offset %llu: %s",
                            (unsigned long long)got, strerror(errno));
        if (r == 0)
            break;
        got += (uint64_t)r;
    }
    if (got == 0)
        return sim_fail(err, -EINVAL, "the memory image is empty");
    /* the fresh memfd is zero, so a partial last page is zero padded */
    unit = (got + PAGE - 1) / PAGE * PAGE;
    for (off = unit; off < len; off += n) {
        n = len - off < unit ? len - off : unit;
        memcpy(ram + off, ram, n);
    }
    return 0;
}

/* MemAvailable in bytes, from /proc/meminfo; 0 if it cannot be read. */
static uint64_t mem_available(void)
{
    unsigned long long kb = 0;
    char line[128];
    FILE *f = fopen("/proc/meminfo", "r");

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

static bool name_ok(const char *name, struct sim_err *err, int *rc_r)
{
    size_t len = strnlen(name, XM_SIM_NAME_MAX);

    if (len == 0 || len >= XM_SIM_NAME_MAX) {
        *rc_r = sim_fail(err, -EINVAL,
                         "domain name must be 1 to %d characters",
                         XM_SIM_NAME_MAX - 1);
        return false;
    }
    return true;
}

/* A live domain called @name other than @self (table lock held). */
static struct sim_domain *find_name(const char *name,
                                    const struct sim_domain *self)
{
    unsigned i;

    for (i = 0; i < table_n; i++) {
        if (table[i] != self && strcmp(table[i]->name, name) == 0)
            return table[i];
    }
    return NULL;
}

static void domain_free(struct sim_domain *d)
{
    if (d->ram)
        munmap(d->ram, d->nr_pfns * PAGE);
    if (d->memfd >= 0)
        close(d->memfd);
    free(d->vcpus);
    pthread_mutex_destroy(&d->op_lock);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->dirty.lock);
    free(d);
}

static const char *ram_dir;       /* sim_domain_ram_dir() */

void sim_domain_ram_dir(const char *dir)
{
    ram_dir = dir;
}

/*
 * Fresh RAM for @d from the kernel: a memfd of its nr_pfns pages, or an
 * unnamed file in ram_dir (--ram-dir: a tmpfs mounted with huge=always
 * backs guest RAM with 2 MiB pages, as Xen gives a guest superpages).
 */
static int new_ram(struct sim_domain *d, struct sim_err *err)
{
    uint64_t len = d->nr_pfns * PAGE;
    char memname[80];

    /*
     * fallocate() below does not fail on a memfd larger than the host's
     * memory: the OOM killer runs instead. A fuzz-receive run had simd
     * OOM-killed here (a stream's DOMAIN_HEADER may ask for more pages
     * than this host has). Refuse up front, as Xen refuses a domain it
     * has no memory for.
     */
    if (mem_available() && d->nr_pfns > mem_available() / PAGE)
        return sim_fail(err, -ENOMEM,
                        "cannot allocate %llu MiB of guest RAM: the host has %llu MiB available",
                        (unsigned long long)(d->nr_pfns >> 8),
                        (unsigned long long)(mem_available() >> 20));
    snprintf(memname, sizeof(memname), "xenmig-ram-%s", d->name);
    if (ram_dir) {
        d->memfd = open(ram_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (d->memfd < 0)
            return sim_fail(err, -errno,
                            "cannot make guest RAM in \"%s\": %s", ram_dir,
                            strerror(errno));
    } else {
        d->memfd = memfd_create(memname, MFD_CLOEXEC);
        if (d->memfd < 0)
            return sim_fail(err, -errno, "memfd_create: %s",
                            strerror(errno));
    }
    d->mem_size = len;
    if (ftruncate(d->memfd, (off_t)len) < 0)
        return sim_fail(err, -errno, "cannot size guest RAM to %llu pages: %s",
                        (unsigned long long)d->nr_pfns, strerror(errno));
    /*
     * Give the guest all its RAM now, as Xen does at domain creation:
     * allocating in one call is several times faster than a fault per
     * first write (measured here: 0.6 s against 3.6 s per GiB), and a
     * host that is out of memory says so now, not halfway through.
     */
    if (fallocate(d->memfd, 0, 0, (off_t)len) < 0)
        return sim_fail(err, -errno, "cannot allocate %llu MiB of guest RAM: %s",
                        (unsigned long long)(d->nr_pfns >> 8), strerror(errno));
    return 0;
}

int sim_domain_create(const char *name, const struct xm_sim_config *cfg,
                      uint64_t nr_pfns, enum xm_sim_fill fill, int image_fd,
                      bool run,
                      const void *builder, uint32_t *domid_r,
                      struct sim_err *err)
{
    struct sim_domain *d = NULL, **t;
    pthread_condattr_t ca;
    unsigned i;
    int rc = 0;

    if (!name_ok(name, err, &rc))
        return rc;
    if (nr_pfns < 2 || nr_pfns > XM_SIM_MAX_PFNS)
        return sim_fail(err, -EINVAL,
                        "bad size %llu pages (2 to %llu: page 0 holds the "
                        "heartbeats)",
                        (unsigned long long)nr_pfns,
                        (unsigned long long)XM_SIM_MAX_PFNS);
    if (fill > XM_SIM_FILL_IMAGE)
        return sim_fail(err, -EINVAL, "unknown fill %u", fill);
    pthread_mutex_lock(&table_lock);
    if (find_name(name, NULL))
        rc = sim_fail(err, -EEXIST, "a domain named \"%s\" exists", name);
    pthread_mutex_unlock(&table_lock);
    if (rc)
        return rc;

    d = calloc(1, sizeof(*d));
    if (!d)
        return sim_fail(err, -ENOMEM, "out of memory");
    d->memfd = -1;
    pthread_mutex_init(&d->op_lock, NULL);
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cond, &ca);
    pthread_condattr_destroy(&ca);
    sim_dirty_init(&d->dirty);
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->nr_pfns = nr_pfns;
    d->cfg = *cfg;
    d->pause_count = run ? 0 : 1;
    d->refs = 1;

    d->memfd = sim_heap_take(nr_pfns * PAGE, &d->mem_size);
    if (d->memfd < 0) {
        rc = new_ram(d, err);
        if (rc)
            goto fail;
    }
    d->ram = mmap(NULL, nr_pfns * PAGE, PROT_READ | PROT_WRITE,
                  MAP_SHARED, d->memfd, 0);
    if (d->ram == MAP_FAILED) {
        d->ram = NULL;
        rc = sim_fail(err, -errno, "cannot map guest RAM: %s",
                      strerror(errno));
        goto fail;
    }
    if (fill == XM_SIM_FILL_RANDOM)
        fill_random(d->ram, nr_pfns, cfg->seed ^ 0x5eed);
    else if (fill == XM_SIM_FILL_TEXT)
        fill_text(d->ram, nr_pfns, cfg->seed ^ 0x7e47);
    else if (fill == XM_SIM_FILL_IMAGE)
        rc = fill_image(d->ram, nr_pfns, image_fd, err);
    if (rc)
        goto fail;
    d->vcpus = calloc(cfg->vcpus, sizeof(*d->vcpus));
    if (!d->vcpus) {
        rc = sim_fail(err, -ENOMEM, "out of memory");
        goto fail;
    }
    for (i = 0; i < cfg->vcpus; i++) {
        d->vcpus[i].dom = d;
        d->vcpus[i].id = i;
        sim_vcpu_reset(&d->vcpus[i], cfg);
    }

    pthread_mutex_lock(&table_lock);
    if (find_name(name, NULL)) {
        rc = sim_fail(err, -EEXIST, "a domain named \"%s\" exists", name);
    } else if (table_n == table_size) {
        t = realloc(table, (table_size * 2 + 8) * sizeof(*t));
        if (t) {
            table = t;
            table_size = table_size * 2 + 8;
        } else {
            rc = sim_fail(err, -ENOMEM, "out of memory");
        }
    }
    if (!rc) {
        d->domid = next_domid++;
        d->builder = builder;
        table[table_n++] = d;
    }
    pthread_mutex_unlock(&table_lock);
    if (rc)
        goto fail;

    if (run) {
        pthread_mutex_lock(&d->lock);
        rc = sim_vcpus_start(d, err);
        clock_update(d);
        pthread_mutex_unlock(&d->lock);
        if (rc) {
            sim_domain_destroy(d, err);
            return rc;
        }
    }
    *domid_r = d->domid;
    sim_log("domain %u \"%s\" created: %llu pages, %u vcpus, %s", d->domid,
            d->name, (unsigned long long)nr_pfns, cfg->vcpus,
            run ? "running" : "paused");
    return 0;

fail:
    domain_free(d);
    return rc;
}

int sim_domain_get(uint32_t domid, struct sim_domain **dom_r,
                   struct sim_err *err)
{
    unsigned i;

    pthread_mutex_lock(&table_lock);
    for (i = 0; i < table_n; i++) {
        if (table[i]->domid == domid) {
            table[i]->refs++;
            *dom_r = table[i];
            pthread_mutex_unlock(&table_lock);
            return 0;
        }
    }
    pthread_mutex_unlock(&table_lock);
    return sim_fail(err, -ESRCH, "no such domain");
}

void sim_domain_put(struct sim_domain *d)
{
    bool last;

    pthread_mutex_lock(&table_lock);
    last = --d->refs == 0;
    pthread_mutex_unlock(&table_lock);
    if (last)
        domain_free(d);
}

/*
 * A destroyed domain's RAM goes to the heap once no client maps it any
 * more (heap.c); until then it stays with @d (closed with it, if the
 * heap does not want it then). Without a heap it is closed at once, as
 * it always was: the clients' own mappings keep what they still use.
 */
static void give_ram(struct sim_domain *d)
{
    int fd = -1;

    pthread_mutex_lock(&table_lock);
    if (d->dead && (d->mappers == 0 || !sim_heap_on())) {
        fd = d->memfd;
        d->memfd = -1;
    }
    pthread_mutex_unlock(&table_lock);
    sim_heap_give(fd, d->mem_size);
}

void sim_domain_mapped(struct sim_domain *d)
{
    pthread_mutex_lock(&table_lock);
    d->refs++;
    d->mappers++;
    pthread_mutex_unlock(&table_lock);
}

void sim_domain_unmapped(struct sim_domain *d)
{
    pthread_mutex_lock(&table_lock);
    d->mappers--;
    pthread_mutex_unlock(&table_lock);
    give_ram(d);
    sim_domain_put(d);
}

int sim_domain_destroy(struct sim_domain *d, struct sim_err *err)
{
    unsigned i;

    pthread_mutex_lock(&table_lock);
    if (d->dead) {
        pthread_mutex_unlock(&table_lock);
        return sim_fail(err, -ESRCH, "no such domain");
    }
    d->dead = true;
    for (i = 0; i < table_n; i++) {
        if (table[i] == d) {
            table[i] = table[--table_n];
            break;
        }
    }
    pthread_mutex_unlock(&table_lock);

    sim_vcpus_stop(d);
    sim_dirty_disable(&d->dirty);
    munmap(d->ram, d->nr_pfns * PAGE);
    d->ram = NULL;
    give_ram(d);
    sim_log("domain %u \"%s\" destroyed", d->domid, d->name);
    sim_domain_put(d); /* the table's reference */
    return 0;
}

int sim_domain_commit(struct sim_domain *d, struct sim_err *err)
{
    bool was;

    pthread_mutex_lock(&table_lock);
    was = d->builder != NULL;
    d->builder = NULL;
    pthread_mutex_unlock(&table_lock);
    if (!was)
        return sim_fail(err, -EINVAL, "domain is not being built");
    return 0;
}

void sim_domain_reap(const void *builder)
{
    struct sim_domain *d;
    struct sim_err err;
    unsigned i;
    bool mine;

    for (;;) {
        d = NULL;
        pthread_mutex_lock(&table_lock);
        for (i = 0; i < table_n && !d; i++) {
            if (table[i]->builder == builder) {
                d = table[i];
                d->refs++;
            }
        }
        pthread_mutex_unlock(&table_lock);
        if (!d)
            return;
        /* Under op_lock no COMMIT can get in between check and destroy. */
        pthread_mutex_lock(&d->op_lock);
        pthread_mutex_lock(&table_lock);
        mine = d->builder == builder && !d->dead;
        d->builder = NULL;
        pthread_mutex_unlock(&table_lock);
        if (mine) {
            sim_log("domain %u \"%s\": its receiver went away before the domain was complete: destroying the half-built copy",
                    d->domid, d->name);
            sim_domain_destroy(d, &err);
        }
        pthread_mutex_unlock(&d->op_lock);
        sim_domain_put(d);
    }
}

void sim_domain_destroy_all(void)
{
    struct sim_domain *d;
    struct sim_err err;

    for (;;) {
        pthread_mutex_lock(&table_lock);
        d = table_n ? table[0] : NULL;
        if (d)
            d->refs++;
        pthread_mutex_unlock(&table_lock);
        if (!d)
            break;
        pthread_mutex_lock(&d->op_lock);
        sim_domain_destroy(d, &err);
        pthread_mutex_unlock(&d->op_lock);
        sim_domain_put(d);
    }
}

void sim_domain_info(struct sim_domain *d, struct xm_sim_dominfo *info)
{
    memset(info, 0, sizeof(*info));
    info->domid = d->domid;
    info->nr_vcpus = d->cfg.vcpus;
    info->nr_pfns = d->nr_pfns;
    pthread_mutex_lock(&table_lock);
    memcpy(info->name, d->name, sizeof(info->name));
    if (d->builder)
        info->flags |= XM_DOMAIN_INCOMING;
    pthread_mutex_unlock(&table_lock);
    pthread_mutex_lock(&d->lock);
    if (d->pause_count)
        info->flags |= XM_DOMAIN_PAUSED;
    if (d->suspended)
        info->flags |= XM_DOMAIN_SUSPENDED;
    if (d->dirty.enabled)
        info->flags |= XM_DOMAIN_LOGDIRTY;
    info->cpu_cap = d->cap;
    info->cpu_time_ns = sim_vcpus_cpu_time(d);
    pthread_mutex_unlock(&d->lock);
}

int sim_domain_list(struct xm_sim_dominfo **infos_r, unsigned *n_r,
                    struct sim_err *err)
{
    struct sim_domain **doms;
    struct xm_sim_dominfo *infos;
    unsigned i, n;

    pthread_mutex_lock(&table_lock);
    n = table_n;
    doms = calloc(n + 1, sizeof(*doms));
    infos = calloc(n + 1, sizeof(*infos));
    if (!doms || !infos) {
        pthread_mutex_unlock(&table_lock);
        free(doms);
        free(infos);
        return sim_fail(err, -ENOMEM, "out of memory");
    }
    for (i = 0; i < n; i++) {
        doms[i] = table[i];
        doms[i]->refs++;
    }
    pthread_mutex_unlock(&table_lock);
    for (i = 0; i < n; i++) {
        sim_domain_info(doms[i], &infos[i]);
        sim_domain_put(doms[i]);
    }
    free(doms);
    *infos_r = infos;
    *n_r = n;
    return 0;
}

int sim_domain_pause(struct sim_domain *d, struct sim_err *err)
{
    pthread_mutex_lock(&d->lock);
    d->pause_count++;
    pthread_cond_broadcast(&d->cond);
    sim_vcpus_wait_parked(d);
    clock_update(d);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

/* Let the vCPUs go if nothing holds them, starting them the first time. */
static int maybe_run(struct sim_domain *d, struct sim_err *err)
{
    int rc = 0;

    if (!sim_vcpus_must_park(d)) {
        rc = sim_vcpus_start(d, err);
        pthread_cond_broadcast(&d->cond);
    }
    clock_update(d);
    return rc;
}

int sim_domain_unpause(struct sim_domain *d, struct sim_err *err)
{
    int rc;

    pthread_mutex_lock(&d->lock);
    if (!d->pause_count) {
        rc = sim_fail(err, -EINVAL, "domain is not paused");
    } else {
        d->pause_count--;
        rc = maybe_run(d, err);
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int sim_domain_suspend(struct sim_domain *d, struct sim_err *err)
{
    pthread_mutex_lock(&d->lock);
    d->suspended = true;
    pthread_cond_broadcast(&d->cond);
    sim_vcpus_wait_parked(d);
    clock_update(d);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

int sim_domain_resume(struct sim_domain *d, struct sim_err *err)
{
    int rc;

    pthread_mutex_lock(&d->lock);
    d->suspended = false;
    rc = maybe_run(d, err);
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int sim_domain_set_cap(struct sim_domain *d, unsigned cap,
                       struct sim_err *err)
{
    if (cap > 100)
        return sim_fail(err, -EINVAL, "cap %u%% is over 100%%", cap);
    pthread_mutex_lock(&d->lock);
    d->cap = cap == 100 ? 0 : cap;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

int sim_domain_rename(struct sim_domain *d, const char *name,
                      struct sim_err *err)
{
    int rc = 0;

    if (!name_ok(name, err, &rc))
        return rc;
    pthread_mutex_lock(&table_lock);
    if (find_name(name, d))
        rc = sim_fail(err, -EEXIST, "a domain named \"%s\" exists", name);
    else
        snprintf(d->name, sizeof(d->name), "%s", name);
    pthread_mutex_unlock(&table_lock);
    return rc;
}

int sim_domain_set_note(struct sim_domain *d, const char *key,
                        const char *value, struct sim_err *err)
{
    int i, slot = -1, rc = 0;

    if (!xm_note_args_ok(key, value))
        return sim_fail(err, -EINVAL, "a bad note \"%.40s\"", key);
    pthread_mutex_lock(&d->lock);
    for (i = 0; i < (int)(sizeof(d->notes) / sizeof(d->notes[0])); i++) {
        if (strcmp(d->notes[i].key, key) == 0) {
            slot = i;
            break;
        }
        if (slot < 0 && !d->notes[i].key[0])
            slot = i;
    }
    if (!value) {
        if (slot >= 0 && strcmp(d->notes[slot].key, key) == 0)
            d->notes[slot].key[0] = 0;
    } else if (slot < 0) {
        rc = sim_fail(err, -ENOSPC, "no room for another note");
    } else {
        snprintf(d->notes[slot].key, sizeof(d->notes[slot].key), "%s", key);
        snprintf(d->notes[slot].value, sizeof(d->notes[slot].value), "%s",
                 value);
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int sim_domain_get_note(struct sim_domain *d, const char *key,
                        char value[XM_NOTE_VALUE_MAX], bool *found,
                        struct sim_err *err)
{
    unsigned i;

    if (!xm_note_args_ok(key, ""))
        return sim_fail(err, -EINVAL, "a bad note key \"%.40s\"", key);
    *found = false;
    pthread_mutex_lock(&d->lock);
    for (i = 0; i < sizeof(d->notes) / sizeof(d->notes[0]); i++) {
        if (strcmp(d->notes[i].key, key) == 0) {
            memcpy(value, d->notes[i].value, XM_NOTE_VALUE_MAX);
            *found = true;
            break;
        }
    }
    pthread_mutex_unlock(&d->lock);
    return 0;
}

/* The vCPUs are not running, so their registers can be touched. */
static bool vcpus_still(struct sim_domain *d)
{
    return sim_vcpus_must_park(d) || !d->vcpus_started;
}

int sim_domain_get_state(struct sim_domain *d, unsigned kind,
                         void **blob_r, size_t *len_r, struct sim_err *err)
{
    struct xm_sim_vcpu_blob *vb;
    struct xm_sim_platform *pb;
    void *blob = NULL;
    size_t len = 0;
    unsigned i;
    int rc = 0;

    pthread_mutex_lock(&d->lock);
    if (kind != XM_STATE_CONFIG && !vcpus_still(d)) {
        rc = sim_fail(err, -EBUSY,
                      "domain is running: pause or suspend it first");
        goto out;
    }
    switch (kind) {
    case XM_STATE_CONFIG:
        len = sizeof(d->cfg);
        blob = malloc(len);
        if (blob)
            memcpy(blob, &d->cfg, len);
        break;
    case XM_STATE_VCPU:
        len = sizeof(*vb) + d->cfg.vcpus * sizeof(struct xm_sim_vcpu_regs);
        blob = vb = calloc(1, len);
        if (!vb)
            break;
        vb->magic = XM_SIM_VCPU_MAGIC;
        vb->version = XM_SIM_VCPU_VERSION;
        vb->regs_size = sizeof(struct xm_sim_vcpu_regs);
        vb->nr_vcpus = d->cfg.vcpus;
        for (i = 0; i < d->cfg.vcpus; i++)
            memcpy((char *)(vb + 1) + i * sizeof(struct xm_sim_vcpu_regs),
                   &d->vcpus[i].regs, sizeof(struct xm_sim_vcpu_regs));
        break;
    case XM_STATE_PLATFORM:
        len = sizeof(*pb);
        blob = pb = calloc(1, len);
        if (!pb)
            break;
        pb->magic = XM_SIM_PLATFORM_MAGIC;
        pb->version = XM_SIM_PLATFORM_VERSION;
        pb->size = sizeof(*pb);
        pb->nr_vcpus = d->cfg.vcpus;
        pb->nr_pfns = d->nr_pfns;
        pb->clock_ns = clock_read(d);
        pb->clock_hz = 1000000000ull;
        break;
    default:
        rc = sim_fail(err, -EINVAL, "unknown state kind %u", kind);
        goto out;
    }
    if (!blob)
        rc = sim_fail(err, -ENOMEM, "out of memory");

out:
    pthread_mutex_unlock(&d->lock);
    if (!rc) {
        *blob_r = blob;
        *len_r = len;
    }
    return rc;
}

static int check_vcpu_blob(struct sim_domain *d, const void *blob,
                           size_t len, struct sim_err *err)
{
    const struct xm_sim_vcpu_blob *vb = blob;
    struct xm_sim_vcpu_regs regs;
    unsigned i;

    if (len < sizeof(*vb))
        return sim_fail(err, -EINVAL, "vcpu state blob is %zu bytes, too "
                        "short for its header", len);
    if (vb->magic != XM_SIM_VCPU_MAGIC)
        return sim_fail(err, -EINVAL, "vcpu state blob has bad magic 0x%x",
                        vb->magic);
    if (vb->version != XM_SIM_VCPU_VERSION ||
        vb->regs_size != sizeof(regs))
        return sim_fail(err, -EINVAL,
                        "vcpu state blob is version %u with %u-byte "
                        "registers, this host knows version %u with %zu",
                        vb->version, vb->regs_size, XM_SIM_VCPU_VERSION,
                        sizeof(regs));
    if (vb->nr_vcpus != d->cfg.vcpus)
        return sim_fail(err, -EINVAL,
                        "vcpu state blob has %u vcpus, the domain %u",
                        vb->nr_vcpus, d->cfg.vcpus);
    if (len != sizeof(*vb) + vb->nr_vcpus * sizeof(regs))
        return sim_fail(err, -EINVAL,
                        "vcpu state blob is %zu bytes, expected %zu", len,
                        sizeof(*vb) + vb->nr_vcpus * sizeof(regs));
    for (i = 0; i < vb->nr_vcpus; i++) {
        memcpy(&regs, (const char *)(vb + 1) + i * sizeof(regs),
               sizeof(regs));
        if (!regs.rng)
            return sim_fail(err, -EINVAL,
                            "vcpu %u state has a zero generator state", i);
    }
    return 0;
}

int sim_domain_set_state(struct sim_domain *d, unsigned kind,
                         const void *blob, size_t len, struct sim_err *err)
{
    const struct xm_sim_platform *pb = blob;
    struct xm_sim_config cfg;
    unsigned i;
    int rc = 0;

    pthread_mutex_lock(&d->lock);
    if (!vcpus_still(d)) {
        rc = sim_fail(err, -EBUSY,
                      "domain is running: state loads into a paused domain");
        goto out;
    }
    switch (kind) {
    case XM_STATE_CONFIG:
        rc = sim_config_check(blob, len, d->nr_pfns, &cfg, err);
        if (rc)
            break;
        if (cfg.vcpus != d->cfg.vcpus) {
            rc = sim_fail(err, -EINVAL,
                          "config blob has %u vcpus, the domain %u",
                          cfg.vcpus, d->cfg.vcpus);
            break;
        }
        d->cfg = cfg;
        break;
    case XM_STATE_VCPU:
        rc = check_vcpu_blob(d, blob, len, err);
        if (rc)
            break;
        for (i = 0; i < d->cfg.vcpus; i++)
            memcpy(&d->vcpus[i].regs,
                   (const char *)blob + sizeof(struct xm_sim_vcpu_blob) +
                       i * sizeof(struct xm_sim_vcpu_regs),
                   sizeof(struct xm_sim_vcpu_regs));
        break;
    case XM_STATE_PLATFORM:
        if (len != sizeof(*pb) || pb->magic != XM_SIM_PLATFORM_MAGIC) {
            rc = sim_fail(err, -EINVAL,
                          "platform state blob is not one (%zu bytes, "
                          "expected %zu with magic 0x%x)",
                          len, sizeof(*pb), XM_SIM_PLATFORM_MAGIC);
        } else if (pb->version != XM_SIM_PLATFORM_VERSION ||
                   pb->size != sizeof(*pb)) {
            rc = sim_fail(err, -EINVAL,
                          "platform state blob is version %u, this host "
                          "knows %u", pb->version, XM_SIM_PLATFORM_VERSION);
        } else if (pb->nr_vcpus != d->cfg.vcpus ||
                   pb->nr_pfns != d->nr_pfns) {
            rc = sim_fail(err, -EINVAL,
                          "platform state is for %u vcpus and %llu pages, "
                          "the domain has %u and %llu",
                          pb->nr_vcpus, (unsigned long long)pb->nr_pfns,
                          d->cfg.vcpus, (unsigned long long)d->nr_pfns);
        } else if (pb->clock_hz != 1000000000ull) {
            rc = sim_fail(err, -EINVAL,
                          "platform clock runs at %llu Hz, expected 1 GHz",
                          (unsigned long long)pb->clock_hz);
        } else {
            d->clock_ns = pb->clock_ns;
        }
        break;
    default:
        rc = sim_fail(err, -EINVAL, "unknown state kind %u", kind);
    }

out:
    pthread_mutex_unlock(&d->lock);
    return rc;
}
