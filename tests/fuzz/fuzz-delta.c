/*
 * fuzz-delta.c - libFuzzer harness for xm_delta_apply() (codec-delta.c).
 *
 * The input is the runs, applied to a page of a fixed pattern; the input
 * sits at the end of its own allocation so the sanitizers see any read
 * past it, and so does the page. When the runs decode, the page must be
 * reproducible: encoding it against the pattern and applying that to
 * another copy of the pattern gives the same page (the encoder may say
 * the delta is too large; then there is nothing to compare).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static void delta_pattern(uint8_t *page)
{
    unsigned i;

    for (i = 0; i < XM_CODEC_PAGE; i++)
        page[i] = (uint8_t)(i * 13 + 5);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *page = malloc(XM_CODEC_PAGE), *old = malloc(XM_CODEC_PAGE);
    uint8_t *again = malloc(XM_CODEC_PAGE), *enc = malloc(XM_DELTA_MAX);
    uint8_t *in = malloc(size ? size : 1);
    int n;

    if (!page || !old || !again || !enc || !in)
        abort();
    memcpy(in, data, size);
    delta_pattern(old);
    memcpy(page, old, XM_CODEC_PAGE);
    if (xm_delta_apply(page, in, size) == 0) {
        n = xm_delta_encode(old, page, enc);
        if (n >= 0) {
            memcpy(again, old, XM_CODEC_PAGE);
            if (xm_delta_apply(again, enc, (size_t)n) != 0 ||
                memcmp(again, page, XM_CODEC_PAGE) != 0)
                abort(); /* the encoder and the decoder disagree */
        }
    }
    free(page);
    free(old);
    free(again);
    free(enc);
    free(in);
    return 0;
}
