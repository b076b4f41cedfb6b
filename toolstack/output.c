/*
 * output.c - what a person or a script sees of a migration: a progress
 * line on a terminal, a line per iteration with -v, and a summary (text,
 * or JSON through yajl with --json).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cli.h"
#include "stream-format.h"

#define MIB (1024.0 * 1024.0)

void report_init(struct cli_report *r, bool json)
{
    memset(r, 0, sizeof(*r));
    r->json = json;
    r->tty = isatty(STDERR_FILENO) && globals.verbosity >= 0;
    r->verbose = globals.verbosity > 0;
}

void report_dispose(struct cli_report *r)
{
    free(r->iters);
    r->iters = NULL;
}

static void on_progress(void *opaque, const struct xm_progress *p)
{
    struct cli_report *r = opaque;
    double pct = p->pages_total ? 100.0 * p->pages_done / p->pages_total : 0;

    if (!r->tty)
        return;
    if (p->pages_total)
        fprintf(stderr,
                "\r\033[Kiteration %u%s: %5.1f%% of %llu pages, %.0f MiB/s, dirty %.0f MiB/s, downtime ~%.0f ms, throttle %u%%",
                p->iteration, p->stop_and_copy ? " (paused)" : "", pct,
                (unsigned long long)p->pages_total, p->bandwidth / MIB,
                p->dirty_rate / MIB, p->expected_downtime_ns / 1e6,
                p->throttle_pct);
    else
        fprintf(stderr, "\r\033[Kreceived %.1f MiB",
                p->bytes_total / MIB);
    fflush(stderr);
}

static void on_iteration(void *opaque, const struct xm_iteration *it)
{
    struct cli_report *r = opaque;

    if (r->n_iters == r->cap_iters) {
        unsigned cap = r->cap_iters ? 2 * r->cap_iters : 16;
        void *p = realloc(r->iters, cap * sizeof(*it));

        if (p) {
            r->iters = p;
            r->cap_iters = cap;
        }
    }
    if (r->n_iters < r->cap_iters)
        ((struct xm_iteration *)r->iters)[r->n_iters++] = *it;
    if (r->verbose) {
        if (r->tty)
            fputs("\r\033[K", stderr);
        fprintf(stderr,
                "iteration %u: %llu pages (raw %llu, zero %llu, delta %llu, lz4 %llu, zstd %llu) in %.1f ms, %.0f MiB/s, %llu pages/s; %llu dirtied (%.0f MiB/s); downtime ~%.1f ms; throttle %u%%\n",
                it->iteration, (unsigned long long)it->pages_sent,
                (unsigned long long)it->codec.pages[XM_ENC_RAW],
                (unsigned long long)it->codec.pages[XM_ENC_ZERO],
                (unsigned long long)it->codec.pages[XM_ENC_DELTA],
                (unsigned long long)it->codec.pages[XM_ENC_LZ4],
                (unsigned long long)it->codec.pages[XM_ENC_ZSTD],
                it->duration_ns / 1e6,
                it->bandwidth / MIB, (unsigned long long)it->page_rate,
                (unsigned long long)it->dirty_pages,
                it->dirty_rate / MIB, it->expected_downtime_ns / 1e6,
                it->throttle_pct);
    }
}

void report_hooks(struct cli_report *r, struct xm_hooks *h)
{
    h->progress = on_progress;
    h->iteration = on_iteration;
    h->opaque = r;
    h->cancel = &cli_cancel;
}

static void gen_str(yajl_gen g, const char *k, const char *v)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static void gen_int(yajl_gen g, const char *k, long long v)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    yajl_gen_integer(g, v);
}

/* Milliseconds to the microsecond: yajl_gen_double prints %.20g, whose
 * last digits are binary noise (30816.724132999999711). */
static void gen_dbl(yajl_gen g, const char *k, double v)
{
    char num[64];
    int n = snprintf(num, sizeof(num), "%.3f", v);

    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    if (isfinite(v))
        yajl_gen_number(g, num, (size_t)n);
    else
        yajl_gen_null(g);
}

static void gen_codec(yajl_gen g, const struct xm_codec_stats *c)
{
    static const char *const names[] = { "raw", "zero", "delta", "lz4",
                                         "zstd" };
    unsigned i;

    yajl_gen_string(g, (const unsigned char *)"encodings", 9);
    yajl_gen_map_open(g);
    for (i = 0; i < 5; i++)
        gen_int(g, names[i], (long long)c->pages[i]);
    yajl_gen_map_close(g);
    gen_int(g, "bytes_saved", (long long)(c->raw_bytes - c->payload_bytes));
    gen_int(g, "delta_hits", (long long)c->delta_hits);
    gen_int(g, "delta_misses", (long long)c->delta_misses);
    gen_int(g, "delta_overflows", (long long)c->delta_overflows);
    gen_int(g, "delta_evictions", (long long)c->delta_evictions);
    gen_dbl(g, "codec_cpu_ms", c->codec_ns / 1e6);
}

