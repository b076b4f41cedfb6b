/*
 * codec.h - page codecs: how a PAGES record's pages are made smaller.
 *
 * One codec per file (codec-delta.c, codec-lz4.c, codec-zstd.c; zero-page
 * detection is codec-zero.c), each a pair of pure functions over caller
 * memory plus a small state (reused compression contexts, the delta page
 * cache) that the caller owns: no globals, so a sender and a receiver in
 * one process (tests) never share anything.
 *
 * Where the bytes go (see xenmig-stream(7), PAGES): each page of a record
 * has an encoding byte; the payload holds, for each page in order, what
 * its encoding carries:
 *   XM_ENC_RAW    4096 bytes
 *   XM_ENC_ZERO   nothing
 *   XM_ENC_DELTA  u32 length, then that many bytes of runs (below)
 *   XM_ENC_LZ4, XM_ENC_ZSTD
 *                 all pages of the record with this encoding are one
 *                 compressed block, 4096 bytes per page when decompressed,
 *                 in record order; the block sits where the first such
 *                 page's data would be: u32 compressed length, the block.
 *
 * Delta runs (XOR of the new page against the copy sent last time):
 * a sequence of (varint skip, varint length, length bytes of XOR) with
 * skip = unchanged bytes before the run; the runs cover at most 4096
 * bytes. An empty sequence means the page did not change. A varint is
 * unsigned LEB128 (7 bits a byte, least significant group first, the top
 * bit set on every byte but the last), at most 4096, in its shortest
 * form; a length is at least 1. Anything else is malformed. The receiver
 * needs no cache of its own: the last copy sent is what its guest page
 * holds, so it XORs the runs into the page in place. The sender's cache
 * keeps the bytes it actually sent (never the live page), so the two
 * sides are in step by construction.
 */
#ifndef XM_CODEC_H
#define XM_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XM_CODEC_PAGE 4096u

/* Worst-case size of a delta encoding; larger ones are sent otherwise. */
#define XM_DELTA_MAX (XM_CODEC_PAGE / 2)

/* ---- delta (codec-delta.c) -------------------------------------------- */

/*
 * Encode @page against @old into @out (room for XM_DELTA_MAX bytes).
 * Returns the encoded length (0: unchanged), or -1 if it would exceed
 * XM_DELTA_MAX (send the page another way). Pure.
 */
int xm_delta_encode(const uint8_t *old, const uint8_t *page, uint8_t *out);

/*
 * Apply @len bytes of runs at @in to @page in place. -EBADMSG if they are
 * malformed or reach past the page; @page may then be partly changed (the
 * migration is abandoned anyway). Never reads past @in + @len.
 */
int xm_delta_apply(uint8_t *page, const uint8_t *in, size_t len);

/* The sender's copies of pages it sent, bounded, keyed by pfn. */
struct xm_delta_cache;

/* A cache of at most @bytes of pages (rounded down to whole pages, at
 * least one). 0 or -ENOMEM. */
int xm_delta_cache_new(size_t bytes, struct xm_delta_cache **cache_r);
void xm_delta_cache_free(struct xm_delta_cache *cache);
/*
 * The cached copy of @pfn, or NULL. A hit counts as use (the eviction
 * policy keeps pages that keep coming back).
 */
uint8_t *xm_delta_cache_lookup(struct xm_delta_cache *cache, uint64_t pfn);
/*
 * A slot for @pfn to copy the sent page into, evicting the least recently
 * used page if full. Returns the slot (XM_CODEC_PAGE bytes).
 */
uint8_t *xm_delta_cache_insert(struct xm_delta_cache *cache, uint64_t pfn);
/* Forget @pfn (it went out as zero: its copy no longer matches). */
void xm_delta_cache_drop(struct xm_delta_cache *cache, uint64_t pfn);

struct xm_delta_stats {
    uint64_t hits;      /* lookups that found the page */
    uint64_t misses;    /* lookups that did not */
    uint64_t evictions; /* pages pushed out to make room */
    uint64_t overflows; /* encodings over XM_DELTA_MAX (sent otherwise) */
};
void xm_delta_cache_stats(const struct xm_delta_cache *cache,
                          struct xm_delta_stats *st_r);
/* Count one overflow (the caller saw xm_delta_encode() return -1). */
void xm_delta_cache_overflow(struct xm_delta_cache *cache);

/* ---- block compressors (codec-lz4.c, codec-zstd.c) -------------------- */

/* One block compressor, chosen by the encoding it produces. */
struct xm_block_codec_ops {
    const char *name;  /* "lz4", "zstd" */
    uint8_t encoding;  /* XM_ENC_LZ4 / XM_ENC_ZSTD */
    /*
     * A state with reused contexts at @level (0: the codec's default).
     * 0, -EINVAL for a level the codec does not have, or -ENOMEM.
     */
    int (*new_state)(int level, void **state_r);
    void (*free_state)(void *state);
    /* Bound on the compressed size of @len input bytes. */
    size_t (*bound)(size_t len);
    /*
     * Compress @len bytes at @in into @out (@out_cap bytes, at least
     * bound(len)). Returns the compressed length or a negative errno.
     */
    long (*compress)(void *state, const uint8_t *in, size_t len,
                     uint8_t *out, size_t out_cap);
    /*
     * Decompress @len bytes at @in into exactly @out_len bytes at @out.
     * -EBADMSG for corrupt input or any other output length; never reads
     * or writes out of bounds.
     */
    int (*decompress)(void *state, const uint8_t *in, size_t len,
                      uint8_t *out, size_t out_len);
};

extern const struct xm_block_codec_ops xm_codec_lz4;
extern const struct xm_block_codec_ops xm_codec_zstd;

#endif /* XM_CODEC_H */
