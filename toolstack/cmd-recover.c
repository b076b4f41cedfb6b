/*
 * cmd-recover.c - xenmig recover: put a source domain back the way it was
 * after a migration or save whose process was killed, so it could not undo
 * its own steps (xm_send()'s undo() done by hand).
 *
 * What a killed sender can leave, by phase (xenmig.h):
 *   before stop-and-copy    running, log-dirty on, perhaps a CPU cap
 *   stop-and-copy, save     suspended too
 *   after COMPLETE          suspended and renamed NAME--migratedaway: the
 *                           guest may run on the destination, so recover
 *                           refuses it without --force
 * recover removes the cap, turns log-dirty off, renames NAME--migratedaway
 * back to NAME (--force) and resumes a suspended domain. It never unpauses
 * a domain that was merely paused (xenmig pause is the operator's).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define AWAY "--migratedaway"

int main_recover(int argc, char **argv)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct cmd_spec *self = cmd_find("recover");
    struct xm_backend *be = NULL;
    struct xm_domain_info info;
    char name[sizeof(info.name)];
    bool force = false, away, did = false;
    size_t len;
    uint32_t domid;
    int opt, rc, status = 1;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'f') {
            force = true;
        } else if (opt == 'h') {
            cmd_usage(self, true);
            return 0;
        } else {
            cmd_usage(self, false);
            return 2;
        }
    }
    if (argc - optind != 1) {
        cmd_usage(self, false);
        return 2;
    }
    if (cli_open_backend(&be) || cli_domain(be, argv[optind], &domid))
        goto out;
    rc = be->ops->domain_info(be, domid, &info);
    if (rc) {
        LOGE(&cli_logger, XM_LOG_ERROR, rc, "cannot read the state of \"%s\"",
             argv[optind]);
        goto out;
    }
    len = strlen(info.name);
    away = len > strlen(AWAY) && strcmp(info.name + len - strlen(AWAY), AWAY) == 0;
    if (away && !force) {
        LOG(&cli_logger, XM_LOG_ERROR,
            "domain \"%s\" was handed over to another host and may run there: check the destination; only if it does not run there, 'xenmig recover --force %s'",
            info.name, info.name);
        goto out;
    }
    if (info.cpu_cap) {
        rc = be->ops->set_cpu_cap(be, domid, 0);
        if (rc) {
            LOGE(&cli_logger, XM_LOG_ERROR, rc,
                 "cannot remove the CPU cap of \"%s\"", info.name);
            goto out;
        }
        did = true;
    }
    if (info.flags & XM_DOMAIN_LOGDIRTY) {
        rc = be->ops->logdirty_disable(be, domid);
        if (rc) {
            LOGE(&cli_logger, XM_LOG_ERROR, rc,
                 "cannot turn log-dirty mode off on \"%s\"", info.name);
            goto out;
        }
        did = true;
    }
    snprintf(name, sizeof(name), "%.*s",
             (int)(away ? len - strlen(AWAY) : len), info.name);
    if (away) {
        rc = be->ops->rename(be, domid, name);
        if (rc) {
            LOGE(&cli_logger, XM_LOG_ERROR, rc,
                 "cannot rename \"%s\" back to \"%s\"", info.name, name);
            goto out;
        }
        did = true;
    }
    if (info.flags & XM_DOMAIN_SUSPENDED) {
        rc = be->ops->resume(be, domid);
        if (rc) {
            LOGE(&cli_logger, XM_LOG_ERROR, rc, "cannot resume \"%s\"", name);
            goto out;
        }
        did = true;
    }
    if (did)
        printf("domain \"%s\" recovered: no cap, log-dirty off, running\n",
               name);
    else
        printf("domain \"%s\" needs no recovery\n", name);
    status = 0;
out:
    xm_backend_close(be);
    return status;
}
