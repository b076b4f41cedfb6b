/*
 * restore.c - the receiving side: build a domain from a stream.
 *
 * Entry point: xm_receive(). The order things happen in:
 *   1. image header; READY with the features we accept (live)
 *   2. FEATURES (the set in use), DOMAIN_HEADER, DOMAIN_CONFIG: the
 *      domain is created, paused, with zeroed RAM
 *   3. PAGES, any number, written straight into guest memory
 *   4. VCPU_STATE, PLATFORM_STATE, VERIFY (digest compared), END
 *   5. live: COMPLETE, wait for GO, unpause, DONE; file: unpause
 * Anything wrong (a record out of order, a bad CRC, a pfn out of range,
 * an encoding not agreed, the sender gone before GO) destroys the domain
 * built so far and, live, tells the sender why in an ERROR message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend.h"
#include "codec.h"
#include "private.h"
#include "stream.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long))

/* What this receiver can decode: all it knows, less what its backend
 * cannot honour (backend.h, features). */
#define SUPPORTED_FEATURES(r) (XM_FEAT_KNOWN & (r)->be->ops->features)

struct receiver {
    struct xm_backend *be;             /* the destination hypervisor */
    struct xm_logger *lg;              /* where we log */
    const struct xm_receive_params *p; /* the caller's options */
    const struct xm_hooks *hooks;      /* progress, cancel */
    struct xm_stream in;               /* records from the sender */
    struct xm_stream back;             /* our replies (live only) */
    bool live;                         /* there is a back channel */
    uint64_t offered, accepted;        /* features in the header, agreed */
    uint64_t features;                 /* in use (FEATURES record) */
    bool have_features;                /* FEATURES seen */
    struct xm_rec_domain_header dh;    /* DOMAIN_HEADER */
    bool have_header;                  /* DOMAIN_HEADER seen */
    bool have_vcpu, have_platform;     /* state records seen */
    bool created;                      /* domid is ours to destroy */
    uint32_t cpu_cap;                  /* SCHED: the source's cap, 0 none */
    char name[64];                     /* the domain's name once it runs */
    uint32_t domid;                    /* the domain being built */
    unsigned long *nonzero;            /* pages that may hold data */
    bool verified;                     /* VERIFY matched */
    uint64_t verify_ns;                /* time spent on the digest */
    struct xm_summary *sum;            /* what we report */
    char errmsg[512];                  /* first error, for the sender */
    char phase[40];                    /* what we were doing, for errors */
    unsigned page_records;             /* PAGES records so far */
    /* one batch */
    uint64_t words[XM_PAGES_MAX];      /* pfn | type << 60 */
    uint64_t pfns[XM_PAGES_MAX];       /* pfns only */
    uint8_t enc[XM_PAGES_MAX + 8];     /* encodings */
    void *pages[XM_PAGES_MAX];         /* their mappings */
    int errs[XM_PAGES_MAX];            /* per-page map errors */
    struct iovec iov[XM_PAGES_MAX];    /* where raw page data goes */
    uint8_t *block_in;                 /* a compressed block or a delta */
    uint8_t *block_out;                /* a block's decompressed pages */
    void *codec_state[2];              /* lz4, zstd decoders */
};

