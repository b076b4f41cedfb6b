/*
 * encoder.c - per page and per batch, the cheapest way to send it (the
 * rules are in encoder.h), and --compress parsing.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec-zero.h"
#include "codec.h"
#include "encoder.h"
#include "private.h"

#define PS XM_CODEC_PAGE

/* What a hole (a NULL page) holds; never written. */
static const uint8_t zero_page[PS] __attribute__((aligned(64)));
#define NO_CODEC -1
#define EWMA(old, new) ((old) ? ((old) * 3 + (new)) / 4 : (new))

/* What is known of one block codec's cost and gain. */
struct estimate {
    double ns_per_byte;       /* compression time per input byte */
    double ratio;             /* output / input */
    uint64_t last_batch;      /* batch it last compressed */
    bool measured;            /* the two above mean something */
};

/* The buffers one batch's payload points into. */
struct slot {
    uint8_t *copies;                         /* per page: a stable copy */
    uint8_t *deltas;                         /* per page: u32 len + runs */
    uint8_t *bulk;                           /* bulk pages, contiguous */
    uint8_t *block;                          /* u32 len + compressed */
};

struct xm_encoder {
    struct xm_compress c;                    /* what the caller allowed */
    uint64_t features;                       /* agreed with the receiver */
    struct xm_delta_cache *cache;            /* NULL without delta */
    const struct xm_block_codec_ops *ops[XM_ENCODER_CODECS]; /* allowed */
    void *state[XM_ENCODER_CODECS];          /* their contexts */
    struct estimate est[XM_ENCODER_CODECS];  /* their measured figures */
    unsigned nops;                           /* how many */
    double link_ns_per_byte;                 /* measured write speed */
    double pipe_ns[2];                       /* per input byte, whole
                                                pipeline: [0] raw batches,
                                                [1] block-coded ones */
    uint64_t pipe_batch[2];                  /* batch of their last sample */
    unsigned probe;                          /* batches left of a probe */
    bool probe_coded;                        /* what the probe runs */
    bool verdict_raw;                        /* coded measured slower */
    double link_floor;                       /* ns per byte of a capped
                                                link, 0: none */
    unsigned probe_every;                    /* batches between probes */
    uint64_t batches;                        /* batches encoded */
    struct xm_codec_stats st;                /* totals */
    struct slot slot[XM_ENCODER_SLOTS];      /* used in turn, per batch */
    struct slot *cur;                        /* this batch's */
    unsigned calls;                          /* batches encoded, all modes */
    size_t block_cap;                        /* each block's capacity */
    unsigned bulk_idx[XM_PAGES_MAX];         /* which pages are bulk */
};

int xm_compress_parse(const char *spec, struct xm_compress *c)
{
    const char *colon = strchr(spec, ':');
    size_t name_len = colon ? (size_t)(colon - spec) : strlen(spec);
    int level = 0;

    memset(c, 0, sizeof(*c));
    if (colon) {
        char *end;
        long l = strtol(colon + 1, &end, 10);

        if (!colon[1] || *end || l < 1 || l > 22)
            return -EINVAL;
        level = (int)l;
    }
#define IS(name) (name_len == strlen(name) && !strncmp(spec, name, name_len))
    if (IS("auto") && !colon) {
        c->features = XM_FEAT_ZERO_PAGES | XM_FEAT_DELTA | XM_FEAT_LZ4 |
                      XM_FEAT_ZSTD;
        c->automatic = true;
    } else if (IS("none") && !colon) {
        c->features = 0;
    } else if (IS("zero") && !colon) {
        c->features = XM_FEAT_ZERO_PAGES;
    } else if (IS("delta") && !colon) {
        c->features = XM_FEAT_ZERO_PAGES | XM_FEAT_DELTA;
    } else if (IS("lz4")) {
        c->features = XM_FEAT_ZERO_PAGES | XM_FEAT_LZ4;
        c->lz4_level = level;
    } else if (IS("zstd")) {
        c->features = XM_FEAT_ZERO_PAGES | XM_FEAT_ZSTD;
        c->zstd_level = level;
    } else {
        return -EINVAL;
    }
#undef IS
    return 0;
}

static int add_codec(struct xm_encoder *e, const struct xm_block_codec_ops *o,
                     int level)
{
    int rc = o->new_state(level, &e->state[e->nops]);

    if (rc)
        return rc;
    e->ops[e->nops++] = o;
    if (o->bound(XM_PAGES_MAX * PS) + 4 > e->block_cap)
        e->block_cap = o->bound(XM_PAGES_MAX * PS) + 4;
    return 0;
}

