/*
 * encoder.h - the sender's page encoder: which encoding each page of a
 * PAGES record goes out with, and the payload pieces to write.
 *
 * Per page, in this order:
 *   1. all zero                      -> XM_ENC_ZERO
 *   2. sent before and in the delta cache, and the XOR runs fit in
 *      XM_DELTA_MAX                  -> XM_ENC_DELTA
 *   3. otherwise the page joins the record's bulk, which goes out as one
 *      LZ4 or zstd block (XM_ENC_LZ4/ZSTD) when that pays, else RAW.
 * Pages are never encoded from live guest memory: a running guest may
 * change a page between two reads, so the encoder copies it first (unless
 * the caller says the guest is stopped) and caches the copy that went out.
 * A stopped guest's pass is taken to be the last: its pages are not
 * cached, since no later pass could use them.
 *
 * Choosing the block codec ("auto"): the sender writes one batch while
 * it encodes the next (precopy.c's writer thread), so for B bulk bytes
 * raw costs B / link and a codec the longer of B / speed and
 * B x ratio / link, where link is the write speed measured on the stream
 * and speed and ratio are measured on the batches the codec compressed
 * (moving averages; speed in the encoding thread's CPU time, so that
 * being preempted on a shared core does not count against a codec). The
 * cheapest wins: any codec faster than the link beats raw, and of two
 * that both outrun it, the one sending fewer bytes. A codec slower than
 * the link compresses only part of the bulk (xm__encoder_share()) and
 * the rest goes raw, so that the core and the link are both kept busy;
 * that beats both all raw and all compressed. A codec not used for
 * XM_ENCODER_RESAMPLE batches is tried again, and
 * that batch's figures replace its stale ones: guest memory changes from
 * region to region, so what a codec did many batches ago says little
 * (with averages and a resample every 64 batches, one early
 * incompressible region kept a captured guest's RAM raw for good, see
 * bench/README.md). The model sees only the sender's CPU and the write
 * speed; on one host (a loopback migration) the receiver, decoding and
 * giving the new guest its memory on the same cores, can be what bounds
 * a pass, and then coded batches go slower than raw ones however the
 * model rates them. So the measured speed of the whole pipeline, coded
 * batches against raw ones with a probe of the kind not in use now and
 * then, overrules it (XM_ENCODER_PIPE_*; bench/README.md). With one
 * codec forced, that codec is used unless its block would not be
 * smaller than the raw pages.
 */
#ifndef XM_ENCODER_H
#define XM_ENCODER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "stream-format.h"
#include "xenmig.h"

#define XM_ENCODER_RESAMPLE 8

/*
 * Auto checks its model against the pipeline's measured speed: coded
 * batches against raw ones (xm_encoder_pipe_sample()). The kind not in
 * use runs XM_ENCODER_PIPE_PROBE batches XM_ENCODER_PIPE_FIRST batches
 * after the verdict last changed, then twice as long after each probe
 * that left it as it was, up to XM_ENCODER_PIPE_MAX (4 MiB batches: a
 * 16 MiB probe at most every 2 GiB); coded loses once it is measured
 * more than 10% slower than raw.
 */
#define XM_ENCODER_PIPE_FIRST 8
#define XM_ENCODER_PIPE_MAX 512
#define XM_ENCODER_PIPE_PROBE 4

/*
 * The zstd level auto uses (unless told one): -1, zstd's fastest level
 * that still matches like level 1, without Huffman-coding the literals.
 * On the captured guest RAM of bench/ it costs about 10% less CPU than
 * level 1 for 9% more bytes (17.2% of raw instead of 15.8% at 1 Gbit/s),
 * which keeps auto within issue 3's budget of 1.5 GB/s of input per core
 * (bench/README.md, "Auto, overlapped").
 */
#define XM_ENCODER_AUTO_ZSTD (-1)

/* Block codecs the encoder may hold: lz4 and zstd. */
#define XM_ENCODER_CODECS 2

/* Batches whose payload may be in flight at once (see xm_encoder_batch). */
#define XM_ENCODER_SLOTS 2

struct xm_encoder;

/*
 * An encoder for a guest of @nr_pfns pages using what @features (the set
 * agreed with the receiver) and @c allow.
 */
int xm_encoder_new(const struct xm_compress *c, uint64_t features,
                   uint64_t nr_pfns, struct xm_encoder **enc_r);
void xm_encoder_free(struct xm_encoder *e);

/*
 * Encode @n pages (@pages[i] is pfn @pfns[i], mapped; NULL for a hole,
 * a page without content, which goes as a zero page) sent in pass
 * @iteration. @stable: the guest is stopped, pages may be read in place.
 * Fills @enc[0..n) and @iov[0..*niov_r) with the payload pieces, which
 * stay valid for the next XM_ENCODER_SLOTS - 1 calls (so one batch can be
 * written while the next is encoded); pieces of a @stable batch may
 * point into @pages, which must then stay mapped as long. @iov must have
 * room for 2n + 2 entries.
 */
int xm_encoder_batch(struct xm_encoder *e, unsigned iteration,
                     const uint64_t *pfns, void *const *pages, unsigned n,
                     bool stable, uint8_t *enc, struct iovec *iov,
                     unsigned *niov_r);

/*
 * For auto: the part of a batch's bulk to compress with a codec that
 * takes @cpu ns per input byte to a @ratio (output / input) over a link
 * of @link ns per byte, the rest raw. 1 when the codec outruns what it
 * sends (cpu <= ratio x link); else the f at which compressing f of the
 * bulk takes as long as sending f x ratio plus 1 - f raw:
 * f = link / (cpu + link x (1 - ratio)); 0 when @ratio >= 1. Pure.
 */
double xm__encoder_share(double cpu, double ratio, double link);

/*
 * Auto's choice among @n (at most XM_ENCODER_CODECS) block codecs, each
 * taking @cpu[k] ns per input byte to a @ratio[k], over a link of @link
 * ns per byte: the index of the codec, or -1 for raw, and in *@share_r
 * the part of the bulk it compresses (xm__encoder_share()). A codec
 * costs max(cpu, ratio x link) per byte, or cpu x share when it
 * compresses only a share; raw costs link; the cheapest wins. Pure.
 */
int xm__encoder_pick(unsigned n, const double *cpu, const double *ratio,
                     double link, double *share_r);

/* The stream took @ns to write @bytes: a link speed sample. */
void xm_encoder_link_sample(struct xm_encoder *e, uint64_t bytes,
                            uint64_t ns);

/*
 * Auto: the whole pipeline (map, encode, write, and whatever holds the
 * writer up past the link, such as the receiver) moved @in_bytes of
 * bulk pages (raw or block-coded, not zero pages or deltas) in @ns, all
 * in batches with (@coded) or without a block codec. The caller samples
 * only runs of one kind: in a pipeline a period holds one batch's write
 * and the next one's encoding.
 */
void xm_encoder_pipe_sample(struct xm_encoder *e, bool coded,
                            uint64_t in_bytes, uint64_t ns);

/* The stream is capped at @bytes_per_s (0: not): raw batches can go no
 * faster, so coded ones faster than that need no raw probe. */
void xm_encoder_link_limit(struct xm_encoder *e, uint64_t bytes_per_s);

/* Totals since xm_encoder_new(). */
void xm_encoder_stats(const struct xm_encoder *e,
                      struct xm_codec_stats *st_r);

#endif /* XM_ENCODER_H */
