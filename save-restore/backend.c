/*
 * backend.c - choosing a backend (the one place that knows them all) and
 * helpers every backend user needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "private.h"

static const struct xm_backend_ops *const backends[] = {
    &xm_backend_sim_ops,
};

/* A Xen dom0 has the privcmd device; anything else gets the simulation. */
static const char *default_backend(void)
{
    if (access("/proc/xen/privcmd", F_OK) == 0 ||
        access("/dev/xen/privcmd", F_OK) == 0)
        return "xen";
    return "sim";
}

int xm_backend_open(const char *name, const char *address,
                    struct xm_logger *lg, struct xm_backend **be_r)
{
    unsigned i;

    if (!name)
        name = default_backend();
    for (i = 0; i < XM_ARRAY_SIZE(backends); i++) {
        if (strcmp(backends[i]->name, name) == 0) {
            int rc = backends[i]->open(address, lg, be_r);

            if (!rc)
                xm__fault_backend(*be_r);
            return rc;
        }
    }
    LOG(lg, XM_LOG_ERROR, "unknown backend \"%s\" (this build has: sim)",
        name);
    return -ENOENT;
}

void xm_backend_close(struct xm_backend *be)
{
    if (be)
        be->ops->close(be);
}

const char *xm_backend_name(const struct xm_backend *be)
{
    return be->ops->name;
}

int xm_domain_lookup(struct xm_backend *be, const char *name_or_id,
                     uint32_t *domid_r)
{
    struct xm_domain_info *infos = NULL;
    unsigned n = 0, i;
    char *end;
    unsigned long id;
    int rc;

    rc = be->ops->list(be, &infos, &n);
    if (rc)
        return rc;
    errno = 0;
    id = strtoul(name_or_id, &end, 10);
    rc = -ESRCH;
    for (i = 0; i < n; i++) {
        if (strcmp(infos[i].name, name_or_id) == 0 ||
            (!errno && *name_or_id && !*end && infos[i].domid == id)) {
            *domid_r = infos[i].domid;
            rc = 0;
            break;
        }
    }
    free(infos);
    if (rc)
        LOG(be->lg, XM_LOG_ERROR, "no domain \"%s\" on this host",
            name_or_id);
    return rc;
}
