/*
 * xl-migrate.c - receive from stock xl: save files and `xl migrate`
 * (see xl-migrate.h for the order).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>

#include "private.h"
#include "xc-stream.h"
#include "xen-restore.h"
#include "xl-format.h"
#include "xl-migrate.h"

/*
 * The domain's name in @sf's config into *@name_r (malloc'd). Refuses
 * what we cannot restore: no config, xl's own config syntax (only xl
 * parses it), a legacy v1 stream. 0 or -EINVAL (logged).
 */
static int config_name(libxl_ctx *ctx, struct xm_logger *lg, const char *what,
                       const struct xm_xl_savefile *sf, char **name_r)
{
    libxl_domain_config cfg;
    int r;

    if (!sf->config) {
        LOG(lg, XM_LOG_ERROR,
            "%s carries no domain configuration: restore it with 'xl restore CONFIG FILE'",
            what);
        return -EINVAL;
    }
    if (!sf->json) {
        LOG(lg, XM_LOG_ERROR,
            "%s carries its configuration in xl's config-file syntax, not JSON (xl migrate -C / xl save with a config file): only xl can read that",
            what);
        return -EINVAL;
    }
    if (!sf->streamv2) {
        LOG(lg, XM_LOG_ERROR,
            "%s holds a legacy (v1) libxl stream (mandatory flags 0x%x at offset 36): use xl restore",
            what, sf->mandatory_flags);
        return -EINVAL;
    }
    libxl_domain_config_init(&cfg);
    r = libxl_domain_config_from_json(ctx, &cfg, sf->config);
    if (r || !cfg.c_info.name || !cfg.c_info.name[0]) {
        LOG(lg, XM_LOG_ERROR,
            r ? "the JSON configuration in %s (offset 52) is not valid for libxl"
              : "the JSON configuration in %s (offset 52) has no domain name",
            what);
        libxl_domain_config_dispose(&cfg);
        return -EINVAL;
    }
    *name_r = strdup(cfg.c_info.name);
    libxl_domain_config_dispose(&cfg);
    return *name_r ? 0 : -ENOMEM;
}

int xm_xl_restore_file(libxl_ctx *ctx, struct xm_logger *lg, int fd,
                       const char *what, const struct xm_xl_receive_params *p,
                       uint32_t *domid_r)
{
    struct xm_xl_savefile sf;
    char *name = NULL;
    int rc;

    rc = xm_xl_savefile_read(fd, what, lg, &sf);
    if (rc)
        return rc;
    rc = config_name(ctx, lg, what, &sf, &name);
    if (rc)
        goto out;
    LOG(lg, XM_LOG_INFO, "restoring \"%s\" from the xl save file %s",
        p->rename ? p->rename : name, what);
    rc = xm_xen_restore_fd(ctx, lg, p->rename ? p->rename : name, sf.config,
                           fd, p->paused, domid_r);
out:
    free(name);
    xm_xl_savefile_dispose(&sf);
    return rc;
}

static int send_message(struct xm_logger *lg, int fd, const void *msg,
                        size_t len, const char *what)
{
    int rc = xm__write_all(fd, msg, len);

    if (rc)
        LOGE(lg, XM_LOG_ERROR, rc, "cannot send the %s to the xl sender",
             what);
    return rc;
}

