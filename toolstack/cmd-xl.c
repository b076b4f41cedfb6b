/*
 * cmd-xl.c - what the CLI does with stock xl's formats: `xenmig restore`
 * of an `xl save` file, and `xenmig migrate-receive --xl` (xl's
 * migration handshake on stdin/stdout, so `xl migrate` can send to us).
 *
 * Both run on libxl directly (xl-migrate.c, xen-restore.c): the guest is
 * restored by Xen's own code. The libxl context is opened here for now;
 * once the Xen backend (backend-xen.c) exists, cli_libxl_open() is the
 * one place to change so these share the backend's context.
 * Built without the Xen libraries, both say so and fail.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

#ifdef HAVE_XEN
#include "xen-restore.h"
#include "xl-migrate.h"

/* A libxl context logging through the CLI's logger. */
static int cli_libxl_open(libxl_ctx **ctx_r)
{
    return xm_xen_libxl_open(&cli_logger, ctx_r);
}

int cli_xl_restore(int fd, const char *path, bool paused, const char *rename,
                   bool json)
{
    struct xm_xl_receive_params p = { .paused = paused, .rename = rename };
    libxl_ctx *ctx = NULL;
    uint32_t domid;
    char what[300];
    int status = 1;

    snprintf(what, sizeof(what), "\"%s\"", path);
    cli_catch_signals();
    if (cli_libxl_open(&ctx))
        goto out;
    if (xm_xl_restore_file(ctx, &cli_logger, fd, what, &p, &domid)) {
        LOG(&cli_logger, XM_LOG_ERROR, "restoring from \"%s\" failed", path);
        goto out;
    }
    if (json)
        printf("{\"restored\": {\"domid\": %u, \"from\": \"%s\", \"format\": \"xl\"}}\n",
               domid, path);
    else
        printf("restored domain %u from the xl save file \"%s\"%s\n", domid,
               path, paused ? " (paused)" : "");
    status = 0;
out:
    xm_xen_libxl_close(ctx);
    return status;
}

int cli_xl_migrate_receive(bool paused, const char *rename,
                           unsigned timeout_s)
{
    struct xm_xl_receive_params p = {
        .paused = paused, .rename = rename, .timeout_s = timeout_s,
    };
    libxl_ctx *ctx = NULL;
    uint32_t domid;
    int status = 1;

    cli_catch_signals();
    if (cli_libxl_open(&ctx))
        goto out;
    if (xm_xl_migrate_receive(ctx, &cli_logger, STDIN_FILENO, STDOUT_FILENO,
                              &p, &domid) == 0)
        status = 0;
out:
    xm_xen_libxl_close(ctx);
    return status;
}

#else /* !HAVE_XEN */

static int no_xen(const char *what)
{
    LOG(&cli_logger, XM_LOG_ERROR,
        "%s needs libxl, and this xenmig was built without the Xen libraries (install libxen-dev and rebuild)",
        what);
    return 1;
}

int cli_xl_restore(int fd, const char *path, bool paused, const char *rename,
                   bool json)
{
    (void)fd, (void)paused, (void)rename, (void)json;
    LOG(&cli_logger, XM_LOG_ERROR, "\"%s\" is an xl save file", path);
    return no_xen("restoring an xl save file");
}

int cli_xl_migrate_receive(bool paused, const char *rename,
                           unsigned timeout_s)
{
    (void)paused, (void)rename, (void)timeout_s;
    return no_xen("migrate-receive --xl");
}

#endif /* HAVE_XEN */
