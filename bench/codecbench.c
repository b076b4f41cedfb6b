/*
 * codecbench.c - how fast and how well each page codec works.
 *
 * Builds page sets in memory (-m MiB each, default 64), each a previous
 * copy "old" and the pages to send "new":
 *   zero      all zero; old the same
 *   random    random bytes; old other random bytes
 *   text      words and spaces; old the same (unchanged pages)
 *   redirty   text; new is old with 1-64 random bytes of each page changed
 *   onebyte   random; new is old with one byte of each page changed
 * and runs every codec over every set, best of -r runs (default 3):
 *   delta     xm_delta_encode(old, new) per page, xm_delta_apply() into a
 *             copy of old; a page over XM_DELTA_MAX counts as sent raw
 *             (4096 bytes, a memcpy to decode)
 *   lz4, zstd the block codecs at level 1 over blocks of -b pages
 *             (default 64)
 *   zlib      compress2() level 1 / uncompress(), same blocks, when
 *             libz.so.1 can be loaded (dlopen: the Makefile does not
 *             link -lz into bench tools)
 * For each: "<codec>_<set>_encode N MB/s" and "_decode" (MB of input
 * pages, 10^6 bytes, per second), "_ratio N x" (page bytes over wire
 * bytes, counting the u32 length each delta page or block carries), and
 * for delta "_overflow N pages". Finally the delta encoder on one page
 * pair kept in cache: "delta_unchanged_hot_encode", "delta_onebyte_hot_
 * encode". Every decode is checked against the pages it should give.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "private.h"
#include "stream-format.h"

#define PAGE XM_CODEC_PAGE

static uint64_t rng = 0x2545f4914f6cdd1dull;
static volatile uint64_t sink;   /* keeps results alive */

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void *xmalloc(size_t len)
{
    void *p = NULL;

    if (posix_memalign(&p, PAGE, len ? len : 1)) {
        fprintf(stderr, "codecbench: out of memory (%zu bytes)\n", len);
        exit(1);
    }
    return p;
}

static void fill_random(uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len; i += 8) {
        uint64_t v = next_rand();

        memcpy(p + i, &v, 8);
    }
}

static void fill_text(uint8_t *p, size_t len)
{
    static const char *const words[] = {
        "the", "page", "domain", "migration", "of", "memory", "xen",
        "dirty", "stream", "record", "and", "to", "kernel", "0x1f3",
        "struct", "return", "int", "if", "error", "buffer", "a", "is",
        "network", "device", "for", "with", "time", "user", "file", "in",
        "process", "value",
    };
    size_t i = 0;

    while (i < len) {
        const char *w = words[next_rand() % 32];
        size_t n = strlen(w);

        if (n > len - i)
            n = len - i;
        memcpy(p + i, w, n);
        i += n;
        if (i < len)
            p[i++] = next_rand() % 12 ? ' ' : '\n';
    }
}

struct set {
    const char *name;  /* key part */
    uint8_t *old;      /* previous copy */
    uint8_t *new;      /* pages to send */
    size_t pages;      /* in each */
};

static void make_set(struct set *s, const char *name, size_t pages)
{
    size_t len = pages * PAGE, i, k;

    s->name = name;
    s->pages = pages;
    s->old = xmalloc(len);
    s->new = xmalloc(len);
    if (!strcmp(name, "zero")) {
        memset(s->old, 0, len);
        memset(s->new, 0, len);
    } else if (!strcmp(name, "random")) {
        fill_random(s->old, len);
        fill_random(s->new, len);
    } else if (!strcmp(name, "text")) {
        fill_text(s->old, len);
        memcpy(s->new, s->old, len);
    } else {
        bool one = !strcmp(name, "onebyte");

        if (one)
            fill_random(s->old, len);
        else
            fill_text(s->old, len);
        memcpy(s->new, s->old, len);
        for (i = 0; i < pages; i++)
            for (k = one ? 1 : 1 + next_rand() % 64; k; k--)
                s->new[i * PAGE + next_rand() % PAGE] ^=
                    (uint8_t)(1 + next_rand() % 255);
    }
}

static void free_set(struct set *s)
{
    free(s->old);
    free(s->new);
}

static void report(const char *codec, const char *set, const char *what,
                   double value, const char *unit)
{
    printf("%s_%s_%s %.1f %s\n", codec, set, what, value, unit);
    fflush(stdout);
}

static double mbps(size_t bytes, uint64_t ns)
{
    return (double)bytes / 1e6 / ((double)ns / 1e9);
}

static void check_same(const uint8_t *a, const uint8_t *b, size_t len,
                       const char *codec, const char *set)
{
    if (memcmp(a, b, len)) {
        fprintf(stderr, "codecbench: %s on %s: decoded pages differ\n",
                codec, set);
        exit(1);
    }
}

