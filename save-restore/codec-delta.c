/*
 * codec-delta.c - XOR delta of a page against the copy sent last time,
 * and the sender's bounded cache of those copies (see codec.h).
 *
 * Entry points: xm_delta_encode(), xm_delta_apply(), xm_delta_cache_*().
 * On x86-64 the encoder compares the pages 16 bytes at a time (SSE2)
 * into a bitmap of the bytes to send and walks its set bits, so an
 * unchanged page costs two streaming reads and a re-dirtied one a few bit
 * scans per run (elsewhere it finds changed bytes a 64-bit word, or a
 * 32-byte block while nothing differs, at a time; both give the same
 * bytes). The cache is one slab of page slots allocated up front, a hash
 * of pfns into it and an LRU list through it: every operation is O(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define PAGE XM_CODEC_PAGE

/*
 * Unchanged gaps of at most this many bytes are sent inside a run. A new
 * run costs at least two header bytes (skip, length); a gap of one byte
 * costs one, so merging it is never larger, while a gap of two would
 * never be smaller.
 */
#define MERGE_GAP 1u

#define ONES 0x0101010101010101ull
#define LOW7 0x7f7f7f7f7f7f7f7full

static inline uint64_t load(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return v;
}

static inline void store(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Index, in memory order, of the first byte with its top bit set. */
static inline unsigned first_flagged(uint64_t m)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (unsigned)__builtin_clzll(m) / 8;
#else
    return (unsigned)__builtin_ctzll(m) / 8;
#endif
}

/* All bits of the first @k bytes in memory order (k < 8). */
static inline uint64_t first_bytes(unsigned k)
{
    if (!k)
        return 0;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return ~0ull << (64 - 8 * k);
#else
    return (1ull << (8 * k)) - 1;
#endif
}

/* Top bit set in each non-zero byte of @x (exact: no carries). */
static inline uint64_t nonzero_bytes(uint64_t x)
{
    return (((x & LOW7) + LOW7) | x) & ~LOW7;
}

#if !defined(__x86_64__)
/* First position >= @pos where @a and @b differ, or PAGE. */
static unsigned next_diff(const uint8_t *a, const uint8_t *b, unsigned pos)
{
    unsigned i = pos & ~7u;
    uint64_t x;

    if (pos >= PAGE)
        return PAGE;
    x = (load(a + i) ^ load(b + i)) & ~first_bytes(pos & 7);
    for (;;) {
        if (x)
            return i + first_flagged(nonzero_bytes(x));
        i += 8;
        if (!(i & 31))
            break;
        x = load(a + i) ^ load(b + i);
    }
    for (; i < PAGE; i += 32) {
        uint64_t x0 = load(a + i) ^ load(b + i);
        uint64_t x1 = load(a + i + 8) ^ load(b + i + 8);
        uint64_t x2 = load(a + i + 16) ^ load(b + i + 16);
        uint64_t x3 = load(a + i + 24) ^ load(b + i + 24);

        if (!(x0 | x1 | x2 | x3))
            continue;
        if (x0)
            return i + first_flagged(nonzero_bytes(x0));
        if (x1)
            return i + 8 + first_flagged(nonzero_bytes(x1));
        if (x2)
            return i + 16 + first_flagged(nonzero_bytes(x2));
        return i + 24 + first_flagged(nonzero_bytes(x3));
    }
    return PAGE;
}

/* First position >= @pos where @a and @b agree, or PAGE. */
static unsigned next_same(const uint8_t *a, const uint8_t *b, unsigned pos)
{
    unsigned i = pos & ~7u;
    uint64_t x;

    if (pos >= PAGE)
        return PAGE;
    x = (load(a + i) ^ load(b + i)) | first_bytes(pos & 7);
    for (;;) {
        uint64_t z = ~nonzero_bytes(x) & ~LOW7;

        if (z)
            return i + first_flagged(z);
        i += 8;
        if (i >= PAGE)
            return PAGE;
        x = load(a + i) ^ load(b + i);
    }
}

