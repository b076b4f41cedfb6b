/*
 * backend.c - choosing a backend (the one place that knows them all) and
 * helpers every backend user needs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "private.h"

static const struct xm_backend_ops *const backends[] = {
    &xm_backend_sim_ops,
#ifdef HAVE_XEN
    &xm_backend_xen_ops,
#endif
};

#ifdef HAVE_XEN
#define BACKEND_NAMES "sim, xen"
#else
#define BACKEND_NAMES "sim"
#endif

/*
 * A Xen dom0 says "control_d" in /proc/xen/capabilities (xenfs); anything
 * else gets the simulation. A domU has /proc/xen too, but not control_d.
 */
static const char *default_backend(void)
{
#ifdef HAVE_XEN
    char buf[128] = "";
    FILE *f = fopen("/proc/xen/capabilities", "r");

    if (f) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);

        buf[n] = 0;
        fclose(f);
        if (strstr(buf, "control_d"))
            return "xen";
    }
#endif
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
    LOG(lg, XM_LOG_ERROR, "unknown backend \"%s\" (this build has: %s)",
        name, BACKEND_NAMES);
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
