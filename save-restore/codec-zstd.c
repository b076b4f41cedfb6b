/*
 * codec-zstd.c - a PAGES record's zstd block (see codec.h).
 *
 * Entry point: xm_codec_zstd. The state holds one ZSTD_CCtx and one
 * ZSTD_DCtx, reused for every block. A block is exactly one frame that
 * declares its content size; decompression refuses a frame whose size is
 * not the one expected before it writes anything, and anything after it.
 */
#include <errno.h>
#include <stdlib.h>
#include <zstd.h>

#include "codec.h"
#include "stream-format.h"

struct zstd_state {
    ZSTD_CCtx *cctx; /* compression context, reused */
    ZSTD_DCtx *dctx; /* decompression context, reused */
    int level;       /* compression level */
};

static void zstd_free_state(void *state)
{
    struct zstd_state *st = state;

    if (!st)
        return;
    ZSTD_freeCCtx(st->cctx);
    ZSTD_freeDCtx(st->dctx);
    free(st);
}

static int zstd_new_state(int level, void **state_r)
{
    struct zstd_state *st;

    *state_r = NULL;
    if (level == 0)
        level = 1;
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
        return -EINVAL;
    st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->cctx = ZSTD_createCCtx();
    st->dctx = ZSTD_createDCtx();
    if (!st->cctx || !st->dctx) {
        zstd_free_state(st);
        return -ENOMEM;
    }
    st->level = level;
    *state_r = st;
    return 0;
}

static size_t zstd_bound(size_t len)
{
    size_t b = ZSTD_compressBound(len);

    return ZSTD_isError(b) ? 0 : b;
}

static long zstd_compress(void *state, const uint8_t *in, size_t len,
                          uint8_t *out, size_t out_cap)
{
    struct zstd_state *st = state;
    size_t r = ZSTD_compressCCtx(st->cctx, out, out_cap, in, len,
                                 st->level);

    return ZSTD_isError(r) ? -EIO : (long)r;
}

static int zstd_decompress(void *state, const uint8_t *in, size_t len,
                           uint8_t *out, size_t out_len)
{
    struct zstd_state *st = state;
    unsigned long long size = ZSTD_getFrameContentSize(in, len);
    size_t r;

    if (size != out_len || ZSTD_findFrameCompressedSize(in, len) != len)
        return -EBADMSG;
    r = ZSTD_decompressDCtx(st->dctx, out, out_len, in, len);
    return !ZSTD_isError(r) && r == out_len ? 0 : -EBADMSG;
}

const struct xm_block_codec_ops xm_codec_zstd = {
    .name = "zstd",
    .encoding = XM_ENC_ZSTD,
    .new_state = zstd_new_state,
    .free_state = zstd_free_state,
    .bound = zstd_bound,
    .compress = zstd_compress,
    .decompress = zstd_decompress,
};