#endif

static inline unsigned varint_len(unsigned v)
{
    return v < 0x80 ? 1 : 2;   /* values here are at most PAGE */
}

/* LEB128: 7 bits a byte, least significant first, top bit "more". */
static inline uint8_t *put_varint(uint8_t *p, unsigned v)
{
    if (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static void xor_into(uint8_t *dst, const uint8_t *a, const uint8_t *b,
                     unsigned len)
{
    unsigned i = 0;

    for (; i + 8 <= len; i += 8)
        store(dst + i, load(a + i) ^ load(b + i));
    for (; i < len; i++)
        dst[i] = a[i] ^ b[i];
}

#if defined(__x86_64__)
#include <emmintrin.h>

/* Bit i set where byte i of the 64 bytes at @a and @b differ (SSE2). */
static inline uint64_t diff_mask64(const uint8_t *a, const uint8_t *b)
{
    uint64_t same = 0;
    unsigned k;

    for (k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(a + 16 * k));
        __m128i y = _mm_loadu_si128((const __m128i *)(b + 16 * k));

        same |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))
                << (16 * k);
    }
    return ~same;
}

/*
 * The runs to send, as a bitmap of the page's bytes: the bytes that
 * differ, plus every single unchanged byte between two that do (runs
 * closer than MERGE_GAP + 1 are merged, as next_diff()/next_same() would
 * do). The encoder then only walks set bits: a page with a few changes
 * costs one compare pass and a few bit scans.
 */
static void run_bitmap(const uint8_t *a, const uint8_t *b,
                       uint64_t m[PAGE / 64])
{
    uint64_t d[PAGE / 64 + 2];
    unsigned w;

    d[0] = 0;
    for (w = 0; w < PAGE / 64; w++)
        d[w + 1] = diff_mask64(a + w * 64, b + w * 64);
    d[PAGE / 64 + 1] = 0;
    for (w = 1; w <= PAGE / 64; w++) {
        uint64_t left = d[w] << 1 | d[w - 1] >> 63;  /* byte before */
        uint64_t right = d[w] >> 1 | d[w + 1] << 63; /* byte after */

        m[w - 1] = d[w] | (~d[w] & left & right);
    }
}

int xm_delta_encode(const uint8_t *old, const uint8_t *page, uint8_t *out)
{
    uint8_t *p = out, *const end = out + XM_DELTA_MAX;
    uint64_t m[PAGE / 64], bits;
    unsigned w = 0, start, stop, done = 0, skip, len;

    run_bitmap(old, page, m);
    for (;;) {
        /* the next run starts at the next set bit ... */
        bits = w < PAGE / 64 ? m[w] & (~0ull << (done % 64)) : 0;
        while (!bits) {
            if (++w >= PAGE / 64)
                return (int)(p - out);
            bits = m[w];
        }
        start = w * 64 + (unsigned)__builtin_ctzll(bits);
        /* ... and ends at the next clear one */
        bits = ~m[w] & (~0ull << (start % 64));
        while (!bits && ++w < PAGE / 64)
            bits = ~m[w];
        stop = bits ? w * 64 + (unsigned)__builtin_ctzll(bits) : PAGE;
        skip = start - done;
        len = stop - start;
        if (varint_len(skip) + varint_len(len) + len > (unsigned)(end - p))
            return -1;
        p = put_varint(p, skip);
        p = put_varint(p, len);
        xor_into(p, old + start, page + start, len);
        p += len;
        done = stop;
        if (done >= PAGE)
            return (int)(p - out);
        w = done / 64;
    }
}

#else /* !__x86_64__: a word at a time */

