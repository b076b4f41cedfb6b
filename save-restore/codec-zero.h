/*
 * codec-zero.h - is a guest page all zeroes?
 *
 * The first thing the sender asks of every page: a zero page goes on the
 * wire as one XM_ENC_ZERO byte in the batch header and no body (a freshly
 * booted guest is mostly zero pages). The check must therefore run at
 * memory bandwidth: it reads the page in 256-byte blocks and returns at
 * the first block with a bit set, so a non-zero page usually costs one
 * cache line or a few.
 *
 * Entry point: xm_page_is_zero(). It picks, once, on its first call, the
 * best implementation this CPU runs (AVX2 where __builtin_cpu_supports()
 * says so, else SSE2 on x86-64, else portable C); every implementation
 * gives the same answer for every page. The implementations are exposed
 * as xm__page_is_zero_*() so the tests can compare them.
 *
 * Contract: @page points to XM_ZERO_PAGE_SIZE readable bytes, aligned to
 * XM_ZERO_PAGE_ALIGN (guest pages mapped by a backend always are). No
 * state, thread safe, no I/O.
 */
#ifndef XM_CODEC_ZERO_H
#define XM_CODEC_ZERO_H

#include <stdbool.h>

#define XM_ZERO_PAGE_SIZE  4096u
#define XM_ZERO_PAGE_ALIGN 64u

/* True if all XM_ZERO_PAGE_SIZE bytes of @page are zero. */
bool xm_page_is_zero(const void *page);

/* Plain C, 64-bit words; any CPU. */
bool xm__page_is_zero_portable(const void *page);
/* SSE2 on x86-64, the portable one elsewhere; runs on any CPU. */
bool xm__page_is_zero_generic(const void *page);

/*
 * AVX2 version, or NULL when this build has none (not x86-64). Call it
 * only where xm__page_is_zero_avx2_usable() is true.
 */
extern bool (*const xm__page_is_zero_avx2)(const void *page);
bool xm__page_is_zero_avx2_usable(void);

#endif /* XM_CODEC_ZERO_H */
