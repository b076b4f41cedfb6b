/*
 * precopy.c - the sending side: log-dirty pre-copy, stop-and-copy, and
 * the hand-over that makes sure a guest never runs twice or not at all.
 *
 * Entry point: xm_send(). The order things happen in (live):
 *   1. image header offering features; READY back gives the set in use
 *   2. FEATURES, DOMAIN_HEADER, DOMAIN_CONFIG
 *   3. log-dirty on; iteration 0 sends every page
 *   4. CLEAN the dirty bitmap; the policy (policy.c) says stop or go on,
 *      and how hard to throttle; go on: send the dirty pages, repeat
 *   5. suspend; CLEAN once more; send the rest, vCPU and platform state,
 *      VERIFY (if asked), END
 *   6. COMPLETE back -> GO -> DONE back -> destroy the source
 * A save to a file (no back channel) suspends first and sends one pass.
 *
 * Any failure before GO undoes steps 3-5 on the source (throttle off,
 * log-dirty off, resumed): the guest carries on where it was.
 *
 * With params.compat the same steps write Xen's stream instead of ours
 * (xenmig.h has the order): the compat_*() functions below replace the
 * preamble, the page batches, the state records, END and the hand-over;
 * the iterations, the policy and undo() are shared.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "encoder.h"
#include "policy.h"
#include "private.h"
#include "stream.h"
#include "xc-stream.h"
#include "xl-format.h"
#include "writer.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define PROGRESS_EVERY_NS 100000000ull

struct sender {
    struct xm_backend *be;              /* the source hypervisor */
    struct xm_logger *lg;               /* where we log */
    uint32_t domid;                     /* the domain we move */
    struct xm_domain_info info;         /* its size and name */
    const struct xm_migrate_params *p;  /* the caller's limits */
    const struct xm_hooks *hooks;       /* progress, cancel */
    struct xm_stream out;               /* records to the receiver */
    struct xm_stream back;              /* its replies (live only) */
    bool live;                          /* there is a back channel */
    uint64_t features;                  /* in use */
    struct xm_policy pol;               /* stop and throttle decisions */
    unsigned long *to_send;             /* this iteration's pages */
    unsigned long *dirty;               /* what CLEAN returned */
    size_t bitmap_longs;                /* length of both bitmaps */
    struct xm_summary *sum;             /* what we report */
    unsigned iteration;                 /* current pass */
    uint64_t iter_pages, iter_total;    /* progress within the pass */
    uint64_t iter_t0, iter_off0;        /* when and where the pass began */
    uint64_t t_start;                   /* xm_send() began */
    uint64_t t_pause;                   /* the source stopped */
    uint64_t t_progress;                /* last progress callback */
    struct xm_policy_decision last;     /* the latest decision */
    bool logdirty_on;                   /* undo: log-dirty enabled */
    bool suspended;                     /* undo: source suspended */
    unsigned cap;                       /* the cap now (0 = none) */
    unsigned cap_orig;                  /* undo: the domain's own cap */
    unsigned throttle;                  /* throttle applied, % */
    int cap_noted;                      /* XM_NOTE_CAP kept: 1, failed: -1 */
    bool renamed;                       /* undo: renamed --migratedaway */
    bool handed_over;                   /* GO was sent */
    char phase[40];                     /* what we were doing, for errors */
    bool peer_error;                    /* the receiver sent ERROR */
    /* the batch being mapped and encoded */
    uint64_t pfns[XM_PAGES_MAX];        /* pfns to send */
    uint32_t types[XM_PAGES_MAX];       /* page types */
    void *pages[XM_PAGES_MAX];          /* their mappings (NULL: a hole) */
    int errs[XM_PAGES_MAX];             /* per-page map errors */
    uint64_t map_pfns[XM_PAGES_MAX];    /* the pfns with content */
    unsigned map_idx[XM_PAGES_MAX];     /* and where they are in pfns */
    void *mapped[XM_PAGES_MAX];         /* their mappings */
    int map_errs[XM_PAGES_MAX];         /* and errors */
    struct batch {                      /* a PAGES record, while in flight */
        struct xm_rec_pages rp;         /* its header */
        uint64_t words[XM_PAGES_MAX];   /* pfn | type << 60 */
        uint8_t enc[XM_PAGES_MAX + 8];  /* encodings, padded */
        struct iovec iov[2 * XM_PAGES_MAX + 5]; /* the record's pieces */
        void *handle;                   /* its pages' mapping */
        unsigned n;                     /* pages */
        unsigned n_mapped;              /* of them mapped (not holes) */
        bool posted;                    /* the writer has it */
        bool coded;                     /* it carries a block codec's block */
        unsigned bulk;                  /* pages raw or in that block */
    } batch[XM_ENCODER_SLOTS];          /* in turn, as the encoder's slots */
    uint64_t pipe_t;                    /* the previous batch was written */
    uint64_t pipe_wire;                 /* and took this many bytes */
    unsigned next_batch;                /* the one to fill next */
    struct xm_writer writer;            /* writes one while we encode next */
    uint64_t written;                   /* s->out.offset, as last waited */
    struct xm_encoder *encoder;         /* chooses each page's encoding */
};

