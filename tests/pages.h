/*
 * pages.h - page contents for the codec and encoder suites: a seeded
 * xorshift generator and pages of four kinds (zero, random, text-like,
 * re-dirtied: a few bytes of what is there changed). Included by one
 * test file each; everything here is static (inline, so a suite may use
 * only some of it).
 */
#ifndef XM_TESTS_PAGES_H
#define XM_TESTS_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec.h"

#define PAGE XM_CODEC_PAGE

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static inline uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

enum kind { ZERO, RANDOM, TEXT, REDIRTY, NR_KINDS };

static inline void fill_random(uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        p[i] = (uint8_t)next_rand();
}

static inline void fill_text(uint8_t *p, size_t len)
{
    static const char *const words[] = {
        "the", "page", "domain", "migration", "of", "memory", "xen",
        "dirty", "stream", "record", "and", "to", "kernel", "0x1f3",
        "struct", "return", "int", "if", "error", "buffer",
    };
    size_t i = 0;

    while (i < len) {
        const char *w = words[next_rand() % 20];
        size_t n = strlen(w);

        if (n > len - i)
            n = len - i;
        memcpy(p + i, w, n);
        i += n;
        if (i < len)
            p[i++] = next_rand() % 12 ? ' ' : '\n';
    }
}

/* @n pages of @kind at @p; REDIRTY changes a few bytes of what is there. */
static inline void fill(uint8_t *p, size_t n, enum kind kind)
{
    size_t i, k;

    switch (kind) {
    case ZERO:
        memset(p, 0, n * PAGE);
        break;
    case RANDOM:
        fill_random(p, n * PAGE);
        break;
    case TEXT:
        fill_text(p, n * PAGE);
        break;
    default:
        for (i = 0; i < n; i++)
            for (k = 1 + next_rand() % 64; k; k--)
                p[i * PAGE + next_rand() % PAGE] = (uint8_t)next_rand();
        break;
    }
}

#endif /* XM_TESTS_PAGES_H */
