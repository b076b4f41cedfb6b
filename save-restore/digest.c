/*
 * digest.c - a 64-bit digest of a domain's RAM, for the VERIFY record and
 * for tests that compare a guest before and after a move.
 *
 * Each page's CRC32C, mixed with its pfn, goes into two different 32-bit
 * hashes (one FNV-like, one rotate-add), one per half: one pass over RAM,
 * and a page that moved or changed shows in both halves.
 */
#include <errno.h>

#include "backend.h"
#include "crc32c.h"
#include "private.h"
#include "stream-format.h"

int xm_domain_digest(struct xm_backend *be, struct xm_logger *lg,
                     uint32_t domid, uint64_t *digest_r)
{
    struct xm_domain_info info;
    uint64_t pfns[XM_PAGES_MAX];
    void *pages[XM_PAGES_MAX];
    int errs[XM_PAGES_MAX];
    uint32_t h1 = 2166136261u, h2 = 0;
    uint64_t pfn;
    int rc;

    rc = be->ops->domain_info(be, domid, &info);
    if (rc)
        return rc;
    for (pfn = 0; pfn < info.nr_pfns; pfn += XM_PAGES_MAX) {
        unsigned n = info.nr_pfns - pfn < XM_PAGES_MAX
                         ? (unsigned)(info.nr_pfns - pfn) : XM_PAGES_MAX;
        void *handle;
        unsigned i;

        for (i = 0; i < n; i++)
            pfns[i] = pfn + i;
        rc = be->ops->map(be, domid, pfns, n, false, pages, errs, &handle);
        if (rc)
            return rc;
        for (i = 0; i < n; i++) {
            uint32_t c;

            if (errs[i]) {
                LOGED(lg, XM_LOG_ERROR, errs[i], domid,
                      "cannot map pfn 0x%llx for the digest",
                      (unsigned long long)pfns[i]);
                be->ops->unmap(be, handle, n);
                return errs[i];
            }
            c = xm_crc32c(0, pages[i], XM_PAGE_SIZE) ^ (uint32_t)pfns[i];
            h1 = (h1 ^ c) * 16777619u;
            h2 = ((h2 << 5) | (h2 >> 27)) + c;
        }
        be->ops->unmap(be, handle, n);
    }
    *digest_r = ((uint64_t)h1 << 32) | h2;
    return 0;
}
