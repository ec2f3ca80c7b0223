// SPDX-License-Identifier: MIT
/*
 * The machine under the subcommands that need one (run, host-init): the --machine option,
 * with one meaning in both (a preset name, else a configuration file); and the bring-up and
 * teardown sequence (machine.h) they share with the tests and the benchmarks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "platform/platform.h"

#include "machine.h"
#include "tools.h"

void tool_print_presets(FILE *f)
{
	for (const char *const *names = machine_preset_names(); *names; names++)
		fprintf(f, " %s", *names);
}

int tool_machine_config(const char *arg, struct machine_config *cfg)
{
	char err[512];

	if (!machine_preset(arg, cfg))
		return 0;
	if (machine_config_load(arg, cfg, err, sizeof(err))) {
		fprintf(stderr, "tdxsim: --machine %s: not a preset (", arg);
		for (const char *const *names = machine_preset_names(); *names; names++)
			fprintf(stderr, "%s%s", *names, names[1] ? ", " : "");
		fprintf(stderr, ") and not a configuration file: %s\n", err);
		return TDXSIM_EXIT_TOOL;
	}
	return 0;
}

int tdxsim_machine_up(const struct machine_config *mc, const struct tdxsim_machine_opts *opts,
		      char *err, size_t errlen)
{
	static const struct tdxsim_machine_opts none;
	struct tdx_module_params defaults = {0};
	char why[256];
	int ret;

	if (!opts)
		opts = &none;
	ret = platform_boot(mc);
	if (ret) {
		snprintf(err, errlen, "machine boot failed: %s", strerror(-ret));
		return ret;
	}
	platform_claim_signals();
	ret = page_alloc_init();
	if (ret) {
		snprintf(err, errlen, "host page allocator: %s", strerror(-ret));
		goto out_platform;
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
out_platform:
	platform_shutdown();
	return ret;
}

void tdxsim_machine_down(void)
{
	tdx_exit();
	tdx_module_unload();
	page_alloc_exit();
	platform_shutdown();
}
