/*
 * xl-format.c - read and write the xl save-file header (see xl-format.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "xc-stream.h"
#include "xl-format.h"

static const char magic[XM_XL_SAVE_MAGIC_LEN] = XM_XL_SAVE_MAGIC;

bool xm_xl_is_savefile(const void *buf, size_t len)
{
    return len >= sizeof(magic) && !memcmp(buf, magic, sizeof(magic));
}

static uint32_t u32_at(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static int bad(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* The fixed 48 bytes: everything but the optional data. */
static int parse_fixed(const uint8_t *b, struct xm_xl_savefile *sf,
                       uint32_t *optlen_r, char *why, size_t whylen)
{
    uint32_t bo = u32_at(b + 32), mand = u32_at(b + 36);
    uint32_t optlen = u32_at(b + 44);

    if (!xm_xl_is_savefile(b, XM_XL_SAVE_HDR_LEN))
        return bad(why, whylen,
                   "not an xl save file: wrong magic at offset 0 (corrupt, or written by another tool)");
    if (bo != XM_XL_SAVE_BYTEORDER) {
        if (bo == __builtin_bswap32(XM_XL_SAVE_BYTEORDER))
            return bad(why, whylen,
                       "byte-order mark at offset 32 is 0x%08x: the file was written on a host of the other byte order",
                       bo);
        return bad(why, whylen,
                   "bad byte-order mark 0x%08x at offset 32 (expected 0x%08x)",
                   bo, XM_XL_SAVE_BYTEORDER);
    }
    if (mand & ~XM_XL_SAVE_MANDATORY_KNOWN)
        return bad(why, whylen,
                   "unknown mandatory flag(s) 0x%x at offset 36 (flags 0x%x): written by a newer xl, cannot restore it safely",
                   mand & ~XM_XL_SAVE_MANDATORY_KNOWN, mand);
    if (optlen > XM_XL_SAVE_OPTDATA_MAX)
        return bad(why, whylen,
                   "optional data length %u at offset 44 is over the limit of %u bytes",
                   optlen, XM_XL_SAVE_OPTDATA_MAX);
    sf->mandatory_flags = mand;
    sf->optional_flags = u32_at(b + 40);
    sf->json = mand & XM_XL_SAVE_MANDATORY_CONFIG_JSON;
    sf->streamv2 = mand & XM_XL_SAVE_MANDATORY_STREAMV2;
    sf->stream_offset = XM_XL_SAVE_HDR_LEN + (uint64_t)optlen;
    *optlen_r = optlen;
    return 0;
}

/* The optional data: u32 config length, config; anything after is
 * ignored, as xl does. */
static int parse_optdata(const uint8_t *o, uint32_t optlen,
                         struct xm_xl_savefile *sf, char *why, size_t whylen)
{
    uint32_t clen;
    const void *nul;

    if (optlen == 0)
        return 0; /* no config in the file: the caller must supply one */
    if (optlen < 4)
        return bad(why, whylen,
                   "optional data at offset 48 has %u bytes, too short for the config length",
                   optlen);
    clen = u32_at(o);
    if (clen > optlen - 4)
        return bad(why, whylen,
                   "config length %u at offset 48 runs past the optional data (%u bytes left)",
                   clen, optlen - 4);
    if (clen == 0)
        return 0; /* xl writes the length even when it has no config */
    nul = memchr(o + 4, '\0', clen);
    if (nul && (const uint8_t *)nul != o + 4 + clen - 1)
        return bad(why, whylen, "config has a NUL byte at offset %zu",
                   (size_t)((const uint8_t *)nul - o) + XM_XL_SAVE_HDR_LEN);
    if (nul)
        clen--; /* xl writes the JSON with its terminating NUL */
    if (clen == 0)
        return bad(why, whylen, "config at offset 52 is empty");
    sf->config = malloc(clen + 1);
    if (!sf->config)
        return -ENOMEM;
    memcpy(sf->config, o + 4, clen);
    sf->config[clen] = '\0';
    sf->config_len = clen;
    return 0;
}

int xm_xl_savefile_parse(const void *buf, size_t len,
                         struct xm_xl_savefile *sf, size_t *need_r,
                         char *why, size_t whylen)
{
    const uint8_t *b = buf;
    uint32_t optlen = 0;
    int rc;

    memset(sf, 0, sizeof(*sf));
    why[0] = '\0';
    if (need_r)
        *need_r = XM_XL_SAVE_HDR_LEN;
    if (len < XM_XL_SAVE_HDR_LEN) {
        /* Say "not xl" early when even the magic is wrong. */
        if (memcmp(b, magic, len < sizeof(magic) ? len : sizeof(magic)))
            return bad(why, whylen,
                       "not an xl save file: wrong magic at offset 0 (corrupt, or written by another tool)");
        snprintf(why, whylen, "header truncated at offset %zu (it has %u bytes)",
                 len, XM_XL_SAVE_HDR_LEN);
        return -EAGAIN;
    }
    rc = parse_fixed(b, sf, &optlen, why, whylen);
    if (rc)
        return rc;
    if (need_r)
        *need_r = sf->stream_offset;
    if (len < sf->stream_offset) {
        snprintf(why, whylen,
                 "optional data truncated at offset %zu (it ends at offset %llu)",
                 len, (unsigned long long)sf->stream_offset);
        return -EAGAIN;
    }
    rc = parse_optdata(b + XM_XL_SAVE_HDR_LEN, optlen, sf, why, whylen);
    if (rc)
        xm_xl_savefile_dispose(sf);
    return rc;
}

