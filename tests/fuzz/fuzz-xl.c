/*
 * fuzz-xl.c - libFuzzer harness for what the Xen receiver reads from or
 * checks for stock xl: the xl save-file header (xm_xl_savefile_parse(),
 * the bytes `xl save` and `xl migrate` send first) and the framing check
 * of libxc records handed to xen-restore (xm_xc_check_records()), and
 * PAGE_DATA heads (xm_xc_page_data_head()) of the input as pfn words.
 * Aborts if an accepted header or record run is not what was promised:
 * a NUL-terminated config of the stated length inside the input, records
 * that tile the input exactly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xc-stream.h"
#include "xl-format.h"

static void check_header(const uint8_t *data, size_t size)
{
    struct xm_xl_savefile sf;
    char why[256];
    size_t need = 0;
    int rc = xm_xl_savefile_parse(data, size, &sf, &need, why, sizeof(why));

    if (rc == 0) {
        if (sf.stream_offset > size)
            abort();
        if (sf.config && strlen(sf.config) != sf.config_len)
            abort();
        if (sf.config && sf.config_len + 52 > sf.stream_offset)
            abort();
        xm_xl_savefile_dispose(&sf);
    } else if (!why[0] || sf.config) {
        abort(); /* a refusal says why and keeps nothing */
    } else if (rc == -EAGAIN && need <= size) {
        abort();
    }
}

static void check_records(const uint8_t *data, size_t size)
{
    unsigned n = 0, i = 0;
    char why[256];
    size_t off = 0;

    if (xm_xc_check_records(data, size, &n, why, sizeof(why))) {
        if (!why[0])
            abort();
        return;
    }
    while (off < size) {
        uint32_t len;

        memcpy(&len, data + off + 4, 4);
        off += 8 + (((size_t)len + 7) & ~(size_t)7);
        i++;
    }
    if (off != size || i != n)
        abort();
}

static void check_page_head(const uint8_t *data, size_t size)
{
    uint64_t words[XM_XC_PAGES_MAX];
    unsigned n = (unsigned)(size / 8), data_pages;
    uint8_t head[16];
    size_t pad;
    char why[256];

    if (n > XM_XC_PAGES_MAX)
        n = XM_XC_PAGES_MAX;
    memcpy(words, data, (size_t)n * 8);
    if (xm_xc_page_data_head(head, words, n, &data_pages, &pad, why,
                             sizeof(why)) == 0 && data_pages > n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_header(data, size);
    check_records(data, size);
    check_page_head(data, size);
    return 0;
}
