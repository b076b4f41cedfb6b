/*
 * xc-stream.c - opening, closing, framing checks and PAGE_DATA heads of
 * a libxl v2 / libxc v3 stream (see xc-stream.h), and the I/O helpers.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xc-stream.h"

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put32be(uint8_t *p, uint32_t v)
{
    put32(p, __builtin_bswap32(v));
}

void xm_xc_start_bytes(uint8_t buf[XM_XC_START_LEN], uint32_t dhdr_type,
                       uint32_t xen_major, uint32_t xen_minor)
{
    uint64_t ident = __builtin_bswap64(XM_XL_IDENT);

    memset(buf, 0, XM_XC_START_LEN);
    /* libxl header: ident, version, options (little-endian: 0) */
    memcpy(buf, &ident, 8);
    put32be(buf + 8, XM_XL_VERSION);
    /* libxl LIBXC_CONTEXT record at 16: type 1, length 0 */
    put32(buf + 16, XM_XL_REC_LIBXC_CONTEXT);
    /* libxc image header at 24: marker, "XENF", version 3, options 0 */
    memset(buf + 24, 0xff, 8);
    put32be(buf + 32, XM_XC_IHDR_ID);
    put32be(buf + 36, XM_XC_IHDR_VERSION);
    /* libxc domain header at 48 */
    put32(buf + 48, dhdr_type);
    buf[52] = 12; /* page_shift, u16 little-endian */
    put32(buf + 56, xen_major);
    put32(buf + 60, xen_minor);
}

void xm_xc_end_bytes(uint8_t buf[XM_XC_END_LEN])
{
    memset(buf, 0, XM_XC_END_LEN); /* libxc END, then libxl END */
}

static const char *const rec_names[] = {
    [XM_XC_REC_END] = "END",
    [XM_XC_REC_PAGE_DATA] = "PAGE_DATA",
    [XM_XC_REC_X86_PV_INFO] = "X86_PV_INFO",
    [XM_XC_REC_X86_PV_P2M_FRAMES] = "X86_PV_P2M_FRAMES",
    [XM_XC_REC_X86_PV_VCPU_BASIC] = "X86_PV_VCPU_BASIC",
    [XM_XC_REC_X86_PV_VCPU_EXTENDED] = "X86_PV_VCPU_EXTENDED",
    [XM_XC_REC_X86_PV_VCPU_XSAVE] = "X86_PV_VCPU_XSAVE",
    [XM_XC_REC_SHARED_INFO] = "SHARED_INFO",
    [XM_XC_REC_X86_TSC_INFO] = "X86_TSC_INFO",
    [XM_XC_REC_HVM_CONTEXT] = "HVM_CONTEXT",
    [XM_XC_REC_HVM_PARAMS] = "HVM_PARAMS",
    [XM_XC_REC_TOOLSTACK] = "TOOLSTACK",
    [XM_XC_REC_X86_PV_VCPU_MSRS] = "X86_PV_VCPU_MSRS",
    [XM_XC_REC_VERIFY] = "VERIFY",
    [XM_XC_REC_CHECKPOINT] = "CHECKPOINT",
    [XM_XC_REC_CHECKPOINT_DIRTY_PFN_LIST] = "CHECKPOINT_DIRTY_PFN_LIST",
    [XM_XC_REC_STATIC_DATA_END] = "STATIC_DATA_END",
    [XM_XC_REC_X86_CPUID_POLICY] = "X86_CPUID_POLICY",
    [XM_XC_REC_X86_MSR_POLICY] = "X86_MSR_POLICY",
};

const char *xm_xc_rec_name(uint32_t type)
{
    if (type < sizeof(rec_names) / sizeof(rec_names[0]))
        return rec_names[type];
    return NULL;
}

