/*
 * xl-refeed.c - restore an `xl save` file through xen-restore's piped API
 * (start / records / pages / finish), the path the Xen backend's
 * receiver takes, instead of handing the file to libxl whole. Run in a
 * dom0 by tests/xen/test-xl-interop-receive.sh: a guest that runs
 * afterwards proves the API end to end on real Xen, with Xen's own
 * records as input.
 *
 *   xl-refeed [-p] FILE [NAME]     (exit 0: restored, running unless -p)
 *
 * The file is split as the transcoder would: the xl header gives the
 * JSON config; the libxl header and LIBXC_CONTEXT are ours to write
 * (start), so they are read and checked; the libxc image and domain
 * headers give the guest type; then each libxc record goes to
 * xm_xen_restore_pages() (PAGE_DATA, unpacked into pfn words and page
 * pointers) or xm_xen_restore_records(), up to libxc END; after it only
 * the libxl END may come (finish writes both ENDs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxl.h>

#include "private.h"
#include "stream-format.h"
#include "xc-stream.h"
#include "xen-restore.h"
#include "xl-format.h"

static void log_stderr(struct xm_logger *lg, enum xm_log_level level,
                       int errnoval, int domid, const char *f, va_list ap)
{
    fprintf(stderr, "xl-refeed: ");
    vfprintf(stderr, f, ap);
    if (errnoval >= 0)
        fprintf(stderr, ": %s", strerror(errnoval));
    fputc('\n', stderr);
}

static struct xm_logger lg = { .log = log_stderr,
                               .min_level = XM_LOG_VERBOSE };

static int die(const char *what)
{
    fprintf(stderr, "xl-refeed: %s\n", what);
    return 1;
}

/* Read one record of either layer: header into @h, body (padded) into
 * *@body (realloc'd). 0 or -1. */
static int read_rec(int fd, struct xm_xc_rhdr *h, uint8_t **body,
                    size_t *cap)
{
    size_t padded;

    if (xm__read_exact(fd, h, sizeof(*h), NULL))
        return -1;
    if (h->length > XM_XC_REC_LENGTH_MAX)
        return -1;
    padded = ((size_t)h->length + 7) & ~(size_t)7;
    if (padded + sizeof(*h) > *cap) {
        *cap = padded + sizeof(*h);
        *body = realloc(*body, *cap);
        if (!*body)
            return -1;
    }
    memcpy(*body, h, sizeof(*h));
    return xm__read_exact(fd, *body + sizeof(*h), padded, NULL) ? -1 : 0;
}

/* One PAGE_DATA record (@rec, header included) to the restore. */
static int feed_pages(struct xm_xen_restore *r, const uint8_t *rec)
{
    struct xm_xc_page_data pd;
    const uint8_t *p = rec + 8 + sizeof(pd);
    uint64_t *words;
    void **pages;
    unsigned i;
    int rc;

    memcpy(&pd, rec + 8, sizeof(pd));
    words = calloc(pd.count ? pd.count : 1, sizeof(*words));
    pages = calloc(pd.count ? pd.count : 1, sizeof(*pages));
    if (!words || !pages)
        return -ENOMEM;
    memcpy(words, p, 8ull * pd.count);
    p += 8ull * pd.count;
    for (i = 0; i < pd.count; i++) {
        if (xm_xc_type_has_data((unsigned)(words[i] >> XM_XC_TYPE_SHIFT))) {
            pages[i] = (void *)p;
            p += 4096;
        }
    }
    rc = xm_xen_restore_pages(r, words, pd.count, pages);
    free(words);
    free(pages);
    return rc;
}

int main(int argc, char **argv)
{
    struct xm_xl_savefile sf;
    struct xm_xen_restore *r = NULL;
    struct xm_xc_rhdr h;
    struct xm_xl_hdr xh;
    struct xm_xc_ihdr ih;
    struct xm_xc_dhdr dh;
    libxl_ctx *ctx = NULL;
    uint8_t *body = NULL;
    size_t cap = 0;
    unsigned n_pages = 0, n_recs = 0;
    uint32_t domid, guest_type;
    const char *name;
    bool paused = false;
    int fd, status = 1;

    if (argc > 1 && !strcmp(argv[1], "-p")) {
        paused = true;
        argv++;
        argc--;
    }
    if (argc < 2 || argc > 3)
        return die("usage: xl-refeed [-p] FILE [NAME]");
    fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return die("cannot open the file");
    if (xm_xl_savefile_read(fd, argv[1], &lg, &sf) || !sf.config ||
        !sf.json || !sf.streamv2)
        return die("not an xl save file with a JSON config and a v2 stream");
    if (xm__read_exact(fd, &xh, sizeof(xh), NULL) ||
        __builtin_bswap64(xh.ident) != XM_XL_IDENT ||
        __builtin_bswap32(xh.version) != XM_XL_VERSION)
        return die("no libxl v2 header after the xl header");
    /* libxl records up to LIBXC_CONTEXT: start writes that one. */
    for (;;) {
        if (read_rec(fd, &h, &body, &cap))
            return die("cut in the libxl records");
        if (h.type == XM_XL_REC_LIBXC_CONTEXT)
            break;
        fprintf(stderr, "xl-refeed: libxl record 0x%x before the libxc part cannot be forwarded\n",
                h.type);
        return 1;
    }
    if (xm__read_exact(fd, &ih, sizeof(ih), NULL) ||
        xm__read_exact(fd, &dh, sizeof(dh), NULL) ||
        __builtin_bswap32(ih.id) != XM_XC_IHDR_ID)
        return die("no libxc image and domain header");
    guest_type = dh.type == XM_XC_DHDR_TYPE_X86_PV ? XM_GUEST_PV : XM_GUEST_PVH;
    if (xm_xen_libxl_open(&lg, &ctx))
        return 1;
    name = argc == 3 ? argv[2] : NULL;
    if (!name) {
        libxl_domain_config cfg;

        libxl_domain_config_init(&cfg);
        if (libxl_domain_config_from_json(ctx, &cfg, sf.config) ||
            !cfg.c_info.name)
            return die("no name in the config");
        name = strdup(cfg.c_info.name);
        libxl_domain_config_dispose(&cfg);
    }
    if (xm_xen_restore_start(ctx, &lg, name, sf.config, guest_type, &r,
                             &domid))
        goto out;
    fprintf(stderr, "xl-refeed: domain %u made, feeding records\n", domid);
    for (;;) {
        if (read_rec(fd, &h, &body, &cap)) {
            die("the file ends inside the libxc part");
            goto out;
        }
        if (h.type == XM_XC_REC_END)
            break;
        if (h.type == XM_XC_REC_PAGE_DATA) {
            if (feed_pages(r, body))
                goto out;
            n_pages++;
        } else {
            size_t len = 8 + (((size_t)h.length + 7) & ~(size_t)7);

            if (xm_xen_restore_records(r, body, len))
                goto out;
            n_recs++;
        }
    }
    if (read_rec(fd, &h, &body, &cap) || h.type != XM_XL_REC_END) {
        die("after the libxc part, something else than the libxl END");
        goto out;
    }
    if (xm_xen_restore_finish(r))
        goto out;
    if (!paused && libxl_domain_unpause(ctx, domid, NULL)) {
        die("cannot unpause");
        goto out;
    }
    printf("restored domain %u \"%s\" through the pipe: %u PAGE_DATA and %u other records\n",
           domid, name, n_pages, n_recs);
    status = 0;
out:
    xm_xen_restore_dispose(r);
    xm_xen_libxl_close(ctx);
    xm_xl_savefile_dispose(&sf);
    free(body);
    close(fd);
    return status;
}
