/*
 * codec-zero.c - zero-page detection (see codec-zero.h).
 *
 * Entry points: xm_page_is_zero() and, for tests, the per-ISA versions.
 * Each ORs a 256-byte block into one register and tests it, so the loop
 * stays load-bound with an early exit every four cache lines.
 */
#include <assert.h>
#include <stdint.h>

#include "codec-zero.h"

#define BLOCK 256u

typedef uint64_t __attribute__((may_alias)) word;

bool xm__page_is_zero_portable(const void *page)
{
    const word *p = page;
    unsigned i, j;

    for (i = 0; i < XM_ZERO_PAGE_SIZE / 8; i += BLOCK / 8) {
        word acc = 0;

        for (j = 0; j < BLOCK / 8; j++)
            acc |= p[i + j];
        if (acc)
            return false;
    }
    return true;
}

#if defined(__x86_64__)
#include <immintrin.h>

bool xm__page_is_zero_generic(const void *page)
{
    const __m128i *p = page;
    unsigned i;

    for (i = 0; i < XM_ZERO_PAGE_SIZE / 16; i += BLOCK / 16) {
        __m128i a = _mm_or_si128(_mm_load_si128(p + i),
                                 _mm_load_si128(p + i + 1));
        __m128i b = _mm_or_si128(_mm_load_si128(p + i + 2),
                                 _mm_load_si128(p + i + 3));
        unsigned j;

        for (j = 4; j < BLOCK / 16; j += 2) {
            a = _mm_or_si128(a, _mm_load_si128(p + i + j));
            b = _mm_or_si128(b, _mm_load_si128(p + i + j + 1));
        }
        a = _mm_or_si128(a, b);
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(a, _mm_setzero_si128())) !=
            0xffff)
            return false;
    }
    return true;
}

__attribute__((target("avx2")))
static bool page_is_zero_avx2(const void *page)
{
    const __m256i *p = page;
    unsigned i;

    for (i = 0; i < XM_ZERO_PAGE_SIZE / 32; i += BLOCK / 32) {
        __m256i a = _mm256_or_si256(_mm256_load_si256(p + i),
                                    _mm256_load_si256(p + i + 1));
        __m256i b = _mm256_or_si256(_mm256_load_si256(p + i + 2),
                                    _mm256_load_si256(p + i + 3));
        __m256i c = _mm256_or_si256(_mm256_load_si256(p + i + 4),
                                    _mm256_load_si256(p + i + 5));
        __m256i d = _mm256_or_si256(_mm256_load_si256(p + i + 6),
                                    _mm256_load_si256(p + i + 7));

        a = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
        if (!_mm256_testz_si256(a, a))
            return false;
    }
    return true;
}

bool (*const xm__page_is_zero_avx2)(const void *page) = page_is_zero_avx2;

bool xm__page_is_zero_avx2_usable(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

#else /* !__x86_64__ */

bool xm__page_is_zero_generic(const void *page)
{
    return xm__page_is_zero_portable(page);
}

bool (*const xm__page_is_zero_avx2)(const void *page) = NULL;

bool xm__page_is_zero_avx2_usable(void)
{
    return false;
}

#endif

static bool pick(const void *page);

/* The chosen implementation; pick() replaces itself on the first call. */
static bool (*impl)(const void *page) = pick;

static bool pick(const void *page)
{
    bool (*f)(const void *) = xm__page_is_zero_generic;

    if (xm__page_is_zero_avx2_usable())
        f = xm__page_is_zero_avx2;
    __atomic_store_n(&impl, f, __ATOMIC_RELAXED);
    return f(page);
}

bool xm_page_is_zero(const void *page)
{
    assert(((uintptr_t)page & (XM_ZERO_PAGE_ALIGN - 1)) == 0);
    return __atomic_load_n(&impl, __ATOMIC_RELAXED)(page);
}
