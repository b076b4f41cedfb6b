/*
 * xc-format.h - Xen's own save/migration streams on the wire: structs and
 * numbers only, as Xen 4.17 writes and reads them.
 *
 * Two layers (Xen's docs/specs/libxl-migration-stream.pandoc and
 * libxc-migration-stream.pandoc are the specification):
 *
 *   libxl stream v2   header, then records; a LIBXC_CONTEXT record (no
 *                     body) means "a libxc stream follows right here, not
 *                     wrapped"; after the libxc END more libxl records
 *                     follow, ending with the libxl END.
 *   libxc stream v3   image header, domain header, records; the "static
 *                     data" (X86_PV_INFO, CPUID/MSR policy) ends with
 *                     STATIC_DATA_END before any PAGE_DATA.
 *
 * The xl layer wraps a libxl stream in a save file (xl save, and what
 * xl migrate sends after its banner): a 32-byte magic, then four
 * host-endian u32 (byte-order mark, mandatory flags, optional flags,
 * optional data length), the optional data (the domain's config),
 * then the libxl stream. xl migrate first reads a banner line from the
 * receiver and ends with short handshake strings (xl's xl.h has them).
 *
 * Where a record says "big-endian" below, it is Xen's choice, not ours:
 * the libxc image header is big-endian so a reader can tell the byte
 * order; everything after it is in the order the options say (always
 * little-endian on x86).
 *
 * Records of both layers: a header of u32 type, u32 length, then
 * @length bytes of body, zero padded to a multiple of 8.
 */
#ifndef XM_XC_FORMAT_H
#define XM_XC_FORMAT_H

#include <stdint.h>

#define XM_XC_ALIGN 8
/* libxc refuses longer records (128 MiB). */
#define XM_XC_REC_LENGTH_MAX (128u << 20)

/* ---- libxl stream v2 -------------------------------------------------- */

struct xm_xl_hdr {
    uint64_t ident;   /* XM_XL_IDENT, big-endian ("LibxlFmt") */
    uint32_t version; /* XM_XL_VERSION, big-endian */
    uint32_t options; /* XM_XL_OPT_*, big-endian */
};
#define XM_XL_IDENT 0x4c6962786c466d74ULL /* "LibxlFmt" */
#define XM_XL_VERSION 2
#define XM_XL_OPT_BIG_ENDIAN (1u << 0)
#define XM_XL_OPT_LEGACY (1u << 1) /* converted from a v1 stream */

enum xm_xl_rec_type {
    XM_XL_REC_END = 0x00000000,
    XM_XL_REC_LIBXC_CONTEXT = 0x00000001,        /* no body, see above */
    XM_XL_REC_EMULATOR_XENSTORE_DATA = 0x00000002,
    XM_XL_REC_EMULATOR_CONTEXT = 0x00000003,
    XM_XL_REC_CHECKPOINT_END = 0x00000004,
    XM_XL_REC_CHECKPOINT_STATE = 0x00000005,
};

/* ---- libxc stream v3 -------------------------------------------------- */

struct xm_xc_ihdr {
    uint64_t marker;   /* all ones */
    uint32_t id;       /* XM_XC_IHDR_ID, big-endian ("XENF") */
    uint32_t version;  /* 2 or 3, big-endian */
    uint16_t options;  /* XM_XC_IHDR_OPT_*, big-endian */
    uint16_t reserved1;
    uint32_t reserved2;
};
#define XM_XC_IHDR_MARKER 0xffffffffffffffffULL
#define XM_XC_IHDR_ID 0x58454e46u /* "XENF" */
#define XM_XC_IHDR_VERSION 3
#define XM_XC_IHDR_OPT_BIG_ENDIAN 0x1

struct xm_xc_dhdr {
    uint32_t type;       /* XM_XC_DHDR_TYPE_* */
    uint16_t page_shift; /* 12 */
    uint16_t reserved;
    uint32_t xen_major;  /* the sender's hypervisor */
    uint32_t xen_minor;
};
#define XM_XC_DHDR_TYPE_X86_PV 0x00000001u
#define XM_XC_DHDR_TYPE_X86_HVM 0x00000002u

struct xm_xc_rhdr {
    uint32_t type;   /* enum xm_xc_rec_type */
    uint32_t length; /* body bytes, excluding padding */
};

