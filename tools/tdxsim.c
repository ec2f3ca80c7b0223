// SPDX-License-Identifier: MIT
/* The tdxsim command: subcommand dispatch only; each subcommand lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "tools.h"

static const struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} subcommands[] = {
	{"host-init", cmd_host_init, "boot a machine and bring the TDX module up as the host"},
	{"run", cmd_run, "build a TD from a guest ELF and run it; exit status: the guest's"},
	{"measure", cmd_measure, "print the MRTD of a guest ELF without running it"},
	{"boot", cmd_boot, "build a TD that boots a Linux bzImage directly (docs/LINUX-BOOT.md)"},
	{"build", cmd_build,
	 "compile and link a guest ELF with the guest SDK (tdxsim build --help)"},
	{"attest-collateral", cmd_attest_collateral,
	 "write the quotes' root certificate and collateral into a directory"},
};

#define NR_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: tdxsim COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < NR_SUBCOMMANDS; i++)
		fprintf(f, "  %-18s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "\n'tdxsim COMMAND --help' for a command's options; 'tdxsim --version'.\n"
		   "Exit status: run's is the guest's (0-122; 123-126, 130 and 143 are tdxsim's),\n"
		   "125 when tdxsim itself failed (docs/VMM.md \"Exit status\").\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return TDXSIM_EXIT_TOOL;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("tdxsim %s\n", TDXSIM_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NR_SUBCOMMANDS; i++) {
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "tdxsim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return TDXSIM_EXIT_TOOL;
}
