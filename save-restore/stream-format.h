/*
 * stream-format.h - the xenmig stream on the wire: structs and numbers only.
 * The prose specification is xenmig-stream(7) (man/xenmig-stream.7).
 *
 * Modelled on Xen's migration stream v3: an image header, then records,
 * each a header and a body padded to 8 bytes, ending with END. What v3
 * lacks and this adds: a feature set offered in the image header and
 * fixed by a FEATURES record, a CRC32C in every record header, a per-page
 * encoding byte in PAGES, and messages from the receiver back to the
 * sender (READY, COMPLETE, DONE, PAGE_ACK, ERROR) in the same framing.
 *
 * All integers are little-endian. Record bodies are 8-byte aligned.
 */
#ifndef XM_STREAM_FORMAT_H
#define XM_STREAM_FORMAT_H

#include <stdint.h>

/* ---- image header (first 32 bytes of every stream) -------------------- */

#define XM_IHDR_MAGIC "XENMIGST"      /* 8 bytes, no NUL */
#define XM_IHDR_VERSION 1
#define XM_IHDR_OPT_LITTLE_ENDIAN 0x0 /* bit 0 of options: 0 = LE */
#define XM_IHDR_OPT_BIG_ENDIAN 0x1

struct xm_ihdr {
    char magic[8];       /* XM_IHDR_MAGIC */
    uint32_t version;    /* XM_IHDR_VERSION */
    uint32_t options;    /* XM_IHDR_OPT_* */
    uint64_t features;   /* XM_FEAT_* the sender offers */
    uint32_t page_shift; /* 12 */
    uint32_t reserved;   /* zero */
};

/* Features: offered in the image header, fixed by the FEATURES record. */
enum xm_features {
    XM_FEAT_ZERO_PAGES = 1 << 0, /* XM_ENC_ZERO may be used */
    XM_FEAT_VERIFY = 1 << 1,     /* a VERIFY record may come */
    XM_FEAT_BACKCHANNEL = 1 << 2,/* the receiver replies (live migration) */
    XM_FEAT_DELTA = 1 << 3,      /* XM_ENC_DELTA may be used */
    XM_FEAT_LZ4 = 1 << 4,        /* XM_ENC_LZ4 may be used */
    XM_FEAT_ZSTD = 1 << 5,       /* XM_ENC_ZSTD may be used */
};
#define XM_FEAT_KNOWN                                                       \
    (XM_FEAT_ZERO_PAGES | XM_FEAT_VERIFY | XM_FEAT_BACKCHANNEL |            \
     XM_FEAT_DELTA | XM_FEAT_LZ4 | XM_FEAT_ZSTD)

/* ---- record framing --------------------------------------------------- */

/*
 * Every record: this header, @length bytes of body, zero padding to the
 * next multiple of 8. @crc is CRC32C (Castagnoli, initial ~0, final ~0)
 * over the header with crc set to 0, then the body (not the padding).
 */
struct xm_rhdr {
    uint32_t type;   /* XM_REC_* or XM_MSG_* */
    uint32_t length; /* body bytes, excluding padding */
    uint32_t crc;    /* see above */
    uint32_t flags;  /* zero */
};

/* A type with this bit set may be skipped by a reader that doesn't know
 * it; any other unknown type is fatal. */
#define XM_REC_OPTIONAL 0x80000000u

/* Largest body a reader accepts: a full PAGES record of raw pages plus
 * its arrays fits with room to spare. */
#define XM_REC_MAX_LENGTH (16u << 20)

/* Records, sender to receiver. */
enum xm_rec_type {
    XM_REC_END = 0x00000000,            /* no body; the stream is over */
    XM_REC_FEATURES = 0x00000001,       /* struct xm_rec_features */
    XM_REC_DOMAIN_HEADER = 0x00000002,  /* struct xm_rec_domain_header */
    XM_REC_DOMAIN_CONFIG = 0x00000003,  /* backend blob (XM_STATE_CONFIG) */
    XM_REC_PAGES = 0x00000004,          /* struct xm_rec_pages + arrays */
    XM_REC_VCPU_STATE = 0x00000005,     /* backend blob (XM_STATE_VCPU) */
    XM_REC_PLATFORM_STATE = 0x00000006, /* backend blob */
    XM_REC_VERIFY = 0x00000007,         /* struct xm_rec_verify */
    XM_REC_CHECKPOINT = 0x00000008,     /* no body; a checkpoint ends */
    XM_REC_GO = 0x00000009,             /* no body; unpause the domain */
    XM_REC_ITERATION = 0x8000000a,      /* struct xm_rec_iteration */
    XM_REC_SCHED = 0x8000000b,          /* struct xm_rec_sched */
};