enum xm_xc_rec_type {
    XM_XC_REC_END = 0x00000000,
    XM_XC_REC_PAGE_DATA = 0x00000001,
    XM_XC_REC_X86_PV_INFO = 0x00000002,
    XM_XC_REC_X86_PV_P2M_FRAMES = 0x00000003,
    XM_XC_REC_X86_PV_VCPU_BASIC = 0x00000004,
    XM_XC_REC_X86_PV_VCPU_EXTENDED = 0x00000005,
    XM_XC_REC_X86_PV_VCPU_XSAVE = 0x00000006,
    XM_XC_REC_SHARED_INFO = 0x00000007,
    XM_XC_REC_X86_TSC_INFO = 0x00000008,
    XM_XC_REC_HVM_CONTEXT = 0x00000009,
    XM_XC_REC_HVM_PARAMS = 0x0000000a,
    XM_XC_REC_TOOLSTACK = 0x0000000b,       /* obsolete */
    XM_XC_REC_X86_PV_VCPU_MSRS = 0x0000000c,
    XM_XC_REC_VERIFY = 0x0000000d,
    XM_XC_REC_CHECKPOINT = 0x0000000e,
    XM_XC_REC_CHECKPOINT_DIRTY_PFN_LIST = 0x0000000f,
    XM_XC_REC_STATIC_DATA_END = 0x00000010,
    XM_XC_REC_X86_CPUID_POLICY = 0x00000011,
    XM_XC_REC_X86_MSR_POLICY = 0x00000012,
};
#define XM_XC_REC_OPTIONAL 0x80000000u
/*
 * Ours, not Xen's: the record the xen backend's CONFIG blob starts with,
 * the libxl config as NUL-terminated JSON (backend.h). It never reaches
 * libxc (which would refuse it): the receiver and the compat sender take
 * the JSON out first (xm_xc_split_config()).
 */
#define XM_XC_REC_XENMIG_CONFIG 0x40000001u

/*
 * PAGE_DATA body: this, u64 pfn[count] (pfn in bits 0-51, the
 * XEN_DOMCTL_PFINFO_* type in bits 60-63, the same values as enum
 * xm_page_type), then XM_PAGE_SIZE bytes for each page whose type has
 * content (not XTAB, XALLOC or BROKEN), in pfn order.
 */
struct xm_xc_page_data {
    uint32_t count;
    uint32_t reserved;
};
#define XM_XC_PFN_MASK 0x000fffffffffffffULL
#define XM_XC_TYPE_SHIFT 60

struct xm_xc_x86_pv_info {
    uint8_t guest_width; /* 8 for 64-bit guests, 4 for 32-bit */
    uint8_t pt_levels;   /* 4 (3 for 32-bit PAE) */
    uint8_t reserved[6];
};

/* X86_PV_P2M_FRAMES body: this, then the pfns of the guest's p2m frames
 * covering pfns start_pfn .. end_pfn. */
struct xm_xc_x86_pv_p2m_frames {
    uint32_t start_pfn;
    uint32_t end_pfn;
};

/* X86_PV_VCPU_{BASIC,EXTENDED,XSAVE,MSRS} body: this, then the context
 * (vcpu_guest_context with cr3 and GDT frames as pfns; the ext vcpu
 * context; the xsave area; xen_domctl_vcpu_msr entries). */
struct xm_xc_x86_pv_vcpu_hdr {
    uint32_t vcpu_id;
    uint32_t reserved;
};

struct xm_xc_x86_tsc_info {
    uint32_t mode;
    uint32_t khz;
    uint64_t nsec;
    uint32_t incarnation;
    uint32_t reserved;
};

struct xm_xc_hvm_param {
    uint64_t index;
    uint64_t value;
};

/* HVM_PARAMS body: this, then struct xm_xc_hvm_param[count]. */
struct xm_xc_hvm_params {
    uint32_t count;
    uint32_t reserved;
};

/* ---- xl save file ----------------------------------------------------- */

#define XM_XL_SAVE_MAGIC "Xen saved domain, xl format\n \0 \r"
#define XM_XL_SAVE_MAGIC_LEN 32
#define XM_XL_SAVE_BYTEORDER 0x01020304u

struct xm_xl_save_hdr {
    char magic[XM_XL_SAVE_MAGIC_LEN]; /* XM_XL_SAVE_MAGIC, NUL padded */
    uint32_t byteorder;       /* XM_XL_SAVE_BYTEORDER in host order */
    uint32_t mandatory_flags; /* XM_XL_SAVE_MANDATORY_* */
    uint32_t optional_flags;
    uint32_t optional_data_len; /* bytes of optional data that follow */
};
/* Optional data: u32 config length, then the config (JSON when
 * XM_XL_SAVE_MANDATORY_CONFIG_JSON is set, else xl's config syntax). */
#define XM_XL_SAVE_MANDATORY_CONFIG_JSON (1u << 0)
#define XM_XL_SAVE_MANDATORY_STREAMV2 (1u << 1)

#endif /* XM_XC_FORMAT_H */