int xm_xl_migrate_receive(libxl_ctx *ctx, struct xm_logger *lg, int rfd,
                          int wfd, const struct xm_xl_receive_params *p,
                          uint32_t *domid_r)
{
    struct xm_xl_savefile sf = { 0 };
    char *name = NULL, *incoming = NULL;
    const char *final;
    uint32_t domid;
    bool have_domain = false;
    int rc, r;
    uint8_t status;

    rc = send_message(lg, wfd, XM_XL_MIG_BANNER, XM_XL_MIG_BANNER_LEN,
                      "banner");
    if (rc)
        return rc;
    rc = xm_xl_savefile_read(rfd, "the xl migration stream", lg, &sf);
    if (rc)
        goto out;
    rc = config_name(ctx, lg, "the xl migration stream", &sf, &name);
    if (rc)
        goto out;
    final = p->rename ? p->rename : name;
    if (asprintf(&incoming, "%s--incoming", final) < 0) {
        incoming = NULL;
        rc = -ENOMEM;
        goto out;
    }
    LOG(lg, XM_LOG_INFO, "receiving \"%s\" from xl migrate as \"%s\"", name,
        incoming);
    rc = xm_xen_restore_fd(ctx, lg, incoming, sf.config, rfd, true, &domid);
    if (rc) {
        /* Nothing is left here; closing makes xl resume its guest. */
        LOG(lg, XM_LOG_ERROR,
            "receiving \"%s\" failed: the sender keeps its guest", name);
        goto out;
    }
    have_domain = true;
    rc = send_message(lg, wfd, XM_XL_MIG_READY,
                      XM_XL_MIG_MSG_LEN(XM_XL_MIG_READY), "ready message");
    if (rc)
        goto out; /* the sender is gone: it resumes its own copy */
    rc = xm_xl_read_message(lg, rfd, "the xl sender", XM_XL_MIG_GO,
                            XM_XL_MIG_MSG_LEN(XM_XL_MIG_GO),
                            "permission to go", p->timeout_s);
    if (!rc) {
        r = libxl_domain_rename(ctx, domid, incoming, final);
        if (r) {
            LOGD(lg, XM_LOG_ERROR, domid,
                 "cannot rename \"%s\" to \"%s\" (%s)", incoming, final,
                 libxl_error_to_string(r) ?: "unknown error");
            rc = -EIO;
        }
    }
    if (!rc && !p->paused) {
        r = libxl_domain_unpause(ctx, domid, NULL);
        if (r) {
            LOGD(lg, XM_LOG_ERROR, domid, "cannot unpause \"%s\" (%s)",
                 final, libxl_error_to_string(r) ?: "unknown error");
            rc = -EIO;
        }
    }
    /* The report goes out whatever happened, as xl's does. */
    status = rc ? (uint8_t)(-rc > 0 && -rc < 256 ? -rc : 1) : 0;
    r = send_message(lg, wfd, XM_XL_MIG_REPORT,
                     XM_XL_MIG_MSG_LEN(XM_XL_MIG_REPORT), "report");
    if (!r)
        r = send_message(lg, wfd, &status, 1, "status");
    if (!rc && r) {
        /* Our copy runs, but the sender may not know: it keeps its copy
         * paused as NAME--migratedaway, so there are never two running. */
        LOGD(lg, XM_LOG_WARN, domid,
             "\"%s\" runs here but the sender did not get the report: its copy stays paused as \"%s--migratedaway\"",
             final, name);
        rc = 0;
    }
    if (rc) {
        LOGD(lg, XM_LOG_ERROR, domid,
             "receiving \"%s\" failed after the transfer: destroying our copy, the sender resumes its own",
             name);
        r = libxl_domain_destroy(ctx, domid, NULL);
        if (r) {
            /* Not giving GO back: the sender must not resume while our
             * copy may still exist. */
            LOGD(lg, XM_LOG_ERROR, domid,
                 "cannot destroy our copy \"%s\" (%s): the sender's copy stays paused; destroy domain %u and resume the other by hand",
                 incoming, libxl_error_to_string(r) ?: "unknown error",
                 domid);
            goto out;
        }
        have_domain = false;
        send_message(lg, wfd, XM_XL_MIG_GO, XM_XL_MIG_MSG_LEN(XM_XL_MIG_GO),
                     "permission to resume");
        goto out;
    }
    LOGD(lg, XM_LOG_INFO, domid, "received \"%s\" from xl migrate%s", final,
         p->paused ? " (paused)" : "");
    *domid_r = domid;
    have_domain = false;
out:
    if (have_domain) {
        /* Failed between the restore and the report. */
        char *now = libxl_domid_to_name(ctx, domid);

        if (now && (!strcmp(now, incoming) || !strcmp(now, final)))
            libxl_domain_destroy(ctx, domid, NULL);
        free(now);
        if (!rc)
            rc = -EIO;
    }
    free(incoming);
    free(name);
    xm_xl_savefile_dispose(&sf);
    return rc;
}
