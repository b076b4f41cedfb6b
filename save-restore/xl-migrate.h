/*
 * xl-migrate.h - accept what stock xl sends: an `xl save` file, or a live
 * migration from `xl migrate` (xl's handshake is described in
 * xl-format.h). Both go through xm_xen_restore_fd(), so Xen's own libxl
 * restores the guest.
 *
 * Order of a receive (xm_xl_migrate_receive), as `xl migrate-receive`:
 *   1. write the banner; read the save-file header and config (JSON only)
 *   2. restore the libxl stream, paused, as "NAME--incoming"
 *   3. write READY; wait for GO (up to @timeout_s)
 *   4. rename to NAME (or the caller's name), unpause unless paused
 *   5. write REPORT and status 0
 * Failures: before READY, the domain built so far is destroyed and the
 * connection closed (xl's sender then resumes its guest); after READY
 * (no GO, rename or unpause failed), REPORT with a non-zero status, the
 * domain destroyed, then GO back so the sender may resume its copy.
 * The guest on the source is never lost.
 *
 * Built only with the Xen libraries (HAVE_XEN).
 */
#ifndef XM_XL_MIGRATE_H
#define XM_XL_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include <libxl.h>

#include "xenmig.h"

/* Options of both entry points. */
struct xm_xl_receive_params {
    bool paused;        /* leave the domain paused (xl's -p) */
    const char *rename; /* final name (NULL: the one in the config) */
    unsigned timeout_s; /* migrate: wait this long for GO (0: for ever) */
};

/*
 * Act as `xl migrate-receive` on @rfd (from the sender) and @wfd (to
 * it): see above. On success *@domid_r is the running (or paused)
 * domain under its final name. 0 or -errno (logged).
 */
int xm_xl_migrate_receive(libxl_ctx *ctx, struct xm_logger *lg, int rfd,
                          int wfd, const struct xm_xl_receive_params *p,
                          uint32_t *domid_r);

/*
 * Restore an `xl save` file open on @fd (at offset 0; @what names it in
 * messages) as `xl restore` does. 0 or -errno (logged); nothing is left
 * behind on failure.
 */
int xm_xl_restore_file(libxl_ctx *ctx, struct xm_logger *lg, int fd,
                       const char *what, const struct xm_xl_receive_params *p,
                       uint32_t *domid_r);

#endif /* XM_XL_MIGRATE_H */
