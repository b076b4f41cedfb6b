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
 * pages, 10^6 bytes, per second of wall time; "_encode_cpu" per second
 * of this thread's CPU time, what it costs a core on a shared machine), "_ratio N x" (page bytes over wire
 * bytes, counting the u32 length each delta page or block carries), and
 * for delta "_overflow N pages". Finally the delta encoder on one page
 * pair kept in cache: "delta_unchanged_hot_encode", "delta_onebyte_hot_
 * encode". Every decode is checked against the pages it should give.
 *
 * With -i IMAGE (a memory image, e.g. bench/make-corpus.sh's captured
 * guest RAM; the first -M MiB of it, default all), the same over real
 * pages, plus the engine itself (xm_encoder_batch(), as a live
 * migration's first pass calls it: 1024-page records, pages copied
 * first), all in this one process:
 *   image_pages, image_zero_pages           what the image holds
 *   memcmp_page_encode                      memcmp of identical 4 KiB
 *                                           page pairs (-m MiB), MB of
 *                                           one side per second
 *   zero_allzero_encode                     xm_page_is_zero() over -m MiB
 *                                           of zero pages (full scan)
 *   zero_img_encode                         ... over the image's pages
 *   delta_imgredirty_*                      the image's non-zero pages
 *                                           (at most -m MiB, spread over
 *                                           it) as "old", 1-64 random
 *                                           bytes of each changed as
 *                                           "new", as for redirty above
 *   lz4_img_*, zstd1_img_*, zstd3_img_*, zlib1_img_*
 *                                           the block codecs (liblz4,
 *                                           libzstd through xenmig's
 *                                           codec ops, zlib) on all the
 *                                           image's pages in -b blocks
 *   enc-MODE_img_encode/_decode/_ratio      the engine in --compress MODE
 *                                           (zero, lz4, zstd, zstd:3,
 *                                           auto) over the whole image;
 *                                           ratio counts everything a
 *                                           PAGES record carries per page
 *                                           (8-byte pfn, encoding byte,
 *                                           payload); auto is run with a
 *                                           link of 1 Gbit/s ("auto1g")
 *                                           and of -L bytes/s ("autoL",
 *                                           default 10 Gbit/s), its link
 *                                           samples made up from that
 *                                           speed; decode is what the
 *                                           receiver does (zero fill,
 *                                           delta apply, memcpy, block
 *                                           decompress), and is checked
 *   enc-auto1g_imgredirty_*                 auto's second pass over the
 *                                           redirty pages (deltas)
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec-zero.h"
#include "codec.h"
#include "encoder.h"
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

/* This thread's CPU time: the cost on a core, whatever else runs. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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
    uint64_t best_e = UINT64_MAX, best_d = UINT64_MAX, t, c;
    uint64_t best_c = UINT64_MAX;
    unsigned r;

    for (r = 0; r < runs; r++) {
        c = cpu_ns();
        t = xm__now_ns();
        for (i = 0; i < s->pages; i++)
            n[i] = xm_delta_encode(s->old + i * PAGE, s->new + i * PAGE,
                                   enc + i * XM_DELTA_MAX);
        t = xm__now_ns() - t;
        c = cpu_ns() - c;
        best_e = t < best_e ? t : best_e;
        best_c = c < best_c ? c : best_c;

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
    report("delta", s->name, "encode_cpu", mbps(len, best_c), "MB/s");
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
    uint64_t best_e = UINT64_MAX, best_d = UINT64_MAX, t, c;
    uint64_t best_c = UINT64_MAX;
    unsigned r;

    for (r = 0; r < runs; r++) {
        c = cpu_ns();
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
        c = cpu_ns() - c;
        best_e = t < best_e ? t : best_e;
        best_c = c < best_c ? c : best_c;

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
    report(b->name, s->name, "encode_cpu", mbps(len, best_c), "MB/s");
    report(b->name, s->name, "decode", mbps(len, best_d), "MB/s");
    report(b->name, s->name, "ratio", (double)len / (double)wire, "x");
    free(enc);
    free(work);
    free(n);
}

/* ---- memory image ---------------------------------------------------- */