int xm_xc_check_records(const void *recs, size_t len, unsigned *n_r,
                        char *why, size_t whylen)
{
    const uint8_t *b = recs;
    size_t off = 0;
    unsigned n = 0;

    why[0] = '\0';
    while (off < len) {
        struct xm_xc_rhdr h;
        size_t padded, i;

        if (len - off < sizeof(h)) {
            snprintf(why, whylen,
                     "record header at offset %zu cut short: %zu of 8 bytes",
                     off, len - off);
            return -EINVAL;
        }
        memcpy(&h, b + off, sizeof(h));
        if (h.type == XM_XC_REC_END) {
            snprintf(why, whylen,
                     "END record at offset %zu: the stream is ended by finish, not by the caller",
                     off);
            return -EINVAL;
        }
        if (!xm_xc_rec_name(h.type) && !(h.type & XM_XC_REC_OPTIONAL)) {
            snprintf(why, whylen,
                     "unknown record type 0x%08x at offset %zu (libxc would refuse it)",
                     h.type, off);
            return -EINVAL;
        }
        if (h.length > XM_XC_REC_LENGTH_MAX) {
            snprintf(why, whylen,
                     "record %s at offset %zu has length %u, over libxc's limit of %u",
                     xm_xc_rec_name(h.type) ?: "(optional)", off, h.length,
                     XM_XC_REC_LENGTH_MAX);
            return -EINVAL;
        }
        padded = ((size_t)h.length + XM_XC_ALIGN - 1) &
                 ~(size_t)(XM_XC_ALIGN - 1);
        if (len - off - sizeof(h) < padded) {
            snprintf(why, whylen,
                     "record %s at offset %zu needs %zu bytes of body and padding, only %zu are given",
                     xm_xc_rec_name(h.type) ?: "(optional)", off, padded,
                     len - off - sizeof(h));
            return -EINVAL;
        }
        for (i = h.length; i < padded; i++) {
            if (b[off + sizeof(h) + i]) {
                snprintf(why, whylen,
                         "record %s at offset %zu has a non-zero padding byte at offset %zu",
                         xm_xc_rec_name(h.type) ?: "(optional)", off,
                         off + sizeof(h) + i);
                return -EINVAL;
            }
        }
        off += sizeof(h) + padded;
        n++;
    }
    if (n_r)
        *n_r = n;
    return 0;
}

bool xm_xc_type_has_data(unsigned type)
{
    /* XTAB (0xf), XALLOC (0xe) and BROKEN (0xd) carry no data. */
    return type < 0xd;
}

/* NOTAB, L1-L4, the same pinned (0x8 | level), BROKEN, XALLOC, XTAB. */
static bool type_known(unsigned type)
{
    return type <= 0x4 || (type >= 0x9 && type <= 0xf);
}

int xm_xc_page_data_head(uint8_t head[16], const uint64_t *pfn_types,
                         unsigned n, unsigned *data_pages_r, size_t *pad_r,
                         char *why, size_t whylen)
{
    unsigned i, data = 0;
    uint64_t body;

    why[0] = '\0';
    if (n == 0 || n > XM_XC_PAGES_MAX) {
        snprintf(why, whylen, "PAGE_DATA with %u pfns (1 to %u allowed)", n,
                 XM_XC_PAGES_MAX);
        return -EINVAL;
    }
    for (i = 0; i < n; i++) {
        unsigned type = (unsigned)(pfn_types[i] >> XM_XC_TYPE_SHIFT);

        if (pfn_types[i] & ~(XM_XC_PFN_MASK | (0xfull << XM_XC_TYPE_SHIFT))) {
            snprintf(why, whylen,
                     "pfn word %u (0x%016llx) has bits set between the pfn and the type",
                     i, (unsigned long long)pfn_types[i]);
            return -EINVAL;
        }
        if (!type_known(type)) {
            snprintf(why, whylen,
                     "pfn 0x%llx (word %u) has unknown page type 0x%x",
                     (unsigned long long)(pfn_types[i] & XM_XC_PFN_MASK), i,
                     type);
            return -EINVAL;
        }
        data += xm_xc_type_has_data(type);
    }
    body = sizeof(struct xm_xc_page_data) + 8ull * n + 4096ull * data;
    put32(head, XM_XC_REC_PAGE_DATA);
    put32(head + 4, (uint32_t)body);
    put32(head + 8, n);
    put32(head + 12, 0);
    *data_pages_r = data;
    *pad_r = 0;
    return 0;
}

