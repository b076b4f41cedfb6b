/*
 * heap.c - the sim host's free guest RAM, kept for the next domain as
 * Xen keeps the host's memory in its heap (xenmig-simd --heap MIB).
 *
 * Xen owns all of the host's RAM: a new domain's pages come from its
 * heap, scrubbed when they were freed, and cost nothing more to hand
 * out. A sim domain's RAM is a memfd, and a fresh memfd costs the kernel
 * an allocation and a clear per page, 0.28 s per GiB measured on the CI
 * machines, on the receiving side of every migration. With a heap, the
 * memfd of a destroyed domain is kept instead: zeroed by a thread of its
 * own (as Xen scrubs freed pages), then given whole to the next domain
 * that fits in it (the smallest that does). A domain's memfd may
 * therefore be larger than its RAM; only the first nr_pfns pages are
 * its.
 *
 * What is held stays under the --heap limit: a memfd that would go over
 * it is closed, as without a heap (the default, 0). The caller only
 * gives back a memfd no client still maps (domain.c counts the client
 * connections that mapped it): a toolstack that still wrote through an
 * old mapping would otherwise write into another domain's RAM.
 *
 * Entry points: sim_heap_init() (before any thread starts),
 * sim_heap_take(), sim_heap_give(), sim_heap_on(). Thread-safe; the heap
 * lock is innermost.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim.h"

/* One held memfd. */
struct heap_chunk {
    int memfd;                    /* its RAM */
    uint64_t size;                /* bytes */
    bool clean;                   /* scrubbed: all zero */
    struct heap_chunk *next;
};

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t heap_cond = PTHREAD_COND_INITIALIZER;
static struct heap_chunk *chunks; /* held, clean or being scrubbed */
static uint64_t heap_max;         /* bytes it may hold, 0: none */
static uint64_t heap_held;        /* bytes held now */

void sim_heap_init(uint64_t max_bytes)
{
    heap_max = max_bytes;
}

bool sim_heap_on(void)
{
    return heap_max != 0;
}

/* Zero @c's memory; true if done. */
static bool scrub(struct heap_chunk *c)
{
    uint8_t *p = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED,
                      c->memfd, 0);

    if (p == MAP_FAILED)
        return false;
    memset(p, 0, c->size);
    munmap(p, c->size);
    return true;
}

static void *scrub_main(void *arg)
{
    struct heap_chunk *c = arg, **pp;
    bool ok = scrub(c);

    pthread_mutex_lock(&heap_lock);
    if (ok) {
        c->clean = true;
    } else {
        for (pp = &chunks; *pp && *pp != c; pp = &(*pp)->next)
            ;
        if (*pp)
            *pp = c->next;
        heap_held -= c->size;
    }
    pthread_cond_broadcast(&heap_cond);
    pthread_mutex_unlock(&heap_lock);
    if (!ok) {
        sim_log("heap: cannot map %llu MiB to scrub it: %s; given back "
                "to the kernel",
                (unsigned long long)(c->size >> 20), strerror(errno));
        close(c->memfd);
        free(c);
    }
    return NULL;
}

void sim_heap_give(int memfd, uint64_t size)
{
    struct heap_chunk *c = NULL;
    pthread_attr_t attr;
    pthread_t tid;
    bool fits;

    if (memfd < 0)
        return;
    pthread_mutex_lock(&heap_lock);
    fits = heap_max && size <= heap_max - heap_held;
    if (fits)
        c = calloc(1, sizeof(*c));
    if (c) {
        c->memfd = memfd;
        c->size = size;
        c->next = chunks;
        chunks = c;
        heap_held += size;
    }
    pthread_mutex_unlock(&heap_lock);
    if (!c) {
        close(memfd);
        return;
    }
    sim_log("heap: keeping %llu MiB of freed guest RAM for the next domain",
            (unsigned long long)(size >> 20));
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&tid, &attr, scrub_main, c))
        scrub_main(c);  /* no thread: scrub here */
    pthread_attr_destroy(&attr);
}

int sim_heap_take(uint64_t bytes, uint64_t *size_r)
{
    struct heap_chunk *c, *best, **pp;
    bool waiting;
    int fd;

    pthread_mutex_lock(&heap_lock);
    for (;;) {
        best = NULL;
        waiting = false;
        for (c = chunks; c; c = c->next) {
            if (c->size < bytes)
                continue;
            if (!c->clean)
                waiting = true;
            else if (!best || c->size < best->size)
                best = c;
        }
        /* A chunk that fits and is being scrubbed: worth the wait. */
        if (best || !waiting)
            break;
        pthread_cond_wait(&heap_cond, &heap_lock);
    }
    if (!best) {
        pthread_mutex_unlock(&heap_lock);
        return -1;
    }
    for (pp = &chunks; *pp != best; pp = &(*pp)->next)
        ;
    *pp = best->next;
    heap_held -= best->size;
    pthread_mutex_unlock(&heap_lock);
    fd = best->memfd;
    *size_r = best->size;
    free(best);
    return fd;
}