int xm_encoder_new(const struct xm_compress *c, uint64_t features,
                   uint64_t nr_pfns, struct xm_encoder **enc_r)
{
    struct xm_encoder *e = calloc(1, sizeof(*e));
    int rc = -ENOMEM;
    unsigned i;

    if (!e)
        return -ENOMEM;
    e->c = *c;
    e->features = features & c->features;
    if (e->features & XM_FEAT_DELTA) {
        uint64_t bytes = c->cache_bytes;

        if (!bytes) {
            bytes = nr_pfns * PS / 20;
            if (bytes > (64u << 20))
                bytes = 64u << 20;
        }
        rc = xm_delta_cache_new(bytes, &e->cache);
        if (rc)
            goto fail;
    }
    if ((e->features & XM_FEAT_LZ4) &&
        (rc = add_codec(e, &xm_codec_lz4, c->lz4_level)))
        goto fail;
    if ((e->features & XM_FEAT_ZSTD) &&
        (rc = add_codec(e, &xm_codec_zstd,
                        c->automatic && !c->zstd_level ? XM_ENCODER_AUTO_ZSTD
                                                       : c->zstd_level)))
        goto fail;
    rc = -ENOMEM;
    for (i = 0; i < XM_ENCODER_SLOTS; i++) {
        struct slot *sl = &e->slot[i];

        sl->copies = aligned_alloc(PS, (size_t)XM_PAGES_MAX * PS);
        sl->deltas = malloc((size_t)XM_PAGES_MAX * (4 + XM_DELTA_MAX));
        if (e->nops) {
            sl->bulk = aligned_alloc(PS, (size_t)XM_PAGES_MAX * PS);
            sl->block = malloc(e->block_cap);
        }
        if (!sl->copies || !sl->deltas ||
            (e->nops && (!sl->bulk || !sl->block)))
            goto fail;
    }
    *enc_r = e;
    return 0;
fail:
    xm_encoder_free(e);
    return rc;
}

void xm_encoder_free(struct xm_encoder *e)
{
    unsigned i;

    if (!e)
        return;
    for (i = 0; i < e->nops; i++)
        e->ops[i]->free_state(e->state[i]);
    xm_delta_cache_free(e->cache);
    for (i = 0; i < XM_ENCODER_SLOTS; i++) {
        free(e->slot[i].copies);
        free(e->slot[i].deltas);
        free(e->slot[i].bulk);
        free(e->slot[i].block);
    }
    free(e);
}

void xm_encoder_link_sample(struct xm_encoder *e, uint64_t bytes,
                            uint64_t ns)
{
    /* Small writes land in the socket buffer and say nothing of the link. */
    if (bytes < (256u << 10))
        return;
    e->link_ns_per_byte = EWMA(e->link_ns_per_byte, (double)ns / bytes);
}

double xm__encoder_share(double cpu, double ratio, double link)
{
    if (cpu <= ratio * link)
        return 1;
    if (ratio >= 1)
        return 0;
    return link / (cpu + link * (1 - ratio));
}

int xm__encoder_pick(unsigned n, const double *cpu, const double *ratio,
                     double link, double *share_r)
{
    double cost, share[XM_ENCODER_CODECS];
    double best_cost = link; /* raw: one byte on the link per byte */
    int best = NO_CODEC;
    unsigned k;

    assert(n <= XM_ENCODER_CODECS);
    for (k = 0; k < n; k++) {
        share[k] = xm__encoder_share(cpu[k], ratio[k], link);
        if (share[k] >= 1)
            cost = cpu[k] > ratio[k] * link ? cpu[k] : ratio[k] * link;
        else
            cost = cpu[k] * share[k];
        if (share[k] > 0 && cost < best_cost) {
            best_cost = cost;
            best = (int)k;
        }
    }
    if (best != NO_CODEC)
        *share_r = share[best];
    return best;
}

/*
 * Auto's model (xm__encoder_pick()) sees the sender's CPU and the write
 * speed; what really bounds a pass can be past the link (a receiver
 * giving a new guest its memory, decoding on a core the sender also
 * needs). So the whole pipeline's measured speed has the last word:
 * coded batches lose once they have run more than 10% slower than raw
 * ones, and the kind not in use gets a probe of XM_ENCODER_PIPE_PROBE
 * batches, XM_ENCODER_PIPE_FIRST batches in and then ever less often
 * while the verdict holds (a probe of raw on a slow link costs). True:
 * this batch may be coded.
 */
