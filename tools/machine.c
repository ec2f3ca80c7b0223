// SPDX-License-Identifier: MIT
/*
 * The machine under the subcommands that need one (run, host-init): the --machine option,
 * with one meaning in both (a preset name, else a configuration file), and the bring-up and
 * teardown sequence they share.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "platform/platform.h"

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

int tool_machine_boot(const struct machine_config *mc, const struct tdx_module_params *params,
		      const char *inject)
{
	char err[512];
	int ret = platform_boot(mc);

	if (ret) {
		fprintf(stderr, "tdxsim: machine boot failed: %s\n", strerror(-ret));
		return TDXSIM_EXIT_TOOL;
	}
	platform_claim_signals();
	ret = page_alloc_init();
	if (ret) {
		fprintf(stderr, "tdxsim: host page allocator: %s\n", strerror(-ret));
		platform_shutdown();
		return TDXSIM_EXIT_TOOL;
	}
	ret = tdx_module_load(params);
	if (ret) {
		fprintf(stderr, "tdxsim: loading the TDX module failed: %s\n", strerror(-ret));
		goto out_page_alloc;
	}
	if (inject && tdx_module_inject_parse(inject, err, sizeof(err))) {
		fprintf(stderr, "tdxsim: --inject: %s\n", err);
		goto out_module;
	}
	ret = tdx_init();
	if (ret) {
		fprintf(stderr, "tdxsim: tdx_init failed: %s\n", strerror(-ret));
		goto out_module;
	}
	return 0;
out_module:
	tdx_module_unload();
out_page_alloc:
	page_alloc_exit();
	platform_shutdown();
	return TDXSIM_EXIT_TOOL;
}

void tool_machine_down(void)
{
	tdx_exit();
	tdx_module_unload();
	page_alloc_exit();
	platform_shutdown();
}
