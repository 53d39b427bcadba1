#ifndef VMON_CLI_OPTIONS_H
#define VMON_CLI_OPTIONS_H

#include "machine/config.h"

enum cli_parse_result {
    CLI_PARSE_OK,
    CLI_PARSE_EXIT_OK, /* --help was printed */
    CLI_PARSE_ERROR,   /* a one-line error was printed */
};

/* Parses the options of `vmon run` (argv[0] is "run"). */
enum cli_parse_result cli_parse_run(int argc, char **argv, struct vm_config *cfg);

#endif