/* ---- delta ----------------------------------------------------------- */

static void bench_delta(const struct set *s, unsigned runs)
{
    size_t len = s->pages * PAGE, i, wire = 0, overflow = 0;
    uint8_t *enc = xmalloc(s->pages * XM_DELTA_MAX);
    int *n = malloc(s->pages * sizeof(*n));
    uint8_t *work = xmalloc(len);
    uint64_t best_e = UINT64_MAX, best_d = UINT64_MAX, t;
    unsigned r;

    for (r = 0; r < runs; r++) {
        t = xm__now_ns();
        for (i = 0; i < s->pages; i++)
            n[i] = xm_delta_encode(s->old + i * PAGE, s->new + i * PAGE,
                                   enc + i * XM_DELTA_MAX);
        t = xm__now_ns() - t;
        best_e = t < best_e ? t : best_e;

        memcpy(work, s->old, len);
        t = xm__now_ns();
        for (i = 0; i < s->pages; i++) {
            if (n[i] < 0)
                memcpy(work + i * PAGE, s->new + i * PAGE, PAGE);
            else if (xm_delta_apply(work + i * PAGE, enc + i * XM_DELTA_MAX,
                                    (size_t)n[i])) {
                fprintf(stderr, "codecbench: delta apply refused\n");
                exit(1);
            }
        }
        t = xm__now_ns() - t;
        best_d = t < best_d ? t : best_d;
        check_same(work, s->new, len, "delta", s->name);
    }
    for (i = 0; i < s->pages; i++) {
        if (n[i] < 0) {
            overflow++;
            wire += PAGE;
        } else {
            wire += 4 + (size_t)n[i];
        }
    }
    report("delta", s->name, "encode", mbps(len, best_e), "MB/s");
    report("delta", s->name, "decode", mbps(len, best_d), "MB/s");
    report("delta", s->name, "ratio", (double)len / (double)wire, "x");
    printf("delta_%s_overflow %zu pages\n", s->name, overflow);
    free(enc);
    free(n);
    free(work);
}

/* The encoder alone on one cache-hot page pair. */
static void bench_delta_hot(void)
{
    uint8_t *a = xmalloc(PAGE), *b = xmalloc(PAGE), *out = xmalloc(PAGE);
    const unsigned reps = 200000;
    uint64_t t, sum = 0;
    unsigned i, pass;

    fill_random(a, PAGE);
    memcpy(b, a, PAGE);
    for (pass = 0; pass < 2; pass++) {
        if (pass)
            b[next_rand() % PAGE] ^= 0x10;
        t = xm__now_ns();
        for (i = 0; i < reps; i++)
            sum += (uint64_t)xm_delta_encode(a, b, out);
        t = xm__now_ns() - t;
        report("delta", pass ? "onebyte_hot" : "unchanged_hot", "encode",
               mbps((size_t)reps * PAGE, t), "MB/s");
    }
    sink += sum;
    free(a);
    free(b);
    free(out);
}

/* ---- block compressors ----------------------------------------------- */

/* One block compressor seen the same way: lz4, zstd or zlib. */
struct blk {
    const char *name;
    size_t (*bound)(struct blk *b, size_t len);
    long (*comp)(struct blk *b, const uint8_t *in, size_t len, uint8_t *out,
                 size_t cap);
    int (*decomp)(struct blk *b, const uint8_t *in, size_t len,
                  uint8_t *out, size_t out_len);
    const struct xm_block_codec_ops *ops; /* xenmig codecs */
    void *state;                          /* their state */
};

static size_t ops_bound(struct blk *b, size_t len)
{
    return b->ops->bound(len);
}

static long ops_comp(struct blk *b, const uint8_t *in, size_t len,
                     uint8_t *out, size_t cap)
{
    return b->ops->compress(b->state, in, len, out, cap);
}

static int ops_decomp(struct blk *b, const uint8_t *in, size_t len,
                      uint8_t *out, size_t out_len)
{
    return b->ops->decompress(b->state, in, len, out, out_len);
}

/* zlib, loaded at run time; the prototypes are zlib's own. */
static int (*z_compress2)(unsigned char *dst, unsigned long *dst_len,
                          const unsigned char *src, unsigned long src_len,
                          int level);
static int (*z_uncompress)(unsigned char *dst, unsigned long *dst_len,
                           const unsigned char *src, unsigned long src_len);
static unsigned long (*z_compress_bound)(unsigned long src_len);

static bool zlib_load(void)
{
    void *h = dlopen("libz.so.1", RTLD_NOW);

    if (!h)
        return false;
    *(void **)&z_compress2 = dlsym(h, "compress2");
    *(void **)&z_uncompress = dlsym(h, "uncompress");
    *(void **)&z_compress_bound = dlsym(h, "compressBound");
    return z_compress2 && z_uncompress && z_compress_bound;
}

