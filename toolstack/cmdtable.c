/*
 * cmdtable.c - every xenmig subcommand, its synopsis and its options, in
 * one table (as xl's cmdtable.c). The help text here is what --help
 * prints and what the man page is checked against.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int main_list(int argc, char **argv);
int main_migrate(int argc, char **argv);
int main_migrate_receive(int argc, char **argv);
int main_save(int argc, char **argv);
int main_restore(int argc, char **argv);
int main_destroy(int argc, char **argv);
int main_pause(int argc, char **argv);
int main_unpause(int argc, char **argv);
int main_digest(int argc, char **argv);
int main_recover(int argc, char **argv);
int main_sim_host(int argc, char **argv);
int main_sim_create(int argc, char **argv);
int main_sim_heartbeat(int argc, char **argv);

#define MIGRATE_POLICY_OPTIONS                                              \
    "  --downtime MS           stop iterating when the rest fits in MS (300)\n" \
    "  --max-iterations N      never more than N pre-copy passes (30)\n"    \
    "  --max-time S            stop iterating after S seconds (no limit)\n" \
    "  --max-bandwidth MIB     send at most MIB MiB/s (no limit)\n"         \
    "  --no-throttle           never slow the guest down (no auto-converge)\n" \
    "  --throttle-initial P    first throttle step, % (20)\n"               \
    "  --throttle-increment P  later throttle steps, % (10)\n"              \
    "  --throttle-max P        never throttle more than P % (99)\n"         \
    "  --throttle-trigger P    throttle when dirtying exceeds P % of the bandwidth (50)\n"

const struct cmd_spec cmd_table[] = {
    { "list", main_list, "list the domains on this host", "[--json]",
      "  --json                  machine-readable output\n" },
    { "migrate", main_migrate, "move a running domain to another host",
      "[OPTIONS] DOMAIN HOST[:PORT]",
      "  -s, --ssh COMMAND       reach the receiver by running 'COMMAND HOST RECEIVER' (e.g. ssh) instead of TCP\n"
      "  -C, --receiver CMD      the receiving command for -s ('xenmig migrate-receive'; with --compat 'xl migrate-receive')\n"
      MIGRATE_POLICY_OPTIONS
      "  --compress SPEC         page encodings: auto, none, zero, delta, lz4[:LEVEL], zstd[:LEVEL] (auto)\n"
      "  --verify                compare RAM digests of source and destination while paused\n"
      "  --not-live              suspend the domain first, then copy (no pre-copy)\n"
      "  --timeout S             give up when the receiver is silent for S seconds (60; 0: never)\n"
      "  --compat                send Xen's standard stream with xl's handshake, for stock 'xl migrate-receive' (no --compress, no --verify)\n"
      "  --json                  machine-readable summary\n" },
    { "migrate-receive", main_migrate_receive,
      "receive a migrating domain (on the destination)",
      "[-l [ADDR:]PORT] [-p] [--rename NAME] [--port-file FILE] [--timeout S] [--json] [--xl]",
      "  -l, --listen [ADDR:]PORT  accept one TCP connection (default: use stdin and stdout)\n"
      "  -p, --paused            leave the domain paused when it arrives\n"
      "  --rename NAME           create the domain under NAME\n"
      "  --port-file FILE        write the listening port to FILE once ready\n"
      "  --timeout S             give up when the sender is silent for S seconds (60; 0: never)\n"
      "  --json                  machine-readable summary\n"
      "  --xl                    act as 'xl migrate-receive' on stdin/stdout, for stock 'xl migrate' (-F, -e, -d accepted)\n" },
    { "save", main_save, "save a domain to a file and destroy it",
      "[-c] [--compress SPEC] [--verify] [--compat] [--json] DOMAIN FILE",
      "  -c, --checkpoint        leave the domain running after saving\n"
      "  --compress SPEC         page encodings, as for migrate (auto)\n"
      "  --verify                store a RAM digest, checked on restore\n"
      "  --compat                write an 'xl save' file, for stock 'xl restore' (no --compress, no --verify)\n"
      "  --json                  machine-readable summary\n" },
    { "restore", main_restore,
      "create a domain from a saved file (xenmig's, or an 'xl save' file)",
      "[-p] [--rename NAME] [--json] FILE",
      "  -p, --paused            leave the domain paused\n"
      "  --rename NAME           create the domain under NAME\n"
      "  --json                  machine-readable summary\n" },
    { "destroy", main_destroy, "destroy a domain at once", "DOMAIN", "" },
    { "pause", main_pause, "pause a domain's vCPUs", "DOMAIN", "" },
    { "unpause", main_unpause, "let a paused domain run again", "DOMAIN",
      "" },
    { "recover", main_recover,
      "put a domain back after a killed or failed migration or save",
      "[--force] DOMAIN",
      "  --force                 also resume a NAME--migratedaway domain (handed over: check the destination first) under NAME\n" },
    { "digest", main_digest,
      "print a 64-bit digest of a domain's RAM (pause it first)", "DOMAIN",
      "" },
    { "sim-host", main_sim_host,
      "run a simulated hypervisor host (xenmig-simd) in the foreground",
      "[--socket PATH] [--pidfile FILE] [--heap MIB] [--ram-dir DIR]",
      "  --socket PATH           the host's control socket (default: --sim-socket, $XENMIG_SIM_SOCKET or /run/xenmig/sim.sock)\n"
      "  --pidfile FILE          write the host's process id to FILE\n"
      "  --heap MIB              keep up to MIB of destroyed domains' RAM, scrubbed, for the next ones (0)\n"
      "  --ram-dir DIR           make guest RAM as files in DIR, e.g. a tmpfs mounted with huge=always (2 MiB pages); default: memfds\n" },
    { "sim-create", main_sim_create,
      "create a simulated domain running a memory workload",
      "[-m MIB] [--vcpus N] [-w SPEC] [--write-bytes N] [--fill KIND] [--image FILE] [--cap PCT] [--paused] NAME",
      "  -m, --memory MIB        guest RAM in MiB (256)\n"
      "  --vcpus N               vCPU threads (1)\n"
      "  -w, --workload SPEC     idle | uniform:RATE[:WSET] | hotcold:RATE:WSET:HOTSET:HOTPCT | stream:RATE[:WSET] (MiB/s, MiB; idle)\n"
      "  --write-bytes N         bytes each write rewrites in its page, 8-4096 (4096)\n"
      "  --fill KIND             initial RAM: zero, random or text (random)\n"
      "  --image FILE            initial RAM: a memory image's bytes, repeated or cut to fit\n"
      "  --cap PCT               limit it to PCT% of a CPU from the start, as an administrator's scheduler cap (0: none)\n"
      "  --paused                create it paused, RAM exactly as filled\n" },
    { "sim-heartbeat", main_sim_heartbeat,
      "print a simulated guest's per-vCPU heartbeat counters", "DOMAIN",
      "" },
};

const unsigned cmd_table_size = sizeof(cmd_table) / sizeof(cmd_table[0]);

const struct cmd_spec *cmd_find(const char *name)
{
    unsigned i;

    for (i = 0; i < cmd_table_size; i++) {
        if (strcmp(cmd_table[i].name, name) == 0)
            return &cmd_table[i];
    }
    return NULL;
}

void cmd_usage(const struct cmd_spec *c, bool to_stdout)
{
    FILE *f = to_stdout ? stdout : stderr;

    fprintf(f, "Usage: xenmig %s %s\n\n%s.\n", c->name, c->usage, c->summary);
    if (c->options[0])
        fprintf(f, "\nOptions:\n%s", c->options);
    fprintf(f, "  -h, --help              this help\n");
}
