// SPDX-License-Identifier: MIT
/*
 * The machine under the subcommands that need one (run, host-init): the --machine option,
 * with one meaning in both (a preset name, else a configuration file), through libtdxsim.
 */
#include <stdio.h>
#include <string.h>

#include <tdxsim/tdxsim.h>

#include "tools.h"

void tool_print_presets(FILE *f)
{
	for (const char *const *names = tdxsim_machine_presets(); *names; names++)
		fprintf(f, " %s", *names);
}

void tool_print_boot_error(const char *err)
{
	/* The library names what it was given; the command names its option. */
	bool option = !strncmp(err, "machine ", 8) || !strncmp(err, "inject: ", 8);

	fprintf(stderr, "tdxsim: %s%s\n", option ? "--" : "", err);
}

int tool_machine_config(const char *arg, struct tdxsim_machine_desc *desc)
{
	char err[1024];

	if (tdxsim_machine_describe(arg, desc, err, sizeof(err))) {
		tool_print_boot_error(err);
		return TDXSIM_EXIT_TOOL;
	}
	return 0;
}
