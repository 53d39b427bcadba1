#include "cli/options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

static const char run_usage[] =
    "Usage: vmon run --kernel PATH [OPTIONS]\n"
    "\n"
    "Boots a virtual machine and runs it until the guest powers off.\n"
    "\n"
    "Guest:\n"
    "  -k, --kernel PATH       Linux bzImage, ELF vmlinux, or ELF with a PVH entry note\n"
    "  -i, --initrd PATH       initial ramdisk\n"
    "  -c, --cmdline STR       kernel command line (default \"" VM_DEFAULT_CMDLINE "\")\n"
    "\n"
    "Machine:\n"
    "  -m, --mem SIZE          guest RAM, with K/M/G suffix (default 256M)\n"
    "  -n, --cpus N            number of vCPUs, 1-64 (default 1)\n"
    "  -a, --accel MODE        kvm: hardware-assisted (/dev/kvm)\n"
    "                          emu: vmon's software x86-64 CPU\n"
    "                          auto: kvm if this host's KVM can run a whole guest,\n"
    "                                else emu (default)\n"
    "      --on-reboot ACTION  exit (default) or restart when the guest reboots\n"
    "      --stats             print per-vCPU counters when the VM stops\n"
    "  -v, --verbose           more diagnostics on stderr\n"
    "  -h, --help              show this help\n"
    "\n"
    "Console: the guest's COM1 is wired to stdin/stdout. On a terminal, vmon puts\n"
    "it in raw mode while the VM runs; press Ctrl-A then x to quit.\n"
    "\n"
    "Exit status:\n"
    "  0        the guest powered off (or rebooted, with --on-reboot exit)\n"
    "  1        the guest failed: triple fault, an instruction vmon cannot run\n"
    "  2        bad options or files, or no usable accelerator\n"
    "  128+N    stopped by signal N (130 for SIGINT, 143 for SIGTERM)\n"
    "  (V<<1)|1 the guest wrote V to the debug-exit device\n";

enum {
    OPT_ON_REBOOT = 256,
    OPT_STATS,
};

static const struct option run_options[] = {
    { "kernel", required_argument, NULL, 'k' },
    { "initrd", required_argument, NULL, 'i' },
    { "cmdline", required_argument, NULL, 'c' },
    { "mem", required_argument, NULL, 'm' },
    { "cpus", required_argument, NULL, 'n' },
    { "accel", required_argument, NULL, 'a' },
    { "on-reboot", required_argument, NULL, OPT_ON_REBOOT },
    { "stats", no_argument, NULL, OPT_STATS },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static bool parse_accel(const char *s, enum vm_accel *out)
{
    if (!strcmp(s, "kvm"))
        *out = VM_ACCEL_KVM;
    else if (!strcmp(s, "emu"))
        *out = VM_ACCEL_EMU;
    else if (!strcmp(s, "auto"))
        *out = VM_ACCEL_AUTO;
    else
        return false;
    return true;
}

static enum cli_parse_result parse_one(int opt, const char *arg, struct vm_config *cfg)
{
    uint64_t v;
    switch (opt) {
    case 'k': cfg->kernel = arg; break;
    case 'i': cfg->initrd = arg; break;
    case 'c': cfg->cmdline = arg; break;
    case 'm':
        if (!parse_size(arg, &v) || v == 0) {
            log_error("--mem: '%s' is not a memory size (examples: 512M, 2G)", arg);
            return CLI_PARSE_ERROR;
        }
        if (v < MiB(16) || v % 4096) {
            log_error("--mem: %s is too small or not page-aligned (at least 16M)", arg);
            return CLI_PARSE_ERROR;
        }
        cfg->mem_size = v;
        break;
    case 'n':
        if (!parse_u64(arg, &v) || v == 0 || v > VM_MAX_CPUS) {
            log_error("--cpus: '%s' is not a vCPU count from 1 to %d", arg, VM_MAX_CPUS);
            return CLI_PARSE_ERROR;
        }
        cfg->ncpus = (unsigned)v;
        break;
    case 'a':
        if (!parse_accel(arg, &cfg->accel)) {
            log_error("--accel: '%s' is not one of kvm, emu, auto", arg);
            return CLI_PARSE_ERROR;
        }
        break;
    case OPT_ON_REBOOT:
        if (!strcmp(arg, "exit"))
            cfg->on_reboot = VM_REBOOT_EXIT;
        else if (!strcmp(arg, "restart"))
            cfg->on_reboot = VM_REBOOT_RESTART;
        else {
            log_error("--on-reboot: '%s' is not one of exit, restart", arg);
            return CLI_PARSE_ERROR;
        }
        break;
    case OPT_STATS: cfg->stats = true; break;
    case 'v': log_set_level(LOG_DEBUG); break;
    default: return CLI_PARSE_ERROR;
    }
    return CLI_PARSE_OK;
}

enum cli_parse_result cli_parse_run(int argc, char **argv, struct vm_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mem_size = VM_DEFAULT_MEM;
    cfg->ncpus = 1;
    cfg->cmdline = VM_DEFAULT_CMDLINE;
    cfg->accel = VM_ACCEL_AUTO;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":k:i:c:m:n:a:vh", run_options, NULL)) != -1) {
        if (opt == 'h') {
            fputs(run_usage, stdout);
            return CLI_PARSE_EXIT_OK;
        }
        if (opt == '?') {
            if (optopt)
                log_error("unknown option '-%c' (try 'vmon run --help')", optopt);
            else
                log_error("unknown option '%s' (try 'vmon run --help')", argv[optind - 1]);
            return CLI_PARSE_ERROR;
        }
        if (opt == ':') {
            log_error("option '%s' needs a value", argv[optind - 1]);
            return CLI_PARSE_ERROR;
        }
        enum cli_parse_result r = parse_one(opt, optarg, cfg);
        if (r != CLI_PARSE_OK)
            return r;
    }
    if (optind < argc) {
        log_error("unexpected argument '%s' (try 'vmon run --help')", argv[optind]);
        return CLI_PARSE_ERROR;
    }
    if (!cfg->kernel) {
        log_error("--kernel is required (try 'vmon run --help')");
        return CLI_PARSE_ERROR;
    }
    return CLI_PARSE_OK;
}
