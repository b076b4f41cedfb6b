/*
 * cmd-save.c - xenmig save and restore: the same stream as a migration,
 * written to a file without a back channel.
 *
 * save writes to FILE.partial and renames it into place only once the
 * stream is complete and on disk, so a full disk or a failure never leaves
 * a file that looks like a good save; the domain is then destroyed (or,
 * with -c, left running). FILE.partial is locked (flock) while written: a
 * second save to the same FILE is refused, and one left by a killed save
 * (unlocked) is overwritten.
 *
 * save --compat writes an `xl save` file instead (xl's header, the
 * config, a libxl v2 stream): stock `xl restore` takes it.
 *
 * restore also takes an `xl save` file (told apart by its magic): that
 * one is restored by libxl itself (cmd-xl.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "xl-format.h"

enum { OPT_VERIFY = 256, OPT_JSON, OPT_RENAME, OPT_COMPRESS, OPT_COMPAT };

int main_save(int argc, char **argv)
{
    static const struct option opts[] = {
        { "checkpoint", no_argument, NULL, 'c' },
        { "verify", no_argument, NULL, OPT_VERIFY },
        { "compress", required_argument, NULL, OPT_COMPRESS },
        { "compat", no_argument, NULL, OPT_COMPAT },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct cmd_spec *self = cmd_find("save");
    bool encodings = false;
    struct xm_migrate_params p;
    struct xm_backend *be = NULL;
    struct cli_report rep;
    struct xm_hooks hooks = { 0 };
    struct xm_summary sum;
    char *tmp = NULL;
    bool json = false;
    uint32_t domid;
    int opt, fd = -1, status = 1;

    xm_migrate_params_init(&p);
    p.live = false;
    while ((opt = getopt_long(argc, argv, "ch", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            p.keep_source = true;
            break;
        case OPT_VERIFY:
            p.verify = true;
            encodings = true;
            break;
        case OPT_COMPRESS:
            if (!cli_parse_compress(optarg, &p))
                return 2;
            encodings = true;
            break;
        case OPT_COMPAT:
            p.compat = true;
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
    if (argc - optind != 2) {
        cmd_usage(self, false);
        return 2;
    }
    if (p.compat && encodings) {
        fprintf(stderr, "xenmig: --compat writes an xl save file, which has no --compress or --verify\n");
        return 2;
    }
    cli_catch_signals();
    if (cli_open_backend(&be) || cli_domain(be, argv[optind], &domid))
        goto out;
    if (asprintf(&tmp, "%s.partial", argv[optind + 1]) < 0) {
        tmp = NULL;
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        LOGE(&cli_logger, XM_LOG_ERROR, errno, "cannot create \"%s\"", tmp);
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        LOGE(&cli_logger, XM_LOG_ERROR, errno,
             "\"%s\" is in use: is another save to \"%s\" running?", tmp,
             argv[optind + 1]);
        close(fd);
        fd = -1;
        goto out;
    }
    if (ftruncate(fd, 0) < 0) {
        LOGE(&cli_logger, XM_LOG_ERROR, errno, "cannot truncate \"%s\"", tmp);
        goto out;
    }
    report_init(&rep, json);
    report_hooks(&rep, &hooks);
    if (xm_send(be, &cli_logger, domid, -1, fd, &p, &hooks, &sum) == 0) {
        if (rename(tmp, argv[optind + 1]) < 0) {
            /* The domain is gone (unless -c): keep the data, say where. */
            LOGE(&cli_logger, XM_LOG_ERROR, errno,
                 "the save is complete in \"%s\" but cannot be renamed to \"%s\"",
                 tmp, argv[optind + 1]);
        } else {
            report_summary(&rep, "saved", argv[optind], argv[optind + 1],
                           &sum);
            status = 0;
        }
    } else {
        unlink(tmp);
    }
    report_dispose(&rep);
out:
    if (fd >= 0)
        close(fd);
    free(tmp);
    xm_backend_close(be);
    return status;
}

int main_restore(int argc, char **argv)
{
    static const struct option opts[] = {
        { "paused", no_argument, NULL, 'p' },
        { "rename", required_argument, NULL, OPT_RENAME },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct cmd_spec *self = cmd_find("restore");
    struct xm_receive_params rp = { 0 };
    struct xm_backend *be = NULL;
    struct cli_report rep;
    struct xm_hooks hooks = { 0 };
    struct xm_summary sum;
    bool json = false;
    uint32_t domid;
    char magic[XM_XL_SAVE_MAGIC_LEN];
    int opt, fd = -1, status = 1;

    while ((opt = getopt_long(argc, argv, "ph", opts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            rp.paused = true;
            break;
        case OPT_RENAME:
            rp.rename = optarg;
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
    if (argc - optind != 1) {
        cmd_usage(self, false);
        return 2;
    }
    cli_catch_signals();
    fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        LOGE(&cli_logger, XM_LOG_ERROR, errno, "cannot open \"%s\"",
             argv[optind]);
        goto out;
    }
    /* An `xl save` file goes to libxl as it is (cmd-xl.c). */
    if (pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
        xm_xl_is_savefile(magic, sizeof(magic))) {
        status = cli_xl_restore(fd, argv[optind], rp.paused, rp.rename,
                                json);
        goto out;
    }
    if (cli_open_backend(&be))
        goto out;
    report_init(&rep, json);
    report_hooks(&rep, &hooks);
    if (xm_receive(be, &cli_logger, fd, -1, &rp, &hooks, &domid, &sum) == 0) {
        struct xm_domain_info info;

        if (be->ops->domain_info(be, domid, &info))
            snprintf(info.name, sizeof(info.name), "%u", domid);
        report_summary(&rep, "restored", info.name, argv[optind], &sum);
        status = 0;
    } else {
        LOG(&cli_logger, XM_LOG_ERROR, "restoring from \"%s\" failed",
            argv[optind]);
    }
    report_dispose(&rep);
out:
    if (fd >= 0)
        close(fd);
    xm_backend_close(be);
    return status;
}