static void summary_json(struct cli_report *r, const char *what,
                         const char *domain, const char *where,
                         const struct xm_summary *s)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    unsigned i;

    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    gen_str(g, "operation", what);
    gen_str(g, "domain", domain);
    gen_str(g, "peer", where);
    gen_int(g, "remote_domid", s->remote_domid);
    gen_dbl(g, "total_ms", s->total_ns / 1e6);
    gen_dbl(g, "downtime_ms", s->downtime_ns / 1e6);
    gen_dbl(g, "downtime_limit_ms", r->downtime_limit_ns / 1e6);
    gen_dbl(g, "expected_downtime_ms", s->expected_downtime_ns / 1e6);
    gen_dbl(g, "suspend_ms", s->suspend_ns / 1e6);
    gen_dbl(g, "final_pass_ms", s->final_pass_ns / 1e6);
    gen_int(g, "final_pages", (long long)s->final_pages);
    gen_dbl(g, "verify_ms", s->verify_ns / 1e6);
    yajl_gen_string(g, (const unsigned char *)"verified", 8);
    yajl_gen_bool(g, s->verified);
    if (s->digest) {
        char hex[24];

        snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)s->digest);
        gen_str(g, "digest", hex);
    }
    gen_int(g, "bytes", (long long)s->bytes_sent);
    gen_int(g, "pages_sent", (long long)s->pages_sent);
    gen_codec(g, &s->codec);
    gen_int(g, "guest_pages", (long long)s->guest_pages);
    gen_int(g, "iterations", s->iterations);
    gen_int(g, "throttle_max", s->throttle_max_used);
    gen_str(g, "stop_reason", s->stop_reason ? s->stop_reason : "");
    gen_dbl(g, "throughput_mib_s",
            s->total_ns ? s->bytes_sent / MIB / (s->total_ns / 1e9) : 0);
    yajl_gen_string(g, (const unsigned char *)"per_iteration", 13);
    yajl_gen_array_open(g);
    for (i = 0; i < r->n_iters; i++) {
        const struct xm_iteration *it = &((struct xm_iteration *)r->iters)[i];

        yajl_gen_map_open(g);
        gen_int(g, "iteration", it->iteration);
        gen_int(g, "pages", (long long)it->pages_sent);
        gen_int(g, "bytes", (long long)it->bytes_sent);
        gen_dbl(g, "ms", it->duration_ns / 1e6);
        gen_int(g, "dirty_pages", (long long)it->dirty_pages);
        gen_int(g, "bandwidth", (long long)it->bandwidth);
        gen_int(g, "page_rate", (long long)it->page_rate);
        gen_int(g, "dirty_rate", (long long)it->dirty_rate);
        gen_dbl(g, "expected_downtime_ms", it->expected_downtime_ns / 1e6);
        gen_int(g, "throttle", it->throttle_pct);
        gen_codec(g, &it->codec);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    fwrite(buf, 1, len, stdout);
    yajl_gen_free(g);
}

void report_summary(struct cli_report *r, const char *what,
                    const char *domain, const char *where,
                    const struct xm_summary *s)
{
    double secs = s->total_ns / 1e9;

    if (r->tty)
        fputs("\r\033[K", stderr);
    if (r->json) {
        summary_json(r, what, domain, where, s);
        return;
    }
    printf("%s domain \"%s\" %s %s\n", what, domain,
           strcmp(what, "received") == 0 || strcmp(what, "restored") == 0
               ? "from" : "to", where);
    printf("  total time      %.3f s\n", secs);
    if (s->downtime_ns || r->downtime_limit_ns) {
        printf("  downtime        %.1f ms (limit %.0f ms)", s->downtime_ns / 1e6,
               r->downtime_limit_ns / 1e6);
        if (s->verify_ns)
            printf(", plus %.1f ms verifying", s->verify_ns / 1e6);
        printf("\n");
    }
    if (s->downtime_ns && s->stop_reason &&
        strcmp(s->stop_reason, "not live") != 0) {
        if (s->expected_downtime_ns == UINT64_MAX)
            printf("  predicted       - (no pass measured)");
        else
            printf("  predicted       %.1f ms", s->expected_downtime_ns / 1e6);
        printf(" for the pages left; then: suspend %.1f ms, last pass %llu pages in %.1f ms, state and hand-over %.1f ms\n",
               s->suspend_ns / 1e6, (unsigned long long)s->final_pages, s->final_pass_ns / 1e6,
               (s->downtime_ns - s->suspend_ns - s->final_pass_ns) / 1e6);
    }
    printf("  bytes           %.1f MiB (%.0f MiB/s)\n", s->bytes_sent / MIB,
           secs > 0 ? s->bytes_sent / MIB / secs : 0);
    printf("  pages           %llu sent, guest %llu\n",
           (unsigned long long)s->pages_sent,
           (unsigned long long)s->guest_pages);
    if (s->codec.raw_bytes) {
        const struct xm_codec_stats *c = &s->codec;

        printf("  encodings       raw %llu, zero %llu, delta %llu, lz4 %llu, zstd %llu\n",
               (unsigned long long)c->pages[XM_ENC_RAW],
               (unsigned long long)c->pages[XM_ENC_ZERO],
               (unsigned long long)c->pages[XM_ENC_DELTA],
               (unsigned long long)c->pages[XM_ENC_LZ4],
               (unsigned long long)c->pages[XM_ENC_ZSTD]);
        printf("  saved           %.1f MiB (%.0f%% of page data), codec CPU %.0f ms\n",
               (c->raw_bytes - c->payload_bytes) / MIB,
               100.0 * (c->raw_bytes - c->payload_bytes) / c->raw_bytes,
               c->codec_ns / 1e6);
        if (c->delta_hits || c->delta_misses)
            printf("  delta cache     %llu hits, %llu misses, %llu overflows, %llu evictions\n",
                   (unsigned long long)c->delta_hits,
                   (unsigned long long)c->delta_misses,
                   (unsigned long long)c->delta_overflows,
                   (unsigned long long)c->delta_evictions);
    }
    if (s->iterations)
        printf("  iterations      %u (stopped: %s)\n", s->iterations,
               s->stop_reason ? s->stop_reason : "-");
    if (s->throttle_max_used)
        printf("  throttle        up to %u%%\n", s->throttle_max_used);
    if (s->verified)
        printf("  verified        RAM digests match\n");
}