int xm_delta_encode(const uint8_t *old, const uint8_t *page, uint8_t *out)
{
    uint8_t *p = out, *const end = out + XM_DELTA_MAX;
    unsigned pos = 0, done = 0;

    while ((pos = next_diff(old, page, pos)) < PAGE) {
        unsigned start = pos, skip = pos - done, len, room;

        /* Room for this run's bytes once the smallest header is in. */
        if ((unsigned)(end - p) < varint_len(skip) + 2)
            return -1;
        room = (unsigned)(end - p) - varint_len(skip) - 1;
        for (;;) {
            unsigned same = next_same(old, page, pos), next;

            if (same - start > room)
                return -1;
            next = next_diff(old, page, same);
            if (next == PAGE || next - same > MERGE_GAP) {
                pos = same;
                break;
            }
            pos = next;
        }
        len = pos - start;
        if (varint_len(skip) + varint_len(len) + len > (unsigned)(end - p))
            return -1;
        p = put_varint(p, skip);
        p = put_varint(p, len);
        xor_into(p, old + start, page + start, len);
        p += len;
        done = pos;
    }
    return (int)(p - out);
}

#endif

/*
 * One varint of at most PAGE, canonical (no needless zero high byte), or
 * -1. Advances *@in; never reads at or past @end.
 */
static int get_varint(const uint8_t **in, const uint8_t *end)
{
    const uint8_t *p = *in;
    unsigned v;

    if (p == end)
        return -1;
    v = *p++;
    if (v & 0x80) {
        if (p == end || *p == 0 || (*p & 0x80))
            return -1;
        v = (v & 0x7f) | (unsigned)*p++ << 7;
        if (v > PAGE)
            return -1;
    }
    *in = p;
    return (int)v;
}

int xm_delta_apply(uint8_t *page, const uint8_t *in, size_t len)
{
    const uint8_t *end = in + len;
    unsigned pos = 0;

    while (in != end) {
        int skip = get_varint(&in, end), n;

        if (skip < 0)
            return -EBADMSG;
        n = get_varint(&in, end);
        if (n <= 0 || (size_t)(end - in) < (size_t)n ||
            pos + (unsigned)skip + (unsigned)n > PAGE)
            return -EBADMSG;
        pos += (unsigned)skip;
        xor_into(page + pos, page + pos, in, (unsigned)n);
        pos += (unsigned)n;
        in += n;
    }
    return 0;
}

/* ---- the page cache --------------------------------------------------- */

#define NONE UINT32_MAX

struct slot {
    uint64_t pfn;          /* the page this slot holds (if in use) */
    uint32_t prev, next;   /* LRU list (next also links the free list) */
    uint32_t hprev, hnext; /* hash chain */
};

struct xm_delta_cache {
    uint8_t *pages;        /* nr_slots pages, page aligned */
    struct slot *slots;    /* one per page */
    uint32_t *buckets;     /* first slot of each hash chain, or NONE */
    unsigned hash_shift;   /* 64 - log2(number of buckets) */
    uint32_t nr_slots;     /* capacity in pages */
    uint32_t mru, lru;     /* ends of the LRU list, or NONE */
    uint32_t free;         /* first unused slot, or NONE */
    struct xm_delta_stats st; /* counters */
};

static inline uint32_t bucket_of(const struct xm_delta_cache *c,
                                 uint64_t pfn)
{
    return (uint32_t)((pfn * 0x9e3779b97f4a7c15ull) >> c->hash_shift);
}

