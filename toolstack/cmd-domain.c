/*
 * cmd-domain.c - the everyday domain commands: list, destroy, pause,
 * unpause, digest. Each is a thin wrapper over one backend op.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "cli.h"

/* Parse "[--help] DOMAIN"; 0 with the backend open and *domid_r set,
 * or the exit status to return. */
static int one_domain(int argc, char **argv, struct xm_backend **be_r,
                      uint32_t *domid_r)
{
    const struct cmd_spec *self = cmd_find(argv[0]);

    if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "--help") == 0)) {
        cmd_usage(self, true);
        return -1;
    }
    if (argc != 2 || argv[1][0] == '-') {
        cmd_usage(self, false);
        return 2;
    }
    if (cli_open_backend(be_r))
        return 1;
    if (cli_domain(*be_r, argv[1], domid_r)) {
        xm_backend_close(*be_r);
        return 1;
    }
    return 0;
}

static int simple_op(int argc, char **argv,
                     int (*op)(struct xm_backend *, uint32_t),
                     const char *verb)
{
    struct xm_backend *be;
    uint32_t domid;
    int rc;

    rc = one_domain(argc, argv, &be, &domid);
    if (rc)
        return rc < 0 ? 0 : rc;
    rc = op(be, domid);
    if (rc)
        LOGE(&cli_logger, XM_LOG_ERROR, rc, "cannot %s domain \"%s\"", verb,
             argv[1]);
    xm_backend_close(be);
    return rc ? 1 : 0;
}

static int do_destroy(struct xm_backend *be, uint32_t d)
{
    return be->ops->destroy(be, d);
}

static int do_pause(struct xm_backend *be, uint32_t d)
{
    return be->ops->pause(be, d);
}

static int do_unpause(struct xm_backend *be, uint32_t d)
{
    return be->ops->unpause(be, d);
}

int main_destroy(int argc, char **argv)
{
    return simple_op(argc, argv, do_destroy, "destroy");
}

int main_pause(int argc, char **argv)
{
    return simple_op(argc, argv, do_pause, "pause");
}

int main_unpause(int argc, char **argv)
{
    return simple_op(argc, argv, do_unpause, "unpause");
}

int main_digest(int argc, char **argv)
{
    struct xm_backend *be;
    uint64_t digest;
    uint32_t domid;
    int rc;

    rc = one_domain(argc, argv, &be, &domid);
    if (rc)
        return rc < 0 ? 0 : rc;
    rc = xm_domain_digest(be, &cli_logger, domid, &digest);
    if (!rc)
        printf("%016llx\n", (unsigned long long)digest);
    xm_backend_close(be);
    return rc ? 1 : 0;
}

static const char *state_string(uint32_t flags, char buf[8])
{
    snprintf(buf, 8, "%c%c%c",
             flags & XM_DOMAIN_INCOMING ? 'i'
             : flags & XM_DOMAIN_PAUSED ? 'p' : 'r',
             flags & XM_DOMAIN_SUSPENDED ? 's' : '-',
             flags & XM_DOMAIN_LOGDIRTY ? 'l' : '-');
    return buf;
}

static void list_json(const struct xm_domain_info *d, unsigned n)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    unsigned i;

    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_array_open(g);
    for (i = 0; i < n; i++) {
        char st[8];

        yajl_gen_map_open(g);
        yajl_gen_string(g, (const unsigned char *)"domid", 5);
        yajl_gen_integer(g, d[i].domid);
        yajl_gen_string(g, (const unsigned char *)"name", 4);
        yajl_gen_string(g, (const unsigned char *)d[i].name,
                        strlen(d[i].name));
        yajl_gen_string(g, (const unsigned char *)"memory_mib", 10);
        yajl_gen_integer(g, (long long)(d[i].nr_pfns >> 8));
        yajl_gen_string(g, (const unsigned char *)"vcpus", 5);
        yajl_gen_integer(g, d[i].nr_vcpus);
        yajl_gen_string(g, (const unsigned char *)"state", 5);
        state_string(d[i].flags, st);
        yajl_gen_string(g, (const unsigned char *)st, strlen(st));
        yajl_gen_string(g, (const unsigned char *)"cpu_cap", 7);
        yajl_gen_integer(g, d[i].cpu_cap);
        yajl_gen_string(g, (const unsigned char *)"cpu_time_s", 10);
        yajl_gen_double(g, d[i].cpu_time_ns / 1e9);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    fwrite(buf, 1, len, stdout);
    yajl_gen_free(g);
}

int main_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xm_domain_info *d = NULL;
    struct xm_backend *be = NULL;
    bool json = false;
    unsigned n = 0, i;
    int opt, status = 1;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'j') {
            json = true;
        } else if (opt == 'h') {
            cmd_usage(cmd_find("list"), true);
            return 0;
        } else {
            cmd_usage(cmd_find("list"), false);
            return 2;
        }
    }
    if (cli_open_backend(&be) || be->ops->list(be, &d, &n))
        goto out;
    if (json) {
        list_json(d, n);
    } else {
        printf("%-24s %5s %9s %5s %-5s %4s %10s\n", "Name", "ID", "Mem(MiB)",
               "VCPUs", "State", "Cap", "Time(s)");
        for (i = 0; i < n; i++) {
            char st[8];

            printf("%-24s %5u %9llu %5u %-5s %4u %10.1f\n", d[i].name,
                   d[i].domid, (unsigned long long)(d[i].nr_pfns >> 8),
                   d[i].nr_vcpus, state_string(d[i].flags, st),
                   d[i].cpu_cap, d[i].cpu_time_ns / 1e9);
        }
    }
    status = 0;
out:
    free(d);
    xm_backend_close(be);
    return status;
}
