/*
 * fuzz-lz4.c - libFuzzer harness for the lz4 block decoder (codec-lz4.c).
 *
 * The first input byte is N, the rest a block that must decompress into
 * exactly N pages (4096 x N bytes, in an allocation of exactly that size
 * so the sanitizers see any write past it); the block is copied into an
 * allocation of its exact size for the same reason. The decoder state is
 * made once and reused, as the receiver does. When it decodes, the pages
 * must survive a round trip through the compressor.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static void *lz4_state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct xm_block_codec_ops *o = &xm_codec_lz4;
    size_t pages, out_len, clen;
    uint8_t *in, *out, *comp, *back;
    long r;

    if (size < 1)
        return 0;
    if (!lz4_state && o->new_state(0, &lz4_state))
        abort();
    pages = data[0];
    out_len = pages * XM_CODEC_PAGE;
    clen = size - 1;
    in = malloc(clen ? clen : 1);
    out = malloc(out_len ? out_len : 1);
    if (!in || !out)
        abort();
    memcpy(in, data + 1, clen);
    if (o->decompress(lz4_state, in, clen, out, out_len) == 0 && out_len) {
        comp = malloc(o->bound(out_len));
        back = malloc(out_len);
        if (!comp || !back)
            abort();
        r = o->compress(lz4_state, out, out_len, comp, o->bound(out_len));
        if (r <= 0 ||
            o->decompress(lz4_state, comp, (size_t)r, back, out_len) != 0 ||
            memcmp(back, out, out_len) != 0)
            abort(); /* what decoded does not survive a round trip */
        free(comp);
        free(back);
    }
    free(in);
    free(out);
    return 0;
}