int xm_xl_savefile_read(int fd, const char *what, struct xm_logger *lg,
                        struct xm_xl_savefile *sf)
{
    uint8_t fixed[XM_XL_SAVE_HDR_LEN], *all = NULL;
    char why[256];
    size_t need, got;
    int rc;

    memset(sf, 0, sizeof(*sf));
    rc = xm__read_exact(fd, fixed, sizeof(fixed), &got);
    if (rc < 0 && rc != -EPIPE) {
        LOGE(lg, XM_LOG_ERROR, rc, "cannot read the xl header of %s", what);
        return rc;
    }
    rc = xm_xl_savefile_parse(fixed, got, sf, &need, why, sizeof(why));
    if (rc == -EAGAIN && got < sizeof(fixed)) {
        LOG(lg, XM_LOG_ERROR, "%s: xl %s", what, why);
        return -EPROTO;
    }
    if (rc != -EAGAIN) {
        if (rc)
            LOG(lg, XM_LOG_ERROR, "%s: %s", what, why);
        return rc;
    }
    all = malloc(need);
    if (!all)
        return -ENOMEM;
    memcpy(all, fixed, sizeof(fixed));
    rc = xm__read_exact(fd, all + sizeof(fixed), need - sizeof(fixed), &got);
    if (rc < 0 && rc != -EPIPE) {
        LOGE(lg, XM_LOG_ERROR, rc,
             "cannot read the xl optional data of %s at offset %zu", what,
             sizeof(fixed) + got);
        goto out;
    }
    rc = xm_xl_savefile_parse(all, sizeof(fixed) + got, sf, NULL, why,
                              sizeof(why));
    if (rc == -EAGAIN)
        rc = -EPROTO;
    if (rc)
        LOG(lg, XM_LOG_ERROR, "%s: xl %s", what, why);
out:
    free(all);
    return rc;
}

void xm_xl_savefile_dispose(struct xm_xl_savefile *sf)
{
    if (!sf)
        return;
    free(sf->config);
    sf->config = NULL;
    sf->config_len = 0;
}

int xm_xl_savefile_build(const char *config, size_t config_len,
                         uint32_t mandatory, void **buf_r, size_t *len_r)
{
    bool nul = mandatory & XM_XL_SAVE_MANDATORY_CONFIG_JSON;
    size_t clen = config_len + (nul ? 1 : 0);
    size_t optlen = config_len ? 4 + clen : 0;
    uint32_t v;
    uint8_t *b;

    if (optlen > XM_XL_SAVE_OPTDATA_MAX)
        return -EINVAL;
    b = calloc(1, XM_XL_SAVE_HDR_LEN + optlen);
    if (!b)
        return -ENOMEM;
    memcpy(b, magic, sizeof(magic));
    v = XM_XL_SAVE_BYTEORDER;
    memcpy(b + 32, &v, 4);
    memcpy(b + 36, &mandatory, 4);
    v = (uint32_t)optlen;
    memcpy(b + 44, &v, 4);
    if (optlen) {
        v = (uint32_t)clen;
        memcpy(b + 48, &v, 4);
        memcpy(b + 52, config, config_len); /* NUL from calloc */
    }
    *buf_r = b;
    *len_r = XM_XL_SAVE_HDR_LEN + optlen;
    return 0;
}

int xm_xl_savefile_write(int fd, struct xm_logger *lg, const char *config,
                         size_t config_len, uint32_t mandatory)
{
    void *buf;
    size_t len;
    int rc = xm_xl_savefile_build(config, config_len, mandatory, &buf, &len);

    if (rc) {
        LOGE(lg, XM_LOG_ERROR, rc, "cannot build an xl save-file header");
        return rc;
    }
    rc = xm__write_all(fd, buf, len);
    if (rc)
        LOGE(lg, XM_LOG_ERROR, rc, "cannot write the xl save-file header");
    free(buf);
    return rc;
}

/* Wait until @fd is readable, up to @timeout_s (0: for ever). */
static int wait_readable(int fd, unsigned timeout_s)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int left_ms = timeout_s ? (int)timeout_s * 1000 : -1;
    uint64_t t0 = xm__now_ns();

    for (;;) {
        int r = poll(&pfd, 1, left_ms);

        if (r > 0)
            return 0;
        if (r == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
        if (timeout_s) {
            uint64_t spent = (xm__now_ns() - t0) / 1000000u;

            if (spent >= (uint64_t)timeout_s * 1000)
                return -ETIMEDOUT;
            left_ms = (int)((uint64_t)timeout_s * 1000 - spent);
        }
    }
}

int xm_xl_read_message(struct xm_logger *lg, int fd, const char *peer,
                       const char *msg, size_t len, const char *what,
                       unsigned timeout_s)
{
    char buf[XM_XL_MIG_MSG_MAX];
    size_t got = 0;
    int rc;

    if (len > sizeof(buf))
        return -EINVAL;
    rc = wait_readable(fd, timeout_s);
    if (rc == -ETIMEDOUT) {
        LOG(lg, XM_LOG_ERROR, "%s sent no %s within %u s", peer, what,
            timeout_s);
        return rc;
    }
    if (!rc)
        rc = xm__read_exact(fd, buf, len, &got);
    if (rc == -EPIPE) {
        LOG(lg, XM_LOG_ERROR,
            "%s closed the connection before its %s (%zu of %zu bytes came)",
            peer, what, got, len);
        return rc;
    }
    if (rc) {
        LOGE(lg, XM_LOG_ERROR, rc, "cannot read the %s from %s", what, peer);
        return rc;
    }
    if (memcmp(buf, msg, len)) {
        LOG(lg, XM_LOG_ERROR, "%s sent something else than its %s", peer,
            what);
        return -EPROTO;
    }
    return 0;
}