/* The first @max_mib MiB (0: all) of @path, in whole pages. */
static uint8_t *load_image(const char *path, unsigned long max_mib,
                           size_t *pages_r)
{
    FILE *f = fopen(path, "rb");
    size_t len, got = 0, r;
    uint8_t *buf;

    if (!f || fseek(f, 0, SEEK_END) || (long)(len = ftell(f)) < 0) {
        fprintf(stderr, "codecbench: cannot read image \"%s\"\n", path);
        exit(1);
    }
    rewind(f);
    if (max_mib && len > ((size_t)max_mib << 20))
        len = (size_t)max_mib << 20;
    len = len / PAGE * PAGE;
    if (!len) {
        fprintf(stderr, "codecbench: image \"%s\" has no whole page\n",
                path);
        exit(1);
    }
    buf = xmalloc(len);
    while (got < len && (r = fread(buf + got, 1, len - got, f)) > 0)
        got += r;
    fclose(f);
    if (got != len) {
        fprintf(stderr, "codecbench: short read of image \"%s\"\n", path);
        exit(1);
    }
    *pages_r = len / PAGE;
    return buf;
}

/* memcmp of identical page pairs and the zero check, on @mib MiB. */
static void bench_zero(const uint8_t *img, size_t img_pages,
                       unsigned long mib, unsigned runs)
{
    size_t len = (size_t)mib << 20, off;
    uint8_t *a = xmalloc(len), *b = xmalloc(len);
    uint64_t best_c = UINT64_MAX, best_z = UINT64_MAX, best_i = UINT64_MAX;
    uint64_t cpu_c = UINT64_MAX, cpu_z = UINT64_MAX, t, c, n = 0, zeros = 0;
    unsigned r;

    fill_random(a, len);
    memcpy(b, a, len);
    for (r = 0; r < runs; r++) {
        c = cpu_ns();
        t = xm__now_ns();
        for (off = 0; off < len; off += PAGE)
            n += memcmp(a + off, b + off, PAGE) != 0;
        t = xm__now_ns() - t;
        c = cpu_ns() - c;
        best_c = t < best_c ? t : best_c;
        cpu_c = c < cpu_c ? c : cpu_c;
    }
    memset(a, 0, len);
    for (r = 0; r < runs; r++) {
        c = cpu_ns();
        t = xm__now_ns();
        for (off = 0; off < len; off += PAGE)
            n += !xm_page_is_zero(a + off);
        t = xm__now_ns() - t;
        c = cpu_ns() - c;
        best_z = t < best_z ? t : best_z;
        cpu_z = c < cpu_z ? c : cpu_z;
    }
    for (r = 0; r < runs; r++) {
        zeros = 0;
        t = xm__now_ns();
        for (off = 0; off < img_pages * PAGE; off += PAGE)
            zeros += xm_page_is_zero(img + off);
        t = xm__now_ns() - t;
        best_i = t < best_i ? t : best_i;
    }
    if (n) {
        fprintf(stderr, "codecbench: memcmp or zero check is wrong\n");
        exit(1);
    }
    report("memcmp", "page", "encode", mbps(len, best_c), "MB/s");
    report("memcmp", "page", "encode_cpu", mbps(len, cpu_c), "MB/s");
    report("zero", "allzero", "encode", mbps(len, best_z), "MB/s");
    report("zero", "allzero", "encode_cpu", mbps(len, cpu_z), "MB/s");
    report("zero", "img", "encode", mbps(img_pages * PAGE, best_i), "MB/s");
    printf("image_zero_pages %llu pages\n", (unsigned long long)zeros);
    free(a);
    free(b);
}