static int fail(struct receiver *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Remember and log the first error; return @rc. */
static int fail(struct receiver *r, int rc, const char *fmt, ...)
{
    va_list ap;

    if (!r->errmsg[0]) {
        int n = snprintf(r->errmsg, sizeof(r->errmsg), "during %s: ",
                         r->phase);

        va_start(ap, fmt);
        vsnprintf(r->errmsg + n, sizeof(r->errmsg) - n, fmt, ap);
        va_end(ap);
        LOG(r->lg, XM_LOG_ERROR, "%s", r->errmsg);
    }
    return rc;
}

static int stream_fail(struct receiver *r, struct xm_stream *st)
{
    return fail(r, xm_stream_error(st), "%s", xm_stream_error_msg(st));
}

/* Run the fault points of @phase (fault.c): drop or corrupt on request. */
static void fault_point(struct receiver *r, const char *phase)
{
    unsigned a = xm__fault_phase(r->lg, "%s", phase);

    if (a & XM_FAULT_DROP)
        xm__fault_cut(r->in.fd, r->back.fd);
    if (a & XM_FAULT_CORRUPT)
        r->back.corrupt_next = true;
}

static int reply(struct receiver *r, uint32_t type, const void *body,
                 uint32_t len)
{
    if (!r->live)
        return 0;
    if (xm_stream_write_simple(&r->back, type, body, len))
        return stream_fail(r, &r->back);
    return 0;
}

static int on_features(struct receiver *r, const void *body, uint32_t len)
{
    struct xm_rec_features f;
    uint64_t allowed =
        r->live ? r->accepted : r->offered & SUPPORTED_FEATURES(r);

    if (len != sizeof(f))
        return fail(r, -EPROTO, "FEATURES record has %u bytes, expected %zu",
                    len, sizeof(f));
    memcpy(&f, body, sizeof(f));
    if (f.features & ~allowed)
        return fail(r, -EPROTO,
                    "the stream uses features 0x%llx that were not agreed (agreed: 0x%llx)",
                    (unsigned long long)(f.features & ~allowed),
                    (unsigned long long)allowed);
    r->features = f.features;
    r->have_features = true;
    return 0;
}

static int on_domain_header(struct receiver *r, const void *body,
                            uint32_t len)
{
    const char *want = xm_backend_name(r->be);

    if (!r->have_features)
        return fail(r, -EPROTO, "DOMAIN_HEADER before FEATURES");
    if (r->have_header)
        return fail(r, -EPROTO, "a second DOMAIN_HEADER");
    if (len != sizeof(r->dh))
        return fail(r, -EPROTO,
                    "DOMAIN_HEADER record has %u bytes, expected %zu", len,
                    sizeof(r->dh));
    memcpy(&r->dh, body, sizeof(r->dh));
    r->dh.name[sizeof(r->dh.name) - 1] = '\0';
    r->dh.backend[sizeof(r->dh.backend) - 1] = '\0';
    if (r->dh.page_shift != XM_PAGE_SHIFT)
        return fail(r, -EPROTO, "the stream's page size is 2^%u, not 4096",
                    r->dh.page_shift);
    if (r->dh.nr_pfns == 0 || r->dh.nr_pfns > (1ull << 40))
        return fail(r, -EPROTO, "the stream's domain has %llu pages",
                    (unsigned long long)r->dh.nr_pfns);
    if (strcmp(r->dh.backend, want) != 0)
        return fail(r, -EPROTO,
                    "the stream carries a \"%s\" domain; this host's backend is \"%s\"",
                    r->dh.backend, want);
    r->sum->guest_pages = r->dh.nr_pfns;
    r->have_header = true;
    return 0;
}

static int on_domain_config(struct receiver *r, const void *body,
                            uint32_t len)
{
    const char *final = r->p->rename ? r->p->rename : r->dh.name;
    char name[80];
    int rc;

    if (!r->have_header)
        return fail(r, -EPROTO, "DOMAIN_CONFIG before DOMAIN_HEADER");
    if (r->created)
        return fail(r, -EPROTO, "a second DOMAIN_CONFIG");
    /*
     * Built under a name of its own, as xl does, so a migration to the
     * same host (the source still has the name) works, and 'xenmig list'
     * shows what is only half there. It takes its name after GO.
     */
    if (strlen(final) + strlen("--incoming") >= sizeof(r->name))
        return fail(r, -ENAMETOOLONG,
                    "domain name \"%s\" is too long: at most %zu characters, so that \"%s--incoming\" fits",
                    final, sizeof(r->name) - 1 - strlen("--incoming"), final);
    snprintf(r->name, sizeof(r->name), "%s", final);
    snprintf(name, sizeof(name), "%s--incoming", final);
    rc = r->be->ops->create(r->be, name, body, len, r->dh.nr_pfns,
                            &r->domid);
    if (rc)
        return fail(r, rc, "cannot create domain \"%s\" (%llu MiB): %s",
                    name, (unsigned long long)(r->dh.nr_pfns >> 8),
                    strerror(-rc));
    r->created = true;
    /*
     * Sized by the stream's nr_pfns, so only once the host has made a
     * domain that large: a 6 KiB stream whose DOMAIN_HEADER claimed 2^35
     * pages had us calloc 4 GiB (2^40 pages: 128 GiB) in on_domain_header
     * before anything checked the size (fuzz-receive's malloc limit
     * reports it; tests/fuzz/regress/fuzz-receive/huge-nr-pfns-*). The
     * domain is ours now, so a failure here destroys it.
     */
    r->nonzero = calloc((r->dh.nr_pfns + BITS_PER_LONG - 1) / BITS_PER_LONG,
                        sizeof(unsigned long));
    if (!r->nonzero)
        return fail(r, -ENOMEM, "out of memory for a page bitmap");
    LOGD(r->lg, XM_LOG_INFO, r->domid, "receiving domain \"%s\" (%llu MiB)",
         name, (unsigned long long)(r->dh.nr_pfns >> 8));
    fault_point(r, "after-header");
    return 0;
}

/* The decoder of a block encoding, or NULL. */
static const struct xm_block_codec_ops *block_ops(uint8_t enc)
{
    return enc == XM_ENC_LZ4 ? &xm_codec_lz4
         : enc == XM_ENC_ZSTD ? &xm_codec_zstd : NULL;
}

/* Is encoding @enc allowed by the features in use? */
static bool agreed(const struct receiver *r, uint8_t enc)
{
    switch (enc) {
    case XM_ENC_RAW:
        return true;
    case XM_ENC_ZERO:
        return r->features & XM_FEAT_ZERO_PAGES;
    case XM_ENC_DELTA:
        return r->features & XM_FEAT_DELTA;
    case XM_ENC_LZ4:
        return r->features & XM_FEAT_LZ4;
    case XM_ENC_ZSTD:
        return r->features & XM_FEAT_ZSTD;
    }
    return false;
}

static int read_u32(struct receiver *r, uint32_t *v)
{
    uint8_t b[4];

    if (xm_stream_read_body(&r->in, b, 4))
        return stream_fail(r, &r->in);
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
    return 0;
}

/* Read the raw pages gathered in r->iov so far. */
static int flush_raw(struct receiver *r, unsigned *niov)
{
    if (*niov && xm_stream_readv_body(&r->in, r->iov, *niov))
        return stream_fail(r, &r->in);
    *niov = 0;
    return 0;
}

/*
 * The block of encoding @enc in this record: read it and decompress all
 * @pages of it to @out.
 */
static int read_block(struct receiver *r, uint8_t enc, unsigned pages,
                      uint64_t first_pfn, uint8_t *out)
{
    const struct xm_block_codec_ops *o = block_ops(enc);
    unsigned k = enc == XM_ENC_LZ4 ? 0 : 1;
    uint32_t clen;
    int rc;

    rc = read_u32(r, &clen);
    if (rc)
        return rc;
    if (clen == 0 || clen > o->bound((size_t)pages * XM_PAGE_SIZE))
        return fail(r, -EPROTO,
                    "PAGES record at offset 0x%llx: %s block of %u bytes for %u pages",
                    (unsigned long long)r->in.cur_offset, o->name, clen,
                    pages);
    if (!r->codec_state[k] && (rc = o->new_state(0, &r->codec_state[k])))
        return fail(r, rc, "cannot set up the %s decoder", o->name);
    if (xm_stream_read_body(&r->in, r->block_in, clen))
        return stream_fail(r, &r->in);
    rc = o->decompress(r->codec_state[k], r->block_in, clen, out,
                       (size_t)pages * XM_PAGE_SIZE);
    if (rc)
        return fail(r, rc,
                    "PAGES record at offset 0x%llx: the %s block (pfn 0x%llx and %u more) does not decode",
                    (unsigned long long)r->in.cur_offset, o->name,
                    (unsigned long long)first_pfn, pages - 1);
    return 0;
}

/*
 * Where the pages of this record's block of encoding @enc are decoded:
 * each block encoding has its own part of r->block_out (@nblock: pages
 * per encoding). One buffer for both had a zstd block decoded over the
 * lz4 pages still to be copied when a record interleaved the two.
 */
static uint8_t *block_at(struct receiver *r, uint8_t enc,
                         const unsigned *nblock)
{
    size_t before = enc == XM_ENC_ZSTD ? nblock[XM_ENC_LZ4] : 0;

    return r->block_out + before * XM_PAGE_SIZE;
}

/* A PAGES record, header already read: page data into guest memory. */
static int on_pages(struct receiver *r, uint32_t len)
{
    struct xm_rec_pages rp;
    unsigned i, n, niov = 0, nblock[5] = { 0 }, used[5] = { 0 };
    void *handle = NULL;
    int rc;

    if (!r->created)
        return fail(r, -EPROTO, "PAGES before DOMAIN_CONFIG");
    if (len < sizeof(rp) || xm_stream_read_body(&r->in, &rp, sizeof(rp)))
        return len < sizeof(rp)
                   ? fail(r, -EPROTO, "PAGES record of %u bytes", len)
                   : stream_fail(r, &r->in);
    n = rp.count;
    snprintf(r->phase, sizeof(r->phase), "iteration %u", rp.iteration);
    if (++r->page_records == 8)
        fault_point(r, "mid-pages");
    if (n == 0 || n > XM_PAGES_MAX)
        return fail(r, -EPROTO, "PAGES record with %u pages at offset 0x%llx",
                    n, (unsigned long long)r->in.cur_offset);
    if (xm_stream_read_body(&r->in, r->words, n * sizeof(uint64_t)) ||
        xm_stream_read_body(&r->in, r->enc, (n + 7) & ~7u))
        return stream_fail(r, &r->in);
    for (i = 0; i < n; i++) {
        uint64_t pfn = r->words[i] & XM_PFN_MASK;

        if (pfn >= r->dh.nr_pfns)
            return fail(r, -EPROTO,
                        "PAGES record at offset 0x%llx: pfn 0x%llx is past the end of the domain (%llu pages)",
                        (unsigned long long)r->in.cur_offset,
                        (unsigned long long)pfn,
                        (unsigned long long)r->dh.nr_pfns);
        if (r->words[i] & ~(XM_PFN_MASK | 0xfull << XM_PFN_TYPE_SHIFT))
            return fail(r, -EPROTO,
                        "PAGES record at offset 0x%llx: reserved bits set in the frame word of pfn 0x%llx",
                        (unsigned long long)r->in.cur_offset,
                        (unsigned long long)pfn);
        if (!agreed(r, r->enc[i]))
            return fail(r, -EPROTO,
                        "PAGES record at offset 0x%llx: pfn 0x%llx uses page encoding %u, which was not agreed",
                        (unsigned long long)r->in.cur_offset,
                        (unsigned long long)pfn, r->enc[i]);
        r->pfns[i] = pfn;
        nblock[r->enc[i]]++;
    }
    /* the words, not the pfns: a backend may need the types (backend.h) */
    rc = r->be->ops->map(r->be, r->domid, r->words, n, true, r->pages,
                         r->errs, &handle);
    if (rc)
        return fail(r, rc, "cannot map %u pages of domain %u for writing",
                    n, r->domid);
    /* The payload is in page order: read it front to back. */
    for (i = 0; i < n && !rc; i++) {
        uint64_t pfn = r->pfns[i];
        unsigned long bit = 1ul << (pfn % BITS_PER_LONG);
        uint8_t *pg = r->pages[i], e = r->enc[i];
        uint32_t dlen;

        if (r->errs[i]) {
            rc = fail(r, r->errs[i], "cannot map pfn 0x%llx of domain %u",
                      (unsigned long long)pfn, r->domid);
            break;
        }
        if (e == XM_ENC_RAW) {
            r->nonzero[pfn / BITS_PER_LONG] |= bit;
            if (niov && (uint8_t *)r->iov[niov - 1].iov_base +
                                r->iov[niov - 1].iov_len == pg) {
                r->iov[niov - 1].iov_len += XM_PAGE_SIZE;
            } else {
                r->iov[niov].iov_base = pg;
                r->iov[niov].iov_len = XM_PAGE_SIZE;
                niov++;
            }
            continue;
        }
        if (e == XM_ENC_ZERO) {
            if (r->nonzero[pfn / BITS_PER_LONG] & bit)
                memset(pg, 0, XM_PAGE_SIZE);
            r->nonzero[pfn / BITS_PER_LONG] &= ~bit;
            continue;
        }
        rc = flush_raw(r, &niov);
        if (rc)
            break;
        switch (e) {
        case XM_ENC_DELTA:
            rc = read_u32(r, &dlen);
            if (!rc && dlen > XM_DELTA_MAX)
                rc = fail(r, -EPROTO,
                          "PAGES record at offset 0x%llx: delta of %u bytes for pfn 0x%llx",
                          (unsigned long long)r->in.cur_offset, dlen,
                          (unsigned long long)pfn);
            if (!rc && xm_stream_read_body(&r->in, r->block_in, dlen))
                rc = stream_fail(r, &r->in);
            if (!rc && xm_delta_apply(pg, r->block_in, dlen))
                rc = fail(r, -EBADMSG,
                          "PAGES record at offset 0x%llx: the delta for pfn 0x%llx does not decode",
                          (unsigned long long)r->in.cur_offset,
                          (unsigned long long)pfn);
            r->nonzero[pfn / BITS_PER_LONG] |= bit;
            break;
        default: /* a block encoding: its pages come out in order */
            if (used[e] == 0)
                rc = read_block(r, e, nblock[e], pfn, block_at(r, e, nblock));
            if (!rc)
                memcpy(pg, block_at(r, e, nblock) +
                               (size_t)used[e]++ * XM_PAGE_SIZE,
                       XM_PAGE_SIZE);
            r->nonzero[pfn / BITS_PER_LONG] |= bit;
            break;
        }
    }
    if (!rc)
        rc = flush_raw(r, &niov);
    if (!rc && xm_stream_end_record(&r->in))
        rc = stream_fail(r, &r->in);
    if (!rc) {
        r->sum->pages_sent += n;
        if (r->hooks && r->hooks->progress) {
            struct xm_progress pr = { .iteration = rp.iteration,
                                      .bytes_total = r->in.offset };

            r->hooks->progress(r->hooks->opaque, &pr);
        }
    }
    r->be->ops->unmap(r->be, handle, n);
    return rc;
}

static int on_state(struct receiver *r, enum xm_state_kind kind,
                    const void *body, uint32_t len, const char *what)
{
    int rc;

    if (!r->created)
        return fail(r, -EPROTO, "%s before DOMAIN_CONFIG", what);
    rc = r->be->ops->set_state(r->be, r->domid, kind, body, len);
    if (rc)
        return fail(r, rc, "cannot load the %s into domain %u: %s", what,
                    r->domid, strerror(-rc));
    return 0;
}

static int on_verify(struct receiver *r, const void *body, uint32_t len)
{
    struct xm_rec_verify v;
    uint64_t mine, t0 = xm__now_ns();
    int rc;

    if (!(r->features & XM_FEAT_VERIFY))
        return fail(r, -EPROTO, "a VERIFY record, which was not agreed");
    if (!r->created || len != sizeof(v))
        return fail(r, -EPROTO, "VERIFY record out of place or %u bytes",
                    len);
    memcpy(&v, body, sizeof(v));
    rc = xm_domain_digest(r->be, r->lg, r->domid, &mine);
    if (rc)
        return fail(r, rc, "cannot compute the digest of domain %u",
                    r->domid);
    r->verify_ns += xm__now_ns() - t0;
    if (v.nr_pfns != r->dh.nr_pfns || v.digest != mine)
        return fail(r, -EBADMSG,
                    "memory verification failed: the source's RAM digest is %016llx, ours is %016llx",
                    (unsigned long long)v.digest, (unsigned long long)mine);
    r->verified = true;
    r->sum->digest = mine;
    LOGD(r->lg, XM_LOG_VERBOSE, r->domid, "RAM digest %016llx matches",
         (unsigned long long)mine);
    return 0;
}

/* SCHED: the source's scheduling limits, applied once the domain is
 * built (on_end), before the hand-over so a failure leaves the guest on
 * the source. */
static int on_sched(struct receiver *r, const void *body, uint32_t len)
{
    struct xm_rec_sched sc;

    if (!r->created || len != sizeof(sc))
        return fail(r, -EPROTO, "SCHED record out of place or %u bytes",
                    len);
    memcpy(&sc, body, sizeof(sc));
    if (sc.cpu_cap > 100)
        return fail(r, -EPROTO, "SCHED record: a CPU cap of %u%%",
                    sc.cpu_cap);
    r->cpu_cap = sc.cpu_cap;
    return 0;
}

/* END: the domain is complete. Hand-over, then start it. */
static int on_end(struct receiver *r)
{
    int rc;

    snprintf(r->phase, sizeof(r->phase), "the hand-over");
    if (!r->created || !r->have_vcpu || !r->have_platform)
        return fail(r, -EPROTO,
                    "the stream ended before the domain was complete (%s)",
                    !r->created ? "no domain" : "no vCPU or platform state");
    fault_point(r, "after-end");
    rc = r->be->ops->commit(r->be, r->domid);
    if (rc)
        return fail(r, rc, "cannot complete domain %u: %s", r->domid,
                    strerror(-rc));
    if (r->cpu_cap) {
        rc = r->be->ops->set_cpu_cap(r->be, r->domid, r->cpu_cap);
        if (rc)
            return fail(r, rc,
                        "cannot give domain %u the source's CPU cap of %u%%: %s",
                        r->domid, r->cpu_cap, strerror(-rc));
    }
    if (r->live) {
        struct xm_msg_complete c = {
            .domid = r->domid,
            .verified = r->verified,
            .verify_ns = r->verify_ns,
        };
        uint32_t type, len;
        void *body;
        char tn[16];

        rc = reply(r, XM_MSG_COMPLETE, &c, sizeof(c));
        if (rc)
            return rc;
        fault_point(r, "after-complete");
        rc = xm_stream_read_record(&r->in, &type, &body, &len);
        if (rc == -ENODATA)
            return fail(r, -ECONNRESET,
                        "the sender went away before handing the domain over");
        if (rc)
            return stream_fail(r, &r->in);
        if (type != XM_REC_GO)
            return fail(r, -EPROTO, "%s where GO was expected",
                        xm_rec_type_name(type, tn));
        fault_point(r, "after-go-before-unpause");
    }
    rc = r->be->ops->rename(r->be, r->domid, r->name);
    if (rc)
        return fail(r, rc, "cannot rename domain %u to \"%s\": %s",
                    r->domid, r->name, strerror(-rc));
    if (!r->p->paused) {
        rc = r->be->ops->unpause(r->be, r->domid);
        if (rc)
            return fail(r, rc, "cannot start domain %u: %s", r->domid,
                        strerror(-rc));
    }
    if (r->live) {
        struct xm_msg_done d = { .domid = r->domid };

        /* The guest runs here now: a lost DONE must not undo that. */
        if (reply(r, XM_MSG_DONE, &d, sizeof(d)))
            LOGD(r->lg, XM_LOG_WARN, r->domid,
                 "the domain runs, but the sender could not be told: %s",
                 xm_stream_error_msg(&r->back));
    }
    return 0;
}

static int receive_records(struct receiver *r)
{
    char tn[16];
    int rc;

    for (;;) {
        uint32_t type, len;
        void *body;

        if (r->hooks && r->hooks->cancel && *r->hooks->cancel)
            return fail(r, -ECANCELED, "cancelled");
        rc = xm_stream_read_header(&r->in, &type, &len);
        if (rc == -ENODATA)
            return fail(r, -EPIPE,
                        "the stream ended at offset 0x%llx before END: the sender went away",
                        (unsigned long long)r->in.offset);
        if (rc)
            return stream_fail(r, &r->in);
        if (type == XM_REC_PAGES) {
            rc = on_pages(r, len);
            if (rc)
                return rc;
            continue;
        }
        if (type & XM_REC_OPTIONAL && type != XM_REC_ITERATION &&
            type != XM_REC_SCHED) {
            if (xm_stream_skip_record(&r->in))
                return stream_fail(r, &r->in);
            continue;
        }
        body = NULL;
        if (len) {
            body = malloc(len);
            if (!body)
                return fail(r, -ENOMEM, "out of memory for a %u-byte record",
                            len);
        }
        if ((len && xm_stream_read_body(&r->in, body, len)) ||
            xm_stream_end_record(&r->in)) {
            free(body);
            return stream_fail(r, &r->in);
        }
        switch (type) {
        case XM_REC_END:
            rc = on_end(r);
            free(body);
            return rc;
        case XM_REC_FEATURES:
            rc = on_features(r, body, len);
            break;
        case XM_REC_DOMAIN_HEADER:
            rc = on_domain_header(r, body, len);
            break;
        case XM_REC_DOMAIN_CONFIG:
            rc = on_domain_config(r, body, len);
            break;
        case XM_REC_VCPU_STATE:
            snprintf(r->phase, sizeof(r->phase), "the final state");
            rc = on_state(r, XM_STATE_VCPU, body, len, "vCPU state");
            r->have_vcpu = !rc;
            break;
        case XM_REC_PLATFORM_STATE:
            rc = on_state(r, XM_STATE_PLATFORM, body, len, "platform state");
            r->have_platform = !rc;
            break;
        case XM_REC_VERIFY:
            rc = on_verify(r, body, len);
            break;
        case XM_REC_ITERATION:
            rc = 0;
            break;
        case XM_REC_SCHED:
            rc = on_sched(r, body, len);
            break;
        default:
            rc = fail(r, -EPROTO,
                      "unknown mandatory record %s at offset 0x%llx",
                      xm_rec_type_name(type, tn),
                      (unsigned long long)r->in.cur_offset);
            break;
        }
        free(body);
        if (rc)
            return rc;
    }
}

int xm_receive(struct xm_backend *be, struct xm_logger *lg, int rfd, int wfd,
               const struct xm_receive_params *params,
               const struct xm_hooks *hooks, uint32_t *domid_r,
               struct xm_summary *sum_r)
{
    static const struct xm_receive_params defaults;
    struct receiver *r;
    uint64_t t0 = xm__now_ns();
    int rc;

    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->be = be;
    r->lg = lg;
    r->p = params ? params : &defaults;
    r->hooks = hooks;
    r->live = wfd >= 0;
    r->sum = sum_r;
    memset(sum_r, 0, sizeof(*sum_r));
    xm_stream_init(&r->in, rfd, "migration stream");
    xm_stream_init(&r->back, wfd, "back channel");
    if (r->live)
        r->in.timeout_ms = r->back.timeout_ms = (int)r->p->timeout_s * 1000;
    snprintf(r->phase, sizeof(r->phase), "setup");
    r->block_in = malloc(xm_codec_zstd.bound(XM_PAGES_MAX * XM_PAGE_SIZE) +
                         xm_codec_lz4.bound(XM_PAGES_MAX * XM_PAGE_SIZE));
    r->block_out = malloc((size_t)XM_PAGES_MAX * XM_PAGE_SIZE);
    if (!r->block_in || !r->block_out) {
        rc = fail(r, -ENOMEM, "out of memory for the page decoders");
        goto out;
    }

    if (xm_stream_read_ihdr(&r->in, &r->offered)) {
        rc = stream_fail(r, &r->in);
        goto out;
    }
    if (r->live) {
        struct xm_msg_ready ready;

        r->accepted = r->offered & SUPPORTED_FEATURES(r);
        ready.features = r->accepted;
        rc = reply(r, XM_MSG_READY, &ready, sizeof(ready));
        if (rc)
            goto out;
    }
    rc = receive_records(r);
    if (rc)
        goto out;
    *domid_r = r->domid;
    sum_r->remote_domid = r->domid;
    sum_r->bytes_sent = r->in.offset;
    sum_r->verified = r->verified;
    sum_r->verify_ns = r->verify_ns;
    sum_r->total_ns = xm__now_ns() - t0;
out:
    if (rc) {
        if (r->created && be->ops->destroy(be, r->domid) == 0)
            LOGD(lg, XM_LOG_INFO, r->domid,
                 "destroyed the incomplete domain");
        if (r->live) {
            struct xm_msg_error e = { .err = -rc,
                                      .len = (uint32_t)strlen(r->errmsg) };
            struct iovec iov[2] = { { &e, sizeof(e) },
                                    { r->errmsg, e.len } };

            /* Best effort: the sender may be gone already. */
            xm_stream_write_record(&r->back, XM_MSG_ERROR, iov, 2);
        }
    }
    xm_stream_dispose(&r->in);
    xm_stream_dispose(&r->back);
    free(r->nonzero);
    free(r->block_in);
    free(r->block_out);
    if (r->codec_state[0])
        xm_codec_lz4.free_state(r->codec_state[0]);
    if (r->codec_state[1])
        xm_codec_zstd.free_state(r->codec_state[1]);
    free(r);
    return rc;
}