static bool pipe_allows_codec(struct xm_encoder *e)
{
    bool raw = e->pipe_ns[0] > 0 && e->pipe_ns[1] > e->pipe_ns[0] * 1.1;
    bool coded = !raw;

    if (raw != e->verdict_raw || !e->probe_every) {
        e->verdict_raw = raw;
        e->probe_every = XM_ENCODER_PIPE_FIRST;
    }
    /* raw cannot beat coded batches already faster than the cap */
    if (coded && e->link_floor > 0 && e->pipe_ns[1] > 0 &&
        e->pipe_ns[1] * 1.1 < e->link_floor)
        e->pipe_batch[0] = e->batches;
    if (!e->probe && e->pipe_ns[coded] > 0 &&
        e->batches - e->pipe_batch[!coded] >= e->probe_every) {
        e->probe = XM_ENCODER_PIPE_PROBE;
        e->probe_coded = !coded;
        e->pipe_batch[!coded] = e->batches; /* once per period */
        if (e->probe_every < XM_ENCODER_PIPE_MAX)
            e->probe_every *= 2;
    }
    if (e->probe) {
        e->probe--;
        coded = e->probe_coded;
    }
    return coded;
}

/*
 * Which block codec for the bulk, or NO_CODEC for raw; *share_r: the
 * part of the bulk it compresses (xm__encoder_pick()). Each codec is
 * tried on its own first, and again when its figures are stale, unless
 * the pipeline says raw (pipe_allows_codec()).
 */
static int choose(struct xm_encoder *e, double *share_r)
{
    double cpu[XM_ENCODER_CODECS], ratio[XM_ENCODER_CODECS];
    unsigned k;

    *share_r = 1;
    if (!e->nops)
        return NO_CODEC;
    if (!e->c.automatic)
        return 0;
    e->batches++;
    if (!pipe_allows_codec(e))
        return NO_CODEC;
    for (k = 0; k < e->nops; k++) {
        if (!e->est[k].measured ||
            e->batches - e->est[k].last_batch >= XM_ENCODER_RESAMPLE)
            return (int)k;
        cpu[k] = e->est[k].ns_per_byte;
        ratio[k] = e->est[k].ratio;
    }
    if (e->link_ns_per_byte <= 0)
        return 0;
    return xm__encoder_pick(e->nops, cpu, ratio, e->link_ns_per_byte,
                            share_r);
}

void xm_encoder_link_limit(struct xm_encoder *e, uint64_t bytes_per_s)
{
    e->link_floor = bytes_per_s ? 1e9 / (double)bytes_per_s : 0;
}

void xm_encoder_pipe_sample(struct xm_encoder *e, bool coded,
                            uint64_t in_bytes, uint64_t ns)
{
    if (!in_bytes)
        return;
    e->pipe_ns[coded] = EWMA(e->pipe_ns[coded], (double)ns / in_bytes);
    e->pipe_batch[coded] = e->batches;
}

