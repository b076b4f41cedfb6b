/*
 * codec-lz4.c - a PAGES record's LZ4 block (see codec.h).
 *
 * Entry point: xm_codec_lz4. The state is LZ4's compression state,
 * allocated once and reused through LZ4_compress_fast_extState(); the
 * level is LZ4's acceleration. Decompression is LZ4_decompress_safe(),
 * which stays inside both buffers, and must fill the output exactly.
 */
#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <stdlib.h>

#include "codec.h"
#include "stream-format.h"

struct lz4_state {
    void *ctx;  /* LZ4_sizeofState() bytes */
    int accel;  /* acceleration, >= 1 */
};

static int lz4_new_state(int level, void **state_r)
{
    struct lz4_state *st;

    *state_r = NULL;
    if (level < 0)
        return -EINVAL;
    st = malloc(sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->ctx = malloc((size_t)LZ4_sizeofState());
    if (!st->ctx) {
        free(st);
        return -ENOMEM;
    }
    st->accel = level ? level : 1;
    *state_r = st;
    return 0;
}

static void lz4_free_state(void *state)
{
    struct lz4_state *st = state;

    if (!st)
        return;
    free(st->ctx);
    free(st);
}

static size_t lz4_bound(size_t len)
{
    if (len > LZ4_MAX_INPUT_SIZE)
        return 0;
    return (size_t)LZ4_compressBound((int)len);
}

static long lz4_compress(void *state, const uint8_t *in, size_t len,
                         uint8_t *out, size_t out_cap)
{
    struct lz4_state *st = state;
    int r;

    if (len > LZ4_MAX_INPUT_SIZE)
        return -EINVAL;
    if (out_cap > INT_MAX)
        out_cap = INT_MAX;
    r = LZ4_compress_fast_extState(st->ctx, (const char *)in, (char *)out,
                                   (int)len, (int)out_cap, st->accel);
    return r > 0 ? r : -EIO;
}

static int lz4_decompress(void *state, const uint8_t *in, size_t len,
                          uint8_t *out, size_t out_len)
{
    int r;

    if (len > INT_MAX || out_len > INT_MAX)
        return -EBADMSG;
    r = LZ4_decompress_safe((const char *)in, (char *)out, (int)len,
                            (int)out_len);
    return r >= 0 && (size_t)r == out_len ? 0 : -EBADMSG;
}

const struct xm_block_codec_ops xm_codec_lz4 = {
    .name = "lz4",
    .encoding = XM_ENC_LZ4,
    .new_state = lz4_new_state,
    .free_state = lz4_free_state,
    .bound = lz4_bound,
    .compress = lz4_compress,
    .decompress = lz4_decompress,
};
