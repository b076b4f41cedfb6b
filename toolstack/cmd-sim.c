/*
 * cmd-sim.c - what the simulated hypervisor needs to run on its own:
 * start a sim host, create a domain with a memory workload, and read a
 * guest's heartbeat (each vCPU counts in guest page 0, so a test or a
 * person can see the guest is alive by reading its RAM, as one would
 * check a real guest's uptime).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sim.h"

/* xenmig-simd next to this binary, in ../sim (build tree), or on PATH. */
static const char *simd_path(char *buf, size_t len)
{
    static const char *const rel[] = { "xenmig-simd", "../sim/xenmig-simd",
                                       "../lib/xenmig/xenmig-simd" };
    char self[PATH_MAX - 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    unsigned i;

    if (n > 0) {
        char *slash;

        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash)
            *slash = '\0';
        for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
            snprintf(buf, len, "%s/%s", self, rel[i]);
            if (access(buf, X_OK) == 0)
                return buf;
        }
    }
    return "xenmig-simd";
}

int main_sim_host(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' },
        { "pidfile", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *sock = globals.sim_socket, *pidfile = NULL;
    char path[PATH_MAX];
    const char *args[8];
    int opt, n = 0;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 's') {
            sock = optarg;
        } else if (opt == 'p') {
            pidfile = optarg;
        } else if (opt == 'h') {
            cmd_usage(cmd_find("sim-host"), true);
            return 0;
        } else {
            cmd_usage(cmd_find("sim-host"), false);
            return 2;
        }
    }
    if (optind != argc) {
        cmd_usage(cmd_find("sim-host"), false);
        return 2;
    }
    args[n++] = simd_path(path, sizeof(path));
    if (sock) {
        args[n++] = "--socket";
        args[n++] = sock;
    }
    if (pidfile) {
        args[n++] = "--pidfile";
        args[n++] = pidfile;
    }
    args[n] = NULL;
    execvp(args[0], (char *const *)args);
    LOGE(&cli_logger, XM_LOG_ERROR, errno, "cannot run \"%s\"", args[0]);
    return 1;
}

int main_sim_create(int argc, char **argv)
{
    static const struct option opts[] = {
        { "memory", required_argument, NULL, 'm' },
        { "vcpus", required_argument, NULL, 'c' },
        { "workload", required_argument, NULL, 'w' },
        { "fill", required_argument, NULL, 'f' },
        { "write-bytes", required_argument, NULL, 'b' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct cmd_spec *self = cmd_find("sim-create");
    struct xm_sim_config cfg;
    enum xm_sim_fill fill = XM_SIM_FILL_RANDOM;
    struct xm_backend *be = NULL;
    uint64_t mib = 256, vcpus = 1, write_bytes = XM_PAGE_SIZE;
    const char *workload = "idle";
    uint32_t domid;
    int opt, status = 1;

    while ((opt = getopt_long(argc, argv, "m:w:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'm':
            if (!cli_parse_u64("--memory", optarg, &mib) || mib == 0)
                return 2;
            break;
        case 'c':
            if (!cli_parse_u64("--vcpus", optarg, &vcpus) || vcpus == 0)
                return 2;
            break;
        case 'b':
            if (!cli_parse_u64("--write-bytes", optarg, &write_bytes))
                return 2;
            if (write_bytes < 8 || write_bytes > XM_PAGE_SIZE ||
                write_bytes % 8) {
                fprintf(stderr, "xenmig: --write-bytes wants a multiple of 8 from 8 to 4096, not %s\n",
                        optarg);
                return 2;
            }
            break;
        case 'w':
            workload = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "zero") == 0) {
                fill = XM_SIM_FILL_ZERO;
            } else if (strcmp(optarg, "random") == 0) {
                fill = XM_SIM_FILL_RANDOM;
            } else if (strcmp(optarg, "text") == 0) {
                fill = XM_SIM_FILL_TEXT;
            } else {
                fprintf(stderr, "xenmig: --fill wants zero, random or text, not \"%s\"\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            cmd_usage(self, true);
            return 0;
        default:
            cmd_usage(self, false);
            return 2;
        }
    }
    if (argc - optind != 1) {
        cmd_usage(self, false);
        return 2;
    }
    xm_sim_config_init(&cfg);
    cfg.vcpus = (uint32_t)vcpus;
    cfg.write_bytes = (uint32_t)write_bytes;
    if (xm_sim_parse_workload(workload, &cfg)) {
        fprintf(stderr, "xenmig: %s\n", xm_sim_parse_error());
        return 2;
    }
    if (cli_open_backend(&be))
        goto out;
    if (xm_sim_domain_create(be, argv[optind], &cfg, mib << 8, fill,
                             &domid) == 0) {
        printf("%u\n", domid);
        status = 0;
    }
out:
    xm_backend_close(be);
    return status;
}

int main_sim_heartbeat(int argc, char **argv)
{
    struct xm_domain_info info;
    struct xm_backend *be = NULL;
    uint64_t pfn0 = 0;
    void *page = NULL, *handle = NULL;
    uint32_t domid, i;
    int err = 0, status = 1;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0)) {
        cmd_usage(cmd_find("sim-heartbeat"), true);
        return 0;
    }
    if (argc != 2) {
        cmd_usage(cmd_find("sim-heartbeat"), false);
        return 2;
    }
    if (cli_open_backend(&be) || cli_domain(be, argv[1], &domid) ||
        be->ops->domain_info(be, domid, &info) ||
        be->ops->map(be, domid, &pfn0, 1, false, &page, &err, &handle))
        goto out;
    if (err) {
        LOGE(&cli_logger, XM_LOG_ERROR, err, "cannot map page 0 of \"%s\"",
             argv[1]);
        goto unmap;
    }
    for (i = 0; i < info.nr_vcpus; i++)
        printf("%s%llu", i ? " " : "",
               (unsigned long long)((volatile uint64_t *)page)[i]);
    printf("\n");
    status = 0;
unmap:
    be->ops->unmap(be, handle, 1);
out:
    xm_backend_close(be);
    return status;
}