int xm_delta_cache_new(size_t bytes, struct xm_delta_cache **cache_r)
{
    struct xm_delta_cache *c;
    size_t nr = bytes / PAGE, nb = 2, i;
    unsigned bits = 1;
    void *mem = NULL;

    *cache_r = NULL;
    if (nr < 1)
        nr = 1;
    if (nr >= NONE / 2)
        return -ENOMEM;
    while (nb < nr) {       /* load factor at most 1 */
        nb <<= 1;
        bits++;
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->slots = calloc(nr, sizeof(*c->slots));
    c->buckets = malloc(nb * sizeof(*c->buckets));
    if (posix_memalign(&mem, PAGE, nr * PAGE) == 0)
        c->pages = mem;
    if (!c->slots || !c->buckets || !c->pages) {
        xm_delta_cache_free(c);
        return -ENOMEM;
    }
    for (i = 0; i < nb; i++)
        c->buckets[i] = NONE;
    for (i = 0; i < nr; i++)
        c->slots[i].next = i + 1 < nr ? (uint32_t)(i + 1) : NONE;
    c->hash_shift = 64 - bits;
    c->nr_slots = (uint32_t)nr;
    c->mru = c->lru = NONE;
    c->free = 0;
    *cache_r = c;
    return 0;
}

void xm_delta_cache_free(struct xm_delta_cache *c)
{
    if (!c)
        return;
    free(c->pages);
    free(c->slots);
    free(c->buckets);
    free(c);
}

static uint32_t find(const struct xm_delta_cache *c, uint64_t pfn)
{
    uint32_t i = c->buckets[bucket_of(c, pfn)];

    while (i != NONE && c->slots[i].pfn != pfn)
        i = c->slots[i].hnext;
    return i;
}

static void lru_unlink(struct xm_delta_cache *c, uint32_t i)
{
    struct slot *s = &c->slots[i];

    if (s->prev != NONE)
        c->slots[s->prev].next = s->next;
    else
        c->mru = s->next;
    if (s->next != NONE)
        c->slots[s->next].prev = s->prev;
    else
        c->lru = s->prev;
}

static void lru_push(struct xm_delta_cache *c, uint32_t i)
{
    struct slot *s = &c->slots[i];

    s->prev = NONE;
    s->next = c->mru;
    if (c->mru != NONE)
        c->slots[c->mru].prev = i;
    else
        c->lru = i;
    c->mru = i;
}

static void hash_unlink(struct xm_delta_cache *c, uint32_t i)
{
    struct slot *s = &c->slots[i];

    if (s->hprev != NONE)
        c->slots[s->hprev].hnext = s->hnext;
    else
        c->buckets[bucket_of(c, s->pfn)] = s->hnext;
    if (s->hnext != NONE)
        c->slots[s->hnext].hprev = s->hprev;
}

static void hash_push(struct xm_delta_cache *c, uint32_t i)
{
    struct slot *s = &c->slots[i];
    uint32_t *b = &c->buckets[bucket_of(c, s->pfn)];

    s->hprev = NONE;
    s->hnext = *b;
    if (*b != NONE)
        c->slots[*b].hprev = i;
    *b = i;
}

static inline uint8_t *slot_page(struct xm_delta_cache *c, uint32_t i)
{
    return c->pages + (size_t)i * PAGE;
}

uint8_t *xm_delta_cache_lookup(struct xm_delta_cache *c, uint64_t pfn)
{
    uint32_t i = find(c, pfn);

    if (i == NONE) {
        c->st.misses++;
        return NULL;
    }
    c->st.hits++;
    if (c->mru != i) {
        lru_unlink(c, i);
        lru_push(c, i);
    }
    return slot_page(c, i);
}

uint8_t *xm_delta_cache_insert(struct xm_delta_cache *c, uint64_t pfn)
{
    uint32_t i = find(c, pfn);

    if (i != NONE) {
        lru_unlink(c, i);
    } else if (c->free != NONE) {
        i = c->free;
        c->free = c->slots[i].next;
        c->slots[i].pfn = pfn;
        hash_push(c, i);
    } else {
        i = c->lru;
        lru_unlink(c, i);
        hash_unlink(c, i);
        c->st.evictions++;
        c->slots[i].pfn = pfn;
        hash_push(c, i);
    }
    lru_push(c, i);
    return slot_page(c, i);
}

void xm_delta_cache_drop(struct xm_delta_cache *c, uint64_t pfn)
{
    uint32_t i = find(c, pfn);

    if (i == NONE)
        return;
    lru_unlink(c, i);
    hash_unlink(c, i);
    c->slots[i].next = c->free;
    c->free = i;
}

void xm_delta_cache_stats(const struct xm_delta_cache *c,
                          struct xm_delta_stats *st_r)
{
    *st_r = c->st;
}

void xm_delta_cache_overflow(struct xm_delta_cache *c)
{
    c->st.overflows++;
}
