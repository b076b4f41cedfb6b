/*
 * xc-stream.h - the pure parts of writing a libxl v2 / libxc v3 stream
 * (xc-format.h has the layouts): the bytes that open and close it, the
 * framing check of records handed to us, and a PAGE_DATA record's head.
 * xen-restore.c feeds what these produce to libxl; they need no Xen
 * library, so they are built and unit-tested everywhere
 * (tests/check-xc-stream.c).
 *
 * The stream xen-restore.c writes into libxl, and the compat sender
 * (precopy.c, migrate/save --compat) onto the wire after xl's save-file
 * header, in order:
 *   libxl header, libxl LIBXC_CONTEXT record      xm_xc_start_bytes()
 *   libxc image header, libxc domain header        (same call)
 *   libxc records from the caller                  xm_xc_check_records()
 *     (the xen backend's CONFIG blob without its   xm_xc_split_config()
 *     JSON record, then in the end the vCPU and
 *     platform blobs)
 *   PAGE_DATA records, any number of rounds        xm_xc_page_data_iov()
 *   libxc END, libxl END                           xm_xc_end_bytes()
 */
#ifndef XM_XC_STREAM_H
#define XM_XC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "xc-format.h"

/* Bytes xm_xc_start_bytes() writes: libxl header (16), LIBXC_CONTEXT
 * (8), libxc image header (24), domain header (16). */
#define XM_XC_START_LEN 64u
/* Bytes xm_xc_end_bytes() writes: two empty END records. */
#define XM_XC_END_LEN 16u
/* Most pfns in one PAGE_DATA record we write (libxc's own batch). */
#define XM_XC_PAGES_MAX 1024u

/*
 * Write the stream's opening into @buf (XM_XC_START_LEN bytes) for a
 * domain header of @dhdr_type (XM_XC_DHDR_TYPE_X86_PV or _X86_HVM, which
 * PVH uses too) from Xen @xen_major.@xen_minor.
 */
void xm_xc_start_bytes(uint8_t buf[XM_XC_START_LEN], uint32_t dhdr_type,
                       uint32_t xen_major, uint32_t xen_minor);
/* The closing: libxc END then libxl END (XM_XC_END_LEN bytes). */
void xm_xc_end_bytes(uint8_t buf[XM_XC_END_LEN]);

/*
 * Check that @recs (@len bytes) is a run of whole libxc records: each an
 * 8-byte header, a body no longer than XM_XC_REC_LENGTH_MAX, zero padding
 * to 8 bytes, and the last one ending exactly at @len. END is refused
 * (xm_xen_restore_finish() writes it), as is a type libxc 4.17 does not
 * know unless it has the optional bit. 0, or -EINVAL with the reason and
 * the offset in @why. *@n_r (may be NULL): the records counted.
 */
int xm_xc_check_records(const void *recs, size_t len, unsigned *n_r,
                        char *why, size_t whylen);

/* A libxc record type's name ("PAGE_DATA"), or NULL if unknown. */
const char *xm_xc_rec_name(uint32_t type);

/*
 * True if a page of XEN_DOMCTL_PFINFO type @type (bits 60-63 of a pfn
 * word, shifted down) carries 4 KiB of data in PAGE_DATA.
 */
bool xm_xc_type_has_data(unsigned type);

/*
 * The head of a PAGE_DATA record for @n (1..XM_XC_PAGES_MAX) pfn words:
 * record header (8 bytes) and PAGE_DATA header (8 bytes) into @head.
 * Checks each word (a known type, a pfn within XM_XC_PFN_MASK) and
 * counts the pages with data in *@data_pages_r. The record then goes out
 * as @head, the @n words, the data pages, and zero padding of
 * *@pad_r bytes (always 0: words and pages are multiples of 8). 0 or
 * -EINVAL with the reason (which word, why) in @why.
 */
int xm_xc_page_data_head(uint8_t head[16], const uint64_t *pfn_types,
                         unsigned n, unsigned *data_pages_r, size_t *pad_r,
                         char *why, size_t whylen);

/*
 * One PAGE_DATA record for @n (1..XM_XC_PAGES_MAX) pfn words, as iovecs
 * to write in order: the head (xm_xc_page_data_head() into @head), the
 * @n words, then the 4 KiB content of each page whose type has data
 * (@pages[i]; NULL allowed for the others). @iov needs room for 2 + @n
 * entries; *@niov_r is how many were filled. Nothing is copied: the
 * iovecs point at @head, @pfn_types and the pages. 0 or -EINVAL (a bad
 * word, or no content for a page that needs one) with the reason in @why.
 */
int xm_xc_page_data_iov(uint8_t head[16], const uint64_t *pfn_types,
                        unsigned n, void *const *pages, struct iovec *iov,
                        unsigned *niov_r, char *why, size_t whylen);

/*
 * Split a xen backend CONFIG blob (backend.h): the libxl JSON of its
 * first record (XM_XC_REC_XENMIG_CONFIG, NUL terminated inside the
 * record) and the libxc records after it (not checked here: see
 * xm_xc_check_records()). *@dhdr_type_r: XM_XC_DHDR_TYPE_X86_PV when
 * those records hold X86_PV_INFO, else XM_XC_DHDR_TYPE_X86_HVM (PVH).
 * The pointers are into @blob. 0 or -EINVAL.
 */
int xm_xc_split_config(const void *blob, size_t len, const char **json_r,
                       const uint8_t **rest_r, size_t *rest_len_r,
                       uint32_t *dhdr_type_r);

/*
 * Small I/O helpers shared by the xl/Xen files. Both retry EINTR.
 * xm__read_exact(): 0 when all @len bytes came, -EPIPE at end of file
 * (*@got_r, may be NULL, says how many came), -errno on error.
 * xm__write_all(): 0 or -errno; -EPIPE for a closed reader without
 * SIGPIPE being raised in the calling thread.
 */
int xm__read_exact(int fd, void *buf, size_t len, size_t *got_r);
int xm__write_all(int fd, const void *buf, size_t len);
/* Write an iovec array fully (any count; partial writes resumed). The
 * array is modified. 0 or -errno, as xm__write_all(). */
int xm__writev_all(int fd, struct iovec *iov, unsigned n);

#endif /* XM_XC_STREAM_H */