/* Messages, receiver to sender (the back channel). */
enum xm_msg_type {
    XM_MSG_READY = 0x00000100,    /* struct xm_msg_ready */
    XM_MSG_COMPLETE = 0x00000101, /* struct xm_msg_complete */
    XM_MSG_DONE = 0x00000102,     /* struct xm_msg_done */
    XM_MSG_PAGE_ACK = 0x00000103, /* struct xm_msg_page_ack */
    XM_MSG_ERROR = 0x00000104,    /* struct xm_msg_error + text */
};

/* ---- record bodies ---------------------------------------------------- */

struct xm_rec_features {
    uint64_t features; /* in use from here on: a subset of offered */
};

enum xm_guest_type {
    XM_GUEST_SIM = 1,  /* a simulated domain */
    XM_GUEST_PV = 2,   /* Xen PV */
    XM_GUEST_PVH = 3,  /* Xen PVH */
    XM_GUEST_HVM = 4,  /* Xen HVM */
};

struct xm_rec_domain_header {
    uint32_t guest_type; /* enum xm_guest_type */
    uint32_t page_shift; /* 12 */
    uint64_t nr_pfns;    /* pfns 0 .. nr_pfns-1 may appear */
    uint32_t nr_vcpus;   /* vCPUs */
    uint32_t source_domid; /* the domain's id on the sender */
    char name[64];       /* NUL padded */
    char backend[16];    /* backend name, NUL padded ("sim", "xen") */
};

/*
 * PAGES body:
 *   struct xm_rec_pages
 *   uint64_t pfn[count]        pfn in bits 0-51, enum xm_page_type in 60-63
 *   uint8_t  encoding[count]   enum xm_page_encoding, zero padded to 8
 *   payload                    for each page in order, what its encoding
 *                              carries (XM_ENC_RAW: XM_PAGE_SIZE bytes)
 */
struct xm_rec_pages {
    uint32_t count;     /* pages, 1 .. XM_PAGES_MAX */
    uint32_t iteration; /* which pass sent them (informational) */
};
#define XM_PAGES_MAX 1024
#define XM_PFN_MASK ((1ULL << 52) - 1)
#define XM_PFN_TYPE_SHIFT 60

enum xm_page_encoding {
    XM_ENC_RAW = 0,   /* XM_PAGE_SIZE bytes of page follow */
    XM_ENC_ZERO = 1,  /* the page is all zeroes; nothing follows */
    XM_ENC_DELTA = 2, /* u32 length, XOR runs against the last copy sent
                         (codec.h) */
    XM_ENC_LZ4 = 3,   /* in the record's one LZ4 block (codec.h) */
    XM_ENC_ZSTD = 4,  /* in the record's one zstd block (codec.h) */
};

struct xm_rec_verify {
    uint64_t digest;  /* xm_domain_digest() of the source at pause */
    uint64_t nr_pfns; /* pages it covers */
};

struct xm_rec_iteration {
    uint32_t iteration;   /* the pass that just ended */
    uint32_t reserved;    /* zero */
    uint64_t dirty_pages; /* dirty pages found after it */
};

/* The source domain's scheduling limits, applied to the new domain. */
struct xm_rec_sched {
    uint32_t cpu_cap;  /* % of one CPU for each vCPU, 0: none */
    uint32_t reserved; /* zero */
};

/* ---- back-channel bodies ---------------------------------------------- */

struct xm_msg_ready {
    uint64_t features; /* what the receiver accepts of the offer */
};

struct xm_msg_complete {
    uint32_t domid;    /* the new domain, built and paused */
    uint32_t verified; /* 1 if a VERIFY record matched */
    uint64_t verify_ns;/* time the receiver spent on the digest */
};

struct xm_msg_done {
    uint32_t domid;    /* the new domain, now running */
    uint32_t reserved; /* zero */
};

struct xm_msg_page_ack {
    uint64_t checkpoint; /* checkpoints fully received so far */
};

/* ERROR body: this, then @len bytes of message text (no NUL). */
struct xm_msg_error {
    int32_t err;  /* positive errno value */
    uint32_t len; /* message bytes that follow */
};

#endif /* XM_STREAM_FORMAT_H */