/* Compress the bulk pages; true if the block is worth sending. */
static bool compress_bulk(struct xm_encoder *e, int k, uint8_t *const *src,
                          unsigned nb, uint32_t *clen_r)
{
    size_t len = (size_t)nb * PS;
    uint64_t t0 = xm__thread_cpu_ns(), ns;
    bool fresh = !e->est[k].measured ||
                 e->batches - e->est[k].last_batch >= XM_ENCODER_RESAMPLE;
    uint8_t *bulk = e->cur->bulk;
    unsigned i;
    long r;

    for (i = 0; i < nb; i++)
        if (src[i] != bulk + (size_t)i * PS)
            memcpy(bulk + (size_t)i * PS, src[i], PS);
    r = e->ops[k]->compress(e->state[k], bulk, len, e->cur->block + 4,
                            e->block_cap - 4);
    ns = xm__thread_cpu_ns() - t0;
    e->st.codec_ns += ns;
    e->est[k].last_batch = e->batches;
    if (r < 0)
        return false;
    e->est[k].ns_per_byte =
        fresh ? (double)ns / len
              : (e->est[k].ns_per_byte * 3 + (double)ns / len) / 4;
    e->est[k].ratio = fresh ? (double)r / len
                            : (e->est[k].ratio * 3 + (double)r / len) / 4;
    e->est[k].measured = true;
    if ((size_t)r + 4 >= len)
        return false;
    *clen_r = (uint32_t)r;
    return true;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Append @len bytes at @p to the iovec list, merging with the last. */
static void add_iov(struct iovec *iov, unsigned *n, void *p, size_t len)
{
    if (*n && (uint8_t *)iov[*n - 1].iov_base + iov[*n - 1].iov_len == p) {
        iov[*n - 1].iov_len += len;
        return;
    }
    iov[*n].iov_base = p;
    iov[*n].iov_len = len;
    (*n)++;
}

int xm_encoder_batch(struct xm_encoder *e, unsigned iteration,
                     const uint64_t *pfns, void *const *pages, unsigned n,
                     bool stable, uint8_t *enc, struct iovec *iov,
                     unsigned *niov_r)
{
    struct slot *sl = &e->slot[e->calls++ % XM_ENCODER_SLOTS];
    uint8_t *src[XM_PAGES_MAX];
    uint64_t t0 = xm__thread_cpu_ns();
    unsigned i, nb = 0, nc, niov = 0;
    double share = 1;
    uint32_t clen = 0;
    uint8_t bulk_enc = XM_ENC_RAW;
    bool block_sent = false;
    int k;

    e->cur = sl;
    for (i = 0; i < n; i++) {
        uint8_t *page = pages[i] ? pages[i] : (uint8_t *)zero_page, *old = NULL;
        uint8_t *d = sl->deltas + (size_t)i * (4 + XM_DELTA_MAX);
        int r;

        if ((e->features & XM_FEAT_ZERO_PAGES) &&
            (!pages[i] || xm_page_is_zero(page))) {
            enc[i] = XM_ENC_ZERO;
            if (e->cache)
                xm_delta_cache_drop(e->cache, pfns[i]);
            continue;
        }
        if (e->cache && iteration > 0)
            old = xm_delta_cache_lookup(e->cache, pfns[i]);
        src[i] = page;
        if (!stable) {
            /*
             * The stable copy of a page that will not go as a delta is
             * made where the block codec reads it, so compress_bulk()
             * need not copy it again.
             */
            src[i] = old || !sl->bulk ? sl->copies + (size_t)i * PS
                                      : sl->bulk + (size_t)nb * PS;
            memcpy(src[i], page, PS);
        }
        if (e->cache && iteration > 0) {
            if (old) {
                r = xm_delta_encode(old, src[i], d + 4);
                if (!stable)
                    memcpy(old, src[i], PS);
                if (r >= 0) {
                    put_u32(d, (uint32_t)r);
                    enc[i] = XM_ENC_DELTA;
                    continue;
                }
                xm_delta_cache_overflow(e->cache);
            } else if (!stable) {
                /*
                 * Cache it for next time; in the final pass (the guest is
                 * stopped) there is no next time, and the copy would only
                 * lengthen the downtime.
                 */
                memcpy(xm_delta_cache_insert(e->cache, pfns[i]), src[i], PS);
            }
        }
        enc[i] = XM_ENC_RAW;
        e->bulk_idx[nb++] = i;
    }
    e->st.codec_ns += xm__thread_cpu_ns() - t0;

    k = nb ? choose(e, &share) : NO_CODEC;
    /* a compressor slower than the link takes the first pages only */
    nc = share >= 1 ? nb : (unsigned)(share * nb + 0.5);
    if (k != NO_CODEC && nc) {
        uint8_t *bsrc[XM_PAGES_MAX];

        for (i = 0; i < nc; i++)
            bsrc[i] = src[e->bulk_idx[i]];
        if (compress_bulk(e, k, bsrc, nc, &clen)) {
            bulk_enc = e->ops[k]->encoding;
            put_u32(sl->block, clen);
            for (i = 0; i < nc; i++)
                enc[e->bulk_idx[i]] = bulk_enc;
        }
    }

    for (i = 0; i < n; i++) {
        uint8_t *d = sl->deltas + (size_t)i * (4 + XM_DELTA_MAX);
        size_t len;

        e->st.pages[enc[i]]++;
        e->st.raw_bytes += PS;
        switch (enc[i]) {
        case XM_ENC_ZERO:
            len = 0;
            break;
        case XM_ENC_DELTA:
            len = 4 + ((uint32_t)d[0] | (uint32_t)d[1] << 8 |
                       (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24);
            add_iov(iov, &niov, d, len);
            break;
        case XM_ENC_RAW:
            len = PS;
            add_iov(iov, &niov, src[i], len);
            break;
        default: /* the block, where the first bulk page would be */
            len = 0;
            if (!block_sent) {
                len = 4 + clen;
                add_iov(iov, &niov, sl->block, len);
                block_sent = true;
            }
            break;
        }
        e->st.payload_bytes += len;
    }
    if (e->cache) {
        struct xm_delta_stats ds;

        xm_delta_cache_stats(e->cache, &ds);
        e->st.delta_hits = ds.hits;
        e->st.delta_misses = ds.misses;
        e->st.delta_overflows = ds.overflows;
        e->st.delta_evictions = ds.evictions;
    }
    *niov_r = niov;
    return 0;
}

void xm_encoder_stats(const struct xm_encoder *e, struct xm_codec_stats *st_r)
{
    *st_r = e->st;
}