/* The image's non-zero pages, at most @max of them spread evenly. */
static void make_image_redirty(struct set *s, const uint8_t *img,
                               size_t img_pages, size_t max)
{
    size_t nz = 0, i, k, step;

    for (i = 0; i < img_pages; i++)
        nz += !xm_page_is_zero(img + i * PAGE);
    step = nz > max ? (nz + max - 1) / max : 1;
    s->name = "imgredirty";
    s->pages = 0;
    s->old = xmalloc((nz / step + 1) * PAGE);
    s->new = xmalloc((nz / step + 1) * PAGE);
    for (i = 0, k = 0; i < img_pages; i++) {
        if (xm_page_is_zero(img + i * PAGE) || k++ % step)
            continue;
        memcpy(s->old + s->pages * PAGE, img + i * PAGE, PAGE);
        s->pages++;
    }
    memcpy(s->new, s->old, s->pages * PAGE);
    for (i = 0; i < s->pages; i++)
        for (k = 1 + next_rand() % 64; k; k--)
            s->new[i * PAGE + next_rand() % PAGE] ^=
                (uint8_t)(1 + next_rand() % 255);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* What the receiver does with one record's payload: @out holds the
 * pages' previous contents (for deltas) and gets the new ones. */
static void decode_record(const uint8_t *enc, unsigned n, const uint8_t *pl,
                          size_t pl_len, uint8_t *out, void *const *st)
{
    static uint8_t block[XM_PAGES_MAX * PAGE];
    const uint8_t *end = pl + pl_len;
    unsigned i, nblk = 0, b = 0;
    uint8_t benc = 0;

    for (i = 0; i < n; i++)
        if (enc[i] == XM_ENC_LZ4 || enc[i] == XM_ENC_ZSTD) {
            benc = enc[i];
            nblk++;
        }
    for (i = 0; i < n; i++) {
        uint8_t *page = out + (size_t)i * PAGE;
        uint32_t len;

        switch (enc[i]) {
        case XM_ENC_ZERO:
            memset(page, 0, PAGE);
            break;
        case XM_ENC_RAW:
            memcpy(page, pl, PAGE);
            pl += PAGE;
            break;
        case XM_ENC_DELTA:
            len = get_u32(pl);
            if (xm_delta_apply(page, pl + 4, len)) {
                fprintf(stderr, "codecbench: delta refused\n");
                exit(1);
            }
            pl += 4 + len;
            break;
        default:
            if (b == 0) {
                const struct xm_block_codec_ops *o =
                    benc == XM_ENC_LZ4 ? &xm_codec_lz4 : &xm_codec_zstd;

                len = get_u32(pl);
                if (o->decompress(st[benc == XM_ENC_ZSTD], pl + 4, len,
                                  block, (size_t)nblk * PAGE)) {
                    fprintf(stderr, "codecbench: block refused\n");
                    exit(1);
                }
                pl += 4 + len;
            }
            memcpy(page, block + (size_t)b++ * PAGE, PAGE);
            break;
        }
    }
    if (pl != end) {
        fprintf(stderr, "codecbench: payload length mismatch\n");
        exit(1);
    }
}

/*
 * The engine's encoder in mode @spec over @pages pages at @src (pass
 * @iteration; for pass 1 the encoder first sees @prev as pass 0, and
 * the decode starts from @prev). @link: bytes/s of the made-up link
 * (0: none).
 */
static void bench_encoder(const char *name, const char *set,
                          const char *spec, const uint8_t *prev,
                          const uint8_t *src, size_t pages, double link,
                          unsigned runs)
{
    size_t len = pages * PAGE, wire = 0, pl_total = 0;
    uint8_t *enc = malloc(pages), *pl = xmalloc(len + pages * 8 + 4096);
    size_t *pl_off = malloc((pages / XM_PAGES_MAX + 2) * sizeof(size_t));
    uint8_t *out = xmalloc(len);
    uint64_t pfns[XM_PAGES_MAX], best_e = UINT64_MAX, best_d = UINT64_MAX;
    uint64_t best_c = UINT64_MAX;
    struct iovec iov[2 * XM_PAGES_MAX + 2];
    void *pp[XM_PAGES_MAX], *st[2] = { NULL, NULL };
    struct xm_codec_stats cs;
    struct xm_compress c;
    struct xm_encoder *e;
    unsigned r, pass, niov, j;
    size_t i, nrec;

    if (xm_compress_parse(spec, &c) ||
        xm_codec_lz4.new_state(0, &st[0]) ||
        xm_codec_zstd.new_state(0, &st[1])) {
        fprintf(stderr, "codecbench: cannot set up \"%s\"\n", spec);
        exit(1);
    }
    c.cache_bytes = len + PAGE;
    for (r = 0; r < runs; r++) {
        uint64_t t = 0, t0, cpu = 0, c0;

        if (xm_encoder_new(&c, c.features, pages, &e)) {
            fprintf(stderr, "codecbench: cannot make an encoder\n");
            exit(1);
        }
        pl_total = wire = nrec = 0;
        for (pass = prev ? 0 : 1; pass < 2; pass++) {
            const uint8_t *from = pass ? src : prev;

            for (i = 0; i < pages; i += XM_PAGES_MAX) {
                unsigned n = pages - i < XM_PAGES_MAX ? (unsigned)(pages - i)
                                                      : XM_PAGES_MAX;
                size_t bytes = 0;

                for (j = 0; j < n; j++) {
                    pfns[j] = i + j;
                    pp[j] = (void *)(from + (i + j) * PAGE);
                }
                c0 = cpu_ns();
                t0 = xm__now_ns();
                /* the encoder caches pages from their second sending
                 * on, so @prev goes as pass 1 and @src as pass 2 */
                xm_encoder_batch(e, prev ? pass + 1 : 0, pfns, pp, n, false,
                                 enc + i, iov, &niov);
                if (pass) {
                    t += xm__now_ns() - t0;
                    cpu += cpu_ns() - c0;
                }
                for (j = 0; j < niov; j++) {
                    if (pass)
                        memcpy(pl + pl_total + bytes, iov[j].iov_base,
                               iov[j].iov_len);
                    bytes += iov[j].iov_len;
                }
                if (link > 0)
                    xm_encoder_link_sample(e, bytes + 9ull * n,
                                           (uint64_t)((bytes + 9.0 * n) /
                                                      link * 1e9));
                if (pass) {
                    pl_off[nrec++] = pl_total;
                    pl_total += bytes;
                    wire += bytes + 9 * n;
                }
            }
        }
        pl_off[nrec] = pl_total;
        best_e = t < best_e ? t : best_e;
        best_c = cpu < best_c ? cpu : best_c;
        xm_encoder_stats(e, &cs);
        xm_encoder_free(e);

        memcpy(out, prev ? prev : src, len);
        if (!prev)
            memset(out, 0xaa, len);
        t0 = xm__now_ns();
        for (i = 0, j = 0; i < pages; i += XM_PAGES_MAX, j++) {
            unsigned n = pages - i < XM_PAGES_MAX ? (unsigned)(pages - i)
                                                  : XM_PAGES_MAX;

            decode_record(enc + i, n, pl + pl_off[j],
                          pl_off[j + 1] - pl_off[j], out + i * PAGE, st);
        }
        t0 = xm__now_ns() - t0;
        best_d = t0 < best_d ? t0 : best_d;
        check_same(out, src, len, name, set);
    }
    report(name, set, "encode", mbps(len, best_e), "MB/s");
    report(name, set, "encode_cpu", mbps(len, best_c), "MB/s");
    report(name, set, "decode", mbps(len, best_d), "MB/s");
    report(name, set, "ratio", (double)len / (double)wire, "x");
    report(name, set, "sent", 100.0 * (double)wire / (double)len, "%");
    printf("%s_%s_pages zero %llu delta %llu lz4 %llu zstd %llu raw %llu\n",
           name, set, (unsigned long long)cs.pages[XM_ENC_ZERO],
           (unsigned long long)cs.pages[XM_ENC_DELTA],
           (unsigned long long)cs.pages[XM_ENC_LZ4],
           (unsigned long long)cs.pages[XM_ENC_ZSTD],
           (unsigned long long)cs.pages[XM_ENC_RAW]);
    xm_codec_lz4.free_state(st[0]);
    xm_codec_zstd.free_state(st[1]);
    free(enc);
    free(pl);
    free(pl_off);
    free(out);
}

static void bench_image(const char *path, unsigned long max_mib,
                        unsigned long mib, double link, struct blk *blks,
                        unsigned nblks, size_t per, unsigned runs)
{
    static const char *const modes[][2] = {
        { "enc-zero", "zero" },   { "enc-lz4", "lz4" },
        { "enc-zstd1", "zstd" },  { "enc-zstd3", "zstd:3" },
        { "enc-auto1g", "auto" }, { "enc-autoL", "auto" },
    };
    size_t pages;
    uint8_t *img = load_image(path, max_mib, &pages);
    struct set s = { "img", img, img, pages };
    unsigned j;

    printf("image_pages %zu pages\nimage_link_L %.0f B/s\n", pages, link);
    bench_zero(img, pages, mib, runs);
    make_image_redirty(&s, img, pages, (size_t)mib * 256);
    bench_delta(&s, runs);
    bench_encoder("enc-auto1g", "imgredirty", "auto", s.old, s.new, s.pages,
                  125e6, runs);
    free_set(&s);
    s = (struct set){ "img", img, img, pages };
    for (j = 0; j < nblks; j++)
        bench_block(&blks[j], &s, per, runs);
    for (j = 0; j < sizeof(modes) / sizeof(modes[0]); j++)
        bench_encoder(modes[j][0], "img", modes[j][1], NULL, img, pages,
                      !strcmp(modes[j][0], "enc-auto1g") ? 125e6
                      : !strcmp(modes[j][0], "enc-autoL") ? link : 0,
                      runs);
    free(img);
}

static void usage(void)
{
    fprintf(stderr, "usage: codecbench [-m MiB per set] [-r runs] "
                    "[-b pages per block] [-i IMAGE [-M MiB] [-L link B/s]]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const char *const sets[] = { "zero", "random", "text", "redirty",
                                        "onebyte" };
    struct blk blks[4] = {
        { "lz4", ops_bound, ops_comp, ops_decomp, &xm_codec_lz4, NULL },
        { "zstd1", ops_bound, ops_comp, ops_decomp, &xm_codec_zstd, NULL },
        { "zstd3", ops_bound, ops_comp, ops_decomp, &xm_codec_zstd, NULL },
        { "zlib1", zlib_bound, zlib_comp, zlib_decomp, NULL, NULL },
    };
    unsigned long mib = 64, runs = 3, per = 64, max_mib = 0;
    unsigned nblks = 3, i, j;
    const char *image = NULL;
    double link = 1.25e9;
    int opt;

    while ((opt = getopt(argc, argv, "m:r:b:i:M:L:h")) != -1) {
        switch (opt) {
        case 'i':
            image = optarg;
            break;
        case 'M':
            max_mib = strtoul(optarg, NULL, 0);
            break;
        case 'L':
            link = strtod(optarg, NULL);
            break;
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
    for (i = 0; i < 3; i++)
        if (blks[i].ops->new_state(i == 2 ? 3 : 0, &blks[i].state)) {
            fprintf(stderr, "codecbench: cannot make %s state\n",
                    blks[i].name);
            return 1;
        }
    if (zlib_load())
        nblks = 4;
    else
        printf("zlib1_skipped 1 bool\n");
    printf("set_size %lu MiB\nblock_pages %lu pages\n", mib, per);
    if (image) {
        bench_image(image, max_mib, mib, link, blks, nblks, per,
                    (unsigned)runs);
        for (i = 0; i < 3; i++)
            blks[i].ops->free_state(blks[i].state);
        return 0;
    }

    for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        struct set s;

        make_set(&s, sets[i], mib * 256);
        bench_delta(&s, (unsigned)runs);
        for (j = 0; j < nblks; j++)
            bench_block(&blks[j], &s, per, (unsigned)runs);
        free_set(&s);
    }
    bench_delta_hot();
    for (i = 0; i < 3; i++)
        blks[i].ops->free_state(blks[i].state);
    return 0;
}
