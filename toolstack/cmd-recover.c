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
 * recover puts back the cap the domain had before a throttle (the sender
 * notes it with the domain before it throttles, XM_NOTE_CAP; no note, no
 * throttle, and the cap is left alone), turns log-dirty off, renames
 * NAME--migratedaway back to NAME (--force) and resumes a suspended
 * domain. It never unpauses a domain that was merely paused (xenmig pause
 * is the operator's).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define AWAY "--migratedaway"

/*
 * The cap from before a killed migration's throttle, put back (in
 * @info too); the note removed. *@did if anything changed. Without a note
 * the cap is the domain's own and stays.
 */
static int recover_cap(struct xm_backend *be, struct xm_domain_info *info,
                       bool *did)
{
    char v[XM_NOTE_VALUE_MAX], *end;
    unsigned long cap;
    int rc;

    rc = be->ops->get_note(be, info->domid, XM_NOTE_CAP, v, sizeof(v));
    if (rc == -ENOENT)
        return 0;
    if (rc) {
        LOGE(&cli_logger, XM_LOG_ERROR, rc,
             "cannot read what cap \"%s\" had before its migration",
             info->name);
        return rc;
    }
    errno = 0;
    cap = strtoul(v, &end, 10);
    if (errno || end == v || *end || cap > 100) {
        LOG(&cli_logger, XM_LOG_ERROR,
            "the cap \"%s\" had before its migration is noted as \"%s\", not a percentage",
            info->name, v);
        return -EINVAL;
    }
    if (cap != info->cpu_cap) {
        rc = be->ops->set_cpu_cap(be, info->domid, (unsigned)cap);
        if (rc) {
            LOGE(&cli_logger, XM_LOG_ERROR, rc,
                 "cannot give \"%s\" its cap of %lu%% back", info->name,
                 cap);
            return rc;
        }
        info->cpu_cap = (unsigned)cap;
        *did = true;
    }
    return be->ops->set_note(be, info->domid, XM_NOTE_CAP, NULL);
}

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
    if (recover_cap(be, &info, &did))
        goto out;
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
    if (did && info.cpu_cap)
        printf("domain \"%s\" recovered: its own cap of %u%%, log-dirty off, running\n",
               name, info.cpu_cap);
    else if (did)
        printf("domain \"%s\" recovered: no cap, log-dirty off, running\n",
               name);
    else
        printf("domain \"%s\" needs no recovery\n", name);
    status = 0;
out:
    xm_backend_close(be);
    return status;
}
