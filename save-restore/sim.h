/*
 * sim.h - what only the simulated hypervisor offers, for the CLI and the
 * tests: making a guest out of nothing (a real toolstack would boot one)
 * and describing its workload.
 *
 * Entry points:
 *   xm_sim_parse_workload()  "uniform:100:512" -> struct xm_sim_config
 *   xm_sim_domain_create()   a new running domain on a sim host
 *   xm_sim_domain_create_ex()  ... from a memory image, or paused
 * Both return 0 or a negative errno and log through the backend's logger.
 */
#ifndef XM_SIM_H
#define XM_SIM_H

#include <stdint.h>

#include "backend.h"
#include "sim-proto.h"

/*
 * Fill the workload part of @cfg from @spec, leaving vcpus and seed alone
 * (call xm_sim_config_init() first if @cfg is not set up yet):
 *   idle
 *   uniform:RATE[:WSET]
 *   hotcold:RATE:WSET:HOTSET:HOTPCT
 *   stream:RATE[:WSET]
 * RATE in MiB/s for the whole domain, sizes in MiB (WSET 0: all RAM),
 * HOTPCT 0-100, HOTSET <= WSET. -EINVAL for anything else, and then
 * xm_sim_parse_error() says why (there is no logger to tell here).
 */
int xm_sim_parse_workload(const char *spec, struct xm_sim_config *cfg);

/*
 * Why this thread's last xm_sim_parse_workload() failed, e.g.
 * `bad workload "uniform:x": rate "x" is not a number`; "" if it did not.
 */
const char *xm_sim_parse_error(void);

/* Defaults: one vCPU, idle, a fixed seed. */
void xm_sim_config_init(struct xm_sim_config *cfg);

/*
 * Create domain @name on the sim host @be is connected to, with @nr_pfns
 * pages filled as @fill says and its vCPUs running @cfg's workload.
 * -EINVAL if @be is not a sim backend or @cfg is bad, -EEXIST if the name
 * is taken. *@domid_r is the new domain's id.
 */
int xm_sim_domain_create(struct xm_backend *be, const char *name,
                         const struct xm_sim_config *cfg, uint64_t nr_pfns,
                         enum xm_sim_fill fill, uint32_t *domid_r);

/*
 * The same with everything said: @image_fd is the memory image's file for
 * XM_SIM_FILL_IMAGE (sent to the host, which reads it; not closed here)
 * and -1 for any other fill; @flags XM_SIM_CREATE_RUN starts the vCPUs,
 * 0 leaves the domain paused with its RAM exactly as filled (unpause
 * starts it). -EINVAL for an image fill without a file or the reverse.
 */
int xm_sim_domain_create_ex(struct xm_backend *be, const char *name,
                            const struct xm_sim_config *cfg,
                            uint64_t nr_pfns, enum xm_sim_fill fill,
                            int image_fd, enum xm_sim_create_flags flags,
                            uint32_t *domid_r);

#endif /* XM_SIM_H */
