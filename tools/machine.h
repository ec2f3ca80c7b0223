/* SPDX-License-Identifier: MIT */
/*
 * tools/machine.h - the machine bring-up, one sequence for `tdxsim run`, `tdxsim host-init`,
 * the tests and the benchmarks: boot the machine, claim its signals, start the host's page
 * allocator, load the TDX module, add fault-injection rules, tdx_init(), and tdx_enable() when
 * asked. Whatever fails, what was up is taken down again, in reverse order.
 */
#ifndef TDXSIM_TOOLS_MACHINE_H
#define TDXSIM_TOOLS_MACHINE_H

#include <stdbool.h>
#include <stddef.h>

struct machine_config;
struct tdx_module_params;

struct tdxsim_machine_opts {
	const struct tdx_module_params *module; /* NULL: the module's defaults */
	const char *inject;			/* TDXSIM_INJECT-style rules, NULL: none */
	bool enable;				/* tdx_enable() too, else only tdx_init() */
};

/*
 * 0, or -errno with what failed in @err, as `tdxsim` prints it after "tdxsim: " ("machine
 * boot failed: ...", "loading the TDX module failed: ...", "--inject: ..." for a rule that does
 * not parse, "tdx_init failed: ...", "TDX bring-up failed: tdx_enable: ...").
 */
int tdxsim_machine_up(const struct machine_config *mc, const struct tdxsim_machine_opts *opts,
		      char *err, size_t errlen);
/* tdx_exit(), the module unloaded, the page allocator stopped and the machine shut down. */
void tdxsim_machine_down(void);

#endif
