/*
 * xen-restore.h - restore a domain with Xen's own code: feed a libxl v2 /
 * libxc v3 stream through a pipe to libxl_domain_create_restore().
 *
 * The Xen backend's receiver (backend-xen.c) does not build domains
 * itself. It transcodes the xenmig stream into Xen's stream and hands it
 * to this module, so a guest is restored by the same code as `xl
 * restore`:
 *   xm_xen_restore_start()    a thread runs libxl_domain_create_restore()
 *                             on the read end of a pipe; we write the
 *                             libxl header, LIBXC_CONTEXT, the libxc
 *                             image and domain headers, and return once
 *                             libxl has made the domain (its id)
 *   xm_xen_restore_records()  libxc records, verbatim (X86_PV_INFO,
 *                             P2M_FRAMES, STATIC_DATA_END, vCPU state...)
 *   xm_xen_restore_pages()    PAGE_DATA records
 *   xm_xen_restore_finish()   libxc END, libxl END; wait for libxl: the
 *                             domain is built, paused
 *   xm_xen_restore_dispose()  free; destroys the domain unless finish
 *                             succeeded
 * xm_xen_restore_fd() is the passthrough for streams that already are
 * libxl v2 (the body of an `xl save` file, what `xl migrate` sends).
 *
 * Facts this relies on (Xen 4.17, tools/libs/light):
 *  - libxl makes the domain (libxl__domain_make: hypercall, then the name
 *    in xenstore) before it reads a byte of the stream, so the headers
 *    can go into the pipe first and the new domain's id is found by its
 *    name while the create still runs (libxl only reports the id when
 *    the whole create is over). The name must therefore be unused: start
 *    refuses a taken name with -EEXIST. Any name is accepted otherwise
 *    (the receiver creates "NAME--incoming" and renames after GO, as xl
 *    migrate-receive does).
 *  - libxl reads the libxl records itself and forks libxl-save-helper,
 *    which reads the libxc part from the same fd; a failed create is
 *    destroyed by libxl itself (we check again, by name, and destroy
 *    what is left).
 *  - libxl reaps its helper through SIGCHLD. In its default mode it reaps
 *    every child of the process, which would steal the exit status of
 *    our transport commands (migrate -s ssh). So every libxl_ctx of the
 *    process must be in libxl_sigchld_owner_libxl_always_selective_reap
 *    mode: libxl keeps a SIGCHLD handler and reaps only its own children,
 *    we reap ours with waitpid(pid). xm_xen_libxl_open() sets that up.
 * Failures: a write that finds the pipe closed (libxl gave up) fails at
 * once with an error naming the first error libxl (or libxc, through it)
 * logged since the restore started, which is the cause, and its last
 * one. A write blocks while libxl does not read, as on any pipe; start
 * gives up when no domain appears within XM_XEN_RESTORE_START_TIMEOUT_S,
 * finish when libxl has not returned XM_XEN_RESTORE_FINISH_TIMEOUT_S
 * after the end of the stream. xm_xen_restore_fd() waits for libxl as
 * long as its input is open, as xl does.
 *
 * Built only with the Xen libraries (HAVE_XEN).
 */
#ifndef XM_XEN_RESTORE_H
#define XM_XEN_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxl.h>

#include "xenmig.h"

#define XM_XEN_RESTORE_START_TIMEOUT_S 120
#define XM_XEN_RESTORE_FINISH_TIMEOUT_S 600

/*
 * A libxl context for xenmig: libxl's and libxc's messages go to @lg
 * (errors as errors, libxl's chatter as debug), its last 16 errors are
 * kept so failures can name libxl's reason, and SIGCHLD is in selective-reap
 * mode (see above). 0 or -errno (logged). Close with xm_xen_libxl_close().
 * A backend that opens its own ctx must set the same child mode.
 */
int xm_xen_libxl_open(struct xm_logger *lg, libxl_ctx **ctx_r);

/* Our log level for a xentoollog level (every Xen library logs that way). */
enum xm_log_level xm_xen_log_level(xentoollog_level level);
/* Free the ctx and its logger; NULL allowed. */
void xm_xen_libxl_close(libxl_ctx *ctx);
/*
 * The last error libxl logged on a ctx from xm_xen_libxl_open() into
 * @buf, and its sequence number (0: none, or not our ctx). Lets a caller
 * say why libxl failed after the fact.
 */
uint64_t xm_xen_libxl_last_error(libxl_ctx *ctx, char *buf, size_t len);

struct xm_xen_restore; /* one restore in progress */

/*
 * Create the pipe, start libxl_domain_create_restore (paused, the given
 * @name, config from @config_json, libxl's JSON as
 * libxl_domain_config_from_json reads it) in its own thread, write the
 * libxl v2 header, LIBXC_CONTEXT, the libxc v3 image header and domain
 * header (@guest_type XM_GUEST_PV or XM_GUEST_PVH from stream-format.h).
 * Returns once the new domain exists (*@domid_r, *@r_r for the calls
 * below) or failed: -EEXIST (name taken), -EINVAL (bad JSON, guest type),
 * -ETIMEDOUT, or what libxl said (logged; nothing left behind).
 */
int xm_xen_restore_start(libxl_ctx *ctx, struct xm_logger *lg,
                         const char *name, const char *config_json,
                         uint32_t guest_type, struct xm_xen_restore **r_r,
                         uint32_t *domid_r);

/*
 * Append libxc records verbatim (@len bytes of whole records: u32 type,
 * u32 length, body zero padded to 8), after checking their framing
 * (xm_xc_check_records(): -EINVAL, nothing written). -EPIPE if libxl has
 * given up (its reason logged). The first error sticks: later calls
 * return it.
 */
int xm_xen_restore_records(struct xm_xen_restore *r, const void *recs,
                           size_t len);

/*
 * Append PAGE_DATA records for @n pfns (any number; split in batches of
 * XM_XC_PAGES_MAX): @pfn_types[i] is the pfn with its XEN_DOMCTL_PFINFO
 * type in bits 60-63, @pages[i] its 4 KiB content (ignored, may be NULL,
 * for XTAB/XALLOC/BROKEN). -EINVAL for a bad word (nothing of that batch
 * written), else as xm_xen_restore_records().
 */
int xm_xen_restore_pages(struct xm_xen_restore *r, const uint64_t *pfn_types,
                         unsigned n, void *const *pages);

/*
 * Write libxc END and libxl END, wait for libxl to finish: the domain is
 * built and paused. Errors name what libxl said; on error the domain is
 * gone or will be with dispose().
 */
int xm_xen_restore_finish(struct xm_xen_restore *r);

/*
 * Give up: close the pipe, wait for libxl's thread, destroy the domain
 * if it was made and finish did not succeed. Idempotent; NULL allowed.
 * Frees @r. (After a successful finish, just frees.)
 */
void xm_xen_restore_dispose(struct xm_xen_restore *r);

/*
 * Restore from a whole libxl v2 stream on @fd (the body of an xl save
 * file, or what xl migrate sends after its save-file header): the
 * passthrough for stock streams. libxl reads @fd up to the libxl END and
 * no further, so a protocol that goes on after the stream (xl's
 * migration handshake) can carry on with @fd. The domain is named @name,
 * left paused if @paused, else unpaused. On failure nothing is left.
 * Blocks until libxl is done (a silent sender holds it, as with xl).
 */
int xm_xen_restore_fd(libxl_ctx *ctx, struct xm_logger *lg, const char *name,
                      const char *config_json, int fd, bool paused,
                      uint32_t *domid_r);

#endif /* XM_XEN_RESTORE_H */
