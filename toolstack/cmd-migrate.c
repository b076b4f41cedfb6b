/*
 * cmd-migrate.c - xenmig migrate and migrate-receive.
 *
 * migrate connects to HOST[:PORT] (or runs "-s COMMAND HOST RECEIVER" and
 * talks over its stdin/stdout, as xl does with ssh), then hands the two
 * directions of the connection to xm_send(). migrate-receive listens for
 * one connection (or uses its own stdin/stdout) and runs xm_receive().
 * migrate-receive --xl instead acts as `xl migrate-receive` on stdin and
 * stdout, so stock `xl migrate` can send to this host (cmd-xl.c).
 * migrate --compat is the other direction: Xen's stream and xl's
 * handshake, by default to "xl migrate-receive" on the far end of -s.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

enum {
    OPT_DOWNTIME = 256, OPT_MAX_ITER, OPT_MAX_TIME, OPT_MAX_BW,
    OPT_NO_THROTTLE, OPT_TH_INITIAL, OPT_TH_INCREMENT, OPT_TH_MAX,
    OPT_TH_TRIGGER, OPT_VERIFY, OPT_NOT_LIVE, OPT_JSON, OPT_RENAME,
    OPT_PORT_FILE, OPT_COMPRESS, OPT_TIMEOUT, OPT_XL, OPT_COMPAT,
};

/* --timeout SECONDS into *@v_r; false on a bad value. */
static bool parse_timeout(const char *s, unsigned *v_r)
{
    uint64_t v;

    if (!cli_parse_u64("--timeout", s, &v))
        return false;
    if (v > 86400) {
        fprintf(stderr, "xenmig: --timeout wants at most 86400 seconds (0: never), not %s\n",
                s);
        return false;
    }
    *v_r = (unsigned)v;
    return true;
}

static bool parse_pct(const char *opt, const char *s, unsigned *v_r)
{
    uint64_t v;

    if (!cli_parse_u64(opt, s, &v))
        return false;
    if (v < 1 || v > 99) {
        fprintf(stderr, "xenmig: %s wants a percentage from 1 to 99, not %s\n",
                opt, s);
        return false;
    }
    *v_r = (unsigned)v;
    return true;
}

/* One policy option into @p; false on a bad value. */
static bool policy_option(int opt, struct xm_migrate_params *p)
{
    uint64_t v;

    switch (opt) {
    case OPT_DOWNTIME:
        if (!cli_parse_u64("--downtime", optarg, &v))
            return false;
        if (v == 0) {
            fprintf(stderr, "xenmig: --downtime must be at least 1 ms\n");
            return false;
        }
        p->downtime_limit_ns = v * 1000000ull;
        return true;
    case OPT_MAX_ITER:
        if (!cli_parse_u64("--max-iterations", optarg, &v))
            return false;
        if (v == 0) {
            fprintf(stderr, "xenmig: --max-iterations must be at least 1 (the full pass)\n");
            return false;
        }
        p->max_iterations = (unsigned)v;
        return true;
    case OPT_MAX_TIME:
        if (!cli_parse_u64("--max-time", optarg, &v))
            return false;
        p->max_time_ns = v * 1000000000ull;
        return true;
    case OPT_MAX_BW:
        if (!cli_parse_u64("--max-bandwidth", optarg, &v))
            return false;
        p->max_bandwidth = v << 20;
        return true;
    case OPT_NO_THROTTLE:
        p->throttle = false;
        return true;
    case OPT_TH_INITIAL:
        return parse_pct("--throttle-initial", optarg, &p->throttle_initial);
    case OPT_TH_INCREMENT:
        return parse_pct("--throttle-increment", optarg,
                         &p->throttle_increment);
    case OPT_TH_MAX:
        return parse_pct("--throttle-max", optarg, &p->throttle_max);
    case OPT_TH_TRIGGER:
        return parse_pct("--throttle-trigger", optarg, &p->throttle_trigger);
    case OPT_VERIFY:
        p->verify = true;
        return true;
    case OPT_NOT_LIVE:
        p->live = false;
        return true;
    case OPT_COMPRESS:
        return cli_parse_compress(optarg, p);
    case OPT_TIMEOUT:
        return parse_timeout(optarg, &p->timeout_s);
    }
    return false;
}

