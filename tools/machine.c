// SPDX-License-Identifier: MIT
/*
 * The machine under the subcommands that need one (run, host-init): the --machine option,
 * with one meaning in both (a preset name, else a configuration file), through libtdxsim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

<<<<<<< HEAD
#include <tdxsim/tdxsim.h>
=======
#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "platform/platform.h"
#include "platform/system/system.h"
>>>>>>> 88d3a58 (platform/system: cpu_backend_system, the module runs TDs on QEMU and the SEAM shim (world switch with the guest run on the platform's resume path, EVENTINJ for inject, VINTR for the interrupt window, kicks with a base the shim compares against, GPAW 52 refused); tdxsim_machine_up/run --cpu system|native and TDXSIM_CPU; suite system runs TDs built with the module's SEAMCALLs: TDG.VP.INFO and TDG.VP.VMCALL with exact registers, #VE for port I/O and MMIO, a self-IPI after STI's shadow)

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
<<<<<<< HEAD
=======

int tdxsim_cpu_choice(const char *cpu, bool *system)
{
	if (!cpu || !*cpu)
		cpu = getenv("TDXSIM_CPU");
	if (!cpu || !*cpu || !strcmp(cpu, "native")) {
		*system = false;
		return 0;
	}
	if (!strcmp(cpu, "system")) {
		*system = true;
		return 0;
	}
	return -EINVAL;
}

int tdxsim_machine_up(const struct machine_config *mc, const struct tdxsim_machine_opts *opts,
		      char *err, size_t errlen)
{
	static const struct tdxsim_machine_opts none;
	struct tdx_module_params defaults = {0};
	char why[256];
	int ret;

	bool system;

	if (!opts)
		opts = &none;
	if (tdxsim_cpu_choice(opts->cpu, &system)) {
		snprintf(err, errlen, "CPU backend '%s': there are 'native' and 'system'",
			 opts->cpu && *opts->cpu ? opts->cpu : getenv("TDXSIM_CPU"));
		return -EINVAL;
	}
	ret = platform_boot(mc);
	if (ret) {
		snprintf(err, errlen, "machine boot failed: %s", strerror(-ret));
		return ret;
	}
	platform_claim_signals();
	if (system) {
		char why[1024];

		ret = system_backend_start(NULL, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "the system CPU backend: %s", why);
			goto out_platform;
		}
	}
	ret = page_alloc_init();
	if (ret) {
		snprintf(err, errlen, "host page allocator: %s", strerror(-ret));
		goto out_system;
	}
	ret = tdx_module_load(opts->module ? opts->module : &defaults);
	if (ret) {
		snprintf(err, errlen, "loading the TDX module failed: %s", strerror(-ret));
		goto out_page_alloc;
	}
	if (opts->inject && (ret = tdx_module_inject_parse(opts->inject, why, sizeof(why)))) {
		snprintf(err, errlen, "--inject: %s", why);
		goto out_module;
	}
	ret = tdx_init();
	if (ret) {
		snprintf(err, errlen, "tdx_init failed: %s", strerror(-ret));
		goto out_module;
	}
	if (opts->enable && (ret = tdx_enable())) {
		snprintf(err, errlen, "TDX bring-up failed: tdx_enable: %s", strerror(-ret));
		tdx_exit();
		goto out_module;
	}
	return 0;
out_module:
	tdx_module_unload();
out_page_alloc:
	page_alloc_exit();
out_system:
	system_backend_stop();
out_platform:
	platform_shutdown();
	return ret;
}

void tdxsim_machine_down(void)
{
	tdx_exit();
	tdx_module_unload();
	system_backend_stop();
	page_alloc_exit();
	platform_shutdown();
}
>>>>>>> 88d3a58 (platform/system: cpu_backend_system, the module runs TDs on QEMU and the SEAM shim (world switch with the guest run on the platform's resume path, EVENTINJ for inject, VINTR for the interrupt window, kicks with a base the shim compares against, GPAW 52 refused); tdxsim_machine_up/run --cpu system|native and TDXSIM_CPU; suite system runs TDs built with the module's SEAMCALLs: TDG.VP.INFO and TDG.VP.VMCALL with exact registers, #VE for port I/O and MMIO, a self-IPI after STI's shadow)
