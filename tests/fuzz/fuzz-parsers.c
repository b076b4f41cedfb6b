/*
 * fuzz-parsers.c - libFuzzer harness for the two option parsers the CLI
 * hands user text to: xm_compress_parse() (--compress) and
 * xm_sim_parse_workload() (sim-create -w). The input, NUL-terminated,
 * goes to both. A refused workload must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "xenmig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    struct xm_compress c;
    struct xm_sim_config cfg;

    if (!spec)
        abort();
    memcpy(spec, data, size);
    spec[size] = '\0';
    memset(&c, 0, sizeof(c));
    (void)xm_compress_parse(spec, &c);
    xm_sim_config_init(&cfg);
    if (xm_sim_parse_workload(spec, &cfg) != 0 && !xm_sim_parse_error()[0])
        abort();
    free(spec);
    return 0;
}
