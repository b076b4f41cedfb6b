/*
 * fuzz-lz4.c - libFuzzer harness for the lz4 block decoder
 * (codec-lz4.c); the harness itself is fuzz_block() in fuzz-common.h.
 */
#include "fuzz-common.h"

static void *lz4_state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_block(&xm_codec_lz4, &lz4_state, data, size);
}
