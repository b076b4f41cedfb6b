/*
 * cli.h - what the xenmig command's files share.
 *
 * main.c parses the global options and dispatches through the command
 * table (cmdtable.c) to a main_<cmd>() in cmd-<area>.c. Handlers return
 * the process exit status: 0 success, 1 the operation failed (the
 * library has said why), 2 bad usage.
 */
#ifndef XM_CLI_H
#define XM_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "private.h" /* LOG macros: the CLI logs as the library does */
#include "xenmig.h"

#define XM_DEFAULT_PORT 8002 /* xend's relocation port, for old habits */

/* One subcommand. */
struct cmd_spec {
    const char *name;                   /* "migrate" */
    int (*fn)(int argc, char **argv);   /* main_migrate */
    const char *summary;                /* one line for "xenmig help" */
    const char *usage;                  /* argument synopsis */
    const char *options;                /* option lines for --help */
};

extern const struct cmd_spec cmd_table[];
extern const unsigned cmd_table_size;
const struct cmd_spec *cmd_find(const char *name);
/* Print a command's usage and options to stdout (--help) or stderr. */
void cmd_usage(const struct cmd_spec *c, bool to_stdout);

/* Global options (main.c). */
struct cli_globals {
    const char *backend;     /* --backend, NULL: automatic */
    const char *sim_socket;  /* --sim-socket, NULL: default */
    int verbosity;           /* -v count, -q makes it -1 */
};
extern struct cli_globals globals;
extern struct xm_logger cli_logger;
extern volatile sig_atomic_t cli_cancel;

/* Open the backend the global options select; logs on failure. */
int cli_open_backend(struct xm_backend **be_r);
/* Resolve a domain argument (name or id) on @be; logs on failure. */
int cli_domain(struct xm_backend *be, const char *arg, uint32_t *domid_r);
/* Route SIGINT/SIGTERM to cli_cancel, ignore SIGPIPE. */
void cli_catch_signals(void);
/* Parse --compress into @p; false (and a message) if bad. */
bool cli_parse_compress(const char *s, struct xm_migrate_params *p);
/* Parse a non-negative integer option; false (and a message) if bad. */
bool cli_parse_u64(const char *opt, const char *s, uint64_t *v_r);

/* transport.c: connections for migrate / migrate-receive. */
/* Connect to HOST[:PORT] over TCP; fd or -errno (logged). */
int transport_connect(const char *hostport);
/* Listen on [ADDR:]PORT; fd or -errno (logged). *port_r: the bound port. */
int transport_listen(const char *addrport, unsigned *port_r);
/* Accept one connection on @lfd; fd or -errno. */
int transport_accept(int lfd);
/* Run "sh -c CMDLINE" with pipes; *rfd_r reads its stdout, *wfd_r writes
 * its stdin; *pid_r to reap. 0 or -errno. */
int transport_spawn(const char *cmdline, int *rfd_r, int *wfd_r, int *pid_r);
/*
 * Wait for the command transport_spawn() started; its exit status (128 +
 * signal; 0 if @pid <= 0). After a failed migration (@failed) it gets a
 * grace period to exit on its closed pipes, then it and every process it
 * started get SIGTERM, then SIGKILL: an ssh whose connection died does
 * not exit on EOF.
 */
int transport_wait(int pid, bool failed);

/* cmd-xl.c: stock xl's formats, through libxl (HAVE_XEN; without it
 * they say so). Both return the exit status. */
/* Restore the xl save file open on @fd (at offset 0) named @path. */
int cli_xl_restore(int fd, const char *path, bool paused, const char *rename,
                   bool json);
/* Act as `xl migrate-receive` on stdin/stdout. */
int cli_xl_migrate_receive(bool paused, const char *rename,
                           unsigned timeout_s);

/* output.c: what the user sees. */
struct cli_report {
    bool json;               /* --json */
    bool tty;                /* progress line on stderr */
    bool verbose;            /* a line per iteration */
    void *iters;             /* collected iterations (for JSON) */
    unsigned n_iters, cap_iters; /* their count and capacity */
    uint64_t downtime_limit_ns;  /* to show next to the downtime */
};
void report_init(struct cli_report *r, bool json);
void report_dispose(struct cli_report *r);
/* Hooks that feed @r (progress line, iteration lines). */
void report_hooks(struct cli_report *r, struct xm_hooks *h);
/* Print the summary of a send (@what: "migrated", "saved") or receive. */
void report_summary(struct cli_report *r, const char *what,
                    const char *domain, const char *where,
                    const struct xm_summary *sum);

#endif /* XM_CLI_H */