static size_t zlib_bound(struct blk *b, size_t len)
{
    return z_compress_bound(len);
}

static long zlib_comp(struct blk *b, const uint8_t *in, size_t len,
                      uint8_t *out, size_t cap)
{
    unsigned long n = cap;

    return z_compress2(out, &n, in, len, 1) == 0 ? (long)n : -1;
}

static int zlib_decomp(struct blk *b, const uint8_t *in, size_t len,
                       uint8_t *out, size_t out_len)
{
    unsigned long n = out_len;

    return z_uncompress(out, &n, in, len) == 0 && n == out_len ? 0 : -1;
}

static void bench_block(struct blk *b, const struct set *s, size_t per,
                        unsigned runs)
{
    size_t len = s->pages * PAGE, nblk = (s->pages + per - 1) / per;
    size_t cap = b->bound(b, per * PAGE), i, wire = 0;
    uint8_t *enc = xmalloc(nblk * cap), *work = xmalloc(len);
    long *n = malloc(nblk * sizeof(*n));
    uint64_t best_e = UINT64_MAX, best_d = UINT64_MAX, t;
    unsigned r;

    for (r = 0; r < runs; r++) {
        t = xm__now_ns();
        for (i = 0; i < nblk; i++) {
            size_t pages = i + 1 < nblk ? per : s->pages - i * per;

            n[i] = b->comp(b, s->new + i * per * PAGE, pages * PAGE,
                           enc + i * cap, cap);
            if (n[i] <= 0) {
                fprintf(stderr, "codecbench: %s compress failed\n",
                        b->name);
                exit(1);
            }
        }
        t = xm__now_ns() - t;
        best_e = t < best_e ? t : best_e;

        memset(work, 0xaa, len);
        t = xm__now_ns();
        for (i = 0; i < nblk; i++) {
            size_t pages = i + 1 < nblk ? per : s->pages - i * per;

            if (b->decomp(b, enc + i * cap, (size_t)n[i],
                          work + i * per * PAGE, pages * PAGE)) {
                fprintf(stderr, "codecbench: %s decompress refused\n",
                        b->name);
                exit(1);
            }
        }
        t = xm__now_ns() - t;
        best_d = t < best_d ? t : best_d;
        check_same(work, s->new, len, b->name, s->name);
    }
    for (i = 0; i < nblk; i++)
        wire += 4 + (size_t)n[i];
    report(b->name, s->name, "encode", mbps(len, best_e), "MB/s");
    report(b->name, s->name, "decode", mbps(len, best_d), "MB/s");
    report(b->name, s->name, "ratio", (double)len / (double)wire, "x");
    free(enc);
    free(work);
    free(n);
}

static void usage(void)
{
    fprintf(stderr, "usage: codecbench [-m MiB per set] [-r runs] "
                    "[-b pages per block]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const char *const sets[] = { "zero", "random", "text", "redirty",
                                        "onebyte" };
    struct blk blks[3] = {
        { "lz4", ops_bound, ops_comp, ops_decomp, &xm_codec_lz4, NULL },
        { "zstd1", ops_bound, ops_comp, ops_decomp, &xm_codec_zstd, NULL },
        { "zlib1", zlib_bound, zlib_comp, zlib_decomp, NULL, NULL },
    };
    unsigned long mib = 64, runs = 3, per = 64;
    unsigned nblks = 2, i, j;
    int opt;

    while ((opt = getopt(argc, argv, "m:r:b:h")) != -1) {
        switch (opt) {
        case 'm':
            mib = strtoul(optarg, NULL, 0);
            break;
        case 'r':
            runs = strtoul(optarg, NULL, 0);
            break;
        case 'b':
            per = strtoul(optarg, NULL, 0);
            break;
        default:
            usage();
        }
    }
    if (!mib || !runs || !per || per > XM_PAGES_MAX)
        usage();
    for (i = 0; i < 2; i++)
        if (blks[i].ops->new_state(0, &blks[i].state)) {
            fprintf(stderr, "codecbench: cannot make %s state\n",
                    blks[i].name);
            return 1;
        }
    if (zlib_load())
        nblks = 3;
    else
        printf("zlib1_skipped 1 bool\n");
    printf("set_size %lu MiB\nblock_pages %lu pages\n", mib, per);

    for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        struct set s;

        make_set(&s, sets[i], mib * 256);
        bench_delta(&s, (unsigned)runs);
        for (j = 0; j < nblks; j++)
            bench_block(&blks[j], &s, per, (unsigned)runs);
        free_set(&s);
    }
    bench_delta_hot();
    for (i = 0; i < 2; i++)
        blks[i].ops->free_state(blks[i].state);
    return 0;
}
