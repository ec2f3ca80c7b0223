// SPDX-License-Identifier: MIT
/*
 * tdxsim run --gdb: the same run under gdb with scripts/tdxsim-gdb.py, which keeps the
 * machine's signals from stopping gdb, loads the guest's symbols where the image is and stops
 * in the guest's main (docs/GUEST.md "Debugging a guest"). With --gdb=FILE, gdb runs in batch
 * mode: the commands in FILE after that stop, then it leaves with the guest's exit status
 * when the program ran to its end.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools.h"

#ifndef TDXSIM_GDB_SCRIPT
#define TDXSIM_GDB_SCRIPT "scripts/tdxsim-gdb.py"
#endif
#ifndef TDXSIM_GDB_SCRIPT_INSTALLED
#define TDXSIM_GDB_SCRIPT_INSTALLED "share/tdxsim/tdxsim-gdb.py"
#endif

int run_under_gdb(int argc, char **argv, const char *skip, const char *commands)
{
	const char *gdb = getenv("TDXSIM_GDB"), *script = getenv("TDXSIM_GDB_SCRIPT");
	char self[PATH_MAX], installed[PATH_MAX];
	char **args = calloc((size_t)argc + 16, sizeof(*args));
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int a = 0;

	if (!gdb || !*gdb)
		gdb = "gdb";
	/* An installed tdxsim uses the installed script (DATADIR/tdxsim), the build's its tree's. */
	if ((!script || !*script) && TDXSIM_GDB_SCRIPT_INSTALLED[0] != '/' &&
	    tool_install_prefix(installed, sizeof(installed)) &&
	    strlen(installed) + sizeof(TDXSIM_GDB_SCRIPT_INSTALLED) + 1 < sizeof(installed)) {
		strcat(installed, "/" TDXSIM_GDB_SCRIPT_INSTALLED);
		script = installed;
	}
	if (!script || !*script)
		script = TDXSIM_GDB_SCRIPT;
	if (!args || n < 0) {
		fprintf(stderr, "tdxsim: --gdb: %s\n", strerror(args ? errno : ENOMEM));
		free(args);
		return TDXSIM_EXIT_TOOL;
	}
	self[n] = 0;
	if (access(script, R_OK)) {
		fprintf(stderr, "tdxsim: --gdb: %s: %s (TDXSIM_GDB_SCRIPT names another)\n", script,
			strerror(errno));
		free(args);
		return TDXSIM_EXIT_TOOL;
	}
	args[a++] = (char *)gdb;
	args[a++] = "-q";
	args[a++] = "-nx";
	if (commands)
		args[a++] = "-batch";
	args[a++] = "-x";
	args[a++] = (char *)script;
	args[a++] = "-ex";
	args[a++] = "run";
	if (commands) {
		args[a++] = "-x";
		args[a++] = (char *)commands;
		args[a++] = "-ex";
		args[a++] = "tdxsim-quit";
	}
	args[a++] = "--args";
	args[a++] = self;
	for (int i = 0; i < argc; i++) /* argv[0] is "run" */
		if (argv[i] != skip)
			args[a++] = argv[i];
	args[a] = NULL;
	fflush(NULL);
	execvp(gdb, args);
	fprintf(stderr, "tdxsim: --gdb: cannot run %s: %s%s\n", gdb, strerror(errno),
		errno == ENOENT ? " (Debian: apt-get install gdb)" : "");
	free(args);
	return TDXSIM_EXIT_TOOL;
}
