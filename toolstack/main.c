/*
 * main.c - the xenmig command: global options, logging to stderr, and
 * dispatch to the subcommand named on the command line.
 *
 *   xenmig [-v|-q] [--backend NAME] [--sim-socket PATH] COMMAND [ARGS]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct cli_globals globals;
volatile sig_atomic_t cli_cancel;

static const char *level_name[] = {
    [XM_LOG_DEBUG] = "debug", [XM_LOG_VERBOSE] = "info",
    [XM_LOG_INFO] = "info", [XM_LOG_WARN] = "warning",
    [XM_LOG_ERROR] = "error",
};

static void log_stderr(struct xm_logger *lg, enum xm_log_level level,
                       int errnoval, int domid, const char *fmt, va_list ap)
{
    char msg[1024];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* A progress line may be on the terminal: start a fresh one. */
    if (isatty(STDERR_FILENO))
        fputs("\r\033[K", stderr);
    if (errnoval >= 0)
        fprintf(stderr, "xenmig: %s: %s: %s\n", level_name[level], msg,
                strerror(errnoval));
    else
        fprintf(stderr, "xenmig: %s: %s\n", level_name[level], msg);
    (void)domid;
}

struct xm_logger cli_logger = { .log = log_stderr, .min_level = XM_LOG_INFO };

static void on_signal(int sig)
{
    (void)sig;
    cli_cancel = 1;
}

void cli_catch_signals(void)
{
    struct sigaction sa = { .sa_handler = on_signal };

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cli_open_backend(struct xm_backend **be_r)
{
    return xm_backend_open(globals.backend, globals.sim_socket, &cli_logger,
                           be_r);
}

int cli_domain(struct xm_backend *be, const char *arg, uint32_t *domid_r)
{
    return xm_domain_lookup(be, arg, domid_r);
}

bool cli_parse_u64(const char *opt, const char *s, uint64_t *v_r)
{
    char *end;

    errno = 0;
    *v_r = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-') {
        fprintf(stderr, "xenmig: %s wants a non-negative integer, not \"%s\"\n",
                opt, s);
        return false;
    }
    return true;
}

bool cli_parse_compress(const char *s, struct xm_migrate_params *p)
{
    if (xm_compress_parse(s, &p->compress) == 0)
        return true;
    fprintf(stderr, "xenmig: --compress wants auto, none, zero, delta, lz4[:LEVEL] or zstd[:LEVEL] (LEVEL 1-22), not \"%s\"\n",
            s);
    return false;
}

static void usage(FILE *f)
{
    unsigned i;

    fprintf(f, "Usage: xenmig [-v|-q] [--backend sim|xen] [--sim-socket PATH] COMMAND [ARGS]\n\n"
               "Live migration, save and restore of Xen domains.\n\n"
               "Commands:\n");
    for (i = 0; i < cmd_table_size; i++)
        fprintf(f, "  %-16s %s\n", cmd_table[i].name, cmd_table[i].summary);
    fprintf(f, "\n'xenmig COMMAND --help' shows a command's options.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "backend", required_argument, NULL, 'b' },
        { "sim-socket", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const struct cmd_spec *c;
    int opt;

    while ((opt = getopt_long(argc, argv, "+vqh", opts, NULL)) != -1) {
        switch (opt) {
        case 'v':
            globals.verbosity++;
            break;
        case 'q':
            globals.verbosity = -1;
            break;
        case 'b':
            globals.backend = optarg;
            break;
        case 'S':
            globals.sim_socket = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("xenmig %s\n", XM_VERSION_STRING);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (globals.verbosity < 0)
        cli_logger.min_level = XM_LOG_WARN;
    else if (globals.verbosity == 1)
        cli_logger.min_level = XM_LOG_VERBOSE;
    else if (globals.verbosity > 1)
        cli_logger.min_level = XM_LOG_DEBUG;
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[optind], "help") == 0) {
        if (optind + 1 < argc && (c = cmd_find(argv[optind + 1]))) {
            cmd_usage(c, true);
            return 0;
        }
        usage(stdout);
        return 0;
    }
    c = cmd_find(argv[optind]);
    if (!c) {
        fprintf(stderr, "xenmig: unknown command \"%s\"\n\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    argc -= optind;
    argv += optind;
    optind = 0; /* full getopt reset for the subcommand */
    return c->fn(argc, argv);
}