int xm_xc_page_data_iov(uint8_t head[16], const uint64_t *pfn_types,
                        unsigned n, void *const *pages, struct iovec *iov,
                        unsigned *niov_r, char *why, size_t whylen)
{
    unsigned i, data, k = 0;
    size_t pad;
    int rc;

    rc = xm_xc_page_data_head(head, pfn_types, n, &data, &pad, why, whylen);
    if (rc)
        return rc;
    iov[k++] = (struct iovec){ head, 16 };
    iov[k++] = (struct iovec){ (void *)pfn_types, 8u * n };
    for (i = 0; i < n; i++) {
        if (!xm_xc_type_has_data((unsigned)(pfn_types[i] >> XM_XC_TYPE_SHIFT)))
            continue;
        if (!pages[i]) {
            snprintf(why, whylen, "no content for pfn 0x%llx (word %u)",
                     (unsigned long long)(pfn_types[i] & XM_XC_PFN_MASK), i);
            return -EINVAL;
        }
        iov[k++] = (struct iovec){ pages[i], 4096 };
    }
    *niov_r = k;
    return 0;
}

int xm_xc_split_config(const void *blob, size_t len, const char **json_r,
                       const uint8_t **rest_r, size_t *rest_len_r,
                       uint32_t *dhdr_type_r)
{
    const uint8_t *p = blob;
    struct xm_xc_rhdr rh;
    size_t off, body;

    if (len < sizeof(rh))
        return -EINVAL;
    memcpy(&rh, p, sizeof(rh));
    body = ((size_t)rh.length + XM_XC_ALIGN - 1) & ~(size_t)(XM_XC_ALIGN - 1);
    if (rh.type != XM_XC_REC_XENMIG_CONFIG || rh.length == 0 ||
        len - sizeof(rh) < body || p[sizeof(rh) + rh.length - 1] != 0)
        return -EINVAL;
    *json_r = (const char *)p + sizeof(rh);
    *rest_r = p + sizeof(rh) + body;
    *rest_len_r = len - sizeof(rh) - body;
    /* a PV guest's static data has X86_PV_INFO; anything else is PVH */
    *dhdr_type_r = XM_XC_DHDR_TYPE_X86_HVM;
    for (off = 0; off + sizeof(rh) <= *rest_len_r; off += sizeof(rh) + body) {
        memcpy(&rh, *rest_r + off, sizeof(rh));
        body = ((size_t)rh.length + XM_XC_ALIGN - 1) &
               ~(size_t)(XM_XC_ALIGN - 1);
        if (rh.type == XM_XC_REC_X86_PV_INFO)
            *dhdr_type_r = XM_XC_DHDR_TYPE_X86_PV;
    }
    return 0;
}

/* ---- I/O ------------------------------------------------------------- */

/* Wait for @fd to be ready (it may have been left non-blocking: libxl
 * makes its restore fd so while it reads it). */
static void wait_ready(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };

    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
}

int xm__read_exact(int fd, void *buf, size_t len, size_t *got_r)
{
    size_t got = 0;
    int rc = 0;

    while (got < len) {
        ssize_t r = read(fd, (uint8_t *)buf + got, len - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_ready(fd, POLLIN);
            continue;
        }
        if (r < 0) {
            rc = -errno;
            break;
        }
        if (r == 0) {
            rc = -EPIPE;
            break;
        }
        got += (size_t)r;
    }
    if (got_r)
        *got_r = got;
    return rc;
}

/*
 * Run a write with SIGPIPE blocked in this thread, and swallow the
 * SIGPIPE it raised (a signal from a write is sent to the writing
 * thread), so a closed reader is -EPIPE whatever the process's
 * disposition of SIGPIPE.
 */
static ssize_t writev_nosig(int fd, const struct iovec *iov, int n)
{
    sigset_t pipe_set, old, pending;
    bool was_pending;
    ssize_t r;
    int err;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    r = writev(fd, iov, n);
    err = errno;
    if (r < 0 && err == EPIPE && !was_pending) {
        static const struct timespec zero = { 0, 0 };

        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return r;
}

int xm__writev_all(int fd, struct iovec *iov, unsigned n)
{
    while (n) {
        int batch = n > IOV_MAX ? IOV_MAX : (int)n;
        ssize_t r = writev_nosig(fd, iov, batch);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_ready(fd, POLLOUT);
            continue;
        }
        if (r < 0)
            return -errno;
        while (n && (size_t)r >= iov->iov_len) {
            r -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n && r) {
            iov->iov_base = (uint8_t *)iov->iov_base + r;
            iov->iov_len -= (size_t)r;
        }
    }
    return 0;
}

int xm__write_all(int fd, const void *buf, size_t len)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

    return xm__writev_all(fd, &iov, 1);
}
