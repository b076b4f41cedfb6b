/*
 * fuzz-zstd.c - libFuzzer harness for the zstd block decoder
 * (codec-zstd.c); the harness itself is fuzz_block() in fuzz-common.h.
 */
#include "fuzz-common.h"

static void *zstd_state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_block(&xm_codec_zstd, &zstd_state, data, size);
}
