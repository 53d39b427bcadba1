/* vmon's command line: `vmon run ...`, `vmon --help`, `vmon --version`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "common/log.h"
#include "machine/vm.h"

static const char usage_top[] =
    "Usage: vmon COMMAND [OPTIONS]\n"
    "\n"
    "vmon is a virtual machine monitor for x86-64 Linux hosts.\n"
    "\n"
    "Commands:\n"
    "  run        boot a virtual machine and run it until the guest powers off\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help (vmon run --help for the run options)\n"
    "  -V, --version  show the version\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_top, stderr);
        return VM_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage_top, stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("vmon %s\n", VMON_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run")) {
        struct vm_config cfg;
        int rc = cli_parse_run(argc - 1, argv + 1, &cfg);
        if (rc != CLI_PARSE_OK)
            return rc == CLI_PARSE_EXIT_OK ? 0 : VM_EXIT_USAGE;
        return vm_run(&cfg);
    }
    log_error("unknown command '%s' (try 'vmon --help')", cmd);
    return VM_EXIT_USAGE;
}
