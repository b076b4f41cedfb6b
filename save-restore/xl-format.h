/*
 * xl-format.h - the xl save-file header: what `xl save` writes before the
 * libxl stream, and what `xl migrate` sends after the receiver's banner.
 *
 * Layout (xc-format.h has the struct; all u32 in the writer's byte order):
 *   offset  0  magic, 32 bytes (XM_XL_SAVE_MAGIC)
 *   offset 32  byte-order mark 0x01020304
 *   offset 36  mandatory flags: JSON config (bit 0), libxl stream v2
 *              (bit 1); a reader must refuse any other bit
 *   offset 40  optional flags (ignored)
 *   offset 44  optional data length N
 *   offset 48  N bytes of optional data: u32 config length L, then L bytes
 *              of config (JSON when the JSON flag is set, else xl's
 *              config-file syntax; xl writes the JSON with its NUL)
 *   offset 48+N  the libxl stream
 * Entry points: xm_xl_is_savefile() (the magic), xm_xl_savefile_parse()
 * (a header already in memory), xm_xl_savefile_read() (from a file
 * descriptor, leaving it at the libxl stream), xm_xl_savefile_build()
 * and xm_xl_savefile_write() (the header for a config, as xl writes it).
 * Pure code: no Xen library is needed, so it is built and tested
 * everywhere.
 */
#ifndef XM_XL_FORMAT_H
#define XM_XL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xc-format.h"
#include "xenmig.h"

/*
 * xl's live-migration handshake (xl's xl.h and xl_migrate.c), the strings
 * exactly as on the wire. The receiver is `xl migrate-receive` on the
 * far end of a command (ssh) whose stdin/stdout carry everything:
 *   receiver                              sender (xl migrate)
 *   BANNER (no NUL)                --->
 *                                  <---   save-file header + config,
 *                                         the libxl v2 stream (live)
 *   restores it, paused, as "NAME--incoming"
 *   READY (with its NUL)           --->
 *                                         renames the source
 *                                         "NAME--migratedaway"
 *                                  <---   GO (with its NUL)
 *   renames to NAME, unpauses (unless -p)
 *   REPORT (with its NUL), 1 byte  --->   0: success, the sender destroys
 *                                         its copy
 *   non-zero status: destroys its copy, then GO (with its NUL) back: the
 *   sender may rename and resume its copy
 * A receiver that fails before READY just closes the connection: the
 * sender then resumes the guest itself. So does a sender that fails:
 * the receiver sees the stream end and destroys what it built.
 */
#define XM_XL_MIG_BANNER "xl migration receiver ready, send binary domain data.\n"
#define XM_XL_MIG_READY "domain received, ready to unpause"
#define XM_XL_MIG_GO "domain is yours, you are cleared to unpause"
#define XM_XL_MIG_REPORT "my copy unpause results are as follows"
/* Bytes on the wire: the banner without its NUL, the others with it. */
#define XM_XL_MIG_BANNER_LEN (sizeof(XM_XL_MIG_BANNER) - 1)
#define XM_XL_MIG_MSG_LEN(s) sizeof(s)
/* The longest of them, with room to spare. */
#define XM_XL_MIG_MSG_MAX 128

/* Flags this reader understands (xl 4.17 knows the same two). */
#define XM_XL_SAVE_MANDATORY_KNOWN                                          \
    (XM_XL_SAVE_MANDATORY_CONFIG_JSON | XM_XL_SAVE_MANDATORY_STREAMV2)
/* Refuse optional data longer than this (a corrupt length would
 * otherwise make us allocate up to 4 GiB). */
#define XM_XL_SAVE_OPTDATA_MAX (16u << 20)
/* Bytes of the fixed header. */
#define XM_XL_SAVE_HDR_LEN 48u

/* A parsed save-file header. */
struct xm_xl_savefile {
    uint32_t mandatory_flags; /* XM_XL_SAVE_MANDATORY_* */
    uint32_t optional_flags;  /* as written; no meaning defined */
    bool json;                /* the config is libxl JSON */
    bool streamv2;            /* a libxl v2 stream follows (else v1) */
    char *config;             /* malloc'd, NUL terminated; NULL: none */
    uint32_t config_len;      /* bytes of config, without our NUL */
    uint64_t stream_offset;   /* where the libxl stream starts */
};

/* True if @buf (@len bytes, at least 32 to say yes) starts with the
 * xl save-file magic. */
bool xm_xl_is_savefile(const void *buf, size_t len);

/*
 * Parse a whole header (fixed part and optional data) from @buf. 0 and
 * @sf filled (free with xm_xl_savefile_dispose()); -EAGAIN if @len is
 * too short, *@need_r (may be NULL) then says how many bytes the header
 * takes, as far as known; -EINVAL for a bad header, with the reason and
 * its offset in @why (@whylen bytes).
 */
int xm_xl_savefile_parse(const void *buf, size_t len,
                         struct xm_xl_savefile *sf, size_t *need_r,
                         char *why, size_t whylen);

/*
 * Read the header from @fd (@what names it in messages: a file name, or
 * "the migration stream"), leaving @fd at the libxl stream. 0, or
 * -EINVAL (bad header), -EPROTO (truncated), -errno (read failed), all
 * logged with the offset concerned.
 */
int xm_xl_savefile_read(int fd, const char *what, struct xm_logger *lg,
                        struct xm_xl_savefile *sf);

/* Free what parse/read allocated; idempotent. */
void xm_xl_savefile_dispose(struct xm_xl_savefile *sf);

/*
 * The header xl writes for @config (@config_len bytes, written followed
 * by a NUL as xl does when @json) with @mandatory flags. *@buf_r is
 * malloc'd (caller frees), *@len_r bytes. 0 or -ENOMEM / -EINVAL.
 */
int xm_xl_savefile_build(const char *config, size_t config_len,
                         uint32_t mandatory, void **buf_r, size_t *len_r);
/* Build and write it to @fd: 0 or -errno (logged). */
int xm_xl_savefile_write(int fd, struct xm_logger *lg, const char *config,
                         size_t config_len, uint32_t mandatory);

/*
 * Read exactly @len bytes from @fd and check they are @msg, one of the
 * handshake strings above (at most XM_XL_MIG_MSG_MAX bytes), waiting at
 * most @timeout_s (0: for ever) for the first byte. Both sides use it:
 * @peer names the other end in messages ("the xl sender"), @what the
 * message ("ready message"). 0, -ETIMEDOUT, -EPIPE (closed early),
 * -EPROTO (other bytes) or -errno, all logged.
 */
int xm_xl_read_message(struct xm_logger *lg, int fd, const char *peer,
                       const char *msg, size_t len, const char *what,
                       unsigned timeout_s);

#endif /* XM_XL_FORMAT_H */