static int fail(struct sender *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Log an error about the domain, naming the phase; return @rc. */
static int fail(struct sender *s, int rc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    LOGD(s->lg, XM_LOG_ERROR, s->domid, "during %s: %s", s->phase, msg);
    return rc;
}

/* Run the fault points of @phase (fault.c): drop or corrupt on request. */
static void fault_point(struct sender *s, const char *phase)
{
    unsigned a = xm__fault_phase(s->lg, "%s", phase);

    if (a & XM_FAULT_DROP)
        xm__fault_cut(s->back.fd, s->out.fd);
    if (a & XM_FAULT_CORRUPT)
        s->out.corrupt_next = true;
}

static int read_reply(struct sender *s, uint32_t *type_r, void **body_r,
                      uint32_t *len_r, const char *waiting_for);

/*
 * A stream's sticky error, reported once. When writing fails because the
 * receiver gave up, its ERROR message usually waits on the back channel
 * and says why far better than "connection reset": report that instead.
 */
static int stream_fail(struct sender *s, struct xm_stream *st)
{
    if (st == &s->out && s->live && !s->p->compat && !s->back.err) {
        struct pollfd pfd = { .fd = s->back.fd, .events = POLLIN };
        uint32_t type, len;
        void *body;
        int rc;

        if (poll(&pfd, 1, 1000) == 1) {
            rc = read_reply(s, &type, &body, &len, "an error report");
            if (rc && s->peer_error)
                return rc;
        }
    }
    return fail(s, xm_stream_error(st), "%s", xm_stream_error_msg(st));
}

static bool cancelled(const struct sender *s)
{
    return s->hooks && s->hooks->cancel && *s->hooks->cancel;
}

/*
 * Read one back-channel message. An ERROR message becomes our error with
 * the receiver's text. Returns the message type in *type_r.
 */
static int read_reply(struct sender *s, uint32_t *type_r, void **body_r,
                      uint32_t *len_r, const char *waiting_for)
{
    int rc;

    rc = xm_stream_read_record(&s->back, type_r, body_r, len_r);
    if (rc == -ENODATA && waiting_for)
        return fail(s, -ECONNRESET,
                    "the connection to the receiver was closed while waiting for %s",
                    waiting_for);
    if (rc == -ENODATA)
        return fail(s, -ECONNRESET,
                    "the connection to the receiver was closed");
    if (rc && waiting_for)
        return fail(s, xm_stream_error(&s->back), "%s, while waiting for %s",
                    xm_stream_error_msg(&s->back), waiting_for);
    if (rc)
        return stream_fail(s, &s->back);
    if (*type_r == XM_MSG_ERROR) {
        struct xm_msg_error e;
        int len;

        if (*len_r < sizeof(e))
            return fail(s, -EPROTO, "the receiver sent a short ERROR message");
        memcpy(&e, *body_r, sizeof(e));
        len = (int)(e.len < *len_r - sizeof(e) ? e.len : *len_r - sizeof(e));
        s->peer_error = true;
        return fail(s, e.err > 0 ? -e.err : -EIO,
                    "the receiver failed: %.*s", len,
                    (const char *)*body_r + sizeof(e));
    }
    if (*type_r & XM_REC_OPTIONAL)
        return read_reply(s, type_r, body_r, len_r, waiting_for);
    return 0;
}

/* Wait for reply @want with a body of at least @minlen bytes into @body. */
static int expect_reply(struct sender *s, uint32_t want, void *body,
                        size_t minlen, const char *what)
{
    uint32_t type, len;
    void *b;
    char tn[16];
    int rc;

    rc = read_reply(s, &type, &b, &len, what);
    if (rc)
        return rc;
    if (type != want || len < minlen)
        return fail(s, -EPROTO,
                    "the receiver sent %s (%u bytes) where %s was expected",
                    xm_rec_type_name(type, tn), len, what);
    memcpy(body, b, minlen);
    return 0;
}

/* Between batches: an early ERROR from the receiver, or a cancel. */
static int check_peer(struct sender *s)
{
    if (cancelled(s))
        return fail(s, -ECANCELED, "migration cancelled");
    if (s->live && s->p->compat) {
        /* xl's receiver says nothing until the stream has ended */
        struct pollfd pfd = { .fd = s->back.fd, .events = POLLIN };
        char c;

        if (poll(&pfd, 1, 0) != 1)
            return 0;
        if (read(s->back.fd, &c, 1) == 1)
            return fail(s, -EPROTO,
                        "the xl receiver sent something before the end of the stream");
        return fail(s, -ECONNRESET,
                    "the xl receiver closed the connection (it gave up: see its messages)");
    }
    if (s->live && xm_stream_readable(&s->back)) {
        uint32_t type, len;
        void *body;
        char tn[16];
        int rc;

        rc = read_reply(s, &type, &body, &len, NULL);
        if (rc)
            return rc;
        return fail(s, -EPROTO, "unexpected %s from the receiver",
                    xm_rec_type_name(type, tn));
    }
    return 0;
}

static void progress(struct sender *s, bool force)
{
    uint64_t now = xm__now_ns(), bw = s->last.bandwidth;
    struct xm_progress pr;

    if (!s->hooks || !s->hooks->progress)
        return;
    if (!force && now - s->t_progress < PROGRESS_EVERY_NS)
        return;
    s->t_progress = now;
    /* Until the policy has measured a pass, show this pass's rate. */
    if (!bw && now > s->iter_t0)
        bw = (s->written - s->iter_off0) * 1000000000ull /
             (now - s->iter_t0);
    pr = (struct xm_progress){
        .iteration = s->iteration,
        .pages_done = s->iter_pages,
        .pages_total = s->iter_total,
        .bytes_total = s->written,
        .bandwidth = bw,
        .dirty_rate = s->last.dirty_rate,
        .expected_downtime_ns = s->last.expected_downtime_ns,
        .throttle_pct = s->last.throttle_pct,
        .stop_and_copy = s->suspended,
    };
    s->hooks->progress(s->hooks->opaque, &pr);
}

static int compat_pages(struct sender *s, const uint64_t *words,
                        unsigned n, struct iovec *iov);
static int compat_records(struct sender *s, const void *recs, size_t len,
                          const char *what);

/*
 * @ns for @bytes, but never less than a capped stream's cap allows: a
 * capped stream may take a record at once (its pacing credit), yet the
 * link still costs the cap, which is what auto must weigh.
 */
static uint64_t at_cap(const struct sender *s, uint64_t bytes, uint64_t ns)
{
    uint64_t min;

    if (!s->out.bytes_limit)
        return ns;
    min = bytes * 1000000000ull / s->out.bytes_limit;
    return ns < min ? min : ns;
}

/*
 * Wait for the PAGES record the writer has, if any: unmap its pages,
 * give the encoder the link sample, run the fault points that follow a
 * batch. The stream is ours again afterwards, even on error. @failing:
 * an error is on its way up already; only clean up.
 */
static int batch_done(struct sender *s, bool failing)
{
    struct batch *b = &s->batch[(s->next_batch + XM_ENCODER_SLOTS - 1) %
                                XM_ENCODER_SLOTS];
    uint64_t bytes, ns;
    int rc;

    if (!b->posted)
        return 0;
    rc = xm__writer_wait(&s->writer, &bytes, &ns);
    b->posted = false;
    s->be->ops->unmap(s->be, b->handle, b->n_mapped);
    s->written = s->out.offset;
    if (failing)
        return 0;
    if (rc)
        return stream_fail(s, &s->out);
    xm_encoder_link_sample(s->encoder, bytes, at_cap(s, bytes, ns));
    s->pipe_wire = bytes;
    if (!s->suspended) {
        char ph[32];

        snprintf(ph, sizeof(ph), "iteration:%u", b->rp.iteration);
        fault_point(s, ph);
    }
    return 0;
}

/* A page of this type has no content to read (backend.h). */
static bool is_hole(uint32_t type)
{
    return type == XM_PAGE_XTAB || type == XM_PAGE_XALLOC ||
           type == XM_PAGE_BROKEN;
}

/*
 * Map s->pfns' @n pages into s->pages, but for the holes, which stay
 * NULL (a PVH guest's physmap is mostly holes: mapping and scanning
 * them cost more than all its RAM). Xen's own stream (--compat) takes
 * every page mapped. *@m_r: how many were mapped.
 */
static int map_batch(struct sender *s, unsigned n, unsigned *m_r,
                     void **handle_r)
{
    unsigned i, m = 0;
    int rc;

    for (i = 0; i < n; i++) {
        if (s->p->compat || !is_hole(s->types[i])) {
            s->map_pfns[m] = s->pfns[i];
            s->map_idx[m++] = i;
        }
    }
    *m_r = m;
    *handle_r = NULL;
    if (m == n)
        return s->be->ops->map(s->be, s->domid, s->pfns, n, false,
                               s->pages, s->errs, handle_r);
    memset(s->pages, 0, n * sizeof(s->pages[0]));
    memset(s->errs, 0, n * sizeof(s->errs[0]));
    if (!m)
        return 0;
    rc = s->be->ops->map(s->be, s->domid, s->map_pfns, m, false, s->mapped,
                         s->map_errs, handle_r);
    for (i = 0; !rc && i < m; i++) {
        s->pages[s->map_idx[i]] = s->mapped[i];
        s->errs[s->map_idx[i]] = s->map_errs[i];
    }
    return rc;
}

/*
 * Send @n pages (s->pfns) as one PAGES record: map and encode them, then
 * hand the record to the writer once it has written the previous one.
 */
static int send_batch(struct sender *s, unsigned n)
{
    struct batch *b = &s->batch[s->next_batch], *prev;
    unsigned i, niov = 0, n_mapped = 0;
    void *handle = NULL;
    uint64_t now;
    bool sample;
    int rc;

    rc = s->be->ops->page_types(s->be, s->domid, s->pfns, n, s->types);
    if (rc)
        return fail(s, rc, "cannot read the page types of domain %u",
                    s->domid);
    rc = map_batch(s, n, &n_mapped, &handle);
    if (rc)
        return fail(s, rc, "cannot map %u pages of domain %u from pfn 0x%llx",
                    n, s->domid, (unsigned long long)s->pfns[0]);
    for (i = 0; i < n; i++) {
        if (s->errs[i]) {
            rc = fail(s, s->errs[i], "cannot map pfn 0x%llx of domain %u: %s",
                      (unsigned long long)s->pfns[i], s->domid,
                      strerror(-s->errs[i]));
            goto fail;
        }
        b->words[i] = s->pfns[i] | (uint64_t)s->types[i] << XM_PFN_TYPE_SHIFT;
    }
    if (s->p->compat) {
        /* Xen's stream, raw and in order: written here, not by the writer */
        rc = compat_pages(s, b->words, n, b->iov);
        if (rc)
            goto fail;
        s->be->ops->unmap(s->be, handle, n_mapped);
        s->written = s->out.offset;
        s->sum->pages_sent += n;
        s->iter_pages += n;
        if (!s->suspended) {
            char ph[32];

            snprintf(ph, sizeof(ph), "iteration:%u", s->iteration);
            fault_point(s, ph);
        }
        return 0;
    }
    /*
     * A suspended guest's pages hold still and may go out as they are;
     * a running guest's are copied first (encoder.h).
     */
    rc = xm_encoder_batch(s->encoder, s->iteration, s->pfns, s->pages, n,
                          s->suspended, b->enc, b->iov + 3, &niov);
    if (rc) {
        rc = fail(s, rc, "cannot encode pages of domain %u", s->domid);
        goto fail;
    }
    /*
     * What auto compares (xm_encoder_pipe_sample()): the bulk, the pages
     * sent raw or in a block; zero pages and deltas cost little either
     * way, and a batch of nothing else would make raw look fast.
     */
    b->coded = false;
    b->bulk = 0;
    for (i = 0; i < n; i++) {
        b->coded |= b->enc[i] == XM_ENC_LZ4 || b->enc[i] == XM_ENC_ZSTD;
        b->bulk += b->enc[i] == XM_ENC_RAW || b->enc[i] == XM_ENC_LZ4 ||
                   b->enc[i] == XM_ENC_ZSTD;
    }
    prev = &s->batch[(s->next_batch + XM_ENCODER_SLOTS - 1) %
                     XM_ENCODER_SLOTS];
    sample = prev->posted && s->pipe_t && prev->coded == b->coded &&
             prev->bulk && b->bulk;
    rc = batch_done(s, false);
    if (rc)
        goto fail;
    /* the pipeline's speed, for auto (xm_encoder_pipe_sample()) */
    now = xm__now_ns();
    if (sample)
        xm_encoder_pipe_sample(s->encoder, b->coded,
                               (uint64_t)prev->bulk * XM_PAGE_SIZE,
                               at_cap(s, s->pipe_wire, now - s->pipe_t));
    s->pipe_t = now;
    memset(b->enc + n, 0, 8);
    b->rp = (struct xm_rec_pages){ .count = n, .iteration = s->iteration };
    b->iov[0] = (struct iovec){ &b->rp, sizeof(b->rp) };
    b->iov[1] = (struct iovec){ b->words, n * sizeof(uint64_t) };
    b->iov[2] = (struct iovec){ b->enc, (n + 7) & ~7u };
    b->handle = handle;
    b->n = n;
    b->n_mapped = n_mapped;
    b->posted = true;
    xm__writer_post(&s->writer, XM_REC_PAGES, b->iov, niov + 3);
    s->next_batch = (s->next_batch + 1) % XM_ENCODER_SLOTS;
    s->sum->pages_sent += n;
    s->iter_pages += n;
    return 0;
fail:
    s->be->ops->unmap(s->be, handle, n_mapped);
    return rc;
}

/* Send every page whose bit is set in s->to_send. */
static int send_bitmap(struct sender *s, uint64_t count)
{
    uint64_t pfn;
    unsigned n = 0;
    int rc;

    s->iter_pages = 0;
    s->iter_total = count;
    s->iter_t0 = xm__now_ns();
    s->pipe_t = 0;
    s->iter_off0 = s->written = s->out.offset;
    for (pfn = 0; pfn < s->info.nr_pfns; pfn++) {
        unsigned long w = s->to_send[pfn / BITS_PER_LONG];

        if (!w) {
            pfn |= BITS_PER_LONG - 1;
            continue;
        }
        if (!(w & (1ul << (pfn % BITS_PER_LONG))))
            continue;
        s->pfns[n++] = pfn;
        if (n == XM_PAGES_MAX) {
            rc = send_batch(s, n);
            if (!rc)
                rc = check_peer(s);
            if (rc)
                goto fail;
            n = 0;
            progress(s, false);
        }
    }
    if (n && (rc = send_batch(s, n)))
        goto fail;
    /* the last record is out before anything else touches the stream */
    rc = batch_done(s, false);
    if (rc)
        return rc;
    progress(s, true);
    return check_peer(s);
fail:
    batch_done(s, true);
    return rc;
}

static int clean_bitmap(struct sender *s, unsigned long *bitmap,
                        uint64_t *dirty_r)
{
    int rc;

    rc = s->be->ops->dirty_bitmap(s->be, s->domid, XM_DIRTY_CLEAN, bitmap,
                                  s->info.nr_pfns, dirty_r);
    if (rc)
        return fail(s, rc, "cannot read the dirty bitmap of domain %u",
                    s->domid);
    return 0;
}

/*
 * Before the first throttle: note the domain's own cap with it, so a
 * 'xenmig recover' after this process is killed puts that cap back
 * instead of guessing. Without the note there is no throttle (false).
 */
static bool note_cap(struct sender *s)
{
    char v[16];

    if (!s->cap_noted) {
        snprintf(v, sizeof(v), "%u", s->cap_orig);
        s->cap_noted = s->be->ops->set_note(s->be, s->domid, XM_NOTE_CAP, v)
                           ? -1 : 1;
        if (s->cap_noted < 0)
            LOGD(s->lg, XM_LOG_WARN, s->domid,
                 "not throttling domain %u: its own cap could not be noted for 'xenmig recover'",
                 s->domid);
    }
    return s->cap_noted > 0;
}

/* The migration is over and the domain has its own cap again. */
static void unnote_cap(struct sender *s)
{
    if (s->cap_noted > 0 &&
        !s->be->ops->set_note(s->be, s->domid, XM_NOTE_CAP, NULL))
        s->cap_noted = 0;
}

/*
 * Throttle to @throttle_pct (0: none). A cap the domain had before we
 * started is the administrator's: the throttle never loosens it, and
 * "none" puts it back.
 */
static int set_cap(struct sender *s, unsigned throttle_pct)
{
    unsigned cap = throttle_pct ? 100 - throttle_pct : 0;
    int rc;

    if (s->cap_orig && (!cap || cap > s->cap_orig))
        cap = s->cap_orig;
    if (cap != s->cap && cap != s->cap_orig && !note_cap(s))
        return 0;
    s->throttle = throttle_pct;
    if (cap == s->cap)
        return 0;
    rc = s->be->ops->set_cpu_cap(s->be, s->domid, cap);
    if (rc)
        return fail(s, rc, "cannot throttle domain %u to %u%% of a CPU",
                    s->domid, cap);
    s->cap = cap;
    if (throttle_pct > s->sum->throttle_max_used)
        s->sum->throttle_max_used = throttle_pct;
    LOGD(s->lg, XM_LOG_VERBOSE, s->domid, "throttled to %u%% (cap %u%%)",
         throttle_pct, cap);
    return 0;
}

static int write_blob(struct sender *s, uint32_t type, enum xm_state_kind k,
                      const char *what)
{
    void *blob = NULL;
    size_t len = 0;
    int rc;

    rc = s->be->ops->get_state(s->be, s->domid, k, &blob, &len);
    if (rc)
        return fail(s, rc, "cannot read the %s of domain %u", what,
                    s->domid);
    if (s->p->compat) {
        /* the xen backend's blobs are libxc records already */
        rc = compat_records(s, blob, len, what);
        free(blob);
        return rc;
    }
    if (len > XM_REC_MAX_LENGTH) {
        free(blob);
        return fail(s, -E2BIG, "the %s of domain %u is too large (%zu bytes)",
                    what, s->domid, len);
    }
    rc = xm_stream_write_simple(&s->out, type, blob, (uint32_t)len);
    free(blob);
    return rc ? stream_fail(s, &s->out) : 0;
}

static int compat_preamble(struct sender *s);

/* Image header, negotiation, FEATURES, DOMAIN_HEADER, DOMAIN_CONFIG. */
static int send_preamble(struct sender *s)
{
    uint64_t offer = s->p->compress.features;
    struct xm_rec_domain_header dh = {
        .guest_type = XM_GUEST_SIM,
        .page_shift = XM_PAGE_SHIFT,
        .nr_pfns = s->info.nr_pfns,
        .nr_vcpus = s->info.nr_vcpus,
        .source_domid = s->domid,
    };
    struct xm_rec_sched sched = { .cpu_cap = s->cap_orig };
    struct xm_rec_features f;
    int rc;

    if (s->p->compat)
        return compat_preamble(s);
    if (s->p->verify)
        offer |= XM_FEAT_VERIFY;
    if (s->live)
        offer |= XM_FEAT_BACKCHANNEL;
    /* only what a receiver on our kind of backend can take (backend.h) */
    if (s->p->verify && !(s->be->ops->features & XM_FEAT_VERIFY))
        LOGD(s->lg, XM_LOG_WARN, s->domid,
             "the %s backend cannot verify; migrating without it",
             xm_backend_name(s->be));
    offer &= s->be->ops->features;
    if (xm_stream_write_ihdr(&s->out, offer))
        return stream_fail(s, &s->out);
    s->features = offer;
    if (s->live) {
        struct xm_msg_ready ready;

        rc = expect_reply(s, XM_MSG_READY, &ready, sizeof(ready), "READY");
        if (rc)
            return rc;
        s->features = offer & ready.features;
        if (!(s->features & XM_FEAT_BACKCHANNEL))
            return fail(s, -EPROTO,
                        "the receiver refuses a live migration (it accepted features 0x%llx of 0x%llx)",
                        (unsigned long long)ready.features,
                        (unsigned long long)offer);
        if (s->p->verify && !(s->features & XM_FEAT_VERIFY))
            LOGD(s->lg, XM_LOG_WARN, s->domid,
                 "the receiver cannot verify; migrating without it");
    }
    f.features = s->features;
    if (s->info.guest_type)
        dh.guest_type = s->info.guest_type;
    snprintf(dh.name, sizeof(dh.name), "%s", s->info.name);
    snprintf(dh.backend, sizeof(dh.backend), "%s", xm_backend_name(s->be));
    if (xm_stream_write_simple(&s->out, XM_REC_FEATURES, &f, sizeof(f)) ||
        xm_stream_write_simple(&s->out, XM_REC_DOMAIN_HEADER, &dh,
                               sizeof(dh)))
        return stream_fail(s, &s->out);
    rc = write_blob(s, XM_REC_DOMAIN_CONFIG, XM_STATE_CONFIG,
                    "configuration");
    if (rc || !s->cap_orig)
        return rc;
    /* the administrator's cap goes with the guest (the throttle doesn't) */
    if (xm_stream_write_simple(&s->out, XM_REC_SCHED, &sched, sizeof(sched)))
        return stream_fail(s, &s->out);
    return 0;
}

/* @now minus @then, field by field: one iteration's codec figures. */
static void codec_diff(const struct xm_codec_stats *now,
                       const struct xm_codec_stats *then,
                       struct xm_codec_stats *d)
{
    const uint64_t *a = (const uint64_t *)now, *b = (const uint64_t *)then;
    uint64_t *o = (uint64_t *)d;
    size_t i;

    for (i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
        o[i] = a[i] - b[i];
}

static void report_iteration(struct sender *s, uint64_t pages,
                             const struct xm_codec_stats *codec0,
                             uint64_t bytes, uint64_t ns, uint64_t dirty)
{
    struct xm_codec_stats now;
    struct xm_iteration it = {
        .iteration = s->iteration,
        .pages_sent = pages,
        .bytes_sent = bytes,
        .duration_ns = ns,
        .dirty_pages = dirty,
        .bandwidth = s->last.bandwidth,
        .page_rate = s->last.page_rate,
        .dirty_rate = s->last.dirty_rate,
        .expected_downtime_ns = s->last.expected_downtime_ns,
        .throttle_pct = s->throttle,
    };

    xm_encoder_stats(s->encoder, &now);
    codec_diff(&now, codec0, &it.codec);

    LOGD(s->lg, XM_LOG_DEBUG, s->domid,
         "iteration %u: %llu pages, %llu bytes in %llu ms, %llu dirty, "
         "expected downtime %.1f ms%s",
         s->iteration, (unsigned long long)pages, (unsigned long long)bytes,
         (unsigned long long)(ns / 1000000), (unsigned long long)dirty,
         s->last.expected_downtime_ns == UINT64_MAX
             ? -1.0 : s->last.expected_downtime_ns / 1e6,
         s->last.settling ? " (in the limit, but another pass should "
                            "halve it)" : "");
    if (s->hooks && s->hooks->iteration)
        s->hooks->iteration(s->hooks->opaque, &it);
}

static uint64_t count_bits(const unsigned long *b, size_t longs)
{
    uint64_t n = 0;
    size_t i;

    for (i = 0; i < longs; i++)
        n += (uint64_t)__builtin_popcountl(b[i]);
    return n;
}

/* Pre-copy iterations until the policy says stop. */
static int iterate(struct sender *s)
{
    uint64_t count = s->info.nr_pfns;
    int rc;

    memset(s->to_send, 0xff, s->bitmap_longs * sizeof(unsigned long));
    if (s->info.nr_pfns % BITS_PER_LONG)
        s->to_send[s->bitmap_longs - 1] =
            (1ul << (s->info.nr_pfns % BITS_PER_LONG)) - 1;
    rc = s->be->ops->logdirty_enable(s->be, s->domid);
    if (rc)
        return fail(s, rc, "cannot enable log-dirty mode on domain %u",
                    s->domid);
    s->logdirty_on = true;
    for (;;) {
        uint64_t t0 = xm__now_ns(), off0 = s->out.offset, pages0;
        struct xm_codec_stats codec0;
        struct xm_policy_sample smp;
        struct xm_rec_iteration ri = { .iteration = s->iteration };
        uint64_t dirty;
        unsigned long *tmp;

        pages0 = s->sum->pages_sent;
        snprintf(s->phase, sizeof(s->phase), "iteration %u", s->iteration);
        xm_encoder_stats(s->encoder, &codec0);
        rc = send_bitmap(s, count);
        if (rc)
            return rc;
        rc = clean_bitmap(s, s->dirty, &dirty);
        if (rc)
            return rc;
        smp = (struct xm_policy_sample){
            .iteration = s->iteration,
            .pages_sent = s->sum->pages_sent - pages0,
            .bytes_sent = s->out.offset - off0,
            .duration_ns = xm__now_ns() - t0,
            .dirty_pages = dirty,
            .elapsed_ns = xm__now_ns() - s->t_start,
        };
        xm_policy_next(&s->pol, &smp, &s->last);
        report_iteration(s, smp.pages_sent, &codec0, smp.bytes_sent,
                         smp.duration_ns, dirty);
        ri.dirty_pages = dirty;
        if (!s->p->compat &&
            xm_stream_write_simple(&s->out, XM_REC_ITERATION, &ri,
                                   sizeof(ri)))
            return stream_fail(s, &s->out);
        tmp = s->to_send;
        s->to_send = s->dirty;
        s->dirty = tmp;
        count = dirty;
        s->iteration++;
        if (s->last.action == XM_POLICY_STOP) {
            s->sum->stop_reason = s->last.reason;
            s->sum->expected_downtime_ns = s->last.expected_downtime_ns;
            return 0;
        }
        rc = set_cap(s, s->last.throttle_pct);
        if (rc)
            return rc;
    }
}

/* Pause, send what is left and the vCPU state, END. */
static int stop_and_copy(struct sender *s)
{
    uint64_t count, extra = 0, t_run;
    size_t i;
    int rc;

    snprintf(s->phase, sizeof(s->phase), "stop-and-copy");
    s->t_pause = xm__now_ns();
    /*
     * The throttle off first: Xen's suspend is the guest's own work, and
     * a guest capped at 1% of a CPU did not answer libxl within its 60 s.
     */
    rc = set_cap(s, 0);
    if (rc)
        return rc;
    rc = s->be->ops->suspend(s->be, s->domid);
    if (rc)
        return fail(s, rc, "cannot suspend domain %u", s->domid);
    s->suspended = true;
    t_run = xm__now_ns();
    s->sum->suspend_ns = t_run - s->t_pause;
    fault_point(s, "stop-and-copy");
    if (s->logdirty_on) {
        rc = clean_bitmap(s, s->dirty, &extra);
        if (rc)
            return rc;
        for (i = 0; i < s->bitmap_longs; i++)
            s->to_send[i] |= s->dirty[i];
        count = count_bits(s->to_send, s->bitmap_longs);
    } else {
        memset(s->to_send, 0xff, s->bitmap_longs * sizeof(unsigned long));
        if (s->info.nr_pfns % BITS_PER_LONG)
            s->to_send[s->bitmap_longs - 1] =
                (1ul << (s->info.nr_pfns % BITS_PER_LONG)) - 1;
        count = s->info.nr_pfns;
    }
    LOGD(s->lg, XM_LOG_VERBOSE, s->domid,
         "stop-and-copy: %llu pages left", (unsigned long long)count);
    rc = send_bitmap(s, count);
    if (rc)
        return rc;
    s->sum->final_pass_ns = xm__now_ns() - t_run;
    s->sum->final_pages = count;
    s->iteration++;
    rc = write_blob(s, XM_REC_VCPU_STATE, XM_STATE_VCPU, "vCPU state");
    if (!rc)
        rc = write_blob(s, XM_REC_PLATFORM_STATE, XM_STATE_PLATFORM,
                        "platform state");
    if (rc)
        return rc;
    if (s->features & XM_FEAT_VERIFY) {
        struct xm_rec_verify v = { .nr_pfns = s->info.nr_pfns };
        uint64_t t0 = xm__now_ns();

        rc = xm_domain_digest(s->be, s->lg, s->domid, &v.digest);
        if (rc)
            return fail(s, rc, "cannot compute the digest of domain %u",
                        s->domid);
        s->sum->verify_ns += xm__now_ns() - t0;
        s->sum->digest = v.digest;
        if (xm_stream_write_simple(&s->out, XM_REC_VERIFY, &v, sizeof(v)))
            return stream_fail(s, &s->out);
    }
    if (s->p->compat) {
        uint8_t end[XM_XC_END_LEN];
        struct iovec v = { end, sizeof(end) };

        xm_xc_end_bytes(end);
        if (xm_stream_write_raw(&s->out, &v, 1, "libxc and libxl END"))
            return stream_fail(s, &s->out);
    } else if (xm_stream_write_simple(&s->out, XM_REC_END, NULL, 0)) {
        return stream_fail(s, &s->out);
    }
    if (s->live)
        fault_point(s, "after-end");
    return 0;
}

static int compat_hand_over(struct sender *s);

/*
 * Just before GO: rename the source NAME--migratedaway, so that whatever
 * happens from here (even a kill) the paused source says it may run
 * elsewhere.
 */
static int rename_away(struct sender *s)
{
    char name[80];
    int rc;

    fault_point(s, "before-go");
    snprintf(name, sizeof(name), "%s--migratedaway", s->info.name);
    rc = s->be->ops->rename(s->be, s->domid, name);
    if (rc)
        return fail(s, rc, "cannot rename domain \"%s\" to \"%s\"",
                    s->info.name, name);
    s->renamed = true;
    return 0;
}

/* COMPLETE -> GO -> DONE. After GO the outcome may be unknown. */
static int hand_over(struct sender *s)
{
    struct xm_msg_complete c;
    struct xm_msg_done d;
    int rc;

    snprintf(s->phase, sizeof(s->phase), "the hand-over");
    if (s->p->compat)
        return compat_hand_over(s);
    rc = expect_reply(s, XM_MSG_COMPLETE, &c, sizeof(c), "COMPLETE");
    if (rc)
        return rc;
    if (cancelled(s))
        return fail(s, -ECANCELED, "migration cancelled");
    s->sum->verify_ns += c.verify_ns;
    s->sum->verified = c.verified != 0;
    s->sum->remote_domid = c.domid;
    rc = rename_away(s);
    if (rc)
        return rc;
    if (xm_stream_write_simple(&s->out, XM_REC_GO, NULL, 0))
        return stream_fail(s, &s->out);
    s->handed_over = true;
    fault_point(s, "after-go");
    rc = expect_reply(s, XM_MSG_DONE, &d, sizeof(d), "DONE");
    /*
     * An ERROR means the receiver destroyed its copy, so ours may resume;
     * silence means it may or may not have started the guest.
     */
    if (rc && s->peer_error)
        s->handed_over = false;
    return rc;
}

/* ---- compat: Xen's own stream (xenmig.h, "Compat") -------------------- */

#define XL_RECEIVER "the xl receiver"

/* libxc records from the xen backend, checked, then verbatim. */
static int compat_records(struct sender *s, const void *recs, size_t len,
                          const char *what)
{
    struct iovec v = { (void *)recs, len };
    char why[256];

    if (xm_xc_check_records(recs, len, NULL, why, sizeof(why)))
        return fail(s, -EINVAL,
                    "the %s of domain %u is not libxc records (%s): --compat needs the xen backend",
                    what, s->domid, why);
    if (xm_stream_write_raw(&s->out, &v, 1, what))
        return stream_fail(s, &s->out);
    return 0;
}

/*
 * xl's banner (live), then xl's save-file header with the JSON config,
 * the libxl and libxc headers and the static data from the CONFIG blob.
 */
static int compat_preamble(struct sender *s)
{
    const char *json;
    const uint8_t *rest;
    size_t len = 0, rest_len, hdr_len;
    uint8_t start[XM_XC_START_LEN];
    void *blob = NULL, *hdr = NULL;
    uint32_t dhdr_type;
    struct iovec v[2];
    int rc;

    s->features = 0; /* the standard has no encodings, no digest */
    if (s->live) {
        rc = xm_xl_read_message(s->lg, s->back.fd, XL_RECEIVER,
                                XM_XL_MIG_BANNER, XM_XL_MIG_BANNER_LEN,
                                "banner", s->p->timeout_s);
        if (rc)
            return fail(s, rc,
                        "no banner from the receiver: --compat talks to 'xl migrate-receive'");
    }
    rc = s->be->ops->get_state(s->be, s->domid, XM_STATE_CONFIG, &blob, &len);
    if (rc)
        return fail(s, rc, "cannot read the configuration of domain %u",
                    s->domid);
    if (xm_xc_split_config(blob, len, &json, &rest, &rest_len, &dhdr_type)) {
        rc = fail(s, -EINVAL,
                  "the configuration of domain %u is not libxl JSON and libxc records: --compat needs the xen backend",
                  s->domid);
        goto out;
    }
    rc = xm_xl_savefile_build(json, strlen(json),
                              XM_XL_SAVE_MANDATORY_CONFIG_JSON |
                                  XM_XL_SAVE_MANDATORY_STREAMV2,
                              &hdr, &hdr_len);
    if (rc) {
        rc = fail(s, rc, "cannot build the xl save-file header");
        goto out;
    }
    xm_xc_start_bytes(start, dhdr_type, s->info.hv_version >> 16,
                      s->info.hv_version & 0xffff);
    v[0] = (struct iovec){ hdr, hdr_len };
    v[1] = (struct iovec){ start, sizeof(start) };
    if (xm_stream_write_raw(&s->out, v, 2, "xl save-file header")) {
        rc = stream_fail(s, &s->out);
        goto out;
    }
    rc = compat_records(s, rest, rest_len, "static data");
out:
    free(hdr);
    free(blob);
    return rc;
}

/* @words and s->pages (mapped) as one PAGE_DATA record, raw, through
 * @iov (room for n + 2 pieces). */
static int compat_pages(struct sender *s, const uint64_t *words,
                        unsigned n, struct iovec *iov)
{
    uint8_t head[16];
    char why[256];
    unsigned k;

    if (xm_xc_page_data_iov(head, words, n, s->pages, iov, &k, why,
                            sizeof(why)))
        return fail(s, -EINVAL, "cannot send pages of domain %u: %s",
                    s->domid, why);
    if (xm_stream_write_raw(&s->out, iov, k, "PAGE_DATA record"))
        return stream_fail(s, &s->out);
    return 0;
}

/*
 * xl's hand-over: "ready" from the receiver, rename, "go", then its
 * report and status. A non-zero status comes with "go" back: the
 * receiver destroyed its copy and ours may resume.
 */
static int compat_hand_over(struct sender *s)
{
    static const char go[] = XM_XL_MIG_GO;
    struct iovec v = { (void *)go, XM_XL_MIG_MSG_LEN(XM_XL_MIG_GO) };
    int fd = s->back.fd, rc;
    unsigned to = s->p->timeout_s;
    uint8_t status;

    rc = xm_xl_read_message(s->lg, fd, XL_RECEIVER, XM_XL_MIG_READY,
                            XM_XL_MIG_MSG_LEN(XM_XL_MIG_READY),
                            "ready message", to);
    if (rc)
        return fail(s, rc, "the receiver did not confirm it holds the domain");
    if (cancelled(s))
        return fail(s, -ECANCELED, "migration cancelled");
    rc = rename_away(s);
    if (rc)
        return rc;
    if (xm_stream_write_raw(&s->out, &v, 1, "go message"))
        return stream_fail(s, &s->out);
    s->handed_over = true;
    fault_point(s, "after-go");
    rc = xm_xl_read_message(s->lg, fd, XL_RECEIVER, XM_XL_MIG_REPORT,
                            XM_XL_MIG_MSG_LEN(XM_XL_MIG_REPORT), "report",
                            to);
    if (!rc)
        rc = xm__read_exact(fd, &status, 1, NULL);
    if (rc)
        return fail(s, rc, "no report from the receiver after the go message");
    if (!status)
        return 0;
    rc = xm_xl_read_message(s->lg, fd, XL_RECEIVER, XM_XL_MIG_GO,
                            XM_XL_MIG_MSG_LEN(XM_XL_MIG_GO),
                            "permission to resume", to);
    if (rc)
        return fail(s, -EIO,
                    "the receiver reports failure (status %u) but does not give the domain back",
                    status);
    s->handed_over = false;
    return fail(s, -EIO,
                "the receiver could not start the domain (status %u): it destroyed its copy",
                status);
}

/* Put the source back the way it was. */
static void undo(struct sender *s)
{
    char name[80];
    bool ok = true;

    if (s->handed_over) {
        snprintf(name, sizeof(name), "%s--migratedaway", s->info.name);
        LOGD(s->lg, XM_LOG_ERROR, s->domid,
             "lost contact with the receiver after handing domain \"%s\" over: it may be running there; the source is kept paused as \"%s\": check the destination; if it runs there, 'xenmig destroy %s' here, if not, 'xenmig recover --force %s'",
             s->info.name, name, name, name);
        return;
    }
    if (s->renamed && s->be->ops->rename(s->be, s->domid, s->info.name))
        ok = false;
    if (s->cap == s->cap_orig)
        unnote_cap(s);
    if (s->cap == s->cap_orig && !s->logdirty_on && !s->suspended && ok) {
        if (s->info.name[0])
            LOGD(s->lg, XM_LOG_WARN, s->domid,
                 "domain \"%s\" keeps running on the source", s->info.name);
        return;
    }
    if (s->cap != s->cap_orig) {
        if (s->be->ops->set_cpu_cap(s->be, s->domid, s->cap_orig))
            ok = false;
        else
            unnote_cap(s);
    }
    if (s->logdirty_on && s->be->ops->logdirty_disable(s->be, s->domid))
        ok = false;
    if (s->suspended && s->be->ops->resume(s->be, s->domid))
        ok = false;
    if (ok)
        LOGD(s->lg, XM_LOG_WARN, s->domid,
             "domain \"%s\" resumed on the source, as it was", s->info.name);
    else
        LOGD(s->lg, XM_LOG_ERROR, s->domid,
             "domain \"%s\" could not be fully restored on the source: check its state with 'xenmig list', then run 'xenmig recover %s'",
             s->info.name, s->info.name);
}

static int sync_file(struct sender *s, int fd)
{
    struct stat st;

    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fdatasync(fd) < 0)
        return fail(s, -errno, "cannot write the save file to disk: %s",
                    strerror(errno));
    return 0;
}

int xm_send(struct xm_backend *be, struct xm_logger *lg, uint32_t domid,
            int rfd, int wfd, const struct xm_migrate_params *params,
            const struct xm_hooks *hooks, struct xm_summary *sum_r)
{
    struct sender *s;
    int rc;

    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->be = be;
    s->lg = lg;
    s->domid = domid;
    s->p = params;
    s->hooks = hooks;
    s->live = rfd >= 0;
    s->sum = sum_r;
    memset(sum_r, 0, sizeof(*sum_r));
    s->t_start = xm__now_ns();
    xm_stream_init(&s->out, wfd, "migration stream");
    s->out.bytes_limit = params->max_bandwidth;
    xm_stream_init(&s->back, rfd, "back channel");
    if (s->live)
        s->out.timeout_ms = s->back.timeout_ms = (int)params->timeout_s * 1000;
    xm_policy_init(&s->pol, params);
    snprintf(s->phase, sizeof(s->phase), "setup");

    rc = be->ops->domain_info(be, domid, &s->info);
    if (rc) {
        rc = fail(s, rc, "cannot read the state of domain %u", domid);
        goto out;
    }
    if (params->compat && strcmp(xm_backend_name(be), "xen") != 0) {
        rc = fail(s, -EOPNOTSUPP,
                  "--compat writes Xen's own stream: it needs the xen backend, not \"%s\"",
                  xm_backend_name(be));
        goto out;
    }
    if (s->info.flags & XM_DOMAIN_SUSPENDED) {
        rc = fail(s, -EBUSY, "domain \"%s\" is suspended: is another save or migration running? (if not, 'xenmig recover %s' resumes it)",
                  s->info.name, s->info.name);
        goto out;
    }
    if (s->info.flags & XM_DOMAIN_LOGDIRTY) {
        rc = fail(s, -EBUSY, "domain \"%s\" is already in log-dirty mode: is another migration running? (if not, 'xenmig recover %s' ends the one that was killed)",
                  s->info.name, s->info.name);
        goto out;
    }
    /* an administrator's cap, kept through the migration (set_cap) */
    s->cap = s->cap_orig = s->info.cpu_cap;
    sum_r->guest_pages = s->info.nr_pfns;
    s->bitmap_longs = (s->info.nr_pfns + BITS_PER_LONG - 1) / BITS_PER_LONG;
    s->to_send = calloc(s->bitmap_longs, sizeof(unsigned long));
    s->dirty = calloc(s->bitmap_longs, sizeof(unsigned long));
    if (!s->to_send || !s->dirty) {
        rc = fail(s, -ENOMEM, "out of memory for the dirty bitmaps");
        goto out;
    }
    LOGD(lg, XM_LOG_INFO, domid, "sending domain \"%s\" (%llu MiB, %s%s)",
         s->info.name, (unsigned long long)(s->info.nr_pfns >> 8),
         s->live && params->live ? "live" : "suspended",
         params->compat ? ", Xen's stream for stock xl" : "");

    rc = send_preamble(s);
    if (!rc) {
        rc = xm_encoder_new(&params->compress, s->features, s->info.nr_pfns,
                            &s->encoder);
        if (rc)
            rc = fail(s, rc, "cannot set up the page encoder");
        else
            xm_encoder_link_limit(s->encoder, s->out.bytes_limit);
    }
    if (!rc && (rc = xm__writer_init(&s->writer, &s->out)))
        rc = fail(s, rc, "cannot start the writer thread");
    if (!rc)
        fault_point(s, "setup");
    if (!rc && s->live && params->live)
        rc = iterate(s);
    else if (!rc)
        sum_r->stop_reason = "not live";
    if (!rc)
        rc = stop_and_copy(s);
    if (!rc && s->live)
        rc = hand_over(s);
    else if (!rc)
        rc = sync_file(s, wfd);
    if (rc)
        goto out;

    sum_r->iterations = s->iteration;
    xm_encoder_stats(s->encoder, &sum_r->codec);
    sum_r->bytes_sent = s->out.offset;
    sum_r->total_ns = xm__now_ns() - s->t_start;
    if (s->live)
        sum_r->downtime_ns = xm__now_ns() - s->t_pause - sum_r->verify_ns;
    if (!s->live && params->keep_source) {
        unnote_cap(s);
        rc = be->ops->resume(be, domid);
        if (rc)
            LOGD(lg, XM_LOG_WARN, domid,
                 "saved, but resuming domain \"%s\" failed", s->info.name);
        rc = 0;
    } else {
        rc = be->ops->destroy(be, domid);
        if (rc) {
            LOGD(lg, XM_LOG_WARN, domid,
                 "the domain runs on the destination but destroying the source failed; destroy it by hand");
            rc = 0;
        }
    }
out:
    batch_done(s, true);
    xm__writer_dispose(&s->writer);
    if (rc)
        undo(s);
    xm_stream_dispose(&s->out);
    xm_stream_dispose(&s->back);
    free(s->to_send);
    free(s->dirty);
    xm_encoder_free(s->encoder);
    free(s);
    return rc;
}