int main_migrate(int argc, char **argv)
{
    static const struct option opts[] = {
        { "ssh", required_argument, NULL, 's' },
        { "receiver", required_argument, NULL, 'C' },
        { "downtime", required_argument, NULL, OPT_DOWNTIME },
        { "max-iterations", required_argument, NULL, OPT_MAX_ITER },
        { "max-time", required_argument, NULL, OPT_MAX_TIME },
        { "max-bandwidth", required_argument, NULL, OPT_MAX_BW },
        { "no-throttle", no_argument, NULL, OPT_NO_THROTTLE },
        { "throttle-initial", required_argument, NULL, OPT_TH_INITIAL },
        { "throttle-increment", required_argument, NULL, OPT_TH_INCREMENT },
        { "throttle-max", required_argument, NULL, OPT_TH_MAX },
        { "throttle-trigger", required_argument, NULL, OPT_TH_TRIGGER },
        { "verify", no_argument, NULL, OPT_VERIFY },
        { "compress", required_argument, NULL, OPT_COMPRESS },
        { "not-live", no_argument, NULL, OPT_NOT_LIVE },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "compat", no_argument, NULL, OPT_COMPAT },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct cmd_spec *self = cmd_find("migrate");
    const char *ssh = NULL, *receiver = NULL;
    bool encodings = false;
    struct xm_migrate_params p;
    struct xm_backend *be = NULL;
    struct cli_report rep;
    struct xm_hooks hooks = { 0 };
    struct xm_summary sum;
    bool json = false;
    uint32_t domid;
    int opt, rc, rfd = -1, wfd = -1, pid = -1, status = 1;

    xm_migrate_params_init(&p);
    while ((opt = getopt_long(argc, argv, "s:C:h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            ssh = optarg;
            break;
        case 'C':
            receiver = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_COMPAT:
            p.compat = true;
            break;
        case 'h':
            cmd_usage(self, true);
            return 0;
        default:
            encodings |= opt == OPT_COMPRESS || opt == OPT_VERIFY;
            if (opt != '?' && policy_option(opt, &p))
                break;
            cmd_usage(self, false);
            return 2;
        }
    }
    if (argc - optind != 2) {
        cmd_usage(self, false);
        return 2;
    }
    if (p.compat && encodings) {
        fprintf(stderr, "xenmig: --compat sends Xen's standard stream, which has no --compress or --verify\n");
        return 2;
    }
    if (!receiver)
        receiver = p.compat ? "xl migrate-receive" : "xenmig migrate-receive";
    cli_catch_signals();
    if (cli_open_backend(&be) || cli_domain(be, argv[optind], &domid))
        goto out;
    if (ssh) {
        char *cmd;

        if (asprintf(&cmd, "%s %s %s", ssh, argv[optind + 1], receiver) < 0)
            goto out;
        rc = transport_spawn(cmd, &rfd, &wfd, &pid);
        free(cmd);
        if (rc)
            goto out;
    } else {
        rfd = transport_connect(argv[optind + 1]);
        if (rfd < 0)
            goto out;
        wfd = rfd;
    }
    report_init(&rep, json);
    rep.downtime_limit_ns = p.downtime_limit_ns;
    report_hooks(&rep, &hooks);
    rc = xm_send(be, &cli_logger, domid, rfd, wfd, &p, &hooks, &sum);
    if (!rc) {
        report_summary(&rep, "migrated", argv[optind], argv[optind + 1],
                       &sum);
        status = 0;
    }
    report_dispose(&rep);
out:
    if (wfd >= 0 && wfd != rfd)
        close(wfd);
    if (rfd >= 0)
        close(rfd);
    if (transport_wait(pid, status != 0) && status == 0)
        LOG(&cli_logger, XM_LOG_WARN, "the transport command exited with an error");
    xm_backend_close(be);
    return status;
}

int main_migrate_receive(int argc, char **argv)
{
    static const struct option opts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "paused", no_argument, NULL, 'p' },
        { "rename", required_argument, NULL, OPT_RENAME },
        { "port-file", required_argument, NULL, OPT_PORT_FILE },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "json", no_argument, NULL, OPT_JSON },
        { "xl", no_argument, NULL, OPT_XL },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct cmd_spec *self = cmd_find("migrate-receive");
    const char *listen_on = NULL, *port_file = NULL;
    struct xm_receive_params rp = { .timeout_s = 60 };
    struct xm_backend *be = NULL;
    struct cli_report rep;
    struct xm_hooks hooks = { 0 };
    struct xm_summary sum;
    bool json = false, xl = false, xl_flags = false;
    uint32_t domid;
    int opt, lfd = -1, rfd = STDIN_FILENO, wfd = STDOUT_FILENO, status = 1;
    char peer[64] = "stdin";

    while ((opt = getopt_long(argc, argv, "l:phFed", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_XL:
            xl = true;
            break;
        case 'F': /* xl migrate-receive's own flags: accepted, no meaning */
        case 'e': /* here (no daemon, no console, no debug dump) */
        case 'd':
            xl_flags = true;
            break;
        case 'l':
            listen_on = optarg;
            break;
        case 'p':
            rp.paused = true;
            break;
        case OPT_RENAME:
            rp.rename = optarg;
            break;
        case OPT_PORT_FILE:
            port_file = optarg;
            break;
        case OPT_TIMEOUT:
            if (!parse_timeout(optarg, &rp.timeout_s))
                return 2;
            break;
        case OPT_JSON:
            json = true;
            break;
        case 'h':
            cmd_usage(self, true);
            return 0;
        default:
            cmd_usage(self, false);
            return 2;
        }
    }
    if (optind != argc) {
        cmd_usage(self, false);
        return 2;
    }
    if (xl_flags && !xl) {
        fprintf(stderr, "xenmig: -F, -e and -d are accepted only with --xl (xl migrate-receive's flags)\n");
        return 2;
    }
    if (xl) {
        if (listen_on || port_file || json) {
            fprintf(stderr, "xenmig: --xl speaks xl's protocol on stdin and stdout: no --listen, --port-file or --json\n");
            return 2;
        }
        /* stdout is the channel to xl: messages go to stderr only. */
        return cli_xl_migrate_receive(rp.paused, rp.rename, rp.timeout_s);
    }
    if (!listen_on && (port_file || json)) {
        fprintf(stderr, "xenmig: --port-file and --json need --listen (without it, stdout is the back channel)\n");
        return 2;
    }
    cli_catch_signals();
    if (cli_open_backend(&be))
        goto out;
    if (listen_on) {
        unsigned port;

        lfd = transport_listen(listen_on, &port);
        if (lfd < 0)
            goto out;
        if (port_file) {
            FILE *f = fopen(port_file, "w");

            if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f)) {
                LOGE(&cli_logger, XM_LOG_ERROR, errno,
                     "cannot write the port to \"%s\"", port_file);
                goto out;
            }
        }
        LOG(&cli_logger, XM_LOG_VERBOSE, "listening on port %u", port);
        rfd = wfd = transport_accept(lfd);
        if (rfd < 0)
            goto out;
        snprintf(peer, sizeof(peer), "port %u", port);
    } else {
        /* stdout is the back channel: the summary must not go there. */
        globals.verbosity = globals.verbosity > 0 ? globals.verbosity : -1;
    }
    report_init(&rep, json);
    report_hooks(&rep, &hooks);
    if (xm_receive(be, &cli_logger, rfd, wfd, &rp, &hooks, &domid,
                   &sum) == 0) {
        struct xm_domain_info info;

        if (be->ops->domain_info(be, domid, &info))
            snprintf(info.name, sizeof(info.name), "%u", domid);
        if (listen_on)
            report_summary(&rep, "received", info.name, peer, &sum);
        status = 0;
    }
    report_dispose(&rep);
out:
    if (listen_on && rfd >= 0)
        close(rfd);
    if (lfd >= 0)
        close(lfd);
    xm_backend_close(be);
    return status;
}
